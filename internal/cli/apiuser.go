package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
)

func (a *app) apiUserCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "apiuser", Short: "Manage API-only users: New API User, secrets, lockout, tracking identifiers"}
	cmd.AddCommand(a.apiUserCreate(), a.apiUserList(), a.apiUserShow(), a.apiUserUnlock(), a.apiUserRegenerate(),
		a.apiUserDeactivate(), a.apiUserFailures(), a.apiUserTracking())
	return cmd
}

func (a *app) printCredentials(ts *tenantSession, c *admin.APIUserCredentials, what string) error {
	t := ts.tenant
	out := map[string]any{"tenant": t.Name, "resourceId": c.ResourceID, "username": c.Username, "secret": c.Secret,
		"integrationCode": c.IntegrationCode, "securityLevel": c.SecurityLevel, "trackingIdentifier": "custom"}
	if c.Vendor != "" {
		out["trackingIdentifier"], out["vendor"] = "vendor", c.Vendor
	}
	return ts.print(out, func() error {
		tracking := "Custom (Internal Integration)"
		if c.Vendor != "" {
			tracking = "Integration Vendor: " + c.Vendor
		}
		fmt.Fprintf(a.out, "%s in %q (resource %d, %s). The secret is shown only now:\n  UserName:           %s\n  Secret:             %s\n  ApiIntegrationCode: %s\n  Tracking:           %s\n",
			what, t.Name, c.ResourceID, c.SecurityLevel, c.Username, c.Secret, c.IntegrationCode, tracking)
		return nil
	})
}

func (a *app) apiUserCreate() *cobra.Command {
	var in admin.NewAPIUser
	var custom bool
	var lobs []string
	cmd := a.tenantCmd(&cobra.Command{
		Use:   "create",
		Short: `"New API User": generated 15-character key and 25-character secret (or typed ones); the secret is shown once`,
		Args:  cobra.NoArgs,
		PreRunE: func(cmd *cobra.Command, args []string) error {
			if custom && in.Vendor != "" {
				return fmt.Errorf("give --vendor NAME or --custom, not both")
			}
			return readValue(cmd, &in.Secret)
		},
	}, "print JSON", func(ts *tenantSession, args []string) error {
		for _, ref := range lobs {
			id, err := ts.svc.AssociationID(ts.ctx, ref)
			if err != nil {
				return err
			}
			in.LOBs = append(in.LOBs, id)
		}
		creds, err := ts.svc.CreateAPIUser(ts.ctx, in)
		if err != nil {
			return err
		}
		return a.printCredentials(ts, creds, "API user created")
	})
	f := cmd.Flags()
	f.StringVar(&in.SecurityLevel, "security-level", "", `an active API-only security level (default "API User (system) (API-only)")`)
	f.StringVar(&in.Vendor, "vendor", "", "API tracking identifier: an integration vendor from the tenant's list (switchboard vendor list)")
	f.BoolVar(&custom, "custom", false, "API tracking identifier: Custom (Internal Integration), a generated code (the default)")
	f.StringVar(&in.Username, "username", "", "username; default: Generate Key (15 characters)")
	f.StringVar(&in.Secret, "secret", "", "secret; default: Generate Secret (25 characters); - reads it from standard input")
	f.StringVar(&in.IntegrationCode, "integration-code", "", "with Custom: use this code instead of a generated one")
	f.StringVar(&in.FirstName, "first-name", "", "first name")
	f.StringVar(&in.LastName, "last-name", "", "last name")
	f.StringVar(&in.Email, "email", "", "email address (receives integration error notices)")
	f.Int64Var(&in.LocationID, "location", 0, "primary internal location id; default: the tenant's default location")
	f.StringArrayVar(&lobs, "lob", nil, "a line of business, as DIVISION/LINE or association id (repeatable)")
	return cmd
}

func (a *app) apiUserList() *cobra.Command {
	return a.tenantCmd(&cobra.Command{
		Use:   "list",
		Short: "List the tenant's API users (never their secrets)",
		Args:  cobra.NoArgs,
	}, "print JSON", func(ts *tenantSession, args []string) error {
		users, err := ts.svc.APIUsers(ts.ctx)
		if err != nil {
			return err
		}
		var rows [][]string
		for _, u := range users {
			tracking := "custom"
			if u.Vendor != "" {
				tracking = u.Vendor
			}
			rows = append(rows, []string{fmt.Sprint(u.ResourceID), u.Username, u.SecurityLevel, tracking, yesNoText(u.Active), yesNoText(u.Locked), fmt.Sprint(u.FailedLogins)})
		}
		if users == nil {
			users = []*admin.APIUser{}
		}
		return ts.printTable(users, "RESOURCE\tUSERNAME\tSECURITY LEVEL\tTRACKING\tACTIVE\tLOCKED\tFAILURES", rows)
	})
}

