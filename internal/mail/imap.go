package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/switchboard-psa/switchboard/internal/store"
)

// IMAP timeouts: connecting, one command, and how long one IDLE lasts before it is renewed
// (servers drop an IDLE after 30 minutes).
const (
	imapDialTimeout = 30 * time.Second
	imapIdleRenew   = 25 * time.Minute
)

// PollResult is what one pass over an IMAP folder did.
type PollResult struct {
	Processed int // recorded and moved to the processed folder
	Failed    int // recorded as failed, flagged and left in place
	Skipped   int // too large: flagged and left in place
}

type imapConn struct {
	c    *imapclient.Client
	wake chan struct{}
}

func (s *Service) imapDial(rec *store.Mailbox, st Settings) (*imapConn, error) {
	host, _, err := net.SplitHostPort(st.IMAPHost)
	if err != nil {
		return nil, fmt.Errorf("imap host %q: %w", st.IMAPHost, err)
	}
	tc := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if st.IMAPCAFile != "" {
		pem, err := os.ReadFile(st.IMAPCAFile)
		if err != nil {
			return nil, fmt.Errorf("imap CA file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("imap CA file %s holds no PEM certificate", st.IMAPCAFile)
		}
		tc.RootCAs = pool
	}
	ic := &imapConn{wake: make(chan struct{}, 1)}
	opts := &imapclient.Options{TLSConfig: tc, Dialer: &net.Dialer{Timeout: imapDialTimeout},
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				select {
				case ic.wake <- struct{}{}:
				default:
				}
			}
		}}}
	switch st.IMAPSecurity {
	case "starttls":
		ic.c, err = imapclient.DialStartTLS(st.IMAPHost, opts)
	case "none":
		ic.c, err = imapclient.DialInsecure(st.IMAPHost, opts)
	default:
		ic.c, err = imapclient.DialTLS(st.IMAPHost, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", st.IMAPHost, err)
	}
	pass, err := s.imapPassword(rec)
	if err != nil {
		ic.c.Close()
		return nil, err
	}
	if err := ic.c.Login(st.IMAPUsername, pass).Wait(); err != nil {
		ic.c.Close()
		return nil, fmt.Errorf("log in to %s as %s: %w", st.IMAPHost, st.IMAPUsername, err)
	}
	// The processed folder may exist already; a real problem shows at the first move.
	_ = ic.c.Create(st.IMAPProcessed, nil).Wait()
	if _, err := ic.c.Select(st.IMAPFolder, nil).Wait(); err != nil {
		ic.c.Close()
		return nil, fmt.Errorf("select %s: %w", st.IMAPFolder, err)
	}
	return ic, nil
}

func (ic *imapConn) close() {
	_ = ic.c.Logout().Wait()
	ic.c.Close()
}

// PollIMAP connects to an IMAP mailbox once, processes every message of its folder that is not
// flagged, and logs out: processed mail moves to the processed folder, failures are flagged
// and left where they are.
func (s *Service) PollIMAP(ctx context.Context, ref string) (PollResult, error) {
	rec, err := s.record(ctx, ref)
	if err != nil {
		return PollResult{}, err
	}
	var st Settings
	if err := jsonUnmarshal(rec.Settings, &st); err != nil {
		return PollResult{}, err
	}
	if rec.Kind != KindIMAP {
		return PollResult{}, invalid("Mailbox %s is not an IMAP mailbox.", rec.Address)
	}
	ic, err := s.imapDial(rec, st)
	if err != nil {
		return PollResult{}, err
	}
	defer ic.close()
	return s.imapPass(ctx, ic, rec, st)
}

