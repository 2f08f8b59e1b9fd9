package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/switchboard-psa/switchboard/internal/psa"
)

// The seed flows, driven in Chromium as a person follows the articles.

// Seeds 000-002: Admin › Resources/Users › + New › New API User, Generate Key, Generate
// Secret, Integration Vendor, Save & Close; then the integration calls the REST API with
// exactly the values the page showed.
func TestBrowserNewAPIUser(t *testing.T) {
	s := newSite(t)
	s.open("/")
	if !strings.Contains(s.location(), "/signin") {
		t.Fatalf("signed out, / went to %s, want the sign-in page", s.location())
	}
	s.shot("signin")
	s.signIn(s.adminUser, s.adminPass)
	s.mustSee("Good to see you", "Recently updated tickets")
	s.shot("home")
	s.open("/admin")
	s.mustSee("Account Settings & Users", "Resources/Users", "Security Levels")
	s.shot("admin")
	s.open("/admin/resources")
	s.shot("resources")
	s.run(chromedp.Click(chromedp.CSS("details.split summary")), chromedp.Click(chromedp.CSS("a[href='/admin/apiusers/new']")))
	s.run(chromedp.WaitVisible(chromedp.CSS("#firstName")))
	s.mustSee("General", "Credentials", "API Tracking Identifier")
	s.fill("#firstName", "MSPintegrations", "#lastName", "API", "#email", "mspintegrations@yourdomain.example")
	s.run(chromedp.Click(chromedp.CSS("button[data-generate=key]")), chromedp.Click(chromedp.CSS("button[data-generate=secret]")), chromedp.Sleep(400*time.Millisecond))
	key, secret := s.value("#username"), s.value("#secret")
	if key == "" || secret == "" {
		t.Fatalf("Generate Key / Generate Secret left the fields empty: %q %q", key, secret)
	}
	s.set("#vendor", "MSPintegrations - Email2AT")
	s.shot("apiuser-new")
	s.submit("form button[type=submit].primary")
	s.mustSee("API user created", "Copy the secret now", "MSPintegrations - Email2AT")
	s.shot("apiuser-created")
	user := get(s, chromedp.Text(chromedp.CSS("#cred-username")))
	shownSecret := get(s, chromedp.Text(chromedp.CSS("#cred-secret")))
	code := get(s, chromedp.Text(chromedp.CSS("#cred-code")))
	if user != key || shownSecret != secret {
		t.Fatalf("saved credentials %q/%q differ from the generated %q/%q", user, shownSecret, key, secret)
	}
	status, body := api(t, s.env.Server.URL, http.MethodPost, "/ATServicesRest/V1.0/Companies/query", user, shownSecret, code, `{"filter":[{"op":"exist","field":"id"}]}`)
	if status != http.StatusOK || len(items(body)) == 0 {
		t.Fatalf("REST API with the new API user: %d %v", status, body)
	}
	// The secret is shown once: the API user's page does not show it.
	s.open("/admin/resources?kind=api&q=MSPintegrations")
	s.mustSee("MSPintegrations API")
	s.run(chromedp.Click(chromedp.CSS("#restable tbody a")), chromedp.Sleep(300*time.Millisecond))
	s.mustSee("MSPintegrations - Email2AT", code)
	s.mustNotSee(shownSecret)
	s.shot("apiuser")
}

var _ = fmt.Sprint
var _ = psa.TileDays
