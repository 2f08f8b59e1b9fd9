package cli

import (
	"net/http"

	"github.com/spf13/pflag"

	"github.com/switchboard-psa/switchboard/internal/server"
)

// listenerFlags adds the listener limits to serve's flags (each also a SWITCHBOARD_* variable).
func (a *app) listenerFlags(f *pflag.FlagSet) {
	f.DurationVar(&a.cfg.ReadHeaderTimeout, "read-header-timeout", a.cfg.ReadHeaderTimeout, "time allowed to read a request's headers (SWITCHBOARD_READ_HEADER_TIMEOUT)")
	f.DurationVar(&a.cfg.ReadTimeout, "read-timeout", a.cfg.ReadTimeout, "time allowed to read a whole request, body included (SWITCHBOARD_READ_TIMEOUT)")
	f.DurationVar(&a.cfg.WriteTimeout, "write-timeout", a.cfg.WriteTimeout, "time allowed to answer a request (SWITCHBOARD_WRITE_TIMEOUT)")
	f.DurationVar(&a.cfg.IdleTimeout, "idle-timeout", a.cfg.IdleTimeout, "how long a kept-alive connection may wait for its next request (SWITCHBOARD_IDLE_TIMEOUT)")
	f.IntVar(&a.cfg.MaxHeaderBytes, "max-header-bytes", a.cfg.MaxHeaderBytes, "largest request line and headers accepted, in bytes (SWITCHBOARD_MAX_HEADER_BYTES)")
	f.IntVar(&a.cfg.MaxConnections, "max-connections", a.cfg.MaxConnections, "connections open at once per listener; more wait; 0 for no limit (SWITCHBOARD_MAX_CONNECTIONS)")
}

// listenerLimits are the configured limits of every listener.
func (a *app) listenerLimits() server.Limits {
	c := a.cfg
	return server.Limits{ReadHeaderTimeout: c.ReadHeaderTimeout, ReadTimeout: c.ReadTimeout, WriteTimeout: c.WriteTimeout,
		IdleTimeout: c.IdleTimeout, MaxHeaderBytes: c.MaxHeaderBytes, MaxConnections: c.MaxConnections}
}

// debugServer serves the profiler with the same limits as the API listener (a CPU profile must
// be shorter than --write-timeout).
func (a *app) debugServer() *http.Server { return server.NewHTTPServer(pprofMux(), a.listenerLimits()) }
