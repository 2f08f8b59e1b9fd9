package psa_test

import (
	"context"
	"strings"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/store"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// TestSiteSetupEdits: Admin › Picklists adds, renames and deactivates values with their rules;
// Site Setup changes the time zone only to a zone that exists; a collection cannot have two
// user-defined fields of one name.
func TestSiteSetupEdits(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			svc := testsupport.Service(t, b)
			tenant, err := svc.CreateTenant(context.Background(), "Setup "+testsupport.RandomHex(4), "UTC")
			if err != nil {
				t.Fatal(err)
			}
			ctx := psa.WithActor(store.WithTenant(context.Background(), tenant.ID), psa.Actor{ResourceID: 1})
			companies := svc.Catalog.MustEntity("Companies")
			label := func(v int64) (string, bool) {
				list, _ := svc.Picklist(ctx, companies, "companyType")
				for _, x := range list {
					if x.Value == v {
						return x.Label, x.IsActive
					}
				}
				return "", false
			}
			v, err := svc.AddPicklistValue(ctx, "Companies", "companyType", "  Reseller ", 0, nil)
			if l, on := label(v); err != nil || l != "Reseller" || !on {
				t.Fatalf("added %d %q %v: %v", v, l, on, err)
			}
			for _, bad := range []string{"", "customer", strings.Repeat("x", psa.MaxPicklistLabel+1)} {
				if _, err := svc.AddPicklistValue(ctx, "Companies", "companyType", bad, 0, nil); err == nil {
					t.Errorf("label %q added", bad)
				}
			}
			name, off := "Channel partner", false
			if _, err := svc.EditPicklistValue(ctx, "Companies", "companyType", v, psa.PicklistValueChange{Label: &name, Active: &off}); err != nil {
				t.Fatal(err)
			}
			if l, on := label(v); l != "Channel partner" || on {
				t.Fatalf("after rename and deactivate: %q %v", l, on)
			}
			dup := "Lead"
			if _, err := svc.EditPicklistValue(ctx, "Companies", "companyType", v, psa.PicklistValueChange{Label: &dup}); err == nil || !strings.Contains(err.Error(), "already has") {
				t.Errorf("rename to another value's label: %v", err)
			}
			if _, err := svc.EditPicklistValue(ctx, "Companies", "companyType", 1, psa.PicklistValueChange{Active: &off}); err == nil || !strings.Contains(err.Error(), "default") {
				t.Errorf("default value deactivated: %v", err)
			}
			if _, err := svc.EditPicklistValue(ctx, "Companies", "companyType", 999, psa.PicklistValueChange{Label: &name}); err == nil {
				t.Error("a value that does not exist was edited")
			}
			if _, err := svc.EditPicklistValue(ctx, "Companies", "companyName", 1, psa.PicklistValueChange{Label: &name}); err == nil {
				t.Error("a field that is no picklist was edited")
			}

			zone := " Europe/Amsterdam "
			if got, err := svc.ChangeSettings(ctx, admin.SettingsChange{TimeZone: &zone}); err != nil || got.TimeZone != "Europe/Amsterdam" {
				t.Fatalf("time zone: %+v %v", got, err)
			}
			if tt, _ := svc.DB.TenantByID(ctx, tenant.ID); tt.TimeZone != "Europe/Amsterdam" {
				t.Fatalf("stored time zone %q", tt.TimeZone)
			}
			for _, bad := range []string{"", "Mars/Olympus_Mons", "Local", "../../etc/passwd"} {
				if _, err := svc.ChangeSettings(ctx, admin.SettingsChange{TimeZone: &bad}); err == nil {
					t.Errorf("time zone %q accepted", bad)
				}
			}
			if tt, _ := svc.DB.TenantByID(ctx, tenant.ID); tt.TimeZone != "Europe/Amsterdam" {
				t.Fatalf("a refused zone changed it to %q", tt.TimeZone)
			}

			udf := svc.Catalog.MustEntity("UserDefinedFieldDefinitions")
			create := func(name string, typ int64) error {
				in := psa.NewInput()
				for k, v := range map[string]any{"name": name, "udfType": typ, "dataType": int64(1), "isActive": true} {
					in.Set[udf.Index(k)] = v
				}
				_, err := svc.Create(ctx, udf, in, nil)
				return err
			}
			if err := create("Site Code", 1); err != nil {
				t.Fatal(err)
			}
			if err := create("site code", 1); err == nil || !strings.Contains(err.Error(), "already has") {
				t.Errorf("second Companies UDF of one name: %v", err)
			}
			if err := create("Site Code", 6); err != nil {
				t.Errorf("the same name on Tickets: %v", err)
			}
		})
	}
}
