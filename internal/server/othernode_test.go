package server_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/server"
	"github.com/switchboard-psa/switchboard/internal/store"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// TestTimeZoneChangedElsewhereReachesTicketNumbers: a server numbers tickets by the day in the
// tenant's time zone and remembers the zone. When another process (a second server, the
// console of another node, the CLI) changes the zone, the next poll of the access generations
// makes this server forget it, so its next ticket is numbered by the new zone's day.
func TestTimeZoneChangedElsewhereReachesTicketNumbers(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			dsn := testsupport.FreshDatabase(t, b)
			bg := context.Background()
			open := func() *admin.Service {
				db, err := store.Open(bg, dsn, catalog.Default)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				if err := db.Migrate(bg); err != nil {
					t.Fatal(err)
				}
				return admin.New(db)
			}
			other, this := open(), open()
			_, parts := server.New(this, server.Options{Version: "test", Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})

			tenant, err := other.CreateTenant(bg, "Two processes", "Pacific/Kiritimati") // UTC+14
			if err != nil {
				t.Fatal(err)
			}
			ctx := psa.WithActor(store.WithTenant(bg, tenant.ID), psa.SystemActor)
			e := this.Catalog.MustEntity("Tickets")
			number := func(tz string) {
				t.Helper()
				loc, _ := time.LoadLocation(tz)
				before := time.Now().In(loc).Format("20060102")
				in := psa.NewInput()
				in.Set[e.Index("companyID")] = int64(0)
				in.Set[e.Index("title")] = "numbered in " + tz
				in.Set[e.Index("status")] = int64(1)
				in.Set[e.Index("priority")] = int64(2)
				id, err := this.Create(ctx, e, in, nil)
				if err != nil {
					t.Fatal(err)
				}
				after := time.Now().In(loc).Format("20060102")
				row, err := this.Get(ctx, e, id, nil)
				if err != nil || row == nil {
					t.Fatalf("ticket %d: %v", id, err)
				}
				num := row.Values[e.Index("ticketNumber")].(string)
				if day := num[1:9]; day != before && day != after {
					t.Errorf("ticket %s, want the day %s of %s", num, before, tz)
				}
			}
			number("Pacific/Kiritimati") // this server now remembers the zone

			zone := "Pacific/Pago_Pago" // UTC-11: always another day than Kiritimati's
			if _, err := other.ChangeSettings(ctx, admin.SettingsChange{TimeZone: &zone}); err != nil {
				t.Fatal(err)
			}
			parts.Auth.Poll(bg) // what the poller does every second
			number(zone)
		})
	}
}

// TestPollerRunsWithoutAPICalls: the authenticator's poller reports a risen access generation
// on its own, with no API call to trigger it (a node serving only the console and the portal).
func TestPollerRunsWithoutAPICalls(t *testing.T) {
	svc := testsupport.Service(t, testsupport.SQLite)
	bg := context.Background()
	tenant, err := svc.CreateTenant(bg, "Poller "+testsupport.RandomHex(4), "UTC")
	if err != nil {
		t.Fatal(err)
	}
	_, parts := server.New(svc, server.Options{Version: "test", Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	parts.Auth.Poll(bg) // the generations as they are now
	risen := make(chan int64, 100)
	parts.Auth.OnNewGeneration = func(id int64) { risen <- id }
	parts.Auth.SetPollInterval(20 * time.Millisecond)
	ctx, stop := context.WithCancel(bg)
	defer stop()
	go parts.Auth.Run(ctx)

	if err := svc.DB.InTx(store.WithTenant(bg, tenant.ID), func(tx *store.Tx) error {
		return tx.BumpAccessGeneration(store.WithTenant(bg, tenant.ID))
	}); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	for {
		select {
		case id := <-risen:
			if id == tenant.ID {
				return
			}
		case <-deadline:
			t.Fatal("the poller did not report the tenant's new access generation within 10 s")
		}
	}
}
