package autotask_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-psa/switchboard/autotask"
	"github.com/switchboard-psa/switchboard/autotask/internal/fakeat"
)

// TestConcurrencyPerCollection fires many requests at two collections at once: the server must
// see exactly 3 in flight on each (the limit, and no more), and nothing may fail.
func TestConcurrencyPerCollection(t *testing.T) {
	t.Parallel()
	f := newFake(t, fakeat.Options{Latency: 15 * time.Millisecond})
	seedCompanies(f, 10)
	f.Seed("Tickets", map[string]any{"id": 1, "title": "t"})
	c := newClient(t, f, nil)
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 25 {
		wg.Go(func() {
			if _, err := c.Get(ctx, "Tickets", 1); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() {
			if _, err := c.Count(ctx, "Companies", nil); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() { // child collections count against their parent
			if _, err := c.ChildList(ctx, "Tickets", 1, "Notes"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, coll := range []string{"Tickets", "Companies"} {
		if m := f.MaxInFlight(coll); m != 3 {
			t.Errorf("%s: %d requests in flight at most, want exactly 3", coll, m)
		}
	}
}

// TestThreadLimitRetried: a client allowed more concurrency than the server gets the
// thread-limit error (here with status 500, as Autotask sometimes sends it) and retries.
func TestThreadLimitRetried(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
	}{{"429", http.StatusTooManyRequests}, {"500", http.StatusInternalServerError}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, fakeat.Options{Latency: 10 * time.Millisecond, ThreadLimitStatus: tt.status})
			f.Seed("Tickets", map[string]any{"id": 1})
			c := newClient(t, f, func(c *autotask.Config) {
				c.MaxConcurrentPerCollection = 8
				c.MaxRetries = 100
				c.RetryBackoff = 5 * time.Millisecond
				c.MaxRetryWait = 50 * time.Millisecond
			})
			var wg sync.WaitGroup
			for range 16 {
				wg.Go(func() {
					if _, err := c.Get(context.Background(), "Tickets", 1); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if f.MaxInFlight("Tickets") <= 3 {
				t.Fatal("the server never refused a request; the test proves nothing")
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		retryAfter   func() string
		maxRetryWait time.Duration
		wantMin      time.Duration
		wantMax      time.Duration
	}{
		{"seconds", func() string { return "1" }, 10 * time.Second, 900 * time.Millisecond, 6 * time.Second},
		{"HTTP date", func() string { return time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat) }, 10 * time.Second, 900 * time.Millisecond, 7 * time.Second},
		{"missing: 60 s capped", func() string { return "" }, 300 * time.Millisecond, 250 * time.Millisecond, 5 * time.Second},
		{"long: capped", func() string { return "3600" }, 300 * time.Millisecond, 250 * time.Millisecond, 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, fakeat.Options{})
			f.Seed("Tickets", map[string]any{"id": 1})
			hdr := map[string]string{}
			if v := tt.retryAfter(); v != "" {
				hdr["Retry-After"] = v
			}
			f.Intercept(failFirst(1, nil, http.StatusTooManyRequests, hdr, `{"errors":["The request threshold has been exceeded."]}`))
			c := newClient(t, f, func(c *autotask.Config) { c.MaxRetryWait = tt.maxRetryWait })
			start := time.Now()
			if _, err := c.Get(context.Background(), "Tickets", 1); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d < tt.wantMin || d > tt.wantMax {
				t.Fatalf("took %v, want %v–%v", d, tt.wantMin, tt.wantMax)
			}
			if n := len(requestsTo(f, http.MethodGet, "/Tickets/1")); n != 2 {
				t.Fatalf("%d attempts, want 2", n)
			}
		})
	}
}

func TestRetryAfterHonoursContext(t *testing.T) {
	t.Parallel()
	f := newFake(t, fakeat.Options{})
	f.Intercept(failFirst(1, nil, http.StatusTooManyRequests, map[string]string{"Retry-After": "30"}, `{"errors":["slow down"]}`))
	c := newClient(t, f, func(c *autotask.Config) { c.MaxRetryWait = time.Minute })
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Get(ctx, "Tickets", 1)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("err = %v after %v, want the deadline promptly", err, time.Since(start))
	}
}

// Test429HoldsEveryRequest: after the hourly threshold's 429, other requests wait too.
func Test429HoldsEveryRequest(t *testing.T) {
	t.Parallel()
	f := newFake(t, fakeat.Options{})
	seedCompanies(f, 1)
	isCreate := func(r *http.Request) bool {
		return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/Tickets")
	}
	f.Intercept(failFirst(1, isCreate, http.StatusTooManyRequests, map[string]string{"Retry-After": "1"}, `{"errors":["over the threshold"]}`))
	c := newClient(t, f, nil)
	ctx := context.Background()
	if _, err := c.Create(ctx, "Tickets", map[string]any{"title": "x"}); !errors.Is(err, autotask.ErrThreshold) {
		t.Fatalf("create err = %v, want ErrThreshold", err)
	}
	start := time.Now()
	if _, err := c.Get(ctx, "Companies", 1); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 800*time.Millisecond {
		t.Fatalf("the next request went after %v, want it held for the Retry-After second", d)
	}
}

// TestWhatIsRetried: reads are retried on transient failures; writes never are.
func TestWhatIsRetried(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		status       int
		body         string
		call         func(context.Context, *autotask.Client) error
		match        func(*http.Request) bool
		wantAttempts int
		wantErr      error
	}{
		{"get after 503", 503, ``, getTicket, isPath("GET", "/Tickets/1"), 2, nil},
		{"get after 502", 502, ``, getTicket, isPath("GET", "/Tickets/1"), 2, nil},
		{"query after 504", 504, ``, queryTickets, isPath("POST", "/Tickets/query"), 2, nil},
		{"count after thread limit", 500, `{"errors":["` + fakeat.ThreadLimitMessage + `"]}`, countTickets, isPath("POST", "/Tickets/query/count"), 2, nil},
		{"get after validation 500 not retried", 500, `{"errors":["Unable to find x in the Ticket Entity"]}`, getTicket, isPath("GET", "/Tickets/1"), 1, autotask.ErrValidation},
		{"create after 503 not retried", 503, ``, createTicket, isPath("POST", "/Tickets"), 1, nil},
		{"create after thread limit not retried", 429, `{"errors":["` + fakeat.ThreadLimitMessage + `"]}`, createTicket, isPath("POST", "/Tickets"), 1, autotask.ErrThreadLimit},
		{"update after 429 not retried", 429, `{"errors":["x"]}`, updateTicket, isPath("PATCH", "/Tickets"), 1, autotask.ErrThreshold},
		{"delete after 503 not retried", 503, ``, deleteNote, isPath("DELETE", "/Notes/1"), 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, fakeat.Options{})
			f.Seed("Tickets", map[string]any{"id": 1})
			f.Seed("TicketNotes", map[string]any{"id": 1, "ticketID": 1})
			f.Intercept(failFirst(1, tt.match, tt.status, map[string]string{"Retry-After": "0"}, tt.body))
			c := newClient(t, f, nil)
			err := tt.call(context.Background(), c)
			var attempts int
			for _, r := range f.Requests() {
				if tt.match(toHTTP(r)) {
					attempts++
				}
			}
			if attempts != tt.wantAttempts {
				t.Fatalf("%d attempts, want %d (err %v)", attempts, tt.wantAttempts, err)
			}
			if tt.wantAttempts > 1 && err != nil {
				t.Fatalf("err = %v after a retry", err)
			}
			if tt.wantAttempts == 1 {
				var apiErr *autotask.APIError
				if !errors.As(err, &apiErr) || apiErr.StatusCode != tt.status {
					t.Fatalf("err = %v, want the %d", err, tt.status)
				}
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
			}
		})
	}
}

func getTicket(ctx context.Context, c *autotask.Client) error {
	_, err := c.Get(ctx, "Tickets", 1)
	return err
}

func queryTickets(ctx context.Context, c *autotask.Client) error {
	_, err := c.Query(ctx, "Tickets", nil)
	return err
}

func countTickets(ctx context.Context, c *autotask.Client) error {
	_, err := c.Count(ctx, "Tickets", nil)
	return err
}

func createTicket(ctx context.Context, c *autotask.Client) error {
	_, err := c.Create(ctx, "Tickets", autotask.Ticket{Title: autotask.Ptr("x")})
	return err
}

func updateTicket(ctx context.Context, c *autotask.Client) error {
	return c.Update(ctx, "Tickets", 1, map[string]any{"title": "y"})
}

func deleteNote(ctx context.Context, c *autotask.Client) error {
	return c.ChildDelete(ctx, "Tickets", 1, "Notes", 1)
}

func isPath(method, suffix string) func(*http.Request) bool {
	return func(r *http.Request) bool {
		return r.Method == method && strings.HasSuffix(r.URL.Path, suffix)
	}
}

func toHTTP(r fakeat.Request) *http.Request {
	req, _ := http.NewRequest(r.Method, "http://"+r.Host+r.Path, nil)
	return req
}

func TestNetworkErrorRetried(t *testing.T) {
	t.Parallel()
	f := newFake(t, fakeat.Options{})
	f.Seed("Tickets", map[string]any{"id": 1})
	// Drop the first connection without an answer.
	var once sync.Once
	f.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		dropped := false
		once.Do(func() {
			hj, ok := w.(http.Hijacker)
			if !ok {
				return
			}
			conn, _, err := hj.Hijack()
			if err == nil {
				_ = conn.Close()
				dropped = true
			}
		})
		return dropped
	})
	c := newClient(t, f, nil)
	if _, err := c.Get(context.Background(), "Tickets", 1); err != nil {
		t.Fatalf("err = %v, want success after a retry", err)
	}
}

func TestThresholdWatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		used      int // of 1000
		wantDelay time.Duration
	}{
		{"quiet", 100, 0},
		{"past half", 600, 10 * time.Millisecond},
		{"past three quarters", 800, 20 * time.Millisecond},
		{"nearly out", 950, 40 * time.Millisecond},
	}
	policy := func(ti autotask.ThresholdInfo) time.Duration {
		switch u := ti.Usage(); {
		case u >= 0.9:
			return 40 * time.Millisecond
		case u >= 0.75:
			return 20 * time.Millisecond
		case u >= 0.5:
			return 10 * time.Millisecond
		}
		return 0
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, fakeat.Options{RequestThreshold: 1000})
			f.SetRequestCount(tt.used)
			c := newClient(t, f, func(c *autotask.Config) {
				c.ThresholdCheckEvery = 5
				c.ThresholdDelay = policy
			})
			ctx := context.Background()
			for range 5 {
				if _, err := c.Count(ctx, "Companies", nil); err != nil {
					t.Fatal(err)
				}
			}
			if n := len(requestsTo(f, http.MethodGet, "/ThresholdInformation")); n != 1 {
				t.Fatalf("ThresholdInformation read %d times in 5 requests, want once", n)
			}
			info, delay, ok := c.Pacing()
			if !ok || info.ExternalRequestThreshold != 1000 || delay != tt.wantDelay {
				t.Fatalf("pacing = %+v, %v, %v; want delay %v", info, delay, ok, tt.wantDelay)
			}
			start := time.Now()
			for range 4 {
				if _, err := c.Count(ctx, "Companies", nil); err != nil {
					t.Fatal(err)
				}
			}
			// Four requests spaced by the delay take at least three delays.
			if d := time.Since(start); d < 3*tt.wantDelay {
				t.Fatalf("4 requests took %v, want at least %v", d, 3*tt.wantDelay)
			}
		})
	}
}

