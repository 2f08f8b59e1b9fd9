// Command sbload is Switchboard's load harness. It measures the numbers of docs/targets.md
// against a running server, each beside a baseline measured in the same run, because the
// machines are shared and noisy:
//
//	sbload p1   GET /Tickets/{id} vs a bare net/http server returning the same bytes
//	sbload p2   POST /Tickets/query (status + queue filter, 500 rows): latency percentiles
//	sbload p3   follow nextPageUrl through every ticket
//	sbload p4   POST /Tickets with a ticket webhook subscribed: creates/s and delivery lag, measured
//	            by a receiver in this process (the server needs --webhook-allow-loopback)
//	sbload p5   an authenticated route vs an unauthenticated one doing the same work
//	sbload mock GET /Tickets/{id} vs the same call on a generic mock server (e.g. Prism)
//	sbload bare serve ticket 1's bytes from a bare net/http handler on --listen until stopped:
//	            the baseline for an independent load tool (wrk with cmd/sbload/p1.lua)
//
// Credentials come from flags or from a JSON file as printed by `switchboard dev seed --json`.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type creds struct {
	Username        string `json:"username"`
	Secret          string `json:"secret"`
	IntegrationCode string `json:"integrationCode"`
	Tickets         int    `json:"tickets"`
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: sbload p1|p2|p3|p4|p5|bare|mock --url URL --creds FILE [--conns N] [--duration D] [--rounds N]")
		os.Exit(2)
	}
	mode := os.Args[1]
	fs := flag.NewFlagSet(mode, flag.ExitOnError)
	base := fs.String("url", "http://127.0.0.1:8080", "Switchboard base URL")
	credFile := fs.String("creds", "", "JSON file with username, secret, integrationCode (and tickets)")
	conns := fs.Int("conns", 16, "keep-alive connections")
	dur := fs.Duration("duration", 5*time.Second, "duration of each round")
	rounds := fs.Int("rounds", 3, "rounds of each side (A/B alternated); medians are reported")
	maxID := fs.Int("max-id", 0, "highest ticket id to request (default: tickets in the creds file)")
	mockURL := fs.String("mock-url", "", "for mock: the URL of the same call on the mock server")
	listen := fs.String("listen", "127.0.0.1:18470", "for bare: the address to serve on")
	serverPID := fs.Int("server-pid", 0, "for p1 on Linux: the server's process id, to report its CPU time per request (steadier than requests per second on a shared machine)")
	_ = fs.Parse(os.Args[2:])
	var c creds
	if *credFile != "" {
		b, err := os.ReadFile(*credFile)
		if err != nil {
			fail(err)
		}
		if err := json.Unmarshal(b, &c); err != nil {
			fail(err)
		}
	}
	if *maxID == 0 {
		*maxID = max(c.Tickets, 1)
	}
	h := &harness{base: *base, c: c, client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *conns * 2, MaxConnsPerHost: *conns * 2}}}
	switch mode {
	case "p1":
		h.p1(*conns, *dur, *rounds, *maxID, *serverPID)
	case "p2":
		h.p2(*conns, *dur)
	case "p3":
		h.p3()
	case "p4":
		h.p4(*conns, *dur, *rounds)
	case "p5":
		h.p5(*conns, *dur, *rounds)
	case "bare":
		h.serveBare(*listen)
	case "mock":
		h.mock(*conns, *dur, *rounds, *maxID, *mockURL)
	default:
		fail(fmt.Errorf("unknown mode %q", mode))
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "sbload:", err)
	os.Exit(1)
}

type harness struct {
	base   string
	c      creds
	client *http.Client
}

func (h *harness) request(method, url string, body []byte, auth bool) *http.Request {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		fail(err)
	}
	if auth {
		req.Header.Set("UserName", h.c.Username)
		req.Header.Set("Secret", h.c.Secret)
		req.Header.Set("ApiIntegrationCode", h.c.IntegrationCode)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

func (h *harness) do(req *http.Request) ([]byte, error) {
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return b, fmt.Errorf("%s %s: %d %s", req.Method, req.URL, resp.StatusCode, b)
	}
	return b, err
}

// result is one round of load.
type result struct {
	rps       float64
	latencies []time.Duration
}

