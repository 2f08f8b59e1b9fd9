package store

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps prepared read statements by their text, so the hot reads (get by id, the
// same query page after page) are parsed and planned once per connection, not per call.
type stmtCache struct {
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

const maxCachedStmts = 512

func (c *stmtCache) get(ctx context.Context, db *sql.DB, text string) (*sql.Stmt, error) {
	c.mu.Lock()
	st, ok := c.stmts[text]
	c.mu.Unlock()
	if ok {
		return st, nil
	}
	st, err := db.PrepareContext(ctx, text)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.stmts[text]; ok {
		_ = st.Close()
		return prev, nil
	}
	if c.stmts == nil || len(c.stmts) >= maxCachedStmts {
		for _, old := range c.stmts {
			_ = old.Close()
		}
		c.stmts = map[string]*sql.Stmt{}
	}
	c.stmts[text] = st
	return st, nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.stmts {
		_ = st.Close()
	}
	c.stmts = nil
}
