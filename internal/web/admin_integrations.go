package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/connection"
	"github.com/switchboard-psa/switchboard/internal/mail"
	"github.com/switchboard-psa/switchboard/internal/sync"
)

// Integrations › Mailboxes (email to ticket, internal/mail) and Integrations › Sync jobs
// (internal/sync). Both services are deployment-wide, as the command line uses them; here they
// act for the signed-in administrator's tenant only: its mailboxes (tickets go to this
// tenant) and its sync jobs (into this tenant, over its own or a deployment-wide connection).
// Another tenant's mailbox or job is "not found".

// mailboxesView is what the Mailboxes page shows.
type mailboxesView struct {
	Enabled    bool
	Rows       []mailboxRow
	Queues     []option
	Statuses   []option
	Priorities []option
	Sources    []option
	// The answer of "Poll now", in place.
	Polled  string
	Poll    *mail.PollResult
	PollErr string
}

// mailboxRow is a mailbox with what its processing log says.
type mailboxRow struct {
	*mail.Mailbox
	Tickets, Notes, Ignored, Held, Failed int
	Counted                               int // log entries counted (the latest 1000 at most)
	LastAt                                time.Time
	LastProblem                           string
}

// mailboxRowOf sums a mailbox's log, newest entry first, into its row of the Mailboxes page.
func mailboxRowOf(m *mail.Mailbox, log []*mail.Entry) mailboxRow {
	row := mailboxRow{Mailbox: m, Counted: len(log)}
	for i, e := range log {
		if i == 0 {
			row.LastAt = e.ReceivedAt
		}
		switch e.Outcome {
		case mail.OutcomeTicket:
			row.Tickets++
		case mail.OutcomeNote:
			row.Notes++
		case mail.OutcomeIgnored:
			row.Ignored++
		case mail.OutcomeHeld:
			row.Held++
		case mail.OutcomeFailed:
			row.Failed++
			if row.LastProblem == "" {
				row.LastProblem = e.Reason
			}
		}
	}
	return row
}

func (h *Handler) mailboxesPage(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Title, p.Section = "Mailboxes", "integrations"
	h.renderMailboxes(w, r, p, http.StatusOK)
}

// mailboxDefaults fills the Add a mailbox form with the service's defaults.
func mailboxDefaults(p *page) {
	p.Form["kind"], p.Form["imapSecurity"] = mail.KindSMTP, "tls"
	p.Form["rateLimit"] = strconv.Itoa(mail.DefaultRateLimit)
	p.Form["imapFolder"], p.Form["imapProcessed"] = mail.DefaultFolder, mail.DefaultProcessed
	p.Form["imapPoll"] = strconv.Itoa(mail.DefaultPoll)
	p.Form["status"], p.Form["priority"] = strconv.Itoa(mail.DefaultStatus), strconv.Itoa(mail.DefaultPriority)
	p.Form["source"] = strconv.Itoa(mail.DefaultSource)
}

func (h *Handler) renderMailboxes(w http.ResponseWriter, r *http.Request, p *page, status int) {
	ctx := r.Context()
	v, _ := p.Data.(*mailboxesView)
	if v == nil {
		v = &mailboxesView{}
	}
	if p.Form["kind"] == "" { // not the form coming back with its errors
		mailboxDefaults(p)
	}
	v.Enabled = h.opt.Mail != nil
	if v.Enabled {
		list, err := h.opt.Mail.Mailboxes(ctx, p.User.Tenant.ID)
		if err != nil {
			h.fail(w, r, p, err)
			return
		}
		logs, err := h.opt.Mail.LatestLogs(ctx, p.User.Tenant.ID, 1000)
		if err != nil {
			h.fail(w, r, p, err)
			return
		}
		for _, m := range list {
			v.Rows = append(v.Rows, mailboxRowOf(m, logs[m.ID]))
		}
		v.Queues = h.picklist(ctx, ticketQueue)
		v.Statuses = h.picklist(ctx, ticketStatus)
		v.Priorities = h.picklist(ctx, ticketPriority)
		v.Sources = h.picklist(ctx, ticketSource)
	}
	p.Data = v
	h.render(w, r, status, "mailboxes", p)
}

