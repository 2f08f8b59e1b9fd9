package mail_test

import (
	"context"
	"fmt"
	"net/smtp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-psa/switchboard/internal/mail"
	"github.com/switchboard-psa/switchboard/internal/store"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// BenchmarkSMTPToTicket is P7: messages per second from SMTP in to ticket committed, on
// SQLite. 8 SMTP clients, each a connection sending one message after another; a message
// counts once the listener answered 250 to its DATA, which it does only after the ticket is
// committed. Senders alternate between a contact (sender → contact) and unknown addresses of
// the company's domain (contact miss, domain → company).
//
//	go test -run XXX -bench SMTPToTicket -benchtime 2000x ./internal/mail/
func BenchmarkSMTPToTicket(b *testing.B) {
	w := newWorld(b, testsupport.SQLite)
	limit := 100000
	if _, err := w.svc.EditMailbox(context.Background(), w.address, mail.MailboxChange{RateLimit: &limit}); err != nil {
		b.Fatal(err)
	}
	addr := startSMTP(b, w, mail.SMTPOptions{})
	const clients = 8
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	b.ResetTimer()
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl, err := smtp.Dial(addr)
			if err != nil {
				errs <- err
				return
			}
			defer cl.Close()
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					_ = cl.Quit()
					return
				}
				from := "ann@acme.test"
				if i%2 == 0 {
					from = fmt.Sprintf("user%d@acme.test", i)
				}
				raw := strings.ReplaceAll(msg(from, fmt.Sprintf("Benchmark message %d", i), "Something is broken.\nPlease look."), "\n", "\r\n")
				if err := cl.Mail(from); err != nil {
					errs <- err
					return
				}
				if err := cl.Rcpt(w.address); err != nil {
					errs <- err
					return
				}
				wc, err := cl.Data()
				if err != nil {
					errs <- err
					return
				}
				if _, err := wc.Write([]byte(raw)); err != nil {
					errs <- err
					return
				}
				if err := wc.Close(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
	log, err := w.svc.Log(context.Background(), store.MailFilter{MailboxIDs: []int64{w.mb.ID}, Outcome: mail.OutcomeTicket, Limit: 1})
	if err != nil || len(log) == 0 {
		b.Fatalf("no ticket made: %v", err)
	}
}

// BenchmarkReceive is the same work without SMTP: Receive called directly, one at a time.
func BenchmarkReceive(b *testing.B) {
	w := newWorld(b, testsupport.SQLite)
	limit := 100000
	if _, err := w.svc.EditMailbox(context.Background(), w.address, mail.MailboxChange{RateLimit: &limit}); err != nil {
		b.Fatal(err)
	}
	w.mb, _ = w.env.PSA.DB.MailboxByAddress(context.Background(), w.address)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		from := "ann@acme.test"
		if i%2 == 0 {
			from = fmt.Sprintf("user%d@acme.test", i)
		}
		raw := strings.ReplaceAll(msg(from, fmt.Sprintf("Benchmark message %d", i), "Something is broken."), "\n", "\r\n")
		e, err := w.svc.Receive(context.Background(), w.mb, []byte(raw), "")
		if err != nil || e.Outcome != mail.OutcomeTicket {
			b.Fatal(e, err)
		}
	}
}

// BenchmarkTicketCreateBaseline is the baseline P7 is read against on a shared machine: the
// same tickets created straight through the psa services by 8 goroutines, no mail at all.
func BenchmarkTicketCreateBaseline(b *testing.B) {
	w := newWorld(b, testsupport.SQLite)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for c := 0; c < 8; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if _, err := w.target.Create(context.Background(), "Tickets", mail.Record{"companyID": w.companyID, "contactID": w.contactID,
					"title": "Baseline", "description": "Something is broken.", "status": 1, "priority": 2, "source": 2}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tickets/s")
}
