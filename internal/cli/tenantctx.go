package cli

import (
	"context"
	"fmt"

	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// tenantSession is an open database and a context acting on one tenant as its administrator,
// for the commands that take --tenant.
type tenantSession struct {
	a      *app
	svc    *admin.Service
	ctx    context.Context
	tenant *store.Tenant
	cmd    *cobra.Command
	json   bool // --json was given
	close  func()
}

// openTenant opens the database and finds the tenant named by --tenant.
func (a *app) openTenant(cmd *cobra.Command, name string) (*tenantSession, error) {
	if strings.TrimSpace(name) == "" {
		return nil, fmt.Errorf("--tenant is required")
	}
	svc, closeDB, err := a.open(cmd.Context())
	if err != nil {
		return nil, err
	}
	t, err := svc.DB.TenantByName(cmd.Context(), name)
	if err != nil {
		closeDB()
		return nil, fmt.Errorf("no tenant named %q", name)
	}
	// The CLI acts as the system (no security level bounds it), recorded as the administrator.
	ctx := psa.WithActor(store.WithTenant(cmd.Context(), t.ID), psa.SystemActor)
	return &tenantSession{a: a, svc: svc, ctx: ctx, tenant: t, cmd: cmd, close: closeDB}, nil
}

// tenantCmd makes cmd a command acting on one tenant as its administrator: it adds --tenant
// (required) and, when jsonHelp is not empty, --json with that help; its RunE opens the
// database and the tenant, runs run, and closes the database. Checks of the flags that need no
// database belong in cmd.PreRunE, which runs before the tenant is opened.
func (a *app) tenantCmd(cmd *cobra.Command, jsonHelp string, run func(ts *tenantSession, args []string) error) *cobra.Command {
	var tenant string
	var asJSON bool
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		ts, err := a.openTenant(cmd, tenant)
		if err != nil {
			return err
		}
		defer ts.close()
		ts.json = asJSON
		return run(ts, args)
	}
	tenantFlag(cmd, &tenant)
	if jsonHelp != "" {
		cmd.Flags().BoolVar(&asJSON, "json", false, jsonHelp)
	}
	return cmd
}

// tenantFlag adds the --tenant flag every access command takes.
func tenantFlag(cmd *cobra.Command, v *string) {
	cmd.Flags().StringVar(v, "tenant", "", "tenant name (required)")
}

// print writes v as indented JSON when asJSON, otherwise what text writes: the one way every
// command answers --json.
func (a *app) print(asJSON bool, v any, text func() error) error {
	if asJSON {
		return a.printJSON(v)
	}
	return text()
}

// printTable writes v as indented JSON when asJSON, otherwise rows under header.
func (a *app) printTable(asJSON bool, v any, header string, rows [][]string) error {
	return a.print(asJSON, v, func() error { return a.table(header, rows) })
}

// print is app.print under this command's --json.
func (ts *tenantSession) print(v any, text func() error) error { return ts.a.print(ts.json, v, text) }

// printTable is app.printTable under this command's --json.
func (ts *tenantSession) printTable(v any, header string, rows [][]string) error {
	return ts.a.printTable(ts.json, v, header, rows)
}

// table writes rows under a header, tab-aligned.
func (a *app) table(header string, rows [][]string) error {
	w := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, header)
	for _, r := range rows {
		fmt.Fprintln(w, strings.Join(r, "\t"))
	}
	return w.Flush()
}

// readValue reads a secret or password given as "-" from standard input.
func readValue(cmd *cobra.Command, v *string) error {
	if *v != "-" {
		return nil
	}
	s, err := readSecret(cmd.InOrStdin())
	*v = s
	return err
}

func yesNoText(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// parseYesNo reads a yes/no flag value.
func parseYesNo(flag, v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "yes", "y", "true", "on", "1":
		return true, nil
	case "no", "n", "false", "off", "0":
		return false, nil
	}
	return false, fmt.Errorf("--%s takes yes or no, not %q", flag, v)
}

func ids(list []int64) string {
	s := make([]string, len(list))
	for i, v := range list {
		s[i] = strconv.FormatInt(v, 10)
	}
	return strings.Join(s, ",")
}

// ifChanged points *dst at v when the flag name was given on cmd: how an edit tells a flag left
// out (no change) from one set, even to its zero value.
func ifChanged[T any](cmd *cobra.Command, name string, dst **T, v *T) {
	if cmd.Flags().Changed(name) {
		*dst = v
	}
}
