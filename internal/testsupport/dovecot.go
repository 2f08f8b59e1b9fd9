package testsupport

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
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
)

// A Dovecot of a test's own, for the IMAP tests of email to ticket (internal/mail) and of
// the console's Mailboxes page (internal/web).

// DovecotBin is where Debian's dovecot-imapd puts Dovecot; StartDovecot skips the test without it.
const DovecotBin = "/usr/sbin/dovecot"

type Dovecot struct {
	IMAPS, IMAP string // host:port of implicit TLS and of plain/STARTTLS
	CAFile      string // the server certificate (its own CA), PEM
	Password    string // every user's password
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// StartDovecot starts a Dovecot of the test's own: its configuration, users (passwd-file),
// mail and sockets in a temporary directory, listening on high ports of 127.0.0.1. Run as
// root, the mail belongs to the dovecot user (the package's); otherwise to the test's user.
func StartDovecot(t testing.TB, users ...string) *Dovecot {
	t.Helper()
	if _, err := os.Stat(DovecotBin); err != nil {
		t.Skip("IMAP tests skipped: " + DovecotBin + " is not installed (apt-get install dovecot-imapd; .ci/run does)")
	}
	dir, err := os.MkdirTemp("", "sb-dovecot-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	_ = os.Chmod(dir, 0o755) // the login processes run as another user and must reach their sockets
	_, _, certFile, keyFile := SelfSigned(t, dir)
	d := &Dovecot{CAFile: certFile, Password: "pw-" + RandomHex(6)}
	var passwd strings.Builder
	for _, u := range users {
		fmt.Fprintf(&passwd, "%s:{PLAIN}%s\n", u, d.Password)
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
	cmd := exec.Command(DovecotBin, "-c", confFile)
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
	d.IMAPS, d.IMAP = fmt.Sprintf("127.0.0.1:%d", imapsPort), fmt.Sprintf("127.0.0.1:%d", imapPort)
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", d.IMAPS); err == nil {
			c.Close()
			return d
		}
		time.Sleep(50 * time.Millisecond)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
	t.Fatalf("dovecot did not listen on %s:\n%s", d.IMAPS, log)
	return nil
}

// login is a real IMAP client signed in as username.
func (d *Dovecot) login(t testing.TB, username string) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(d.IMAP, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(username, d.Password).Wait(); err != nil {
		c.Close()
		t.Fatal(err)
	}
	return c
}

// Deliver appends messages to a user's INBOX with a real IMAP client, as an MTA would deliver.
func (d *Dovecot) Deliver(t testing.TB, username string, msgs ...string) {
	t.Helper()
	c := d.login(t, username)
	defer c.Close()
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

// Folder lists the subjects and flags of a user's folder.
func (d *Dovecot) Folder(t testing.TB, username, name string) map[string][]imap.Flag {
	t.Helper()
	c := d.login(t, username)
	defer c.Close()
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

// SelfSigned makes a certificate for 127.0.0.1 and localhost, and writes it and its key as PEM
// files into dir.
func SelfSigned(t testing.TB, dir string) (tls.Certificate, *x509.CertPool, string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	return pair, pool, certFile, keyFile
}
