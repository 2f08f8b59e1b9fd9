package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/switchboard-psa/switchboard/internal/access"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
)

func (a *app) securityLevelCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "securitylevel", Short: "Security levels: list the system levels and the tenant's copies, copy, change"}
	cmd.AddCommand(a.levelList(), a.levelShow(), a.levelCopy(), a.levelSet(), a.levelActive("activate", true), a.levelActive("deactivate", false))
	return cmd
}

// levelSummary is a level in lists.
func levelSummary(l *access.Level) map[string]any {
	return map[string]any{"id": l.ID, "name": l.Name, "system": l.System, "apiOnly": l.APIOnly, "active": l.Active, "licenseType": l.License.String(),
		"copyable": l.Copyable() == nil, "flags": l.Flags}
}

func (a *app) levelList() *cobra.Command {
	return a.tenantCmd(&cobra.Command{
		Use:   "list",
		Short: "List security levels: system levels (read-only) and the tenant's copies",
		Args:  cobra.NoArgs,
	}, "print JSON", func(ts *tenantSession, args []string) error {
		levels, err := ts.svc.SecurityLevels(ts.ctx)
		if err != nil {
			return err
		}
		out := make([]map[string]any, 0, len(levels))
		var rows [][]string
		for _, l := range levels {
			out = append(out, levelSummary(l))
			rows = append(rows, []string{fmt.Sprint(l.ID), l.Name, yesNoText(l.System), yesNoText(l.APIOnly), yesNoText(l.Active), l.License.String()})
		}
		return ts.printTable(out, "ID\tNAME\tSYSTEM\tAPI-ONLY\tACTIVE\tLICENSE", rows)
	})
}

func (a *app) printLevel(ts *tenantSession, l *access.Level) error {
	g := l.Grid(ts.svc.Catalog)
	return ts.print(g, func() error { return a.printGrid(g) })
}

func (a *app) printGrid(g access.Grid) error {
	fmt.Fprintf(a.out, "%s (id %d): system %s, API-only %s, active %s, license %s\n", g.Name, g.ID, yesNoText(g.System), yesNoText(g.APIOnly), yesNoText(g.Active), g.License)
	f := g.Flags
	fmt.Fprintf(a.out, "Can view internal cost data: %s; webhooks: %s (max %d); impersonates resources: %s; may be impersonated: %s; not required to change password: %s\n",
		yesNoText(f.CanViewInternalCost), yesNoText(f.CanCreateWebhooks), f.MaxWebhooks, yesNoText(f.CanImpersonate), yesNoText(f.AllowImpersonation), yesNoText(f.NotRequiredToChangePassword))
	var rows [][]string
	for _, sec := range access.SectionNames {
		objects := make([]string, 0, len(g.Sections[sec]))
		for o := range g.Sections[sec] {
			objects = append(objects, o)
		}
		sort.Strings(objects)
		for _, o := range objects {
			p := g.Sections[sec][o]
			rows = append(rows, []string{sec, o, p.View.String(), yesNoText(p.Add), p.Edit.String(), p.Delete.String()})
		}
	}
	return a.table("SECTION\tOBJECT\tVIEW\tADD\tEDIT\tDELETE", rows)
}

func (a *app) levelShow() *cobra.Command {
	return a.tenantCmd(&cobra.Command{
		Use:   "show NAME",
		Short: "Show a level's permissions, section by section",
		Args:  cobra.ExactArgs(1),
	}, "print JSON", func(ts *tenantSession, args []string) error {
		l, err := ts.svc.SecurityLevel(ts.ctx, args[0])
		if err != nil {
			return err
		}
		return a.printLevel(ts, l)
	})
}

func (a *app) levelCopy() *cobra.Command {
	var name string
	var noPermission bool
	cmd := a.tenantCmd(&cobra.Command{
		Use:   "copy SOURCE --name NEW",
		Short: `"Copy Security Level": a custom level with the source's permissions and license type (or No Permission everywhere)`,
		Args:  cobra.ExactArgs(1),
	}, "print JSON", func(ts *tenantSession, args []string) error {
		l, err := ts.svc.CopySecurityLevel(ts.ctx, args[0], name, noPermission)
		if err != nil {
			return err
		}
		return ts.print(levelSummary(l), func() error {
			fmt.Fprintf(a.out, "Created security level %q (id %d) from %q.\n", l.Name, l.ID, args[0])
			return nil
		})
	})
	cmd.Flags().StringVar(&name, "name", "", "name of the new level (required)")
	cmd.Flags().BoolVar(&noPermission, "no-permission", false, `start from "No Permission" in every section`)
	return cmd
}

