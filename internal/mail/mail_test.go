package mail_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/mail"
	"github.com/switchboard-psa/switchboard/internal/store"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

func TestMain(m *testing.M) { os.Exit(testsupport.Main(m)) }

// world is a tenant with a mailbox, a customer company with a contact, and the mail service.
type world struct {
	env       *testsupport.Env
	svc       *mail.Service
	mb        *store.Mailbox
	address   string
	target    mail.Target
	companyID int64
	contactID int64
}

func newWorld(t testing.TB, b testsupport.Backend) *world {
	t.Helper()
	env := testsupport.Start(t, b, false)
	svc := mail.NewService(env.PSA, nil, nil)
	ctx := context.Background()
	addr := "support-" + testsupport.RandomHex(4) + "@msp.test"
	tenant := env.Tenant.Name
	if _, err := svc.AddMailbox(ctx, mail.MailboxChange{Address: &addr, Tenant: &tenant}); err != nil {
		t.Fatalf("add mailbox: %v", err)
	}
	rec, err := env.PSA.DB.MailboxByAddress(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{env: env, svc: svc, mb: rec, address: addr, target: &mail.LocalTarget{PSA: env.PSA, TenantID: env.Tenant.ID}}
	w.companyID = w.create(t, "Companies", mail.Record{"companyName": "Acme Ltd", "companyType": 1, "webAddress": "https://www.acme.test/", "ownerResourceID": 1, "phone": "555-0100"})
	w.contactID = w.createChild(t, "Companies", w.companyID, "Contacts", mail.Record{"firstName": "Ann", "lastName": "Smith", "emailAddress": "ann@acme.test", "isActive": 1})
	return w
}

func (w *world) create(t testing.TB, entity string, r mail.Record) int64 {
	t.Helper()
	id, err := w.target.Create(context.Background(), entity, r)
	if err != nil {
		t.Fatalf("create %s: %v", entity, err)
	}
	return id
}

func (w *world) createChild(t testing.TB, parent string, pid int64, child string, r mail.Record) int64 {
	t.Helper()
	id, err := w.target.ChildCreate(context.Background(), parent, pid, child, r)
	if err != nil {
		t.Fatalf("create %s/%s: %v", parent, child, err)
	}
	return id
}

func (w *world) receive(t *testing.T, raw string) *mail.Entry {
	t.Helper()
	e, err := w.svc.Receive(context.Background(), w.mb, []byte(strings.ReplaceAll(raw, "\n", "\r\n")), "")
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	return e
}

func (w *world) ticket(t *testing.T, id int64) mail.Record {
	t.Helper()
	r, err := w.target.Get(context.Background(), "Tickets", id)
	if err != nil || r == nil {
		t.Fatalf("ticket %d: %v %v", id, r, err)
	}
	return r
}

func (w *world) count(t *testing.T, entity string, filter ...any) int {
	t.Helper()
	if len(filter) == 0 {
		filter = []any{map[string]any{"op": "exist", "field": "id"}}
	}
	items, err := w.target.Query(context.Background(), entity, filter, 500)
	if err != nil {
		t.Fatal(err)
	}
	return len(items)
}

func msg(from, subject, body string, extra ...string) string {
	h := fmt.Sprintf("From: %s\nTo: support@msp.test\nSubject: %s\nMessage-ID: <%s@test>\nDate: Mon, 30 Nov 2026 09:00:00 +0000\n", from, subject, testsupport.RandomHex(8))
	for _, x := range extra {
		h += x + "\n"
	}
	return h + "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n" + body + "\n"
}

func TestRouting(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			w := newWorld(t, b)

			// (2) the sender is a contact: a ticket for the contact and its company.
			e := w.receive(t, msg("Ann Smith <Ann@Acme.test>", "Printer on fire", "The printer is on fire.\nPlease help."))
			if e.Outcome != mail.OutcomeTicket || e.TicketID == 0 || e.TicketNumber == "" {
				t.Fatalf("contact mail: %+v", e)
			}
			tk := w.ticket(t, e.TicketID)
			if tk.Int("companyID") != w.companyID || tk.Int("contactID") != w.contactID || tk.String("title") != "Printer on fire" ||
				!strings.Contains(tk.String("description"), "Please help.") || tk.Int("source") != mail.DefaultSource || tk.Int("status") != 1 || tk.Int("priority") != 2 {
				t.Fatalf("ticket from a contact: %v", tk)
			}

			// (1) the ticket number in the subject, from the ticket's contact: a published note,
			// the quoted thread trimmed.
			reply := "Still burning.\n\nOn Mon, 30 Nov 2026 at 09:00, Support <" + w.address + "> wrote:\n> The printer is on fire.\n> Please help."
			n := w.receive(t, msg("ann@acme.test", "RE: ["+e.TicketNumber+"] Printer on fire", reply))
			if n.Outcome != mail.OutcomeNote || n.TicketID != e.TicketID || n.NoteID == 0 {
				t.Fatalf("reply: %+v", n)
			}
			note, err := w.target.Get(context.Background(), "TicketNotes", n.NoteID)
			if err != nil || note == nil {
				t.Fatal(note, err)
			}
			if note.String("description") != "Still burning." || note.Int("publish") != 1 || note.Int("ticketID") != e.TicketID {
				t.Fatalf("note: %v", note)
			}

			// ... from someone else: an internal note.
			n2 := w.receive(t, msg("bob@elsewhere.test", "Re: "+e.TicketNumber, "I can see smoke too."))
			if n2.Outcome != mail.OutcomeNote {
				t.Fatalf("third-party reply: %+v", n2)
			}
			note2, _ := w.target.Get(context.Background(), "TicketNotes", n2.NoteID)
			if note2.Int("publish") != 2 {
				t.Fatalf("a note from someone not the contact is published: %v", note2)
			}

			// (3) an unknown sender of the company's domain: a ticket for the company, no contact.
			d := w.receive(t, msg("carl@acme.test", "Need a laptop", "Hello"))
			if d.Outcome != mail.OutcomeTicket || w.ticket(t, d.TicketID).Int("companyID") != w.companyID || w.ticket(t, d.TicketID).Int("contactID") != 0 {
				t.Fatalf("domain mail: %+v %v", d, w.ticket(t, d.TicketID))
			}

			// (4) otherwise: the fallback company, and an empty subject gets a title.
			f := w.receive(t, msg("someone@nowhere.test", "", "hi"))
			ft := w.ticket(t, f.TicketID)
			if f.Outcome != mail.OutcomeTicket || ft.Int("companyID") != 0 || !strings.HasPrefix(ft.String("title"), "New Ticket - ") {
				t.Fatalf("fallback: %+v %v", f, ft)
			}

			// A ticket number that does not exist is a new ticket.
			x := w.receive(t, msg("ann@acme.test", "About T20000101.9999", "old"))
			if x.Outcome != mail.OutcomeTicket {
				t.Fatalf("unknown ticket number: %+v", x)
			}

			// Extra domains and contact creation.
			yes := true
			if _, err := w.svc.EditMailbox(context.Background(), w.address, mail.MailboxChange{Create: &yes, AddDomains: map[string]int64{"acme-mail.test": w.companyID}}); err != nil {
				t.Fatal(err)
			}
			w.mb, _ = w.env.PSA.DB.MailboxByAddress(context.Background(), w.address)
			c := w.receive(t, msg("Dora Diaz <dora@acme-mail.test>", "VPN", "VPN down"))
			ct := w.ticket(t, c.TicketID)
			if c.Outcome != mail.OutcomeTicket || ct.Int("companyID") != w.companyID || ct.Int("contactID") == 0 {
				t.Fatalf("extra domain with contact creation: %+v %v", c, ct)
			}
			contact, _ := w.target.Get(context.Background(), "Contacts", ct.Int("contactID"))
			if contact.String("firstName") != "Dora" || contact.String("lastName") != "Diaz" || contact.String("emailAddress") != "dora@acme-mail.test" {
				t.Fatalf("created contact: %v", contact)
			}
		})
	}
}

