package admin_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/auth"
	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
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
			if _, err := svc.ChangeSettings(ctx, admin.SettingsChange{LockoutThreshold: &two}); err != nil {
				t.Fatal(err)
			}
			name := "dana" + testsupport.RandomHex(3)
			if _, err := svc.CreateResource(ctx, admin.NewResource{FirstName: "Dana", LastName: "Desk", Email: "d@x.example", Username: name, Password: "Desk-Pass-1",
				SecurityLevel: "Service Desk User", LocationID: 1}); err != nil {
				t.Fatal(err)
			}
			api, err := svc.CreateAPIUser(ctx, admin.NewAPIUser{})
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

// At most 50 active API-only copies; deactivating one makes room. Generated keys are
// email-shaped in the tenant's domain when it has one.
func TestSecurityLevelCapAndUsernameDomain(t *testing.T) {
	t.Parallel()
	svc := testsupport.Service(t, testsupport.SQLite)
	tenant, err := svc.CreateTenant(context.Background(), "Cap "+testsupport.RandomHex(4), "UTC")
	if err != nil {
		t.Fatal(err)
	}
	ctx := psa.WithActor(store.WithTenant(context.Background(), tenant.ID), psa.Actor{ResourceID: 1})
	for i := 0; i < 50; i++ {
		if _, err := svc.CopySecurityLevel(ctx, "API User (system)", "Integration "+string(rune('A'+i/26))+string(rune('a'+i%26)), false); err != nil {
			t.Fatalf("copy %d: %v", i+1, err)
		}
	}
	if _, err := svc.CopySecurityLevel(ctx, "API User (system)", "One too many", false); err == nil || !strings.Contains(err.Error(), "at most 50") {
		t.Errorf("the 51st API-only copy: %v", err)
	}
	if _, err := svc.CopySecurityLevel(ctx, "Team Member", "Techs", false); err != nil {
		t.Errorf("a copy of a console level is not capped: %v", err)
	}
	if _, err := svc.SetSecurityLevelActive(ctx, "Integration Aa", false); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CopySecurityLevel(ctx, "API User (system)", "Now it fits", false); err != nil {
		t.Errorf("after a deactivation: %v", err)
	}
	if _, err := svc.SetSecurityLevelActive(ctx, "Integration Aa", true); err == nil {
		t.Error("reactivating past the cap")
	}
	if _, err := svc.CopySecurityLevel(ctx, "Team Member", "techs", false); err == nil {
		t.Error("a second level with the same name")
	}

	domain := "contoso.example"
	if _, err := svc.ChangeSettings(ctx, admin.SettingsChange{UsernameDomain: &domain}); err != nil {
		t.Fatal(err)
	}
	creds, err := svc.CreateAPIUser(ctx, admin.NewAPIUser{})
	if err != nil {
		t.Fatal(err)
	}
	if key, d, ok := strings.Cut(creds.Username, "@"); !ok || len(key) != 15 || d != domain {
		t.Errorf("generated username %q", creds.Username)
	}
}

// TestConsoleSignInHashBound: sign-in pages hash passwords for callers who are not signed in, so
// they go through the same bound as the API: with one hash allowed at once, a burst of wrong
// passwords for different users is partly answered at once with 429 instead of all hashing.
func TestConsoleSignInHashBound(t *testing.T) {
	t.Parallel()
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			svc := admin.New(testsupport.Service(t, b).DB) // a service of its own: its gate is changed
			svc.HashGate = auth.NewHashGate(1)
			tenant, err := svc.CreateTenant(context.Background(), "Burst "+testsupport.RandomHex(4), "UTC")
			if err != nil {
				t.Fatal(err)
			}
			ctx := psa.WithActor(store.WithTenant(context.Background(), tenant.ID), psa.Actor{ResourceID: 1})
			var names []string
			for i := range 8 {
				name := fmt.Sprintf("burst%d%s", i, testsupport.RandomHex(3))
				if _, err := svc.CreateResource(ctx, admin.NewResource{FirstName: "Burst", LastName: fmt.Sprint(i), Email: name + "@x.example", Username: name,
					Password: "Desk-Pass-1", SecurityLevel: "Service Desk User", LocationID: 1}); err != nil {
					t.Fatal(err)
				}
				names = append(names, name)
			}
			errs := make([]error, len(names))
			var wg sync.WaitGroup
			for i, name := range names {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, _, errs[i] = svc.ConsoleSignIn(context.Background(), name, "Wrong-Pass-1", "10.0.0.9")
				}()
			}
			wg.Wait()
			busy := 0
			for _, err := range errs {
				var ae *apperr.Error
				switch {
				case errors.As(err, &ae) && ae.Status == http.StatusTooManyRequests:
					busy++
				case errors.As(err, &ae) && ae.Status == http.StatusUnauthorized:
				default:
					t.Errorf("wrong password: %v", err)
				}
			}
			if busy == 0 {
				t.Error("8 sign-ins at once with one hash allowed: none answered busy")
			}
		})
	}
}
