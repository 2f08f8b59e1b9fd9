package atapi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// P5 in process: the same small reply behind authentication (/V1.0/Version) and without it
// (/VersionInformation); the difference is what checking credentials and building the caller's
// rights costs a request once they are cached.
func BenchmarkVersionAuthenticated(b *testing.B) {
	env := benchEnv(b, false)
	benchPath(b, env, "/ATServicesRest/V1.0/Version", true)
}

func BenchmarkVersionUnauthenticated(b *testing.B) {
	env := testsupport.Start(b, testsupport.SQLite, false)
	benchPath(b, env, "/ATServicesRest/VersionInformation", false)
}

func benchPath(b *testing.B, env *testsupport.Env, path string, auth bool) {
	h := env.Server.Config.Handler
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest("GET", path, nil)
			if auth {
				r.Header.Set("UserName", env.Creds.Username)
				r.Header.Set("Secret", env.Creds.Secret)
				r.Header.Set("ApiIntegrationCode", env.Creds.IntegrationCode)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Fatalf("status %d", w.Code)
			}
		}
	})
}
