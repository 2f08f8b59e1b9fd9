package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/server"
	"github.com/switchboard-psa/switchboard/internal/store"
)

const demoTenant = "Demo MSP"

func (a *app) serveCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Switchboard server",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.serve(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringVar(&a.cfg.Addr, "addr", a.cfg.Addr, "address to listen on (SWITCHBOARD_ADDR)")
	f.StringVar(&a.cfg.PublicURL, "public-url", a.cfg.PublicURL, "public base URL for zone answers and nextPageUrl; default from --addr (SWITCHBOARD_PUBLIC_URL)")
	f.BoolVar(&a.cfg.Demo, "demo", a.cfg.Demo, "create a demo tenant with data and an API user on first start (SWITCHBOARD_DEMO)")
	f.StringVar(&a.cfg.TileFrameAncestors, "tile-frame-ancestors", a.cfg.TileFrameAncestors, "origins allowed to embed /tile/my-tickets in an iframe, space-separated; default none (SWITCHBOARD_TILE_FRAME_ANCESTORS)")
	a.mail.flags(f)
	f.StringVar(&a.debugAddr, "debug-addr", "", "if set, serve Go's profiler (/debug/pprof) on this address; keep it private (SWITCHBOARD_DEBUG_ADDR)")
	a.listenerFlags(f)
	a.limitFlags(f)
	a.webhookFlags(f)
	return cmd
}

// serverGCPercent is the garbage collector's target for serve when GOGC is not set. The server's
// live heap is small (a few MB: rows and answers are short-lived, the database's caches live
// outside the Go heap), so Go's default of 100 collects every few hundred requests; 400 lets
// the heap grow to five times what is live before collecting. With fewer SQLite readers
// (store.sqliteReaders) that took 7–28% off the CPU of a GET /Tickets/{id} (docs/performance.md,
// P1). serverMemoryLimit, unless GOMEMLIMIT is set, makes the collector work harder before the
// Go heap passes it, so a burst of large answers (500-row pages) does not grow the process by
// five times what they hold.
const (
	serverGCPercent   = 400
	serverMemoryLimit = 96 << 20
)

func (a *app) serve(ctx context.Context) error {
	log := a.logger()
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(serverGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(serverMemoryLimit)
	}
	svc, closeDB, err := a.openOrCreate(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	if a.cfg.Demo {
		if err := a.ensureDemo(ctx, svc); err != nil {
			return err
		}
		if err := a.ensureDemoWeb(ctx, svc); err != nil {
			return err
		}
	}
	ln, err := server.Listen(a.cfg.Addr, a.listenerLimits())
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.Addr, err)
	}
	limitsCfg, closeLimits, err := a.limitsConfig()
	if err != nil {
		return err
	}
	defer closeLimits()
	integ := a.integrations(log, svc)
	handler, parts := server.New(svc, server.Options{PublicURL: a.cfg.Public(), Version: Version, Logger: log, Limits: limitsCfg, Web: a.webOptions(log, integ)})
	flushCtx, stopFlush := context.WithCancel(context.Background())
	flushed := make(chan struct{})
	go func() { defer close(flushed); parts.RunUsageFlusher(flushCtx, 30*time.Second, log) }()
	go parts.Auth.Run(flushCtx) // changes other processes make reach this one's caches
	defer func() { stopFlush(); <-flushed }()
	stopMail, err := a.mail.start(ctx, a.out, integ.mail, log)
	if err != nil {
		return err
	}
	defer stopMail()
	defer a.startWebhooks(ctx, svc, log)()
	if integ.sync != nil {
		go integ.sync.RunScheduler(flushCtx, 30*time.Second)
	}
	srv := server.NewHTTPServer(handler, a.listenerLimits())
	fmt.Fprintf(a.out, "Switchboard %s is listening on %s (database: %s)\n", Version, a.cfg.Public(), a.cfg.Masked()["database"])
	if a.cfg.Demo {
		a.printDemo()
		a.printDemoWeb()
	}
	if a.debugAddr != "" {
		dln, err := server.Listen(a.debugAddr, a.listenerLimits())
		if err != nil {
			return fmt.Errorf("listen on %s (--debug-addr): %w", a.debugAddr, err)
		}
		dsrv := a.debugServer()
		defer dsrv.Close()
		go func() {
			if err := dsrv.Serve(dln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("debug listener stopped", "error", err)
			}
		}()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Fprintln(a.out, "Switchboard stopped.")
	return nil
}

func (a *app) demoFile() string { return filepath.Join(a.cfg.DataDir, "demo-credentials.json") }

// ensureDemo creates the demo tenant, its data and an API user on first start, and keeps the
// API user's credentials in the data directory (mode 0600) so every start can print them.
func (a *app) ensureDemo(ctx context.Context, svc *admin.Service) error {
	if _, err := svc.DB.TenantByName(ctx, demoTenant); err == nil {
		return nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	t, err := svc.CreateTenant(ctx, demoTenant, "UTC")
	if err != nil {
		return err
	}
	tctx := store.WithTenant(ctx, t.ID)
	if err := svc.SeedDemo(tctx); err != nil {
		return err
	}
	creds, err := svc.CreateAPIUser(tctx, admin.NewAPIUser{FirstName: "Demo", LastName: "Integration"})
	if err != nil {
		return err
	}
	if err := svc.SeedDemoTeam(tctx); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(map[string]any{"tenant": demoTenant, "username": creds.Username, "secret": creds.Secret, "integrationCode": creds.IntegrationCode}, "", "  ")
	return store.WritePrivateFile(a.demoFile(), append(b, '\n'))
}

// stdoutIsTerminal reports whether w is a terminal; secrets are printed only there, never into
// a service manager's journal or a redirected log. Tests replace it.
var stdoutIsTerminal = func(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// shellQuote quotes s for a POSIX shell: generated secrets hold characters such as ! # $ *.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// printDemo tells where the demo API user's credentials are; on a terminal it also prints them
// as ready-to-paste exports of the variables `switchboard at` and the autotask library read,
// and a first call.
func (a *app) printDemo() {
	path := abs(a.demoFile())
	b, err := os.ReadFile(a.demoFile())
	if err != nil {
		return
	}
	var c struct{ Tenant, Username, Secret, IntegrationCode string }
	if json.Unmarshal(b, &c) != nil {
		return
	}
	if !stdoutIsTerminal(a.out) {
		fmt.Fprintf(a.out, "Demo tenant %q: its API user's credentials are in %s (readable by this user only; printed only when standard output is a terminal).\n", c.Tenant, path)
		return
	}
	base := a.cfg.Public()
	fmt.Fprintf(a.out, `
Demo tenant %q — API user (kept in %s). Paste into a shell:

  export AUTOTASK_USERNAME=%s
  export AUTOTASK_SECRET=%s
  export AUTOTASK_INTEGRATION_CODE=%s
  export AUTOTASK_DISCOVERY_URL=%s

Try it:
  switchboard at count Companies
  curl -s %s/ATServicesRest/V1.0/Companies/query \
    -H "UserName: $AUTOTASK_USERNAME" -H "Secret: $AUTOTASK_SECRET" -H "ApiIntegrationCode: $AUTOTASK_INTEGRATION_CODE" \
    -H 'Content-Type: application/json' -d '{"filter":[{"op":"exist","field":"id"}]}'

`, c.Tenant, path, shellQuote(c.Username), shellQuote(c.Secret), shellQuote(c.IntegrationCode), shellQuote(base+"/"), base)
}

func pprofMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