func TestThresholdWatchOff(t *testing.T) {
	t.Parallel()
	f := newFake(t, fakeat.Options{})
	c := newClient(t, f, func(c *autotask.Config) { c.ThresholdCheckEvery = -1 })
	for range 10 {
		if _, err := c.Count(context.Background(), "Companies", nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(requestsTo(f, "", "/ThresholdInformation")); n != 0 {
		t.Fatalf("ThresholdInformation read %d times with the watch off", n)
	}
}

func TestDefaultThresholdDelay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		used, limit int
		want        time.Duration
	}{
		{0, 10000, 0},
		{4999, 10000, 0},
		{5000, 10000, 100 * time.Millisecond},
		{7500, 10000, 500 * time.Millisecond},
		{9000, 10000, 3600 * time.Millisecond}, // 1,000 left for an hour
		{9990, 10000, 30 * time.Second},        // capped
		{9500, 10000, 7200 * time.Millisecond},
		{9999, 1000, 30 * time.Second},
		{100, 0, 0}, // unknown budget
	}
	for _, tt := range tests {
		got := autotask.DefaultThresholdDelay(autotask.ThresholdInfo{ExternalRequestThreshold: tt.limit, RequestThresholdTimeframe: 60, CurrentTimeframeRequestCount: tt.used})
		if got != tt.want {
			t.Errorf("%d of %d: %v, want %v", tt.used, tt.limit, got, tt.want)
		}
	}
}
