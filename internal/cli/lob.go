package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (a *app) lobCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "lob", Short: "Lines of business (organizational structure): divisions, lines, associations, resources"}
	cmd.AddCommand(a.lobSwitch("enable", true), a.lobSwitch("disable", false), a.lobList(), a.lobUnit("division", 1), a.lobUnit("line", 2),
		a.lobAssociate(), a.lobAssign())
	return cmd
}

func (a *app) lobSwitch(use string, on bool) *cobra.Command {
	return a.tenantCmd(&cobra.Command{
		Use:   use,
		Short: map[bool]string{true: "Turn the organizational structure on", false: "Turn it off (every resource must first be removed from every line of business)"}[on],
		Args:  cobra.NoArgs,
	}, "", func(ts *tenantSession, args []string) error {
		if _, err := ts.svc.SetOrgStructure(ts.ctx, on); err != nil {
			return err
		}
		fmt.Fprintf(a.out, "The organizational structure of %q is %s.\n", ts.tenant.Name, map[bool]string{true: "on", false: "off"}[on])
		return nil
	})
}

func (a *app) lobList() *cobra.Command {
	return a.tenantCmd(&cobra.Command{
		Use:   "list",
		Short: "List divisions, lines of business and their associations with the resources given each",
		Args:  cobra.NoArgs,
	}, "print JSON", func(ts *tenantSession, args []string) error {
		st, err := ts.svc.OrgStructure(ts.ctx)
		if err != nil {
			return err
		}
		return ts.print(st, func() error {
			fmt.Fprintf(a.out, "Organizational structure: %s\n", map[bool]string{true: "on", false: "off"}[st.Enabled])
			var rows [][]string
			for _, as := range st.Associations {
				rows = append(rows, []string{fmt.Sprint(as.ID), as.Division.Name, as.Line.Name, yesNoText(as.Active), ids(as.Resources)})
			}
			return a.table("ID\t"+st.Level1Label+"\t"+st.Level2Label+"\tACTIVE\tRESOURCES", rows)
		})
	})
}

// lobUnit is "lob division add NAME" and "lob line add NAME".
func (a *app) lobUnit(use string, level int) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: map[int]string{1: "Divisions (organizational level 1)", 2: "Lines of business (organizational level 2)"}[level]}
	cmd.AddCommand(a.lobAdd(use, level))
	return cmd
}

func (a *app) lobAdd(use string, level int) *cobra.Command {
	return a.tenantCmd(&cobra.Command{
		Use:   "add NAME",
		Short: map[int]string{1: "Add a division (organizational level 1)", 2: "Add a line of business (organizational level 2)"}[level],
		Args:  cobra.ExactArgs(1),
	}, "print JSON", func(ts *tenantSession, args []string) error {
		u, err := ts.svc.AddOrgUnit(ts.ctx, level, args[0])
		if err != nil {
			return err
		}
		return ts.print(u, func() error {
			fmt.Fprintf(a.out, "Added %s %q (id %d).\n", use, u.Name, u.ID)
			return nil
		})
	})
}

func (a *app) lobAssociate() *cobra.Command {
	var division, line string
	cmd := a.tenantCmd(&cobra.Command{
		Use:   "associate --division D --line L",
		Short: "Pair a division with a line of business: the association rows and resources are given",
		Args:  cobra.NoArgs,
	}, "print JSON", func(ts *tenantSession, args []string) error {
		as, err := ts.svc.Associate(ts.ctx, division, line)
		if err != nil {
			return err
		}
		return ts.print(as, func() error {
			fmt.Fprintf(a.out, "Association %d: %s / %s.\n", as.ID, as.Division.Name, as.Line.Name)
			return nil
		})
	})
	cmd.Flags().StringVar(&division, "division", "", "division, by name or id")
	cmd.Flags().StringVar(&line, "line", "", "line of business, by name or id")
	return cmd
}

func (a *app) lobAssign() *cobra.Command {
	var refs []string
	cmd := a.tenantCmd(&cobra.Command{
		Use:   "assign RESOURCE --association DIVISION/LINE ...",
		Short: "Give a resource (by id or username) exactly these lines of business; none lifts the restriction",
		Args:  cobra.ExactArgs(1),
	}, "print JSON", func(ts *tenantSession, args []string) error {
		list := []int64{}
		for _, ref := range refs {
			id, err := ts.svc.AssociationID(ts.ctx, ref)
			if err != nil {
				return err
			}
			list = append(list, id)
		}
		r, err := ts.svc.SetResourceLOBs(ts.ctx, args[0], list)
		if err != nil {
			return err
		}
		return ts.print(r, func() error {
			fmt.Fprintf(a.out, "Resource %d (%s) has lines of business [%s].\n", r.ID, r.Username, ids(r.LOBs))
			return nil
		})
	})
	cmd.Flags().StringArrayVar(&refs, "association", nil, "DIVISION/LINE or association id (repeatable)")
	return cmd
}
