package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchboard-psa/switchboard/autotask"
)

// atProfile is how `switchboard at` reaches a tenant: a stored connection, or flags and the
// AUTOTASK_* environment variables.
type atProfile struct {
	connection                                string
	username, secret, code, baseURL, discover string
	impersonate                               int64
}

// The environment variables of a profile.
const (
	envUsername     = "AUTOTASK_USERNAME"
	envSecret       = "AUTOTASK_SECRET"
	envCode         = "AUTOTASK_INTEGRATION_CODE"
	envBaseURL      = "AUTOTASK_BASE_URL"
	envDiscoveryURL = "AUTOTASK_DISCOVERY_URL"
)

func (a *app) atCommand() *cobra.Command {
	p := &atProfile{}
	cmd := &cobra.Command{
		Use:   "at",
		Short: "Call an Autotask REST API (a real Autotask tenant or a Switchboard) from the command line",
		Long: `switchboard at talks to any Autotask-compatible REST API through the autotask Go library.

Credentials come from a stored connection (--connection NAME, see switchboard connection) or
from flags and the environment: AUTOTASK_USERNAME, AUTOTASK_SECRET, AUTOTASK_INTEGRATION_CODE,
and optionally AUTOTASK_BASE_URL (the zone's REST base, which skips zone discovery) or
AUTOTASK_DISCOVERY_URL (where zone discovery asks; Autotask's own by default, so a real tenant
is found from the username alone; point it at a Switchboard, e.g. http://127.0.0.1:8080/, to
find a Switchboard the same way).

ENTITY is a collection ("Tickets", "Companies") or a child collection with its parent
("Tickets/42/Notes", "Companies/0/Contacts").`,
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&p.connection, "connection", "", "use a stored connection (switchboard connection list)")
	pf.StringVar(&p.username, "username", "", "API user's username ("+envUsername+")")
	pf.StringVar(&p.secret, "secret", "", "API user's secret ("+envSecret+")")
	pf.StringVar(&p.code, "integration-code", "", "API tracking identifier ("+envCode+")")
	pf.StringVar(&p.baseURL, "base-url", "", "zone REST base URL; skips zone discovery ("+envBaseURL+")")
	pf.StringVar(&p.discover, "discovery-url", "", "where zone discovery asks ("+envDiscoveryURL+"; default "+autotask.DefaultDiscoveryURL+")")
	pf.Int64Var(&p.impersonate, "impersonate", 0, "act as this resource id (header ImpersonationResourceId)")
	cmd.AddCommand(a.atZone(p), a.atGet(p), a.atQuery(p), a.atCount(p), a.atCreate(p), a.atUpdate(p), a.atDelete(p),
		a.atExport(p), a.atFields(p), a.atThresholds(p), a.atMyTickets(p))
	return cmd
}

// atSession is a client and the count of the requests it made.
type atSession struct {
	c     *autotask.Client
	count *requestCounter
}

// atClient builds the client of the profile.
func (a *app) atClient(cmd *cobra.Command, p *atProfile) (*atSession, error) {
	ctx := cmd.Context()
	var cfg autotask.Config
	flags := cmd.Flags()
	if p.connection != "" {
		svc, closeDB, err := a.openConnections(ctx, false)
		if err != nil {
			return nil, err
		}
		cfg, err = svc.Config(ctx, p.connection)
		closeDB()
		if err != nil {
			return nil, err
		}
		// Flags given explicitly win over the connection's values; the environment does not.
		for name, dst := range map[string]*string{"username": &cfg.Username, "secret": &cfg.Secret, "integration-code": &cfg.IntegrationCode, "base-url": &cfg.BaseURL, "discovery-url": &cfg.DiscoveryURL} {
			if flags.Changed(name) {
				*dst = flags.Lookup(name).Value.String()
			}
		}
	} else {
		pick := func(flag, env string) string {
			if v := flags.Lookup(flag).Value.String(); flags.Changed(flag) || v != "" {
				return v
			}
			return os.Getenv(env)
		}
		cfg.Username, cfg.Secret, cfg.IntegrationCode = pick("username", envUsername), pick("secret", envSecret), pick("integration-code", envCode)
		cfg.BaseURL, cfg.DiscoveryURL = pick("base-url", envBaseURL), pick("discovery-url", envDiscoveryURL)
		var missing []string
		if cfg.Username == "" {
			missing = append(missing, "--username or "+envUsername)
		}
		if cfg.Secret == "" {
			missing = append(missing, "--secret or "+envSecret)
		}
		if cfg.IntegrationCode == "" {
			missing = append(missing, "--integration-code or "+envCode)
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("missing credentials: set %s (or use --connection NAME)", strings.Join(missing, ", "))
		}
	}
	counter := &requestCounter{next: http.DefaultTransport}
	cfg.HTTPClient = &http.Client{Transport: counter, Timeout: 6 * time.Minute}
	cfg.ImpersonationResourceID = p.impersonate
	var level slog.Level
	_ = level.UnmarshalText([]byte(a.cfg.LogLevel))
	cfg.Logger = slog.New(slog.NewTextHandler(a.errOut, &slog.HandlerOptions{Level: level}))
	c, err := autotask.New(cfg)
	if err != nil {
		return nil, err
	}
	return &atSession{c: c, count: counter}, nil
}

