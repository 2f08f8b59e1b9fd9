package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	gosync "sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchboard-psa/switchboard/internal/sync"
)

// openSync opens the database and the connection key, and returns the sync service.
func (a *app) openSync(ctx context.Context) (*sync.Service, func(), error) {
	svc, conns, closeDB, err := a.openSealed(ctx)
	if err != nil {
		return nil, nil, err
	}
	return sync.New(svc, conns, a.logger()), closeDB, nil
}

// withSync opens the sync service for one command, runs fn with it, and closes the database.
func (a *app) withSync(ctx context.Context, fn func(s *sync.Service) error) error {
	s, closeDB, err := a.openSync(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	return fn(s)
}

func syncList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func choices(cs []sync.Choice) string {
	if len(cs) == 0 {
		return "all"
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%s (%d)", c.Label, c.Value)
	}
	return strings.Join(parts, ", ")
}

func (a *app) syncCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Mirror an Autotask tenant (or another Switchboard) into a local tenant, one-way or two-way",
		Long: `A sync job pairs a connection (switchboard connection add) with a local tenant. Its runs copy
the remote's companies, company locations, contacts, configuration items, tickets and ticket
notes — with the picklist values, resources, products and CI types they reference — into the
local tenant, then only what changed. With --two-way, local edits of companies, locations,
contacts and configuration items are pushed back; the remote wins a conflict. Records deleted
remotely or leaving the filters are orphaned locally, never deleted. See docs/sync.md.`,
	}
	var in sync.AddInput
	var companyTypes, classifications, ciTypes, queues string
	var schedule int
	var addJSON bool
	add := &cobra.Command{
		Use:   "add NAME",
		Short: "Create a sync job (filters and the default account manager are checked against the remote)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in.Name = args[0]
			in.CompanyTypes, in.Classifications, in.CITypes, in.Queues = syncList(companyTypes), syncList(classifications), syncList(ciTypes), syncList(queues)
			ifChanged(cmd, "schedule", &in.ScheduleMinutes, &schedule)
			return a.withSync(cmd.Context(), func(s *sync.Service) error {
				j, err := s.Add(cmd.Context(), in)
				if err != nil {
					return err
				}
				return a.print(addJSON, j, func() error {
					fmt.Fprintf(a.out, "Sync job %q created: %s → tenant %q, %s.\n", j.Name, j.Connection, j.Tenant, direction(j))
					fmt.Fprintf(a.out, "Run it now with: switchboard sync run %q\n", j.Name)
					return nil
				})
			})
		},
	}
	f := add.Flags()
	f.StringVar(&in.Connection, "connection", "", "connection to the remote tenant (required)")
	f.StringVar(&in.Tenant, "tenant", "", "local tenant the job writes to (required)")
	f.BoolVar(&in.TwoWay, "two-way", false, "push local edits of companies, locations, contacts and CIs to the remote")
	f.StringVar(&in.DefaultAccountManager, "default-account-manager", "", "remote resource (id, username or email) that owns companies created locally; must not be an API user")
	f.StringVar(&companyTypes, "company-types", "", "only companies of these remote company types (labels or values, comma-separated)")
	f.StringVar(&classifications, "classifications", "", "only companies of these remote classifications")
	f.StringVar(&ciTypes, "ci-types", "", `only configuration items of these remote CI types ("Default": items with no type)`)
	f.StringVar(&queues, "queues", "", "only tickets of these remote queues")
	f.IntVar(&schedule, "schedule", sync.DefaultScheduleMinutes, "run every this many minutes while switchboard serve runs (0: only with sync run)")
	f.IntVar(&in.FullPassHours, "full-pass-hours", sync.DefaultFullPassHours, "make a run a full pass (finding deletions and filter changes) this often")
	f.BoolVar(&addJSON, "json", false, "print JSON")

	var optConn string
	var optJSON bool
	options := &cobra.Command{
		Use:   "options",
		Short: "Show the filter choices the remote offers: company types, classifications, CI types, queues",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if optConn == "" {
				return errors.New("--connection is required")
			}
			return a.withSync(cmd.Context(), func(s *sync.Service) error {
				o, err := s.Options(cmd.Context(), optConn)
				if err != nil {
					return err
				}
				return a.print(optJSON, o, func() error {
					fmt.Fprintf(a.out, "--company-types:    %s\n--classifications:  %s\n--ci-types:         %s\n--queues:           %s\n",
						choices(o.CompanyTypes), choices(o.Classifications), choices(o.CITypes), choices(o.Queues))
					return nil
				})
			})
		},
	}
	options.Flags().StringVar(&optConn, "connection", "", "connection to ask (required)")
	options.Flags().BoolVar(&optJSON, "json", false, "print JSON")

	var fin sync.AddInput
	var fCompanyTypes, fClassifications, fCITypes, fQueues string
	filters := &cobra.Command{
		Use:   "filters NAME",
		Short: "Change a job's filters (the flags of sync add; one left out means all); the next run is a full pass",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fin.CompanyTypes, fin.Classifications, fin.CITypes, fin.Queues = syncList(fCompanyTypes), syncList(fClassifications), syncList(fCITypes), syncList(fQueues)
			return a.withSync(cmd.Context(), func(s *sync.Service) error {
				j, err := s.SetFilters(cmd.Context(), args[0], fin)
				if err != nil {
					return err
				}
				a.describe(j)
				return nil
			})
		},
	}
	filters.Flags().StringVar(&fCompanyTypes, "company-types", "", "remote company types")
	filters.Flags().StringVar(&fClassifications, "classifications", "", "remote classifications")
	filters.Flags().StringVar(&fCITypes, "ci-types", "", `remote CI types ("Default": no type)`)
	filters.Flags().StringVar(&fQueues, "queues", "", "remote ticket queues")

	var listJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List sync jobs with their status",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withSync(cmd.Context(), func(s *sync.Service) error {
				jobs, err := s.List(cmd.Context())
				if err != nil {
					return err
				}
				if jobs == nil {
					jobs = []*sync.Job{}
				}
				rows := make([][]string, len(jobs))
				for i, j := range jobs {
					st := j.Status.Line()
					if j.Paused {
						st = "paused; last: " + st
					}
					rows[i] = []string{j.Name, j.Connection, j.Tenant, direction(j), st}
				}
				return a.printTable(listJSON, jobs, "NAME\tCONNECTION\tTENANT\tDIRECTION\tSTATUS", rows)
			})
		},
	}
	list.Flags().BoolVar(&listJSON, "json", false, "print JSON")

	var statusJSON bool
	status := &cobra.Command{
		Use:   "status NAME",
		Short: `Show a job: never run, "Syncing..." with progress, "OK" with counts and duration, or the records that failed and why`,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withSync(cmd.Context(), func(s *sync.Service) error {
				j, err := s.Get(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				return a.print(statusJSON, j, func() error {
					a.describe(j)
					return nil
				})
			})
		},
	}
	status.Flags().BoolVar(&statusJSON, "json", false, "print JSON")

	var runFull, runJSON, noProgress bool
	run := &cobra.Command{
		Use:   "run NAME",
		Short: "Sync now: run the job, wait, print the outcome (exit status 1 when records failed)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, closeDB, err := a.openSync(cmd.Context())
			if err != nil {
				return err
			}
			defer closeDB()
			var pr *progressPrinter
			if !noProgress && !runJSON {
				pr = newProgressPrinter(a.errOut, isTerminal(a.errOut))
			}
			opt := sync.RunOptions{Full: runFull}
			if pr != nil {
				opt.Progress = pr.show
			}
			st, err := s.Run(cmd.Context(), args[0], opt)
			if pr != nil {
				pr.finish()
			}
			if err != nil {
				return err
			}
			if err := a.print(runJSON, st, func() error { printOutcome(a.out, st); return nil }); err != nil {
				return err
			}
			if st.State != sync.StateOK {
				return errors.New(st.Line())
			}
			return nil
		},
	}
	run.Flags().BoolVar(&runFull, "full", false, "make this run a full pass (finds remote deletions and records that left the filters)")
	run.Flags().BoolVar(&runJSON, "json", false, "print the final status as JSON")
	run.Flags().BoolVar(&noProgress, "no-progress", false, "print no progress")

	var logJSON bool
	var logN int
	logCmd := &cobra.Command{
		Use:   "log NAME",
		Short: "Show a job's latest runs",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withSync(cmd.Context(), func(s *sync.Service) error {
				runs, err := s.Runs(cmd.Context(), args[0], logN)
				if err != nil {
					return err
				}
				if runs == nil {
					runs = []sync.Run{}
				}
				return a.print(logJSON, runs, func() error {
					for _, r := range runs {
						printRun(a.out, r)
					}
					return nil
				})
			})
		},
	}
	logCmd.Flags().BoolVar(&logJSON, "json", false, "print JSON")
	logCmd.Flags().IntVar(&logN, "n", 20, "how many runs")

	simple := func(use, short, done string, fn func(ctx context.Context, s *sync.Service, name string) error) *cobra.Command {
		return &cobra.Command{
			Use: use + " NAME", Short: short, Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return a.withSync(cmd.Context(), func(s *sync.Service) error {
					if err := fn(cmd.Context(), s, args[0]); err != nil {
						return err
					}
					fmt.Fprintf(a.out, "Sync job %q %s.\n", args[0], done)
					return nil
				})
			},
		}
	}
	pause := simple("pause", "Pause a job: it keeps its data and map, and runs no more until resumed", "paused",
		func(ctx context.Context, s *sync.Service, name string) error { return s.SetPaused(ctx, name, true) })
	resume := simple("resume", "Resume a paused job", "resumed",
		func(ctx context.Context, s *sync.Service, name string) error { return s.SetPaused(ctx, name, false) })
	remove := simple("remove", "Delete a job with its map and log (the local records stay)", "removed",
		func(ctx context.Context, s *sync.Service, name string) error { return s.Remove(ctx, name) })

	cmd.AddCommand(add, options, filters, list, status, run, logCmd, pause, resume, remove)
	return cmd
}

