package config

import (
	"path/filepath"
	"strings"
	"testing"
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

func TestValidate(t *testing.T) {
	if err := Defaults().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
	for _, c := range []Config{
		{LogLevel: "verbose"},
		{LogLevel: "info", PublicURL: "sb.example"},
		{LogLevel: "info", PublicURL: "ftp://sb.example"},
		{LogLevel: "info", PublicURL: "https://"},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v accepted", c)
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

func TestEnv(t *testing.T) {
	t.Setenv("SWITCHBOARD_DATA_DIR", "/srv/sb")
	if v, ok := Env("data-dir"); !ok || v != "/srv/sb" {
		t.Errorf("Env(data-dir) = %q, %v", v, ok)
	}
}