func TestLoopProtection(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			w := newWorld(t, b)
			before := w.count(t, "Tickets")

			// R8: the same Message-ID twice makes one ticket.
			raw := msg("ann@acme.test", "Twice", "once")
			first, second := w.receive(t, raw), w.receive(t, raw)
			if first.Outcome != mail.OutcomeTicket || second.Outcome != mail.OutcomeDuplicate || second.ID != first.ID {
				t.Fatalf("duplicate: %+v then %+v", first, second)
			}

			// R8: auto-replies, bounces and bulk mail make no ticket.
			for name, m := range map[string]string{
				"auto-submitted": msg("ann@acme.test", "Out of office", "away", "Auto-Submitted: auto-replied"),
				"precedence":     msg("news@acme.test", "Newsletter", "buy", "Precedence: bulk"),
				"junk":           msg("x@acme.test", "Spam", "buy", "Precedence: junk"),
				"list":           msg("list@acme.test", "Digest", "...", "List-Id: <users.lists.acme.test>"),
				"x-autoreply":    msg("ann@acme.test", "Re: hi", "away", "X-Autoreply: yes"),
				"mailer-daemon":  msg("MAILER-DAEMON@mx.acme.test", "Undelivered Mail Returned to Sender", "bounce"),
				"itself":         msg(w.address, "loop", "me"),
			} {
				e := w.receive(t, m)
				if e.Outcome != mail.OutcomeIgnored || e.TicketID != 0 {
					t.Errorf("%s: %+v", name, e)
				}
			}
			if got := w.count(t, "Tickets"); got != before+1 {
				t.Fatalf("tickets: %d, want %d", got, before+1)
			}
		})
	}
}

