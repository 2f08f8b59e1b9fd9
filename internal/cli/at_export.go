package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchboard-psa/switchboard/autotask"
)

// itemWriter writes items in one of the output formats.
type itemWriter interface {
	write(item json.RawMessage) error
	close() error
}

var formats = []string{"jsonl", "json", "csv"}

func checkFormat(f string) error {
	for _, ok := range formats {
		if f == ok {
			return nil
		}
	}
	return fmt.Errorf("unknown format %q: use jsonl (one JSON object a line), json (one array) or csv", f)
}

// jsonlWriter writes one compact JSON object a line.
type jsonlWriter struct{ w *bufio.Writer }

func (j *jsonlWriter) write(item json.RawMessage) error {
	if bytes.IndexByte(item, '\n') >= 0 {
		var b bytes.Buffer
		if err := json.Compact(&b, item); err != nil {
			return err
		}
		item = b.Bytes()
	}
	j.w.Write(item)
	return j.w.WriteByte('\n')
}

func (j *jsonlWriter) close() error { return j.w.Flush() }

// jsonArrayWriter writes one indented JSON array.
type jsonArrayWriter struct {
	w *bufio.Writer
	n int
}

func (j *jsonArrayWriter) write(item json.RawMessage) error {
	if j.n == 0 {
		j.w.WriteString("[\n")
	} else {
		j.w.WriteString(",\n")
	}
	j.n++
	var b bytes.Buffer
	if err := json.Indent(&b, item, "  ", "  "); err != nil {
		return err
	}
	j.w.WriteString("  ")
	_, err := j.w.Write(b.Bytes())
	return err
}

func (j *jsonArrayWriter) close() error {
	if j.n == 0 {
		j.w.WriteString("[")
	}
	j.w.WriteString("\n]\n")
	return j.w.Flush()
}

// csvWriter writes a header of columns and a row per item. A column "udf:NAME" holds the
// user-defined field NAME; nested values are written as JSON.
type csvWriter struct {
	w    *csv.Writer
	buf  *bufio.Writer
	cols []string
	row  []string
}

// newCSVWriter writes the header at once when cols is given, or else takes the columns from
// the first item (its keys in order, its UDFs as udf:NAME).
func newCSVWriter(w *bufio.Writer, cols []string) (*csvWriter, error) {
	c := &csvWriter{w: csv.NewWriter(w), buf: w}
	if cols == nil {
		return c, nil
	}
	return c, c.header(cols)
}

func (c *csvWriter) header(cols []string) error {
	c.cols, c.row = cols, make([]string, len(cols))
	return c.w.Write(cols)
}

// columnsOf lists the keys of a JSON object in order, with userDefinedFields spread out.
func columnsOf(item json.RawMessage) []string {
	dec := json.NewDecoder(bytes.NewReader(item))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return []string{"id"}
	}
	var cols []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			break
		}
		key, _ := t.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			break
		}
		if strings.EqualFold(key, "userDefinedFields") {
			var udfs []autotask.UDF
			_ = json.Unmarshal(raw, &udfs)
			for _, u := range udfs {
				cols = append(cols, "udf:"+u.Name)
			}
			continue
		}
		cols = append(cols, key)
	}
	return cols
}

func (c *csvWriter) write(item json.RawMessage) error {
	if c.cols == nil {
		if err := c.header(columnsOf(item)); err != nil {
			return err
		}
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(item, &m); err != nil {
		return fmt.Errorf("an item is not a JSON object: %w", err)
	}
	// Keys are looked up as the columns spell them, and in any case only when that fails (an
	// API that answers in PascalCase).
	var lower map[string]json.RawMessage
	get := func(key string) json.RawMessage {
		if v, ok := m[key]; ok {
			return v
		}
		if lower == nil {
			lower = make(map[string]json.RawMessage, len(m))
			for k, v := range m {
				lower[strings.ToLower(k)] = v
			}
		}
		return lower[strings.ToLower(key)]
	}
	var udfs []autotask.UDF
	udfsRead := false
	for i, col := range c.cols {
		if name, ok := strings.CutPrefix(col, "udf:"); ok {
			if !udfsRead {
				_ = json.Unmarshal(get("userDefinedFields"), &udfs)
				udfsRead = true
			}
			c.row[i], _ = autotask.UDFValue(udfs, name)
			continue
		}
		c.row[i] = csvValue(get(col))
	}
	return c.w.Write(c.row)
}

func csvValue(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	}
	return string(raw)
}

func (c *csvWriter) close() error {
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return err
	}
	return c.buf.Flush()
}

// csvColumns are the included fields, or every field of the entity followed by its UDFs.
func csvColumns(ctx context.Context, c *autotask.Client, entity string, include []string) ([]string, error) {
	if len(include) > 0 {
		cols := []string{"id"}
		for _, f := range include {
			if !strings.EqualFold(f, "id") {
				cols = append(cols, f)
			}
		}
		return cols, nil
	}
	fields, err := c.Fields(ctx, entity)
	if err != nil {
		return nil, err
	}
	cols := []string{"id"}
	for _, f := range fields {
		if !strings.EqualFold(f.Name, "id") {
			cols = append(cols, f.Name)
		}
	}
	info, err := c.EntityInformation(ctx, entity)
	if err != nil {
		return nil, err
	}
	if info.HasUserDefinedFields {
		udfs, err := c.UserDefinedFields(ctx, entity)
		if err != nil {
			return nil, err
		}
		for _, u := range udfs {
			cols = append(cols, "udf:"+u.Name)
		}
	}
	return cols, nil
}

