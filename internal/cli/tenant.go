package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/store"
)

func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (a *app) tenantCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "tenant", Short: "Create and list tenants (Autotask databases)"}
	var asJSON bool
	var tz string
	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a tenant with its home company, default picklists and administrator",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, closeDB, err := a.openOrCreate(cmd.Context())
			if err != nil {
				return err
			}
			defer closeDB()
			t, err := svc.CreateTenant(cmd.Context(), args[0], tz)
			if err != nil {
				return err
			}
			if asJSON {
				// Scripts get credentials for the new tenant at once.
				creds, err := svc.CreateAPIUser(store.WithTenant(cmd.Context(), t.ID), admin.NewAPIUser{})
				if err != nil {
					return err
				}
				return a.printJSON(map[string]any{"tenant": t.Name, "tenantId": t.ID, "username": creds.Username, "secret": creds.Secret, "integrationCode": creds.IntegrationCode})
			}
			fmt.Fprintf(a.out, "Created tenant %q (id %d). Add an API user with: switchboard apiuser create --tenant %q\n", t.Name, t.ID, t.Name)
			return nil
		},
	}
	create.Flags().BoolVar(&asJSON, "json", false, "print JSON, with the credentials of a new API user")
	create.Flags().StringVar(&tz, "time-zone", "UTC", "the tenant's time zone (IANA name), used for ticket numbers")
	var listJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List tenants",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, closeDB, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer closeDB()
			ts, err := svc.DB.Tenants(cmd.Context())
			if err != nil {
				return err
			}
			out := make([]map[string]any, 0, len(ts))
			rows := make([][]string, 0, len(ts))
			for _, t := range ts {
				out = append(out, map[string]any{"id": t.ID, "name": t.Name, "timeZone": t.TimeZone})
				rows = append(rows, []string{fmt.Sprint(t.ID), t.Name, t.TimeZone})
			}
			return a.printTable(listJSON, out, "ID\tNAME\tTIME ZONE", rows)
		},
	}
	list.Flags().BoolVar(&listJSON, "json", false, "print JSON")
	cmd.AddCommand(create, list, a.settingsCommand())
	return cmd
}
