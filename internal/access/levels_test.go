package access

import (
	"strings"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/catalog"
)

func TestSystemLevelsAreThoseOfTheAccessModel(t *testing.T) {
	want := []string{"System Administrator (system)", "Full Access (system)", "Manager (system)", "Team Member (system)", "Service Desk User (system)",
		"Minimal Access (system)", "Dashboard User (system)", "Time and Attendance (system)", "Contractor (system)", "Co-managed Help Desk (system)",
		"API User (system) (API-only)", "API User (system) Can't Read Costs (API-only)"}
	got := SystemLevels()
	if len(got) != len(want) {
		t.Fatalf("%d system levels, want %d", len(got), len(want))
	}
	for i, l := range got {
		if l.Name != want[i] || l.ID != int64(i+1) || SystemLevel(l.ID) != l || !l.System || !l.Active {
			t.Errorf("level %d = %d %q system %v active %v; want %d %q", i, l.ID, l.Name, l.System, l.Active, i+1, want[i])
		}
		if l.Editable() == nil {
			t.Errorf("%s: a system level is editable", l.Name)
		}
		if apiOnly := strings.HasSuffix(l.Name, "(API-only)"); apiOnly != l.APIOnly || apiOnly != (l.License == LicenseAPIUser) {
			t.Errorf("%s: API-only %v, license %s", l.Name, l.APIOnly, l.License)
		}
	}
	for _, id := range []int64{DashboardUserLevel, TimeAttendanceLevel, ContractorLevel} {
		if SystemLevel(id).Copyable() == nil {
			t.Errorf("%s can be copied", SystemLevel(id).Name)
		}
	}
	for _, id := range []int64{AdministratorLevel, ManagerLevel, TeamMemberLevel, APIUserLevel, APIUserNoCostsLevel, CoManagedLevel} {
		if err := SystemLevel(id).Copyable(); err != nil {
			t.Errorf("%s cannot be copied: %v", SystemLevel(id).Name, err)
		}
	}
	if err := SystemLevel(APIUserLevel).CanDeactivate(); err == nil || !strings.Contains(err.Error(), "cannot be deactivated") {
		t.Errorf("the API User level can be deactivated: %v", err)
	}
	api, noCosts := SystemLevel(APIUserLevel), SystemLevel(APIUserNoCostsLevel)
	if !api.Flags.CanViewInternalCost || noCosts.Flags.CanViewInternalCost {
		t.Error("API User must read costs and its Can't Read Costs sibling must not")
	}
	if SystemLevel(999) != nil || SystemLevel(0) != nil {
		t.Error("SystemLevel answers for ids that are no system level")
	}
}

// Every catalog collection is guarded by exactly one object of one known section, and no object
// is claimed by two sections, so one row of the grid decides every call.
func TestEveryCollectionMapsToOneObject(t *testing.T) {
	known := map[string]bool{}
	for _, s := range SectionNames {
		known[s] = true
	}
	owner := map[string]string{}
	for _, e := range catalog.Default.Entities() {
		if e.Section == "" || e.Object == "" {
			t.Errorf("%s has no section or object", e.Name)
			continue
		}
		if !known[e.Section] {
			t.Errorf("%s: section %q is not one of the page's", e.Name, e.Section)
		}
		if s, ok := owner[e.Object]; ok && s != e.Section {
			t.Errorf("object %s is in sections %s and %s", e.Object, s, e.Section)
		}
		owner[e.Object] = e.Section
	}
	n := 0
	for _, s := range Sections(catalog.Default) {
		n += len(s.Objects)
	}
	if n != len(owner) {
		t.Errorf("the sections list %d objects; the catalog has %d", n, len(owner))
	}
}

