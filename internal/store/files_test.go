//go:build unix

package store

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/catalog"
)

// Issue 7, item 3: with a umask that would leave them readable by everyone (0), the data
// directory is made 0700 and the database, its write-ahead log and shared memory 0600; a
// database left readable by an earlier version is narrowed. (Not parallel: the umask is the
// process's.)
func TestSQLiteFileModes(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "data", "nested")
	path := filepath.Join(dir, "switchboard.db")
	ctx := context.Background()
	db, err := Open(ctx, path, catalog.Default)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE probe (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	want := map[string]os.FileMode{dir: 0o700, filepath.Dir(dir): 0o700, path: 0o600, path + "-wal": 0o600, path + "-shm": 0o600}
	check := func() {
		t.Helper()
		for p, m := range want {
			st, err := os.Stat(p)
			if err != nil {
				t.Errorf("%s: %v", p, err)
				continue
			}
			if st.Mode().Perm() != m {
				t.Errorf("%s has mode %o, want %o", filepath.Base(p), st.Mode().Perm(), m)
			}
		}
	}
	check()
	db.Close()

	// A database from an earlier version, readable by everyone, is narrowed when opened.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	db, err = Open(ctx, path, catalog.Default)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.write.ExecContext(ctx, `INSERT INTO probe VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	check()

	file := filepath.Join(t.TempDir(), "new", "demo-credentials.json")
	if err := WritePrivateFile(file, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	for p, m := range map[string]os.FileMode{file: 0o600, filepath.Dir(file): 0o700} {
		if st, err := os.Stat(p); err != nil || st.Mode().Perm() != m {
			t.Errorf("%s: %v %v, want %o", p, st.Mode(), err, m)
		}
	}
}
