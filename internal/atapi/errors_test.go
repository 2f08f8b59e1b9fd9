package atapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/apperr"
)

// TestWriteErrorByKind: what a client reads and how the server logs an error follow its kind,
// never its text. A client's fault (Autotask answers most with 500) is a warning; an internal
// error is logged as an error and its cause never reaches the client.
func TestWriteErrorByKind(t *testing.T) {
	cases := []struct {
		name   string
		err    error
		status int
		body   string
		level  string
	}{
		{"validation", apperr.Invalid("Missing Required Field: title"), 500, `{"errors":["Missing Required Field: title"]}`, "WARN"},
		{"client fault with a cause", apperr.Wrap(500, errors.New("invalid character"), "The query is not valid JSON."), 500, `{"errors":["The query is not valid JSON."]}`, "WARN"},
		{"forbidden", apperr.New(403, "no"), 403, `{"errors":["no"]}`, "WARN"},
		{"plain error", fmt.Errorf("query tickets: %w", errors.New("disk I/O error")), 500, `{"errors":["An internal error occurred."]}`, "ERROR"},
		{"internal", apperr.Internalf(errors.New("disk I/O error")), 500, `{"errors":["An internal error occurred."]}`, "ERROR"},
		{"client text, internal kind", &apperr.Error{Kind: apperr.Internal, Status: 500, Messages: []string{"Missing Required Field: title"}}, 500, `{"errors":["Missing Required Field: title"]}`, "ERROR"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var log bytes.Buffer
			s := &Server{Logger: slog.New(slog.NewJSONHandler(&log, nil))}
			w := httptest.NewRecorder()
			s.writeError(w, httptest.NewRequest(http.MethodGet, "/ATServicesRest/V1.0/Tickets/1", nil), c.err)
			if w.Code != c.status || strings.TrimSpace(w.Body.String()) != c.body {
				t.Errorf("answer %d %s, want %d %s", w.Code, w.Body, c.status, c.body)
			}
			var entry struct{ Level string }
			if err := json.Unmarshal(log.Bytes(), &entry); err != nil {
				t.Fatalf("log %q: %v", log.String(), err)
			}
			if entry.Level != c.level {
				t.Errorf("logged at %s, want %s: %s", entry.Level, c.level, log.String())
			}
		})
	}
}