func direction(j *sync.Job) string {
	if j.Settings.TwoWay {
		return "two-way"
	}
	return "one-way"
}

func (a *app) describe(j *sync.Job) {
	w := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
	st := j.Status.Line()
	if j.Paused {
		st = "paused; last run: " + st
	}
	fmt.Fprintf(w, "Job:\t%s\n", j.Name)
	fmt.Fprintf(w, "Connection → tenant:\t%s → %s (%s)\n", j.Connection, j.Tenant, direction(j))
	if j.Settings.DefaultAccountManager != 0 {
		fmt.Fprintf(w, "Default account manager:\t%s (remote id %d)\n", j.Settings.DefaultAccountManagerName, j.Settings.DefaultAccountManager)
	}
	fmt.Fprintf(w, "Company types:\t%s\n", choices(j.Settings.CompanyTypes))
	fmt.Fprintf(w, "Classifications:\t%s\n", choices(j.Settings.Classifications))
	fmt.Fprintf(w, "CI types:\t%s\n", choices(j.Settings.CITypes))
	fmt.Fprintf(w, "Queues:\t%s\n", choices(j.Settings.Queues))
	if j.Settings.ScheduleMinutes > 0 {
		fmt.Fprintf(w, "Schedule:\tevery %d minutes (full pass every %d hours)\n", j.Settings.ScheduleMinutes, j.Settings.FullPassHours)
	} else {
		fmt.Fprintf(w, "Schedule:\tmanual (full pass every %d hours)\n", j.Settings.FullPassHours)
	}
	if !j.NextRun.IsZero() {
		fmt.Fprintf(w, "Next run:\t%s\n", j.NextRun.Local().Format("2006-01-02 15:04"))
	}
	fmt.Fprintf(w, "Status:\t%s\n", st)
	w.Flush()
	for _, e := range j.Status.Errors {
		fmt.Fprintf(a.out, "  %s\n", e)
	}
}

