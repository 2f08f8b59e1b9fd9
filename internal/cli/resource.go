package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
)

func (a *app) resourceCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "resource", Short: "Resources (users): create, edit, deactivate, list"}
	cmd.AddCommand(a.resourceCreate(), a.resourceEdit(), a.resourceDeactivate(), a.resourceUnlock(), a.resourceList(), a.resourceShow())
	return cmd
}

// resourceFlags are the flags create and edit share; names, ids and usernames are resolved
// through the services.
type resourceFlags struct {
	firstName, lastName, email, title, username, password, level, location string
	internalCost                                                           float64
	departments, queues, timesheetApprovers, expenseApprovers, lobs        []string
	active, vendor                                                         string
	custom                                                                 bool
}

func (rf *resourceFlags) add(cmd *cobra.Command, create bool) {
	f := cmd.Flags()
	f.StringVar(&rf.firstName, "first-name", "", "first name")
	f.StringVar(&rf.lastName, "last-name", "", "last name")
	f.StringVar(&rf.email, "email", "", "email address")
	f.StringVar(&rf.title, "title", "", "title")
	if create {
		f.StringVar(&rf.username, "username", "", "username (required; unique across every tenant)")
	}
	f.StringVar(&rf.password, "password", "", "console password, under the tenant's password policy; - reads it from standard input")
	f.StringVar(&rf.level, "security-level", "", "security level; an API-only one makes the resource an API-only user (then --vendor or --custom)")
	if create {
		f.StringVar(&rf.vendor, "vendor", "", "with an API-only level: the integration vendor of the API tracking identifier")
		f.BoolVar(&rf.custom, "custom", false, "with an API-only level: a Custom (Internal Integration) tracking identifier (the default)")
	}
	f.StringVar(&rf.location, "location", "", "primary internal location, by id or name (required on create)")
	f.Float64Var(&rf.internalCost, "internal-cost", 0, "internal cost (burden rate) an hour")
	f.StringArrayVar(&rf.departments, "department", nil, "DEPARTMENT:ROLE association by ids or names; the first is the default (repeatable)")
	f.StringArrayVar(&rf.queues, "queue", nil, "service desk queue membership, by id or name (repeatable)")
	f.StringArrayVar(&rf.timesheetApprovers, "timesheet-approver", nil, "timesheet approver, by resource id or username (repeatable)")
	f.StringArrayVar(&rf.expenseApprovers, "expense-approver", nil, "expense report approver, by resource id or username (repeatable)")
	f.StringArrayVar(&rf.lobs, "lob", nil, "line of business, as DIVISION/LINE or association id (repeatable)")
	if !create {
		f.StringVar(&rf.active, "active", "", "yes or no")
	}
}

// resolve turns the flags into ids.
func (rf *resourceFlags) resolve(ts *tenantSession) (deps []admin.DepartmentRole, queues, ts1, ex, lobs []int64, loc int64, err error) {
	svc, ctx := ts.svc, ts.ctx
	if rf.location != "" {
		if loc, err = svc.NamedID(ctx, "InternalLocations", rf.location); err != nil {
			return
		}
	}
	for i, d := range rf.departments {
		dep, role, ok := strings.Cut(d, ":")
		if !ok {
			err = fmt.Errorf("--department takes DEPARTMENT:ROLE, not %q", d)
			return
		}
		var dr admin.DepartmentRole
		if dr.DepartmentID, err = svc.NamedID(ctx, "Departments", dep); err != nil {
			return
		}
		if dr.RoleID, err = svc.NamedID(ctx, "Roles", role); err != nil {
			return
		}
		dr.Default = i == 0
		deps = append(deps, dr)
	}
	for _, q := range rf.queues {
		var id int64
		if id, err = svc.QueueID(ctx, q); err != nil {
			return
		}
		queues = append(queues, id)
	}
	for _, list := range []struct {
		in  []string
		out *[]int64
	}{{rf.timesheetApprovers, &ts1}, {rf.expenseApprovers, &ex}} {
		for _, ref := range list.in {
			var id int64
			if id, err = svc.ResourceID(ctx, ref); err != nil {
				return
			}
			*list.out = append(*list.out, id)
		}
	}
	for _, ref := range rf.lobs {
		var id int64
		if id, err = svc.AssociationID(ctx, ref); err != nil {
			return
		}
		lobs = append(lobs, id)
	}
	return
}

func (a *app) printResource(ts *tenantSession, r *admin.Resource, what string) error {
	return ts.print(r, func() error {
		fmt.Fprintf(a.out, "%s: resource %d %s %s (%s), %s, active %s, can sign in %s\n", what, r.ID, r.FirstName, r.LastName, r.Username, r.SecurityLevel,
			yesNoText(r.Active), yesNoText(r.ConsoleLogin))
		if r.APIOnly {
			fmt.Fprintf(a.out, "API-only user: ApiIntegrationCode %s (%s)\n", r.IntegrationCode, map[bool]string{true: "Integration Vendor " + r.Vendor, false: "Custom"}[r.Vendor != ""])
		}
		return nil
	})
}

