package cli

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/switchboard-psa/switchboard/internal/mail"
)

// mailServe is the email-to-ticket part of serve: the SMTP listener (off unless --smtp-addr)
// and the IMAP poller (on; it does nothing without IMAP mailboxes).
type mailServe struct {
	smtpAddr, cert, key, domain string
	requireTLS                  bool
	maxBytes                    int64
	imap                        bool
}

func (m *mailServe) flags(f *pflag.FlagSet) {
	f.StringVar(&m.smtpAddr, "smtp-addr", "", "if set, receive mail for SMTP mailboxes on this address, e.g. :2525 (SWITCHBOARD_SMTP_ADDR)")
	f.StringVar(&m.cert, "smtp-cert", "", "PEM certificate file: offer STARTTLS (SWITCHBOARD_SMTP_CERT)")
	f.StringVar(&m.key, "smtp-key", "", "PEM private key file of --smtp-cert (SWITCHBOARD_SMTP_KEY)")
	f.BoolVar(&m.requireTLS, "smtp-require-tls", false, "refuse mail sent before STARTTLS (SWITCHBOARD_SMTP_REQUIRE_TLS)")
	f.StringVar(&m.domain, "smtp-domain", "", "host name the SMTP listener greets with (SWITCHBOARD_SMTP_DOMAIN)")
	f.Int64Var(&m.maxBytes, "smtp-max-bytes", mail.DefaultMaxMessageBytes, "largest message accepted, in bytes (SWITCHBOARD_SMTP_MAX_BYTES)")
	f.BoolVar(&m.imap, "imap", true, "poll the IMAP mailboxes (SWITCHBOARD_IMAP)")
}

// start starts the listener and the poller; stop ends them and waits.
func (m *mailServe) start(ctx context.Context, out io.Writer, ms *mail.Service, log *slog.Logger) (stop func(), err error) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	if m.smtpAddr != "" {
		var tc *tls.Config
		if m.cert != "" || m.key != "" {
			pair, err := tls.LoadX509KeyPair(m.cert, m.key)
			if err != nil {
				cancel()
				return nil, fmt.Errorf("--smtp-cert/--smtp-key: %w", err)
			}
			tc = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
		} else if m.requireTLS {
			cancel()
			return nil, fmt.Errorf("--smtp-require-tls needs --smtp-cert and --smtp-key")
		}
		ln, err := net.Listen("tcp", m.smtpAddr)
		if err != nil {
			cancel()
			return nil, fmt.Errorf("listen on %s: %w", m.smtpAddr, err)
		}
		srv := ms.NewSMTPServer(mail.SMTPOptions{Domain: m.domain, TLS: tc, RequireTLS: m.requireTLS, MaxMessageBytes: m.maxBytes, Logger: log})
		fmt.Fprintf(out, "Email to ticket: SMTP listener on %s (STARTTLS %s)\n", ln.Addr(), yesNoText(tc != nil))
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := mail.ServeSMTP(ctx, srv, ln); err != nil {
				log.Error("smtp listener stopped", "error", err)
			}
		}()
	}
	if m.imap {
		wg.Add(1)
		go func() { defer wg.Done(); ms.RunIMAP(ctx, 30*time.Second) }()
	}
	return func() { cancel(); wg.Wait() }, nil
}