// printRun writes one line of sync log: when, which kind of run, its outcome, then its errors.
func printRun(w io.Writer, r sync.Run) {
	kind := "incremental"
	if r.Status.Full {
		kind = "full pass"
	}
	fmt.Fprintf(w, "%s  %-11s  %s\n", r.StartedAt.Local().Format("2006-01-02 15:04:05"), kind, r.Status.Line())
	for _, e := range r.Status.Errors {
		fmt.Fprintf(w, "    %s\n", e)
	}
}

func printOutcome(w io.Writer, st sync.Status) {
	fmt.Fprintln(w, st.Line())
	names := make([]string, 0, len(st.Counts))
	for n := range st.Counts {
		names = append(names, n)
	}
	sort.Strings(names)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "ENTITY\tCREATED\tUPDATED\tUNCHANGED\tSKIPPED\tORPHANED\tPUSHED\tCONFLICTS\tFAILED\t")
	for _, n := range names {
		c := st.Counts[n]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", n, c.Created, c.Updated, c.Unchanged, c.Skipped, c.Orphaned, c.Pushed, c.Conflicts, c.Failed)
	}
	tw.Flush()
	fmt.Fprintf(w, "%d requests to the remote", st.Requests)
	if st.RemoteRequestThreshold > 0 {
		fmt.Fprintf(w, " (its budget: %d of %d used this hour", st.RemoteRequestsUsed, st.RemoteRequestThreshold)
		if st.PacingMillis > 0 {
			fmt.Fprintf(w, "; requests spaced up to %d ms apart to stay inside it", st.PacingMillis)
		}
		fmt.Fprint(w, ")")
	}
	fmt.Fprintln(w, ".")
	for _, e := range st.Errors {
		fmt.Fprintf(w, "  %s\n", e)
	}
}

