package mail_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/mail"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

func corpus(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "corpus", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCorpus sends real-world message shapes through the whole path and checks what a user
// would see: the outcome, the ticket's title and description, the note, the attachments.
func TestCorpus(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			w := newWorld(t, b)
			ctx := context.Background()
			receive := func(raw []byte) *mail.Entry {
				t.Helper()
				e, err := w.svc.Receive(ctx, w.mb, raw, "")
				if err != nil {
					t.Fatal(err)
				}
				return e
			}
			attachments := func(entity, field string, id int64) []mail.Record {
				t.Helper()
				items, err := w.target.Query(ctx, entity, []any{map[string]any{"op": "eq", "field": field, "value": id}}, 50)
				if err != nil {
					t.Fatal(err)
				}
				return items
			}
			cases := []struct {
				file, outcome, title string
				in, notIn            []string
			}{
				{"alternative.eml", mail.OutcomeTicket, "Printer jam on floor 2", []string{"The printer on floor 2 is jammed again.", "Regards, Ann"}, []string{"<"}},
				{"html-only.eml", mail.OutcomeTicket, "Outlook cannot connect",
					[]string{"Hello team,", `Outlook says "cannot connect" since the update.`, "- Windows 11\n- Office 365", "the status page (https://status.example.com/)", "User | carl"},
					[]string{"alert(1)", "color:red", "<"}},
				{"iso-8859-1.eml", mail.OutcomeTicket, "Drucker im Büro defekt", []string{"Grüße aus dem Büro: der Drucker ist kaputt. Ça ne marche pas."}, nil},
				{"windows-1252.eml", mail.OutcomeTicket, "Quote marks", []string{"The “new” licence costs €30 – isn’t that too much?"}, nil},
				{"shift-jis.eml", mail.OutcomeTicket, "プリンターの故障", []string{"プリンターが動きません。よろしくお願いします。"}, nil},
				{"encoded-word-subject.eml", mail.OutcomeTicket, "Café machine ☕ broken", []string{"The coffee machine is broken."}, nil},
				{"broken-mime.eml", mail.OutcomeTicket, "Broken message", []string{"The part before the broken one."}, nil},
				{"inline-image.eml", mail.OutcomeTicket, "Screenshot of the error", []string{"This is the error:", "[screenshot]"}, nil},
				{"attachment.eml", mail.OutcomeTicket, "Invoice question", []string{"Please see the attached invoice."}, nil},
				{"auto-reply.eml", mail.OutcomeIgnored, "", nil, nil},
				{"bounce.eml", mail.OutcomeIgnored, "", nil, nil},
			}
			var first *mail.Entry
			for _, c := range cases {
				e := receive(corpus(t, c.file))
				if e.Outcome != c.outcome {
					t.Errorf("%s: outcome %s (%s), want %s", c.file, e.Outcome, e.Reason, c.outcome)
					continue
				}
				if first == nil {
					first = e
				}
				if c.outcome != mail.OutcomeTicket {
					continue
				}
				tk := w.ticket(t, e.TicketID)
				if tk.String("title") != c.title {
					t.Errorf("%s: title %q, want %q", c.file, tk.String("title"), c.title)
				}
				desc := tk.String("description")
				for _, s := range c.in {
					if !strings.Contains(desc, s) {
						t.Errorf("%s: description lacks %q:\n%s", c.file, s, desc)
					}
				}
				for _, s := range c.notIn {
					if strings.Contains(desc, s) {
						t.Errorf("%s: description has %q:\n%s", c.file, s, desc)
					}
				}
				att := attachments("TicketAttachments", "ticketID", e.TicketID)
				switch c.file {
				case "attachment.eml":
					if len(att) != 1 || att[0].String("title") != "invoice 2026-11.pdf" {
						t.Errorf("attachment: %v", att)
					} else if full, _ := w.target.Get(ctx, "TicketAttachments", att[0].Int("id")); full != nil {
						data, _ := base64.StdEncoding.DecodeString(full.String("data"))
						if !bytes.HasPrefix(data, []byte("%PDF-1.4")) || len(data) != 35+1024 {
							t.Errorf("attachment data: %d bytes", len(data))
						}
					}
				case "inline-image.eml":
					if len(att) != 0 {
						t.Errorf("an inline image was attached by default: %v", att)
					}
				}
			}

			// The reply quoting the whole thread becomes a note with only what is new.
			reply := bytes.ReplaceAll(corpus(t, "reply-whole-thread.eml"), []byte("TICKETNUMBER"), []byte(first.TicketNumber))
			n := receive(reply)
			if n.Outcome != mail.OutcomeNote || n.TicketID != first.TicketID {
				t.Fatalf("reply: %+v", n)
			}
			note, _ := w.target.Get(ctx, "TicketNotes", n.NoteID)
			if got := note.String("description"); got != "Thanks, it works now.\n\nAnn Smith\nAcme Ltd" {
				t.Fatalf("note text: %q", got)
			}
		})
	}
}

