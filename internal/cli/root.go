// Package cli holds the switchboard command line: serve, migrate, tenant, apiuser, resource,
// securitylevel, vendor, lob, config, connection, at, sync, dev.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/switchboard-psa/switchboard/autotask"
	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/config"
	"github.com/switchboard-psa/switchboard/internal/connection"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// Version is set at build time with -ldflags "-X .../internal/cli.Version=...".
var Version = "dev"

// Execute runs the command line and returns the process exit code.
func Execute() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := NewRoot(os.Stdout, os.Stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "switchboard:", errorText(err))
		return 1
	}
	return 0
}

func errorText(err error) string {
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return strings.Join(ae.Messages, "; ")
	}
	return err.Error() + zoneHint(err)
}

// zoneHint explains a zone discovery that failed on DNS: without AUTOTASK_DISCOVERY_URL,
// `switchboard at` asks Autotask's own discovery host, which a Switchboard user rarely means.
func zoneHint(err error) string {
	var dns *net.DNSError
	if !errors.Is(err, autotask.ErrZone) || !errors.As(err, &dns) {
		return ""
	}
	return fmt.Sprintf("\nZone discovery could not resolve %s. To reach a Switchboard, point discovery at it: "+
		"export AUTOTASK_DISCOVERY_URL='http://127.0.0.1:8080/' (or --discovery-url); to skip discovery, set AUTOTASK_BASE_URL.", dns.Name)
}

// app is the state the commands share.
type app struct {
	cfg       config.Config
	debugAddr string
	limits    limitSettings // serve's API limits flags (limits.go)
	webhooks  webhookConfig
	mail      mailServe // email to ticket (serve_mail.go)
	out       io.Writer
	errOut    io.Writer
}

// NewRoot builds the command tree writing to out and errOut.
func NewRoot(out, errOut io.Writer) *cobra.Command {
	a := &app{cfg: config.Defaults(), out: out, errOut: errOut}
	root := &cobra.Command{
		Use:           "switchboard",
		Short:         "Switchboard: a self-hosted PSA with an Autotask-compatible REST API",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if err := applyEnv(cmd.Flags()); err != nil {
				return err
			}
			return a.cfg.Validate()
		},
	}
	root.Version = Version
	root.SetVersionTemplate(versionText())
	root.SetOut(out)
	root.SetErr(errOut)
	pf := root.PersistentFlags()
	pf.StringVar(&a.cfg.DataDir, "data-dir", a.cfg.DataDir, "directory for the embedded database and local files (SWITCHBOARD_DATA_DIR)")
	pf.StringVar(&a.cfg.Database, "database", a.cfg.Database, "SQLite file path or postgres:// URL; default SQLite in the data directory (SWITCHBOARD_DATABASE)")
	pf.StringVar(&a.cfg.LogLevel, "log-level", a.cfg.LogLevel, "debug, info, warn or error (SWITCHBOARD_LOG_LEVEL)")
	root.AddCommand(a.serveCommand(), a.migrateCommand(), a.tenantCommand(), a.apiUserCommand(), a.configCommand(), a.devCommand(), a.connectionCommand(), a.atCommand(),
		a.resourceCommand(), a.securityLevelCommand(), a.vendorCommand(), a.lobCommand())
	root.AddCommand(a.versionCommand(), a.usageCommand(), a.syncCommand(), a.mailboxCommand())
	return root
}

// applyEnv gives every flag not set on the command line its SWITCHBOARD_* value.
func applyEnv(fs *pflag.FlagSet) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed {
			return
		}
		if v, ok := config.Env(f.Name); ok {
			if serr := fs.Set(f.Name, v); serr != nil {
				err = fmt.Errorf("SWITCHBOARD_%s: %w", strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_")), serr)
			}
		}
	})
	return err
}

func (a *app) logger() *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(a.cfg.LogLevel))
	return slog.New(slog.NewJSONHandler(a.errOut, &slog.HandlerOptions{Level: level}))
}

// open opens and migrates the configured database, which must exist, and returns the PSA
// service over it: an administrative command pointed at the wrong directory must not leave an
// empty database there and answer as if it had no tenants.
func (a *app) open(ctx context.Context) (*admin.Service, func(), error) {
	if err := a.requireDatabase(); err != nil {
		return nil, nil, err
	}
	return a.openOrCreate(ctx)
}

// requireDatabase refuses a SQLite database that does not exist, naming where it was looked
// for and how to make one. Only serve, migrate, tenant create create the database (and dev
// seed, which makes a tenant, and connection add, for the CLI used as a client only).
func (a *app) requireDatabase() error {
	path := a.cfg.DatabaseURL()
	if store.IsPostgres(path) {
		return nil
	}
	if _, err := os.Stat(path); err == nil || !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if a.cfg.Database != "" {
		return fmt.Errorf("there is no SQLite database at %s; create it with `switchboard migrate --database %s` (or `switchboard serve`), or give --database the path of an existing one", abs(path), path)
	}
	dir := a.cfg.DataDir
	what := "does not exist"
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		what = "has no Switchboard database (switchboard.db)"
	}
	return fmt.Errorf("the data directory %s %s; create it with `switchboard migrate --data-dir %s` (or start `switchboard serve --data-dir %s`), or point --data-dir (SWITCHBOARD_DATA_DIR) at an existing one",
		abs(dir), what, dir, dir)
}

func abs(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// openOrCreate is open for the commands that may create the database: serve, migrate, tenant
// create, dev seed.
func (a *app) openOrCreate(ctx context.Context) (*admin.Service, func(), error) {
	db, err := store.Open(ctx, a.cfg.DatabaseURL(), catalog.Default)
	if err != nil {
		return nil, nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, nil, err
	}
	svc := admin.New(db)
	if err := svc.EnsureAccessDefaults(ctx); err != nil {
		db.Close()
		return nil, nil, err
	}
	return svc, func() { db.Close() }, nil
}

// openSealed is open with the connection service over the same database, holding the key
// that seals the connections' secrets and the IMAP passwords (for mailbox and sync).
func (a *app) openSealed(ctx context.Context) (*admin.Service, *connection.Service, func(), error) {
	svc, closeDB, err := a.open(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	sealer, err := connection.LoadKey(a.cfg.DataDir, os.Getenv(connection.KeyEnv))
	if err != nil {
		closeDB()
		return nil, nil, nil, err
	}
	return svc, &connection.Service{DB: svc.DB, Sealer: sealer}, closeDB, nil
}

func (a *app) migrateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Create or upgrade the database schema",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, closeDB, err := a.openOrCreate(cmd.Context())
			if err != nil {
				return err
			}
			defer closeDB()
			fmt.Fprintln(a.out, "The database schema is up to date.")
			return nil
		},
	}
}

func (a *app) configCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Print the configuration in force (secrets masked)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m := a.cfg.Masked()
			for _, k := range []string{"addr", "data-dir", "database", "public-url", "demo", "log-level"} {
				fmt.Fprintf(a.out, "%-11s %s\n", k+":", m[k])
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&a.cfg.Addr, "addr", a.cfg.Addr, "address serve listens on (SWITCHBOARD_ADDR)")
	cmd.Flags().StringVar(&a.cfg.PublicURL, "public-url", "", "public base URL (SWITCHBOARD_PUBLIC_URL)")
	cmd.Flags().BoolVar(&a.cfg.Demo, "demo", a.cfg.Demo, "create the demo tenant on first start (SWITCHBOARD_DEMO)")
	return cmd
}
