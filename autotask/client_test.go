package autotask_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboard-psa/switchboard/autotask"
	"github.com/switchboard-psa/switchboard/autotask/internal/fakeat"
)

func TestNewRequiresCredentials(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  autotask.Config
		want string
	}{
		{"no user", autotask.Config{Secret: "s", IntegrationCode: "i"}, "Username"},
		{"no secret", autotask.Config{Username: "u", IntegrationCode: "i"}, "Secret"},
		{"no integration code", autotask.Config{Username: "u", Secret: "s"}, "IntegrationCode"},
		{"relative base", autotask.Config{Username: "u", Secret: "s", IntegrationCode: "i", BaseURL: "/ATServicesRest/"}, "BaseURL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := autotask.New(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one naming %s", err, tt.want)
			}
		})
	}
}

func TestAuthHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		configImp int64
		ctx       func(context.Context) context.Context
		wantImp   string
	}{
		{name: "no impersonation", wantImp: ""},
		{name: "per call", ctx: func(c context.Context) context.Context { return autotask.WithImpersonation(c, 29682885) }, wantImp: "29682885"},
		{name: "from config", configImp: 5, wantImp: "5"},
		{name: "call overrides config", configImp: 5, ctx: func(c context.Context) context.Context { return autotask.WithImpersonation(c, 7) }, wantImp: "7"},
		{name: "call turns config off", configImp: 5, ctx: func(c context.Context) context.Context { return autotask.WithImpersonation(c, 0) }, wantImp: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, fakeat.Options{Secret: "s3cr3t", IntegrationCode: "ABCDEFGHIJKLMNOPQRSTUVWXYZ1"})
			c := newClient(t, f, func(c *autotask.Config) { c.ImpersonationResourceID = tt.configImp })
			ctx := context.Background()
			if tt.ctx != nil {
				ctx = tt.ctx(ctx)
			}
			if _, err := c.Create(ctx, "Companies", map[string]any{"companyName": "Acme"}); err != nil {
				t.Fatal(err)
			}
			reqs := requestsTo(f, http.MethodPost, "/V1.0/Companies")
			if len(reqs) != 1 {
				t.Fatalf("%d creates", len(reqs))
			}
			h := reqs[0].Header
			if h.Get("ApiIntegrationCode") != "ABCDEFGHIJKLMNOPQRSTUVWXYZ1" || h.Get("UserName") != f.Options().Username || h.Get("Secret") != "s3cr3t" {
				t.Fatalf("auth headers = %v", h)
			}
			if got := h.Get("ImpersonationResourceId"); got != tt.wantImp {
				t.Fatalf("ImpersonationResourceId = %q, want %q", got, tt.wantImp)
			}
		})
	}
}

