package mail_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/switchboard-psa/switchboard/internal/connection"
	"github.com/switchboard-psa/switchboard/internal/mail"
	"github.com/switchboard-psa/switchboard/internal/store"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

func TestIMAPPoller(t *testing.T) {
	d := testsupport.StartDovecot(t, "sqlite@msp.test", "postgres@msp.test")
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			w := newWorld(t, b)
			ctx := context.Background()
			sealer, err := connection.LoadKey(t.TempDir(), "")
			if err != nil {
				t.Fatal(err)
			}
			w.svc.Connections = &connection.Service{DB: w.env.PSA.DB, Sealer: sealer}
			username := string(b) + "@msp.test"
			addr := "imap-" + testsupport.RandomHex(4) + "@msp.test"
			kind, host, user, pass, ca, missing := "imap", d.IMAPS, username, d.Password, d.CAFile, int64(424242)
			poll := 3600
			mb, err := w.svc.AddMailbox(ctx, mail.MailboxChange{Address: &addr, Tenant: &w.env.Tenant.Name, Kind: &kind, IMAPHost: &host,
				IMAPUsername: &user, IMAPPassword: &pass, IMAPCAFile: &ca, Fallback: &missing, IMAPPoll: &poll})
			if err != nil {
				t.Fatal(err)
			}
			if mb.IMAPSecurity != "tls" || mb.IMAPFolder != "INBOX" || mb.IMAPProcessed != "Processed" || !mb.HasIMAPPassword {
				t.Fatalf("IMAP defaults: %+v", mb)
			}

			// One message routes (the contact), one fails (no such fallback company), one is an
			// auto-reply.
			d.Deliver(t, username,
				msg("ann@acme.test", "IMAP one", "from the contact"),
				msg("stranger@nowhere.test", "IMAP two", "no company for this"),
				msg("ann@acme.test", "Automatic reply: IMAP", "away", "Auto-Submitted: auto-replied"))
			res, err := w.svc.PollIMAP(ctx, addr)
			if err != nil {
				t.Fatal(err)
			}
			if res.Processed != 2 || res.Failed != 1 {
				t.Fatalf("poll: %+v", res)
			}
			inbox, processed := d.Folder(t, username, "INBOX"), d.Folder(t, username, "Processed")
			if len(inbox) != 1 || !hasFlag(inbox["IMAP two"], imap.FlagFlagged) {
				t.Fatalf("INBOX after the poll: %v", inbox)
			}
			if _, ok := processed["IMAP one"]; !ok || len(processed) != 2 {
				t.Fatalf("Processed: %v", processed)
			}
			log, _ := w.svc.Log(ctx, store.MailFilter{MailboxIDs: []int64{mb.ID}})
			outcomes := map[string]string{}
			for _, e := range log {
				outcomes[e.Subject] = e.Outcome
			}
			if outcomes["IMAP one"] != mail.OutcomeTicket || outcomes["IMAP two"] != mail.OutcomeFailed || outcomes["Automatic reply: IMAP"] != mail.OutcomeIgnored {
				t.Fatalf("log: %v", outcomes)
			}
			// A second poll leaves the flagged failure alone.
			if res, err := w.svc.PollIMAP(ctx, addr); err != nil || res.Processed+res.Failed != 0 {
				t.Fatalf("second poll: %+v %v", res, err)
			}

			// The watcher (serve) takes new mail at once through IDLE: the poll interval is an hour.
			wctx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { defer close(done); w.svc.RunIMAP(wctx, time.Hour) }()
			defer func() { cancel(); <-done }()
			time.Sleep(500 * time.Millisecond) // connected and idling
			d.Deliver(t, username, msg("ann@acme.test", "IMAP idle", "pushed"))
			deadline := time.Now().Add(15 * time.Second)
			for {
				l, _ := w.svc.Log(ctx, store.MailFilter{MailboxIDs: []int64{mb.ID}, Text: "IMAP idle"})
				if len(l) == 1 && l[0].Outcome == mail.OutcomeTicket {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the message delivered during IDLE was not processed: %+v", l)
				}
				time.Sleep(100 * time.Millisecond)
			}

			// A wrong password is a clear error.
			bad := "wrong"
			if _, err := w.svc.EditMailbox(ctx, addr, mail.MailboxChange{IMAPPassword: &bad}); err != nil {
				t.Fatal(err)
			}
			if _, err := w.svc.PollIMAP(ctx, addr); err == nil || !strings.Contains(err.Error(), "log in") {
				t.Fatalf("wrong password: %v", err)
			}
		})
	}
}

func hasFlag(flags []imap.Flag, f imap.Flag) bool {
	for _, x := range flags {
		if x == f {
			return true
		}
	}
	return false
}
