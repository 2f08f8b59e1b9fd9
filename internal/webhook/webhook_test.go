package webhook_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/store"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
	"github.com/switchboard-psa/switchboard/internal/webhook"
)

// TestTicketWebhook is the life of a ticket webhook as an integration sees it: created with a
// generated GUID, not ready until a field is subscribed, then signed callouts for creates and
// for updates of a subscribed field only, with the display-always fields beside them.
func TestTicketWebhook(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			env := newEnv(t, b)
			rcv := newReceiver(t, "s3cret-key")
			startWorker(t, env, fastOptions())

			id := makeWebhook(t, env, "TicketWebhooks", rcv, "")
			hook := item(t, env, fmt.Sprintf("/TicketWebhooks/%d", id))
			guid, _ := hook["webhookGUID"].(string)
			if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(guid) {
				t.Fatalf("webhookGUID = %q, want a generated UUID", guid)
			}
			if hook["isReady"] != false {
				t.Fatalf("isReady before any field = %v, want false", hook["isReady"])
			}
			// Not ready: a ticket created now fires nothing.
			mustID(t, env, "POST", "/Tickets", `{"companyID":0,"title":"before","status":1,"priority":2}`)

			title := fieldID(t, env, "TicketWebhookFields", "Title")
			status := fieldID(t, env, "TicketWebhookFields", "Status")
			subscribe(t, env, "TicketWebhooks", id, status, false, true) // displayed, not subscribed
			if item(t, env, fmt.Sprintf("/TicketWebhooks/%d", id))["isReady"] != false {
				t.Fatal("isReady with only a display-always field, want false")
			}
			subscribe(t, env, "TicketWebhooks", id, title, true, false)
			if item(t, env, fmt.Sprintf("/TicketWebhooks/%d", id))["isReady"] != true {
				t.Fatal("isReady after subscribing a field, want true")
			}
			if st, m := api(t, env, "POST", fmt.Sprintf("/TicketWebhooks/%d/Fields", id), `{"fieldID":7,"isSubscribedField":true}`); st == 200 || !strings.Contains(fmt.Sprint(m), "fieldID") {
				t.Fatalf("an unknown fieldID was accepted: %d %v", st, m)
			}

			tid := mustID(t, env, "POST", "/Tickets", `{"companyID":0,"title":"Caf\u00e9 <b> & 'x' + \"y\" \\ \ud83d\ude00","status":1,"priority":2}`)
			got := rcv.waitFor(1, 10*time.Second)
			c := got[0]
			if c.Payload.Action != "Create" || c.Payload.Guid != guid || c.Payload.EntityType != "Ticket" || c.Payload.Id != tid || c.Payload.SequenceNumber != 1 {
				t.Fatalf("create callout = %+v", c.Payload)
			}
			if c.Payload.PersonID == nil || *c.Payload.PersonID != env.Creds.ResourceID {
				t.Errorf("PersonID = %v, want the API user's resource %d", c.Payload.PersonID, env.Creds.ResourceID)
			}
			if c.Payload.Fields["title"] != "Café <b> & 'x' + \"y\" \\ 😀" || c.Payload.Fields["status"] != float64(1) || len(c.Payload.Fields) != 2 {
				t.Errorf("create Fields = %v", c.Payload.Fields)
			}
			raw := string(c.Body)
			for _, want := range []string{`Caf\u00e9 \u003cb\u003e \u0026 \u0027x\u0027 \u002b \u0022y\u0022 \u005c \ud83d\ude00`, `{"Action":"Create","Guid":`} {
				if !strings.Contains(raw, want) {
					t.Errorf("body lacks %s: %s", want, raw)
				}
			}
			for _, r := range raw {
				if r > 0x7e {
					t.Fatalf("body holds a non-ASCII character: %s", raw)
				}
			}

			// An update of a field nobody subscribed to fires nothing; of the title, it fires.
			mustID(t, env, "PATCH", "/Tickets", fmt.Sprintf(`{"id":%d,"priority":1}`, tid))
			mustID(t, env, "PATCH", "/Tickets", fmt.Sprintf(`{"id":%d,"title":"renamed"}`, tid))
			got = rcv.waitFor(2, 10*time.Second)
			time.Sleep(300 * time.Millisecond)
			got = rcv.callouts()
			if len(got) != 2 {
				t.Fatalf("got %d callouts, want 2 (the priority change fires nothing)", len(got))
			}
			u := got[1].Payload
			if u.Action != "Update" || u.SequenceNumber != 2 || u.Fields["title"] != "renamed" || u.Fields["status"] != float64(1) || len(u.Fields) != 2 {
				t.Errorf("update callout = %+v", u)
			}
			if _, err := time.Parse(time.RFC3339, u.EventTime); err != nil {
				t.Errorf("EventTime %q: %v", u.EventTime, err)
			}
		})
	}
}

