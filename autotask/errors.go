package autotask

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Classes of failure. Match them with errors.Is; the error itself is usually an *APIError that
// carries Autotask's own messages.
var (
	// ErrAuthentication: the API user or secret was refused (HTTP 401).
	ErrAuthentication = errors.New("autotask: authentication failed")
	// ErrIntegrationCode: the tracking identifier was refused (HTTP 500 "IntegrationCode is invalid.").
	ErrIntegrationCode = errors.New("autotask: integration code is invalid")
	// ErrPermission: the user's security level does not allow the call (HTTP 403, or a 500 saying
	// the resource "does not have the adequate permissions").
	ErrPermission = errors.New("autotask: permission denied")
	// ErrNotFound: no such record ({"item":null}, HTTP 404, or "No matching records found").
	ErrNotFound = errors.New("autotask: not found")
	// ErrValidation: Autotask rejected the request (HTTP 400 or any other 500).
	ErrValidation = errors.New("autotask: request rejected")
	// ErrThreshold: the tenant's request budget is exhausted (HTTP 429).
	ErrThreshold = errors.New("autotask: request threshold exceeded")
	// ErrThreadLimit: more than the allowed concurrent requests reached one collection
	// ("thread threshold" in the message, whatever the status).
	ErrThreadLimit = errors.New("autotask: thread threshold exceeded")
	// ErrZone: the zone of the API user could not be discovered.
	ErrZone = errors.New("autotask: zone information could not be determined")
	// ErrInvalidQuery: a Query was refused before it was sent (see Query.Validate).
	ErrInvalidQuery = errors.New("autotask: invalid query")
)

// APIError is an answer of the API that was not a success.
type APIError struct {
	StatusCode int
	// Messages are Autotask's own messages (the "errors" array of the body, or its "Message").
	Messages []string
	Method   string
	// URL of the request, without its query string.
	URL string
	// RetryAfter is the wait the server asked for (429 Retry-After), zero if none.
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("autotask: ")
	if e.Method != "" {
		b.WriteString(e.Method + " " + e.URL + ": ")
	}
	fmt.Fprintf(&b, "%d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if len(e.Messages) > 0 {
		b.WriteString(": " + strings.Join(e.Messages, "; "))
	}
	return b.String()
}

// Is reports whether the error belongs to one of the classes ErrAuthentication, ErrPermission, ….
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrAuthentication:
		return e.StatusCode == http.StatusUnauthorized
	case ErrIntegrationCode:
		return e.has("integrationcode is invalid")
	case ErrPermission:
		return e.StatusCode == http.StatusForbidden || e.has("does not have the adequate permissions")
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound || e.has("no matching records found")
	case ErrThreshold:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrThreadLimit:
		return e.threadLimit()
	case ErrZone:
		return e.has("zone information could not be determined")
	case ErrValidation:
		if e.StatusCode == http.StatusBadRequest || e.StatusCode == http.StatusUnprocessableEntity {
			return true
		}
		return e.StatusCode == http.StatusInternalServerError && !e.Is(ErrIntegrationCode) &&
			!e.Is(ErrPermission) && !e.Is(ErrThreadLimit) && !e.Is(ErrZone) && !e.Is(ErrNotFound)
	}
	return false
}

func (e *APIError) threadLimit() bool { return e.has("thread threshold") }

func (e *APIError) has(lowerSubstr string) bool {
	for _, m := range e.Messages {
		if strings.Contains(strings.ToLower(m), lowerSubstr) {
			return true
		}
	}
	return false
}

// NotFoundError is returned when Autotask answers a GET by id with {"item":null}.
type NotFoundError struct {
	Entity string
	ID     int64
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("autotask: %s %d not found", e.Entity, e.ID)
}

// Is makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// ZoneError is a failed zone discovery. It matches ErrZone and wraps the cause (often an *APIError).
type ZoneError struct {
	User string
	Err  error
}

func (e *ZoneError) Error() string {
	return fmt.Sprintf("autotask: zone of %q could not be determined: %v", e.User, e.Err)
}

func (e *ZoneError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrZone) true.
func (e *ZoneError) Is(target error) bool { return target == ErrZone }

// newAPIError reads the messages out of an error body. Autotask sends {"errors":["…"]}; ASP.NET
// routing errors send {"Message":"…"}; some clients have seen objects {"message","field"} in the
// array; anything else (an HTML 404 page) is kept as short text.
func newAPIError(status int, method, rawURL string, body []byte) *APIError {
	e := &APIError{StatusCode: status, Method: method, URL: stripQuery(rawURL)}
	var env struct {
		Errors  []json.RawMessage `json:"errors"`
		Message string            `json:"message"`
	}
	if json.Unmarshal(body, &env) == nil {
		for _, raw := range env.Errors {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				e.Messages = append(e.Messages, s)
				continue
			}
			var o struct{ Message, Field string }
			if json.Unmarshal(raw, &o) == nil && o.Message != "" {
				if o.Field != "" {
					o.Message = o.Field + ": " + o.Message
				}
				e.Messages = append(e.Messages, o.Message)
			}
		}
		if len(e.Messages) == 0 && env.Message != "" {
			e.Messages = []string{env.Message}
		}
		if len(e.Messages) > 0 {
			return e
		}
	}
	if text := strings.TrimSpace(string(body)); text != "" && !strings.HasPrefix(text, "<") {
		if len(text) > 512 {
			text = text[:512] + "…"
		}
		e.Messages = []string{text}
	}
	return e
}

func stripQuery(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i]
	}
	return u
}
