package autotask_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard-psa/switchboard/autotask"
	"github.com/switchboard-psa/switchboard/autotask/internal/fakeat"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestLogsNeverHoldTheSecret(t *testing.T) {
	t.Parallel()
	const secret = "Sup3r-S3cret-Value"
	f := newFake(t, fakeat.Options{Secret: secret})
	f.Seed("Tickets", map[string]any{"id": 1})
	f.Intercept(failFirst(1, isPath("GET", "/Tickets/1"), http.StatusServiceUnavailable, nil, `{"errors":["busy"]}`))
	var buf syncBuffer
	c := newClient(t, f, func(c *autotask.Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
		c.ThresholdCheckEvery = 1
	})
	ctx := context.Background()
	if _, err := c.Get(ctx, "Tickets", 1); err != nil {
		t.Fatal(err)
	}
	c2 := newClient(t, f, func(c *autotask.Config) {
		c.Secret = secret + "-wrong"
		c.Logger = slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	_, err := c2.Get(ctx, "Tickets", 1)
	if err == nil {
		t.Fatal("wrong secret accepted")
	}
	out := buf.String()
	if !strings.Contains(out, `"msg":"retrying request"`) || !strings.Contains(out, `"msg":"request"`) {
		t.Fatalf("expected request and retry logs, got:\n%s", out)
	}
	if strings.Contains(out, secret) || strings.Contains(err.Error(), secret) {
		t.Fatalf("the secret leaked:\n%s\n%v", out, err)
	}
}

func TestChildListPages(t *testing.T) {
	t.Parallel()
	f := newFake(t, fakeat.Options{})
	f.Seed("Tickets", map[string]any{"id": 1}, map[string]any{"id": 2})
	notes := make([]map[string]any, 1100)
	for i := range notes {
		notes[i] = map[string]any{"ticketID": 1 + i%2, "title": "n"}
	}
	f.Seed("TicketNotes", notes...)
	c := newClient(t, f, nil)
	got, err := c.ChildList(context.Background(), "Tickets", 1, "Notes")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 550 {
		t.Fatalf("%d notes, want 550", len(got))
	}
	next := requestsTo(f, "", "/query/next")
	if len(next) != 1 || next[0].Method != http.MethodGet {
		t.Fatalf("next pages: %+v, want one GET", next)
	}
}
