package mail

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchboard-psa/switchboard/autotask"
	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/connection"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// Outcomes of the processing log.
const (
	OutcomeReceived  = "received"  // stored, not yet processed (or processing was interrupted)
	OutcomeTicket    = "ticket"    // a ticket was created
	OutcomeNote      = "note"      // a note was added to the ticket named in the subject
	OutcomeIgnored   = "ignored"   // auto-reply, bounce, bulk or list mail
	OutcomeHeld      = "held"      // over the sender's rate limit; kept, can be re-processed
	OutcomeFailed    = "failed"    // the ticket work failed; kept, can be re-processed
	OutcomeDuplicate = "duplicate" // a Message-ID the mailbox has already had; not logged again
)

// Autotask's attachment limits (REST API thresholds): per file, and per tenant in five minutes.
const (
	MaxAttachmentBytes    = 6 << 20
	AttachmentWindowBytes = 10_000_000
	AttachmentWindow      = 5 * time.Minute
)

// Entry is one processed message as the log shows it.
type Entry struct {
	ID           int64     `json:"id"`
	MailboxID    int64     `json:"mailboxID"`
	Mailbox      string    `json:"mailbox,omitempty"`
	MessageID    string    `json:"messageID"`
	Sender       string    `json:"sender"`
	Subject      string    `json:"subject"`
	Size         int64     `json:"size"`
	ReceivedAt   time.Time `json:"receivedAt"`
	ProcessedAt  time.Time `json:"processedAt,omitzero"`
	Outcome      string    `json:"outcome"`
	Reason       string    `json:"reason,omitempty"`
	TicketID     int64     `json:"ticketID,omitempty"`
	TicketNumber string    `json:"ticketNumber,omitempty"`
	NoteID       int64     `json:"noteID,omitempty"`
	Attempts     int64     `json:"attempts"`
	// Link is the ticket in the REST API of the mailbox's target.
	Link string `json:"link,omitempty"`
	// CanReprocess is true for held and failed messages (their text is kept).
	CanReprocess bool `json:"canReprocess"`
}

func (s *Service) entry(rec *store.MailMessage, mb *store.Mailbox) *Entry {
	return s.entryIn(rec, mb, nil)
}

// entryIn is entry for one of a listing's entries: bases, when not nil, keeps each mailbox's
// ticket link base for the rest of the listing (a connection's is read from the database).
func (s *Service) entryIn(rec *store.MailMessage, mb *store.Mailbox, bases map[int64]string) *Entry {
	e := &Entry{ID: rec.ID, MailboxID: rec.MailboxID, MessageID: rec.MessageID, Sender: rec.Sender, Subject: rec.Subject, Size: rec.Size,
		ReceivedAt: rec.ReceivedAt, ProcessedAt: rec.ProcessedAt, Outcome: rec.Outcome, Reason: rec.Reason, TicketID: rec.TicketID,
		TicketNumber: rec.TicketNumber, NoteID: rec.NoteID, Attempts: rec.Attempts,
		CanReprocess: rec.Outcome == OutcomeFailed || rec.Outcome == OutcomeHeld || rec.Outcome == OutcomeReceived}
	if mb != nil {
		e.Mailbox = mb.Address
		if rec.TicketID != 0 {
			base, ok := bases[mb.ID]
			if !ok {
				base = s.ticketLinkBase(mb)
				if bases != nil {
					bases[mb.ID] = base
				}
			}
			e.Link = base + fmt.Sprint(rec.TicketID)
		}
	}
	return e
}

// ticketLinkBase is where a mailbox's tickets are, to be followed by a ticket id.
func (s *Service) ticketLinkBase(mb *store.Mailbox) string {
	if mb.Connection != "" && s.Connections != nil {
		if c, err := s.Connections.Get(context.Background(), mb.Connection); err == nil && c.BaseURL != "" {
			return strings.TrimRight(c.BaseURL, "/") + "/V1.0/Tickets/"
		}
		return "connection " + mb.Connection + ": Tickets/"
	}
	return "/ATServicesRest/V1.0/Tickets/"
}

