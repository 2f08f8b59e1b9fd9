package cli

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-psa/switchboard/autotask"
	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// atArgs are the flags that point `switchboard at` at env with the API user's credentials,
// finding the zone by discovery as against a real Autotask.
func atArgs(env *testsupport.Env) []string {
	return []string{"--username", env.Creds.Username, "--secret", env.Creds.Secret, "--integration-code", env.Creds.IntegrationCode,
		"--discovery-url", env.URL("/")}
}

// at runs `switchboard at ARGS…` against env.
func at(t *testing.T, env *testsupport.Env, args ...string) (string, string, error) {
	t.Helper()
	all := append([]string{"at"}, args...)
	return run(t, append(all, atArgs(env)...)...)
}

func mustAt(t *testing.T, env *testsupport.Env, args ...string) string {
	t.Helper()
	out, errOut, err := at(t, env, args...)
	if err != nil {
		t.Fatalf("switchboard at %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// seedTickets adds n tickets titled "Bulk 0001"… to env's tenant through the PSA service.
func seedTickets(t *testing.T, env *testsupport.Env, n int) {
	t.Helper()
	e := env.PSA.Catalog.MustEntity("Tickets")
	for i := 1; i <= n; i++ {
		in := psa.NewInput()
		in.Set[e.Index("companyID")] = int64(0)
		in.Set[e.Index("title")] = fmt.Sprintf("Bulk %04d", i)
		in.Set[e.Index("status")] = int64(1 + 7*(i%2)) // 1 and 8
		in.Set[e.Index("priority")] = int64(2)
		if _, err := env.PSA.Create(env.Ctx(), e, in, nil); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAtCommands(t *testing.T) {
	t.Parallel()
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			env := testsupport.Start(t, b, true)

			out := mustAt(t, env, "zone")
			if !strings.Contains(out, "Zone:      Switchboard") || !strings.Contains(out, env.URL("/ATServicesRest/")) {
				t.Errorf("at zone:\n%s", out)
			}
			if out := mustAt(t, env, "thresholds"); !strings.Contains(out, "of 10000 requests used in the last 60 minutes") {
				t.Errorf("at thresholds: %s", out)
			}

			// create, get, update, child collections, delete.
			id := strings.TrimSpace(mustAt(t, env, "create", "Tickets", "--data", `{"companyID":0,"title":"VPN down","status":1,"priority":2}`))
			if _, err := strconv.ParseInt(id, 10, 64); err != nil {
				t.Fatalf("at create printed %q", id)
			}
			var got struct {
				Title        string
				Status       int
				TicketNumber string
			}
			if err := json.Unmarshal([]byte(mustAt(t, env, "get", "Tickets", id)), &got); err != nil || got.Title != "VPN down" || got.TicketNumber == "" {
				t.Errorf("at get: %+v %v", got, err)
			}
			if out := mustAt(t, env, "update", "Tickets", id, "--data", `{"status":5}`); out != "Updated Tickets "+id+".\n" {
				t.Errorf("at update: %q", out)
			}
			_ = json.Unmarshal([]byte(mustAt(t, env, "get", "Tickets", id)), &got)
			if got.Status != 5 || got.Title != "VPN down" {
				t.Errorf("after update: %+v", got)
			}
			notePath := filepath.Join(t.TempDir(), "note.json")
			_ = os.WriteFile(notePath, []byte(`{"title":"Called the ISP","description":"Outage until 14:00","noteType":1,"publish":1}`), 0o600)
			noteID := strings.TrimSpace(mustAt(t, env, "create", "Tickets/"+id+"/Notes", "--data", "@"+notePath))
			if out := mustAt(t, env, "query", "Tickets/"+id+"/Notes"); !strings.Contains(out, `"title":"Called the ISP"`) || strings.Count(out, "\n") != 1 {
				t.Errorf("at query of a child collection:\n%s", out)
			}
			if out := mustAt(t, env, "get", "Tickets/"+id+"/Notes", noteID); !strings.Contains(out, `"title": "Called the ISP"`) {
				t.Errorf("at get of a child: %s", out)
			}
			contact := strings.TrimSpace(mustAt(t, env, "create", "Companies/0/Contacts", "--data", `{"firstName":"Ada","lastName":"Lovelace","isActive":1,"emailAddress":"ada@example.com"}`))
			if out := mustAt(t, env, "delete", "Companies/0/Contacts", contact); out != "Deleted Companies/0/Contacts "+contact+".\n" {
				t.Errorf("at delete: %q", out)
			}
			if _, _, err := at(t, env, "get", "Contacts", contact); err == nil || !strings.Contains(err.Error(), "not found") {
				t.Errorf("get a deleted contact: %v", err)
			}

			// query with flags and JSON, count, formats.
			out = mustAt(t, env, "query", "Companies", "--filter", "companyName beginsWith acme", "--include", "companyName,phone")
			if !strings.Contains(out, `"companyName":"Acme Dental Group"`) || strings.Count(out, "\n") != 1 || strings.Contains(out, "webAddress") {
				t.Errorf("at query --filter --include:\n%s", out)
			}
			out = mustAt(t, env, "query", "Companies", "--json", `{"filter":[{"op":"or","items":[{"op":"beginswith","field":"companyName","value":"Brightside"},{"op":"contains","field":"companyName","value":"law"}]}]}`, "--format", "json")
			var companies []struct{ CompanyName string }
			if err := json.Unmarshal([]byte(out), &companies); err != nil || len(companies) != 2 {
				t.Errorf("at query --json --format json: %v\n%s", err, out)
			}
			if out := mustAt(t, env, "count", "Companies", "--filter", `udf:"Customer Number" eq CUST-002`); out != "1\n" {
				t.Errorf("at count with a UDF filter: %q", out)
			}
			if out := mustAt(t, env, "count", "Tickets", "--filter", "status in 1,8", "--filter", "id gt 0"); out != "6\n" {
				t.Errorf("at count with in: %q", out)
			}
			out = mustAt(t, env, "query", "Companies", "--format", "csv", "--include", "companyName", "--filter", "id gt 0")
			rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
			if err != nil || len(rows) != 4 || strings.Join(rows[0], ",") != "id,companyName" || rows[1][1] != "Acme Dental Group" {
				t.Errorf("at query --format csv: %v\n%s", err, out)
			}

			// --max: a note on standard error only when items were left out, and no request for
			// a page that is not needed.
			before := env.Parts.Limits.InWindow(env.Tenant.ID)
			if out, errOut, err := at(t, env, "query", "Companies", "--max", "2"); err != nil || strings.Count(out, "\n") != 2 || !strings.Contains(errOut, "stopped at --max 2") {
				t.Errorf("query --max 2: %q %q %v", out, errOut, err)
			}
			if n := env.Parts.Limits.InWindow(env.Tenant.ID) - before; n != 1 {
				t.Errorf("query --max 2 made %d requests, want 1", n)
			}
			before = env.Parts.Limits.InWindow(env.Tenant.ID)
			if out, _, err := at(t, env, "query", "Tickets", "--max", "5", "--filter", "id gt 0"); err != nil || strings.Count(out, "\n") != 5 {
				t.Errorf("query --max 5: %q %v", out, err)
			}
			if n := env.Parts.Limits.InWindow(env.Tenant.ID) - before; n != 1 {
				t.Errorf("query --max 5 made %d requests, want 1", n)
			}
			if out, errOut, err := at(t, env, "query", "Companies", "--max", "4"); err != nil || strings.Count(out, "\n") != 4 || errOut != "" {
				t.Errorf("query --max 4 of 4: %q %q %v", out, errOut, err)
			}

			// fields with picklists and UDFs.
			out = mustAt(t, env, "fields", "Tickets")
			if !strings.Contains(out, "5=Complete") || !strings.Contains(out, "udf:Billable Minutes") || !strings.Contains(out, "→ Compan") {
				t.Errorf("at fields:\n%s", out)
			}

			// my-tickets: a contact's tickets, and a resource's, most recent first.
			out = mustAt(t, env, "my-tickets", "--email", "ERIN.EVANS@cedarlaw.example", "--json")
			var mine []myTicket
			if err := json.Unmarshal([]byte(out), &mine); err != nil || len(mine) != 2 || mine[0].As != "contact" || mine[0].StatusLabel == "" {
				t.Fatalf("my-tickets of a contact: %v\n%s", err, out)
			}
			if mine[0].recent().Before(mine[1].recent()) || mine[0].recent().Equal(mine[1].recent()) && mine[0].ID < mine[1].ID {
				t.Errorf("my-tickets not recent first: %+v", mine)
			}
			if out := mustAt(t, env, "my-tickets", "--email", "erin.evans@cedarlaw.example", "--days", "1"); strings.Count(out, "\n") != 3 {
				t.Errorf("my-tickets --days 1 (both tickets are from today):\n%s", out)
			}
			var admin struct{ Email string }
			_ = json.Unmarshal([]byte(mustAt(t, env, "get", "Resources", "1")), &admin)
			mustAt(t, env, "update", "Tickets", id, "--data", `{"assignedResourceID":1,"assignedResourceRoleID":1}`)
			out = mustAt(t, env, "my-tickets", "--email", admin.Email)
			if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 || !strings.Contains(lines[1], "VPN down") || !strings.Contains(lines[1], "resource") || !strings.Contains(lines[1], "Complete") {
				t.Errorf("my-tickets of a resource (%s):\n%s", admin.Email, out)
			}
			if _, _, err := at(t, env, "my-tickets", "--email", "nobody@example.com"); err == nil || !strings.Contains(err.Error(), `no contact or resource has the email address "nobody@example.com"`) {
				t.Errorf("my-tickets of an unknown address: %v", err)
			}
		})
	}
}

func TestAtExport(t *testing.T) {
	t.Parallel()
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			env := testsupport.Start(t, b, false)
			seedTickets(t, env, 1234)

			// The example: every ticket, one a line, on exactly the pages needed.
			out, errOut, err := at(t, env, "export", "Tickets", "--format", "jsonl", "--stats")
			if err != nil {
				t.Fatalf("export: %v\n%s", err, errOut)
			}
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if len(lines) != 1234 {
				t.Fatalf("export: %d lines, want 1234", len(lines))
			}
			seen := map[int64]bool{}
			for _, l := range lines {
				var tk struct {
					ID    int64
					Title string
				}
				if err := json.Unmarshal([]byte(l), &tk); err != nil || tk.Title == "" || seen[tk.ID] {
					t.Fatalf("export line %q: %v (or a repeated id)", l, err)
				}
				seen[tk.ID] = true
			}
			if !strings.Contains(errOut, "exported 1234 Tickets") || !strings.Contains(errOut, "3 pages; 4 requests (3 pages, 1 zone discovery)") {
				t.Errorf("export --stats: %q", errOut)
			}
			if strings.Contains(errOut, "\r") {
				t.Errorf("a progress bar when standard error is not a terminal: %q", errOut)
			}

			// CSV with a filter, to a file: every field as a column, UDFs too.
			path := filepath.Join(t.TempDir(), "tickets.csv")
			if _, errOut, err := at(t, env, "export", "Tickets", "--format", "csv", "--filter", "status eq 8", "--output", path); err != nil {
				t.Fatalf("export csv: %v\n%s", err, errOut)
			}
			f, _ := os.Open(path)
			rows, err := csv.NewReader(f).ReadAll()
			f.Close()
			if err != nil || len(rows) != 1+617 {
				t.Fatalf("export csv: %d rows, %v", len(rows), err)
			}
			col := map[string]int{}
			for i, c := range rows[0] {
				col[c] = i
			}
			if rows[0][0] != "id" || rows[1][col["status"]] != "8" || !strings.HasPrefix(rows[1][col["title"]], "Bulk ") || rows[1][col["ticketNumber"]] == "" {
				t.Errorf("export csv: header %v, first row %v", rows[0], rows[1])
			}
		})
	}
}