// apiUserAction is a command on one API user that prints it afterwards.
func (a *app) apiUserAction(use, short string, run func(ts *tenantSession, username string) (*admin.APIUser, error)) *cobra.Command {
	return a.tenantCmd(&cobra.Command{
		Use:   use + " USERNAME",
		Short: short,
		Args:  cobra.ExactArgs(1),
	}, "print JSON", func(ts *tenantSession, args []string) error {
		u, err := run(ts, args[0])
		if err != nil {
			return err
		}
		return ts.print(u, func() error {
			tracking := "Custom (Internal Integration)"
			if u.Vendor != "" {
				tracking = "Integration Vendor: " + u.Vendor
			}
			fmt.Fprintf(a.out, "%s (resource %d): %s, %s; active %s, locked %s; %d failed authentications recorded (apiuser failures lists them), %d of them since the last good one (the lockout after %d counts these); tracking identifier %s (%s)\n",
				u.Username, u.ResourceID, u.FirstName+" "+u.LastName, u.SecurityLevel, yesNoText(u.Active), yesNoText(u.Locked), u.RecordedFailures, u.FailedLogins,
				ts.tenant.LockoutThreshold, tracking, u.IntegrationCode)
			return nil
		})
	})
}

func (a *app) apiUserShow() *cobra.Command {
	return a.apiUserAction("show", "Show an API user", func(ts *tenantSession, u string) (*admin.APIUser, error) {
		return ts.svc.DescribeAPIUser(ts.ctx, u)
	})
}

func (a *app) apiUserUnlock() *cobra.Command {
	return a.apiUserAction("unlock", "Unlock an API user locked by failed authentications", func(ts *tenantSession, u string) (*admin.APIUser, error) {
		return ts.svc.UnlockAPIUser(ts.ctx, u)
	})
}

func (a *app) apiUserDeactivate() *cobra.Command {
	return a.apiUserAction("deactivate", "Deactivate an API user: its calls are refused; its username stays taken", func(ts *tenantSession, u string) (*admin.APIUser, error) {
		if _, err := ts.svc.DeactivateResource(ts.ctx, u); err != nil {
			return nil, err
		}
		return ts.svc.DescribeAPIUser(ts.ctx, u)
	})
}

func (a *app) apiUserTracking() *cobra.Command {
	var vendor string
	var custom bool
	cmd := a.apiUserAction("set-tracking", "Bind an API user to another tracking identifier (--vendor NAME or --custom)", func(ts *tenantSession, u string) (*admin.APIUser, error) {
		if custom == (vendor != "") {
			return nil, fmt.Errorf("give exactly one of --vendor NAME or --custom")
		}
		return ts.svc.SetAPIUserTracking(ts.ctx, u, vendor)
	})
	cmd.Flags().StringVar(&vendor, "vendor", "", "an integration vendor from the tenant's list")
	cmd.Flags().BoolVar(&custom, "custom", false, "a new Custom (Internal Integration) code")
	return cmd
}

func (a *app) apiUserRegenerate() *cobra.Command {
	var secret string
	cmd := a.tenantCmd(&cobra.Command{
		Use:   "regenerate-secret USERNAME",
		Short: "Give an API user a new secret (generated, or typed with --secret); the old one stops working at once",
		Args:  cobra.ExactArgs(1),
		PreRunE: func(cmd *cobra.Command, args []string) error {
			return readValue(cmd, &secret)
		},
	}, "print JSON", func(ts *tenantSession, args []string) error {
		creds, err := ts.svc.RegenerateSecret(ts.ctx, args[0], secret)
		if err != nil {
			return err
		}
		return a.printCredentials(ts, creds, "New secret for "+creds.Username)
	})
	cmd.Flags().StringVar(&secret, "secret", "", "the new secret; default: Generate Secret; - reads it from standard input")
	return cmd
}

func (a *app) apiUserFailures() *cobra.Command {
	var limit int
	cmd := a.tenantCmd(&cobra.Command{
		Use:   "failures USERNAME",
		Short: "List an API user's latest failed authentications with their source addresses",
		Args:  cobra.ExactArgs(1),
	}, "print JSON", func(ts *tenantSession, args []string) error {
		list, err := ts.svc.AuthFailures(ts.ctx, args[0], limit)
		if err != nil {
			return err
		}
		out := make([]map[string]any, 0, len(list))
		var rows [][]string
		for _, f := range list {
			out = append(out, map[string]any{"at": f.At.Format(time.RFC3339Nano), "remoteAddr": f.RemoteAddr, "reason": f.Reason})
			rows = append(rows, []string{f.At.Format(time.RFC3339), f.RemoteAddr, f.Reason})
		}
		return ts.printTable(out, "AT\tFROM\tREASON", rows)
	})
	cmd.Flags().IntVar(&limit, "limit", 50, "how many")
	return cmd
}
