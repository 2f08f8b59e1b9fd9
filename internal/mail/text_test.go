package mail_test

import (
	"strings"
	"testing"
	"time"

	"github.com/switchboard-psa/switchboard/internal/mail"
)

func TestTrimReply(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Thanks!\n\nOn Mon, 30 Nov 2026, Support <s@x> wrote:\n> old", "Thanks!"},
		{"Thanks!\n\nOn Mon, 30 Nov 2026 at 09:00, Support Desk\n<s@x> wrote:\n> old", "Thanks!"},
		{"Danke.\n\nAm 30.11.2026 um 09:00 schrieb Support <s@x>:\n> alt", "Danke."},
		{"Fine.\n-----Original Message-----\nFrom: a\nSent: b\n", "Fine."},
		{"Fine.\n\nFrom: Support <s@x>\nSent: Monday\nTo: Ann\nSubject: x\n\nold", "Fine."},
		{"Yes.\n-- \nAnn Smith\nAcme", "Yes."},
		{"Yes.\n\nSent from my iPhone", "Yes."},
		{"Inline answer:\n> question\nanswer here", "Inline answer:\n> question\nanswer here"},
		{"Reply.\n\n> quoted\n> more\n", "Reply."},
		{"> only a quote", "> only a quote"},
	} {
		if got := mail.TrimReply(c.in); got != c.want {
			t.Errorf("TrimReply(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// Hostile shapes stay linear: a message of 50,000 quoted lines ending in one line of text takes
// well under a second (quadratic work would take minutes).
func TestTrimReplyLinear(t *testing.T) {
	text := strings.Repeat("> q\n", 50_000) + "end"
	start := time.Now()
	mail.TrimReply(text)
	if d := time.Since(start); d > time.Minute {
		t.Fatalf("TrimReply took %v", d)
	}
}

func TestHTMLToText(t *testing.T) {
	got := mail.HTMLToText(`<html><head><title>T</title><style>x{}</style></head><body><h1>Title</h1><p>One&amp;two<br>three</p><ol><li>a</li><li>b</li></ol><a href="https://x.test/">link</a> <a href="https://y.test/">https://y.test/</a></body></html>`)
	want := "Title\n\nOne&two\nthree\n\n- a\n- b\n\nlink (https://x.test/) https://y.test/"
	if got != want {
		t.Fatalf("HTMLToText:\n%q\nwant\n%q", got, want)
	}
}
