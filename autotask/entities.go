package autotask

//go:generate go run ./internal/gen -src ../../shared/autotask/entities.json -out entities_gen.go

// Entity is implemented by the entity structs of this package (Ticket, Company, …): it names
// the collection the struct belongs to.
type Entity interface {
	EntityName() string
}

var (
	_ Entity = Ticket{}
	_ Entity = Company{}
	_ Entity = Contact{}
	_ Entity = ConfigurationItem{}
	_ Entity = TicketNote{}
	_ Entity = CompanyLocation{}
	_ Entity = Resource{}
)
