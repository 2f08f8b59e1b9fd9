package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDatabaseURLAndPublic(t *testing.T) {
	c := Defaults()
	if got := c.DatabaseURL(); got != filepath.Join("switchboard-data", "switchboard.db") {
		t.Errorf("default database %q", got)
	}
	c.Database = "postgres://u@h/db"
	if c.DatabaseURL() != "postgres://u@h/db" {
		t.Errorf("configured database %q", c.DatabaseURL())
	}
	for addr, want := range map[string]string{
		"127.0.0.1:8080": "http://127.0.0.1:8080", ":9000": "http://127.0.0.1:9000",
		"0.0.0.0:80": "http://127.0.0.1:80", "[::]:81": "http://127.0.0.1:81", "sb.example:443": "http://sb.example:443",
	} {
		if got := (Config{Addr: addr}).Public(); got != want {
			t.Errorf("Public for %s: %s, want %s", addr, got, want)
		}
	}
	if got := (Config{Addr: ":1", PublicURL: "https://sb.example/"}).Public(); got != "https://sb.example" {
		t.Errorf("Public with --public-url: %s", got)
	}
}

// TestValidate: each bad value is refused with a message naming its flag, and the defaults and
// good values pass. Each case starts from the defaults, so it fails for its own reason.
func TestValidate(t *testing.T) {
	if err := Defaults().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
	for _, c := range []struct {
		change func(*Config)
		want   string // in the message; "" for a valid configuration
	}{
		{func(c *Config) { c.LogLevel = "verbose" }, `--log-level "verbose"`},
		{func(c *Config) { c.LogLevel = "debug" }, ""},
		{func(c *Config) { c.PublicURL = "sb.example" }, "--public-url"},
		{func(c *Config) { c.PublicURL = "ftp://sb.example" }, "--public-url"},
		{func(c *Config) { c.PublicURL = "https://" }, "--public-url"},
		{func(c *Config) { c.PublicURL = "https://sb.example/psa" }, ""},
		{func(c *Config) { c.ReadHeaderTimeout = 0 }, "--read-header-timeout"},
		{func(c *Config) { c.ReadTimeout = -time.Second }, "--read-timeout"},
		{func(c *Config) { c.WriteTimeout = 0 }, "--write-timeout"},
		{func(c *Config) { c.IdleTimeout = 0 }, "--idle-timeout"},
		{func(c *Config) { c.MaxHeaderBytes = 4095 }, "--max-header-bytes 4095"},
		{func(c *Config) { c.MaxHeaderBytes = 4096 }, ""},
		{func(c *Config) { c.MaxConnections = -1 }, "--max-connections -1"},
		{func(c *Config) { c.MaxConnections = 0 }, ""},
	} {
		cfg := Defaults()
		c.change(&cfg)
		err := cfg.Validate()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%+v refused: %v", cfg, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%+v: %v, want an error naming %s", cfg, err, c.want)
		}
	}
}

// TestMaskedHidesPassword: `switchboard config` never prints the database password.
func TestMaskedHidesPassword(t *testing.T) {
	c := Defaults()
	c.Database = "postgres://app:s3cret-pw@db.example:5432/sb?sslmode=require"
	m := c.Masked()
	if strings.Contains(m["database"], "s3cret-pw") || !strings.Contains(m["database"], "app:xxxxx@db.example") {
		t.Errorf("masked database %q", m["database"])
	}
	c.Database = "postgres://app@db.example/sb"
	if got := c.Masked()["database"]; got != c.Database {
		t.Errorf("no password: %q", got)
	}
}

// TestEnv: a flag's variable is SWITCHBOARD_ and its name upper-cased with - as _; one set to
// the empty string is set, one not set is not.
func TestEnv(t *testing.T) {
	t.Setenv("SWITCHBOARD_DATA_DIR", "/srv/sb")
	if v, ok := Env("data-dir"); !ok || v != "/srv/sb" {
		t.Errorf("Env(data-dir) = %q, %v", v, ok)
	}
	t.Setenv("SWITCHBOARD_API_LATENCY_50", "")
	if v, ok := Env("api-latency-50"); !ok || v != "" {
		t.Errorf("Env(api-latency-50) set empty = %q, %v", v, ok)
	}
	if v, ok := Env("no-such-flag-set"); ok {
		t.Errorf("Env of an unset variable = %q, true", v)
	}
}

// TestMaskedShowsTheConfiguration: config prints every option, the public URL as derived.
func TestMaskedShowsTheConfiguration(t *testing.T) {
	c := Defaults()
	c.Addr, c.Demo = ":9090", false
	want := map[string]string{"addr": ":9090", "data-dir": "./switchboard-data", "database": filepath.Join("switchboard-data", "switchboard.db"),
		"public-url": "http://127.0.0.1:9090", "demo": "false", "log-level": "info"}
	got := c.Masked()
	if len(got) != len(want) {
		t.Errorf("Masked() = %v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("Masked()[%s] = %q, want %q", k, got[k], v)
		}
	}
}
