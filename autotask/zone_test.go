package autotask_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard-psa/switchboard/autotask"
	"github.com/switchboard-psa/switchboard/autotask/internal/fakeat"
)

func TestZoneDiscovery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		opts       fakeat.Options
		user       string // "" = the fake's user; "UPPER" = the fake's user in capitals
		wantZone   string
		wantErr    error
		wantStatus int
	}{
		{name: "zone host differs from discovery host", wantZone: "Zone 5"},
		{name: "PascalCase answer", opts: fakeat.Options{PascalCase: true, ZoneName: "Zone 14"}, wantZone: "Zone 14"},
		{name: "user matched case-insensitively", user: "UPPER", wantZone: "Zone 5"},
		{name: "unknown user", user: "nobody@example.com", wantErr: autotask.ErrZone, wantStatus: 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, tt.opts)
			c := newClient(t, f, func(c *autotask.Config) {
				switch tt.user {
				case "":
				case "UPPER":
					c.Username = strings.ToUpper(c.Username)
				default:
					c.Username = tt.user
				}
			})
			zi, err := c.Zone(context.Background())
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				var apiErr *autotask.APIError
				if !errors.As(err, &apiErr) || apiErr.StatusCode != tt.wantStatus || apiErr.Messages[0] != "Zone information could not be determined" {
					t.Fatalf("err = %#v, want the server's %d", err, tt.wantStatus)
				}
				// A call that needs the zone fails the same way.
				if _, err := c.Get(context.Background(), "Tickets", 1); !errors.Is(err, autotask.ErrZone) {
					t.Fatalf("Get err = %v, want ErrZone", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if zi.ZoneName != tt.wantZone || zi.URL != f.BaseURL() || zi.CI != 5 {
				t.Fatalf("zone = %+v, want %s at %s", zi, tt.wantZone, f.BaseURL())
			}
			// Calls go to the zone host, not the discovery host.
			if _, err := c.Count(context.Background(), "Tickets", nil); err != nil {
				t.Fatal(err)
			}
			for _, r := range f.Requests() {
				isZone := strings.HasSuffix(strings.ToLower(r.Path), "/zoneinformation")
				switch {
				case isZone && r.Host != f.ZoneHost():
					t.Errorf("zone discovery went to %s, want %s", r.Host, f.ZoneHost())
				case isZone && (r.Header.Get("Secret") != "" || r.Header.Get("UserName") != "" || r.Header.Get("ApiIntegrationCode") != ""):
					t.Errorf("zone discovery sent credentials: %v", r.Header)
				case !isZone && r.Host != f.APIHost():
					t.Errorf("%s %s went to %s, want the zone host %s", r.Method, r.Path, r.Host, f.APIHost())
				}
			}
		})
	}
}

func TestZoneDiscoveryIsCached(t *testing.T) {
	t.Parallel()
	f := newFake(t, fakeat.Options{})
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 3 { // several clients of one user, several goroutines each
		c := newClient(t, f, nil)
		for range 5 {
			wg.Go(func() {
				if _, err := c.Count(ctx, "Companies", nil); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	if n := f.ZoneRequests(); n != 1 {
		t.Fatalf("zone requests = %d, want 1 (cached per process)", n)
	}
}

func TestBaseURLSkipsDiscovery(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, base string }{
		{"full base", ""},
		{"without trailing slash", "strip-slash"},
		{"host only", "host-only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, fakeat.Options{})
			base := f.BaseURL()
			switch tt.base {
			case "strip-slash":
				base = strings.TrimSuffix(base, "/")
			case "host-only":
				base = "http://" + f.APIHost()
			}
			c := newClient(t, f, func(c *autotask.Config) { c.BaseURL = base; c.DiscoveryURL = "http://127.0.0.1:1/" })
			if _, err := c.Count(context.Background(), "Companies", nil); err != nil {
				t.Fatal(err)
			}
			if f.ZoneRequests() != 0 {
				t.Fatal("zone discovery ran although BaseURL was set")
			}
		})
	}
}

func TestDiscoverTrailingSlash(t *testing.T) {
	t.Parallel()
	// Some servers answer the url without the trailing slash; the client adds it.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"ZoneName":"Zone 5","Url":"https://webservices5.autotask.net/atservicesrest","WebUrl":"https://ww5.autotask.net","CI":5}`))
	}))
	t.Cleanup(srv.Close)
	zi, err := autotask.Discover(context.Background(), srv.Client(), srv.URL+"/ATServicesRest", "u@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if zi.URL != "https://webservices5.autotask.net/atservicesrest/" || zi.ZoneName != "Zone 5" || zi.WebURL != "https://ww5.autotask.net" {
		t.Fatalf("zone = %+v", zi)
	}
}
