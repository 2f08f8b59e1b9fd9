package psa_test

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/store"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

func TestMain(m *testing.M) { os.Exit(testsupport.Main(m)) }

// TestTicketNumbersFollowTheTenantsDay: T<yyyymmdd>.<nnnn>, the date in the tenant's time zone and
// the counter per tenant per day, so two tenants on opposite sides of the date line count apart.
func TestTicketNumbersFollowTheTenantsDay(t *testing.T) {
	t.Parallel()
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			svc := testsupport.Service(t, b)
			e := svc.Catalog.MustEntity("Tickets")
			for _, tz := range []string{"Pacific/Kiritimati", "Pacific/Pago_Pago"} { // UTC+14 and UTC-11
				tenant, err := svc.CreateTenant(context.Background(), "Numbers "+tz+" "+testsupport.RandomHex(4), tz)
				if err != nil {
					t.Fatal(err)
				}
				ctx := psa.WithActor(store.WithTenant(context.Background(), tenant.ID), psa.SystemActor)
				loc, _ := time.LoadLocation(tz)
				for i := 1; i <= 3; i++ {
					before := time.Now().In(loc).Format("20060102")
					in := psa.NewInput()
					in.Set[e.Index("companyID")] = int64(0)
					in.Set[e.Index("title")] = "numbering"
					in.Set[e.Index("status")] = int64(1)
					in.Set[e.Index("priority")] = int64(2)
					id, err := svc.Create(ctx, e, in, nil)
					if err != nil {
						t.Fatal(err)
					}
					after := time.Now().In(loc).Format("20060102")
					row, err := svc.Get(ctx, e, id, nil)
					if err != nil || row == nil {
						t.Fatalf("get ticket %d: %v", id, err)
					}
					num := row.Values[e.Index("ticketNumber")].(string)
					if !regexp.MustCompile(`^T\d{8}\.\d{4}$`).MatchString(num) {
						t.Fatalf("ticket number %q is not T<yyyymmdd>.<nnnn>", num)
					}
					if day := num[1:9]; day != before && day != after {
						t.Errorf("%s: ticket number %s, want the day %s of the tenant's time zone", tz, num, before)
					}
					if want := fmt.Sprintf(".%04d", i); num[9:] != want {
						t.Errorf("%s: ticket %d numbered %s, want the counter %s", tz, i, num, want)
					}
				}
			}
		})
	}
}
