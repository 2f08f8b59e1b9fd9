package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Modes of what Switchboard keeps on disk: readable by its own user only, whatever the umask.
const (
	DirMode  fs.FileMode = 0o700
	FileMode fs.FileMode = 0o600
)

// MakePrivateDir creates dir and any missing parents with mode 0700 (set explicitly, so the
// umask cannot widen or narrow it). Directories that exist are left as they are.
func MakePrivateDir(dir string) error {
	if dir == "" || dir == "." {
		return nil
	}
	if _, err := os.Stat(dir); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := MakePrivateDir(filepath.Dir(dir)); err != nil {
		return err
	}
	if err := os.Mkdir(dir, DirMode); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return os.Chmod(dir, DirMode)
}

// WritePrivateFile writes data to path with mode 0600, creating its directory (0700) if needed;
// a file that exists is given mode 0600 too.
func WritePrivateFile(path string, data []byte) error {
	if err := MakePrivateDir(filepath.Dir(path)); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, FileMode)
	if err != nil {
		return err
	}
	if err := f.Chmod(FileMode); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// prepareSQLiteFile makes the SQLite database file, before SQLite opens it, with mode 0600 in a
// 0700 directory: SQLite gives its write-ahead log and shared-memory files the mode of the
// database file, so all three stay private. A database (and its -wal, -shm) from an earlier
// version readable by others is narrowed to 0600.
func prepareSQLiteFile(path string) error {
	if path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil
	}
	if err := MakePrivateDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, FileMode)
	if err != nil {
		return fmt.Errorf("create the database file: %w", err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		st, err := os.Stat(p)
		if err != nil {
			continue
		}
		if st.Mode().Perm() != FileMode {
			if err := os.Chmod(p, FileMode); err != nil {
				return fmt.Errorf("make %s readable by its owner only: %w", p, err)
			}
		}
	}
	return nil
}
