package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchboard-psa/switchboard/internal/psa"
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
	a.mail.flags(f)
	f.StringVar(&a.debugAddr, "debug-addr", "", "if set, serve Go's profiler (/debug/pprof) on this address; keep it private (SWITCHBOARD_DEBUG_ADDR)")
	return cmd
}

func (a *app) serve(ctx context.Context) error {
	log := a.logger()
	svc, closeDB, err := a.open(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	if a.cfg.Demo {
		if err := a.ensureDemo(ctx, svc); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.Addr, err)
	}
	handler, parts := server.New(svc, server.Options{PublicURL: a.cfg.Public(), Version: Version, Logger: log})
	flushCtx, stopFlush := context.WithCancel(context.Background())
	flushed := make(chan struct{})
	go func() { defer close(flushed); parts.RunUsageFlusher(flushCtx, 30*time.Second, log) }()
	defer func() { stopFlush(); <-flushed }()
	stopMail, err := a.mail.start(ctx, a, svc, log)
	if err != nil {
		return err
	}
	defer stopMail()
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	fmt.Fprintf(a.out, "Switchboard %s is listening on %s (database: %s)\n", Version, a.cfg.Public(), a.cfg.Masked()["database"])
	if a.cfg.Demo {
		a.printDemo()
	}
	if a.debugAddr != "" {
		go func() {
			if err := http.ListenAndServe(a.debugAddr, pprofMux()); err != nil {
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
func (a *app) ensureDemo(ctx context.Context, svc *psa.Service) error {
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
	creds, err := svc.CreateAPIUser(tctx, psa.NewAPIUser{FirstName: "Demo", LastName: "Integration"})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(a.cfg.DataDir, 0o755); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(map[string]any{"tenant": demoTenant, "username": creds.Username, "secret": creds.Secret, "integrationCode": creds.IntegrationCode}, "", "  ")
	return os.WriteFile(a.demoFile(), append(b, '\n'), 0o600)
}

func (a *app) printDemo() {
	b, err := os.ReadFile(a.demoFile())
	if err != nil {
		return
	}
	var c struct{ Tenant, Username, Secret, IntegrationCode string }
	if json.Unmarshal(b, &c) != nil {
		return
	}
	base := a.cfg.Public()
	fmt.Fprintf(a.out, `
Demo tenant %q — API user (kept in %s):
  UserName:           %s
  Secret:             %s
  ApiIntegrationCode: %s

Try it:
  curl -s %s/ATServicesRest/V1.0/Companies/query \
    -H 'UserName: %s' -H 'Secret: %s' -H 'ApiIntegrationCode: %s' \
    -H 'Content-Type: application/json' -d '{"filter":[{"op":"exist","field":"id"}]}'

`, c.Tenant, a.demoFile(), c.Username, c.Secret, c.IntegrationCode, base, c.Username, c.Secret, c.IntegrationCode)
}

func pprofMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