// TestExcludedResourceAndDelete: changes made by an excluded resource fire nothing; deletes
// fire with the display-always fields.
func TestExcludedResourceAndDelete(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			env := newEnv(t, b)
			rcv := newReceiver(t, "k")
			startWorker(t, env, fastOptions())
			id := makeWebhook(t, env, "ContactWebhooks", rcv, "")
			subscribe(t, env, "ContactWebhooks", id, fieldID(t, env, "ContactWebhookFields", "First Name"), true, false)
			subscribe(t, env, "ContactWebhooks", id, fieldID(t, env, "ContactWebhookFields", "Last Name"), false, true)

			cid := mustID(t, env, "POST", "/Companies/0/Contacts", `{"firstName":"Ada","lastName":"Lovelace","isActive":1}`)
			rcv.waitFor(1, 10*time.Second)

			// The API user's own changes are excluded from now on (an integration avoiding loops).
			mustID(t, env, "POST", fmt.Sprintf("/ContactWebhooks/%d/ExcludedResources", id), fmt.Sprintf(`{"resourceID":%d}`, env.Creds.ResourceID))
			mustID(t, env, "PATCH", "/Companies/0/Contacts", fmt.Sprintf(`{"id":%d,"firstName":"Augusta"}`, cid))
			// Another resource's change (the administrator, through the service as the console does) fires.
			admin := psa.WithActor(store.WithTenant(context.Background(), env.Tenant.ID), psa.SystemActor)
			e := env.PSA.Catalog.MustEntity("Contacts")
			in := psa.NewInput()
			in.Set[e.Index("id")] = cid
			in.Set[e.Index("firstName")] = "Ada"
			if _, err := env.PSA.Update(admin, e, in, nil, false); err != nil {
				t.Fatal(err)
			}
			got := rcv.waitFor(2, 10*time.Second)
			if got[1].Payload.Action != "Update" || got[1].Payload.Fields["firstName"] != "Ada" || *got[1].Payload.PersonID != 1 {
				t.Fatalf("second callout = %+v, want the administrator's update (the excluded resource's one fired nothing)", got[1].Payload)
			}
			if _, m := api(t, env, "DELETE", fmt.Sprintf("/Companies/0/Contacts/%d", cid), ""); m["itemId"] == nil {
				t.Fatalf("delete: %v", m)
			}
			time.Sleep(300 * time.Millisecond)
			if n := len(rcv.callouts()); n != 2 {
				t.Fatalf("the excluded resource's delete fired: %d callouts", n)
			}
			// Deletes by others fire, with the display-always fields.
			cid2 := mustID(t, env, "POST", "/Companies/0/Contacts", `{"firstName":"Grace","lastName":"Hopper","isActive":1}`)
			if _, err := env.PSA.Delete(admin, e, cid2, &psa.Parent{Entity: env.PSA.Catalog.MustEntity("Companies"), ID: 0, Child: mustChild(env, "Companies", "Contacts")}); err != nil {
				t.Fatal(err)
			}
			got = rcv.waitFor(3, 10*time.Second)
			d := got[2].Payload
			if d.Action != "Delete" || d.Id != cid2 || d.EntityType != "Contact" || d.Fields["lastName"] != "Hopper" || len(d.Fields) != 1 {
				t.Fatalf("delete callout = %+v", d)
			}
		})
	}
}

