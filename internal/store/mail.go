package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Mailbox is the stored record of an email-to-ticket mailbox (internal/mail). It belongs to the
// deployment: its address is unique across tenants. Settings is JSON that internal/mail owns;
// SecretEnc is the IMAP password as ciphertext.
type Mailbox struct {
	ID         int64
	Address    string // lower-case
	TenantID   int64  // the local tenant (also the one a connection-target mailbox is kept under)
	Connection string // when set, ticket work goes to this connection
	Kind       string // smtp or imap
	Settings   string
	SecretEnc  string
	Active     bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

const mailboxColumns = `id, address, tenant_id, connection, kind, settings, secret_enc, active, created_at, updated_at`

func scanMailbox(row scanner) (*Mailbox, error) {
	var m Mailbox
	var active int
	var created, updated string
	if err := row.Scan(&m.ID, &m.Address, &m.TenantID, &m.Connection, &m.Kind, &m.Settings, &m.SecretEnc, &active, &created, &updated); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	m.Active = active != 0
	m.CreatedAt, _ = time.Parse(time.RFC3339Nano, created)
	m.UpdatedAt, _ = time.Parse(time.RFC3339Nano, updated)
	return &m, nil
}

// CreateMailbox stores a new mailbox and sets its id; ErrConflict when the address is taken.
func (db *DB) CreateMailbox(ctx context.Context, m *Mailbox) error {
	now := time.Now().UTC()
	m.CreatedAt, m.UpdatedAt = now, now
	m.Address = strings.ToLower(m.Address)
	for attempt := 0; ; attempt++ {
		err := db.InTx(ctx, func(tx *Tx) error {
			var exists int
			if err := tx.tx.QueryRowContext(ctx, rebind(db.Dialect, `SELECT 1 FROM mailboxes WHERE address = ?`), m.Address).Scan(&exists); err == nil {
				return fmt.Errorf("%w: a mailbox for %s exists", ErrConflict, m.Address)
			}
			if err := tx.tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM mailboxes`).Scan(&m.ID); err != nil {
				return err
			}
			_, err := tx.tx.ExecContext(ctx, rebind(db.Dialect, `INSERT INTO mailboxes (`+mailboxColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
				m.ID, m.Address, m.TenantID, m.Connection, m.Kind, m.Settings, m.SecretEnc, boolInt(m.Active), now.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano))
			return err
		})
		if err != nil && isUniqueViolation(err) && attempt < 10 {
			continue
		}
		return err
	}
}

// UpdateMailbox saves every field of m but its id and creation time.
func (db *DB) UpdateMailbox(ctx context.Context, m *Mailbox) error {
	m.UpdatedAt = time.Now().UTC()
	m.Address = strings.ToLower(m.Address)
	res, err := db.write.ExecContext(ctx, rebind(db.Dialect, `UPDATE mailboxes SET address = ?, tenant_id = ?, connection = ?, kind = ?, settings = ?, secret_enc = ?, active = ?, updated_at = ? WHERE id = ?`),
		m.Address, m.TenantID, m.Connection, m.Kind, m.Settings, m.SecretEnc, boolInt(m.Active), m.UpdatedAt.Format(time.RFC3339Nano), m.ID)
	if err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("%w: a mailbox for %s exists", ErrConflict, m.Address)
		}
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteMailbox removes a mailbox and its processing log.
func (db *DB) DeleteMailbox(ctx context.Context, id int64) error {
	return db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(ctx, rebind(db.Dialect, `DELETE FROM mailboxes WHERE id = ?`), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		_, err = tx.tx.ExecContext(ctx, rebind(db.Dialect, `DELETE FROM mail_messages WHERE mailbox_id = ?`), id)
		return err
	})
}

// MailboxByAddress finds a mailbox by its address (case-insensitive).
func (db *DB) MailboxByAddress(ctx context.Context, address string) (*Mailbox, error) {
	return scanMailbox(db.read.QueryRowContext(ctx, rebind(db.Dialect, `SELECT `+mailboxColumns+` FROM mailboxes WHERE address = ?`), strings.ToLower(address)))
}

// MailboxByID finds a mailbox by id.
func (db *DB) MailboxByID(ctx context.Context, id int64) (*Mailbox, error) {
	return scanMailbox(db.read.QueryRowContext(ctx, rebind(db.Dialect, `SELECT `+mailboxColumns+` FROM mailboxes WHERE id = ?`), id))
}

// Mailboxes lists mailboxes by id: every one when tenantID is 0, else those of the tenant.
func (db *DB) Mailboxes(ctx context.Context, tenantID int64) ([]*Mailbox, error) {
	q, args := `SELECT `+mailboxColumns+` FROM mailboxes ORDER BY id`, []any{}
	if tenantID != 0 {
		q, args = `SELECT `+mailboxColumns+` FROM mailboxes WHERE tenant_id = ? ORDER BY id`, []any{tenantID}
	}
	rows, err := db.read.QueryContext(ctx, rebind(db.Dialect, q), args...)
	return scanAll(rows, err, scanMailbox)
}

// MailMessage is one row of the processing log.
type MailMessage struct {
	ID           int64
	MailboxID    int64
	MessageID    string
	Sender       string
	Subject      string
	Size         int64
	ReceivedAt   time.Time
	ProcessedAt  time.Time
	Outcome      string
	Reason       string
	TicketID     int64
	TicketNumber string
	NoteID       int64
	Attempts     int64
	Raw          string // base64; empty once the message needs no re-processing
}

const mailMessageColumns = `id, mailbox_id, message_id, sender, subject, size, received_at, processed_at, outcome, reason, ticket_id, ticket_number, note_id, attempts`

func scanMailMessage(row scanner, withRaw bool) (*MailMessage, error) {
	var m MailMessage
	var received, processed string
	dst := []any{&m.ID, &m.MailboxID, &m.MessageID, &m.Sender, &m.Subject, &m.Size, &received, &processed, &m.Outcome, &m.Reason,
		&m.TicketID, &m.TicketNumber, &m.NoteID, &m.Attempts}
	if withRaw {
		dst = append(dst, &m.Raw)
	}
	if err := row.Scan(dst...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	m.ReceivedAt, _ = time.Parse(time.RFC3339Nano, received)
	m.ProcessedAt, _ = time.Parse(time.RFC3339Nano, processed)
	return &m, nil
}

// utcText is the fixed-width UTC text datetimes of these tables are kept as, so text order is
// time order.
func utcText(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

// InsertMailMessage records a received message (or, when its outcome is already decided, a
// processed one: ProcessedAt set) and sets its id. When the mailbox already has a
// message with that Message-ID it returns ErrConflict and the earlier row.
func (db *DB) InsertMailMessage(ctx context.Context, m *MailMessage) (*MailMessage, error) {
	for attempt := 0; ; attempt++ {
		err := db.InTx(ctx, func(tx *Tx) error {
			if err := tx.tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM mail_messages`).Scan(&m.ID); err != nil {
				return err
			}
			processed := ""
			if !m.ProcessedAt.IsZero() {
				processed = utcText(m.ProcessedAt)
			}
			_, err := tx.tx.ExecContext(ctx, rebind(db.Dialect, `INSERT INTO mail_messages (id, mailbox_id, message_id, sender, subject, size, received_at, processed_at, outcome, reason, attempts, raw)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
				m.ID, m.MailboxID, m.MessageID, m.Sender, m.Subject, m.Size, utcText(m.ReceivedAt), processed, m.Outcome, m.Reason, m.Attempts, m.Raw)
			return err
		})
		if err == nil {
			return nil, nil
		}
		if !isUniqueViolation(err) {
			return nil, err
		}
		prev, perr := scanMailMessage(db.read.QueryRowContext(ctx, rebind(db.Dialect, `SELECT `+mailMessageColumns+` FROM mail_messages WHERE mailbox_id = ? AND message_id = ?`), m.MailboxID, m.MessageID), false)
		if perr == nil {
			return prev, ErrConflict
		}
		if attempt >= 10 {
			return nil, err
		}
		// Two messages took the same id at once; the loser tries again.
	}
}

// FinishMailMessage records the outcome of processing; keepRaw false forgets the message text.
func (db *DB) FinishMailMessage(ctx context.Context, m *MailMessage, keepRaw bool) error {
	m.ProcessedAt = time.Now().UTC()
	q := `UPDATE mail_messages SET processed_at = ?, outcome = ?, reason = ?, ticket_id = ?, ticket_number = ?, note_id = ?, attempts = attempts + 1`
	if !keepRaw {
		q += `, raw = ''`
	}
	_, err := db.write.ExecContext(ctx, rebind(db.Dialect, q+` WHERE id = ?`),
		utcText(m.ProcessedAt), m.Outcome, m.Reason, m.TicketID, m.TicketNumber, m.NoteID, m.ID)
	if err == nil {
		m.Attempts++
	}
	return err
}

// MailMessage returns one log row with its raw text.
func (db *DB) MailMessage(ctx context.Context, id int64) (*MailMessage, error) {
	return scanMailMessage(db.read.QueryRowContext(ctx, rebind(db.Dialect, `SELECT `+mailMessageColumns+`, raw FROM mail_messages WHERE id = ?`), id), true)
}

// MailFilter selects log rows: all fields optional; Text matches sender, subject, Message-ID or
// ticket number (case-insensitive substring).
type MailFilter struct {
	MailboxIDs []int64
	Outcome    string
	Text       string
	Sender     string
	BeforeID   int64 // newest first: only rows with a smaller id
	Limit      int
}

// MailMessages lists log rows, newest first.
func (db *DB) MailMessages(ctx context.Context, f MailFilter) ([]*MailMessage, error) {
	var where []string
	var args []any
	if len(f.MailboxIDs) > 0 {
		ph := make([]string, len(f.MailboxIDs))
		for i, id := range f.MailboxIDs {
			ph[i] = "?"
			args = append(args, id)
		}
		where = append(where, "mailbox_id IN ("+strings.Join(ph, ", ")+")")
	}
	if f.Outcome != "" {
		where, args = append(where, "outcome = ?"), append(args, f.Outcome)
	}
	if f.Sender != "" {
		where, args = append(where, "sender = ?"), append(args, strings.ToLower(f.Sender))
	}
	if f.Text != "" {
		like := "%" + escapeLikeText(strings.ToLower(f.Text)) + "%"
		where = append(where, `(lower(sender) LIKE ? ESCAPE '\' OR lower(subject) LIKE ? ESCAPE '\' OR lower(message_id) LIKE ? ESCAPE '\' OR lower(ticket_number) LIKE ? ESCAPE '\' OR lower(reason) LIKE ? ESCAPE '\')`)
		args = append(args, like, like, like, like, like)
	}
	if f.BeforeID > 0 {
		where, args = append(where, "id < ?"), append(args, f.BeforeID)
	}
	q := `SELECT ` + mailMessageColumns + ` FROM mail_messages`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	q += fmt.Sprintf(" ORDER BY id DESC LIMIT %d", f.Limit)
	rows, err := db.read.QueryContext(ctx, rebind(db.Dialect, q), args...)
	return scanAll(rows, err, func(row scanner) (*MailMessage, error) { return scanMailMessage(row, false) })
}

// latestMailBranches is how many mailboxes one LatestMailMessages statement reads (SQLite allows
// 500 terms in a compound select).
const latestMailBranches = 100

// LatestMailMessages returns the newest perMailbox log rows of each mailbox, newest first, keyed
// by mailbox id (a mailbox with no rows is absent). One statement reads up to 100 mailboxes: a
// UNION ALL of one limited select per mailbox, so that each stays a walk of the (mailbox_id, id)
// index that stops at its limit, where a ROW_NUMBER window would number every row of the log.
func (db *DB) LatestMailMessages(ctx context.Context, mailboxIDs []int64, perMailbox int) (map[int64][]*MailMessage, error) {
	if perMailbox <= 0 || perMailbox > 1000 {
		perMailbox = 100
	}
	out := map[int64][]*MailMessage{}
	for start := 0; start < len(mailboxIDs); start += latestMailBranches {
		ids := mailboxIDs[start:min(start+latestMailBranches, len(mailboxIDs))]
		branches := make([]string, len(ids))
		args := make([]any, len(ids))
		for i, id := range ids {
			branches[i] = fmt.Sprintf(`SELECT * FROM (SELECT %s FROM mail_messages WHERE mailbox_id = ? ORDER BY id DESC LIMIT %d) AS m%d`, mailMessageColumns, perMailbox, i)
			args[i] = id
		}
		q := strings.Join(branches, " UNION ALL ") + " ORDER BY mailbox_id, id DESC"
		rows, err := db.read.QueryContext(ctx, rebind(db.Dialect, q), args...)
		list, err := scanAll(rows, err, func(row scanner) (*MailMessage, error) { return scanMailMessage(row, false) })
		if err != nil {
			return nil, err
		}
		for _, m := range list {
			out[m.MailboxID] = append(out[m.MailboxID], m)
		}
	}
	return out, nil
}

// CountMailFromSender counts a sender's messages to a mailbox received since a time whose
// outcome is one of outcomes (all when none given).
func (db *DB) CountMailFromSender(ctx context.Context, mailboxID int64, sender string, since time.Time, outcomes ...string) (int64, error) {
	q := `SELECT COUNT(*) FROM mail_messages WHERE mailbox_id = ? AND sender = ? AND received_at >= ?`
	args := []any{mailboxID, strings.ToLower(sender), utcText(since)}
	if len(outcomes) > 0 {
		ph := make([]string, len(outcomes))
		for i, o := range outcomes {
			ph[i] = "?"
			args = append(args, o)
		}
		q += " AND outcome IN (" + strings.Join(ph, ", ") + ")"
	}
	var n int64
	err := db.read.QueryRowContext(ctx, rebind(db.Dialect, q), args...).Scan(&n)
	return n, err
}

func escapeLikeText(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
