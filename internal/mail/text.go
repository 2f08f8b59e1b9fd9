package mail

import (
	"regexp"
	"strings"

	"golang.org/x/net/html"
)

// HTMLToText turns an HTML body into readable text: paragraphs, line breaks, list items and
// table rows become lines, links keep their address, scripts, styles and the head are dropped,
// entities are decoded.
func HTMLToText(src string) string {
	z := html.NewTokenizer(strings.NewReader(src))
	var b strings.Builder
	skip := 0 // inside script, style, head, title
	var href []string
	newline := func(n int) {
		s := b.String()
		have := len(s) - len(strings.TrimRight(s, "\n"))
		if len(s) == 0 {
			return
		}
		for ; have < n; have++ {
			b.WriteByte('\n')
		}
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return normalizeText(b.String())
		case html.TextToken:
			if skip > 0 {
				continue
			}
			t := strings.Join(strings.Fields(string(z.Text())), " ")
			if t == "" {
				if s := b.String(); len(s) > 0 && !strings.HasSuffix(s, "\n") && !strings.HasSuffix(s, " ") {
					b.WriteByte(' ')
				}
				continue
			}
			if s := b.String(); len(s) > 0 && !strings.HasSuffix(s, "\n") && !strings.HasSuffix(s, " ") && startsSpace(z.Raw()) {
				b.WriteByte(' ')
			}
			b.WriteString(t)
			if endsSpace(z.Raw()) {
				b.WriteByte(' ')
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, hasAttr := z.TagName()
			tag := string(name)
			end := tt == html.EndTagToken
			switch tag {
			case "script", "style", "head", "title":
				if tt == html.StartTagToken {
					skip++
				} else if end && skip > 0 {
					skip--
				}
			case "br":
				b.WriteByte('\n')
			case "p", "div", "table", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "section", "article", "header", "footer":
				newline(2)
			case "tr":
				newline(1)
			case "td", "th":
				if !end {
					if s := b.String(); len(s) > 0 && !strings.HasSuffix(s, "\n") {
						b.WriteString(" | ")
					}
				}
			case "li":
				if !end {
					newline(1)
					b.WriteString("- ")
				}
			case "hr":
				newline(1)
				b.WriteString("----")
				newline(1)
			case "a":
				if !end {
					link := ""
					for hasAttr {
						var k, v []byte
						k, v, hasAttr = z.TagAttr()
						if string(k) == "href" {
							link = string(v)
						}
					}
					href = append(href, link)
				} else if len(href) > 0 {
					link := href[len(href)-1]
					href = href[:len(href)-1]
					if (strings.HasPrefix(link, "http://") || strings.HasPrefix(link, "https://")) && !strings.Contains(b.String()[max(0, b.Len()-len(link)-4):], link) {
						b.WriteString(" (" + link + ")")
					}
				}
			case "img":
				alt := ""
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					if string(k) == "alt" {
						alt = strings.TrimSpace(string(v))
					}
				}
				if alt != "" {
					b.WriteString("[" + alt + "]")
				}
			}
		}
	}
}

func startsSpace(raw []byte) bool { return len(raw) > 0 && isSpace(raw[0]) }
func endsSpace(raw []byte) bool   { return len(raw) > 0 && isSpace(raw[len(raw)-1]) }
func isSpace(c byte) bool         { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

var (
	// "On Mon, 1 Jan 2026 at 10:00, Ann <ann@x> wrote:", possibly wrapped onto two lines, and
	// its translations' common shapes.
	wroteLine = regexp.MustCompile(`(?i)^(on|am|le|el|op|il|den)\s.*(wrote|schrieb|a écrit|escribió|schreef|ha scritto|skrev)(\s.*)?:\s*$`)
	// Outlook's header block of the quoted message.
	outlookFrom = regexp.MustCompile(`(?i)^\*?(from|von|de|van|da)\s*:\*?\s`)
	outlookSent = regexp.MustCompile(`(?i)^\*?(sent|gesendet|envoyé|date|enviado|verzonden|inviato)\s*:\*?\s`)
	separator   = regexp.MustCompile(`(?i)^\s*(-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original)\s*-{2,}|_{10,})\s*$`)
	onStart     = regexp.MustCompile(`(?i)^(on|am|le|el)\s`)
	mobileSig   = regexp.MustCompile(`(?i)^(sent from my |get outlook for |sent from mail for windows)`)
)

// TrimReply keeps what a reply adds: the text above the quoted thread ("On … wrote:", an
// Outlook header block, "-----Original Message-----", "> " lines) and above the signature
// ("-- ", "Sent from my iPhone"). When nothing would be left the whole text is kept.
func TrimReply(text string) string {
	lines := strings.Split(text, "\n")
	cut := len(lines)
	// quoteTail[i]: lines[i:] are all quoted ("> ") or blank — computed once, so a long
	// message of quotes stays linear.
	quoteTail := make([]bool, len(lines)+1)
	quoteTail[len(lines)] = true
	for i := len(lines) - 1; i >= 0; i-- {
		r := strings.TrimSpace(lines[i])
		quoteTail[i] = quoteTail[i+1] && (r == "" || strings.HasPrefix(r, ">"))
	}
	for i, l := range lines {
		t := strings.TrimSpace(l)
		switch {
		case l == "-- " || t == "--":
			cut = i
		case separator.MatchString(l), mobileSig.MatchString(t):
			cut = i
		case wroteLine.MatchString(t):
			cut = i
		case i+1 < len(lines) && onStart.MatchString(t) && wroteLine.MatchString(t+" "+strings.TrimSpace(lines[i+1])):
			cut = i
		case outlookFrom.MatchString(t) && i+3 < len(lines) && (outlookSent.MatchString(strings.TrimSpace(lines[i+1])) || outlookSent.MatchString(strings.TrimSpace(lines[i+2]))):
			cut = i
		case strings.HasPrefix(t, ">") && quoteTail[i]:
			// The quote block that ends the message.
			cut = i
		}
		if cut != len(lines) {
			break
		}
	}
	out := strings.TrimSpace(strings.Join(lines[:cut], "\n"))
	if out == "" {
		return strings.TrimSpace(text)
	}
	return out
}