func (r result) pct(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[min(len(r.latencies)-1, int(float64(len(r.latencies))*p))]
}

// load runs conns workers calling next for d and measures throughput and latency.
func (h *harness) load(conns int, d time.Duration, next func() *http.Request) result {
	var n atomic.Int64
	var mu sync.Mutex
	var all []time.Duration
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 4096)
			for ctx.Err() == nil {
				t := time.Now()
				if _, err := h.do(next()); err != nil {
					fail(err)
				}
				local = append(local, time.Since(t))
				n.Add(1)
			}
			mu.Lock()
			all = append(all, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	el := time.Since(start)
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	return result{rps: float64(n.Load()) / el.Seconds(), latencies: all}
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// serveBare serves ticket 1's bytes, as Switchboard answers them, from a bare handler on addr
// until the process is stopped.
func (h *harness) serveBare(addr string) {
	sample, err := h.do(h.request("GET", h.base+"/ATServicesRest/V1.0/Tickets/1", nil, true))
	if err != nil {
		fail(err)
	}
	fmt.Printf("bare net/http handler answering %d bytes on http://%s/\n", len(sample), addr)
	srv := &http.Server{Addr: addr, Handler: bareHandler(sample), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	fail(srv.ListenAndServe())
}

func bareHandler(body []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write(body)
	})
}