// Receive takes one message for a mailbox — from the SMTP listener, the IMAP poller or a test
// — records it, and processes it: duplicates, noise and senders over their rate limit are
// stopped before anything reaches the target. envelopeFrom is the SMTP MAIL FROM ("<>" for a
// bounce; "" when unknown).
func (s *Service) Receive(ctx context.Context, mb *store.Mailbox, raw []byte, envelopeFrom string) (*Entry, error) {
	m, perr := Parse(raw)
	rec := &store.MailMessage{MailboxID: mb.ID, Size: int64(len(raw)), ReceivedAt: s.now(), Outcome: OutcomeReceived,
		Raw: base64.StdEncoding.EncodeToString(raw)}
	if perr != nil {
		rec.MessageID = messageID(gomailHeaderOf(nil), raw)
		rec.Sender = strings.ToLower(strings.Trim(envelopeFrom, "<>"))
	} else {
		rec.MessageID, rec.Sender, rec.Subject = m.MessageID, m.From, truncate(m.Subject, 500)
		if rec.Sender == "" {
			rec.Sender = strings.ToLower(strings.Trim(envelopeFrom, "<>"))
		}
	}
	// Noise and senders over their limit are decided before anything else, and recorded with
	// their outcome in one write: a loop costs one row a message and no ticket work.
	decided := true
	var st Settings
	if perr != nil {
		rec.Outcome, rec.Reason = OutcomeFailed, perr.Error()
	} else {
		st, decided = s.screen(ctx, mb, rec, m, envelopeFrom, true)
	}
	if decided {
		rec.ProcessedAt, rec.Attempts = s.now(), 1
		if rec.Outcome != OutcomeFailed && rec.Outcome != OutcomeHeld {
			rec.Raw = ""
		}
	}
	prev, err := s.DB.InsertMailMessage(ctx, rec)
	if errors.Is(err, store.ErrConflict) {
		e := s.entry(prev, mb)
		e.Outcome, e.Reason = OutcomeDuplicate, fmt.Sprintf("Message-ID already received (log entry %d: %s)", prev.ID, prev.Outcome)
		return e, nil
	}
	if err != nil {
		return nil, err
	}
	if decided {
		return s.entry(rec, mb), nil
	}
	s.route(ctx, mb, st, rec, m)
	if err := s.finish(ctx, rec); err != nil {
		return nil, err
	}
	return s.entry(rec, mb), nil
}

func (s *Service) finish(ctx context.Context, rec *store.MailMessage) error {
	keep := rec.Outcome == OutcomeFailed || rec.Outcome == OutcomeHeld
	// The outcome must be recorded even when the caller gave up (a client that hung up).
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	return s.DB.FinishMailMessage(ctx, rec, keep)
}

// Reprocess processes a held or failed message again: noise is still ignored, the rate limit
// is not applied (someone asked for it).
func (s *Service) Reprocess(ctx context.Context, id int64) (*Entry, error) {
	rec, err := s.DB.MailMessage(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, apperr.New(404, "There is no message %d in the log.", id)
	}
	if err != nil {
		return nil, err
	}
	mb, err := s.DB.MailboxByID(ctx, rec.MailboxID)
	if err != nil {
		return nil, apperr.New(404, "The mailbox of message %d no longer exists.", id)
	}
	if rec.Raw == "" || (rec.Outcome != OutcomeFailed && rec.Outcome != OutcomeHeld && rec.Outcome != OutcomeReceived) {
		return nil, apperr.Invalid("Message %d was %s; only held and failed messages can be re-processed.", id, rec.Outcome)
	}
	raw, err := base64.StdEncoding.DecodeString(rec.Raw)
	if err != nil {
		return nil, err
	}
	m, perr := Parse(raw)
	if perr != nil {
		rec.Outcome, rec.Reason = OutcomeFailed, perr.Error()
	} else {
		rec.Outcome, rec.Reason = OutcomeReceived, ""
		if st, decided := s.screen(ctx, mb, rec, m, "", false); !decided {
			s.route(ctx, mb, st, rec, m)
		}
	}
	if err := s.finish(ctx, rec); err != nil {
		return nil, err
	}
	return s.entry(rec, mb), nil
}

