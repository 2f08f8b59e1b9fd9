package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchboard-psa/switchboard/internal/mail"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// openMail opens the database, the connections (for mailboxes that target one, and the key
// that seals IMAP passwords) and the mail service.
func (a *app) openMail(ctx context.Context) (*mail.Service, func(), error) {
	svc, conns, closeDB, err := a.openSealed(ctx)
	if err != nil {
		return nil, nil, err
	}
	conns.Logger = a.logger()
	return mail.NewService(svc, conns, a.logger()), closeDB, nil
}

// withMail opens the mail service for one command, runs fn with it, and closes the database.
func (a *app) withMail(ctx context.Context, fn func(svc *mail.Service) error) error {
	svc, closeDB, err := a.openMail(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	return fn(svc)
}

// mailboxFlags are the flags of add and edit.
type mailboxFlags struct {
	address, tenant, conn, kind, active               string
	queue, source, status, priority, fallback         int64
	create, inline                                    string
	rate                                              int
	domains, removeDomains                            []string
	imapHost, imapUser, imapPass, imapSec, imapFolder string
	imapProcessed, imapCA                             string
	imapPoll                                          int
}

func (f *mailboxFlags) register(cmd *cobra.Command, edit bool) {
	fl := cmd.Flags()
	fl.StringVar(&f.address, "address", "", "the inbound address, e.g. support@example.com (required)")
	fl.StringVar(&f.tenant, "tenant", "", "the local tenant tickets go to")
	fl.StringVar(&f.conn, "connection", "", "a connection (switchboard connection add) tickets go to through the REST API, instead of a local tenant")
	fl.StringVar(&f.kind, "kind", "smtp", "smtp (mail arrives at serve --smtp-addr) or imap (Switchboard polls an IMAP account)")
	fl.Int64Var(&f.queue, "queue", 0, "queue id of new tickets (0: none)")
	fl.Int64Var(&f.source, "source", mail.DefaultSource, "source of new tickets (2: Email)")
	fl.Int64Var(&f.status, "status", mail.DefaultStatus, "status of new tickets (1: New)")
	fl.Int64Var(&f.priority, "priority", mail.DefaultPriority, "priority of new tickets (2: Medium)")
	fl.Int64Var(&f.fallback, "fallback-company", 0, "company of mail no rule matched (0: the tenant's own company)")
	fl.StringVar(&f.create, "create-contacts", "no", "yes: an unknown sender whose domain matched a company becomes a contact")
	fl.StringVar(&f.inline, "inline-images", "no", "yes: also attach images embedded in the body (signature logos too)")
	fl.IntVar(&f.rate, "rate-limit", mail.DefaultRateLimit, "messages one sender may send per hour; the rest are held")
	fl.StringArrayVar(&f.domains, "domain", nil, "extra domain of a company, domain=companyID (repeatable)")
	fl.StringVar(&f.imapHost, "imap-host", "", "IMAP server host:port")
	fl.StringVar(&f.imapUser, "imap-username", "", "IMAP username")
	fl.StringVar(&f.imapPass, "imap-password", "", `IMAP password (stored encrypted); "-" reads it from standard input; SWITCHBOARD_IMAP_PASSWORD`)
	fl.StringVar(&f.imapSec, "imap-security", "tls", "tls (port 993), starttls, or none (a server on this host only)")
	fl.StringVar(&f.imapFolder, "imap-folder", mail.DefaultFolder, "folder read")
	fl.StringVar(&f.imapProcessed, "imap-processed-folder", mail.DefaultProcessed, "folder processed mail is moved to")
	fl.IntVar(&f.imapPoll, "imap-poll", mail.DefaultPoll, "seconds between polls when the server has no IDLE")
	fl.StringVar(&f.imapCA, "imap-ca-file", "", "PEM certificate authorities to trust for the IMAP server, besides the system's")
	if edit {
		fl.StringVar(&f.active, "active", "", "yes or no: an inactive mailbox holds what it receives")
		fl.StringArrayVar(&f.removeDomains, "remove-domain", nil, "extra domain to remove (repeatable)")
	}
}

func (f *mailboxFlags) change(cmd *cobra.Command) (mail.MailboxChange, error) {
	var ch mail.MailboxChange
	fl := cmd.Flags()
	str := func(name string, v string) *string {
		if fl.Changed(name) {
			return &v
		}
		return nil
	}
	i64 := func(name string, v int64) *int64 {
		if fl.Changed(name) {
			return &v
		}
		return nil
	}
	ch.Address, ch.Tenant, ch.Connection = str("address", f.address), str("tenant", f.tenant), str("connection", f.conn)
	ch.Kind = str("kind", f.kind)
	ch.QueueID, ch.Source, ch.Status, ch.Priority, ch.Fallback = i64("queue", f.queue), i64("source", f.source), i64("status", f.status),
		i64("priority", f.priority), i64("fallback-company", f.fallback)
	for _, b := range []struct {
		name string
		v    string
		dst  **bool
	}{{"create-contacts", f.create, &ch.Create}, {"inline-images", f.inline, &ch.InlineImages}, {"active", f.active, &ch.Active}} {
		if fl.Lookup(b.name) != nil && fl.Changed(b.name) {
			v, err := parseYesNo(b.name, b.v)
			if err != nil {
				return ch, err
			}
			*b.dst = &v
		}
	}
	ifChanged(cmd, "rate-limit", &ch.RateLimit, &f.rate)
	ifChanged(cmd, "imap-poll", &ch.IMAPPoll, &f.imapPoll)
	for _, d := range f.domains {
		name, id, ok := strings.Cut(d, "=")
		n, err := strconv.ParseInt(strings.TrimSpace(id), 10, 64)
		if !ok || err != nil {
			return ch, fmt.Errorf("--domain %q: give domain=companyID", d)
		}
		if ch.AddDomains == nil {
			ch.AddDomains = map[string]int64{}
		}
		ch.AddDomains[name] = n
	}
	ch.RemoveDomains = f.removeDomains
	ch.IMAPHost, ch.IMAPUsername, ch.IMAPSecurity = str("imap-host", f.imapHost), str("imap-username", f.imapUser), str("imap-security", f.imapSec)
	ch.IMAPFolder, ch.IMAPProcessed, ch.IMAPCAFile = str("imap-folder", f.imapFolder), str("imap-processed-folder", f.imapProcessed), str("imap-ca-file", f.imapCA)
	if !fl.Changed("imap-password") {
		if v, ok := os.LookupEnv("SWITCHBOARD_IMAP_PASSWORD"); ok {
			f.imapPass = v
			ch.IMAPPassword = &f.imapPass
		}
	} else {
		if err := readValue(cmd, &f.imapPass); err != nil {
			return ch, err
		}
		ch.IMAPPassword = &f.imapPass
	}
	return ch, nil
}

func (a *app) mailboxCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mailbox",
		Short: "Email to ticket: mailboxes, their processing log, re-processing",
		Long: `A mailbox turns the mail sent to one address into tickets and notes: mail that reaches
serve --smtp-addr for that address (kind smtp), or mail Switchboard polls from an IMAP account
(kind imap). Tickets go to a local tenant (--tenant) or through a connection's API user
(--connection). See docs/email.md.`,
	}
	cmd.AddCommand(a.mailboxAdd(), a.mailboxEdit(), a.mailboxList(), a.mailboxShow(), a.mailboxRemove(), a.mailboxLog(), a.mailboxReceive(), a.mailboxPoll())
	return cmd
}