func TestAtBadInput(t *testing.T) {
	t.Parallel()
	env := testsupport.Start(t, testsupport.SQLite, false)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"export", "Tickets", "--format", "xml"}, `unknown format "xml"`},
		{[]string{"query", "Tickets", "--format", "yaml"}, `unknown format "yaml"`},
		{[]string{"query", "Tickets", "--filter", "status equals 1"}, `bad filter "status equals 1": unknown operator "equals"`},
		{[]string{"query", "Tickets", "--filter", "status eq"}, `bad filter "status eq": eq needs a value`},
		{[]string{"query", "Tickets", "--filter", "status"}, `bad filter "status": no operator`},
		{[]string{"query", "Tickets", "--filter", `title eq "unterminated`}, "bad quoted value"},
		{[]string{"query", "Tickets", "--filter", "description exist now"}, "exist takes no value"},
		{[]string{"query", "Tickets", "--filter", "priority in"}, "in needs a comma-separated list"},
		{[]string{"query", "Tickets", "--json", `{"filter":[{"op":"like","field":"title","value":"x"}]}`}, `unknown operator "like"`},
		{[]string{"query", "Tickets", "--json", `{"filters":[]}`}, "--json: not a query"},
		{[]string{"query", "Tickets/1/Notes", "--filter", "id gt 0"}, "without filters"},
		{[]string{"query", "Tickets", "--max", "-1"}, "--max -1"},
		{[]string{"query", "Tickets", "--filter", "noSuchField eq 1"}, "noSuchField"},
		{[]string{"get", "Tickets", "abc"}, `"abc" is not an id`},
		{[]string{"get", "Tickets/x/Notes", "1"}, "is not an entity"},
		{[]string{"create", "Tickets"}, "--data is required"},
		{[]string{"create", "Tickets", "--data", "[1,2]"}, "--data is not a JSON object"},
		{[]string{"create", "Tickets", "--data", "@/no/such/file.json"}, "no such file"},
		{[]string{"create", "Tickets", "--data", `{"title":"x"}`}, "Missing Required Field: companyID"},
		{[]string{"my-tickets", "--email", "not-an-address"}, "is not an email address"},
		{[]string{"delete", "Tickets", "1"}, "405"},
	}
	for _, tt := range tests {
		_, _, err := at(t, env, tt.args...)
		if err == nil || !strings.Contains(errorText(err), tt.want) {
			t.Errorf("at %s: %v, want an error saying %q", strings.Join(tt.args, " "), err, tt.want)
		}
	}

	// Credentials: each missing one is named; a wrong one says so.
	_, _, err := run(t, "at", "count", "Tickets", "--username", "someone")
	if err == nil || !strings.Contains(err.Error(), "missing credentials: set --secret or AUTOTASK_SECRET, --integration-code or AUTOTASK_INTEGRATION_CODE") {
		t.Errorf("missing credentials: %v", err)
	}
	_, _, err = run(t, "at", "count", "Tickets", "--username", env.Creds.Username, "--secret", "wrong", "--integration-code", env.Creds.IntegrationCode, "--base-url", env.URL("/"))
	if err == nil || !strings.Contains(err.Error(), "401") || strings.Contains(err.Error(), env.Creds.Secret) {
		t.Errorf("a wrong secret: %v", err)
	}
}

