package cli

import (
	"context"
	"encoding/json"
	"net/smtp"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMailboxCommands: `mailbox add --tenant T --address A` alone makes a working SMTP
// mailbox, which serve --smtp-addr receives for; the log shows the ticket; list, show, edit,
// remove and --json do what they say. SQLite only: internal/mail runs the same service on both
// backends, and this package's run time is already long.
func TestMailboxCommands(t *testing.T) {
	for name, db := range map[string]string{"sqlite": filepath.Join(t.TempDir(), "cli.db")} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			common := []string{"--database", db, "--data-dir", dir}
			cmd := func(args ...string) string {
				t.Helper()
				out, errOut, err := run(t, append(args, common...)...)
				if err != nil {
					t.Fatalf("%v: %v\n%s", args, errorText(err), errOut)
				}
				return out
			}
			cmd("tenant", "create", "Contoso MSP")
			out := cmd("mailbox", "add", "--tenant", "Contoso MSP", "--address", "Support@Example.test")
			if !strings.Contains(out, "Mailbox support@example.test added.") || !strings.Contains(out, "kind:              smtp") {
				t.Fatalf("add: %s", out)
			}
			if _, _, err := run(t, append([]string{"mailbox", "add", "--tenant", "Contoso MSP", "--address", "support@example.test"}, common...)...); err == nil ||
				!strings.Contains(errorText(err), "exists") {
				t.Fatalf("a second mailbox for the address: %v", err)
			}
			if _, _, err := run(t, append([]string{"mailbox", "add", "--address", "x@example.test"}, common...)...); err == nil ||
				!strings.Contains(errorText(err), "--tenant") {
				t.Fatalf("no target: %v", err)
			}
			out = cmd("mailbox", "edit", "support@example.test", "--queue", "8", "--domain", "fabrikam.test=0", "--rate-limit", "5", "--json")
			var m struct {
				ID        int64
				Address   string
				QueueID   int64 `json:"queueID"`
				RateLimit int
				Domains   map[string]int64
			}
			if err := json.Unmarshal([]byte(out), &m); err != nil || m.QueueID != 8 || m.RateLimit != 5 || m.Domains["fabrikam.test"] != 0 || len(m.Domains) != 1 {
				t.Fatalf("edit --json: %s %v", out, err)
			}
			if out := cmd("mailbox", "list"); !strings.Contains(out, "support@example.test  smtp  tenant Contoso MSP  yes") {
				t.Fatalf("list: %s", out)
			}

			// serve --smtp-addr receives for it.
			addr, smtpAddr := freeAddr(t), freeAddr(t)
			var sout, serr syncBuffer
			root := NewRoot(&sout, &serr)
			root.SetArgs(append([]string{"serve", "--addr", addr, "--smtp-addr", smtpAddr, "--demo=false", "--log-level", "error"}, common...))
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- root.ExecuteContext(ctx) }()
			deadline := time.Now().Add(30 * time.Second)
			for !strings.Contains(sout.String(), "SMTP listener on") {
				if time.Now().After(deadline) {
					t.Fatalf("serve did not start the SMTP listener:\n%s\n%s", sout.String(), serr.String())
				}
				time.Sleep(50 * time.Millisecond)
			}
			msg := "From: Joe <joe@fabrikam.test>\r\nTo: support@example.test\r\nSubject: VPN down\r\nMessage-ID: <cli-1@test>\r\n\r\nThe VPN is down.\r\n"
			if err := smtp.SendMail(smtpAddr, nil, "joe@fabrikam.test", []string{"support@example.test"}, []byte(msg)); err != nil {
				t.Fatalf("send: %v", err)
			}
			if err := smtp.SendMail(smtpAddr, nil, "joe@fabrikam.test", []string{"sales@example.test"}, []byte(msg)); err == nil || !strings.Contains(err.Error(), "550") {
				t.Fatalf("unknown recipient: %v", err)
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("serve: %v", err)
			}

			out = cmd("mailbox", "log", "support@example.test", "--json")
			var log []struct {
				ID           int64
				Outcome      string
				TicketNumber string
				Reason       string
			}
			if err := json.Unmarshal([]byte(out), &log); err != nil || len(log) != 1 || log[0].Outcome != "ticket" || log[0].TicketNumber == "" ||
				!strings.Contains(log[0].Reason, "domain fabrikam.test is company 0") {
				t.Fatalf("log: %s %v", out, err)
			}
			if out := cmd("mailbox", "log", "--search", "vpn"); !strings.Contains(out, log[0].TicketNumber) {
				t.Fatalf("log --search: %s", out)
			}
			if out := cmd("mailbox", "log", "show", "1"); !strings.Contains(out, "outcome:        ticket") {
				t.Fatalf("log show: %s", out)
			}
			if _, _, err := run(t, append([]string{"mailbox", "log", "reprocess", "1"}, common...)...); err == nil || !strings.Contains(errorText(err), "only held and failed") {
				t.Fatalf("reprocess a ticket: %v", err)
			}
			// A message file given to receive; its duplicate is not a second ticket.
			file := filepath.Join(dir, "m.eml")
			if err := os.WriteFile(file, []byte(msg), 0o600); err != nil {
				t.Fatal(err)
			}
			if out := cmd("mailbox", "receive", "support@example.test", file); !strings.Contains(out, "outcome:        duplicate") {
				t.Fatalf("receive a duplicate: %s", out)
			}
			if _, _, err := run(t, append([]string{"mailbox", "poll", "support@example.test"}, common...)...); err == nil || !strings.Contains(errorText(err), "not an IMAP mailbox") {
				t.Fatalf("poll an SMTP mailbox: %v", err)
			}
			cmd("mailbox", "remove", "support@example.test")
			if out := cmd("mailbox", "list", "--json"); strings.TrimSpace(out) != "[]" {
				t.Fatalf("list after remove: %s", out)
			}
		})
	}
}