func (a *app) printMailbox(m *mail.Mailbox, asJSON bool, what string) error {
	return a.print(asJSON, m, func() error {
		if what != "" {
			fmt.Fprintf(a.out, "Mailbox %s %s.\n", m.Address, what)
		}
		rows := [][]string{
			{"id:", fmt.Sprint(m.ID)}, {"address:", m.Address}, {"kind:", m.Kind}, {"target:", m.TargetText()}, {"active:", yesNoText(m.Active)},
			{"queue:", fmt.Sprint(m.QueueID)}, {"source:", fmt.Sprint(m.Source)}, {"status:", fmt.Sprint(m.Status)}, {"priority:", fmt.Sprint(m.Priority)},
			{"fallback company:", fmt.Sprint(m.FallbackCompanyID)}, {"create contacts:", yesNoText(m.CreateContacts)},
			{"extra domains:", strings.Join(m.SortedDomains(), ", ")}, {"rate limit:", fmt.Sprintf("%d per sender per hour", m.RateLimit)},
			{"inline images:", yesNoText(m.InlineImages)},
		}
		if m.Kind == mail.KindIMAP {
			rows = append(rows, []string{"imap:", fmt.Sprintf("%s@%s (%s), folder %s → %s, poll %ds, password %s", m.IMAPUsername, m.IMAPHost, m.IMAPSecurity,
				m.IMAPFolder, m.IMAPProcessed, m.IMAPPoll, map[bool]string{true: "stored", false: "not set"}[m.HasIMAPPassword])})
		}
		return a.pairs(rows)
	})
}