// pageStream fetches the pages of a query (or a child list), following nextPageUrl. With
// more == nil it fetches one page ahead of the reader, so that the server works on the next
// page while this one is written: for reading every page. Otherwise it fetches a next page
// only when the reader asks for it on more, so that a reader that stops early sends no
// request it does not need.
func pageStream(ctx context.Context, c *autotask.Client, t target, q *autotask.Query, more <-chan struct{}) (<-chan pageOrErr, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	ch := make(chan pageOrErr, 1)
	go func() {
		defer close(ch)
		send := func(p pageOrErr) bool {
			select {
			case ch <- p:
				return true
			case <-ctx.Done():
				return false
			}
		}
		if t.isChild() {
			items, err := c.ChildList(ctx, t.entity, t.parentID, t.child)
			send(pageOrErr{page: &autotask.Page{Items: items}, err: err})
			return
		}
		p, err := c.Query(ctx, t.entity, q)
		seen := map[string]bool{}
		for {
			if !send(pageOrErr{page: p, err: err}) || err != nil {
				return
			}
			next := p.PageDetails.NextPageURL
			if next == "" {
				return
			}
			if seen[next] {
				send(pageOrErr{err: errors.New("the server sent the same nextPageUrl twice")})
				return
			}
			seen[next] = true
			if more != nil {
				select {
				case <-more:
				case <-ctx.Done():
					return
				}
			}
			p, err = c.NextPage(ctx, p)
			if p == nil && err == nil {
				return
			}
		}
	}()
	return ch, cancel
}

type pageOrErr struct {
	page *autotask.Page
	err  error
}

// exportStats is what an export did.
type exportStats struct {
	items, pages atomic.Int64
	total        int64 // from a count, for the progress bar; 0 when unknown
	start        time.Time
	truncated    bool // --max left items out
}

// runQuery writes the items of t matching q to out in format, at most max (0: all), with a
// progress bar on progress when it is not nil.
func (a *app) runQuery(ctx context.Context, s *atSession, t target, q *autotask.Query, format string, max int64, out io.Writer, progress io.Writer, st *exportStats) error {
	bw := bufio.NewWriterSize(out, 1<<20)
	var w itemWriter
	switch format {
	case "jsonl":
		w = &jsonlWriter{w: bw}
	case "json":
		w = &jsonArrayWriter{w: bw}
	case "csv":
		var cols []string // a child list: from its first item
		if !t.isChild() {
			var err error
			if cols, err = csvColumns(ctx, s.c, t.entity, q.IncludeFields); err != nil {
				return err
			}
		}
		var err error
		if w, err = newCSVWriter(bw, cols); err != nil {
			return err
		}
	default:
		return checkFormat(format)
	}
	var stop func()
	if progress != nil {
		stop = startProgress(progress, t.String(), st)
	}
	var more chan struct{}
	if max > 0 {
		more = make(chan struct{})
	}
	pages, cancel := pageStream(ctx, s.c, t, q, more)
	defer cancel()
	err := func() error {
		for po := range pages {
			if po.err != nil {
				return po.err
			}
			st.pages.Add(1)
			for _, it := range po.page.Items {
				if max > 0 && st.items.Load() >= max {
					st.truncated = true // an item was left out
					return nil
				}
				if err := w.write(it); err != nil {
					return err
				}
				st.items.Add(1)
			}
			if more == nil {
				continue
			}
			if po.page.PageDetails.NextPageURL == "" {
				continue // the last page: the stream ends
			}
			if st.items.Load() >= max {
				st.truncated = true
				return nil
			}
			select {
			case more <- struct{}{}:
			case <-ctx.Done():
			}
		}
		// The stream also ends when ctx does (Ctrl-C): that is no success.
		return ctx.Err()
	}()
	cancel()
	if stop != nil {
		stop()
	}
	if cerr := w.close(); err == nil {
		err = cerr
	}
	return err
}

