package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchboard-psa/switchboard/autotask"
)

// myTicket is one line of my-tickets.
type myTicket struct {
	ID               int64          `json:"id"`
	TicketNumber     string         `json:"ticketNumber"`
	Title            string         `json:"title"`
	Status           int            `json:"status"`
	StatusLabel      string         `json:"statusLabel"`
	LastActivityDate *autotask.Time `json:"lastActivityDate"`
	CreateDate       *autotask.Time `json:"createDate"`
	As               string         `json:"as"` // "contact" or "resource"
}

func (t myTicket) recent() time.Time {
	if t.LastActivityDate != nil {
		return t.LastActivityDate.Time
	}
	if t.CreateDate != nil {
		return t.CreateDate.Time
	}
	return time.Time{}
}

// myTickets finds the contacts and resources with the email address and returns their tickets
// (as the ticket's contact, or as its assigned resource), most recent activity first.
func myTickets(ctx context.Context, c *autotask.Client, email string, since time.Time) ([]myTicket, error) {
	email = strings.TrimSpace(email)
	ids := func(entity string, fields ...string) ([]int64, error) {
		var conds []autotask.Condition
		for _, f := range fields {
			conds = append(conds, autotask.Eq(f, email))
		}
		var out []int64
		for raw, err := range c.All(ctx, entity, autotask.NewQuery(autotask.Or(conds...)).Include("id")) {
			if err != nil {
				return nil, err
			}
			var v struct{ ID int64 }
			if err := json.Unmarshal(raw, &v); err != nil {
				return nil, err
			}
			out = append(out, v.ID)
		}
		return out, nil
	}
	contacts, err := ids("Contacts", "emailAddress", "emailAddress2", "emailAddress3")
	if err != nil {
		return nil, err
	}
	resources, err := ids("Resources", "email", "email2", "email3")
	if err != nil {
		return nil, err
	}
	if len(contacts) == 0 && len(resources) == 0 {
		return nil, fmt.Errorf("no contact or resource has the email address %q", email)
	}
	var who []autotask.Condition
	if len(contacts) > 0 {
		who = append(who, autotask.In("contactID", contacts...))
	}
	if len(resources) > 0 {
		who = append(who, autotask.In("assignedResourceID", resources...))
	}
	q := autotask.NewQuery(autotask.Or(who...)).Include("ticketNumber", "title", "status", "lastActivityDate", "createDate", "contactID", "assignedResourceID")
	if !since.IsZero() {
		q.Where(autotask.Gte("lastActivityDate", since))
	}
	status, _ := c.Field(ctx, "Tickets", "status") // labels are a nicety: without them, numbers
	var out []myTicket
	for t, err := range autotask.AllAs[autotask.Ticket](ctx, c, "Tickets", q) {
		if err != nil {
			return nil, err
		}
		m := myTicket{ID: autotask.Value(t.ID), TicketNumber: autotask.Value(t.TicketNumber), Title: autotask.Value(t.Title),
			Status: autotask.Value(t.Status), LastActivityDate: t.LastActivityDate, CreateDate: t.CreateDate, As: "resource"}
		if t.ContactID != nil && slices.Contains(contacts, int64(*t.ContactID)) {
			m.As = "contact"
		}
		m.StatusLabel, _ = status.PicklistLabel(strconv.Itoa(m.Status))
		out = append(out, m)
	}
	slices.SortStableFunc(out, func(a, b myTicket) int {
		if c := b.recent().Compare(a.recent()); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	return out, nil
}

func (a *app) atMyTickets(p *atProfile) *cobra.Command {
	var email string
	var days int
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "my-tickets --email ADDRESS",
		Short:   "List the tickets of the contact or resource with this email address, most recent first",
		Example: "  switchboard at my-tickets --email jane@contoso.example --days 90",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !strings.Contains(email, "@") {
				return fmt.Errorf("--email %q is not an email address", email)
			}
			if days < 0 {
				return fmt.Errorf("--days %d: use a positive number of days, or 0 for all", days)
			}
			s, err := a.atClient(cmd, p)
			if err != nil {
				return err
			}
			var since time.Time
			if days > 0 {
				since = time.Now().UTC().AddDate(0, 0, -days)
			}
			ts, err := myTickets(cmd.Context(), s.c, email, since)
			if err != nil {
				return err
			}
			if asJSON {
				if ts == nil {
					ts = []myTicket{}
				}
				return a.printJSON(ts)
			}
			if len(ts) == 0 {
				fmt.Fprintf(a.out, "No tickets for %s.\n", email)
				return nil
			}
			w := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "TICKET\tSTATUS\tLAST ACTIVITY\tAS\tTITLE")
			for _, t := range ts {
				label := t.StatusLabel
				if label == "" {
					label = strconv.Itoa(t.Status)
				}
				last := ""
				if r := t.recent(); !r.IsZero() {
					last = r.UTC().Format("2006-01-02 15:04")
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", t.TicketNumber, label, last, t.As, t.Title)
			}
			return w.Flush()
		},
	}
	cmd.Flags().StringVar(&email, "email", "", "the contact's or resource's email address")
	cmd.Flags().IntVar(&days, "days", 0, "only tickets with activity in this many days (0: all)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("email")
	return cmd
}
