package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// settingsCommand is "tenant settings": the password policy, lockout threshold, username domain
// and the labels of the organizational levels.
func (a *app) settingsCommand() *cobra.Command {
	var strong, domain, label1, label2 string
	var threshold, apiThreshold int64
	cmd := a.tenantCmd(&cobra.Command{
		Use:   "settings --tenant TENANT",
		Short: "Show or change a tenant's access settings: password policy, lockout threshold, username domain",
		Long: `Show or change a tenant's access settings: password policy, lockout threshold, username domain.
The tenant is given with --tenant, like every other command; "tenant settings TENANT" works too.`,
		Args: cobra.MaximumNArgs(1),
		PreRunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if tenant, _ := cmd.Flags().GetString("tenant"); tenant != "" && tenant != args[0] {
					return fmt.Errorf("two tenants given: --tenant %q and %q", tenant, args[0])
				}
				return cmd.Flags().Set("tenant", args[0])
			}
			return nil
		},
	}, "print JSON", func(ts *tenantSession, args []string) error {
		var ch admin.SettingsChange
		if strong != "" {
			b, err := parseYesNo("strong-passwords", strong)
			if err != nil {
				return err
			}
			ch.StrongPasswords = &b
		}
		ifChanged(ts.cmd, "lockout-threshold", &ch.LockoutThreshold, &threshold)
		ifChanged(ts.cmd, "username-domain", &ch.UsernameDomain, &domain)
		ifChanged(ts.cmd, "level1-label", &ch.OrgLevel1Label, &label1)
		ifChanged(ts.cmd, "level2-label", &ch.OrgLevel2Label, &label2)
		ifChanged(ts.cmd, "api-threshold", &ch.APIThreshold, &apiThreshold)
		t := ts.tenant
		if ch != (admin.SettingsChange{}) {
			var err error
			if t, err = ts.svc.ChangeSettings(ts.ctx, ch); err != nil {
				return err
			}
		}
		return a.printSettings(ts, t)
	})
	f := cmd.Flags()
	f.StringVar(&strong, "strong-passwords", "", `yes or no: Site Setup's "Require strong passwords"`)
	f.Int64Var(&threshold, "lockout-threshold", 10, "failed authentications that lock an API user")
	f.StringVar(&domain, "username-domain", "", "when set, generated API usernames are email-shaped in this domain")
	f.StringVar(&label1, "level1-label", "", `label of organizational level 1 (default "Division")`)
	f.StringVar(&label2, "level2-label", "", `label of organizational level 2 (default "Line of Business")`)
	f.Int64Var(&apiThreshold, "api-threshold", 10000, "API requests per rolling hour before 429 (latency above 50% and 75%)")
	return cmd
}

func (a *app) printSettings(ts *tenantSession, t *store.Tenant) error {
	out := map[string]any{"tenant": t.Name, "strongPasswords": t.StrongPasswords, "lockoutThreshold": t.LockoutThreshold,
		"usernameDomain": t.UsernameDomain, "organizationalStructure": t.OrgStructure, "level1Label": t.OrgLevel1Label, "level2Label": t.OrgLevel2Label,
		"apiThreshold": t.RequestThreshold}
	return ts.print(out, func() error {
		fmt.Fprintf(a.out, "%s: strong passwords %s, lockout after %d failed authentications, username domain %q, organizational structure %s (%s / %s)\n",
			t.Name, yesNoText(t.StrongPasswords), t.LockoutThreshold, t.UsernameDomain, map[bool]string{true: "on", false: "off"}[t.OrgStructure], t.OrgLevel1Label, t.OrgLevel2Label)
		fmt.Fprintf(a.out, "API threshold: %d requests per rolling hour\n", t.RequestThreshold)
		return nil
	})
}
