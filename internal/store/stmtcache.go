package store

import (
	"container/list"
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps prepared read statements by their text, so the hot reads (get by id, the
// same query page after page) are parsed and planned once per connection, not per call.
//
// Texts vary (an IN-list of every length is a text of its own), so the cache is bounded: when
// it is full the least recently used statement leaves it. A statement that left is closed only
// once no caller holds it any more: callers take a reference for the time between finding the
// statement and starting its query (rows keep the statement alive by themselves afterwards, as
// database/sql defers the close of a statement until its open rows are closed).
type stmtCache struct {
	mu    sync.Mutex
	stmts map[string]*list.Element // of *cachedStmt
	lru   list.List                // front: most recently used
	max   int                      // 0: maxCachedStmts
	// held runs while a statement is held, between get and its query; tests widen the window.
	held func()
}

type cachedStmt struct {
	text    string
	stmt    *sql.Stmt
	refs    int  // callers holding it
	evicted bool // out of the cache: closed when refs drops to 0
}

const maxCachedStmts = 512

func (c *stmtCache) limit() int {
	if c.max > 0 {
		return c.max
	}
	return maxCachedStmts
}

// acquire returns the statement for text, prepared if needed, with a reference the caller
// gives back with release.
func (c *stmtCache) acquire(ctx context.Context, db *sql.DB, text string) (*cachedStmt, error) {
	c.mu.Lock()
	if el, ok := c.stmts[text]; ok {
		cs := el.Value.(*cachedStmt)
		cs.refs++
		c.lru.MoveToFront(el)
		c.mu.Unlock()
		return cs, nil
	}
	c.mu.Unlock()
	st, err := db.PrepareContext(ctx, text)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.stmts[text]; ok { // prepared meanwhile by another caller
		_ = st.Close()
		cs := el.Value.(*cachedStmt)
		cs.refs++
		c.lru.MoveToFront(el)
		return cs, nil
	}
	if c.stmts == nil {
		c.stmts = map[string]*list.Element{}
	}
	for len(c.stmts) >= c.limit() {
		c.evict(c.lru.Back())
	}
	cs := &cachedStmt{text: text, stmt: st, refs: 1}
	c.stmts[text] = c.lru.PushFront(cs)
	return cs, nil
}

// evict takes an entry out of the cache; c.mu is held.
func (c *stmtCache) evict(el *list.Element) {
	cs := c.lru.Remove(el).(*cachedStmt)
	delete(c.stmts, cs.text)
	cs.evicted = true
	if cs.refs == 0 {
		_ = cs.stmt.Close()
	}
}

func (c *stmtCache) release(cs *cachedStmt) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs.refs--
	if cs.refs == 0 && cs.evicted {
		_ = cs.stmt.Close()
	}
}

// query runs text through its cached statement.
func (c *stmtCache) query(ctx context.Context, db *sql.DB, text string, args ...any) (*sql.Rows, error) {
	cs, err := c.acquire(ctx, db, text)
	if err != nil {
		return nil, err
	}
	defer c.release(cs)
	if c.held != nil {
		c.held()
	}
	return cs.stmt.QueryContext(ctx, args...)
}

// queryRow is query for one row; a statement that cannot be prepared runs unprepared, so that
// its error shows when the row is scanned.
func (c *stmtCache) queryRow(ctx context.Context, db *sql.DB, text string, args ...any) *sql.Row {
	cs, err := c.acquire(ctx, db, text)
	if err != nil {
		return db.QueryRowContext(ctx, text, args...)
	}
	defer c.release(cs)
	if c.held != nil {
		c.held()
	}
	return cs.stmt.QueryRowContext(ctx, args...)
}

func (c *stmtCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.stmts)
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, el := range c.stmts {
		cs := el.Value.(*cachedStmt)
		cs.evicted = true
		if cs.refs == 0 {
			_ = cs.stmt.Close()
		}
	}
	c.stmts = nil
	c.lru.Init()
}
