package psa_test

import (
	"context"
	"strings"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/store"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// The flag the console uses: who may sign in, with what, and the lockout.
func TestConsoleSignIn(t *testing.T) {
	t.Parallel()
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			svc := testsupport.Service(t, b)
			tenant, err := svc.CreateTenant(context.Background(), "Console "+testsupport.RandomHex(4), "UTC")
			if err != nil {
				t.Fatal(err)
			}
			ctx := psa.WithActor(store.WithTenant(context.Background(), tenant.ID), psa.Actor{ResourceID: 1})
			two := int64(2)
			if _, err := svc.ChangeSettings(ctx, psa.SettingsChange{LockoutThreshold: &two}); err != nil {
				t.Fatal(err)
			}
			name := "dana" + testsupport.RandomHex(3)
			if _, err := svc.CreateResource(ctx, psa.NewResource{FirstName: "Dana", LastName: "Desk", Email: "d@x.example", Username: name, Password: "Desk-Pass-1",
				SecurityLevel: "Service Desk User", LocationID: 1}); err != nil {
				t.Fatal(err)
			}
			api, err := svc.CreateAPIUser(ctx, psa.NewAPIUser{})
			if err != nil {
				t.Fatal(err)
			}
			bg := context.Background()
			if tn, r, err := svc.ConsoleSignIn(bg, strings.ToUpper(name), "Desk-Pass-1", "10.0.0.9"); err != nil || tn.ID != tenant.ID || r.Username != name {
				t.Fatalf("sign-in: %v %v %v", tn, r, err)
			}
			if _, _, err := svc.ConsoleSignIn(bg, api.Username, api.Secret, "10.0.0.9"); err == nil || !strings.Contains(err.Error(), "API-only users cannot sign in") {
				t.Errorf("an API user signs in: %v", err)
			}
			if _, _, err := svc.ConsoleSignIn(bg, "nobody-at-all", "x", "10.0.0.9"); err == nil {
				t.Error("an unknown user signs in")
			}
			for i := 0; i < 2; i++ {
				if _, _, err := svc.ConsoleSignIn(bg, name, "wrong-pass", "10.0.0.9"); err == nil {
					t.Fatal("a wrong password signs in")
				}
			}
			if _, _, err := svc.ConsoleSignIn(bg, name, "Desk-Pass-1", "10.0.0.9"); err == nil || !strings.Contains(err.Error(), "locked") {
				t.Errorf("after the threshold: %v", err)
			}
			if _, err := svc.UnlockResource(ctx, name); err != nil {
				t.Fatal(err)
			}
			if _, _, err := svc.ConsoleSignIn(bg, name, "Desk-Pass-1", "10.0.0.9"); err != nil {
				t.Errorf("after unlock: %v", err)
			}
			if _, err := svc.DeactivateResource(ctx, name); err != nil {
				t.Fatal(err)
			}
			if _, _, err := svc.ConsoleSignIn(bg, name, "Desk-Pass-1", "10.0.0.9"); err == nil {
				t.Error("a deactivated resource signs in")
			}
		})
	}
}
