package cli

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// serveChild runs this test binary as `switchboard serve` (see TestMain) in its own process, so
// that a test can kill it with SIGKILL.
func serveChild(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SWITCHBOARD_TEST_CHILD_ARGS="+strings.Join(args, "\x1f"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
	})
	return cmd
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitHealthy(t *testing.T, addr string) {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("server on %s did not become healthy", addr)
}

// ticketLoad is 8 clients creating tickets, keeping the ids of the creates that were answered.
type ticketLoad struct {
	mu     sync.Mutex
	acked  []int64
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startTicketLoad starts 8 clients, each calling create(client, i) for i = 0, 1, ... until the
// load stops or create returns an error (the server is gone). A positive id counts as answered.
func startTicketLoad(create func(w, i int) (int64, error)) *ticketLoad {
	l := &ticketLoad{}
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	for w := 0; w < 8; w++ {
		l.wg.Add(1)
		go func(w int) {
			defer l.wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				id, err := create(w, i)
				if err != nil {
					return
				}
				if id > 0 {
					l.mu.Lock()
					l.acked = append(l.acked, id)
					l.mu.Unlock()
				}
			}
		}(w)
	}
	return l
}

// killServer SIGKILLs the server once the load is well under way — n creates answered, or a
// minute passed however slow the machine (or -race) is — and waits for it to die.
func (l *ticketLoad) killServer(t *testing.T, server *exec.Cmd, n int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		l.mu.Lock()
		got := len(l.acked)
		l.mu.Unlock()
		if got >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := server.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_, _ = server.Process.Wait()
}

// stop ends the load and returns the ids of the creates that were answered.
func (l *ticketLoad) stop() []int64 {
	l.cancel()
	l.wg.Wait()
	return l.acked
}

// TestCrashDuringCreates is R1: kill -9 the server while 8 clients create tickets, start it
// again, and every create that was answered with an itemId must be there, the database intact.
func TestCrashDuringCreates(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	for name, db := range databases(t) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			addr := freeAddr(t)
			// 8 concurrent clients of one identifier: Autotask's thread limit (3) lifted for the load.
			args := []string{"serve", "--addr", addr, "--data-dir", dir, "--database", db, "--log-level", "error", "--api-thread-limit", "0"}
			first := serveChild(t, args...)
			waitHealthy(t, addr)
			c := demoCreds(t, dir)
			call := func(method, path, body string) (*http.Response, error) {
				return http.DefaultClient.Do(apiRequest("http://"+addr, c, method, path, body))
			}
			load := startTicketLoad(func(w, i int) (int64, error) {
				resp, err := call("POST", "/Tickets", fmt.Sprintf(`{"companyID":1,"title":"crash test %d-%d","status":1,"priority":2}`, w, i))
				if err != nil {
					return 0, err // the server is gone
				}
				var r struct{ ItemID int64 }
				err = json.NewDecoder(resp.Body).Decode(&r)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 {
					return 0, nil
				}
				return r.ItemID, nil
			})
			load.killServer(t, first, 200)
			acked := load.stop()
			if len(acked) < 10 {
				t.Fatalf("only %d creates were answered before the kill; the test did not load the server", len(acked))
			}
			serveChild(t, args...)
			waitHealthy(t, addr)
			for _, id := range acked {
				resp, err := call("GET", fmt.Sprintf("/Tickets/%d", id), "")
				if err != nil {
					t.Fatal(err)
				}
				var r struct {
					Item *struct {
						ID    int64  `json:"id"`
						Title string `json:"title"`
					} `json:"item"`
				}
				err = json.NewDecoder(resp.Body).Decode(&r)
				resp.Body.Close()
				if err != nil || r.Item == nil || r.Item.ID != id || !strings.HasPrefix(r.Item.Title, "crash test") {
					t.Fatalf("ticket %d was acknowledged before the kill but is not there after restart", id)
				}
			}
			if name == "sqlite" {
				sdb, err := sql.Open("sqlite", filepath.Join(dir, "switchboard.db"))
				if err != nil {
					t.Fatal(err)
				}
				defer sdb.Close()
				var check string
				if err := sdb.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
					t.Fatalf("integrity check after the crash: %q %v", check, err)
				}
			}
			t.Logf("%d acknowledged creates survived the kill", len(acked))
		})
	}
}

// runChildIfAsked makes this test binary act as the switchboard command when a crash test
// starts it as a child.
func runChildIfAsked() {
	args := os.Getenv("SWITCHBOARD_TEST_CHILD_ARGS")
	if args == "" {
		return
	}
	os.Args = append([]string{"switchboard"}, strings.Split(args, "\x1f")...)
	os.Exit(Execute())
}