// requestCounter counts the requests sent, by kind.
type requestCounter struct {
	next                                      http.RoundTripper
	all, pages, zone, threshold, meta, counts atomic.Int64
}

func (rc *requestCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	rc.all.Add(1)
	p := strings.ToLower(r.URL.Path)
	switch {
	case strings.HasSuffix(p, "/zoneinformation"):
		rc.zone.Add(1)
	case strings.HasSuffix(p, "/thresholdinformation"):
		rc.threshold.Add(1)
	case strings.Contains(p, "/entityinformation"):
		rc.meta.Add(1)
	case strings.HasSuffix(p, "/query/count"):
		rc.counts.Add(1)
	case strings.Contains(p, "/query"):
		rc.pages.Add(1)
	}
	return rc.next.RoundTrip(r)
}

// String sums the requests up: "2003 requests (2000 pages, 1 zone discovery, …)".
func (rc *requestCounter) String() string {
	parts := []string{plural(rc.pages.Load(), "page")}
	for _, k := range []struct {
		n    int64
		what string
	}{{rc.zone.Load(), "zone discovery"}, {rc.threshold.Load(), "ThresholdInformation"}, {rc.meta.Load(), "metadata"}, {rc.counts.Load(), "count"}} {
		if k.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", k.n, k.what))
		}
	}
	if other := rc.all.Load() - rc.pages.Load() - rc.zone.Load() - rc.threshold.Load() - rc.meta.Load() - rc.counts.Load(); other > 0 {
		parts = append(parts, fmt.Sprintf("%d other", other))
	}
	return fmt.Sprintf("%s (%s)", plural(rc.all.Load(), "request"), strings.Join(parts, ", "))
}

// plural writes "1 page", "2 pages".
func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// target is a collection, or a child collection of one parent.
type target struct {
	entity   string
	parentID int64
	child    string
}

func (t target) isChild() bool { return t.child != "" }

func (t target) String() string {
	if t.isChild() {
		return fmt.Sprintf("%s/%d/%s", t.entity, t.parentID, t.child)
	}
	return t.entity
}

func parseTarget(s string) (target, error) {
	parts := strings.Split(strings.Trim(s, "/"), "/")
	switch len(parts) {
	case 1:
		if parts[0] != "" {
			return target{entity: parts[0]}, nil
		}
	case 3:
		id, err := strconv.ParseInt(parts[1], 10, 64)
		if err == nil && parts[0] != "" && parts[2] != "" {
			return target{entity: parts[0], parentID: id, child: parts[2]}, nil
		}
	}
	return target{}, fmt.Errorf("%q is not an entity: write a collection (Tickets) or a parent's child collection (Tickets/42/Notes)", s)
}

func parseID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 0 {
		return 0, fmt.Errorf("%q is not an id", s)
	}
	return id, nil
}

// writeJSONValue prints raw JSON indented.
func (a *app) writeJSONValue(raw []byte) error {
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		_, err = a.out.Write(append(raw, '\n'))
		return err
	}
	b.WriteByte('\n')
	_, err := a.out.Write(b.Bytes())
	return err
}

func (a *app) atZone(p *atProfile) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "zone",
		Short: "Show the zone of the API user (zone discovery, or the base URL given)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.atClient(cmd, p)
			if err != nil {
				return err
			}
			z, err := s.c.Zone(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(z)
			}
			if z.ZoneName == "" {
				z.ZoneName = "(given by the base URL)"
			}
			fmt.Fprintf(a.out, "Zone:      %s\nREST base: %s\n", z.ZoneName, z.URL)
			if z.WebURL != "" {
				fmt.Fprintf(a.out, "Web:       %s\n", z.WebURL)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) atGet(p *atProfile) *cobra.Command {
	return &cobra.Command{
		Use:     "get ENTITY ID",
		Short:   "Print one item as JSON",
		Example: "  switchboard at get Tickets 42\n  switchboard at get Tickets/42/Notes 7",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := parseTarget(args[0])
			if err != nil {
				return err
			}
			id, err := parseID(args[1])
			if err != nil {
				return err
			}
			s, err := a.atClient(cmd, p)
			if err != nil {
				return err
			}
			var raw json.RawMessage
			if t.isChild() {
				raw, err = s.c.ChildGet(cmd.Context(), t.entity, t.parentID, t.child, id)
			} else {
				raw, err = s.c.Get(cmd.Context(), t.entity, id)
			}
			if err != nil {
				return err
			}
			return a.writeJSONValue(raw)
		},
	}
}

