package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/switchboard-psa/switchboard/internal/store"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// TestLatestMailMessages: one read gives each mailbox the same newest entries as reading its
// log alone with the same limit, across more mailboxes than one statement takes.
func TestLatestMailMessages(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			db, ctx := tenantDB(t, b)
			tenant, _ := store.TenantFrom(ctx)
			prefix := testsupport.RandomHex(4)
			var ids []int64
			for i := range 103 {
				mb := &store.Mailbox{Address: fmt.Sprintf("box%d-%s@latest.test", i, prefix), TenantID: tenant, Kind: "smtp", Settings: "{}", Active: true}
				if err := db.CreateMailbox(ctx, mb); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, mb.ID)
				n := i % 2 // the rest: one message or none
				switch i {
				case 0, 101:
					n = 5
				case 1:
					n = 2
				}
				for k := range n {
					m := &store.MailMessage{MailboxID: mb.ID, MessageID: fmt.Sprintf("<%d-%d-%s@test>", i, k, prefix), Sender: "a@b.test",
						Subject: fmt.Sprintf("box %d message %d", i, k), ReceivedAt: time.Now().UTC(), Outcome: "ticket"}
					if _, err := db.InsertMailMessage(ctx, m); err != nil {
						t.Fatal(err)
					}
				}
			}
			got, err := db.LatestMailMessages(ctx, ids, 3)
			if err != nil {
				t.Fatal(err)
			}
			for i, id := range ids {
				want, err := db.MailMessages(ctx, store.MailFilter{MailboxIDs: []int64{id}, Limit: 3})
				if err != nil {
					t.Fatal(err)
				}
				if len(got[id]) != len(want) {
					t.Errorf("mailbox %d: %d entries, want %d", i, len(got[id]), len(want))
					continue
				}
				for k := range want {
					if g, w := got[id][k], want[k]; g.ID != w.ID || g.Subject != w.Subject || g.MailboxID != id || !g.ReceivedAt.Equal(w.ReceivedAt) {
						t.Errorf("mailbox %d entry %d: %+v, want %+v", i, k, g, w)
					}
				}
			}
			if len(got[ids[0]]) != 3 || got[ids[0]][0].Subject != "box 0 message 4" || len(got[ids[101]]) != 3 || len(got[ids[1]]) != 2 {
				t.Errorf("the newest first, three at most: %v %v %v", got[ids[0]], got[ids[101]], got[ids[1]])
			}
			if _, ok := got[ids[2]]; ok {
				t.Errorf("a mailbox with no mail has entries: %v", got[ids[2]])
			}
		})
	}
}