// TestAtEnvironment uses the AUTOTASK_* variables (so it cannot run in parallel).
func TestAtEnvironment(t *testing.T) {
	env := testsupport.Start(t, testsupport.SQLite, true)
	t.Setenv("AUTOTASK_USERNAME", env.Creds.Username)
	t.Setenv("AUTOTASK_SECRET", env.Creds.Secret)
	t.Setenv("AUTOTASK_INTEGRATION_CODE", env.Creds.IntegrationCode)
	t.Setenv("AUTOTASK_DISCOVERY_URL", env.URL("/ATServicesRest/"))
	if out, errOut, err := run(t, "at", "count", "Companies"); err != nil || out != "4\n" {
		t.Errorf("at count from the environment: %q %v %s", out, err, errOut)
	}
	// The base URL skips discovery: the discovery URL, where nothing listens, is not asked.
	t.Setenv("AUTOTASK_BASE_URL", env.URL("/"))
	t.Setenv("AUTOTASK_DISCOVERY_URL", "http://127.0.0.1:1/")
	if out, errOut, err := run(t, "at", "count", "Companies"); err != nil || out != "4\n" {
		t.Errorf("at count with AUTOTASK_BASE_URL: %q %v %s", out, err, errOut)
	}
	// A flag wins over the environment.
	if _, _, err := run(t, "at", "count", "Companies", "--integration-code", "NOTTHECODE"); err == nil || !strings.Contains(err.Error(), "IntegrationCode is invalid") {
		t.Errorf("--integration-code over AUTOTASK_INTEGRATION_CODE: %v", err)
	}
}