// Log lists processed messages, newest first.
func (s *Service) Log(ctx context.Context, f store.MailFilter) ([]*Entry, error) {
	recs, err := s.DB.MailMessages(ctx, f)
	if err != nil {
		return nil, err
	}
	boxes, bases := map[int64]*store.Mailbox{}, map[int64]string{}
	out := make([]*Entry, 0, len(recs))
	for _, r := range recs {
		mb, ok := boxes[r.MailboxID]
		if !ok {
			mb, _ = s.DB.MailboxByID(ctx, r.MailboxID)
			boxes[r.MailboxID] = mb
		}
		out = append(out, s.entryIn(r, mb, bases))
	}
	return out, nil
}

// LatestLogs returns the newest entries of the log of each of a tenant's mailboxes, limit each,
// newest first, keyed by mailbox id (none for a mailbox with no mail): one read of the log for
// all of them.
func (s *Service) LatestLogs(ctx context.Context, tenantID int64, limit int) (map[int64][]*Entry, error) {
	boxes, err := s.DB.Mailboxes(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(boxes))
	for i, mb := range boxes {
		ids[i] = mb.ID
	}
	recs, err := s.DB.LatestMailMessages(ctx, ids, limit)
	if err != nil {
		return nil, err
	}
	out, bases := map[int64][]*Entry{}, map[int64]string{}
	for _, mb := range boxes {
		for _, r := range recs[mb.ID] {
			out[mb.ID] = append(out[mb.ID], s.entryIn(r, mb, bases))
		}
	}
	return out, nil
}

// LogEntry returns one log entry.
func (s *Service) LogEntry(ctx context.Context, id int64) (*Entry, error) {
	rec, err := s.DB.MailMessage(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, apperr.New(404, "There is no message %d in the log.", id)
	}
	if err != nil {
		return nil, err
	}
	mb, _ := s.DB.MailboxByID(ctx, rec.MailboxID)
	return s.entry(rec, mb), nil
}

// screen decides what needs no ticket work: an inactive mailbox, noise, mailbox settings that
// cannot be read, a sender over the rate limit (when limit is set; the count is of the sender's
// earlier messages). It reports whether rec's outcome is decided, and, when it is not, the
// mailbox's settings for the ticket work: they are decoded once a message.
func (s *Service) screen(ctx context.Context, mb *store.Mailbox, rec *store.MailMessage, m *Message, envelopeFrom string, limit bool) (st Settings, decided bool) {
	if !mb.Active {
		rec.Outcome, rec.Reason = OutcomeHeld, "the mailbox is inactive"
		return st, true
	}
	if reason := Noise(m, envelopeFrom, mb.Address); reason != "" {
		rec.Outcome, rec.Reason = OutcomeIgnored, reason
		return st, true
	}
	if err := jsonUnmarshal(mb.Settings, &st); err != nil {
		rec.Outcome, rec.Reason = OutcomeFailed, "mailbox settings: "+err.Error()
		return st, true
	}
	if !limit {
		return st, false
	}
	n, err := s.DB.CountMailFromSender(ctx, mb.ID, rec.Sender, rec.ReceivedAt.Add(-time.Hour),
		OutcomeReceived, OutcomeTicket, OutcomeNote, OutcomeFailed, OutcomeHeld)
	if err != nil {
		rec.Outcome, rec.Reason = OutcomeFailed, "rate limit: "+err.Error()
		return st, true
	}
	if n >= int64(st.RateLimit) {
		rec.Outcome, rec.Reason = OutcomeHeld, fmt.Sprintf("rate limit: %d messages from %s in the last hour (limit %d)", n+1, rec.Sender, st.RateLimit)
		return st, true
	}
	return st, false
}

