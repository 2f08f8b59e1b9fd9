package sync_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/sync"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// refuseDefaultCIType makes the local database refuse a configuration item type named
// "Default" in the env's tenant, as a broken or locked-down target would; attempts returns how
// often one was tried (PostgreSQL only, where a sequence outlives the rolled-back insert; -1 on
// SQLite). allow lifts the refusal.
func refuseDefaultCIType(t *testing.T, env *testsupport.Env) (attempts func() int64, allow func()) {
	t.Helper()
	db := env.PSA.DB.SQL()
	name := "refuse_default_" + testsupport.RandomHex(4)
	var stmts, drop []string
	switch env.Backend {
	case testsupport.SQLite:
		stmts = []string{fmt.Sprintf(`CREATE TRIGGER %s BEFORE INSERT ON configuration_item_types
			WHEN NEW.tenant_id = %d AND NEW.name = 'Default'
			BEGIN SELECT RAISE(ABORT, 'configuration item types are locked'); END`, name, env.Tenant.ID)}
		drop = []string{"DROP TRIGGER " + name}
	case testsupport.Postgres:
		stmts = []string{
			"CREATE SEQUENCE " + name,
			fmt.Sprintf(`CREATE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS $$
				BEGIN PERFORM nextval('%s'); RAISE EXCEPTION 'configuration item types are locked'; END $$`, name, name),
			fmt.Sprintf(`CREATE TRIGGER %s BEFORE INSERT ON configuration_item_types FOR EACH ROW
				WHEN (NEW.tenant_id = %d AND NEW.name = 'Default') EXECUTE FUNCTION %s()`, name, env.Tenant.ID, name),
		}
		drop = []string{"DROP TRIGGER " + name + " ON configuration_item_types", "DROP FUNCTION " + name + "()"}
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	dropped := false
	allow = func() {
		if dropped {
			return
		}
		dropped = true
		for _, s := range drop {
			if _, err := db.Exec(s); err != nil {
				t.Error(err)
			}
		}
	}
	t.Cleanup(allow)
	attempts = func() int64 {
		if env.Backend != testsupport.Postgres {
			return -1
		}
		var n int64
		if err := db.QueryRow("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM " + name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	return attempts, allow
}

// TestDefaultCITypeRefused: when the local type "Default" cannot be made, a run tries once, and
// each configuration item without a type fails with the same reason; typed ones still come
// over, and the next run, once the type can be made, copies the rest.
func TestDefaultCITypeRefused(t *testing.T) {
	each(t, func(t *testing.T, b testsupport.Backend) {
		p := newPair(t, b)
		logs := &lockedBuffer{}
		p.svc.Logger = slog.New(slog.NewJSONHandler(logs, nil))
		acme := findBy(t, p.remote, "Companies", "companyName", "Acme Dental Group")
		product := rows(t, p.remote, "Products")[0].Values[0].(int64)
		typed := len(rows(t, p.remote, "ConfigurationItems"))
		for i := range 3 {
			create(t, p.remote, "ConfigurationItems", nil, map[string]any{"companyID": acme, "productID": product, "isActive": true, "referenceTitle": fmt.Sprintf("untyped %d", i)})
		}
		attempts, allow := refuseDefaultCIType(t, p.local)
		job := p.add(t, sync.AddInput{})
		st, err := p.svc.Run(context.Background(), job, sync.RunOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ci := counts(st, "ConfigurationItems")
		if st.State != sync.StateErrors || ci.Failed != 3 || ci.Created != typed || len(st.Errors) != 3 {
			t.Fatalf("run: %s %+v %+v", st.Line(), ci, st.Errors)
		}
		want := `no local configuration item type "Default" for configuration items without one: `
		for _, e := range st.Errors {
			if e.Entity != "ConfigurationItems" || e.Reason != st.Errors[0].Reason || !strings.HasPrefix(e.Reason, want) ||
				!strings.Contains(e.Reason, "configuration item types are locked") {
				t.Errorf("error %q", e.String())
			}
		}
		j, _ := p.svc.Get(context.Background(), job)
		if j.Status.State != sync.StateErrors || len(j.Status.Errors) != 3 || !strings.Contains(j.Status.Errors[2].String(), want) {
			t.Errorf("stored status: %s %v", j.Status.Line(), j.Status.Errors)
		}
		if l := logs.entries("finding or making the local configuration item type failed"); len(l) != 1 || !strings.Contains(fmt.Sprint(l[0]["error"]), "configuration item types are locked") {
			t.Errorf("the failure was logged %d times (%v), want once a run", len(l), l)
		}
		if n := attempts(); n != 1 && n != -1 {
			t.Errorf("the type was tried %d times, want once a run", n)
		}

		// The next run asks again, and copies what failed.
		allow()
		st = p.run(t, job, false)
		if c := counts(st, "ConfigurationItems"); c.Created != 3 {
			t.Errorf("the run after the fix: %s %+v", st.Line(), c)
		}
		mirrorMatches(t, p, "ConfigurationItems")
	})
}
