package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchboard-psa/switchboard/internal/devseed"
	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/store"
)

func (a *app) devCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "dev", Short: "Tools for developers: reference data, benchmarks"}
	var tenant string
	var scale float64
	var asJSON bool
	seed := &cobra.Command{
		Use:   "seed",
		Short: "Build the reference data set (scale 1: 1,000,000 tickets, 100,000 companies, ...) in a new tenant",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if scale <= 0 || scale > 10 {
				return fmt.Errorf("--scale must be above 0 and at most 10")
			}
			ctx := cmd.Context()
			svc, closeDB, err := a.openOrCreate(ctx)
			if err != nil {
				return err
			}
			defer closeDB()
			if _, err := svc.DB.TenantByName(ctx, tenant); err == nil {
				return fmt.Errorf("a tenant named %q exists already: the generator fills a new tenant", tenant)
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
			t, err := svc.CreateTenant(ctx, tenant, "UTC")
			if err != nil {
				return err
			}
			tctx := psa.WithActor(store.WithTenant(ctx, t.ID), psa.SystemActor)
			counts := devseed.ForScale(scale)
			start := time.Now()
			last := time.Now()
			err = devseed.Generate(tctx, svc, counts, func(entity string, done, total int) {
				if done == total || time.Since(last) > 5*time.Second {
					last = time.Now()
					fmt.Fprintf(a.errOut, "%-20s %9d / %d  (%s)\n", entity, done, total, time.Since(start).Round(time.Second))
				}
			})
			if err != nil {
				return err
			}
			creds, err := svc.CreateAPIUser(store.WithTenant(ctx, t.ID), admin.NewAPIUser{FirstName: "Bench", LastName: "User"})
			if err != nil {
				return err
			}
			took := time.Since(start).Round(time.Millisecond)
			if asJSON {
				return a.printJSON(map[string]any{"tenant": t.Name, "username": creds.Username, "secret": creds.Secret, "integrationCode": creds.IntegrationCode,
					"tickets": counts.Tickets, "companies": counts.Companies, "contacts": counts.Contacts, "configurationItems": counts.ConfigurationItems,
					"ticketNotes": counts.TicketNotes, "resources": counts.Resources, "seconds": took.Seconds()})
			}
			fmt.Fprintf(a.out, "Built tenant %q in %s: %d tickets, %d notes, %d companies, %d contacts, %d configuration items, %d resources.\nAPI user: %s / %s / %s\n",
				t.Name, took, counts.Tickets, counts.TicketNotes, counts.Companies, counts.Contacts, counts.ConfigurationItems, counts.Resources,
				creds.Username, creds.Secret, creds.IntegrationCode)
			return nil
		},
	}
	seed.Flags().StringVar(&tenant, "tenant", "Reference", "name of the new tenant")
	seed.Flags().Float64Var(&scale, "scale", 1, "size relative to the reference data set (0.01 is 10,000 tickets)")
	seed.Flags().BoolVar(&asJSON, "json", false, "print JSON with the API user's credentials")
	cmd.AddCommand(seed)
	return cmd
}
