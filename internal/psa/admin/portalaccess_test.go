package admin_test

import (
	"context"
	"errors"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/store"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// PortalAccess answers for many contacts in one read what reading each contact's portal login
// answers: access, locked, none; a contact of another tenant, or no contact at all, has none.
// On both stores.
func TestPortalAccessOfManyContacts(t *testing.T) {
	t.Parallel()
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			svc := testsupport.Service(t, b)
			tenantCtx := func() context.Context {
				tenant, err := svc.CreateTenant(context.Background(), "Portal batch "+testsupport.RandomHex(4), "UTC")
				if err != nil {
					t.Fatal(err)
				}
				return psa.WithActor(store.WithTenant(context.Background(), tenant.ID), psa.SystemActor)
			}
			e := svc.Catalog.MustEntity("Contacts")
			contact := func(ctx context.Context, first string) (id int64, email string) {
				t.Helper()
				email = first + "." + testsupport.RandomHex(4) + "@batch.example" // portal emails are unique across tenants
				in := psa.NewInput()
				for k, v := range map[string]any{"firstName": first, "lastName": "Batch", "companyID": int64(0), "isActive": int64(1), "emailAddress": email} {
					in.Set[e.Index(k)] = v
				}
				id, err := svc.Create(ctx, e, in, nil)
				if err != nil {
					t.Fatal(err)
				}
				return id, email
			}
			ctx, other := tenantCtx(), tenantCtx()
			one := int64(1)
			if _, err := svc.ChangeSettings(ctx, admin.SettingsChange{LockoutThreshold: &one}); err != nil {
				t.Fatal(err)
			}
			enabled, _ := contact(ctx, "enabled")
			locked, lockedEmail := contact(ctx, "locked")
			none, _ := contact(ctx, "none")
			for _, id := range []int64{enabled, locked} {
				if err := svc.SetPortalAccess(ctx, id, "Portal-Pass-1"); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := svc.PortalSignIn(context.Background(), lockedEmail, "wrong", "10.2.2.2"); err == nil {
				t.Fatal("a wrong portal password was accepted")
			}
			// Another tenant's contacts with access: their ids must not count in this tenant.
			var foreign []int64
			for _, n := range []string{"f1", "f2", "f3", "f4"} {
				id, _ := contact(other, n)
				if err := svc.SetPortalAccess(other, id, "Portal-Pass-1"); err != nil {
					t.Fatal(err)
				}
				foreign = append(foreign, id)
			}

			ids := append([]int64{enabled, locked, none, 987654321}, foreign...)
			got, err := svc.PortalAccess(ctx, ids)
			if err != nil {
				t.Fatal(err)
			}
			want := map[int64]admin.PortalState{enabled: {Has: true}, locked: {Has: true, Locked: true}, none: {}, 987654321: {}}
			for id, w := range want {
				if got[id] != w {
					t.Errorf("contact %d: %+v, want %+v", id, got[id], w)
				}
			}
			// The same as each contact's own login, for every id asked (the foreign ones too).
			for _, id := range ids {
				l, err := svc.DB.PortalLogin(ctx, id)
				one := admin.PortalState{}
				switch {
				case errors.Is(err, store.ErrNotFound):
				case err != nil:
					t.Fatal(err)
				default:
					one = admin.PortalState{Has: true, Locked: l.Locked}
				}
				if got[id] != one {
					t.Errorf("contact %d: batch %+v, one by one %+v", id, got[id], one)
				}
			}
			for _, id := range foreign {
				if _, err := svc.DB.PortalLogin(ctx, id); errors.Is(err, store.ErrNotFound) && got[id].Has {
					t.Errorf("contact %d of another tenant has portal access here", id)
				}
			}
			if len(got) != 2 {
				t.Errorf("%d contacts with access in the answer, want 2: %v", len(got), got)
			}
			if empty, err := svc.PortalAccess(ctx, nil); err != nil || len(empty) != 0 {
				t.Errorf("no contacts: %v %v", empty, err)
			}
		})
	}
}
