package sync_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	gosync "sync"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/sync"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// lockedBuffer is a log sink the run writes to while the test reads it afterwards.
type lockedBuffer struct {
	mu  gosync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// entries are the log lines with a message, decoded.
func (b *lockedBuffer) entries(msg string) []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(b.buf.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// newResource makes a resource of an env's tenant holding roles in department 1 (Service Desk).
func newResource(t *testing.T, env *testsupport.Env, first, email string, roles ...int64) int64 {
	t.Helper()
	var deps []admin.DepartmentRole
	for i, r := range roles {
		deps = append(deps, admin.DepartmentRole{DepartmentID: 1, RoleID: r, Default: i == 0})
	}
	loc := rows(t, env, "InternalLocations")[0].Values[0].(int64)
	res, err := env.PSA.CreateResource(env.Ctx(), admin.NewResource{FirstName: first, LastName: "Assign", Email: email,
		Username: first + "." + testsupport.RandomHex(4), SecurityLevel: "Team Member (system)", LocationID: loc, Departments: deps})
	if err != nil {
		t.Fatalf("create resource %s: %v", first, err)
	}
	return res.ID
}

func assignment(env *testsupport.Env, ticket int64, t *testing.T) (res, role any) {
	row := get(t, env, "Tickets", ticket)
	return val(env, "Tickets", row, "assignedResourceID"), val(env, "Tickets", row, "assignedResourceRoleID")
}

// TestTicketAssignments: a remote ticket's assignment comes over when the local resource holds
// the role of the same name; otherwise the ticket is synced unassigned — counted, logged with
// its number, not failed — and assigned at the next full pass once the resource holds the role.
func TestTicketAssignments(t *testing.T) {
	each(t, func(t *testing.T, b testsupport.Backend) {
		p := newPair(t, b)
		log := &lockedBuffer{}
		p.svc.Logger = slog.New(slog.NewJSONHandler(log, nil))
		domain := testsupport.RandomHex(4) + ".example"

		// Roles on the remote; locally "Escalation Engineer" exists under another id and
		// "Field Engineer" does not exist at all.
		escR := create(t, p.remote, "Roles", nil, map[string]any{"name": "Escalation Engineer", "isActive": true})
		fieldR := create(t, p.remote, "Roles", nil, map[string]any{"name": "Field Engineer", "isActive": true})
		create(t, p.local, "Roles", nil, map[string]any{"name": "Dispatcher", "isActive": true})
		escL := create(t, p.local, "Roles", nil, map[string]any{"name": "Escalation Engineer", "isActive": true})
		if escL == escR {
			t.Fatalf("the test needs the role's ids to differ on the two sides (both %d)", escL)
		}
		const technician = int64(1) // each tenant's seed role, named Technician on both sides
		tomR := newResource(t, p.remote, "Tom", "tom@"+domain, escR, fieldR)
		ninaR := newResource(t, p.remote, "Nina", "nina@"+domain, technician)
		// Tom exists locally (matched by email) and holds Escalation Engineer here; Nina is
		// copied by the sync, without department/role associations.
		tomL := newResource(t, p.local, "Tom", "tom@"+domain, escL)

		tickets := rows(t, p.remote, "Tickets")
		assign := []struct {
			title     string
			res, role int64
		}{
			{"assigned kept", tomR, escR},
			{"assigned to a copied resource", ninaR, technician},
			{"assigned in a role missing here", tomR, fieldR},
		}
		remoteNumber := map[string]string{}
		for i, a := range assign {
			id := tickets[i].Values[0].(int64)
			update(t, p.remote, "Tickets", id, map[string]any{"title": a.title, "assignedResourceID": a.res, "assignedResourceRoleID": a.role})
			remoteNumber[a.title] = val(p.remote, "Tickets", get(t, p.remote, "Tickets", id), "ticketNumber").(string)
		}

		job := p.add(t, sync.AddInput{})
		st := p.run(t, job, false) // fails the test unless every record synced
		if c := st.Counts["Tickets"]; c.Created != len(tickets) || c.Failed != 0 || c.Unassigned != 2 {
			t.Errorf("first run tickets: %+v", c)
		}
		if !strings.Contains(st.Line(), "2 synced unassigned") {
			t.Errorf("the status line does not say that tickets were synced unassigned: %s", st.Line())
		}
		kept := findBy(t, p.local, "Tickets", "title", "assigned kept")
		if res, role := assignment(p.local, kept, t); res != tomL || role != escL {
			t.Errorf("kept assignment: resource %v role %v, want %d (local Tom) and %d (local Escalation Engineer)", res, role, tomL, escL)
		}
		copied := findBy(t, p.local, "Tickets", "title", "assigned to a copied resource")
		missing := findBy(t, p.local, "Tickets", "title", "assigned in a role missing here")
		for _, id := range []int64{copied, missing} {
			if res, role := assignment(p.local, id, t); res != nil || role != nil {
				t.Errorf("ticket %d: resource %v role %v, want unassigned", id, res, role)
			}
		}
		ninaL := findBy(t, p.local, "Resources", "email", "nina@"+domain)
		for _, r := range rows(t, p.local, "Roles") {
			if val(p.local, "Roles", r, "name") == "Field Engineer" {
				t.Errorf("the sync made a local role Field Engineer")
			}
		}
		logged := map[string]string{}
		for _, m := range log.entries("synced without its assignment") {
			if m["level"] != "INFO" || m["entity"] != "Tickets" {
				t.Errorf("log entry: %v", m)
			}
			n, _ := m["ticket_number"].(string)
			logged[n], _ = m["reason"].(string)
		}
		if len(logged) != 2 || !strings.Contains(logged[remoteNumber["assigned to a copied resource"]], "does not have the role") ||
			!strings.Contains(logged[remoteNumber["assigned in a role missing here"]], `no local role is named "Field Engineer"`) {
			t.Errorf("logged unassigned tickets (by remote number): %v; numbers %v", logged, remoteNumber)
		}

		// Nina is given the Technician role here: the next full pass assigns her ticket.
		if _, err := p.local.PSA.EditResource(p.local.Ctx(), strconv.FormatInt(ninaL, 10),
			admin.ResourceChange{Departments: &[]admin.DepartmentRole{{DepartmentID: 1, RoleID: technician, Default: true}}}); err != nil {
			t.Fatal(err)
		}
		st = p.run(t, job, true)
		if c := st.Counts["Tickets"]; c.Failed != 0 || c.Unassigned != 1 {
			t.Errorf("full pass tickets: %+v", c)
		}
		if res, role := assignment(p.local, copied, t); res != ninaL || role != technician {
			t.Errorf("after the association: resource %v role %v, want %d and %d", res, role, ninaL, technician)
		}
		if res, role := assignment(p.local, kept, t); res != tomL || role != escL {
			t.Errorf("kept assignment after the full pass: resource %v role %v", res, role)
		}
		if res, role := assignment(p.local, missing, t); res != nil || role != nil {
			t.Errorf("role missing here after the full pass: resource %v role %v, want unassigned", res, role)
		}

		// The remote unassigns a ticket: so does the mirror.
		update(t, p.remote, "Tickets", tickets[0].Values[0].(int64), map[string]any{"assignedResourceID": nil, "assignedResourceRoleID": nil})
		p.run(t, job, false)
		if res, role := assignment(p.local, kept, t); res != nil || role != nil {
			t.Errorf("after the remote unassigned it: resource %v role %v", res, role)
		}
	})
}
