package autotask

import (
	"net/http"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false},
		{"120", 2 * time.Minute, true},
		{" 5 ", 5 * time.Second, true},
		{"-3", 0, true},
		{"Wed, 01 May 2024 12:00:30 GMT", 30 * time.Second, true},
		{"Wed, 01 May 2024 11:00:00 GMT", 0, true}, // already past
		{"soon", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestCollectionKey(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"https://h/ATServicesRest/V1.0/Tickets/5", "tickets"},
		{"https://h/ATServicesRest/V1.0/Tickets/query", "tickets"},
		{"https://h/ATServicesRest/v1.0/Tickets/5/Notes", "tickets"},
		{"https://h/atservicesrest/V1.0//Companies/query/next?paging=%7b%7d&search=x", "companies"},
		{"https://h/ATServicesRest/V1.0/ThresholdInformation", "thresholdinformation"},
		{"https://h/ATServicesRest/VersionInformation", ""},
	}
	for _, tt := range tests {
		if got := collectionKey(tt.in); got != tt.want {
			t.Errorf("collectionKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPlan(t *testing.T) {
	t.Parallel()
	c := &Client{cfg: Config{MaxRetries: 3, MaxRetryWait: 90 * time.Second, RetryBackoff: time.Second}}
	safe, unsafe := call{safe: true}, call{}
	thread := &APIError{StatusCode: 500, Messages: []string{"Thread Threshold Exceeded — The Autotask API thread threshold of 3 threads has been exceeded."}}
	tests := []struct {
		name          string
		call          call
		attempt       int
		err           *APIError
		hasRetryAfter bool
		retry         bool
		minWait       time.Duration
		maxWait       time.Duration
	}{
		{"network error", safe, 0, nil, false, true, 800 * time.Millisecond, 1200 * time.Millisecond},
		{"network error, third backoff", safe, 2, nil, false, true, 3200 * time.Millisecond, 4800 * time.Millisecond},
		{"429 without Retry-After", safe, 0, &APIError{StatusCode: 429}, false, true, 60 * time.Second, 60 * time.Second},
		{"429 with Retry-After", safe, 0, &APIError{StatusCode: 429, RetryAfter: 7 * time.Second}, true, true, 7 * time.Second, 7 * time.Second},
		{"429 Retry-After capped", safe, 0, &APIError{StatusCode: 429, RetryAfter: time.Hour}, true, true, 90 * time.Second, 90 * time.Second},
		{"thread limit", safe, 0, thread, false, true, 800 * time.Millisecond, 1200 * time.Millisecond},
		{"503", safe, 1, &APIError{StatusCode: 503}, false, true, 1600 * time.Millisecond, 2400 * time.Millisecond},
		{"500 validation", safe, 0, &APIError{StatusCode: 500, Messages: []string{"bad"}}, false, false, 0, 0},
		{"401", safe, 0, &APIError{StatusCode: 401}, false, false, 0, 0},
		{"out of attempts", safe, 3, &APIError{StatusCode: 503}, false, false, 0, 90 * time.Second},
		{"unsafe 429", unsafe, 0, &APIError{StatusCode: 429, RetryAfter: 5 * time.Second}, true, false, 5 * time.Second, 5 * time.Second},
		{"unsafe network error", unsafe, 0, nil, false, false, 0, 2 * time.Second},
	}
	for _, tt := range tests {
		wait, retry := c.plan(tt.call, tt.attempt, tt.err, tt.hasRetryAfter)
		if retry != tt.retry || wait < tt.minWait || wait > tt.maxWait {
			t.Errorf("%s: wait %v retry %v; want retry %v, wait %v–%v", tt.name, wait, retry, tt.retry, tt.minWait, tt.maxWait)
		}
	}
}

func TestNotFoundAndZoneErrors(t *testing.T) {
	t.Parallel()
	nf := &NotFoundError{Entity: "Tickets", ID: 9}
	if !isErr(nf, ErrNotFound) || isErr(nf, ErrValidation) || nf.Error() != "autotask: Tickets 9 not found" {
		t.Errorf("NotFoundError: %v", nf)
	}
	ze := &ZoneError{User: "u", Err: newAPIError(http.StatusInternalServerError, "GET", "https://x/ATServicesRest/V1.0/zoneInformation?user=u", []byte(`{"errors":["Zone information could not be determined"]}`))}
	if !isErr(ze, ErrZone) || ze.Unwrap() == nil {
		t.Errorf("ZoneError: %v", ze)
	}
}

func isErr(err, target error) bool {
	type iser interface{ Is(error) bool }
	i, ok := err.(iser)
	return ok && i.Is(target)
}

func TestWithID(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`{"title":"x"}`, `{"id":5,"title":"x"}`},
		{`{"ID":9,"Id":8,"title":"x"}`, `{"id":5,"title":"x"}`},
		{`{}`, `{"id":5}`},
	}
	for _, tt := range tests {
		got, err := withID([]byte(tt.in), 5)
		if err != nil || string(got) != tt.want {
			t.Errorf("withID(%s) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{`[1]`, `null`, `"x"`} {
		if _, err := withID([]byte(bad), 5); err == nil {
			t.Errorf("withID(%s) accepted", bad)
		}
	}
}