// route does the ticket work of a screened message, with the mailbox's settings as screen read
// them.
func (s *Service) route(ctx context.Context, mb *store.Mailbox, st Settings, rec *store.MailMessage, m *Message) {
	t, err := s.target(ctx, mb)
	if err != nil {
		rec.Outcome, rec.Reason = OutcomeFailed, "target: "+describe(err)
		return
	}
	r := &router{s: s, t: t, st: st, mb: mb, m: m, rec: rec, key: targetKey(mb)}
	r.route(ctx)
}

func targetKey(mb *store.Mailbox) string {
	if mb.Connection != "" {
		return "connection:" + strings.ToLower(mb.Connection)
	}
	return fmt.Sprint("tenant:", mb.TenantID)
}

// router routes one message, in the order of the integration guide: ticket number in the
// subject, sender → contact, domain → company, fallback.
type router struct {
	s   *Service
	t   Target
	st  Settings
	mb  *store.Mailbox
	m   *Message
	rec *store.MailMessage
	key string
}

// TicketNumber is Autotask's ticket number: T, the date, a dot, a four-digit sequence.
var TicketNumber = regexp.MustCompile(`T\d{8}\.\d{4}`)

// Autotask picklist values the router writes.
const (
	noteTypeEmail   = 18 // Email Note
	publishAll      = 1  // All Autotask Users: the customer sees it too
	publishInternal = 2  // Internal Project Team
)

func (r *router) fail(err error, what string) {
	r.rec.Outcome, r.rec.Reason = OutcomeFailed, what+": "+describe(err)
}

func (r *router) route(ctx context.Context) {
	if num := TicketNumber.FindString(r.m.Subject); num != "" {
		items, err := r.t.Query(ctx, "Tickets", []any{cond("eq", "ticketNumber", num)}, 1)
		if err != nil {
			r.fail(err, "find ticket "+num)
			return
		}
		if len(items) == 1 {
			r.note(ctx, items[0], num)
			return
		}
	}
	contacts, err := r.t.Query(ctx, "Contacts", []any{map[string]any{"op": "or", "items": []any{
		cond("eq", "emailAddress", r.m.From), cond("eq", "emailAddress2", r.m.From), cond("eq", "emailAddress3", r.m.From)}}}, 5)
	if err != nil {
		r.fail(err, "find contact")
		return
	}
	var companyID, contactID int64
	how := ""
	if c := pickContact(contacts); c != nil {
		companyID, contactID = c.Int("companyID"), c.Int("id")
		how = fmt.Sprintf("sender is contact %d", contactID)
	} else if id, ok := r.companyByDomain(ctx); ok {
		companyID = id
		how = fmt.Sprintf("domain %s is company %d", domainOf(r.m.From), id)
		if r.st.CreateContacts {
			first, last := splitName(r.m.FromName, r.m.From)
			cid, err := r.t.Create(ctx, "Contacts", Record{"companyID": companyID, "firstName": first, "lastName": last,
				"emailAddress": r.m.From, "isActive": 1})
			if err != nil {
				r.fail(err, "create contact")
				return
			}
			contactID = cid
			how += fmt.Sprintf(", contact %d created", cid)
		}
	} else if r.rec.Outcome == OutcomeFailed {
		return
	} else {
		companyID = r.st.FallbackCompanyID
		how = fmt.Sprintf("fallback company %d", companyID)
	}
	title := truncate(r.m.Subject, 255)
	if strings.TrimSpace(title) == "" {
		title = "New Ticket - " + r.s.now().UTC().Format("2006-01-02 15:04")
	}
	desc, extra := r.m.Text, []Attachment(nil)
	if utf8.RuneCountInString(desc) > 8000 {
		extra = append(extra, Attachment{Name: "message.txt", ContentType: "text/plain; charset=utf-8", Data: []byte(desc)})
		desc = truncate(desc, 7900) + "\n\n[The message continues in the attachment message.txt.]"
	}
	ticket := Record{"companyID": companyID, "title": title, "description": desc, "status": r.st.Status,
		"priority": r.st.Priority, "source": r.st.Source}
	if contactID != 0 {
		ticket["contactID"] = contactID
	}
	if r.st.QueueID != 0 {
		ticket["queueID"] = r.st.QueueID
	}
	id, err := r.t.Create(ctx, "Tickets", ticket)
	if err != nil {
		r.fail(err, "create ticket ("+how+")")
		return
	}
	r.rec.Outcome, r.rec.TicketID, r.rec.Reason = OutcomeTicket, id, how
	if got, err := r.t.Get(ctx, "Tickets", id); err == nil && got != nil {
		r.rec.TicketNumber = got.String("ticketNumber")
	}
	r.attach(ctx, "Tickets", id, extra)
}