// queryFlags are the flags that build a query.
type queryFlags struct {
	filters []string
	json    string
	include []string
}

func (qf *queryFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringArrayVar(&qf.filters, "filter", nil, `a condition, e.g. 'status eq 1', 'title beginsWith "Printer"', 'priority in 1,4', 'udf:"Customer Code" exist' (repeat to AND them)`)
	f.StringVar(&qf.json, "json", "", `a query or filter array in Autotask's JSON (or @file), ANDed with --filter, e.g. '{"filter":[{"op":"or","items":[…]}]}'`)
	f.StringSliceVar(&qf.include, "include", nil, "return only these fields (IncludeFields), comma-separated")
}

// build makes the query; stdin serves --json @-.
func (qf *queryFlags) build(stdin io.Reader) (*autotask.Query, error) {
	q := autotask.NewQuery()
	if qf.json != "" {
		b, err := readArg("--json", qf.json, func() ([]byte, error) { return io.ReadAll(stdin) })
		if err != nil {
			return nil, err
		}
		if q, err = parseQueryJSON(b); err != nil {
			return nil, err
		}
		canonicalOps(q.Filter)
	}
	for _, f := range qf.filters {
		c, err := parseFilter(f)
		if err != nil {
			return nil, err
		}
		q.Where(c)
	}
	q.Include(qf.include...)
	if err := q.Validate(); err != nil {
		return nil, err
	}
	return q, nil
}

func (qf *queryFlags) any() bool { return len(qf.filters) > 0 || qf.json != "" || len(qf.include) > 0 }

func (a *app) atCount(p *atProfile) *cobra.Command {
	var qf queryFlags
	cmd := &cobra.Command{
		Use:     "count ENTITY",
		Short:   "Print how many items match the filters",
		Example: "  switchboard at count Tickets --filter 'status noteq 5'",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := parseTarget(args[0])
			if err != nil {
				return err
			}
			if t.isChild() {
				return errors.New("count works on collections, not child collections")
			}
			q, err := qf.build(cmd.InOrStdin())
			if err != nil {
				return err
			}
			s, err := a.atClient(cmd, p)
			if err != nil {
				return err
			}
			n, err := s.c.Count(cmd.Context(), t.entity, q)
			if err != nil {
				return err
			}
			fmt.Fprintln(a.out, n)
			return nil
		},
	}
	qf.register(cmd)
	return cmd
}

// readData reads --data: JSON given as is, @file, or @- for standard input.
func readData(cmd *cobra.Command, data string) (json.RawMessage, error) {
	if data == "" {
		return nil, errors.New("--data is required: a JSON object, @file or @- for standard input")
	}
	b, err := readArg("--data", data, func() ([]byte, error) { return io.ReadAll(cmd.InOrStdin()) })
	if err != nil {
		return nil, err
	}
	b = bytes.TrimSpace(b)
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil || obj == nil {
		return nil, fmt.Errorf("--data is not a JSON object: %s", firstLine(b))
	}
	return b, nil
}

func firstLine(b []byte) string {
	s := string(b)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + "…"
	}
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	if s == "" {
		return "(empty)"
	}
	return s
}

func (a *app) atCreate(p *atProfile) *cobra.Command {
	var data string
	cmd := &cobra.Command{
		Use:     "create ENTITY --data JSON|@file",
		Short:   "Create an item and print its id",
		Example: "  switchboard at create Tickets --data '{\"companyID\":0,\"title\":\"VPN down\",\"status\":1,\"priority\":2}'\n  switchboard at create Tickets/42/Notes --data @note.json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := parseTarget(args[0])
			if err != nil {
				return err
			}
			body, err := readData(cmd, data)
			if err != nil {
				return err
			}
			s, err := a.atClient(cmd, p)
			if err != nil {
				return err
			}
			var id int64
			if t.isChild() {
				id, err = s.c.ChildCreate(cmd.Context(), t.entity, t.parentID, t.child, body)
			} else {
				id, err = s.c.Create(cmd.Context(), t.entity, body)
			}
			if err != nil {
				return err
			}
			fmt.Fprintln(a.out, id)
			return nil
		},
	}
	cmd.Flags().StringVar(&data, "data", "", "the item as a JSON object, @file, or @- for standard input")
	return cmd
}

