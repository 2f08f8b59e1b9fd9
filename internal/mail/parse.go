package mail

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // every common charset (ISO-8859-*, Windows-125*, Shift_JIS, GB*, Big5, KOI8...)
	gomail "github.com/emersion/go-message/mail"
	"golang.org/x/text/encoding/charmap"
)

// Message is an inbound email as the router needs it.
type Message struct {
	MessageID string // without angle brackets; a digest of the message when it has none
	From      string // lower-case address
	FromName  string
	To        []string
	Subject   string
	Date      time.Time
	// Text is the readable body: the text/plain part, or the HTML part converted to text.
	Text        string
	HTML        bool // Text came from HTML
	Attachments []Attachment
	Header      message.Header
	// Problems are what could not be read (a broken part, an unknown charset); the rest is kept.
	Problems []string
}

// Attachment is a file part, or an inline image.
type Attachment struct {
	Name        string
	ContentType string
	Inline      bool
	ContentID   string
	Data        []byte
}

// limits of what parsing keeps, so a hostile message cannot make it use unbounded memory or time.
const (
	maxParts     = 500
	maxTextBytes = 4 << 20
)

// Parse reads a message. It never fails on bad MIME: what can be read is kept and the rest
// listed in Problems; it fails only when there is not even a header.
func Parse(raw []byte) (*Message, error) {
	ent, err := message.Read(bytes.NewReader(raw))
	m := &Message{}
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		if ent == nil {
			return nil, fmt.Errorf("unreadable message: %w", err)
		}
		m.Problems = append(m.Problems, err.Error())
	} else if err != nil {
		m.Problems = append(m.Problems, err.Error())
	}
	if ent == nil {
		return nil, errors.New("unreadable message: no header")
	}
	m.Header = ent.Header
	h := gomail.Header{Header: ent.Header}
	m.MessageID = messageID(h, raw)
	if from, err := h.AddressList("From"); err == nil && len(from) > 0 {
		m.From, m.FromName = strings.ToLower(from[0].Address), from[0].Name
	} else if v := ent.Header.Get("From"); v != "" {
		// An address mail.ParseAddress refuses; keep what looks like one.
		m.From = strings.ToLower(looseAddress(v))
	}
	if to, err := h.AddressList("To"); err == nil {
		for _, a := range to {
			m.To = append(m.To, strings.ToLower(a.Address))
		}
	}
	if s, err := h.Subject(); err == nil {
		m.Subject = s
	} else {
		m.Subject = decodeLoose(ent.Header.Get("Subject"))
	}
	m.Subject = cleanLine(m.Subject)
	if d, err := h.Date(); err == nil {
		m.Date = d
	}
	var plain, html strings.Builder
	parts := 0
	walkErr := ent.Walk(func(path []int, part *message.Entity, err error) error {
		if err != nil {
			m.Problems = append(m.Problems, err.Error())
			if part == nil {
				return nil
			}
		}
		parts++
		if parts > maxParts {
			return errTooManyParts
		}
		if part.MultipartReader() != nil {
			return nil
		}
		ct, params, _ := part.Header.ContentType()
		ct = strings.ToLower(ct)
		if ct == "" {
			ct = "text/plain"
		}
		disp, dparams, _ := part.Header.ContentDisposition()
		name := dparams["filename"]
		if name == "" {
			name = params["name"]
		}
		name = decodeLoose(name)
		body, rerr := io.ReadAll(io.LimitReader(part.Body, 64<<20))
		if rerr != nil {
			m.Problems = append(m.Problems, "part "+fmt.Sprint(path)+": "+rerr.Error())
		}
		isText := (ct == "text/plain" || ct == "text/html") && disp != "attachment" && name == ""
		if isText {
			text := toUTF8(body, params["charset"])
			dst := &plain
			if ct == "text/html" {
				dst = &html
			}
			if dst.Len()+len(text) <= maxTextBytes {
				if dst.Len() > 0 {
					dst.WriteString("\n")
				}
				dst.WriteString(text)
			}
			return nil
		}
		if ct == "message/delivery-status" || ct == "message/disposition-notification" {
			return nil
		}
		if name == "" {
			name = "attachment" + extension(ct)
		}
		m.Attachments = append(m.Attachments, Attachment{Name: name, ContentType: ct, Inline: disp == "inline" || (disp == "" && part.Header.Get("Content-Id") != ""),
			ContentID: strings.Trim(part.Header.Get("Content-Id"), "<> "), Data: body})
		return nil
	})
	if walkErr != nil {
		m.Problems = append(m.Problems, walkErr.Error())
	}
	switch {
	case strings.TrimSpace(plain.String()) != "":
		m.Text = plain.String()
	case html.Len() > 0:
		m.Text, m.HTML = HTMLToText(html.String()), true
	}
	m.Text = normalizeText(m.Text)
	return m, nil
}

var errTooManyParts = errors.New("more than 500 MIME parts: the rest ignored")

// messageID is the Message-ID without brackets, or "sha256:<digest>" of the whole message when
// there is none (a resent copy is then still the same message).
func messageID(h gomail.Header, raw []byte) string {
	id := strings.TrimSpace(h.Get("Message-Id"))
	id = strings.TrimSpace(strings.Trim(id, "<>"))
	if id != "" && len(id) <= 900 {
		return id
	}
	sum := sha256.Sum256(raw)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// toUTF8 returns text in UTF-8. go-message has already decoded the charsets it knows; what is
// still not UTF-8 (an unknown or missing charset) is read as Windows-1252, which never fails.
func toUTF8(b []byte, charset string) string {
	if utf8.Valid(b) {
		return string(b)
	}
	out, err := charmap.Windows1252.NewDecoder().Bytes(b)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return string(out)
}

var wordDecoder = &mime.WordDecoder{CharsetReader: message.CharsetReader}

// decodeLoose decodes encoded words where it can and keeps the text as it is where it cannot.
func decodeLoose(s string) string {
	if d, err := wordDecoder.DecodeHeader(s); err == nil {
		s = d
	}
	return toUTF8([]byte(s), "")
}

func looseAddress(v string) string {
	if a, err := mail.ParseAddress(v); err == nil {
		return a.Address
	}
	if i := strings.LastIndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			return strings.TrimSpace(v[i+1 : i+j])
		}
	}
	for _, f := range strings.Fields(v) {
		if strings.Contains(f, "@") {
			return strings.Trim(f, "<>\"',;")
		}
	}
	return ""
}

// cleanLine turns a header value into one line of printable text.
func cleanLine(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\r' || r == '\n':
			return ' '
		case r < ' ' || r == 0x7f:
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// normalizeText keeps the text's lines, with CRLF made LF, no control characters, trailing
// spaces dropped and runs of blank lines made one.
func normalizeText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	lines := strings.Split(s, "\n")
	out := make([]string, 0, len(lines))
	blank := 0
	for _, l := range lines {
		l = strings.TrimRight(strings.Map(func(r rune) rune {
			if r == '\t' {
				return ' '
			}
			if r < ' ' || r == 0x7f || r == '\u00a0' {
				if r == '\u00a0' {
					return ' '
				}
				return -1
			}
			return r
		}, l), " ")
		if l == "" {
			blank++
			if blank > 1 || len(out) == 0 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

func extension(ct string) string {
	if exts, _ := mime.ExtensionsByType(ct); len(exts) > 0 {
		return exts[0]
	}
	return ".bin"
}
