package server_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-psa/switchboard/internal/server"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// serveWith runs the env's handler on a real listener built the way serve builds it.
func serveWith(t *testing.T, env *testsupport.Env, l server.Limits) string {
	t.Helper()
	ln, err := server.Listen("127.0.0.1:0", l)
	if err != nil {
		t.Fatal(err)
	}
	srv := server.NewHTTPServer(env.Server.Config.Handler, l)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// closedWithin reads from c until the server closes it, and fails when that takes longer than d.
// It returns what the server sent.
func closedWithin(t *testing.T, c net.Conn, d time.Duration) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(d))
	b, err := io.ReadAll(c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the server still held the connection after %v; it sent %q", d, b)
	}
	return string(b)
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// trickle writes one byte every interval until the connection fails or stop closes.
func trickle(c net.Conn, every time.Duration, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case <-time.After(every):
		}
		if _, err := c.Write([]byte("x")); err != nil {
			return
		}
	}
}

// Issue 7, item 2: slow sockets are cut within the configured timeouts, a request that fails
// authentication is answered without waiting for its body and its connection closed, headers
// are bounded, and connections beyond the cap wait.
func TestListenerLimits(t *testing.T) {
	t.Parallel()
	env := testsupport.Start(t, testsupport.SQLite, false)
	short := server.Limits{ReadHeaderTimeout: 300 * time.Millisecond, ReadTimeout: 700 * time.Millisecond, WriteTimeout: 5 * time.Second,
		IdleTimeout: 500 * time.Millisecond, MaxHeaderBytes: 8 << 10, MaxConnections: 2}
	const query = "/ATServicesRest/V1.0/Companies/query"

	t.Run("slow headers", func(t *testing.T) {
		addr := serveWith(t, env, short)
		c := dial(t, addr)
		fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\n", query)
		closedWithin(t, c, 3*time.Second)
	})

	t.Run("slow body without credentials", func(t *testing.T) {
		l := short
		l.ReadTimeout = time.Minute // the answer must not wait for the body nor for this timeout
		addr := serveWith(t, env, l)
		c := dial(t, addr)
		fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{", query)
		stop := make(chan struct{})
		defer close(stop)
		go trickle(c, 100*time.Millisecond, stop)
		got := closedWithin(t, c, 3*time.Second)
		if !strings.HasPrefix(got, "HTTP/1.1 401") || !strings.Contains(got, "Connection: close") {
			t.Errorf("answer: %q", got)
		}
	})

	t.Run("slow body with wrong credentials", func(t *testing.T) {
		l := short
		l.ReadTimeout = time.Minute
		addr := serveWith(t, env, l)
		c := dial(t, addr)
		fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\nUserName: %s\r\nSecret: wrong-Secret-1\r\nApiIntegrationCode: %s\r\nContent-Length: 100000\r\n\r\n{",
			query, env.Creds.Username, env.Creds.IntegrationCode)
		stop := make(chan struct{})
		defer close(stop)
		go trickle(c, 100*time.Millisecond, stop)
		got := closedWithin(t, c, 5*time.Second)
		if !strings.HasPrefix(got, "HTTP/1.1 401") {
			t.Errorf("answer: %q", got)
		}
	})

	t.Run("slow body with good credentials", func(t *testing.T) {
		addr := serveWith(t, env, short)
		c := dial(t, addr)
		fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\nUserName: %s\r\nSecret: %s\r\nApiIntegrationCode: %s\r\nContent-Length: 100000\r\n\r\n{",
			query, env.Creds.Username, env.Creds.Secret, env.Creds.IntegrationCode)
		stop := make(chan struct{})
		defer close(stop)
		go trickle(c, 100*time.Millisecond, stop)
		closedWithin(t, c, 5*time.Second) // ReadTimeout 700ms, plus a password hash
	})

	t.Run("idle connection", func(t *testing.T) {
		addr := serveWith(t, env, short)
		c := dial(t, addr)
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		got := closedWithin(t, c, 3*time.Second)
		if !strings.HasPrefix(got, "HTTP/1.1 200") {
			t.Errorf("answer: %q", got)
		}
	})

	t.Run("large headers", func(t *testing.T) {
		addr := serveWith(t, env, short)
		req, _ := http.NewRequest("GET", "http://"+addr+"/healthz", nil)
		req.Header.Set("X-Padding", strings.Repeat("a", 64<<10))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("64 KiB of headers with a limit of 8 KiB: %d", res.StatusCode)
		}
	})

	t.Run("connection cap", func(t *testing.T) {
		l := short
		l.ReadHeaderTimeout, l.ReadTimeout, l.IdleTimeout = time.Minute, time.Minute, time.Minute
		addr := serveWith(t, env, l)
		a, b := dial(t, addr), dial(t, addr)
		for _, c := range []net.Conn{a, b} {
			fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
			_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
			if line, err := bufio.NewReader(c).ReadString('\n'); err != nil || !strings.HasPrefix(line, "HTTP/1.1 200") {
				t.Fatalf("first two connections: %q %v", line, err)
			}
		}
		third := dial(t, addr)
		fmt.Fprintf(third, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		_ = third.SetReadDeadline(time.Now().Add(400 * time.Millisecond))
		if n, _ := third.Read(make([]byte, 1)); n > 0 {
			t.Fatal("a third connection was served while the cap of two was held")
		}
		a.Close()
		got := closedWithin(t, third, 3*time.Second)
		if !strings.HasPrefix(got, "HTTP/1.1 200") {
			t.Errorf("the third connection once one closed: %q", got)
		}
	})
}
