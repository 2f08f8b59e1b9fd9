package cli

import (
	"fmt"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchboard-psa/switchboard/internal/store"
)

func (a *app) vendorCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "vendor", Short: "API tracking identifiers: the integration vendor list and Custom codes; usage per identifier"}
	cmd.AddCommand(a.vendorList(), a.vendorAdd(), a.vendorActive("disable", false), a.vendorActive("enable", true), a.vendorUsage())
	return cmd
}

func trackingJSON(t *store.TrackingIdentifier) map[string]any {
	return map[string]any{"name": t.Name, "kind": t.Kind, "code": t.Code, "active": t.Active}
}

func (a *app) vendorList() *cobra.Command {
	var custom bool
	cmd := a.tenantCmd(&cobra.Command{
		Use:   "list",
		Short: "List the tenant's integration vendors with their codes (--custom: the Custom codes too)",
		Args:  cobra.NoArgs,
	}, "print JSON", func(ts *tenantSession, args []string) error {
		list, err := ts.svc.TrackingIdentifiers(ts.ctx)
		if err != nil {
			return err
		}
		out := []map[string]any{}
		var rows [][]string
		for _, t := range list {
			if t.Kind == store.TrackingCustom && !custom {
				continue
			}
			out = append(out, trackingJSON(t))
			rows = append(rows, []string{t.Name, t.Kind, t.Code, yesNoText(t.Active)})
		}
		return ts.printTable(out, "NAME\tKIND\tCODE\tACTIVE", rows)
	})
	cmd.Flags().BoolVar(&custom, "custom", false, "list the Custom (Internal Integration) codes too")
	return cmd
}

func (a *app) vendorAdd() *cobra.Command {
	var code string
	cmd := a.tenantCmd(&cobra.Command{
		Use:   "add NAME",
		Short: "Add an integration vendor to the list, with its 27-character code (--code) or a generated one",
		Args:  cobra.ExactArgs(1),
	}, "print JSON", func(ts *tenantSession, args []string) error {
		t, err := ts.svc.AddVendor(ts.ctx, args[0], code)
		if err != nil {
			return err
		}
		return ts.print(trackingJSON(t), func() error {
			fmt.Fprintf(a.out, "Added vendor %q with tracking identifier %s.\n", t.Name, t.Code)
			return nil
		})
	})
	cmd.Flags().StringVar(&code, "code", "", "the vendor's tracking identifier (27 upper-case letters and digits)")
	return cmd
}

func (a *app) vendorActive(use string, active bool) *cobra.Command {
	return a.tenantCmd(&cobra.Command{
		Use:   use + " VENDOR|CODE|USERNAME",
		Short: fmt.Sprintf("%s a vendor (by name) or a Custom code (by code or its API user's username)", map[bool]string{true: "Enable", false: "Disable: calls with it are refused"}[active]),
		Args:  cobra.ExactArgs(1),
	}, "", func(ts *tenantSession, args []string) error {
		t, err := ts.svc.SetTrackingIdentifierActive(ts.ctx, args[0], active)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.out, "Tracking identifier %q (%s) is now %s.\n", t.Name, t.Code, map[bool]string{true: "enabled", false: "disabled"}[active])
		return nil
	})
}

func (a *app) vendorUsage() *cobra.Command {
	var hours int
	cmd := a.tenantCmd(&cobra.Command{
		Use:   "usage",
		Short: "API activity by hour: requests per tracking identifier (flushed by running servers every 30 seconds)",
		Args:  cobra.NoArgs,
	}, "print JSON", func(ts *tenantSession, args []string) error {
		since := time.Now().Unix()/3600 - int64(hours) + 1
		usage, err := ts.svc.Usage(ts.ctx, since)
		if err != nil {
			return err
		}
		list, err := ts.svc.TrackingIdentifiers(ts.ctx)
		if err != nil {
			return err
		}
		names := map[string]string{}
		for _, t := range list {
			names[t.Code] = t.Name
		}
		sort.Slice(usage, func(i, j int) bool {
			if usage[i].Hour != usage[j].Hour {
				return usage[i].Hour < usage[j].Hour
			}
			return usage[i].Code < usage[j].Code
		})
		out := []map[string]any{}
		var rows [][]string
		for _, u := range usage {
			hour := time.Unix(u.Hour*3600, 0).UTC().Format(time.RFC3339)
			out = append(out, map[string]any{"hour": hour, "code": u.Code, "name": names[u.Code], "requests": u.Requests})
			rows = append(rows, []string{hour, names[u.Code], u.Code, fmt.Sprint(u.Requests)})
		}
		return ts.printTable(out, "HOUR (UTC)\tIDENTIFIER\tCODE\tREQUESTS", rows)
	})
	cmd.Flags().IntVar(&hours, "hours", 24, "how many hours back")
	return cmd
}
