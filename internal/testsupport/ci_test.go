package testsupport_test

import (
	"database/sql"
	"os/exec"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// Issue 7, item 17: .ci/run creates the PostgreSQL database its tests use when it is missing
// (through .ci/postgres-db), and leaves one that exists alone.
func TestCICreatesPostgresDatabase(t *testing.T) {
	base := testsupport.PostgresURL()
	if base == "" {
		t.Skip("SWITCHBOARD_TEST_POSTGRES is not set: no PostgreSQL to create a database in")
	}
	if _, err := exec.LookPath("psql"); err != nil {
		t.Skip("psql is not installed")
	}
	name := "sbci_" + testsupport.RandomHex(4)
	head, query, _ := strings.Cut(base, "?")
	url := head[:strings.LastIndex(head, "/")+1] + name + "?" + query
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	t.Cleanup(func() { _, _ = admin.Exec(`DROP DATABASE IF EXISTS "` + name + `"`) })
	for i := 0; i < 2; i++ { // the second run finds it there
		out, err := exec.Command("../../.ci/postgres-db", url).CombinedOutput()
		if err != nil {
			t.Fatalf("run %d: %v\n%s", i+1, err, out)
		}
		if created := strings.Contains(string(out), "created database "+name); created != (i == 0) {
			t.Errorf("run %d printed %q", i+1, out)
		}
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Ping(); err != nil {
		t.Errorf("the database .ci/postgres-db made does not answer: %v", err)
	}
}