func TestConnectionCommands(t *testing.T) {
	t.Parallel()
	env := testsupport.Start(t, testsupport.SQLite, true)
	for name, db := range databases(t) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			base := []string{"--data-dir", dir, "--database", db}
			conn := func(args ...string) (string, string, error) {
				return run(t, append(append([]string{"connection"}, args...), base...)...)
			}
			out, errOut, err := conn("add", "Local", "--username", env.Creds.Username, "--secret", env.Creds.Secret,
				"--integration-code", env.Creds.IntegrationCode, "--discovery-url", env.URL("/"), "--test")
			if err != nil || !strings.Contains(out, `Connection "Local" saved`) || !strings.Contains(out, "Connection was established (zone Switchboard") {
				t.Fatalf("connection add --test: %q %v %s", out, err, errOut)
			}
			if strings.Contains(out+errOut, env.Creds.Secret) {
				t.Errorf("the secret was printed: %s", out)
			}
			if fi, err := os.Stat(filepath.Join(dir, "secret.key")); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("key file: %v %v", fi, err)
			}
			// The secret is neither in the database nor anywhere in the data directory in clear.
			if name == "sqlite" {
				raw, _ := os.ReadFile(db)
				if strings.Contains(string(raw), env.Creds.Secret) {
					t.Error("the secret is in the database file")
				}
			}

			if out, _, err := conn("test", "local"); err != nil || !strings.HasPrefix(out, "Connection was established") {
				t.Errorf("connection test: %q %v", out, err)
			}
			// `at` with the connection.
			if out, errOut, err := run(t, append([]string{"at", "count", "Companies", "--connection", "Local"}, base...)...); err != nil || out != "4\n" {
				t.Errorf("at --connection: %q %v %s", out, err, errOut)
			}

			// The secret changes: the connection fails, with the reason, until it is replaced.
			if _, _, err := conn("add", "Local", "--username", env.Creds.Username, "--secret", "changed", "--integration-code", env.Creds.IntegrationCode, "--discovery-url", env.URL("/")); err == nil || !strings.Contains(err.Error(), "--replace") {
				t.Errorf("add over an existing name: %v", err)
			}
			if _, _, err := conn("add", "Local", "--replace", "--username", env.Creds.Username, "--secret", "changed", "--integration-code", env.Creds.IntegrationCode, "--discovery-url", env.URL("/")); err != nil {
				t.Fatal(err)
			}
			out, _, err = conn("test", "Local")
			if err == nil || out != "" || errorText(err) != "Failed to establish connection: wrong secret (Authentication failed: the username or secret is not valid.)" {
				t.Errorf("test with a wrong secret: %q %v", out, err)
			}
			out, _, err = conn("test", "Local", "--json")
			var r struct {
				OK              bool
				Message, Reason string
			}
			if err == nil || json.Unmarshal([]byte(out), &r) != nil || r.OK || r.Reason != "wrong secret" || r.Message != "Failed to establish connection" {
				t.Errorf("test --json: %q %v", out, err)
			}
			if _, _, err := conn("add", "Typo", "--username", env.Creds.Username, "--secret", "x", "--integration-code", "WRONG", "--base-url", env.URL("/")); err != nil {
				t.Fatal(err)
			}
			if _, _, err := conn("test", "Typo"); err == nil || !strings.Contains(err.Error(), "Failed to establish connection: wrong secret") {
				t.Errorf("test Typo: %v", err)
			}

			out, _, err = conn("list")
			if err != nil || !strings.Contains(out, "Local") || !strings.Contains(out, "Failed to establish connection: wrong secret") || !strings.Contains(out, env.URL("/")) {
				t.Errorf("connection list:\n%s %v", out, err)
			}
			out, _, err = conn("list", "--json")
			var list []map[string]any
			if err != nil || json.Unmarshal([]byte(out), &list) != nil || len(list) != 2 || strings.Contains(out, "changed") || strings.Contains(out, `"secret`) {
				t.Errorf("connection list --json: %s %v", out, err)
			}
			if out, _, err := conn("remove", "typo"); err != nil || out != "Connection \"Typo\" removed.\n" {
				t.Errorf("remove: %q %v", out, err)
			}
			if _, _, err := conn("remove", "Typo"); err == nil || !strings.Contains(err.Error(), `no connection named "Typo"`) {
				t.Errorf("remove twice: %v", err)
			}
			if _, _, err := run(t, append([]string{"at", "zone", "--connection", "Typo"}, base...)...); err == nil || !strings.Contains(err.Error(), `no connection named "Typo"`) {
				t.Errorf("at --connection with a removed name: %v", err)
			}
			if _, _, err := conn("add", "NoSecret", "--username", "u", "--integration-code", "c"); err == nil || !strings.Contains(err.Error(), "secret is required") {
				t.Errorf("add without a secret: %v", err)
			}
			// --secret - reads it from standard input; SWITCHBOARD_SECRET_KEY-less runs keep using the file.
			var stdout, stderr strings.Builder
			root := NewRoot(&stdout, &stderr)
			root.SetIn(strings.NewReader(env.Creds.Secret + "\n"))
			root.SetArgs(append([]string{"connection", "add", "Piped", "--secret", "-", "--username", env.Creds.Username, "--integration-code", env.Creds.IntegrationCode, "--base-url", env.URL("/"), "--test"}, base...))
			if err := root.Execute(); err != nil || !strings.Contains(stdout.String(), "Connection was established") {
				t.Errorf("add --secret -: %v %s %s", err, stdout.String(), stderr.String())
			}
		})
	}
}