func (a *app) levelSet() *cobra.Command {
	var ch admin.LevelChange
	var maxWebhooks int
	flagNames := map[string]string{
		"can-view-costs":                  access.FlagInternalCost,
		"webhooks":                        access.FlagWebhooks,
		"impersonate":                     access.FlagImpersonate,
		"allow-impersonation":             access.FlagAllowImpersonation,
		"not-required-to-change-password": access.FlagNoPasswordChange,
	}
	flagValues := map[string]*string{}
	cmd := a.tenantCmd(&cobra.Command{
		Use:   "set NAME",
		Short: "Change a custom level: an object's View/Add/Edit/Delete, a section's Full or No Permission, the yes/no settings",
		Long: `Change a custom security level (system levels are read-only: copy them first).

  --object COLLECTION [--view all|mine|mine-companies|my-companies|none] [--add yes|no]
                      [--edit all|mine|mine-companies|my-companies|none] [--delete ...]
      sets the row of the permission object that guards COLLECTION (e.g. Tickets, which also
      guards TicketNotes; see securitylevel show).
  --section NAME --full-permission | --no-permission
      a section's buttons: every object and setting of the section.
  --can-view-costs, --webhooks, --max-webhooks N, --impersonate (API-only levels),
  --allow-impersonation (other levels), --not-required-to-change-password: yes|no settings.`,
		Args: cobra.ExactArgs(1),
		PreRunE: func(cmd *cobra.Command, args []string) error {
			ch.Flags = map[string]bool{}
			for flag, name := range flagNames {
				if v := *flagValues[flag]; v != "" {
					b, err := parseYesNo(flag, v)
					if err != nil {
						return err
					}
					ch.Flags[name] = b
				}
			}
			ifChanged(cmd, "max-webhooks", &ch.MaxWebhooks, &maxWebhooks)
			if ch.Object == "" && (ch.View != "" || ch.Add != "" || ch.Edit != "" || ch.Delete != "") {
				return fmt.Errorf("--view, --add, --edit and --delete need --object COLLECTION")
			}
			return nil
		},
	}, "print the level as JSON", func(ts *tenantSession, args []string) error {
		l, err := ts.svc.ChangeSecurityLevel(ts.ctx, args[0], ch)
		if err != nil {
			return err
		}
		return ts.print(l.Grid(ts.svc.Catalog), func() error {
			fmt.Fprintf(a.out, "Changed security level %q.\n", l.Name)
			return nil
		})
	})
	f := cmd.Flags()
	f.StringVar(&ch.Object, "object", "", "a collection (or permission object) whose row to set")
	f.StringVar(&ch.View, "view", "", "all, mine, mine-companies, my-companies or none")
	f.StringVar(&ch.Add, "add", "", "yes or no")
	f.StringVar(&ch.Edit, "edit", "", "all, mine, mine-companies, my-companies or none")
	f.StringVar(&ch.Delete, "delete", "", "all, mine, mine-companies, my-companies or none")
	f.StringVar(&ch.Section, "section", "", "a section: "+strings.Join(access.SectionNames, ", "))
	f.BoolVar(&ch.Full, "full-permission", false, "with --section: Full Permission")
	f.BoolVar(&ch.NoPerm, "no-permission", false, "with --section: No Permission")
	for flag := range flagNames {
		v := new(string)
		flagValues[flag] = v
		f.StringVar(v, flag, "", "yes or no")
	}
	f.IntVar(&maxWebhooks, "max-webhooks", 0, "the most webhooks a user of the level may have (0 turns webhooks off)")
	f.StringVar(&ch.Rename, "rename", "", "a new name")
	return cmd
}

func (a *app) levelActive(use string, active bool) *cobra.Command {
	return a.tenantCmd(&cobra.Command{
		Use:   use + " NAME",
		Short: strings.ToUpper(use[:1]) + use[1:] + " a custom level (users keep an inactive level; it is no longer offered)",
		Args:  cobra.ExactArgs(1),
	}, "", func(ts *tenantSession, args []string) error {
		l, err := ts.svc.SetSecurityLevelActive(ts.ctx, args[0], active)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.out, "Security level %q is now %s.\n", l.Name, map[bool]string{true: "active", false: "inactive"}[l.Active])
		return nil
	})
}
