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
	svc    *admin.Service
	ctx    context.Context
	tenant *store.Tenant
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
	ctx := psa.WithActor(store.WithTenant(cmd.Context(), t.ID), psa.Actor{ResourceID: 1})
	return &tenantSession{svc: svc, ctx: ctx, tenant: t, close: closeDB}, nil
}

// tenantFlag adds the --tenant flag every access command takes.
func tenantFlag(cmd *cobra.Command, v *string) {
	cmd.Flags().StringVar(v, "tenant", "", "tenant name (required)")
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
