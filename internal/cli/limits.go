package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/switchboard-psa/switchboard/internal/limits"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// limitSettings are serve's flags for the API limits (docs/api-limits.md).
type limitSettings struct {
	latency50, latency75 time.Duration
	threads              int
	mode                 string
	redisURL             string
	sync                 time.Duration
}

func (a *app) limitFlags(f *pflag.FlagSet) {
	l := &a.limits
	f.DurationVar(&l.latency50, "api-latency-50", limits.DefaultLatency50, "latency added to each API request above 50% of the tenant's hourly threshold (SWITCHBOARD_API_LATENCY_50)")
	f.DurationVar(&l.latency75, "api-latency-75", limits.DefaultLatency75, "latency added to each API request above 75% of the threshold (SWITCHBOARD_API_LATENCY_75)")
	f.IntVar(&l.threads, "api-thread-limit", limits.DefaultThreadLimit, "API requests in flight per tracking identifier and collection; 0: no limit (SWITCHBOARD_API_THREAD_LIMIT)")
	f.StringVar(&l.mode, "api-limits", "auto", "where the API limits are counted: auto (redis when --redis-url is set, else postgres on PostgreSQL, else local), local (this process), postgres, redis (SWITCHBOARD_API_LIMITS)")
	f.StringVar(&l.redisURL, "redis-url", "", "redis://host:port/db for the API limits shared by every node (SWITCHBOARD_REDIS_URL)")
	f.DurationVar(&l.sync, "api-limits-sync", 200*time.Millisecond, "with postgres or redis: how often a node exchanges its request counts with the others (SWITCHBOARD_API_LIMITS_SYNC)")
}

// limitsConfig builds the API limits' configuration of serve; close releases the shared store.
func (a *app) limitsConfig() (*limits.Config, func(), error) {
	l := a.limits
	if l.latency50 < 0 || l.latency75 < 0 || l.threads < 0 || l.sync < 0 {
		return nil, nil, fmt.Errorf("--api-latency-50, --api-latency-75, --api-thread-limit and --api-limits-sync cannot be negative")
	}
	cfg := &limits.Config{Latency50: l.latency50, Latency75: l.latency75, ThreadLimit: l.threads, SyncInterval: l.sync}
	mode := l.mode
	if mode == "auto" {
		switch {
		case l.redisURL != "":
			mode = "redis"
		case store.IsPostgres(a.cfg.DatabaseURL()):
			mode = "postgres"
		default:
			mode = "local"
		}
	}
	switch mode {
	case "local":
		return cfg, func() {}, nil
	case "postgres":
		if !store.IsPostgres(a.cfg.DatabaseURL()) {
			return nil, nil, fmt.Errorf("--api-limits postgres needs a PostgreSQL --database")
		}
		pg, err := limits.OpenPostgres(a.cfg.DatabaseURL())
		if err != nil {
			return nil, nil, err
		}
		cfg.Shared = pg
		return cfg, func() { pg.Close() }, nil
	case "redis":
		if l.redisURL == "" {
			return nil, nil, fmt.Errorf("--api-limits redis needs --redis-url")
		}
		rd, err := limits.OpenRedis(l.redisURL)
		if err != nil {
			return nil, nil, err
		}
		cfg.Shared = rd
		return cfg, func() { rd.Close() }, nil
	}
	return nil, nil, fmt.Errorf("--api-limits %q must be auto, local, postgres or redis", l.mode)
}

// usageCommand is "usage": API activity by hour per tracking identifier and API user, and the
// threshold notices of the tenant.
func (a *app) usageCommand() *cobra.Command {
	var hours int
	cmd := a.tenantCmd(&cobra.Command{
		Use:   "usage",
		Short: "API activity by hour per tracking identifier and API user (kept 30 days; running servers store it every 30 seconds)",
		Args:  cobra.NoArgs,
	}, "print JSON", func(ts *tenantSession, args []string) error {
		list, err := ts.svc.UsageByHour(ts.ctx, hours)
		if err != nil {
			return err
		}
		rows := make([][]string, 0, len(list))
		for _, u := range list {
			user := u.Username
			if u.ResourceID == 0 {
				user = "(not recorded)"
			}
			rows = append(rows, []string{u.Hour.Format(time.RFC3339), u.Identifier, u.Code, user, fmt.Sprint(u.Requests)})
		}
		return ts.printTable(list, "HOUR (UTC)\tIDENTIFIER\tCODE\tAPI USER\tREQUESTS", rows)
	})
	cmd.Flags().IntVar(&hours, "hours", 24, "how many hours back (at most 720 are kept)")
	cmd.AddCommand(a.usageNotices())
	return cmd
}

func (a *app) usageNotices() *cobra.Command {
	var hours int
	cmd := a.tenantCmd(&cobra.Command{
		Use:   "notices",
		Short: "Notices for the tenant's administrators: the API threshold's 50%, 75% and 100% crossed",
		Args:  cobra.NoArgs,
	}, "print JSON", func(ts *tenantSession, args []string) error {
		list, err := ts.svc.ThresholdNotices(ts.ctx, hours)
		if err != nil {
			return err
		}
		rows := make([][]string, 0, len(list))
		for _, n := range list {
			rows = append(rows, []string{n.At.Format(time.RFC3339), fmt.Sprintf("%d%%", n.Tier), fmt.Sprintf("%d/%d", n.Requests, n.Threshold), n.Message})
		}
		return ts.printTable(list, "AT (UTC)\tTIER\tREQUESTS\tNOTICE", rows)
	})
	cmd.Flags().IntVar(&hours, "hours", 24*7, "how many hours back")
	return cmd
}