func TestProgressLine(t *testing.T) {
	t.Parallel()
	got := progressLine("Tickets", 450000, 1000000, 50*time.Second, 20)
	want := "Tickets [=========>          ]  45% 450,000/1,000,000 9,000/s ETA 1m1s "
	if got != want {
		t.Errorf("progressLine:\n got %q\nwant %q", got, want)
	}
	if got := progressLine("Tickets", 1234, 0, 2*time.Second, 20); got != "Tickets 1,234 items 617/s 2s" {
		t.Errorf("without a total: %q", got)
	}
	if got := progressLine("Tickets", 4000, 10000, time.Second, 4); !strings.HasSuffix(got, "ETA 2s ") {
		t.Errorf("ETA of 6,000 items at 4,000/s: %q", got)
	}
	if got := progressLine("Tickets", 10, 10, time.Second, 4); !strings.Contains(got, "[====] 100%") {
		t.Errorf("done: %q", got)
	}
}

// cancelingWriter cancels the export's context on its first write, as Ctrl-C would mid-way.
type cancelingWriter struct {
	cancel context.CancelFunc
	n      int
}

func (w *cancelingWriter) Write(p []byte) (int, error) {
	w.cancel()
	w.n += len(p)
	return len(p), nil
}

func TestAtExportInterrupted(t *testing.T) {
	t.Parallel()
	env := testsupport.Start(t, testsupport.SQLite, false)
	seedTickets(t, env, 1500) // more than the 1 MiB output buffer holds, so it is written mid-way
	c, err := autotask.New(autotask.Config{Username: env.Creds.Username, Secret: env.Creds.Secret, IntegrationCode: env.Creds.IntegrationCode, BaseURL: env.URL("/")})
	if err != nil {
		t.Fatal(err)
	}
	a := &app{out: io.Discard, errOut: io.Discard}
	// The stream may notice the cancellation as a failed request or as its context ending (a
	// select picks one at random): repeat so that both ways are taken.
	for range 8 {
		ctx, cancel := context.WithCancel(context.Background())
		w := &cancelingWriter{cancel: cancel}
		st := &exportStats{start: time.Now()}
		err = a.runQuery(ctx, &atSession{c: c, count: &requestCounter{}}, target{entity: "Tickets"}, autotask.NewQuery(), "jsonl", 0, w, nil, st)
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("an interrupted export returned %v after %d items, want context.Canceled", err, st.items.Load())
		}
		if w.n == 0 || st.items.Load() >= 1500 {
			t.Errorf("wrote %d bytes, %d items", w.n, st.items.Load())
		}
	}
}

func TestCSVWriterKeysInAnyCase(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	bw := bufio.NewWriter(&b)
	w, err := newCSVWriter(bw, []string{"id", "title", "udf:Billable Minutes"})
	if err != nil {
		t.Fatal(err)
	}
	for _, item := range []string{
		`{"id":1,"title":"camel","userDefinedFields":[{"name":"Billable Minutes","value":"15"}]}`,
		`{"Id":2,"Title":"Pascal, with a comma","UserDefinedFields":[{"Name":"billable minutes","Value":30}]}`,
		`{"id":3,"title":null}`,
	} {
		if err := w.write(json.RawMessage(item)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.close(); err != nil {
		t.Fatal(err)
	}
	want := "id,title,udf:Billable Minutes\n1,camel,15\n2,\"Pascal, with a comma\",30\n3,,\n"
	if b.String() != want {
		t.Errorf("csv:\n%s\nwant:\n%s", b.String(), want)
	}
}