func mustChild(env *testsupport.Env, parent, child string) *catalog.Child {
	c, _ := env.PSA.Catalog.MustEntity(parent).Child(child)
	return c
}

// TestUDFFieldChange: a webhook subscribed to a UDF fires when that UDF changes, with its value.
func TestUDFFieldChange(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			env := newEnv(t, b)
			rcv := newReceiver(t, "udf-secret")
			startWorker(t, env, fastOptions())
			udf := mustID(t, env, "POST", "/UserDefinedFieldDefinitions", `{"name":"Site Code","udfType":6,"dataType":1,"isActive":true}`)
			st, m := api(t, env, "GET", "/TicketWebhookUdfFields/entityInformation/fields", "")
			if st != 200 || !strings.Contains(fmt.Sprint(m), "label:Site Code") || !strings.Contains(fmt.Sprint(m), fmt.Sprintf("value:%d", udf)) {
				t.Fatalf("udfFieldID picklist lacks the UDF: %v", m)
			}
			id := makeWebhook(t, env, "TicketWebhooks", rcv, "")
			mustID(t, env, "POST", fmt.Sprintf("/TicketWebhooks/%d/UdfFields", id), fmt.Sprintf(`{"udfFieldID":%d,"isSubscribedField":true}`, udf))
			if item(t, env, fmt.Sprintf("/TicketWebhooks/%d", id))["isReady"] != true {
				t.Fatal("a subscribed UDF does not make the webhook ready")
			}
			tid := mustID(t, env, "POST", "/Tickets", `{"companyID":0,"title":"t","status":1,"priority":2}`)
			rcv.waitFor(1, 10*time.Second)
			mustID(t, env, "PATCH", "/Tickets", fmt.Sprintf(`{"id":%d,"title":"not subscribed"}`, tid))
			mustID(t, env, "PATCH", "/Tickets", fmt.Sprintf(`{"id":%d,"userDefinedFields":[{"name":"Site Code","value":"NYC-1"}]}`, tid))
			got := rcv.waitFor(2, 10*time.Second)
			time.Sleep(200 * time.Millisecond)
			if n := len(rcv.callouts()); n != 2 {
				t.Fatalf("%d callouts, want 2 (the title is not subscribed)", n)
			}
			if p := got[1].Payload; p.Action != "Update" || p.Fields["Site Code"] != "NYC-1" || len(p.Fields) != 1 {
				t.Fatalf("UDF update callout = %+v", p)
			}
		})
	}
}