func (a *app) atUpdate(p *atProfile) *cobra.Command {
	var data string
	var replace bool
	cmd := &cobra.Command{
		Use:     "update ENTITY ID --data JSON|@file",
		Short:   "Change the given fields of an item (PATCH; --replace sends PUT)",
		Example: "  switchboard at update Tickets 42 --data '{\"status\":5}'",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := parseTarget(args[0])
			if err != nil {
				return err
			}
			id, err := parseID(args[1])
			if err != nil {
				return err
			}
			body, err := readData(cmd, data)
			if err != nil {
				return err
			}
			s, err := a.atClient(cmd, p)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			switch {
			case t.isChild() && replace:
				err = s.c.ChildReplace(ctx, t.entity, t.parentID, t.child, id, body)
			case t.isChild():
				err = s.c.ChildUpdate(ctx, t.entity, t.parentID, t.child, id, body)
			case replace:
				err = s.c.Replace(ctx, t.entity, id, body)
			default:
				err = s.c.Update(ctx, t.entity, id, body)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(a.out, "Updated %s %d.\n", t, id)
			return nil
		},
	}
	cmd.Flags().StringVar(&data, "data", "", "the fields as a JSON object, @file, or @- for standard input")
	cmd.Flags().BoolVar(&replace, "replace", false, "replace the whole item (PUT): fields left out become empty")
	return cmd
}

func (a *app) atDelete(p *atProfile) *cobra.Command {
	return &cobra.Command{
		Use:     "delete ENTITY ID",
		Short:   "Delete an item",
		Example: "  switchboard at delete Companies/0/Contacts 31",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := parseTarget(args[0])
			if err != nil {
				return err
			}
			id, err := parseID(args[1])
			if err != nil {
				return err
			}
			s, err := a.atClient(cmd, p)
			if err != nil {
				return err
			}
			if t.isChild() {
				err = s.c.ChildDelete(cmd.Context(), t.entity, t.parentID, t.child, id)
			} else {
				err = s.c.Delete(cmd.Context(), t.entity, id)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(a.out, "Deleted %s %d.\n", t, id)
			return nil
		},
	}
}

func (a *app) atThresholds(p *atProfile) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "thresholds",
		Short: "Show the tenant's hourly API request budget and how much of it is used",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.atClient(cmd, p)
			if err != nil {
				return err
			}
			t, err := s.c.ThresholdInformation(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(t)
			}
			fmt.Fprintf(a.out, "%d of %d requests used in the last %d minutes (%.1f%%); %d left.\n",
				t.CurrentTimeframeRequestCount, t.ExternalRequestThreshold, t.RequestThresholdTimeframe, t.Usage()*100, t.Remaining())
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) atFields(p *atProfile) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "fields ENTITY",
		Short: "List the fields of an entity, with picklist values and user-defined fields",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := parseTarget(args[0])
			if err != nil {
				return err
			}
			if t.isChild() {
				return fmt.Errorf("fields: name the collection the items live in (e.g. TicketNotes), not %s", t)
			}
			s, err := a.atClient(cmd, p)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			info, err := s.c.EntityInformation(ctx, t.entity)
			if err != nil {
				return err
			}
			fields, err := s.c.Fields(ctx, t.entity)
			if err != nil {
				return err
			}
			var udfs []autotask.UDFInfo
			if info.HasUserDefinedFields {
				if udfs, err = s.c.UserDefinedFields(ctx, t.entity); err != nil {
					return err
				}
			}
			if asJSON {
				if udfs == nil {
					udfs = []autotask.UDFInfo{}
				}
				return a.printJSON(map[string]any{"entity": info, "fields": fields, "userDefinedFields": udfs})
			}
			w := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "FIELD\tTYPE\tREQUIRED\tREAD-ONLY\tREFERENCE / PICKLIST")
			yes := func(b bool) string {
				if b {
					return "yes"
				}
				return ""
			}
			for _, f := range fields {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", f.Name, f.DataType, yes(f.IsRequired), yes(f.IsReadOnly), describeField(f.ReferenceEntityType, f.PicklistValues))
			}
			for _, u := range udfs {
				fmt.Fprintf(w, "udf:%s\t%s\t%s\t%s\t%s\n", u.Name, u.Type, yes(u.IsRequired), yes(u.IsReadOnly), describeField(u.ReferenceEntityType, u.PicklistValues))
			}
			return w.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func describeField(ref string, picks []autotask.PicklistValue) string {
	if ref != "" {
		return "→ " + ref
	}
	var parts []string
	for _, p := range picks {
		if p.IsActive {
			parts = append(parts, p.Value+"="+p.Label)
		}
	}
	return strings.Join(parts, ", ")
}

// isTerminal reports whether w is a terminal (a character device), where progress bars belong.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
