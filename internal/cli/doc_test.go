package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// TestDocCommandLine runs every line of the ```sh blocks of docs/client.md against a
// Switchboard with demo data, as a reader would after exporting the AUTOTASK_* variables, and
// checks each "# prints: TEXT" against what the command wrote. It changes the working
// directory and the environment, so it does not run in parallel.
func TestDocCommandLine(t *testing.T) {
	doc, err := os.ReadFile("../../docs/client.md")
	if err != nil {
		t.Fatal(err)
	}
	env := testsupport.Start(t, testsupport.SQLite, true)
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("AUTOTASK_USERNAME", env.Creds.Username)
	t.Setenv("AUTOTASK_SECRET", env.Creds.Secret)
	t.Setenv("AUTOTASK_INTEGRATION_CODE", env.Creds.IntegrationCode)
	t.Setenv("AUTOTASK_DISCOVERY_URL", env.Server.URL) // as http://127.0.0.1:8080 in the doc
	t.Setenv("AUTOTASK_BASE_URL", "")
	t.Setenv("SWITCHBOARD_DATA_DIR", filepath.Join(dir, "data"))
	t.Setenv("SWITCHBOARD_DATABASE", "")
	t.Setenv("SWITCHBOARD_SECRET_KEY", "")

	ran := 0
	for _, block := range docBlocks(string(doc), "sh") {
		for _, line := range strings.Split(block, "\n") {
			if strings.TrimSpace(line) == "" {
				continue
			}
			c, err := parseDocLine(line)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			if len(c.args) == 0 || c.args[0] != "switchboard" {
				t.Fatalf("not a switchboard command: %s", line)
			}
			var out, errOut bytes.Buffer
			root := NewRoot(&out, &errOut)
			root.SetArgs(c.args[1:])
			err = root.ExecuteContext(context.Background())
			ran++
			if err != nil {
				t.Errorf("%s\n  failed: %v\n%s", line, errorText(err), errOut.String())
				continue
			}
			if c.redirect != "" {
				if err := os.WriteFile(c.redirect, out.Bytes(), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if c.prints != "" && !strings.Contains(out.String()+errOut.String(), c.prints) {
				t.Errorf("%s\n  printed %q, want it to contain %q", line, out.String()+errOut.String(), c.prints)
			}
		}
	}
	if ran < 15 {
		t.Errorf("only %d commands found in the sh blocks of docs/client.md", ran)
	}
	// The export example wrote every demo ticket (6) and the one created above.
	if b, err := os.ReadFile("tickets.jsonl"); err != nil || bytes.Count(b, []byte("\n")) != 7 {
		t.Errorf("tickets.jsonl: %d lines, %v", bytes.Count(b, []byte("\n")), err)
	}
	if b, err := os.ReadFile("companies.csv"); err != nil || !bytes.HasPrefix(b, []byte("id,")) || !bytes.Contains(b, []byte("udf:Customer Number")) {
		t.Errorf("companies.csv: %.200s %v", b, err)
	}
}

func docBlocks(md, lang string) []string {
	var out, cur []string
	in := false
	for _, l := range strings.Split(md, "\n") {
		switch {
		case !in && strings.TrimSpace(l) == "```"+lang:
			in, cur = true, nil
		case in && strings.TrimSpace(l) == "```":
			in = false
			out = append(out, strings.Join(cur, "\n"))
		case in:
			cur = append(cur, l)
		}
	}
	return out
}

// docCommand is one shell line of the docs: its words, a "> file" and a "# prints: TEXT".
type docCommand struct {
	args     []string
	redirect string
	prints   string
}

// parseDocLine splits a line the way sh would for the simple lines of the docs: '…' and "…"
// quoting, $VAR and ${VAR} outside single quotes, "> file", and a # comment.
func parseDocLine(line string) (docCommand, error) {
	var c docCommand
	var words []string
	var cur strings.Builder
	inWord, redirectNext := false, false
	flush := func() {
		if !inWord {
			return
		}
		w := cur.String()
		cur.Reset()
		inWord = false
		if redirectNext {
			c.redirect, redirectNext = w, false
			return
		}
		words = append(words, w)
	}
	expand := func(s string, i int) (string, int) { // s[i] == '$'
		j := i + 1
		if j < len(s) && s[j] == '{' {
			end := strings.IndexByte(s[j:], '}')
			if end < 0 {
				return "$", i + 1
			}
			return os.Getenv(s[j+1 : j+end]), j + end + 1
		}
		for j < len(s) && (s[j] == '_' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= '0' && s[j] <= '9') {
			j++
		}
		if j == i+1 {
			return "$", j
		}
		return os.Getenv(s[i+1 : j]), j
	}
	for i := 0; i < len(line); {
		ch := line[i]
		switch {
		case ch == ' ' || ch == '\t':
			flush()
			i++
		case ch == '#' && !inWord:
			flush()
			comment := strings.TrimSpace(line[i+1:])
			if p, ok := strings.CutPrefix(comment, "prints:"); ok {
				c.prints = strings.TrimSpace(p)
			}
			i = len(line)
		case ch == '>' && !inWord:
			redirectNext = true
			i++
		case ch == '\'':
			end := strings.IndexByte(line[i+1:], '\'')
			if end < 0 {
				return c, errors.New("unterminated '")
			}
			cur.WriteString(line[i+1 : i+1+end])
			inWord = true
			i += end + 2
		case ch == '"':
			inWord = true
			i++
			for i < len(line) && line[i] != '"' {
				switch {
				case line[i] == '\\' && i+1 < len(line):
					cur.WriteByte(line[i+1])
					i += 2
				case line[i] == '$':
					v, j := expand(line, i)
					cur.WriteString(v)
					i = j
				default:
					cur.WriteByte(line[i])
					i++
				}
			}
			if i >= len(line) {
				return c, errors.New(`unterminated "`)
			}
			i++
		case ch == '$':
			v, j := expand(line, i)
			cur.WriteString(v)
			inWord = true
			i = j
		case ch == '|' || ch == ';' || ch == '&' || ch == '<' || ch == '`':
			return c, fmt.Errorf("the docs' tested lines use no %q", ch)
		default:
			cur.WriteByte(ch)
			inWord = true
			i++
		}
	}
	flush()
	if redirectNext {
		return c, errors.New("> without a file")
	}
	c.args = words
	return c, nil
}

func TestParseDocLine(t *testing.T) {
	t.Setenv("DOC_TEST_VAR", "v a l")
	c, err := parseDocLine(`switchboard at query Tickets --filter 'title eq "a # b"' --x "$DOC_TEST_VAR" ${DOC_TEST_VAR} > out.jsonl   # prints: 1 pages`)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"switchboard", "at", "query", "Tickets", "--filter", `title eq "a # b"`, "--x", "v a l", "v a l"}
	if strings.Join(c.args, "|") != strings.Join(want, "|") || c.redirect != "out.jsonl" || c.prints != "1 pages" {
		t.Errorf("parseDocLine: %q > %q prints %q", c.args, c.redirect, c.prints)
	}
	if _, err := parseDocLine(`switchboard at export Tickets | head`); err == nil {
		t.Error("a pipe was accepted")
	}
}
