package psa_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/store"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// TestUsageKeptThirtyDays: usage by hour per identifier and API user is summed per hour, listed
// with the identifier's name and the API user's username, and gone after 30 days; the threshold
// takes only sensible values.
func TestUsageKeptThirtyDays(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			svc := testsupport.Service(t, b)
			tenant, err := svc.CreateTenant(context.Background(), "Usage "+testsupport.RandomHex(4), "UTC")
			if err != nil {
				t.Fatal(err)
			}
			ctx := psa.WithActor(store.WithTenant(context.Background(), tenant.ID), psa.SystemActor)
			creds, err := svc.CreateAPIUser(ctx, admin.NewAPIUser{FirstName: "Usage", LastName: "Test"})
			if err != nil {
				t.Fatal(err)
			}
			user, err := svc.DB.APIUserOfTenant(ctx, creds.Username)
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			hour := now.Unix() / 3600
			old := now.Add(-31*24*time.Hour).Unix() / 3600
			for _, u := range []store.Usage{{TenantID: tenant.ID, Code: creds.IntegrationCode, ResourceID: user.ResourceID, Hour: hour, Requests: 3},
				{TenantID: tenant.ID, Code: creds.IntegrationCode, ResourceID: user.ResourceID, Hour: hour, Requests: 4}, // a second flush adds
				{TenantID: tenant.ID, Code: creds.IntegrationCode, ResourceID: user.ResourceID, Hour: old, Requests: 9}} {
				if err := svc.RecordUsage(ctx, []store.Usage{u}); err != nil {
					t.Fatal(err)
				}
			}
			if list, _ := svc.UsageByHour(ctx, 24*40); len(list) != 2 {
				t.Fatalf("before pruning: %+v", list)
			}
			if err := svc.PruneUsage(ctx, now); err != nil {
				t.Fatal(err)
			}
			list, err := svc.UsageByHour(ctx, 24*40)
			if err != nil || len(list) != 1 || list[0].Requests != 7 || list[0].Username != strings.ToLower(creds.Username) ||
				list[0].Identifier == "" || list[0].Hour.Unix() != hour*3600 {
				t.Fatalf("after pruning: %+v %v", list, err)
			}
			for _, bad := range []int64{0, -5, psa.MaxAPIThreshold + 1} {
				if _, err := svc.ChangeSettings(ctx, admin.SettingsChange{APIThreshold: &bad}); err == nil {
					t.Errorf("threshold %d accepted", bad)
				}
			}
		})
	}
}
