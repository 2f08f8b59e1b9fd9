package mail_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/switchboard-psa/switchboard/internal/connection"
	"github.com/switchboard-psa/switchboard/internal/mail"
	"github.com/switchboard-psa/switchboard/internal/store"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

const dovecotBin = "/usr/sbin/dovecot"

type dovecot struct {
	imaps, imap string // host:port of implicit TLS and of plain/STARTTLS
	caFile      string
	password    string
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startDovecot starts a Dovecot of the test's own: its configuration, users (passwd-file),
// mail and sockets in a temporary directory, listening on high ports of 127.0.0.1. Run as
// root, the mail belongs to the dovecot user (the package's); otherwise to the test's user.
func startDovecot(t *testing.T, users ...string) *dovecot {
	t.Helper()
	if _, err := os.Stat(dovecotBin); err != nil {
		t.Skip("IMAP tests skipped: " + dovecotBin + " is not installed (apt-get install dovecot-imapd; .ci/run does)")
	}
	dir, err := os.MkdirTemp("", "sb-dovecot-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	_ = os.Chmod(dir, 0o755) // the login processes run as another user and must reach their sockets
	_, _, certFile, keyFile := selfSigned(t, dir)
	d := &dovecot{caFile: certFile, password: "pw-" + testsupport.RandomHex(6)}
	var passwd strings.Builder
	for _, u := range users {
		fmt.Fprintf(&passwd, "%s:{PLAIN}%s\n", u, d.password)
	}
	if err := os.WriteFile(filepath.Join(dir, "passwd"), []byte(passwd.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	mailDir := filepath.Join(dir, "mail")
	if err := os.Mkdir(mailDir, 0o700); err != nil {
		t.Fatal(err)
	}
	uid, gid, extra := os.Getuid(), os.Getgid(), ""
	if uid == 0 {
		u, err := user.Lookup("dovecot")
		if err != nil {
			t.Skip("IMAP tests skipped: no dovecot user (the dovecot-core package makes it)")
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
		if err := os.Chown(mailDir, uid, gid); err != nil {
			t.Fatal(err)
		}
	} else {
		me, _ := user.Current()
		extra = fmt.Sprintf("default_login_user = %s\ndefault_internal_user = %s\n", me.Username, me.Username)
	}
	imapsPort, imapPort := freePort(t), freePort(t)
	conf := fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <%[2]s
ssl_key = <%[3]s
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[1]s/passwd
}
userdb {
  driver = static
  args = uid=%[4]d gid=%[5]d home=%[1]s/mail/%%u
}
mail_location = maildir:~/Maildir
first_valid_uid = 1
first_valid_gid = 1
%[8]s
service imap-login {
  chroot =
  inet_listener imap {
    port = %[6]d
  }
  inet_listener imaps {
    port = %[7]d
    ssl = yes
  }
}
service anvil {
  chroot =
}
service pop3-login {
  chroot =
}
`, dir, certFile, keyFile, uid, gid, imapPort, imapsPort, extra)
	confFile := filepath.Join(dir, "dovecot.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	// dovecot starts its master in the background and returns; its output goes to a file, so
	// no pipe is held open by the daemon.
	out, err := os.Create(filepath.Join(dir, "start.out"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(dovecotBin, "-c", confFile)
	cmd.Stdout, cmd.Stderr = out, out
	err = cmd.Run()
	out.Close()
	if err != nil {
		startOut, _ := os.ReadFile(filepath.Join(dir, "start.out"))
		log, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
		t.Fatalf("start dovecot: %v\n%s\n%s", err, startOut, log)
	}
	t.Cleanup(func() {
		if b, err := os.ReadFile(filepath.Join(dir, "run", "master.pid")); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				if p, err := os.FindProcess(pid); err == nil {
					_ = p.Signal(os.Interrupt)
					for i := 0; i < 50; i++ {
						if _, err := os.Stat(filepath.Join(dir, "run", "master.pid")); err != nil {
							break
						}
						time.Sleep(100 * time.Millisecond)
					}
				}
			}
		}
	})
	d.imaps, d.imap = fmt.Sprintf("127.0.0.1:%d", imapsPort), fmt.Sprintf("127.0.0.1:%d", imapPort)
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", d.imaps); err == nil {
			c.Close()
			return d
		}
		time.Sleep(50 * time.Millisecond)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
	t.Fatalf("dovecot did not listen on %s:\n%s", d.imaps, log)
	return nil
}

// deliver appends messages to a user's INBOX with a real IMAP client, as an MTA would deliver.
func (d *dovecot) deliver(t *testing.T, username string, msgs ...string) {
	t.Helper()
	c, err := imapclient.DialInsecure(d.imap, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(username, d.password).Wait(); err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		raw := strings.ReplaceAll(m, "\n", "\r\n")
		cmd := c.Append("INBOX", int64(len(raw)), nil)
		if _, err := cmd.Write([]byte(raw)); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := cmd.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	_ = c.Logout().Wait()
}

// folder lists the subjects and flags of a user's folder.
func (d *dovecot) folder(t *testing.T, username, name string) map[string][]imap.Flag {
	t.Helper()
	c, err := imapclient.DialInsecure(d.imap, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(username, d.password).Wait(); err != nil {
		t.Fatal(err)
	}
	sel, err := c.Select(name, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatalf("select %s: %v", name, err)
	}
	out := map[string][]imap.Flag{}
	if sel.NumMessages == 0 {
		return out
	}
	msgs, err := c.Fetch(imap.SeqSetNum(seqAll(sel.NumMessages)...), &imap.FetchOptions{Envelope: true, Flags: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		out[m.Envelope.Subject] = m.Flags
	}
	return out
}

func seqAll(n uint32) []uint32 {
	s := make([]uint32, n)
	for i := range s {
		s[i] = uint32(i + 1)
	}
	return s
}

func TestIMAPPoller(t *testing.T) {
	d := startDovecot(t, "sqlite@msp.test", "postgres@msp.test")
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
			kind, host, user, pass, ca, missing := "imap", d.imaps, username, d.password, d.caFile, int64(424242)
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
			d.deliver(t, username,
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
			inbox, processed := d.folder(t, username, "INBOX"), d.folder(t, username, "Processed")
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
			d.deliver(t, username, msg("ann@acme.test", "IMAP idle", "pushed"))
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