func (a *app) resourceCreate() *cobra.Command {
	var rf resourceFlags
	cmd := a.tenantCmd(&cobra.Command{
		Use:   "create",
		Short: "Create a resource with a typed username and password, security level, location, departments, queues, approvers",
		Args:  cobra.NoArgs,
		PreRunE: func(cmd *cobra.Command, args []string) error {
			return readValue(cmd, &rf.password)
		},
	}, "print JSON", func(ts *tenantSession, args []string) error {
		deps, queues, tsa, exa, lobs, loc, err := rf.resolve(ts)
		if err != nil {
			return err
		}
		in := admin.NewResource{FirstName: rf.firstName, LastName: rf.lastName, Email: rf.email, Title: rf.title, Username: rf.username,
			Password: rf.password, SecurityLevel: rf.level, LocationID: loc, Departments: deps, Queues: queues,
			TimesheetApprovers: tsa, ExpenseApprovers: exa, LOBs: lobs, Vendor: rf.vendor}
		if rf.custom && rf.vendor != "" {
			return fmt.Errorf("give --vendor NAME or --custom, not both")
		}
		ifChanged(ts.cmd, "internal-cost", &in.InternalCost, &rf.internalCost)
		r, err := ts.svc.CreateResource(ts.ctx, in)
		if err != nil {
			return err
		}
		return a.printResource(ts, r, "Created")
	})
	rf.add(cmd, true)
	return cmd
}

func (a *app) resourceEdit() *cobra.Command {
	var rf resourceFlags
	cmd := a.tenantCmd(&cobra.Command{
		Use:   "edit RESOURCE",
		Short: "Change a resource (by id or username); only the flags given change",
		Args:  cobra.ExactArgs(1),
		PreRunE: func(cmd *cobra.Command, args []string) error {
			return readValue(cmd, &rf.password)
		},
	}, "print JSON", func(ts *tenantSession, args []string) error {
		deps, queues, tsa, exa, lobs, loc, err := rf.resolve(ts)
		if err != nil {
			return err
		}
		f := ts.cmd.Flags()
		ch := admin.ResourceChange{SecurityLevel: rf.level, Password: rf.password}
		for flag, dst := range map[string]**string{"first-name": &ch.FirstName, "last-name": &ch.LastName, "email": &ch.Email, "title": &ch.Title} {
			if f.Changed(flag) {
				v, _ := f.GetString(flag)
				*dst = &v
			}
		}
		ifChanged(ts.cmd, "location", &ch.LocationID, &loc)
		ifChanged(ts.cmd, "internal-cost", &ch.InternalCost, &rf.internalCost)
		ifChanged(ts.cmd, "department", &ch.Departments, &deps)
		ifChanged(ts.cmd, "queue", &ch.Queues, &queues)
		ifChanged(ts.cmd, "timesheet-approver", &ch.TimesheetApprovers, &tsa)
		ifChanged(ts.cmd, "expense-approver", &ch.ExpenseApprovers, &exa)
		ifChanged(ts.cmd, "lob", &ch.LOBs, &lobs)
		if rf.active != "" {
			b, err := parseYesNo("active", rf.active)
			if err != nil {
				return err
			}
			ch.Active = &b
		}
		r, err := ts.svc.EditResource(ts.ctx, args[0], ch)
		if err != nil {
			return err
		}
		return a.printResource(ts, r, "Changed")
	})
	rf.add(cmd, false)
	return cmd
}

// resourceAction is a command on one resource (by id or username) that prints it afterwards
// under what.
func (a *app) resourceAction(use, short, what string, run func(ts *tenantSession, ref string) (*admin.Resource, error)) *cobra.Command {
	return a.tenantCmd(&cobra.Command{
		Use:   use + " RESOURCE",
		Short: short,
		Args:  cobra.ExactArgs(1),
	}, "print JSON", func(ts *tenantSession, args []string) error {
		r, err := run(ts, args[0])
		if err != nil {
			return err
		}
		return a.printResource(ts, r, what)
	})
}

func (a *app) resourceDeactivate() *cobra.Command {
	return a.resourceAction("deactivate", "Deactivate a resource (by id or username): it can no longer sign in or call the API", "Deactivated",
		func(ts *tenantSession, ref string) (*admin.Resource, error) {
			return ts.svc.DeactivateResource(ts.ctx, ref)
		})
}

func (a *app) resourceUnlock() *cobra.Command {
	return a.resourceAction("unlock", "Unlock a resource's console sign-in after failed attempts (API users: apiuser unlock)", "Unlocked",
		func(ts *tenantSession, ref string) (*admin.Resource, error) {
			return ts.svc.UnlockResource(ts.ctx, ref)
		})
}

func (a *app) resourceShow() *cobra.Command {
	return a.resourceAction("show", "Show a resource (by id or username)", "Resource",
		func(ts *tenantSession, ref string) (*admin.Resource, error) { return ts.svc.Resource(ts.ctx, ref) })
}

func (a *app) resourceList() *cobra.Command {
	return a.tenantCmd(&cobra.Command{
		Use:   "list",
		Short: "List the tenant's resources",
		Args:  cobra.NoArgs,
	}, "print JSON", func(ts *tenantSession, args []string) error {
		list, err := ts.svc.Resources(ts.ctx)
		if err != nil {
			return err
		}
		var rows [][]string
		for _, r := range list {
			rows = append(rows, []string{fmt.Sprint(r.ID), r.Username, r.FirstName + " " + r.LastName, r.SecurityLevel, yesNoText(r.APIOnly), yesNoText(r.Active), ids(r.LOBs)})
		}
		if list == nil {
			list = []*admin.Resource{}
		}
		return ts.printTable(list, "ID\tUSERNAME\tNAME\tSECURITY LEVEL\tAPI-ONLY\tACTIVE\tLOBS", rows)
	})
}