func TestCRUD(t *testing.T) {
	t.Parallel()
	f := newFake(t, fakeat.Options{})
	c := newClient(t, f, nil)
	ctx := context.Background()

	id, err := c.Create(ctx, "Companies", autotask.Company{CompanyName: autotask.Ptr("Acme"), CompanyType: autotask.Ptr(1), Phone: autotask.Ptr("555-0100")})
	if err != nil {
		t.Fatal(err)
	}
	co, err := autotask.GetAs[autotask.Company](ctx, c, "Companies", id)
	if err != nil {
		t.Fatal(err)
	}
	if autotask.Value(co.CompanyName) != "Acme" || autotask.Value(co.ID) != id || autotask.Value(co.CompanyType) != 1 {
		t.Fatalf("company = %+v", co)
	}

	// Update sends a PATCH to the collection with the id in the body and only the given fields.
	if err := c.Update(ctx, "Companies", id, autotask.Company{Phone: autotask.Ptr("555-0199")}); err != nil {
		t.Fatal(err)
	}
	patch := requestsTo(f, http.MethodPatch, "/V1.0/Companies")
	if len(patch) != 1 {
		t.Fatalf("%d PATCH requests to the collection", len(patch))
	}
	var body map[string]any
	if err := json.Unmarshal(patch[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if len(body) != 2 || body["id"] != float64(id) || body["phone"] != "555-0199" {
		t.Fatalf("PATCH body = %s, want id and phone only", patch[0].Body)
	}
	if rec := f.Record("Companies", id); rec["phone"] != "555-0199" || rec["companyName"] != "Acme" {
		t.Fatalf("after update: %v", rec)
	}

	// Replace sends a PUT; fields left out are gone.
	if err := c.Replace(ctx, "Companies", id, map[string]any{"companyName": "Acme Corp", "ID": 999}); err != nil {
		t.Fatal(err)
	}
	if rec := f.Record("Companies", id); rec["companyName"] != "Acme Corp" || rec["phone"] != nil {
		t.Fatalf("after replace: %v", rec)
	}

	if n, err := c.Count(ctx, "Companies", autotask.NewQuery(autotask.BeginsWith("companyName", "acme"))); err != nil || n != 1 {
		t.Fatalf("count = %d, %v", n, err)
	}

	// Child collections: notes of a ticket.
	ticketID, err := c.Create(ctx, "Tickets", autotask.Ticket{CompanyID: autotask.Ptr(int(id)), Title: autotask.Ptr("Printer on fire")})
	if err != nil {
		t.Fatal(err)
	}
	noteID, err := c.ChildCreate(ctx, "Tickets", ticketID, "Notes", autotask.TicketNote{Title: autotask.Ptr("Update"), Description: autotask.Ptr("Extinguished"), NoteType: autotask.Ptr(1), Publish: autotask.Ptr(1)})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ChildUpdate(ctx, "Tickets", ticketID, "Notes", noteID, map[string]any{"description": "Extinguished twice"}); err != nil {
		t.Fatal(err)
	}
	notes, err := autotask.ChildListAs[autotask.TicketNote](ctx, c, "Tickets", ticketID, "Notes")
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 1 || autotask.Value(notes[0].Description) != "Extinguished twice" || autotask.Value(notes[0].TicketID) != int(ticketID) {
		t.Fatalf("notes = %+v", notes)
	}
	note, err := autotask.ChildGetAs[autotask.TicketNote](ctx, c, "Tickets", ticketID, "Notes", noteID)
	if err != nil || autotask.Value(note.Title) != "Update" {
		t.Fatalf("note = %+v, %v", note, err)
	}
	if err := c.ChildReplace(ctx, "Tickets", ticketID, "Notes", noteID, map[string]any{"title": "Replaced"}); err != nil {
		t.Fatal(err)
	}
	// The top-level collection sees it too.
	if tn, err := autotask.GetAs[autotask.TicketNote](ctx, c, "TicketNotes", noteID); err != nil || autotask.Value(tn.Title) != "Replaced" {
		t.Fatalf("TicketNotes/%d = %+v, %v", noteID, tn, err)
	}
	if err := c.ChildDelete(ctx, "Tickets", ticketID, "Notes", noteID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ChildGet(ctx, "Tickets", ticketID, "Notes", noteID); !errors.Is(err, autotask.ErrNotFound) {
		t.Fatalf("deleted note: err = %v, want ErrNotFound", err)
	}

	if err := c.Delete(ctx, "Companies", id); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, "Companies", id); !errors.Is(err, autotask.ErrNotFound) {
		t.Fatalf("second delete: err = %v, want ErrNotFound", err)
	}
}

func TestGetItemNull(t *testing.T) {
	t.Parallel()
	f := newFake(t, fakeat.Options{})
	c := newClient(t, f, nil)
	_, err := c.Get(context.Background(), "Tickets", 12345)
	var nf *autotask.NotFoundError
	if !errors.Is(err, autotask.ErrNotFound) || !errors.As(err, &nf) || nf.Entity != "Tickets" || nf.ID != 12345 {
		t.Fatalf("err = %v, want Tickets 12345 not found", err)
	}
	if _, err := autotask.GetAs[autotask.Ticket](context.Background(), c, "Tickets", 12345); !errors.Is(err, autotask.ErrNotFound) {
		t.Fatalf("GetAs err = %v", err)
	}
}

func TestInvalidNames(t *testing.T) {
	t.Parallel()
	f := newFake(t, fakeat.Options{})
	c := newClient(t, f, nil)
	ctx := context.Background()
	for _, name := range []string{"", "Tickets/1", "Tickets?x=1", "../Companies"} {
		if _, err := c.Get(ctx, name, 1); err == nil {
			t.Errorf("Get(%q) succeeded", name)
		}
		if _, err := c.ChildList(ctx, "Tickets", 1, name); err == nil {
			t.Errorf("ChildList(%q) succeeded", name)
		}
	}
	if len(requestsTo(f, "", "")) > 0 {
		t.Fatal("requests were sent for invalid names")
	}
}

func TestErrorClassification(t *testing.T) {
	t.Parallel()
	type classes = []error
	all := []error{autotask.ErrAuthentication, autotask.ErrIntegrationCode, autotask.ErrPermission, autotask.ErrNotFound,
		autotask.ErrValidation, autotask.ErrThreshold, autotask.ErrThreadLimit, autotask.ErrZone}
	tests := []struct {
		name     string
		status   int
		body     string
		want     classes
		wantMsgs []string
	}{
		{"bad secret", 401, `{"errors":["Authorization has been denied for this request."]}`, classes{autotask.ErrAuthentication}, []string{"Authorization has been denied for this request."}},
		{"401 without body", 401, ``, classes{autotask.ErrAuthentication}, nil},
		{"bad integration code", 500, `{"errors":["IntegrationCode is invalid."]}`, classes{autotask.ErrIntegrationCode}, []string{"IntegrationCode is invalid."}},
		{"403", 403, `{"errors":["Forbidden"]}`, classes{autotask.ErrPermission}, []string{"Forbidden"}},
		{"permission as 500", 500, `{"errors":["The logged in Resource does not have the adequate permissions to create this entity type."]}`, classes{autotask.ErrPermission}, nil},
		{"unknown field", 500, `{"errors":["Unable to find projectID in the TimeEntry Entity"]}`, classes{autotask.ErrValidation}, []string{"Unable to find projectID in the TimeEntry Entity"}},
		{"two messages", 500, `{"errors":["a","b"]}`, classes{autotask.ErrValidation}, []string{"a", "b"}},
		{"object messages", 500, `{"errors":[{"message":"required","field":"title"}]}`, classes{autotask.ErrValidation}, []string{"title: required"}},
		{"route missing", 404, `<html>Not found</html>`, classes{autotask.ErrNotFound}, nil},
		{"no matching records", 500, `{"errors":["No matching records found. The logged in Resource may not have the required permissions to delete the data."]}`, classes{autotask.ErrNotFound}, nil},
		{"wrong verb", 405, `{"Message":"The requested resource does not support http method 'DELETE'."}`, classes{}, []string{"The requested resource does not support http method 'DELETE'."}},
		{"hourly threshold", 429, `{"errors":["Rate limited"]}`, classes{autotask.ErrThreshold}, []string{"Rate limited"}},
		{"thread limit as 429", 429, `{"errors":["` + fakeat.ThreadLimitMessage + `"]}`, classes{autotask.ErrThreshold, autotask.ErrThreadLimit}, []string{fakeat.ThreadLimitMessage}},
		{"thread limit as 500", 500, `{"errors":["` + fakeat.ThreadLimitMessage + `"]}`, classes{autotask.ErrThreadLimit}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, fakeat.Options{})
			f.Intercept(failFirst(1, nil, tt.status, nil, tt.body))
			c := newClient(t, f, nil)
			// A create is never retried, so the one failure is what comes back.
			_, err := c.Create(context.Background(), "Tickets", map[string]any{"title": "x"})
			var apiErr *autotask.APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tt.status {
				t.Fatalf("err = %v, want an APIError %d", err, tt.status)
			}
			for _, class := range all {
				want := false
				for _, w := range tt.want {
					want = want || w == class
				}
				if got := errors.Is(err, class); got != want {
					t.Errorf("errors.Is(err, %v) = %v, want %v", class, got, want)
				}
			}
			if tt.wantMsgs != nil && strings.Join(apiErr.Messages, "|") != strings.Join(tt.wantMsgs, "|") {
				t.Errorf("messages = %q, want %q", apiErr.Messages, tt.wantMsgs)
			}
			if strings.Contains(err.Error(), f.Options().Secret) {
				t.Errorf("error text contains the secret: %v", err)
			}
		})
	}
}

