package admin_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/query"
	"github.com/switchboard-psa/switchboard/internal/store"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

func contactByEmail(t *testing.T, svc *admin.Service, ctx context.Context, email string) int64 {
	t.Helper()
	e := svc.Catalog.MustEntity("Contacts")
	rows, err := svc.Query(ctx, e, &query.Request{FilterPresent: true, Filter: []*query.Node{{Op: "eq", Field: "emailAddress", Value: email}}}, nil, -1, 2)
	if err != nil || len(rows) != 1 {
		t.Fatalf("contact %s: %v %d", email, err, len(rows))
	}
	return rows[0].ID(e)
}

// The client portal's rules and the tile's matching, on both stores.
func TestPortalAndMyTickets(t *testing.T) {
	t.Parallel()
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			svc := testsupport.Service(t, b)
			tenant, err := svc.CreateTenant(context.Background(), "Portal "+testsupport.RandomHex(4), "UTC")
			if err != nil {
				t.Fatal(err)
			}
			ctx := psa.WithActor(store.WithTenant(context.Background(), tenant.ID), psa.SystemActor)
			if err := svc.SeedDemo(ctx); err != nil {
				t.Fatal(err)
			}
			two := int64(2)
			if _, err := svc.ChangeSettings(ctx, admin.SettingsChange{LockoutThreshold: &two}); err != nil {
				t.Fatal(err)
			}
			// Demo emails repeat across the tenants of this test binary: use this tenant's own.
			alice := contactByEmail(t, svc, ctx, "alice.archer@acmedental.example")
			e := svc.Catalog.MustEntity("Contacts")
			in := psa.NewInput()
			email := "alice." + testsupport.RandomHex(4) + "@acme.example"
			in.Set[e.Index("id")] = alice
			in.Set[e.Index("emailAddress")] = email
			if _, err := svc.Update(ctx, e, in, nil, false); err != nil {
				t.Fatal(err)
			}
			if err := svc.SetPortalAccess(ctx, alice, "x"); err == nil {
				t.Fatal("a one-letter portal password was accepted")
			}
			if err := svc.SetPortalAccess(ctx, alice, "Portal-Pass-1"); err != nil {
				t.Fatal(err)
			}
			bg := context.Background()
			pc, err := svc.PortalSignIn(bg, strings.ToUpper(email), "Portal-Pass-1", "10.1.1.1")
			if err != nil || pc.ContactID != alice || pc.TenantID != tenant.ID {
				t.Fatalf("portal sign-in: %+v %v", pc, err)
			}
			mine, err := svc.PortalTickets(bg, pc, 0)
			if err != nil || len(mine) == 0 {
				t.Fatalf("portal tickets: %d %v", len(mine), err)
			}
			te := svc.Catalog.MustEntity("Tickets")
			for _, r := range mine {
				if c, _ := r.Values[te.Index("companyID")].(int64); c != pc.CompanyID {
					t.Fatalf("a ticket of company %d in the portal of company %d", c, pc.CompanyID)
				}
			}
			// Another company's ticket does not exist for the contact, and gets no note.
			all, err := svc.Query(ctx, te, &query.Request{FilterPresent: true, Filter: []*query.Node{{Op: "noteq", Field: "companyID", Value: pc.CompanyID}}}, nil, -1, 1)
			if err != nil || len(all) == 0 {
				t.Fatalf("another company's ticket: %v", err)
			}
			if _, _, err := svc.PortalTicket(bg, pc, all[0].ID(te)); !errors.Is(err, admin.ErrTicketNotFound) {
				t.Fatalf("another company's ticket: %v", err)
			}
			if _, err := svc.PortalAddNote(bg, pc, all[0].ID(te), "", "hello"); err == nil {
				t.Fatal("a note on another company's ticket")
			}
			// The tile: one contact's tickets; no match and several matches are refused.
			who, list, err := svc.MyTickets(ctx, email, 0)
			if err != nil || who != "Alice Archer" || len(list) == 0 {
				t.Fatalf("my tickets: %q %d %v", who, len(list), err)
			}
			if _, _, err := svc.MyTickets(ctx, "nobody@nowhere.example", 0); err == nil {
				t.Fatal("no match answered with tickets")
			}
			bob := contactByEmail(t, svc, ctx, "bob.bishop@acmedental.example")
			in = psa.NewInput()
			in.Set[e.Index("id")] = bob
			in.Set[e.Index("emailAddress")] = email
			if _, err := svc.Update(ctx, e, in, nil, false); err != nil {
				t.Fatal(err)
			}
			if _, _, err := svc.MyTickets(ctx, email, 0); err == nil || !strings.Contains(err.Error(), "More than one contact") {
				t.Fatalf("two contacts with one email: %v", err)
			}
			// Lockout after the tenant's threshold of failures.
			for i := 0; i < 2; i++ {
				if _, err := svc.PortalSignIn(bg, email, "wrong", "10.1.1.2"); err == nil {
					t.Fatal("wrong portal password accepted")
				}
			}
			if _, err := svc.PortalSignIn(bg, email, "Portal-Pass-1", "10.1.1.2"); err == nil || !strings.Contains(err.Error(), "locked") {
				t.Fatalf("after two failures: %v, want locked", err)
			}
			if err := svc.UnlockPortal(ctx, alice); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.PortalSignIn(bg, email, "Portal-Pass-1", "10.1.1.2"); err != nil {
				t.Fatalf("after unlock: %v", err)
			}
		})
	}
}
