package mail_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-psa/switchboard/internal/mail"
	"github.com/switchboard-psa/switchboard/internal/store"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// startSMTP runs the listener for the world's service on a free port.
func startSMTP(t testing.TB, w *world, o mail.SMTPOptions) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := w.svc.NewSMTPServer(o)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = mail.ServeSMTP(ctx, srv, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String()
}

func smtpCode(err error) int {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}

func TestSMTPListener(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			w := newWorld(t, b)
			pair, pool, _, _ := testsupport.SelfSigned(t, t.TempDir())
			addr := startSMTP(t, w, mail.SMTPOptions{TLS: &tls.Config{Certificates: []tls.Certificate{pair}}, RequireTLS: true, MaxMessageBytes: 64 << 10})

			c, err := smtp.Dial(addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if err := c.Hello("client.test"); err != nil {
				t.Fatal(err)
			}
			if ok, _ := c.Extension("STARTTLS"); !ok {
				t.Fatal("STARTTLS not offered")
			}
			// Mail before STARTTLS is refused when TLS is required.
			if err := c.Mail("ann@acme.test"); smtpCode(err) != 530 {
				t.Fatalf("MAIL before STARTTLS: %v", err)
			}
			if err := c.StartTLS(&tls.Config{ServerName: "127.0.0.1", RootCAs: pool}); err != nil {
				t.Fatalf("STARTTLS: %v", err)
			}
			if err := c.Mail("ann@acme.test"); err != nil {
				t.Fatal(err)
			}
			// An unknown recipient is refused at RCPT.
			if err := c.Rcpt("nobody@msp.test"); smtpCode(err) != 550 {
				t.Fatalf("unknown recipient: %v", err)
			}
			if err := c.Rcpt(strings.ToUpper(w.address)); err != nil {
				t.Fatalf("the mailbox's address (any case): %v", err)
			}
			wc, err := c.Data()
			if err != nil {
				t.Fatal(err)
			}
			raw := strings.ReplaceAll(msg("Ann Smith <ann@acme.test>", "Sent by SMTP", "Over the wire."), "\n", "\r\n")
			if _, err := wc.Write([]byte(raw)); err != nil {
				t.Fatal(err)
			}
			if err := wc.Close(); err != nil {
				t.Fatalf("DATA: %v", err)
			}
			// Accepted means recorded and processed.
			log, err := w.svc.Log(context.Background(), store.MailFilter{MailboxIDs: []int64{w.mb.ID}})
			if err != nil || len(log) != 1 || log[0].Outcome != mail.OutcomeTicket || log[0].Subject != "Sent by SMTP" {
				t.Fatalf("log after SMTP: %+v %v", log, err)
			}
			if tk := w.ticket(t, log[0].TicketID); tk.Int("contactID") != w.contactID {
				t.Fatalf("ticket: %v", tk)
			}

			// Over the size limit: 552, nothing recorded.
			if err := c.Mail("ann@acme.test"); err != nil {
				t.Fatal(err)
			}
			if err := c.Rcpt(w.address); err != nil {
				t.Fatal(err)
			}
			wc, _ = c.Data()
			_, _ = wc.Write([]byte(msg("ann@acme.test", "Big", strings.Repeat("0123456789abcdef\r\n", 8<<10))))
			if err := wc.Close(); smtpCode(err) != 552 {
				t.Fatalf("too big: %v", err)
			}
			if log, _ := w.svc.Log(context.Background(), store.MailFilter{MailboxIDs: []int64{w.mb.ID}}); len(log) != 1 {
				t.Fatalf("a refused message was recorded: %d entries", len(log))
			}
			_ = c.Quit()
		})
	}
}

func TestSMTPTimeoutAndPlain(t *testing.T) {
	w := newWorld(t, testsupport.SQLite)
	addr := startSMTP(t, w, mail.SMTPOptions{ReadTimeout: 300 * time.Millisecond})
	// Without a certificate there is no STARTTLS, and plain mail is taken.
	if err := smtp.SendMail(addr, nil, "ann@acme.test", []string{w.address}, []byte(strings.ReplaceAll(msg("ann@acme.test", "Plain", "x"), "\n", "\r\n"))); err != nil {
		t.Fatalf("send: %v", err)
	}
	// An idle client is cut after the read timeout.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	buf := make([]byte, 512)
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Read(buf); err != nil { // greeting
		t.Fatal(err)
	}
	start := time.Now()
	for {
		if _, err := conn.Read(buf); err != nil {
			break
		}
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Fatalf("idle connection kept for %v", d)
	}
}