// TestURLPolicy: refused URLs get a clear error when saved; the address is checked again when
// the callout is made.
func TestURLPolicy(t *testing.T) {
	p := webhook.Policy{}
	for _, u := range []string{"http://127.0.0.1:9/x", "http://localhost/x", "http://[::1]/x", "http://169.254.169.254/latest/meta-data", "http://[fe80::1]/x",
		"http://0.0.0.0/x", "http://[fd00:ec2::254]/x", "ftp://example.com/x", "/relative", "http://user:pw@10.0.0.1/x"} {
		if err := p.CheckURL(context.Background(), "webhookUrl", u); err == nil {
			t.Errorf("%s was allowed", u)
		}
	}
	for _, u := range []string{"https://10.1.2.3/hook", "http://192.168.1.10:8080/hook", "https://203.0.113.5/x", "https://not-yet-registered.invalid/x"} {
		if err := p.CheckURL(context.Background(), "webhookUrl", u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	if err := (webhook.Policy{AllowLoopback: true}).CheckURL(context.Background(), "webhookUrl", "http://127.0.0.1:9/x"); err != nil {
		t.Errorf("loopback refused with AllowLoopback: %v", err)
	}
	if err := (webhook.Policy{AllowLoopback: true}).CheckURL(context.Background(), "webhookUrl", "http://169.254.169.254/x"); err == nil {
		t.Error("metadata allowed with AllowLoopback")
	}

	env := testsupport.Start(t, testsupport.SQLite, false)
	env.PSA.WebhookPolicy = webhook.Policy{} // the default: no loopback (the service is shared by this package's tests)
	rcv := newReceiver(t, "k")
	body := fmt.Sprintf(`{"name":"x","webhookUrl":%q,"deactivationUrl":"https://10.0.0.1/d","secretKey":"k","isActive":true,
		"isSubscribedToCreateEvents":true,"isSubscribedToUpdateEvents":true,"isSubscribedToDeleteEvents":true}`, rcv.srv.URL)
	st, m := api(t, env, "POST", "/TicketWebhooks", body)
	if st == 200 || !strings.Contains(fmt.Sprint(m), "webhookUrl is refused") || !strings.Contains(fmt.Sprint(m), "loopback") {
		t.Fatalf("loopback webhook URL saved: %d %v", st, m)
	}

	// Saved while loopback was allowed, delivered by a worker that does not allow it: the dial
	// is refused and the receiver never hears of it (as with a name re-pointed by DNS).
	env.PSA.WebhookPolicy = webhook.Policy{AllowLoopback: true}
	id := makeWebhook(t, env, "TicketWebhooks", rcv, "")
	subscribe(t, env, "TicketWebhooks", id, webhook.FieldID("title"), true, false)
	opt := fastOptions()
	opt.Policy = webhook.Policy{}
	startWorker(t, env, opt)
	mustID(t, env, "POST", "/Tickets", `{"companyID":0,"title":"t","status":1,"priority":2}`)
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, m := api(t, env, "POST", "/WebhookEventErrorLogs/query", `{"filter":[{"op":"exist","field":"id"}]}`)
		if items, _ := m["items"].([]any); len(items) == 1 {
			msg := items[0].(map[string]any)["errorMessage"].(string)
			if !strings.Contains(msg, "refused") {
				t.Errorf("error log message %q does not say the address was refused", msg)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the refused callout did not reach the error log")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := rcv.attemptCount(); n != 0 {
		t.Fatalf("the receiver on loopback got %d requests", n)
	}
}

func TestEncodeAndSign(t *testing.T) {
	p := webhook.Payload{Action: "Update", GUID: "g", EntityType: "Ticket", ID: 7, SequenceNumber: 3, PersonID: 0,
		EventTime: time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC), Fields: map[string]any{"b": int64(1), "a": "é", "c": nil, "d": true, "e": 1.5}}
	want := `{"Action":"Update","Guid":"g","EntityType":"Ticket","Id":7,"Fields":{"a":"\u00e9","b":1,"c":null,"d":true,"e":1.5},"EventTime":"2026-01-02T03:04:05.006Z","SequenceNumber":3,"PersonID":null}`
	body := p.Encode()
	if string(body) != want {
		t.Fatalf("Encode =\n%s\nwant\n%s", body, want)
	}
	if got := webhook.Sign("secret", body); got != independentSignature("secret", body) {
		t.Fatalf("Sign = %s", got)
	}
	// Autotask's documented example has this shape: sha1= and 28 base64 characters.
	if !regexp.MustCompile(`^sha1=[A-Za-z0-9+/]{27}=$`).MatchString(webhook.Sign("k", []byte("{}"))) {
		t.Fatal("signature shape")
	}
}

func TestFieldIDsAndLabels(t *testing.T) {
	env := testsupport.Start(t, testsupport.SQLite, false)
	for _, e := range env.PSA.Catalog.Entities() {
		if !e.Webhooks {
			continue
		}
		seen := map[int64]string{}
		for _, f := range webhook.Fields(e) {
			if other, dup := seen[f.ID]; dup {
				t.Errorf("%s: fields %s and %s share id %d", e.Name, other, f.Name, f.ID)
			}
			seen[f.ID] = f.Name
		}
		if len(seen) != len(e.Fields) {
			t.Errorf("%s: %d webhook fields of %d", e.Name, len(seen), len(e.Fields))
		}
	}
	for in, want := range map[string]string{"companyID": "Company ID", "lastActivityDate": "Last Activity Date", "title": "Title", "rmmAlertID": "Rmm Alert ID"} {
		if got := webhook.Label(in); got != want {
			t.Errorf("Label(%s) = %q, want %q", in, got, want)
		}
	}
}