func (a *app) mailboxAdd() *cobra.Command {
	var f mailboxFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "add",
		Short: "Add a mailbox: --address and --tenant (or --connection) are enough for SMTP",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ch, err := f.change(cmd)
			if err != nil {
				return err
			}
			return a.withMail(cmd.Context(), func(svc *mail.Service) error {
				m, err := svc.AddMailbox(cmd.Context(), ch)
				if err != nil {
					return err
				}
				return a.printMailbox(m, asJSON, "added")
			})
		},
	}
	f.register(cmd, false)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) mailboxEdit() *cobra.Command {
	var f mailboxFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "edit ADDRESS|ID",
		Short: "Change a mailbox (only the flags given)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ch, err := f.change(cmd)
			if err != nil {
				return err
			}
			return a.withMail(cmd.Context(), func(svc *mail.Service) error {
				m, err := svc.EditMailbox(cmd.Context(), args[0], ch)
				if err != nil {
					return err
				}
				return a.printMailbox(m, asJSON, "changed")
			})
		},
	}
	f.register(cmd, true)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) mailboxList() *cobra.Command {
	var tenant string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List mailboxes (of one tenant with --tenant)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withMail(cmd.Context(), func(svc *mail.Service) error {
				var tid int64
				if tenant != "" {
					t, err := svc.DB.TenantByName(cmd.Context(), tenant)
					if err != nil {
						return fmt.Errorf("no tenant named %q", tenant)
					}
					tid = t.ID
				}
				list, err := svc.Mailboxes(cmd.Context(), tid)
				if err != nil {
					return err
				}
				var rows [][]string
				for _, m := range list {
					rows = append(rows, []string{fmt.Sprint(m.ID), m.Address, m.Kind, m.TargetText(), yesNoText(m.Active)})
				}
				if list == nil {
					list = []*mail.Mailbox{}
				}
				return a.printTable(asJSON, list, "ID\tADDRESS\tKIND\tTARGET\tACTIVE", rows)
			})
		},
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", "only this tenant's mailboxes")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) mailboxShow() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show ADDRESS|ID",
		Short: "Show a mailbox (never its IMAP password)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withMail(cmd.Context(), func(svc *mail.Service) error {
				m, err := svc.Mailbox(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				return a.printMailbox(m, asJSON, "")
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) mailboxRemove() *cobra.Command {
	return &cobra.Command{
		Use:   "remove ADDRESS|ID",
		Short: "Remove a mailbox and its processing log (tickets stay)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withMail(cmd.Context(), func(svc *mail.Service) error {
				if err := svc.RemoveMailbox(cmd.Context(), args[0]); err != nil {
					return err
				}
				fmt.Fprintf(a.out, "Mailbox %s removed.\n", args[0])
				return nil
			})
		},
	}
}

func (a *app) printEntries(list []*mail.Entry, asJSON bool) error {
	var rows [][]string
	for _, e := range list {
		ticket := ""
		if e.TicketID != 0 {
			ticket = fmt.Sprintf("%s (%d)", e.TicketNumber, e.TicketID)
		}
		rows = append(rows, []string{fmt.Sprint(e.ID), e.ReceivedAt.UTC().Format(time.DateTime), e.Mailbox, e.Sender, truncateText(e.Subject, 40), e.Outcome, ticket, truncateText(e.Reason, 60)})
	}
	if list == nil {
		list = []*mail.Entry{}
	}
	return a.printTable(asJSON, list, "ID\tRECEIVED (UTC)\tMAILBOX\tSENDER\tSUBJECT\tOUTCOME\tTICKET\tREASON", rows)
}

// pairs writes label/value rows, aligned.
func (a *app) pairs(rows [][]string) error {
	w := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintln(w, strings.Join(r, "\t"))
	}
	return w.Flush()
}

