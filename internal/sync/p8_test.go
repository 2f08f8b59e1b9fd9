package sync_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/switchboard-psa/switchboard/internal/devseed"
	"github.com/switchboard-psa/switchboard/internal/sync"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// TestP8 measures target P8 of docs/targets.md: the first sync of N records between two
// Switchboards (requests against the pages needed, and time). It runs only when asked:
//
//	SWITCHBOARD_P8=100000 go test ./internal/sync -run TestP8 -v -timeout 30m
//
// SWITCHBOARD_P8_BACKEND=postgres runs it on PostgreSQL (SWITCHBOARD_TEST_POSTGRES).
func TestP8(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("SWITCHBOARD_P8"))
	if n <= 0 {
		t.Skip("P8 is a measurement: set SWITCHBOARD_P8=100000 to run it")
	}
	b := testsupport.SQLite
	if os.Getenv("SWITCHBOARD_P8_BACKEND") == "postgres" {
		b = testsupport.Postgres
	}
	p := &pair{remote: testsupport.Start(t, b, false), local: testsupport.Start(t, b, false)}
	// 100,000 records: 10 % companies, 30 % contacts, 20 % CIs, 25 % tickets, 15 % notes.
	c := devseed.Counts{Resources: 100, Companies: n / 10, Contacts: n * 3 / 10, ConfigurationItems: n / 5, Tickets: n / 4, TicketNotes: n * 15 / 100}
	start := time.Now()
	if err := devseed.Generate(p.remote.Ctx(), p.remote.PSA, c, nil); err != nil {
		t.Fatal(err)
	}
	// Autotask requires a product on every CI; the generator leaves it empty.
	product := create(t, p.remote, "Products", nil, map[string]any{"name": "Managed Workstation", "isActive": true})
	if _, err := p.remote.PSA.DB.SQL().Exec(rebindP8(b, `UPDATE configuration_items SET product_id = ? WHERE tenant_id = ?`), product, p.remote.Tenant.ID); err != nil {
		t.Fatal(err)
	}
	t.Logf("remote filled in %s: %+v", time.Since(start).Round(time.Second), c)
	p2 := newPairOver(t, p)
	job := p2.add(t, sync.AddInput{})
	p2.requests.Store(0)
	start = time.Now()
	st, err := p2.svc.Run(context.Background(), job, sync.RunOptions{})
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if st.State != sync.StateOK {
		t.Fatalf("P8 run: %s; first errors: %v", st.Line(), st.Errors[:min(5, len(st.Errors))])
	}
	pages := func(rows int) int { return max(1, (rows+499)/500) }
	// The collections read: the six synced ones (CompanyLocations is empty: one page), and
	// the lookups their records reference (resources, products; CI types are none here).
	needed := pages(c.Companies) + pages(0) + pages(c.Contacts) + pages(c.ConfigurationItems) + pages(c.Tickets) + pages(c.TicketNotes) +
		pages(c.Resources+2) + pages(1)
	records := c.Companies + c.Contacts + c.ConfigurationItems + c.Tickets + c.TicketNotes
	created := 0
	for _, x := range st.Counts {
		created += x.Created
	}
	ratio := float64(st.Requests) / float64(needed)
	t.Logf("P8: %d records (%d created locally) in %.1fs; %d requests for %d pages needed (%.3f×); proxy saw %d",
		records, created, elapsed.Seconds(), st.Requests, needed, ratio, p2.requests.Load())
	if created != records {
		t.Errorf("created %d of %d records", created, records)
	}
	if ratio > 1.05 {
		t.Errorf("P8: %d requests for %d pages is over 1.05×", st.Requests, needed)
	}
	if elapsed > 120*time.Second {
		t.Errorf("P8: %.1fs is over 120 s", elapsed.Seconds())
	}
}

func rebindP8(b testsupport.Backend, q string) string {
	if b != testsupport.Postgres {
		return q
	}
	out, n := []byte{}, 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			out = append(out, '$')
			out = strconv.AppendInt(out, int64(n), 10)
			continue
		}
		out = append(out, q[i])
	}
	return string(out)
}