func (s *Service) imapPass(ctx context.Context, ic *imapConn, rec *store.Mailbox, st Settings) (PollResult, error) {
	var res PollResult
	found, err := ic.c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagFlagged, imap.FlagDeleted}}, nil).Wait()
	if err != nil {
		return res, fmt.Errorf("search: %w", err)
	}
	section := &imap.FetchItemBodySection{Peek: true}
	for _, uid := range found.AllUIDs() {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		set := imap.UIDSetNum(uid)
		sized, err := ic.c.Fetch(set, &imap.FetchOptions{UID: true, RFC822Size: true}).Collect()
		if err != nil {
			return res, fmt.Errorf("fetch size: %w", err)
		}
		if len(sized) == 1 && sized[0].RFC822Size > DefaultMaxMessageBytes {
			s.Logger.Warn("imap: message too large, flagged and left", "mailbox", rec.Address, "uid", uid, "size", sized[0].RFC822Size)
			if err := ic.c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagFlagged}}, nil).Close(); err != nil {
				return res, err
			}
			res.Skipped++
			continue
		}
		msgs, err := ic.c.Fetch(set, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
		if err != nil {
			return res, fmt.Errorf("fetch: %w", err)
		}
		if len(msgs) != 1 {
			continue // expunged meanwhile
		}
		raw := msgs[0].FindBodySection(section)
		e, err := s.Receive(ctx, rec, raw, "")
		if err != nil {
			return res, err // not recorded: left as it is, tried again on the next pass
		}
		if e.Outcome == OutcomeFailed {
			if err := ic.c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagFlagged}}, nil).Close(); err != nil {
				return res, fmt.Errorf("flag: %w", err)
			}
			res.Failed++
			continue
		}
		if _, err := ic.c.Move(set, st.IMAPProcessed).Wait(); err != nil {
			return res, fmt.Errorf("move to %s: %w", st.IMAPProcessed, err)
		}
		res.Processed++
	}
	return res, nil
}

// watch keeps one IMAP mailbox processed until ctx ends: IDLE when the server has it, else a
// poll every IMAPPoll seconds; it reconnects after errors.
func (s *Service) watch(ctx context.Context, rec *store.Mailbox) {
	var st Settings
	if err := jsonUnmarshal(rec.Settings, &st); err != nil {
		s.Logger.Error("imap: mailbox settings", "mailbox", rec.Address, "error", err)
		return
	}
	poll := time.Duration(st.IMAPPoll) * time.Second
	if poll <= 0 {
		poll = DefaultPoll * time.Second
	}
	for ctx.Err() == nil {
		err := s.watchSession(ctx, rec, st, poll)
		if err != nil && ctx.Err() == nil {
			s.Logger.Warn("imap: session ended", "mailbox", rec.Address, "error", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(poll):
		}
	}
}

func (s *Service) watchSession(ctx context.Context, rec *store.Mailbox, st Settings, poll time.Duration) error {
	ic, err := s.imapDial(rec, st)
	if err != nil {
		return err
	}
	defer ic.close()
	for {
		res, err := s.imapPass(ctx, ic, rec, st)
		if err != nil {
			return err
		}
		if res.Processed+res.Failed > 0 {
			s.Logger.Info("imap: processed", "mailbox", rec.Address, "processed", res.Processed, "failed", res.Failed)
		}
		if ic.c.Caps().Has(imap.CapIdle) {
			idle, err := ic.c.Idle()
			if err != nil {
				return err
			}
			select {
			case <-ctx.Done():
			case <-ic.wake:
			case <-time.After(imapIdleRenew):
			case <-ic.c.Closed():
			}
			if err := idle.Close(); err != nil {
				return err
			}
			if err := idle.Wait(); err != nil {
				return err
			}
		} else {
			select {
			case <-ctx.Done():
			case <-time.After(poll):
			}
			if err := ic.c.Noop().Wait(); err != nil {
				return err
			}
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// RunIMAP watches every active IMAP mailbox until ctx ends, picking up added, changed and
// removed mailboxes every refresh.
func (s *Service) RunIMAP(ctx context.Context, refresh time.Duration) {
	if refresh <= 0 {
		refresh = 30 * time.Second
	}
	type running struct {
		updated time.Time
		cancel  context.CancelFunc
	}
	var wg sync.WaitGroup
	live := map[int64]running{}
	defer func() {
		for _, r := range live {
			r.cancel()
		}
		wg.Wait()
	}()
	for {
		list, err := s.DB.Mailboxes(ctx, 0)
		if err != nil && !errors.Is(err, context.Canceled) {
			s.Logger.Error("imap: list mailboxes", "error", err)
		}
		seen := map[int64]bool{}
		for _, rec := range list {
			if rec.Kind != KindIMAP || !rec.Active {
				continue
			}
			seen[rec.ID] = true
			if r, ok := live[rec.ID]; ok {
				if r.updated.Equal(rec.UpdatedAt) {
					continue
				}
				r.cancel()
			}
			wctx, cancel := context.WithCancel(ctx)
			live[rec.ID] = running{updated: rec.UpdatedAt, cancel: cancel}
			wg.Add(1)
			go func(rec *store.Mailbox) {
				defer wg.Done()
				s.watch(wctx, rec)
			}(rec)
			s.Logger.Info("imap: watching", "mailbox", rec.Address)
		}
		for id, r := range live {
			if !seen[id] {
				r.cancel()
				delete(live, id)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(refresh):
		}
	}
}