func (r *router) note(ctx context.Context, ticket Record, num string) {
	ticketID := ticket.Int("id")
	publish, how := publishInternal, "sender is not the ticket's contact"
	if cid := ticket.Int("contactID"); cid != 0 {
		c, err := r.t.Get(ctx, "Contacts", cid)
		if err != nil {
			r.fail(err, "read the ticket's contact")
			return
		}
		if c != nil && hasEmail(c, r.m.From) {
			publish, how = publishAll, fmt.Sprintf("sender is the ticket's contact %d", cid)
		}
	}
	// A resource answering by mail writes the note as itself, where the access model allows it.
	var resourceID int64
	if publish == publishInternal {
		res, err := r.t.Query(ctx, "Resources", []any{cond("eq", "email", r.m.From), cond("eq", "isActive", true)}, 1)
		if err == nil && len(res) == 1 {
			resourceID = res[0].Int("id")
			how = fmt.Sprintf("sender is resource %d", resourceID)
		}
	}
	text := TrimReply(r.m.Text)
	if strings.TrimSpace(text) == "" {
		text = "(no text)"
	}
	note := Record{"ticketID": ticketID, "title": truncate(orDefault(r.m.Subject, "Email"), 250), "description": truncate(text, 32000),
		"noteType": noteTypeEmail, "publish": publish}
	noteID, err := r.t.ChildCreate(asResource(ctx, resourceID), "Tickets", ticketID, "Notes", note)
	if err != nil && resourceID != 0 && isPermission(err) {
		// The resource may not be impersonated (or may not add notes): the mailbox's own user writes it.
		how += " (impersonation refused; written by the mailbox's user)"
		noteID, err = r.t.ChildCreate(ctx, "Tickets", ticketID, "Notes", note)
	}
	if err != nil {
		r.fail(err, "add note to "+num)
		return
	}
	r.rec.Outcome, r.rec.TicketID, r.rec.TicketNumber, r.rec.NoteID, r.rec.Reason = OutcomeNote, ticketID, ticket.String("ticketNumber"), noteID, how
	if r.rec.TicketNumber == "" {
		r.rec.TicketNumber = num
	}
	r.attach(ctx, "TicketNotes", noteID, nil)
}

// attach adds the message's attachments to a ticket or a note within Autotask's limits; what
// does not fit is named in the log.
func (r *router) attach(ctx context.Context, parent string, parentID int64, extra []Attachment) {
	var skipped []string
	for _, a := range append(r.m.Attachments, extra...) {
		if a.Inline && strings.HasPrefix(a.ContentType, "image/") && !r.st.InlineImages {
			continue
		}
		if len(a.Data) > MaxAttachmentBytes {
			skipped = append(skipped, fmt.Sprintf("%s (%s, over the %d MB limit per file)", a.Name, size(len(a.Data)), MaxAttachmentBytes>>20))
			continue
		}
		if !r.s.budget.take(r.key, len(a.Data), r.s.now()) {
			skipped = append(skipped, fmt.Sprintf("%s (%s, over the 10,000,000 bytes per 5 minutes limit)", a.Name, size(len(a.Data))))
			continue
		}
		name := truncate(a.Name, 100)
		rec := Record{"title": name, "fullPath": name, "attachmentType": "FILE_ATTACHMENT", "publish": 1,
			"contentType": a.ContentType, "data": base64.StdEncoding.EncodeToString(a.Data)}
		if _, err := r.t.ChildCreate(ctx, parent, parentID, "Attachments", rec); err != nil {
			skipped = append(skipped, fmt.Sprintf("%s (%s)", a.Name, describe(err)))
		}
	}
	if len(skipped) > 0 {
		r.rec.Reason += "; not attached: " + strings.Join(skipped, ", ")
	}
}