// tenantMailbox finds a mailbox of the signed-in tenant by id.
func (h *Handler) tenantMailbox(ctx context.Context, p *page, id string) (*mail.Mailbox, error) {
	if _, err := strconv.ParseInt(id, 10, 64); err != nil {
		return nil, errNotVisible("mailbox")
	}
	m, err := h.opt.Mail.Mailbox(ctx, id)
	if err != nil || m.TenantID != p.User.Tenant.ID {
		return nil, errNotVisible("mailbox")
	}
	return m, nil
}

// formInt reads an optional whole number of a form into *dst; a bad one is a field error.
func formInt(p *page, field string, min, max int64) *int64 {
	v := strings.TrimSpace(p.Form[field])
	if v == "" {
		return nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < min || n > max {
		p.Errors[field] = fmt.Sprintf("Enter a whole number from %d to %d.", min, max)
		return nil
	}
	return &n
}

// itemList is an admin list of named items (mailboxes, sync jobs) whose actions answer in place.
type itemList struct {
	path   string                                                            // the list's address
	render func(w http.ResponseWriter, r *http.Request, p *page, status int) // shows the list
	words  func(error) string                                                // an error as the list shows it
}

// answer ends an action on one item: done, back to the list with flash; failed, the list again
// with the error's words (422).
func (l itemList) answer(w http.ResponseWriter, r *http.Request, p *page, err error, flash string) {
	if err != nil {
		p.Error = l.words(err)
		l.render(w, r, p, http.StatusUnprocessableEntity)
		return
	}
	http.Redirect(w, r, l.path+"?flash="+url.QueryEscape(flash), http.StatusSeeOther)
}

func (h *Handler) mailboxAction(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Title, p.Section = "Mailboxes", "integrations"
	if h.opt.Mail == nil {
		h.fail(w, r, p, apperr.Invalid("Email to ticket is not configured on this server."))
		return
	}
	ctx := r.Context()
	action := r.PostFormValue("action")
	if action == "add" {
		h.addMailbox(w, r, s, p)
		return
	}
	m, err := h.tenantMailbox(ctx, p, r.PostFormValue("id"))
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	list := itemList{path: "/admin/integrations/mailboxes", render: h.renderMailboxes, words: messageOf}
	switch action {
	case "enable", "disable":
		on := action == "enable"
		_, err := h.opt.Mail.EditMailbox(ctx, strconv.FormatInt(m.ID, 10), mail.MailboxChange{Active: &on})
		msg := "Mailbox " + m.Address + " is inactive: what it receives is held."
		if on {
			msg = "Mailbox " + m.Address + " is active: its mail becomes tickets and notes."
		}
		list.answer(w, r, p, err, msg)
	case "remove":
		err := h.opt.Mail.RemoveMailbox(ctx, strconv.FormatInt(m.ID, 10))
		list.answer(w, r, p, err, "Mailbox "+m.Address+" was removed.")
	case "poll":
		v := &mailboxesView{Polled: m.Address}
		res, err := h.opt.Mail.PollIMAP(ctx, strconv.FormatInt(m.ID, 10))
		if err != nil {
			v.PollErr = pollError(err)
		} else {
			v.Poll = &res
		}
		p.Data = v
		h.renderMailboxes(w, r, p, http.StatusOK)
	default:
		h.fail(w, r, p, errUnknown)
	}
}

// pollError is the words shown for a failed poll: the service's message for input errors,
// else the error itself (a connection or login failure names the host and user, never the
// password).
func pollError(err error) string {
	var ae *apperr.Error
	if errors.As(err, &ae) && len(ae.Messages) > 0 {
		return strings.Join(ae.Messages, " ")
	}
	return err.Error()
}

var mailboxFields = []string{"address", "kind", "queue", "status", "priority", "source", "fallback", "createContacts", "inlineImages",
	"rateLimit", "domains", "imapHost", "imapUsername", "imapSecurity", "imapFolder", "imapProcessed", "imapPoll"}

func (h *Handler) addMailbox(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	keep(p, r, mailboxFields...)
	password := r.PostFormValue("imapPassword") // never kept in the form, never shown back
	bad := func() { h.renderMailboxes(w, r, p, http.StatusUnprocessableEntity) }
	for field, max := range map[string]int{"address": 254, "imapHost": 255, "imapUsername": 254, "imapFolder": 200, "imapProcessed": 200, "domains": 2000} {
		if len(p.Form[field]) > max {
			p.Errors[field] = fmt.Sprintf("At most %d characters.", max)
		}
	}
	if len(password) > 500 {
		p.Errors["imapPassword"] = "At most 500 characters."
	}
	if p.Form["address"] == "" {
		p.Errors["address"] = "Enter the address mail is sent to, e.g. support@example.com."
	}
	kind := p.Form["kind"]
	if kind != mail.KindSMTP && kind != mail.KindIMAP {
		p.Errors["kind"] = "Choose SMTP or IMAP."
	}
	tenant := s.user.Tenant.Name
	ch := mail.MailboxChange{Address: ptr(p.Form["address"]), Tenant: &tenant, Kind: &kind}
	ch.QueueID = formInt(p, "queue", 0, 1<<40)
	ch.Status = formInt(p, "status", 1, 1<<40)
	ch.Priority = formInt(p, "priority", 1, 1<<40)
	ch.Source = formInt(p, "source", -2, 1<<40)
	if c, ok := h.resolvePick(r.Context(), p, r, companyPicker, "fallback", -1, nil); ok {
		ch.Fallback = &c
	} else if p.Errors["fallback"] == "" {
		own := int64(0) // left empty: the tenant's own company
		ch.Fallback = &own
	}
	if n := formInt(p, "rateLimit", 1, 100000); n != nil {
		rate := int(*n)
		ch.RateLimit = &rate
	}
	create, inline := p.Form["createContacts"] != "", p.Form["inlineImages"] != ""
	ch.Create, ch.InlineImages = &create, &inline
	for _, line := range strings.FieldsFunc(p.Form["domains"], func(c rune) bool { return c == '\n' || c == ',' || c == '\r' }) {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		name, id, ok := strings.Cut(line, "=")
		n, err := strconv.ParseInt(strings.TrimSpace(id), 10, 64)
		if !ok || err != nil || n < 0 {
			p.Errors["domains"] = fmt.Sprintf("%q: give domain=company id, e.g. acme.example=12.", line)
			break
		}
		if ch.AddDomains == nil {
			ch.AddDomains = map[string]int64{}
		}
		ch.AddDomains[strings.TrimSpace(name)] = n
	}
	if kind == mail.KindIMAP {
		if p.Form["imapHost"] == "" {
			p.Errors["imapHost"] = "Enter the IMAP server, host or host:port."
		}
		if p.Form["imapUsername"] == "" {
			p.Errors["imapUsername"] = "Enter the IMAP username."
		}
		if password == "" {
			p.Errors["imapPassword"] = "Enter the IMAP password."
		}
		sec := p.Form["imapSecurity"]
		if sec != "tls" && sec != "starttls" && sec != "none" {
			p.Errors["imapSecurity"] = "Choose TLS, STARTTLS or none."
		}
		ch.IMAPHost, ch.IMAPUsername, ch.IMAPSecurity = ptr(p.Form["imapHost"]), ptr(p.Form["imapUsername"]), &sec
		ch.IMAPFolder, ch.IMAPProcessed = ptr(p.Form["imapFolder"]), ptr(p.Form["imapProcessed"])
		ch.IMAPPassword = &password
		if n := formInt(p, "imapPoll", 5, 86400); n != nil {
			poll := int(*n)
			ch.IMAPPoll = &poll
		}
	}
	if len(p.Errors) > 0 {
		bad()
		return
	}
	m, err := h.opt.Mail.AddMailbox(r.Context(), ch)
	if err != nil {
		formErr(p, err, map[string]string{"address": "address", "exists": "address", "imap security": "imapSecurity", "poll": "imapPoll",
			"imap": "imapHost", "rate limit": "rateLimit", "domain": "domains", "queue": "queue", "status": "status", "priority": "priority",
			"source": "source", "fallback": "fallback", "kind": "kind"})
		bad()
		return
	}
	http.Redirect(w, r, "/admin/integrations/mailboxes?flash="+url.QueryEscape("Mailbox "+m.Address+" was added."), http.StatusSeeOther)
}

// Sync jobs

type syncView struct {
	Enabled     bool
	Jobs        []*sync.Job
	Connections []*connection.Connection
	// The answer of "Sync now", in place.
	Ran     string
	Result  *sync.Status
	RunErr  string
	Running bool
	Counts  []entityCounts // of Result, by entity
}

type entityCounts struct {
	Name string
	*sync.Counts
}

// entityLabel is an entity's name in words: "CompanyLocations" is "Company locations".
func entityLabel(name string) string {
	var b strings.Builder
	for i, c := range name {
		if i > 0 && c >= 'A' && c <= 'Z' {
			b.WriteByte(' ')
			c += 'a' - 'A'
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (h *Handler) syncPage(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Title, p.Section = "Sync jobs", "integrations"
	h.renderSync(w, r, p, http.StatusOK)
}

func (h *Handler) renderSync(w http.ResponseWriter, r *http.Request, p *page, status int) {
	v, _ := p.Data.(*syncView)
	if v == nil {
		v = &syncView{}
	}
	if r.PostFormValue("action") != "add" { // not the form coming back with its errors
		p.Form["schedule"] = strconv.Itoa(sync.DefaultScheduleMinutes)
		p.Form["fullPass"] = strconv.Itoa(sync.DefaultFullPassHours)
	}
	if v.Result != nil {
		for name, c := range v.Result.Counts {
			v.Counts = append(v.Counts, entityCounts{Name: entityLabel(name), Counts: c})
		}
		sort.Slice(v.Counts, func(i, j int) bool { return v.Counts[i].Name < v.Counts[j].Name })
	}
	v.Enabled = h.opt.Sync != nil
	if v.Enabled {
		jobs, err := h.tenantJobs(r.Context(), p)
		if err != nil {
			h.fail(w, r, p, err)
			return
		}
		v.Jobs = jobs
		if cs := h.tenantConnections(p); cs != nil {
			v.Connections, _ = cs.List(r.Context())
		}
	}
	p.Data = v
	h.render(w, r, status, "sync", p)
}

func (h *Handler) tenantJobs(ctx context.Context, p *page) ([]*sync.Job, error) {
	all, err := h.opt.Sync.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []*sync.Job
	for _, j := range all {
		if j.TenantID == p.User.Tenant.ID {
			out = append(out, j)
		}
	}
	return out, nil
}

// tenantJob finds a sync job of the signed-in tenant by name.
func (h *Handler) tenantJob(ctx context.Context, p *page, name string) (*sync.Job, error) {
	j, err := h.opt.Sync.Get(ctx, name)
	if err != nil || j.TenantID != p.User.Tenant.ID {
		return nil, errNotVisible("sync job")
	}
	return j, nil
}

// syncNowWait is how long "Sync now" waits for the run before it answers that it goes on.
var syncNowWait = 25 * time.Second

func (h *Handler) syncAction(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Title, p.Section = "Sync jobs", "integrations"
	if h.opt.Sync == nil {
		h.fail(w, r, p, apperr.Invalid("Sync is not configured on this server."))
		return
	}
	ctx := r.Context()
	action := r.PostFormValue("action")
	if action == "add" {
		h.addSyncJob(w, r, s, p)
		return
	}
	j, err := h.tenantJob(ctx, p, r.PostFormValue("name"))
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	list := itemList{path: "/admin/integrations/sync", render: h.renderSync, words: syncError}
	switch action {
	case "run":
		v := &syncView{Ran: j.Name}
		if err := h.opt.Sync.RunAsync(ctx, j.Name, sync.RunOptions{}); err != nil {
			v.RunErr = syncError(err)
		} else {
			// Wait for the run (most runs after the first take seconds); a longer one goes on
			// and the page shows its progress when reloaded.
			deadline := time.Now().Add(syncNowWait)
			for {
				cur, err := h.opt.Sync.Get(ctx, j.Name)
				if err != nil {
					v.RunErr = syncError(err)
					break
				}
				if cur.Status.State != sync.StateSyncing || time.Now().After(deadline) || ctx.Err() != nil {
					st := cur.Status
					v.Result, v.Running = &st, st.State == sync.StateSyncing
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
		}
		p.Data = v
		h.renderSync(w, r, p, http.StatusOK)
	case "pause", "resume":
		err := h.opt.Sync.SetPaused(ctx, j.Name, action == "pause")
		msg := "Sync job " + j.Name + " runs again."
		if action == "pause" {
			msg = "Sync job " + j.Name + " is paused."
		}
		list.answer(w, r, p, err, msg)
	case "remove":
		err := h.opt.Sync.Remove(ctx, j.Name)
		list.answer(w, r, p, err, "Sync job "+j.Name+" was removed; the records it copied stay.")
	default:
		h.fail(w, r, p, errUnknown)
	}
}

// syncError is the words shown for a sync service error, without the package's prefixes.
func syncError(err error) string {
	var ae *apperr.Error
	if errors.As(err, &ae) && len(ae.Messages) > 0 {
		return strings.Join(ae.Messages, " ")
	}
	msg := err.Error()
	for _, prefix := range []string{sync.ErrInvalid.Error() + ": ", sync.ErrExists.Error() + ": ", sync.ErrRunning.Error() + ": ",
		sync.ErrPaused.Error() + ": ", sync.ErrNotFound.Error() + ": ", connection.ErrNotFound.Error() + ": ", connection.ErrOtherTenant.Error() + ": "} {
		msg = strings.TrimPrefix(msg, prefix)
	}
	if msg != "" {
		msg = strings.ToUpper(msg[:1]) + msg[1:]
		if !strings.HasSuffix(msg, ".") {
			msg += "."
		}
	}
	return msg
}

var syncFields = []string{"name", "connection", "twoWay", "schedule", "fullPass", "accountManager", "companyTypes", "classifications", "ciTypes", "queues"}

func splitList(v string) []string {
	var out []string
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func (h *Handler) addSyncJob(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	keep(p, r, syncFields...)
	bad := func() { h.renderSync(w, r, p, http.StatusUnprocessableEntity) }
	for _, f := range syncFields {
		if len(p.Form[f]) > 500 {
			p.Errors[f] = "At most 500 characters."
		}
	}
	if p.Form["name"] == "" {
		p.Errors["name"] = "Name the job."
	} else if len(p.Form["name"]) > 100 {
		p.Errors["name"] = "A name has at most 100 characters."
	}
	if p.Form["connection"] == "" {
		p.Errors["connection"] = "Choose the connection to copy from (add one on the Connections tab)."
	}
	in := sync.AddInput{Name: p.Form["name"], Connection: p.Form["connection"], Tenant: s.user.Tenant.Name, TwoWay: p.Form["twoWay"] != "",
		DefaultAccountManager: p.Form["accountManager"], CompanyTypes: splitList(p.Form["companyTypes"]),
		Classifications: splitList(p.Form["classifications"]), CITypes: splitList(p.Form["ciTypes"]), Queues: splitList(p.Form["queues"])}
	if n := formInt(p, "schedule", 0, 10080); n != nil {
		m := int(*n)
		in.ScheduleMinutes = &m
	}
	if n := formInt(p, "fullPass", 1, 8760); n != nil {
		in.FullPassHours = int(*n)
	}
	if len(p.Errors) > 0 {
		bad()
		return
	}
	// The connection must be this tenant's own (the page lists those); the service also
	// refuses another tenant's.
	if cs := h.tenantConnections(p); cs != nil {
		if _, err := cs.Get(r.Context(), in.Connection); err != nil {
			p.Errors["connection"] = fmt.Sprintf("There is no connection named %q.", in.Connection)
			bad()
			return
		}
	}
	j, err := h.opt.Sync.Add(r.Context(), in)
	if err != nil {
		msg := syncError(err)
		low := strings.ToLower(msg)
		switch {
		case errors.Is(err, sync.ErrExists):
			p.Errors["name"] = msg
		case strings.Contains(low, "account manager"):
			p.Errors["accountManager"] = msg
		case strings.Contains(low, "company type"):
			p.Errors["companyTypes"] = msg
		case strings.Contains(low, "classification"):
			p.Errors["classifications"] = msg
		case strings.Contains(low, "configuration item") || strings.Contains(low, "ci type"):
			p.Errors["ciTypes"] = msg
		case strings.Contains(low, "queue"):
			p.Errors["queues"] = msg
		case strings.Contains(low, "schedule"):
			p.Errors["schedule"] = msg
		default:
			p.Error = "The job was not added: " + msg
		}
		bad()
		return
	}
	http.Redirect(w, r, "/admin/integrations/sync?flash="+url.QueryEscape("Sync job "+j.Name+" was added. Press Sync now to run it, or it runs on its schedule."), http.StatusSeeOther)
}