// progressPrinter shows a run's progress: bars redrawn in place on a terminal, plain lines
// (at most one a second per entity, and each entity's last) when piped.
type progressPrinter struct {
	mu    gosync.Mutex
	w     io.Writer
	tty   bool
	lines int
	last  map[string]time.Time
	shown map[string]int
	cur   []sync.Progress
}

func newProgressPrinter(w io.Writer, tty bool) *progressPrinter {
	return &progressPrinter{w: w, tty: tty, last: map[string]time.Time{}, shown: map[string]int{}}
}

func (p *progressPrinter) show(st sync.Status) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cur = st.Progress
	if p.tty {
		if time.Since(p.last[""]) < 100*time.Millisecond {
			return
		}
		p.last[""] = time.Now()
		p.draw()
		return
	}
	for _, pr := range st.Progress {
		key := pr.Entity + " " + pr.Phase
		if pr.Done == 0 || pr.Done == p.shown[key] {
			continue
		}
		if time.Since(p.last[key]) < time.Second {
			continue
		}
		p.last[key], p.shown[key] = time.Now(), pr.Done
		fmt.Fprintln(p.w, progressText(pr))
	}
}

func progressText(pr sync.Progress) string {
	if pr.Total > 0 {
		return fmt.Sprintf("%s %s: %d of about %d", pr.Phase, pr.Entity, pr.Done, pr.Total)
	}
	return fmt.Sprintf("%s %s: %d", pr.Phase, pr.Entity, pr.Done)
}

func (p *progressPrinter) draw() {
	if p.lines > 0 {
		fmt.Fprintf(p.w, "\x1b[%dA", p.lines)
	}
	for _, pr := range p.cur {
		bar := strings.Repeat("·", 30)
		if pr.Total > 0 {
			n := min(30, pr.Done*30/max(pr.Total, 1))
			bar = strings.Repeat("█", n) + strings.Repeat("·", 30-n)
		}
		fmt.Fprintf(p.w, "\x1b[2K%-5s %-20s %s %d", pr.Phase, pr.Entity, bar, pr.Done)
		if pr.Total > 0 {
			fmt.Fprintf(p.w, "/%d", pr.Total)
		}
		fmt.Fprintln(p.w)
	}
	p.lines = len(p.cur)
}

func (p *progressPrinter) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		p.draw()
		return
	}
	for _, pr := range p.cur {
		key := pr.Entity + " " + pr.Phase
		if pr.Done != 0 && p.shown[key] != pr.Done {
			fmt.Fprintln(p.w, progressText(pr))
		}
	}
}
