package atapi_test

import (
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-psa/switchboard/internal/auth"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// heapPeak samples the process's heap while run runs and returns how far it rose above where
// it started. The server runs in the test's process, so this is the server's heap.
func heapPeak(run func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > peak.Load() {
				peak.Store(m.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	run()
	close(stop)
	<-done
	if peak.Load() < base {
		return 0
	}
	return peak.Load() - base
}

type burstReply struct {
	status int
	body   string
}

// burst sends one GET per header set, all released at once (the last one lateBy later), and
// returns the answers in order.
func burst(t *testing.T, env *testsupport.Env, headers []map[string]string, lateBy time.Duration) []burstReply {
	t.Helper()
	out := make([]burstReply, len(headers))
	start := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: len(headers)}}
	for i, h := range headers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", env.URL(v1+"/Companies/0"), nil)
			for k, v := range h {
				req.Header.Set(k, v)
			}
			<-start
			if i == len(headers)-1 {
				time.Sleep(lateBy)
			}
			res, err := client.Do(req)
			if err != nil {
				out[i] = burstReply{body: err.Error()}
				return
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			out[i] = burstReply{status: res.StatusCode, body: string(b)}
		}()
	}
	close(start)
	wg.Wait()
	return out
}

const argonMiB = 19 << 20 // what one argon2id hash allocates

// Issue 7, item 1: a burst of 39 wrong secrets for one username, and the right one sent 300 ms
// after them, while they are being checked. At most the lockout threshold of them reach the
// password hash (failures are counted before it runs), the user ends locked, so the right
// secret is refused, and the heap stays within a few hashes' worth (one hash per username at a
// time). Before the fix all 39 were hashed at once and the right one was accepted.
func TestWrongSecretBurst(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			env := testsupport.Start(t, b, false)
			svc, ctx := env.PSA, env.Ctx()
			user, err := svc.CreateAPIUser(ctx, admin.NewAPIUser{FirstName: "Burst"})
			if err != nil {
				t.Fatal(err)
			}
			const threshold = 10
			good := headersOf(user)
			hs := make([]map[string]string, 0, 40)
			for i := 0; i < 39; i++ {
				hs = append(hs, with(good, "Secret", fmt.Sprintf("Wrong-Secret-%02d", i)))
			}
			hs = append(hs, good)
			var replies []burstReply
			started := time.Now()
			grew := heapPeak(func() { replies = burst(t, env, hs, 300*time.Millisecond) })
			took := time.Since(started)
			var hashedWrong, accepted int
			for i, r := range replies {
				switch {
				case r.status == 200:
					accepted++
					t.Errorf("accepted in the burst (reply %d of %d, the last is the right secret)", i+1, len(replies))
				case r.status == 401 && strings.Contains(r.body, "username or secret is not valid"):
					hashedWrong++
				case r.status == 401 && strings.Contains(r.body, "inactive or locked"):
				default:
					t.Errorf("reply %d: %d %s", i, r.status, r.body)
				}
			}
			t.Logf("%s: %d wrong secrets checked, right one accepted: %v, heap rose %d MiB, %v", b, hashedWrong, accepted == 1, grew>>20, took)
			if hashedWrong > threshold {
				t.Errorf("%d wrong secrets were checked against the hash; the threshold is %d", hashedWrong, threshold)
			}
			if limit := uint64(auth.NewHashGate(0).Limit()+4) * argonMiB; grew > limit {
				t.Errorf("heap rose %d MiB in the burst; bound %d MiB", grew>>20, limit>>20)
			}
			u, err := svc.DescribeAPIUser(ctx, user.Username)
			if err != nil {
				t.Fatal(err)
			}
			if !u.Locked || u.FailedLogins != threshold {
				t.Errorf("after the burst: locked %v, %d failures counted", u.Locked, u.FailedLogins)
			}
			if r := burst(t, env, []map[string]string{good}, 0)[0]; r.status != 401 || !strings.Contains(r.body, "inactive or locked") {
				t.Errorf("the right secret after the threshold: %d %s", r.status, r.body)
			}
		})
	}
}

// Issue 7, item 1: wrong secrets for many usernames at once: no more hashes run at once than
// the gate allows, and the callers beyond it are answered at once (429), not queued.
func TestHashLimitAnswersAtOnce(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			env := testsupport.Start(t, b, false)
			env.Parts.Auth.Gate = auth.NewHashGate(1)
			// With a lockout threshold of 1, an answer "busy" counted as a failure would lock
			// its user: a flood of other sign-ins must not lock anyone out.
			one := int64(1)
			if _, err := env.PSA.ChangeSettings(env.Ctx(), admin.SettingsChange{LockoutThreshold: &one}); err != nil {
				t.Fatal(err)
			}
			var hs []map[string]string
			var users []*admin.APIUserCredentials
			for i := 0; i < 8; i++ {
				u, err := env.PSA.CreateAPIUser(env.Ctx(), admin.NewAPIUser{FirstName: fmt.Sprintf("Many%d", i)})
				if err != nil {
					t.Fatal(err)
				}
				users = append(users, u)
				hs = append(hs, with(headersOf(u), "Secret", "Wrong-Secret-1"))
			}
			var replies []burstReply
			grew := heapPeak(func() { replies = burst(t, env, hs, 0) })
			busy := 0
			for i, r := range replies {
				switch {
				case r.status == 429 && strings.Contains(r.body, "retry in a moment"):
					busy++
					if st := burst(t, env, []map[string]string{headersOf(users[i])}, 0)[0]; st.status != 200 {
						t.Errorf("after a busy answer the right secret: %d %s", st.status, st.body)
					}
				case r.status == 401:
				default:
					t.Errorf("reply: %d %s", r.status, r.body)
				}
			}
			t.Logf("%s: %d of %d answered busy, heap rose %d MiB", b, busy, len(hs), grew>>20)
			if busy == 0 {
				t.Errorf("8 different usernames at once with a limit of one hash: none answered busy")
			}
			if grew > 5*argonMiB {
				t.Errorf("heap rose %d MiB with one hash at a time", grew>>20)
			}
		})
	}
}
