// Package config holds Switchboard's typed configuration. Every option is a flag and a
// SWITCHBOARD_* environment variable; the defaults work with no configuration at all.
package config

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is what a command runs with.
type Config struct {
	Addr      string // listen address
	DataDir   string // where SQLite and other local files live
	Database  string // SQLite path or postgres:// URL; empty: SQLite in DataDir
	PublicURL string // base of zone answers and nextPageUrl; empty: from Addr
	Demo      bool   // create the demo tenant on first start
	LogLevel  string // debug, info, warn, error

	// Limits of every listener (docs/operations.md).
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int
	MaxConnections    int

	// TileFrameAncestors are the origins (space-separated) allowed to embed /tile/my-tickets
	// in an <iframe>; empty: none.
	TileFrameAncestors string
}

// Defaults returns the configuration with nothing set.
func Defaults() Config {
	return Config{Addr: "127.0.0.1:8080", DataDir: "./switchboard-data", Demo: true, LogLevel: "info",
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second, WriteTimeout: 120 * time.Second, IdleTimeout: 120 * time.Second,
		MaxHeaderBytes: 64 << 10, MaxConnections: 1024}
}

// Env returns the value of SWITCHBOARD_<NAME>, where name is a flag name (data-dir → DATA_DIR).
func Env(flag string) (string, bool) {
	return os.LookupEnv("SWITCHBOARD_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_")))
}

// DatabaseURL is the database to open: the configured one, or SQLite in the data directory.
func (c Config) DatabaseURL() string {
	if c.Database != "" {
		return c.Database
	}
	return filepath.Join(c.DataDir, "switchboard.db")
}

// Public is the public base URL, derived from the listen address when not set.
func (c Config) Public() string {
	if c.PublicURL != "" {
		return strings.TrimRight(c.PublicURL, "/")
	}
	host := c.Addr
	if strings.HasPrefix(host, ":") || strings.HasPrefix(host, "0.0.0.0:") || strings.HasPrefix(host, "[::]:") {
		host = "127.0.0.1:" + host[strings.LastIndex(host, ":")+1:]
	}
	return "http://" + host
}

// Validate checks values that would otherwise fail later with a less clear message.
func (c Config) Validate() error {
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--public-url %q must be an absolute http(s) URL", c.PublicURL)
		}
	}
	for name, d := range map[string]time.Duration{"--read-header-timeout": c.ReadHeaderTimeout, "--read-timeout": c.ReadTimeout,
		"--write-timeout": c.WriteTimeout, "--idle-timeout": c.IdleTimeout} {
		if d <= 0 {
			return fmt.Errorf("%s %s must be more than zero", name, d)
		}
	}
	if c.MaxHeaderBytes < 4096 {
		return fmt.Errorf("--max-header-bytes %d must be at least 4096", c.MaxHeaderBytes)
	}
	if c.MaxConnections < 0 {
		return fmt.Errorf("--max-connections %d must be 0 (no limit) or more", c.MaxConnections)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("--log-level %q must be debug, info, warn or error", c.LogLevel)
	}
	return nil
}

// Masked returns the configuration for display, with any password in the database URL hidden.
func (c Config) Masked() map[string]string {
	db := c.DatabaseURL()
	if u, err := url.Parse(db); err == nil && u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			db = u.String()
		}
	}
	return map[string]string{"addr": c.Addr, "data-dir": c.DataDir, "database": db, "public-url": c.Public(),
		"demo": strconv.FormatBool(c.Demo), "log-level": c.LogLevel}
}