// TestLargeMessage is a 20 MB message: the ticket is made, the attachment over Autotask's
// per-file limit is named in the log instead of attached, the small one is attached.
func TestLargeMessage(t *testing.T) {
	w := newWorld(t, testsupport.SQLite)
	big := bytes.Repeat([]byte("0123456789"), 2_000_000) // 20,000,000 bytes
	var b strings.Builder
	b.WriteString("From: ann@acme.test\r\nTo: support@msp.test\r\nSubject: Logs\r\nMessage-ID: <big@test>\r\nMIME-Version: 1.0\r\n")
	b.WriteString("Content-Type: multipart/mixed; boundary=\"z\"\r\n\r\n--z\r\nContent-Type: text/plain\r\n\r\nThe logs.\r\n")
	b.WriteString("--z\r\nContent-Type: text/plain; name=\"small.txt\"\r\nContent-Disposition: attachment; filename=\"small.txt\"\r\n\r\nsmall\r\n")
	b.WriteString("--z\r\nContent-Type: application/octet-stream; name=\"huge.log\"\r\nContent-Disposition: attachment; filename=\"huge.log\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString(big[:15_000_000])
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--z--\r\n")
	raw := []byte(b.String())
	if len(raw) < 20_000_000 {
		t.Fatalf("message is %d bytes", len(raw))
	}
	e, err := w.svc.Receive(context.Background(), w.mb, raw, "")
	if err != nil {
		t.Fatal(err)
	}
	if e.Outcome != mail.OutcomeTicket || !strings.Contains(e.Reason, "not attached: huge.log (14.3 MB, over the 6 MB limit per file)") {
		t.Fatalf("large message: %+v", e)
	}
	items, _ := w.target.Query(context.Background(), "TicketAttachments", []any{map[string]any{"op": "eq", "field": "ticketID", "value": e.TicketID}}, 10)
	if len(items) != 1 || items[0].String("title") != "small.txt" {
		t.Fatalf("attachments: %v", items)
	}
}

// FuzzParse is the MIME parser's fuzz target (R2): no input may crash or hang it. The corpus
// seeds it; `go test` replays the seeds and testdata/fuzz.
func FuzzParse(f *testing.F) {
	entries, _ := os.ReadDir(filepath.Join("testdata", "corpus"))
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join("testdata", "corpus", e.Name()))
		f.Add(b)
	}
	f.Add([]byte("Subject: =?UTF-8?B?broken\r\n\r\n"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n--a--\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := mail.Parse(raw)
		if err != nil {
			return
		}
		_ = mail.Noise(m, "", "support@msp.test")
		_ = mail.TrimReply(m.Text)
		if !strings.Contains(m.Text, "\r") && strings.ContainsAny(m.Text, "\x00") {
			t.Fatalf("control character in text")
		}
	})
}

func FuzzHTMLToText(f *testing.F) {
	f.Add("<p>a<b>b</b></p><ul><li>x</ul><a href='http://x'>y</a>")
	f.Add("<script><script></script>")
	f.Fuzz(func(t *testing.T, s string) {
		_ = mail.HTMLToText(s)
	})
}
