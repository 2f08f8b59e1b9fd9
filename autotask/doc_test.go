package autotask_test

import (
	"os"
	"strings"
	"testing"
)

// TestDocGoSnippets keeps the Go in docs/client.md true: every ```go block there must be an
// excerpt, line for line (indentation aside), of an Example in example_test.go, which go test
// runs.
func TestDocGoSnippets(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../docs/client.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	norm := func(text string) []string {
		var out []string
		for _, l := range strings.Split(text, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				out = append(out, l)
			}
		}
		return out
	}
	example := norm(string(src))
	blocks := 0
	for _, block := range fencedBlocks(string(doc), "go") {
		blocks++
		lines := norm(block)
		if !containsRun(example, lines) {
			t.Errorf("this block of docs/client.md is not in an Example of example_test.go:\n%s", block)
		}
	}
	if blocks < 5 {
		t.Errorf("only %d go blocks found in docs/client.md", blocks)
	}
}

// fencedBlocks returns the contents of the ```lang blocks of a Markdown text.
func fencedBlocks(md, lang string) []string {
	var out []string
	var cur []string
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

func containsRun(hay, needle []string) bool {
	for i := 0; i+len(needle) <= len(hay); i++ {
		match := true
		for j := range needle {
			if hay[i+j] != needle[j] {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}