// startProgress draws a progress bar on w until the returned function is called.
func startProgress(w io.Writer, what string, st *exportStats) func() {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				fmt.Fprint(w, "\r"+progressLine(what, st.items.Load(), st.total, time.Since(st.start), 30))
			case <-done:
				fmt.Fprint(w, "\r"+progressLine(what, st.items.Load(), st.total, time.Since(st.start), 30)+"\n")
				return
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// progressLine renders "Tickets [=======>      ]  45% 450,000/1,000,000 8,123/s ETA 1m7s".
func progressLine(what string, n, total int64, elapsed time.Duration, width int) string {
	rate := 0.0
	if elapsed > 0 {
		rate = float64(n) / elapsed.Seconds()
	}
	if total <= 0 {
		return fmt.Sprintf("%s %s items %s/s %s", what, thousands(n), thousands(int64(rate)), elapsed.Round(time.Second))
	}
	frac := min(float64(n)/float64(total), 1)
	filled := int(frac * float64(width))
	bar := strings.Repeat("=", filled)
	if filled < width {
		bar += ">" + strings.Repeat(" ", width-filled-1)
	}
	eta := "-"
	if rate > 0 && n < total {
		eta = time.Duration(float64(total-n) / rate * float64(time.Second)).Round(time.Second).String()
	}
	return fmt.Sprintf("%s [%s] %3.0f%% %s/%s %s/s ETA %s ", what, bar, frac*100, thousands(n), thousands(total), thousands(int64(rate)), eta)
}

func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func (a *app) atQuery(p *atProfile) *cobra.Command {
	var qf queryFlags
	var format string
	var max int64
	cmd := &cobra.Command{
		Use:   "query ENTITY",
		Short: "Print the items that match the filters (JSON lines by default)",
		Example: `  switchboard at query Tickets --filter 'status eq 1' --filter 'priority in 1,4' --include title,status
  switchboard at query Companies --json '{"filter":[{"op":"or","items":[{"op":"beginsWith","field":"companyName","value":"A"},{"op":"eq","field":"isActive","value":false}]}]}'
  switchboard at query Tickets/42/Notes`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := parseTarget(args[0])
			if err != nil {
				return err
			}
			if err := checkFormat(format); err != nil {
				return err
			}
			if max < 0 {
				return fmt.Errorf("--max %d: use a positive number, or 0 for every item", max)
			}
			var q *autotask.Query
			if t.isChild() {
				if qf.any() {
					return fmt.Errorf("%s is a child collection: Autotask lists it whole, without filters (query the collection its items live in to filter)", t)
				}
			} else if q, err = qf.build(cmd.InOrStdin()); err != nil {
				return err
			}
			if q != nil && max > 0 && max < autotask.MaxPageSize {
				q.MaxRecords = int(max)
			}
			s, err := a.atClient(cmd, p)
			if err != nil {
				return err
			}
			st := &exportStats{start: time.Now()}
			if err := a.runQuery(cmd.Context(), s, t, q, format, max, a.out, nil, st); err != nil {
				return err
			}
			if st.truncated {
				fmt.Fprintf(a.errOut, "(stopped at --max %d; --max 0 or switchboard at export for every item)\n", max)
			}
			return nil
		},
	}
	qf.register(cmd)
	cmd.Flags().StringVar(&format, "format", "jsonl", "jsonl, json or csv")
	cmd.Flags().Int64Var(&max, "max", autotask.MaxPageSize, "at most this many items (0: all)")
	return cmd
}

func (a *app) atExport(p *atProfile) *cobra.Command {
	var qf queryFlags
	var format, output string
	var stats, noProgress bool
	cmd := &cobra.Command{
		Use:   "export ENTITY --format jsonl|csv",
		Short: "Write every item (every page) as JSON lines or CSV, with a progress bar on a terminal",
		Example: `  switchboard at export Tickets --format jsonl > tickets.jsonl
  switchboard at export Companies --format csv --filter 'isActive eq true' --output companies.csv --stats`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := parseTarget(args[0])
			if err != nil {
				return err
			}
			if err := checkFormat(format); err != nil {
				return err
			}
			var q *autotask.Query
			if t.isChild() {
				if qf.any() {
					return fmt.Errorf("%s is a child collection: Autotask lists it whole, without filters", t)
				}
			} else if q, err = qf.build(cmd.InOrStdin()); err != nil {
				return err
			}
			s, err := a.atClient(cmd, p)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			out := a.out
			if output != "" && output != "-" {
				f, err := os.Create(output)
				if err != nil {
					return err
				}
				defer f.Close()
				out = f
			}
			st := &exportStats{}
			var progress io.Writer
			if !noProgress && isTerminal(a.errOut) {
				progress = a.errOut
				if !t.isChild() {
					if n, err := s.c.Count(ctx, t.entity, q); err == nil {
						st.total = int64(n)
					}
				}
			}
			st.start = time.Now()
			err = a.runQuery(ctx, s, t, q, format, 0, out, progress, st)
			if err == nil && out != a.out {
				err = out.(*os.File).Close()
			}
			if stats {
				el := time.Since(st.start)
				fmt.Fprintf(a.errOut, "exported %d %s in %s (%s items/s): %s; %s\n",
					st.items.Load(), t, el.Round(time.Millisecond), thousands(int64(float64(st.items.Load())/max(el.Seconds(), 1e-9))), plural(st.pages.Load(), "page"), s.count)
			}
			return err
		},
	}
	qf.register(cmd)
	f := cmd.Flags()
	f.StringVar(&format, "format", "jsonl", "jsonl (one JSON object a line) or csv (json for one array)")
	f.StringVarP(&output, "output", "o", "", "write to this file instead of standard output")
	f.BoolVar(&stats, "stats", false, "print the time, pages and requests on standard error at the end")
	f.BoolVar(&noProgress, "no-progress", false, "no progress bar, even on a terminal")
	return cmd
}
