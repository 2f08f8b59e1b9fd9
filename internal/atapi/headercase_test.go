package atapi_test

import (
	"strings"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// Clients send the credential and impersonation headers in whatever casing their authors chose;
// the server reads them all.
func TestHeaderNamesInAnyCasing(t *testing.T) {
	t.Parallel()
	env := testsupport.Start(t, testsupport.SQLite, true)
	odd := map[string]string{"UserName": "", "Secret": "", "ApiIntegrationCode": "",
		"USERNAME": env.Creds.Username, "secret": env.Creds.Secret, "APIIntegrationcode": env.Creds.IntegrationCode}
	if r := do(t, env, call{Method: "GET", Path: v1 + "/Companies/0", Headers: odd}); r.Status != 200 {
		t.Fatalf("credentials in odd casing: %d %s", r.Status, r.Body)
	}
	odd["impersonationresourceid"] = "abc"
	r := do(t, env, call{Method: "GET", Path: v1 + "/Companies/0", Headers: odd})
	if r.Status != 500 || !strings.Contains(string(r.Body), "ImpersonationResourceId") {
		t.Fatalf("impersonation header in lower case was not read: %d %s", r.Status, r.Body)
	}
}
