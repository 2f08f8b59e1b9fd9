package autotask_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"strings"

	"github.com/switchboard-psa/switchboard/autotask"
	"github.com/switchboard-psa/switchboard/autotask/internal/fakeat"
)

// The examples run against fakeat, an in-memory Autotask. With a real tenant, leave
// DiscoveryURL empty: the zone is then discovered at webservices.autotask.net.
func exampleClient(fake *fakeat.Server) *autotask.Client {
	o := fake.Options()
	c, err := autotask.New(autotask.Config{
		Username:        o.Username,
		Secret:          o.Secret,
		IntegrationCode: o.IntegrationCode,
		DiscoveryURL:    fake.DiscoveryURL(),
	})
	if err != nil {
		log.Fatal(err)
	}
	return c
}

func ExampleNew() {
	fake := fakeat.New(fakeat.Options{ZoneName: "Zone 5"})
	defer fake.Close()

	c, err := autotask.New(autotask.Config{
		Username:        fake.Options().Username, // e.g. "api-user@example.com"
		Secret:          fake.Options().Secret,
		IntegrationCode: fake.Options().IntegrationCode,
		DiscoveryURL:    fake.DiscoveryURL(), // empty for the real Autotask
	})
	if err != nil {
		log.Fatal(err)
	}
	zone, err := c.Zone(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(zone.ZoneName, strings.HasSuffix(zone.URL, "/ATServicesRest/"))
	// Output: Zone 5 true
}

func ExampleNewQuery() {
	q := autotask.NewQuery(
		autotask.Eq("status", 1),
		autotask.Or(autotask.Eq("priority", 1), autotask.Eq("priority", 4)),
		autotask.Exist("Customer Code").UDF(),
	).Include("title").Limit(100)
	b, _ := json.Marshal(q)
	fmt.Println(string(b))
	// Output: {"filter":[{"op":"eq","field":"status","value":1},{"op":"or","items":[{"op":"eq","field":"priority","value":1},{"op":"eq","field":"priority","value":4}]},{"op":"exist","field":"Customer Code","udf":true}],"IncludeFields":["id","title"],"MaxRecords":100}
}

func ExampleClient_All() {
	fake := fakeat.New(fakeat.Options{})
	defer fake.Close()
	for i := range 1234 {
		fake.Seed("Companies", map[string]any{"companyName": fmt.Sprintf("Company %d", i+1), "isActive": i%10 != 0})
	}
	c := exampleClient(fake)

	// 1,110 active companies: three pages, followed through nextPageUrl.
	n := 0
	for item, err := range c.All(context.Background(), "Companies", autotask.NewQuery(autotask.Eq("isActive", true))) {
		if err != nil {
			log.Fatal(err)
		}
		n++
		_ = item // json.RawMessage
	}
	fmt.Println(n)
	// Output: 1110
}

func ExampleAllAs() {
	fake := fakeat.New(fakeat.Options{})
	defer fake.Close()
	fake.Seed("Tickets",
		map[string]any{"title": "Printer on fire", "status": 1, "priority": 4},
		map[string]any{"title": "New laptop", "status": 1, "priority": 2},
		map[string]any{"title": "VPN down", "status": 8, "priority": 1},
		map[string]any{"title": "Server room hot", "status": 1, "priority": 1},
	)
	c := exampleClient(fake)

	q := autotask.NewQuery(
		autotask.Eq("status", 1),
		autotask.Or(autotask.Eq("priority", 1), autotask.Eq("priority", 4)),
	)
	for t, err := range autotask.AllAs[autotask.Ticket](context.Background(), c, "Tickets", q) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(*t.ID, autotask.Value(t.Title))
	}
	// Output:
	// 1 Printer on fire
	// 4 Server room hot
}

func ExampleGetAs() {
	fake := fakeat.New(fakeat.Options{})
	defer fake.Close()
	fake.Seed("Tickets", map[string]any{
		"id": 7425, "title": "Printer on fire", "status": 5, "completedDate": "2019-11-25T15:47:59.167Z",
		"userDefinedFields": []map[string]any{{"name": "CRM ID", "value": "EB25"}, {"name": "Acronym", "value": nil}},
	})
	c := exampleClient(fake)

	t, err := autotask.GetAs[autotask.Ticket](context.Background(), c, "Tickets", 7425)
	if err != nil {
		log.Fatal(err)
	}
	crm, _ := t.UDF("CRM ID")
	fmt.Println(autotask.Value(t.Title), autotask.Value(t.Status), t.CompletedDate, crm)
	// Output: Printer on fire 5 2019-11-25T15:47:59.167Z EB25
}

func ExampleClient_Get_notFound() {
	fake := fakeat.New(fakeat.Options{})
	defer fake.Close()
	c := exampleClient(fake)

	// Autotask answers an unknown id with 200 {"item":null}.
	_, err := c.Get(context.Background(), "Tickets", 404)
	fmt.Println(errors.Is(err, autotask.ErrNotFound), err)
	// Output: true autotask: Tickets 404 not found
}