func TestCopySecurityLevel(t *testing.T) {
	cat := catalog.Default
	tickets, companies, resources := cat.MustEntity("Tickets"), cat.MustEntity("Companies"), cat.MustEntity("Resources")
	tm := SystemLevel(TeamMemberLevel)
	c, err := tm.Copy(cat, "  Techs  ", false)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "Techs" || c.System || !c.Active || c.APIOnly || c.License != tm.License || c.Base != TeamMemberLevel || c.Flags != tm.Flags {
		t.Errorf("copy = %+v", c)
	}
	for _, e := range cat.Entities() {
		if c.Permission(e) != tm.Permission(e) {
			t.Errorf("%s: copy %v, source %v", e.Name, c.Permission(e), tm.Permission(e))
		}
	}
	if err := c.Editable(); err != nil {
		t.Errorf("a copy is read-only: %v", err)
	}
	if _, err := tm.Copy(cat, " ", false); err == nil {
		t.Error("a copy without a name")
	}
	if _, err := SystemLevel(ContractorLevel).Copy(cat, "x", false); err == nil {
		t.Error("Contractor was copied")
	}

	none, err := SystemLevel(APIUserLevel).Copy(cat, "Work 365 API User", true)
	if err != nil {
		t.Fatal(err)
	}
	if !none.APIOnly || none.License != LicenseAPIUser || none.Flags != (Flags{}) {
		t.Errorf("no-permission copy: %+v", none)
	}
	for _, e := range cat.Entities() {
		if none.Permission(e) != NoPermission {
			t.Fatalf("%s: %v after No Permission everywhere", e.Name, none.Permission(e))
		}
	}
	// Grant what one integration needs, as the Work 365 article does.
	if err := none.SetSection(cat, "service desk", true); err != nil {
		t.Fatal(err)
	}
	if none.Permission(tickets) != Full || none.Permission(cat.MustEntity("TicketNotes")) != Full || none.Permission(companies) != NoPermission {
		t.Errorf("after Service Desk Full Permission: tickets %v, companies %v", none.Permission(tickets), none.Permission(companies))
	}
	if err := none.SetObject(cat, "Companies", Permission{View: All}); err != nil {
		t.Fatal(err)
	}
	if none.Permission(companies) != (Permission{View: All}) || none.Permission(cat.MustEntity("CompanyLocations")) != (Permission{View: All}) {
		t.Errorf("companies %v", none.Permission(companies))
	}
	if err := none.SetObject(cat, "NoSuchObject", Full); err == nil {
		t.Error("an unknown object was set")
	}
	if err := none.SetSection(cat, "Nowhere", true); err == nil {
		t.Error("an unknown section was set")
	}
	if err := none.SetSection(cat, "Web Services API", true); err != nil || !none.Flags.CanImpersonate || !none.Flags.CanCreateWebhooks || none.Flags.MaxWebhooks != DefaultMaxWebhooks || none.Flags.AllowImpersonation {
		t.Errorf("Web Services API Full Permission on an API-only level: %+v %v", none.Flags, err)
	}
	if err := none.SetFlag(FlagAllowImpersonation, true); err == nil {
		t.Error("an API-only level was made impersonable")
	}
	if err := c.SetFlag(FlagImpersonate, true); err == nil {
		t.Error("a console level was allowed to impersonate")
	}
	if err := none.SetFlag("nonsense", true); err == nil {
		t.Error("an unknown setting was set")
	}
	if err := none.SetMaxWebhooks(0); err != nil || none.Flags.CanCreateWebhooks {
		t.Errorf("max 0 leaves webhooks on: %+v", none.Flags)
	}
	if err := SystemLevel(APIUserLevel).SetObject(cat, "Tickets", NoPermission); err == nil {
		t.Error("a system level was changed")
	}

	// The stored form round-trips, and an object the copy has no row for falls back to its base.
	def, err := none.MarshalDefinition()
	if err != nil {
		t.Fatal(err)
	}
	back, err := CustomLevel(101, none.Name, true, true, LicenseAPIUser, none.Base, def)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range cat.Entities() {
		if back.Permission(e) != none.Permission(e) {
			t.Fatalf("%s: %v after a round trip, %v before", e.Name, back.Permission(e), none.Permission(e))
		}
	}
	sparse, _ := CustomLevel(102, "sparse", false, true, LicenseFull, ManagerLevel, `{"objects":{"Tickets":{"view":"Mine","add":false,"edit":"None","delete":"None"}},"flags":{}}`)
	if sparse.Permission(tickets) != (Permission{View: Mine}) || sparse.Permission(resources) != SystemLevel(ManagerLevel).Permission(resources) {
		t.Errorf("sparse copy: tickets %v, resources %v", sparse.Permission(tickets), sparse.Permission(resources))
	}
}

func TestLevelNames(t *testing.T) {
	for _, c := range []struct {
		level, typed string
		want         bool
	}{
		{"API User (system) (API-only)", "API User (system)", true},
		{"API User (system) (API-only)", "api user", true},
		{"API User (system) Can't Read Costs (API-only)", "API User (system) Can’t Read Costs", true},
		{"API User (system) Can't Read Costs (API-only)", "API User (system)", false},
		{"Team Member (system)", "team  member", true},
		{"Work 365 API User", "work 365 api user", true},
		{"Work 365 API User", "Work 365", false},
	} {
		if got := MatchesName(c.level, c.typed); got != c.want {
			t.Errorf("MatchesName(%q, %q) = %v", c.level, c.typed, got)
		}
	}
}

func TestParseScope(t *testing.T) {
	for in, want := range map[string]Scope{"all": All, "ALL": All, "mine": Mine, "mine-companies": MineAndCompanies, "Mine + Companies": MineAndCompanies,
		"my-companies": MyCompanies, "My Companies": MyCompanies, "none": None} {
		got, err := ParseScope(in)
		if err != nil || got != want {
			t.Errorf("ParseScope(%q) = %v, %v; want %v", in, got, err, want)
		}
		var back Scope
		text, _ := want.MarshalText()
		if err := back.UnmarshalText(text); err != nil || back != want {
			t.Errorf("%v does not round-trip: %v %v", want, back, err)
		}
	}
	if _, err := ParseScope("some"); err == nil {
		t.Error(`ParseScope("some") accepted`)
	}
	p := Permission{View: Mine, Add: true, Edit: MyCompanies, Delete: None}
	if p.Scope(View) != Mine || p.Scope(Add) != All || p.Scope(Edit) != MyCompanies || p.Scope(Delete) != None || (Permission{}).Scope(Add) != None {
		t.Errorf("Scope: %v", p)
	}
}
