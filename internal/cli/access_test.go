package cli

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/server"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// The seed articles' flows, run as an administrator would script them with the CLI, then used
// by an integration through the REST API of a server on the same database.

// runJSON runs a command that prints JSON and decodes it.
func runJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	out, _, err := run(t, args...)
	if err != nil {
		t.Fatalf("switchboard %s: %v", strings.Join(args, " "), errorText(err))
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("switchboard %s printed %q: %v", strings.Join(args, " "), out, err)
	}
}

// mustFail runs a command that must fail with a message containing want.
func mustFail(t *testing.T, want string, args ...string) {
	t.Helper()
	if _, _, err := run(t, args...); err == nil || !strings.Contains(errorText(err), want) {
		t.Errorf("switchboard %s: %v; want an error saying %q", strings.Join(args, " "), err, want)
	}
}

// apiServer serves the REST API over the database the CLI writes.
func apiServer(t *testing.T, db string) string {
	t.Helper()
	st, err := store.Open(context.Background(), db, catalog.Default)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	h, _ := server.New(admin.New(st), server.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

type apiCreds struct {
	Username, Secret, IntegrationCode, SecurityLevel, Vendor string
	ResourceID                                               int64
}

// demoCreds reads the demo API user's credentials that serve writes into its data directory.
func demoCreds(t *testing.T, dir string) apiCreds {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "demo-credentials.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c apiCreds
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// apiRequest is a REST request as the API user c to the server at base.
func apiRequest(base string, c apiCreds, method, path, body string) *http.Request {
	req, _ := http.NewRequest(method, base+"/ATServicesRest/V1.0"+path, strings.NewReader(body))
	req.Header.Set("UserName", c.Username)
	req.Header.Set("Secret", c.Secret)
	req.Header.Set("ApiIntegrationCode", c.IntegrationCode)
	req.Header.Set("Content-Type", "application/json")
	return req
}

func callAPI(t *testing.T, base string, c apiCreds, method, path, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(apiRequest(base, c, method, path, body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func TestSeedFlowsThroughTheCLI(t *testing.T) {
	for name, db := range databases(t) {
		t.Run(name, func(t *testing.T) {
			d := func(args ...string) []string { return append(args, "--database", db) }
			tn := "Seed MSP"
			T := func(args ...string) []string { return d(append(args, "--tenant", tn)...) }
			var created struct{ Tenant, Username string }
			runJSON(t, &created, d("tenant", "create", tn, "--json")...)
			var vendors []struct {
				Name, Code, Kind string
				Active           bool
			}
			runJSON(t, &vendors, T("vendor", "list", "--json")...)
			codes := map[string]string{}
			for _, v := range vendors {
				codes[v.Name] = v.Code
			}
			for _, want := range []string{"Workspace 365 - Cloud Service Delivery", "MSPintegrations - Email2AT", "Datto File Protection & Datto Workplace", "Work 365 Sync", "IT Glue - Documentation Management"} {
				if len(codes[want]) != 27 {
					t.Fatalf("the vendor list lacks %q: %v", want, codes)
				}
			}
			base := apiServer(t, db)

			// Workspace 365 (seed 000): New API User, "Can't Read Costs", primary internal
			// location, Generate Key and Secret, the vendor, a line of business.
			for _, args := range [][]string{{"lob", "enable"}, {"lob", "division", "add", "East"}, {"lob", "line", "add", "Managed Services"},
				{"lob", "associate", "--division", "East", "--line", "Managed Services"}} {
				if _, _, err := run(t, T(args...)...); err != nil {
					t.Fatalf("%v: %v", args, errorText(err))
				}
			}
			var ws apiCreds
			runJSON(t, &ws, T("apiuser", "create", "--security-level", "API User (system) Can’t Read Costs", "--vendor", "Workspace 365 – Cloud Service Delivery",
				"--first-name", "Workspace", "--last-name", "365", "--email", "w365@seed.example", "--location", "1", "--lob", "East/Managed Services", "--json")...)
			if len(ws.Username) != 15 || len(ws.Secret) != 25 || ws.IntegrationCode != codes["Workspace 365 - Cloud Service Delivery"] ||
				ws.SecurityLevel != "API User (system) Can't Read Costs (API-only)" || ws.Vendor != "Workspace 365 - Cloud Service Delivery" {
				t.Errorf("Workspace 365 API user: %+v", ws)
			}
			if st, m := callAPI(t, base, ws, "GET", "/Resources/1", ""); st != 200 || m["item"].(map[string]any)["internalCost"] != nil {
				t.Errorf("Workspace 365 reads resource 1: %d %v", st, m)
			}
			wrong := ws
			wrong.IntegrationCode = codes["Zapier"]
			if st, m := callAPI(t, base, wrong, "GET", "/Companies/0", ""); st != 500 || !strings.Contains(m["errors"].([]any)[0].(string), "IntegrationCode is invalid") {
				t.Errorf("another vendor's code: %d %v", st, m)
			}

			// MSPintegrations (seed 001): New API User with API User (system) and their vendor;
			// then the older way, a resource with a typed username and password.
			var msp apiCreds
			runJSON(t, &msp, T("apiuser", "create", "--security-level", "API User (system)", "--vendor", "MSPintegrations – Email2AT",
				"--first-name", "MSPintegrations", "--last-name", "API", "--email", "mspintegrations@yourdomain.com", "--json")...)
			if st, _ := callAPI(t, base, msp, "POST", "/Tickets", `{"companyID":0,"title":"From email","status":1,"priority":2}`); st != 200 {
				t.Errorf("MSPintegrations creates a ticket: %d", st)
			}
			var res struct {
				ID                         int64
				APIOnly                    bool
				IntegrationCode, Vendor    string
				Departments                []map[string]any
				Queues, TimesheetApprovers []int64
				ExpenseApprovers           []int64
				InternalCost               *float64
			}
			runJSON(t, &res, T("resource", "create", "--first-name", "MSPintegrations", "--last-name", "Legacy", "--email", "mspintegrations@yourdomain.com",
				"--username", "mspintegrations1", "--password", "Str0ng!Passw0rd", "--security-level", "API User (system)", "--vendor", "MSPintegrations - Email2AT",
				"--location", "Headquarters", "--internal-cost", "0", "--department", "Service Desk:Technician", "--queue", "Level I Support",
				"--timesheet-approver", "1", "--expense-approver", "1", "--json")...)
			if !res.APIOnly || res.IntegrationCode != codes["MSPintegrations - Email2AT"] || len(res.Departments) != 1 || len(res.Queues) != 1 ||
				len(res.TimesheetApprovers) != 1 || len(res.ExpenseApprovers) != 1 || res.InternalCost == nil {
				t.Errorf("the typed-credentials resource: %+v", res)
			}
			typed := apiCreds{Username: "mspintegrations1", Secret: "Str0ng!Passw0rd", IntegrationCode: res.IntegrationCode}
			if st, m := callAPI(t, base, typed, "GET", "/Companies/0", ""); st != 200 {
				t.Errorf("the typed credentials: %d %v", st, m)
			}
			mustFail(t, "already in use", T("apiuser", "create", "--username", "MSPINTEGRATIONS1")...)

			// Workplace (seed 002): typed username, generated secret.
			var wp apiCreds
			runJSON(t, &wp, T("apiuser", "create", "--username", "dattoworkplace1", "--vendor", "Datto File Protection & Datto Workplace", "--json")...)
			if wp.Username != "dattoworkplace1" || len(wp.Secret) != 25 {
				t.Errorf("Workplace: %+v", wp)
			}
			mustFail(t, "must not contain", T("apiuser", "create", "--username", "datto(workplace)1")...)

			// Work 365 (seed 003): copy API User (system), No Permission everywhere, grant what the
			// integration needs, then an API user with the copy and the Work 365 Sync vendor.
			var level struct {
				Name            string
				APIOnly, System bool
			}
			runJSON(t, &level, T("securitylevel", "copy", "API User (system) (API-only)", "--name", "Work 365 API User", "--no-permission", "--json")...)
			if !level.APIOnly || level.System {
				t.Errorf("the copy: %+v", level)
			}
			for _, args := range [][]string{
				{"securitylevel", "set", "Work 365 API User", "--section", "Service Desk", "--full-permission"},
				{"securitylevel", "set", "Work 365 API User", "--object", "Companies", "--view", "all", "--add", "no", "--edit", "none", "--delete", "none"},
				{"securitylevel", "set", "Work 365 API User", "--object", "Contracts", "--view", "all"},
				{"securitylevel", "set", "Work 365 API User", "--can-view-costs", "no", "--webhooks", "yes", "--max-webhooks", "3"},
			} {
				if _, _, err := run(t, T(args...)...); err != nil {
					t.Fatalf("%v: %v", args, errorText(err))
				}
			}
			var grid struct {
				Flags struct {
					CanCreateWebhooks bool
					MaxWebhooks       int
				}
				Sections map[string]map[string]struct {
					View, Edit string
					Add        bool
				}
			}
			runJSON(t, &grid, T("securitylevel", "show", "Work 365 API User", "--json")...)
			if grid.Sections["Service Desk"]["Tickets"].View != "All" || !grid.Sections["Service Desk"]["Tickets"].Add || grid.Sections["CRM"]["Companies"].View != "All" ||
				grid.Sections["CRM"]["Companies"].Add || grid.Sections["CRM"]["Contacts"].View != "None" || grid.Flags.MaxWebhooks != 3 {
				t.Errorf("the Work 365 level: %+v", grid)
			}
			var levels []struct {
				Name   string
				System bool
			}
			runJSON(t, &levels, T("securitylevel", "list", "--json")...)
			if len(levels) != 13 || levels[12].Name != "Work 365 API User" || !levels[0].System {
				t.Errorf("securitylevel list: %+v", levels)
			}
			var w365 apiCreds
			runJSON(t, &w365, T("apiuser", "create", "--security-level", "Work 365 API User", "--vendor", "Work 365 Sync", "--json")...)
			if st, _ := callAPI(t, base, w365, "POST", "/Tickets/query", `{"filter":[{"op":"exist","field":"id"}]}`); st != 200 {
				t.Errorf("Work 365 queries tickets: %d", st)
			}
			if st, m := callAPI(t, base, w365, "POST", "/Companies", `{"companyName":"x","companyType":1,"phone":"1","ownerResourceID":1}`); st != 403 {
				t.Errorf("Work 365 creates a company: %d %v", st, m)
			}
			if st, m := callAPI(t, base, w365, "POST", "/Contacts/query", `{"filter":[{"op":"exist","field":"id"}]}`); st != 200 || len(m["items"].([]any)) != 0 {
				t.Errorf("Work 365 queries contacts: %d %v", st, m)
			}
			if _, m := callAPI(t, base, w365, "GET", "/Resources/entityInformation", ""); m["info"].(map[string]any)["userAccessForQuery"] != "None" {
				t.Errorf("Work 365 resources access: %v", m)
			}
			mustFail(t, "system security level", T("securitylevel", "set", "API User (system)", "--object", "Tickets", "--view", "none")...)
			mustFail(t, "cannot be copied", T("securitylevel", "copy", "Dashboard User", "--name", "Dash")...)
			mustFail(t, "cannot be deactivated", T("securitylevel", "deactivate", "API User (system)")...)
			mustFail(t, "not an active API-only", T("apiuser", "create", "--security-level", "Team Member")...)
			mustFail(t, "not both", T("apiuser", "create", "--vendor", "Zapier", "--custom")...)

			// Secrets: regenerate, lockout and unlock, all by script.
			var again apiCreds
			runJSON(t, &again, T("apiuser", "regenerate-secret", w365.Username, "--json")...)
			// The server learns of changes the CLI makes within its poll interval (a second).
			deadline := time.Now().Add(3 * time.Second)
			for {
				st, _ := callAPI(t, base, w365, "GET", "/Companies/0", "")
				if st == 401 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the old secret still works after regenerate-secret: %d", st)
				}
				time.Sleep(50 * time.Millisecond)
			}
			w365.Secret = again.Secret
			if st, _ := callAPI(t, base, w365, "GET", "/Companies/0", ""); st != 200 {
				t.Errorf("the new secret: %d", st)
			}
			var settings struct{ LockoutThreshold int64 }
			runJSON(t, &settings, d("tenant", "settings", tn, "--lockout-threshold", "2", "--json")...)
			bad := w365
			bad.Secret = "not-the-secret"
			callAPI(t, base, bad, "GET", "/Companies/0", "")
			callAPI(t, base, bad, "GET", "/Companies/0", "")
			var user struct {
				Locked       bool
				FailedLogins int64
			}
			runJSON(t, &user, T("apiuser", "show", w365.Username, "--json")...)
			if !user.Locked {
				t.Errorf("after 2 failures at threshold 2: %+v", user)
			}
			var failures []struct{ RemoteAddr string }
			runJSON(t, &failures, T("apiuser", "failures", w365.Username, "--json")...)
			if len(failures) != 3 || failures[0].RemoteAddr != "127.0.0.1" { // the old secret once, then two wrong ones
				t.Errorf("failures: %+v", failures)
			}
			runJSON(t, &user, T("apiuser", "unlock", w365.Username, "--json")...)
			if user.Locked || user.FailedLogins != 0 {
				t.Errorf("after unlock: %+v", user)
			}

			// A console resource with a typed username and password under the strong policy.
			runJSON(t, &settings, d("tenant", "settings", tn, "--strong-passwords", "yes", "--json")...)
			mustFail(t, "strong password", T("resource", "create", "--first-name", "Jo", "--last-name", "Doe", "--email", "jo@seed.example",
				"--username", "jdoe", "--password", "plainpassword", "--security-level", "Team Member", "--location", "1")...)
			mustFail(t, "primary internal location", T("resource", "create", "--first-name", "Jo", "--last-name", "Doe", "--email", "jo@seed.example",
				"--username", "jdoe", "--password", "Jo!e-Doe-99", "--security-level", "Team Member")...)
			var jo struct {
				ID           int64
				ConsoleLogin bool `json:"canSignIn"`
				Active       bool `json:"isActive"`
				LicenseType  string
			}
			runJSON(t, &jo, T("resource", "create", "--first-name", "Jo", "--last-name", "Doe", "--email", "jo@seed.example", "--username", "jdoe",
				"--password", "Jo!e-Doe-99", "--security-level", "Team Member", "--location", "1", "--department", "1:1", "--queue", "8",
				"--lob", "East/Managed Services", "--json")...)
			if !jo.ConsoleLogin || !jo.Active || jo.LicenseType != "Team Member" {
				t.Errorf("the console resource: %+v", jo)
			}
			mustFail(t, "differ from the last", T("resource", "edit", "jdoe", "--password", "Jo!e-Doe-99")...)
			runJSON(t, &jo, T("resource", "deactivate", "jdoe", "--json")...)
			if jo.Active {
				t.Error("jdoe is still active")
			}
			var all []struct{ UserName string }
			runJSON(t, &all, T("resource", "list", "--json")...)
			if len(all) < 6 {
				t.Errorf("resource list: %+v", all)
			}
			// Usernames are unique across tenants, inactive resources included.
			if _, _, err := run(t, d("tenant", "create", "Second MSP")...); err != nil {
				t.Fatal(err)
			}
			mustFail(t, "already in use", d("resource", "create", "--tenant", "Second MSP", "--first-name", "J", "--last-name", "D", "--email", "j@x.example",
				"--username", "JDOE", "--security-level", "Team Member", "--location", "1")...)
			// The vendor list by script.
			var v struct{ Code string }
			runJSON(t, &v, T("vendor", "add", "Acme PSA Sync", "--json")...)
			if _, _, err := run(t, T("vendor", "disable", "Acme PSA Sync")...); err != nil {
				t.Error(errorText(err))
			}
			mustFail(t, "disabled", T("apiuser", "create", "--vendor", "Acme PSA Sync")...)
		})
	}
}