func truncateText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func (a *app) mailboxLog() *cobra.Command {
	var f store.MailFilter
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "log [ADDRESS|ID]",
		Short: "The processing log, newest first: outcome, reason and ticket of every message",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withMail(cmd.Context(), func(svc *mail.Service) error {
				if len(args) == 1 {
					m, err := svc.Mailbox(cmd.Context(), args[0])
					if err != nil {
						return err
					}
					f.MailboxIDs = []int64{m.ID}
				}
				list, err := svc.Log(cmd.Context(), f)
				if err != nil {
					return err
				}
				return a.printEntries(list, asJSON)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.Outcome, "outcome", "", "only ticket, note, ignored, held, failed or received")
	fl.StringVar(&f.Text, "search", "", "text in the sender, subject, Message-ID, ticket number or reason")
	fl.StringVar(&f.Sender, "sender", "", "only this sender address")
	fl.IntVar(&f.Limit, "limit", 50, "at most this many entries (up to 1000)")
	fl.Int64Var(&f.BeforeID, "before", 0, "only entries older than this id (paging)")
	fl.BoolVar(&asJSON, "json", false, "print JSON")

	cmd.AddCommand(
		a.logEntryCommand("show ID", "One log entry", (*mail.Service).LogEntry),
		a.logEntryCommand("reprocess ID", "Process a held or failed message again", (*mail.Service).Reprocess))
	return cmd
}

// logEntryCommand is a command on one entry of the processing log: it calls do with the entry's
// id and prints the entry it returns.
func (a *app) logEntryCommand(use, short string, do func(*mail.Service, context.Context, int64) (*mail.Entry, error)) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("%q is not a log entry id", args[0])
			}
			return a.withMail(cmd.Context(), func(svc *mail.Service) error {
				e, err := do(svc, cmd.Context(), id)
				if err != nil {
					return err
				}
				return a.printEntry(e, asJSON)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) printEntry(e *mail.Entry, asJSON bool) error {
	return a.print(asJSON, e, func() error {
		return a.pairs([][]string{{"id:", fmt.Sprint(e.ID)}, {"mailbox:", e.Mailbox}, {"message-id:", e.MessageID}, {"sender:", e.Sender},
			{"subject:", e.Subject}, {"size:", fmt.Sprint(e.Size)}, {"received:", e.ReceivedAt.UTC().Format(time.RFC3339)},
			{"outcome:", e.Outcome}, {"reason:", e.Reason}, {"ticket:", fmt.Sprintf("%s (%d)", e.TicketNumber, e.TicketID)},
			{"note:", fmt.Sprint(e.NoteID)}, {"link:", e.Link}, {"attempts:", fmt.Sprint(e.Attempts)}, {"can reprocess:", yesNoText(e.CanReprocess)}})
	})
}

func (a *app) mailboxReceive() *cobra.Command {
	var asJSON bool
	var from string
	cmd := &cobra.Command{
		Use:   "receive ADDRESS|ID [FILE.eml]",
		Short: "Process one message (a file, or standard input) as if it had arrived at the mailbox",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var r io.Reader = cmd.InOrStdin()
			if len(args) == 2 {
				f, err := os.Open(args[1])
				if err != nil {
					return err
				}
				defer f.Close()
				r = f
			}
			raw, err := io.ReadAll(io.LimitReader(r, mail.DefaultMaxMessageBytes+1))
			if err != nil {
				return err
			}
			if len(raw) > mail.DefaultMaxMessageBytes {
				return fmt.Errorf("the message is larger than %d bytes", mail.DefaultMaxMessageBytes)
			}
			return a.withMail(cmd.Context(), func(svc *mail.Service) error {
				m, err := svc.Mailbox(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				rec, err := svc.DB.MailboxByID(cmd.Context(), m.ID)
				if err != nil {
					return err
				}
				e, err := svc.Receive(cmd.Context(), rec, raw, from)
				if err != nil {
					return err
				}
				return a.printEntry(e, asJSON)
			})
		},
	}
	cmd.Flags().StringVar(&from, "envelope-from", "", `SMTP MAIL FROM of the message ("<>" for a bounce)`)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) mailboxPoll() *cobra.Command {
	return &cobra.Command{
		Use:   "poll ADDRESS|ID",
		Short: "Fetch an IMAP mailbox's mail once now (serve does it continuously)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withMail(cmd.Context(), func(svc *mail.Service) error {
				res, err := svc.PollIMAP(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				fmt.Fprintf(a.out, "%d processed (moved), %d failed (flagged and left), %d too large (flagged and left).\n", res.Processed, res.Failed, res.Skipped)
				return nil
			})
		},
	}
}
