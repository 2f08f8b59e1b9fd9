package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/switchboard-psa/switchboard/internal/store"
)

// DefaultMaxMessageBytes is the largest message the listener takes (SIZE), 25 MiB.
const DefaultMaxMessageBytes = 25 << 20

// SMTPOptions configure the listener.
type SMTPOptions struct {
	// Domain is the name the server greets with (default "switchboard").
	Domain string
	// TLS, when set, offers STARTTLS with this certificate.
	TLS *tls.Config
	// RequireTLS refuses MAIL before STARTTLS.
	RequireTLS bool
	// MaxMessageBytes is the size limit (default DefaultMaxMessageBytes).
	MaxMessageBytes int64
	// MaxRecipients per message (default 50).
	MaxRecipients int
	// ReadTimeout and WriteTimeout bound every command and reply (default 1 minute); a
	// session is also cut after SessionTimeout (default 10 minutes).
	ReadTimeout, WriteTimeout, SessionTimeout time.Duration
	Logger                                    *slog.Logger
}

// NewSMTPServer returns an SMTP server that delivers to the service's mailboxes: a recipient
// that is not an active SMTP mailbox is refused at RCPT, and a message is accepted (250) only
// once it is recorded in the processing log — so nothing accepted is lost.
func (s *Service) NewSMTPServer(o SMTPOptions) *smtp.Server {
	if o.Domain == "" {
		o.Domain = "switchboard"
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if o.MaxRecipients <= 0 {
		o.MaxRecipients = 50
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = time.Minute
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = time.Minute
	}
	if o.SessionTimeout <= 0 {
		o.SessionTimeout = 10 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = s.Logger
	}
	be := &smtpBackend{s: s, o: o}
	srv := smtp.NewServer(be)
	srv.Domain = o.Domain
	srv.MaxMessageBytes = o.MaxMessageBytes
	srv.MaxRecipients = o.MaxRecipients
	srv.ReadTimeout, srv.WriteTimeout = o.ReadTimeout, o.WriteTimeout
	srv.TLSConfig = o.TLS
	srv.ErrorLog = slogSMTP{o.Logger}
	return srv
}

type slogSMTP struct{ l *slog.Logger }

func (l slogSMTP) Printf(format string, v ...any) { l.l.Warn("smtp: " + fmt.Sprintf(format, v...)) }
func (l slogSMTP) Println(v ...any)               { l.l.Warn("smtp: " + strings.TrimSpace(fmt.Sprintln(v...))) }

type smtpBackend struct {
	s *Service
	o SMTPOptions
}

func (b *smtpBackend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	// The whole session has a deadline, so a client cannot hold a connection open forever
	// by sending a byte now and then (ReadTimeout bounds each command).
	ctx, cancel := context.WithTimeout(context.Background(), b.o.SessionTimeout)
	conn := c.Conn()
	cut := time.AfterFunc(b.o.SessionTimeout, func() { conn.Close() })
	return &smtpSession{b: b, c: c, ctx: ctx, cancel: func() { cut.Stop(); cancel() }, remote: conn.RemoteAddr().String()}, nil
}

type smtpSession struct {
	b      *smtpBackend
	c      *smtp.Conn
	ctx    context.Context
	cancel context.CancelFunc
	remote string
	from   string
	rcpts  []*store.Mailbox
}

var (
	errNoSuchMailbox = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such mailbox here"}
	errTLSRequired   = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Must issue a STARTTLS command first"}
	errTemporary     = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary failure, try again later"}
	errTooBig        = &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4}, Message: "Message too big"}
)

func (ss *smtpSession) Reset()        { ss.from, ss.rcpts = "", nil }
func (ss *smtpSession) Logout() error { ss.cancel(); return nil }

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if ss.b.o.RequireTLS && ss.b.o.TLS != nil {
		if _, ok := ss.c.TLSConnectionState(); !ok {
			return errTLSRequired
		}
	}
	ss.from = from
	if from == "" {
		ss.from = "<>"
	}
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	mb, err := ss.b.s.DB.MailboxByAddress(ss.ctx, strings.TrimSpace(to))
	if errors.Is(err, store.ErrNotFound) || (err == nil && (!mb.Active || mb.Kind != KindSMTP)) {
		return errNoSuchMailbox
	}
	if err != nil {
		ss.b.o.Logger.Error("smtp: look up recipient", "error", err)
		return errTemporary
	}
	for _, r := range ss.rcpts {
		if r.ID == mb.ID {
			return nil
		}
	}
	ss.rcpts = append(ss.rcpts, mb)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(r, ss.b.o.MaxMessageBytes+1))
	if err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			return se
		}
		return errTemporary
	}
	if n > ss.b.o.MaxMessageBytes {
		return errTooBig
	}
	raw := buf.Bytes()
	for _, mb := range ss.rcpts {
		e, err := ss.b.s.Receive(ss.ctx, mb, raw, ss.from)
		if err != nil {
			// Not recorded: the sender keeps the message and tries again.
			ss.b.o.Logger.Error("smtp: record message", "mailbox", mb.Address, "remote", ss.remote, "error", err)
			return errTemporary
		}
		ss.b.o.Logger.Info("mail received", "mailbox", mb.Address, "log_id", e.ID, "outcome", e.Outcome, "ticket_id", e.TicketID, "remote", ss.remote)
	}
	return nil
}

// ServeSMTP runs the listener on ln until ctx ends, then shuts it down.
func ServeSMTP(ctx context.Context, srv *smtp.Server, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		_ = srv.Close()
	}
	<-errc
	return nil
}