func ExampleClient_Update() {
	fake := fakeat.New(fakeat.Options{})
	defer fake.Close()
	c := exampleClient(fake)
	ctx := context.Background()

	id, err := c.Create(ctx, "Tickets", autotask.Ticket{
		CompanyID: autotask.Ptr(0), Title: autotask.Ptr("VPN down"), Status: autotask.Ptr(1), Priority: autotask.Ptr(2),
	})
	if err != nil {
		log.Fatal(err)
	}
	// PATCH with only the fields that change; the client puts the id in the body.
	if err := c.Update(ctx, "Tickets", id, autotask.Ticket{Status: autotask.Ptr(5)}); err != nil {
		log.Fatal(err)
	}
	t, _ := autotask.GetAs[autotask.Ticket](ctx, c, "Tickets", id)
	fmt.Println(autotask.Value(t.Title), autotask.Value(t.Status), autotask.Value(t.Priority))
	// Output: VPN down 5 2
}

func ExampleClient_ChildCreate() {
	fake := fakeat.New(fakeat.Options{})
	defer fake.Close()
	fake.Seed("Tickets", map[string]any{"id": 42, "title": "VPN down"})
	c := exampleClient(fake)
	ctx := context.Background()

	// Ticket notes are written through the ticket: POST Tickets/42/Notes.
	_, err := c.ChildCreate(ctx, "Tickets", 42, "Notes", autotask.TicketNote{
		Title: autotask.Ptr("Called the ISP"), Description: autotask.Ptr("Outage until 14:00"),
		NoteType: autotask.Ptr(1), Publish: autotask.Ptr(1),
	})
	if err != nil {
		log.Fatal(err)
	}
	notes, err := autotask.ChildListAs[autotask.TicketNote](ctx, c, "Tickets", 42, "Notes")
	if err != nil {
		log.Fatal(err)
	}
	for _, n := range notes {
		fmt.Println(autotask.Value(n.TicketID), autotask.Value(n.Title))
	}
	// Output: 42 Called the ISP
}

func ExampleWithImpersonation() {
	fake := fakeat.New(fakeat.Options{})
	defer fake.Close()
	c := exampleClient(fake)

	// The note is attributed to resource 29682885 (header ImpersonationResourceId).
	ctx := autotask.WithImpersonation(context.Background(), 29682885)
	if _, err := c.Create(ctx, "Tickets", map[string]any{"title": "From the portal"}); err != nil {
		log.Fatal(err)
	}
	reqs := fake.Requests()
	fmt.Println(reqs[len(reqs)-1].Header.Get("ImpersonationResourceId"))
	// Output: 29682885
}

func ExampleAPIError() {
	fake := fakeat.New(fakeat.Options{})
	defer fake.Close()
	c, _ := autotask.New(autotask.Config{
		Username: fake.Options().Username, Secret: "not the secret", IntegrationCode: "INTEGRATIONCODE",
		DiscoveryURL: fake.DiscoveryURL(),
	})

	_, err := c.Count(context.Background(), "Tickets", nil)
	var apiErr *autotask.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Messages)
	}
	fmt.Println(errors.Is(err, autotask.ErrAuthentication), errors.Is(err, autotask.ErrPermission))
	// Output:
	// 401 [Authorization has been denied for this request.]
	// true false
}

func ExampleClient_Field() {
	fake := fakeat.New(fakeat.Options{})
	defer fake.Close()
	fake.SetFields("Tickets", []map[string]any{{
		"name": "status", "dataType": "integer", "isPickList": true,
		"picklistValues": []map[string]any{
			{"value": "1", "label": "New", "isActive": true},
			{"value": "5", "label": "Complete", "isActive": true},
		},
	}})
	c := exampleClient(fake)

	status, err := c.Field(context.Background(), "Tickets", "status")
	if err != nil {
		log.Fatal(err)
	}
	label, _ := status.PicklistLabel("5")
	value, _ := status.PicklistValueOf("new")
	fmt.Println(label, value)
	// Output: Complete 1
}

func ExampleClient_ThresholdInformation() {
	fake := fakeat.New(fakeat.Options{})
	defer fake.Close()
	fake.SetRequestCount(7499)
	c := exampleClient(fake)

	t, err := c.ThresholdInformation(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	_, delay, _ := c.Pacing()
	fmt.Printf("%d of %d used (%.0f%%), %v between requests\n", t.CurrentTimeframeRequestCount, t.ExternalRequestThreshold, t.Usage()*100, delay)
	// Output: 7500 of 10000 used (75%), 500ms between requests
}

func ExampleClient_Count() {
	fake := fakeat.New(fakeat.Options{})
	defer fake.Close()
	fake.Seed("Tickets",
		map[string]any{"title": "Printer on fire", "status": 1},
		map[string]any{"title": "New laptop", "status": 5},
		map[string]any{"title": "VPN down", "status": 1},
	)
	c := exampleClient(fake)

	open, err := c.Count(context.Background(), "Tickets", autotask.NewQuery(autotask.NotEq("status", 5)))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(open)
	// Output: 2
}

func ExampleTicket_SetUDF() {
	fake := fakeat.New(fakeat.Options{})
	defer fake.Close()
	c := exampleClient(fake)
	ctx := context.Background()

	t := autotask.Ticket{CompanyID: autotask.Ptr(0), Title: autotask.Ptr("VPN down"), Status: autotask.Ptr(1), Priority: autotask.Ptr(2)}
	t.SetUDF("Billable Minutes", autotask.Ptr("45"))
	id, err := c.Create(ctx, "Tickets", t)
	if err != nil {
		log.Fatal(err)
	}
	got, err := autotask.GetAs[autotask.Ticket](ctx, c, "Tickets", id)
	if err != nil {
		log.Fatal(err)
	}
	minutes, _ := got.UDF("billable minutes") // names match case-insensitively
	fmt.Println(minutes)
	// Output: 45
}
