// Package cli holds the switchboard command line: serve, migrate, tenant, apiuser, resource,
// securitylevel, vendor, lob, config, connection, at, dev.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/config"
	"github.com/switchboard-psa/switchboard/internal/psa"
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
	return err.Error()
}

// app is the state the commands share.
type app struct {
	cfg       config.Config
	debugAddr string
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
	root.SetOut(out)
	root.SetErr(errOut)
	pf := root.PersistentFlags()
	pf.StringVar(&a.cfg.DataDir, "data-dir", a.cfg.DataDir, "directory for the embedded database and local files (SWITCHBOARD_DATA_DIR)")
	pf.StringVar(&a.cfg.Database, "database", a.cfg.Database, "SQLite file path or postgres:// URL; default SQLite in the data directory (SWITCHBOARD_DATABASE)")
	pf.StringVar(&a.cfg.LogLevel, "log-level", a.cfg.LogLevel, "debug, info, warn or error (SWITCHBOARD_LOG_LEVEL)")
	root.AddCommand(a.serveCommand(), a.migrateCommand(), a.tenantCommand(), a.apiUserCommand(), a.configCommand(), a.devCommand(), a.connectionCommand(), a.atCommand(),
		a.resourceCommand(), a.securityLevelCommand(), a.vendorCommand(), a.lobCommand())
	root.AddCommand(a.mailboxCommand())
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

// open opens and migrates the configured database and returns the PSA service over it.
func (a *app) open(ctx context.Context) (*psa.Service, func(), error) {
	db, err := store.Open(ctx, a.cfg.DatabaseURL(), catalog.Default)
	if err != nil {
		return nil, nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, nil, err
	}
	svc := psa.New(db)
	if err := svc.EnsureAccessDefaults(ctx); err != nil {
		db.Close()
		return nil, nil, err
	}
	return svc, func() { db.Close() }, nil
}

func (a *app) migrateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Create or upgrade the database schema",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, closeDB, err := a.open(cmd.Context())
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