// companyByDomain finds the company of the sender's domain: the mailbox's extra domains first,
// then the companies' web addresses.
func (r *router) companyByDomain(ctx context.Context) (int64, bool) {
	d := domainOf(r.m.From)
	if d == "" {
		return 0, false
	}
	if id, ok := r.st.Domains[d]; ok {
		return id, true
	}
	items, err := r.t.Query(ctx, "Companies", []any{cond("contains", "webAddress", d)}, 50)
	if err != nil {
		r.fail(err, "find company by domain")
		return 0, false
	}
	var best int64
	found := false
	for _, c := range items {
		host := webHost(c.String("webAddress"))
		if host == d || strings.HasSuffix(host, "."+d) {
			if active, ok := c["isActive"].(bool); ok && !active {
				continue
			}
			if !found || c.Int("id") < best {
				best, found = c.Int("id"), true
			}
		}
	}
	return best, found
}

func cond(op, field string, value any) map[string]any {
	return map[string]any{"op": op, "field": field, "value": value}
}

// pickContact prefers an active contact, then the lowest id.
func pickContact(list []Record) Record {
	var best Record
	for _, c := range list {
		active := c.Int("isActive") != 0 || c["isActive"] == true
		bestActive := best != nil && (best.Int("isActive") != 0 || best["isActive"] == true)
		switch {
		case best == nil, active && !bestActive, active == bestActive && c.Int("id") < best.Int("id"):
			best = c
		}
	}
	return best
}

func hasEmail(c Record, addr string) bool {
	for _, f := range []string{"emailAddress", "emailAddress2", "emailAddress3"} {
		if strings.EqualFold(strings.TrimSpace(c.String(f)), addr) {
			return true
		}
	}
	return false
}

func domainOf(addr string) string {
	_, d, ok := strings.Cut(addr, "@")
	if !ok {
		return ""
	}
	return normalizeDomain(d)
}

// webHost is the host of a company's web address ("https://www.example.com/x" → www.example.com).
func webHost(w string) string {
	w = strings.ToLower(strings.TrimSpace(w))
	if w == "" {
		return ""
	}
	if !strings.Contains(w, "://") {
		w = "http://" + w
	}
	u, err := url.Parse(w)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(u.Hostname(), ".")
}

func splitName(name, addr string) (first, last string) {
	f := strings.Fields(name)
	switch {
	case len(f) >= 2:
		first, last = strings.Join(f[:len(f)-1], " "), f[len(f)-1]
	case len(f) == 1:
		first, last = f[0], f[0]
	default:
		local, _, _ := strings.Cut(addr, "@")
		first, last = local, local
	}
	return truncate(first, 50), truncate(last, 50)
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

func size(n int) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }

func isPermission(err error) bool {
	if errors.Is(err, autotask.ErrPermission) {
		return true
	}
	if ae := apperr.As(err); ae != nil && ae.Status == 403 {
		return true
	}
	return false
}

// describe is an error for the log: the API's own words.
func describe(err error) string {
	var apiErr *autotask.APIError
	if errors.As(err, &apiErr) {
		reason, detail := connection.Classify(err)
		return reason + ": " + detail
	}
	if ae := apperr.As(err); ae != nil && len(ae.Messages) > 0 {
		return strings.Join(ae.Messages, "; ")
	}
	return err.Error()
}