func TestWrongCredentials(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		mod  func(*autotask.Config)
		want error
	}{
		{"wrong secret", func(c *autotask.Config) { c.Secret = "wrong" }, autotask.ErrAuthentication},
		{"wrong integration code", func(c *autotask.Config) { c.IntegrationCode = "WRONG" }, autotask.ErrIntegrationCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, fakeat.Options{})
			c := newClient(t, f, tt.mod)
			_, err := c.Query(context.Background(), "Companies", nil)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if errors.Is(err, autotask.ErrValidation) {
				t.Fatalf("err %v also matches ErrValidation", err)
			}
		})
	}
}

func TestPascalCaseResponses(t *testing.T) {
	t.Parallel()
	f := newFake(t, fakeat.Options{PascalCase: true})
	seedCompanies(f, 620)
	c := newClient(t, f, nil)
	ctx := context.Background()
	co, err := autotask.GetAs[autotask.Company](ctx, c, "Companies", 7)
	if err != nil {
		t.Fatal(err)
	}
	if autotask.Value(co.CompanyName) != "Company 7" || autotask.Value(co.ID) != 7 {
		t.Fatalf("company = %+v", co)
	}
	n := 0
	for _, err := range c.All(ctx, "Companies", nil) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 620 {
		t.Fatalf("All returned %d of 620 across PascalCase pages", n)
	}
}

func TestDo(t *testing.T) {
	t.Parallel()
	f := newFake(t, fakeat.Options{})
	c := newClient(t, f, nil)
	raw, err := c.Do(context.Background(), http.MethodGet, "ThresholdInformation", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"externalRequestThreshold":10000`) {
		t.Fatalf("body = %s", raw)
	}
}
