package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/connection"
	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/server"
	"github.com/switchboard-psa/switchboard/internal/store"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
	"github.com/switchboard-psa/switchboard/internal/web"
)

// The Integrations page of a tenant's console shows and acts on that tenant's own connections
// only: another tenant's connection, or a deployment-wide one, cannot be seen, tested, replaced
// or removed, even by a form naming it. Plain HTTP, SQLite and PostgreSQL.
func TestIntegrationsTenantIsolation(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			env, adminA := consoleOn(t, b, true)
			tenantB, err := env.PSA.CreateTenant(context.Background(), "Other "+testsupport.RandomHex(4), "UTC")
			if err != nil {
				t.Fatal(err)
			}
			ctxB := psa.WithActor(store.WithTenant(context.Background(), tenantB.ID), psa.Actor{ResourceID: 1})
			adminB, err := env.PSA.EditResource(ctxB, "1", admin.ResourceChange{Password: adminPassword})
			if err != nil {
				t.Fatal(err)
			}
			conns := newConnections(t, env.PSA.DB)
			handler, _ := server.New(env.PSA, server.Options{Version: "test", Web: web.Options{Connections: conns}})
			srv := httptest.NewServer(handler)
			t.Cleanup(srv.Close)

			// B's connection and a deployment-wide one, made outside A's console.
			suffix := testsupport.RandomHex(3)
			beta, ops, alpha := "Beta "+suffix, "Ops "+suffix, "Alpha "+suffix
			ctx := context.Background()
			in := connection.Input{Username: env.Creds.Username, Secret: env.Creds.Secret, IntegrationCode: env.Creds.IntegrationCode, BaseURL: srv.URL + "/ATServicesRest/"}
			in.Name, in.TenantID = beta, tenantB.ID
			if _, err := conns.Add(ctx, in, false); err != nil {
				t.Fatal(err)
			}
			in.Name, in.TenantID = ops, 0
			if _, err := conns.Add(ctx, in, false); err != nil {
				t.Fatal(err)
			}

			a := signedIn(t, srv.URL, adminA.Username, adminPassword)
			st, _, body := a.get("/admin/integrations")
			if st != http.StatusOK || strings.Contains(body, beta) || strings.Contains(body, ops) || !strings.Contains(body, "No connections yet.") {
				t.Fatalf("A's Integrations page shows other connections: %d\n%s", st, body)
			}
			tok := a.csrf("/admin/integrations")
			// Forged forms naming B's and the deployment-wide connection: not found, nothing done.
			for _, name := range []string{beta, ops, strings.ToUpper(beta)} {
				for _, action := range []string{"test", "remove"} {
					st, _, body := a.post("/admin/integrations", url.Values{"csrf": {tok}, "action": {action}, "name": {name}})
					if st != http.StatusUnprocessableEntity || !strings.Contains(body, "there is no connection named") {
						t.Errorf("A %s %q: %d, want 422 not found", action, name, st)
					}
				}
				st, _, body := a.post("/admin/integrations", url.Values{"csrf": {tok}, "action": {"connect"}, "name": {name},
					"username": {"eve"}, "secret": {"forged"}, "integrationCode": {"X"}, "baseUrl": {"https://evil.example/"}})
				if st != http.StatusUnprocessableEntity || !strings.Contains(body, "another owner") {
					t.Errorf("A connect over %q: %d, want 422 name taken", name, st)
				}
			}
			all, err := conns.List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]*connection.Connection{}
			for _, c := range all {
				seen[c.Name] = c
			}
			for name, owner := range map[string]int64{beta: tenantB.ID, ops: 0} {
				c := seen[name]
				if c == nil || c.TenantID != owner || c.Username != env.Creds.Username || c.LastTest != nil {
					t.Errorf("%q after A's forged forms: %+v (want owner %d, untouched, never tested)", name, c, owner)
				}
			}

			// A's own connection: made with A as owner, listed, tested.
			st, _, body = a.post("/admin/integrations", url.Values{"csrf": {tok}, "action": {"connect"}, "name": {alpha},
				"username": {env.Creds.Username}, "secret": {env.Creds.Secret}, "integrationCode": {env.Creds.IntegrationCode}, "baseUrl": {srv.URL + "/ATServicesRest/"}})
			if st != http.StatusOK || !strings.Contains(body, "Connection was established") || !strings.Contains(body, alpha) || strings.Contains(body, beta) {
				t.Fatalf("A connect: %d\n%s", st, body)
			}
			if c, err := conns.Get(ctx, alpha); err != nil || c.TenantID != env.Tenant.ID {
				t.Fatalf("A's connection: %+v %v, want owner %d", c, err, env.Tenant.ID)
			}

			// B sees its own only, cannot touch A's, and removes its own.
			bc := signedIn(t, srv.URL, adminB.Username, adminPassword)
			_, _, body = bc.get("/admin/integrations")
			if !strings.Contains(body, beta) || strings.Contains(body, alpha) || strings.Contains(body, ops) {
				t.Errorf("B's Integrations page:\n%s", body)
			}
			tokB := bc.csrf("/admin/integrations")
			if st, _, _ := bc.post("/admin/integrations", url.Values{"csrf": {tokB}, "action": {"remove"}, "name": {alpha}}); st != http.StatusUnprocessableEntity {
				t.Errorf("B removes A's connection: %d", st)
			}
			if _, err := conns.Get(ctx, alpha); err != nil {
				t.Errorf("A's connection after B's remove: %v", err)
			}
			if st, _, body := bc.post("/admin/integrations", url.Values{"csrf": {tokB}, "action": {"test"}, "name": {beta}}); st != http.StatusOK || !strings.Contains(body, "Connection was established") {
				t.Errorf("B tests its own: %d", st)
			}
			if st, loc, _ := bc.post("/admin/integrations", url.Values{"csrf": {tokB}, "action": {"remove"}, "name": {beta}}); st != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/integrations") {
				t.Errorf("B removes its own: %d %s", st, loc)
			}
			if _, err := conns.Get(ctx, beta); err == nil {
				t.Error("B's connection is still there after B removed it")
			}
		})
	}
}
