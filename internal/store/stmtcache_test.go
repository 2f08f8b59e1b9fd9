package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestStmtCacheConcurrentEviction: statements are evicted while other goroutines hold them
// between taking them from the cache and running them. Every query must still run: a closed
// statement here is a 500 for a client. The texts outnumber the cache, as IN-lists of every
// length do in production.
func TestStmtCacheConcurrentEviction(t *testing.T) {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "c.db")+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(4)
	defer db.Close()
	// The yield widens the window between taking a statement and running it, where an
	// eviction used to close it ("sql: statement is closed").
	c := stmtCache{held: func() { time.Sleep(20 * time.Microsecond) }}
	defer c.close()
	ctx := context.Background()
	const workers, perWorker, texts = 8, 400, 3 * maxCachedStmts
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				n := (w*perWorker + i*7) % texts
				var got int64
				text := fmt.Sprintf("SELECT ? + %d", n)
				if err := c.queryRow(ctx, db, text, int64(1)).Scan(&got); err != nil {
					errs <- fmt.Errorf("%s: %w", text, err)
					continue
				}
				if got != int64(n)+1 {
					errs <- fmt.Errorf("%s: got %d", text, got)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if failed < 5 {
			t.Error(err)
		}
		failed++
	}
	if failed > 0 {
		t.Errorf("%d of %d queries failed", failed, workers*perWorker)
	}
	if n := c.len(); n > maxCachedStmts {
		t.Errorf("cache holds %d statements, more than %d", n, maxCachedStmts)
	}
}