// bare serves fixed bytes with a bare net/http handler: the baseline of P1.
func bare(body []byte) (string, func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	srv := &http.Server{Handler: bareHandler(body), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { srv.Close() }
}

func (h *harness) p1(conns int, d time.Duration, rounds, maxID, serverPID int) {
	sample, err := h.do(h.request("GET", h.base+"/ATServicesRest/V1.0/Tickets/1", nil, true))
	if err != nil {
		fail(err)
	}
	bareURL, stop := bare(sample)
	defer stop()
	var sbRPS, bareRPS, sbCPU, bareCPU []float64
	var sb result
	for i := 0; i < rounds; i++ {
		before := cpuTime(serverPID)
		sb = h.load(conns, d, func() *http.Request {
			return h.request("GET", fmt.Sprintf("%s/ATServicesRest/V1.0/Tickets/%d", h.base, 1+rand.IntN(maxID)), nil, true)
		})
		server := cpuTime(serverPID) - before
		before = cpuTime(os.Getpid())
		b := h.load(conns, d, func() *http.Request { return h.request("GET", bareURL+"/", nil, false) })
		harness := cpuTime(os.Getpid()) - before
		sbRPS, bareRPS = append(sbRPS, sb.rps), append(bareRPS, b.rps)
		fmt.Printf("round %d: switchboard %.0f req/s (p50 %s, p99 %s); bare net/http %.0f req/s (p50 %s)\n", i+1, sb.rps, sb.pct(.5), sb.pct(.99), b.rps, b.pct(.5))
		if serverPID > 0 && len(sb.latencies) > 0 && len(b.latencies) > 0 {
			sbCPU, bareCPU = append(sbCPU, server.Seconds()*1e6/float64(len(sb.latencies))), append(bareCPU, harness.Seconds()*1e6/float64(len(b.latencies)))
			fmt.Printf("         server CPU %.1f µs a request; bare round, load generator and bare handler together: %.1f µs a request\n", sbCPU[i], bareCPU[i])
		}
	}
	fmt.Printf("P1: switchboard %.0f req/s = %.0f%% of bare net/http (%.0f req/s), median of %d rounds, %d connections; last round p99 %s; body %d bytes\n",
		median(sbRPS), 100*median(sbRPS)/median(bareRPS), median(bareRPS), rounds, conns, sb.pct(.99), len(sample))
	if len(sbCPU) > 0 {
		fmt.Printf("P1 CPU: server %.1f µs a request (median); the bare round's whole process %.1f µs a request\n", median(sbCPU), median(bareCPU))
	}
}

// cpuTime is the user and system CPU time a Linux process has used so far (0 for pid 0 or
// where /proc is not there: the CPU lines are then left out).
func cpuTime(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// the fields after the command name, which is in parentheses and may hold spaces
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64) // utime, field 14 of stat
	st, _ := strconv.ParseInt(f[12], 10, 64) // stime, field 15
	return time.Duration(ut+st) * time.Second / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's times: 100 on every Linux Go runs on.
const clockTicks = 100

func (h *harness) p2(conns int, d time.Duration) {
	body := []byte(`{"filter":[{"op":"eq","field":"status","value":1},{"op":"eq","field":"queueID","value":8}],"MaxRecords":500}`)
	first, err := h.do(h.request("POST", h.base+"/ATServicesRest/V1.0/Tickets/query", body, true))
	if err != nil {
		fail(err)
	}
	var page struct {
		Items []json.RawMessage `json:"items"`
	}
	_ = json.Unmarshal(first, &page)
	r := h.load(conns, d, func() *http.Request {
		return h.request("POST", h.base+"/ATServicesRest/V1.0/Tickets/query", body, true)
	})
	fmt.Printf("P2: POST /Tickets/query status+queue, %d rows a page, %d connection(s): p50 %s, p99 %s, %.1f req/s\n",
		len(page.Items), conns, r.pct(.5), r.pct(.99), r.rps)
}

func (h *harness) p3() {
	body := []byte(`{"filter":[{"op":"exist","field":"id"}]}`)
	start := time.Now()
	req := h.request("POST", h.base+"/ATServicesRest/V1.0/Tickets/query", body, true)
	rows, pages := 0, 0
	for {
		b, err := h.do(req)
		if err != nil {
			fail(err)
		}
		pages++
		var page struct {
			Items       []json.RawMessage `json:"items"`
			PageDetails struct {
				NextPageURL *string `json:"nextPageUrl"`
			} `json:"pageDetails"`
		}
		if err := json.Unmarshal(b, &page); err != nil {
			fail(err)
		}
		rows += len(page.Items)
		if page.PageDetails.NextPageURL == nil {
			break
		}
		req = h.request("GET", *page.PageDetails.NextPageURL, nil, true)
	}
	fmt.Printf("P3: followed nextPageUrl through %d tickets in %d pages in %s\n", rows, pages, time.Since(start).Round(time.Millisecond))
}

func (h *harness) p5(conns int, d time.Duration, rounds int) {
	var authRPS, openRPS []float64
	for i := 0; i < rounds; i++ {
		a := h.load(conns, d, func() *http.Request { return h.request("GET", h.base+"/ATServicesRest/V1.0/Version", nil, true) })
		o := h.load(conns, d, func() *http.Request { return h.request("GET", h.base+"/ATServicesRest/VersionInformation", nil, false) })
		authRPS, openRPS = append(authRPS, a.rps), append(openRPS, o.rps)
		fmt.Printf("round %d: authenticated /V1.0/Version %.0f req/s; unauthenticated /VersionInformation %.0f req/s\n", i+1, a.rps, o.rps)
	}
	a, o := median(authRPS), median(openRPS)
	fmt.Printf("P5: authentication costs %.1f µs of server capacity a request (%.0f vs %.0f req/s, median of %d rounds, %d connections)\n",
		(1/a-1/o)*1e6, a, o, rounds, conns)
}

func (h *harness) mock(conns int, d time.Duration, rounds, maxID int, mockURL string) {
	if mockURL == "" {
		fail(fmt.Errorf("mock needs --mock-url"))
	}
	var sbRPS, mockRPS []float64
	for i := 0; i < rounds; i++ {
		sb := h.load(conns, d, func() *http.Request {
			return h.request("GET", fmt.Sprintf("%s/ATServicesRest/V1.0/Tickets/%d", h.base, 1+rand.IntN(maxID)), nil, true)
		})
		m := h.load(conns, d, func() *http.Request { return h.request("GET", mockURL, nil, true) })
		sbRPS, mockRPS = append(sbRPS, sb.rps), append(mockRPS, m.rps)
		fmt.Printf("round %d: switchboard %.0f req/s (p99 %s); mock %.0f req/s (p99 %s)\n", i+1, sb.rps, sb.pct(.99), m.rps, m.pct(.99))
	}
	fmt.Printf("mock: switchboard %.0f req/s, mock server %.0f req/s: switchboard is %.1fx the mock, median of %d rounds, %d connections\n",
		median(sbRPS), median(mockRPS), median(sbRPS)/median(mockRPS), rounds, conns)
}