// TestLoopOfAThousand is R8: a loop of 1,000 messages from one sender makes only as many
// tickets as the rate limit allows; the rest are held, without any ticket work.
func TestLoopOfAThousand(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			w := newWorld(t, b)
			before := w.count(t, "Tickets")
			outcomes := map[string]int{}
			for i := 0; i < 1000; i++ {
				e := w.receive(t, msg("ann@acme.test", fmt.Sprintf("Re: your ticket (%d)", i), "autoresponder without headers"))
				outcomes[e.Outcome]++
			}
			if outcomes[mail.OutcomeTicket] != mail.DefaultRateLimit || outcomes[mail.OutcomeHeld] != 1000-mail.DefaultRateLimit {
				t.Fatalf("outcomes: %v", outcomes)
			}
			if got := w.count(t, "Tickets"); got != before+mail.DefaultRateLimit {
				t.Fatalf("tickets: %d, want %d", got, before+mail.DefaultRateLimit)
			}
			// Another sender is not held back by the loop.
			if e := w.receive(t, msg("carl@acme.test", "Real question", "hi")); e.Outcome != mail.OutcomeTicket {
				t.Fatalf("other sender: %+v", e)
			}
			// Searching the log finds the held ones; one can be re-processed on purpose.
			held, err := w.svc.Log(context.Background(), store.MailFilter{MailboxIDs: []int64{w.mb.ID}, Outcome: mail.OutcomeHeld, Text: "(999)"})
			if err != nil || len(held) != 1 {
				t.Fatalf("search: %+v %v", held, err)
			}
			e, err := w.svc.Reprocess(context.Background(), held[0].ID)
			if err != nil || e.Outcome != mail.OutcomeTicket || e.Attempts != 2 {
				t.Fatalf("reprocess: %+v %v", e, err)
			}
			if _, err := w.svc.Reprocess(context.Background(), held[0].ID); err == nil {
				t.Fatal("a processed message was re-processed again")
			}
		})
	}
}

func TestFailedMessageIsKeptAndReprocessed(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			w := newWorld(t, b)
			missing := int64(987654)
			if _, err := w.svc.EditMailbox(context.Background(), w.address, mail.MailboxChange{Fallback: &missing}); err != nil {
				t.Fatal(err)
			}
			w.mb, _ = w.env.PSA.DB.MailboxByAddress(context.Background(), w.address)
			e := w.receive(t, msg("x@unknown.test", "Lost?", "where does this go"))
			if e.Outcome != mail.OutcomeFailed || !e.CanReprocess || !strings.Contains(e.Reason, "create ticket") {
				t.Fatalf("failed: %+v", e)
			}
			zero := int64(0)
			if _, err := w.svc.EditMailbox(context.Background(), w.address, mail.MailboxChange{Fallback: &zero}); err != nil {
				t.Fatal(err)
			}
			r, err := w.svc.Reprocess(context.Background(), e.ID)
			if err != nil || r.Outcome != mail.OutcomeTicket || w.ticket(t, r.TicketID).String("title") != "Lost?" {
				t.Fatalf("reprocessed: %+v %v", r, err)
			}
		})
	}
}

// TestBrokenMailboxSettings: a mailbox whose stored settings cannot be read fails each message
// with the reason, keeps it for re-processing, and routes it once the settings are whole again.
func TestBrokenMailboxSettings(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			w := newWorld(t, b)
			ctx := context.Background()
			good := w.mb.Settings
			w.mb.Settings = `{"rateLimit": "many"`
			if err := w.env.PSA.DB.UpdateMailbox(ctx, w.mb); err != nil {
				t.Fatal(err)
			}
			e := w.receive(t, msg("ann@acme.test", "Printer down", "the printer is down"))
			if e.Outcome != mail.OutcomeFailed || !e.CanReprocess || !strings.HasPrefix(e.Reason, "mailbox settings: ") {
				t.Fatalf("received: %+v", e)
			}
			logged, err := w.svc.LogEntry(ctx, e.ID)
			if err != nil || logged.Outcome != mail.OutcomeFailed || logged.Reason != e.Reason {
				t.Fatalf("log entry: %+v %v", logged, err)
			}
			if r, err := w.svc.Reprocess(ctx, e.ID); err != nil || r.Outcome != mail.OutcomeFailed || r.Reason != e.Reason {
				t.Fatalf("re-processed with the settings still broken: %+v %v", r, err)
			}
			if n := w.count(t, "Tickets"); n != 0 {
				t.Fatalf("%d tickets made from a mailbox with broken settings", n)
			}
			w.mb.Settings = good
			if err := w.env.PSA.DB.UpdateMailbox(ctx, w.mb); err != nil {
				t.Fatal(err)
			}
			r, err := w.svc.Reprocess(ctx, e.ID)
			if err != nil || r.Outcome != mail.OutcomeTicket || w.ticket(t, r.TicketID).String("title") != "Printer down" {
				t.Fatalf("re-processed once mended: %+v %v", r, err)
			}
		})
	}
}
