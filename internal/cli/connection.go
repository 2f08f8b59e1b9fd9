package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/connection"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// openConnections opens the database (migrated) and the key of the data directory. Only
// `connection add` (create) makes them when they do not exist yet: the CLI used as an Autotask
// client keeps its connections there with no server.
func (a *app) openConnections(ctx context.Context, create bool) (*connection.Service, func(), error) {
	if !create {
		if err := a.requireDatabase(); err != nil {
			return nil, nil, err
		}
	}
	db, err := store.Open(ctx, a.cfg.DatabaseURL(), catalog.Default)
	if err != nil {
		return nil, nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, nil, err
	}
	sealer, err := connection.LoadKey(a.cfg.DataDir, os.Getenv(connection.KeyEnv))
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return &connection.Service{DB: db, Sealer: sealer}, func() { db.Close() }, nil
}

// withConnections opens the connections for one command, runs fn with them, and closes the
// database.
func (a *app) withConnections(ctx context.Context, create bool, fn func(svc *connection.Service) error) error {
	svc, closeDB, err := a.openConnections(ctx, create)
	if err != nil {
		return err
	}
	defer closeDB()
	return fn(svc)
}

func (a *app) connectionCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "connection",
		Short: "Manage connections to Autotask tenants (or other Switchboards)",
		Long: `A connection holds what it takes to call an Autotask-compatible REST API: the API user's
username, its secret (stored encrypted with the key in SWITCHBOARD_SECRET_KEY or in the data
directory's secret.key), the integration code, and optionally a base URL (skipping zone
discovery) or a discovery URL. A connection made here is deployment-wide unless --tenant names
its owner; a tenant's administrators see and manage only their tenant's own connections in the
console (Admin › Integrations), and a tenant's sync jobs may use its own connections and the
deployment-wide ones. Names are unique across the deployment.
Use one with: switchboard at --connection NAME ...`,
	}
	var in connection.Input
	var replace, test, addJSON bool
	var addTenant string
	add := &cobra.Command{
		Use:   "add NAME",
		Short: "Store a connection (the secret from --secret, AUTOTASK_SECRET, or standard input with --secret -)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in.Name = args[0]
			fillFromEnv(&in.Username, "AUTOTASK_USERNAME")
			fillFromEnv(&in.IntegrationCode, "AUTOTASK_INTEGRATION_CODE")
			fillFromEnv(&in.Secret, "AUTOTASK_SECRET")
			if in.Secret == "-" {
				s, err := readSecret(cmd.InOrStdin())
				if err != nil {
					return err
				}
				in.Secret = s
			}
			return a.withConnections(cmd.Context(), true, func(svc *connection.Service) error {
				if addTenant != "" {
					tn, err := svc.DB.TenantByName(cmd.Context(), addTenant)
					if err != nil {
						return fmt.Errorf("--tenant: there is no tenant named %q", addTenant)
					}
					in.TenantID = tn.ID
				}
				c, err := svc.Add(cmd.Context(), in, replace)
				if err != nil {
					return err
				}
				var result *connection.TestResult
				if test {
					r, err := svc.Test(cmd.Context(), c.Name)
					if err != nil {
						return err
					}
					result = &r
				}
				if addJSON && result != nil {
					c.LastTest = result
				}
				err = a.print(addJSON, c, func() error {
					owner := "deployment-wide"
					if addTenant != "" {
						owner = fmt.Sprintf("owned by tenant %q", addTenant)
					}
					fmt.Fprintf(a.out, "Connection %q saved, %s (secret encrypted with the key from %s).\n", c.Name, owner, svc.Sealer.Source())
					if result != nil && result.OK {
						fmt.Fprintln(a.out, result.String())
					}
					return nil
				})
				if err != nil {
					return err
				}
				if result != nil && !result.OK {
					return errors.New(result.String()) // on standard error, with a non-zero exit
				}
				return nil
			})
		},
	}
	f := add.Flags()
	f.StringVar(&in.Username, "username", "", "API user's username (AUTOTASK_USERNAME)")
	f.StringVar(&in.Secret, "secret", "", `API user's secret (AUTOTASK_SECRET); "-" reads it from standard input`)
	f.StringVar(&in.IntegrationCode, "integration-code", "", "API tracking identifier (AUTOTASK_INTEGRATION_CODE)")
	f.StringVar(&in.BaseURL, "base-url", "", "zone base URL, e.g. https://webservices5.autotask.net/ATServicesRest/ (skips zone discovery)")
	f.StringVar(&in.DiscoveryURL, "discovery-url", "", "where zone discovery asks (default Autotask's own)")
	f.StringVar(&addTenant, "tenant", "", "the local tenant owning the connection (default: none, deployment-wide)")
	f.BoolVar(&replace, "replace", false, "replace a connection of the same name and owner (e.g. after the secret changed)")
	f.BoolVar(&test, "test", false, "test the connection after saving it")
	f.BoolVar(&addJSON, "json", false, "print JSON")

	var listJSON bool
	var listTenant string
	list := &cobra.Command{
		Use:   "list",
		Short: "List connections, their owners and the outcome of their latest test (never the secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withConnections(cmd.Context(), false, func(svc *connection.Service) error {
				owner := store.AnyOwner
				if listTenant != "" {
					tn, err := svc.DB.TenantByName(cmd.Context(), listTenant)
					if err != nil {
						return fmt.Errorf("--tenant: there is no tenant named %q", listTenant)
					}
					owner = tn.ID
				}
				cs, err := svc.ListOwned(cmd.Context(), owner)
				if err != nil {
					return err
				}
				names := map[int64]string{}
				for _, c := range cs {
					if c.TenantID == 0 {
						continue
					}
					if _, ok := names[c.TenantID]; !ok {
						names[c.TenantID] = fmt.Sprintf("tenant #%d", c.TenantID)
						if tn, err := svc.DB.TenantByID(cmd.Context(), c.TenantID); err == nil {
							names[c.TenantID] = tn.Name
						}
					}
					c.Tenant = names[c.TenantID]
				}
				if cs == nil {
					cs = []*connection.Connection{}
				}
				rows := make([][]string, len(cs))
				for i, c := range cs {
					rows[i] = connectionRow(c)
				}
				return a.printTable(listJSON, cs, "NAME\tOWNER\tUSERNAME\tZONE\tLAST TEST", rows)
			})
		},
	}
	list.Flags().StringVar(&listTenant, "tenant", "", "only the connections this local tenant owns")
	list.Flags().BoolVar(&listJSON, "json", false, "print JSON")

	var testJSON bool
	testCmd := &cobra.Command{
		Use:   "test NAME",
		Short: `Test a connection: "Connection was established" or "Failed to establish connection" with the reason`,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withConnections(cmd.Context(), false, func(svc *connection.Service) error {
				r, err := svc.Test(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				err = a.print(testJSON, r, func() error {
					if r.OK {
						fmt.Fprintln(a.out, r.String())
					}
					return nil
				})
				if err != nil {
					return err
				}
				if !r.OK {
					return errors.New(r.String()) // on standard error, with a non-zero exit
				}
				return nil
			})
		},
	}
	testCmd.Flags().BoolVar(&testJSON, "json", false, "print JSON")

	var removeJSON bool
	remove := &cobra.Command{
		Use:   "remove NAME",
		Short: "Delete a connection",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withConnections(cmd.Context(), false, func(svc *connection.Service) error {
				c, err := svc.Get(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				if err := svc.Remove(cmd.Context(), c.Name); err != nil {
					return err
				}
				return a.print(removeJSON, map[string]any{"removed": c.Name}, func() error {
					fmt.Fprintf(a.out, "Connection %q removed.\n", c.Name)
					return nil
				})
			})
		},
	}
	remove.Flags().BoolVar(&removeJSON, "json", false, "print JSON")
	cmd.AddCommand(add, list, testCmd, remove)
	return cmd
}

func fillFromEnv(v *string, name string) {
	if *v == "" {
		*v = os.Getenv(name)
	}
}

// readSecret reads the first line of r.
func readSecret(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("read the secret from standard input: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("--secret -: standard input held no secret")
	}
	return line, nil
}

// connectionRow is a connection's line in connection list: name, owner, username, zone and
// the outcome of its latest test.
func connectionRow(c *connection.Connection) []string {
	zone := "discovered"
	switch {
	case c.BaseURL != "":
		zone = c.BaseURL
	case c.DiscoveryURL != "":
		zone = "discovered at " + c.DiscoveryURL
	}
	last := "never tested"
	if t := c.LastTest; t != nil {
		last = t.Message
		if !t.OK {
			last += ": " + t.Reason
		}
		last += " (" + t.TestedAt.Local().Format("2006-01-02 15:04") + ")"
	}
	owner := c.Tenant
	if c.TenantID == 0 {
		owner = "(deployment)"
	}
	return []string{c.Name, owner, c.Username, zone, last}
}
