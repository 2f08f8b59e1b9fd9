package mail_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/connection"
	"github.com/switchboard-psa/switchboard/internal/mail"
	"github.com/switchboard-psa/switchboard/internal/store"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// countingTransport counts the requests made to the remote Switchboard.
type countingTransport struct{ n atomic.Int64 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

// TestRemoteTarget runs a mailbox whose tickets go through a connection to a second
// Switchboard, over its REST API with the connection's API user.
func TestRemoteTarget(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			remote := testsupport.Start(t, b, false) // the "Autotask" tenant
			local := testsupport.Start(t, b, false)  // the Switchboard that receives the mail
			ctx := context.Background()
			sealer, err := connection.LoadKey(t.TempDir(), "")
			if err != nil {
				t.Fatal(err)
			}
			counter := &countingTransport{}
			conns := &connection.Service{DB: local.PSA.DB, Sealer: sealer, HTTPClient: &http.Client{Transport: counter}}
			connName := "remote-" + testsupport.RandomHex(4)
			if _, err := conns.Add(ctx, connection.Input{Name: connName, Username: remote.Creds.Username, Secret: remote.Creds.Secret,
				IntegrationCode: remote.Creds.IntegrationCode, BaseURL: remote.URL("/ATServicesRest/")}, false); err != nil {
				t.Fatal(err)
			}
			svc := mail.NewService(local.PSA, conns, nil)
			addr := "helpdesk-" + testsupport.RandomHex(4) + "@msp.test"
			limit := 5
			if _, err := svc.AddMailbox(ctx, mail.MailboxChange{Address: &addr, Connection: &connName, RateLimit: &limit}); err != nil {
				t.Fatal(err)
			}
			mb, _ := local.PSA.DB.MailboxByAddress(ctx, addr)

			// The remote tenant's data, made directly.
			rt := &mail.LocalTarget{PSA: remote.PSA, TenantID: remote.Tenant.ID}
			company, err := rt.Create(ctx, "Companies", mail.Record{"companyName": "Globex", "companyType": 1, "webAddress": "globex.test", "ownerResourceID": 1, "phone": "1"})
			if err != nil {
				t.Fatal(err)
			}
			contact, err := rt.ChildCreate(ctx, "Companies", company, "Contacts", mail.Record{"firstName": "Hank", "lastName": "Scorpio", "emailAddress": "hank@globex.test", "isActive": 1})
			if err != nil {
				t.Fatal(err)
			}
			receive := func(raw string) *mail.Entry {
				t.Helper()
				e, err := svc.Receive(ctx, mb, []byte(strings.ReplaceAll(raw, "\n", "\r\n")), "")
				if err != nil {
					t.Fatal(err)
				}
				return e
			}

			raw := msg("Hank Scorpio <hank@globex.test>", "Doomsday device", "It is not working.", "Content-Type: text/plain")
			e := receive(raw)
			if e.Outcome != mail.OutcomeTicket || e.TicketNumber == "" || !strings.Contains(e.Link, "/V1.0/Tickets/") {
				t.Fatalf("remote ticket: %+v", e)
			}
			tk, err := rt.Get(ctx, "Tickets", e.TicketID)
			if err != nil || tk == nil || tk.Int("contactID") != contact || tk.Int("companyID") != company || tk.String("title") != "Doomsday device" {
				t.Fatalf("the remote ticket: %v %v", tk, err)
			}
			if got := receive(raw); got.Outcome != mail.OutcomeDuplicate {
				t.Fatalf("duplicate through a connection: %+v", got)
			}

			// A reply from the contact: a published note on the remote ticket.
			n := receive(msg("hank@globex.test", "Re: "+e.TicketNumber+" Doomsday device", "Fixed it.\n\n-- \nHank"))
			if n.Outcome != mail.OutcomeNote {
				t.Fatalf("remote note: %+v", n)
			}
			note, _ := rt.Get(ctx, "TicketNotes", n.NoteID)
			if note == nil || note.String("description") != "Fixed it." || note.Int("publish") != 1 {
				t.Fatalf("the remote note: %v", note)
			}

			// A reply from a resource of the remote tenant is written as that resource
			// (impersonation), stamped with the API user as impersonator.
			admin, _ := rt.Get(ctx, "Resources", 1)
			r := receive(msg(admin.String("email"), "RE: "+e.TicketNumber, "On my way."))
			if r.Outcome != mail.OutcomeNote || !strings.Contains(r.Reason, "resource 1") {
				t.Fatalf("resource reply: %+v", r)
			}
			rn, _ := rt.Get(ctx, "TicketNotes", r.NoteID)
			if rn.Int("creatorResourceID") != 1 || rn.Int("impersonatorCreatorResourceID") != remote.Creds.ResourceID || rn.Int("publish") != 2 {
				t.Fatalf("impersonated note: %v (API user %d)", rn, remote.Creds.ResourceID)
			}

			// Noise spends nothing of the remote's API budget.
			before := counter.n.Load()
			for i := 0; i < 20; i++ {
				receive(msg("hank@globex.test", "Automatic reply: Doomsday device", "I am away", "Auto-Submitted: auto-replied"))
			}
			if d := counter.n.Load() - before; d != 0 {
				t.Fatalf("auto-replies made %d API requests", d)
			}

			// A loop from one sender: past the rate limit nothing reaches the remote.
			before = counter.n.Load()
			outcomes := map[string]int{}
			for i := 0; i < 200; i++ {
				outcomes[receive(msg("robot@loop.test", fmt.Sprintf("Ping %d", i), "loop")).Outcome]++
			}
			if outcomes[mail.OutcomeTicket] != limit || outcomes[mail.OutcomeHeld] != 200-limit {
				t.Fatalf("loop outcomes: %v", outcomes)
			}
			perTicket := int64(4) // contact, company, create, read back
			if d := counter.n.Load() - before; d > int64(limit)*perTicket {
				t.Fatalf("the loop made %d API requests for %d tickets", d, limit)
			}
			held, _ := svc.Log(ctx, store.MailFilter{MailboxIDs: []int64{mb.ID}, Outcome: mail.OutcomeHeld, Limit: 1})
			if len(held) != 1 || !held[0].CanReprocess || !strings.Contains(held[0].Reason, "rate limit") {
				t.Fatalf("held: %+v", held)
			}
		})
	}
}
