package auth

import (
	"context"
	"net/http"
	"runtime"
	"strings"
	"sync"

	"github.com/switchboard-psa/switchboard/internal/apperr"
)

// ErrBusy answers a caller whose secret would need a password hash while the server already
// computes as many as it allows: at once, rather than queueing without bound.
var ErrBusy = apperr.New(http.StatusTooManyRequests, "Too many sign-ins are being verified at once; retry in a moment.")

// maxWaitersPerUser is how many calls with different secrets may wait for one username's hash
// slot; beyond it a call is answered ErrBusy at once.
const maxWaitersPerUser = 128

// HashGate bounds the password hashing unauthenticated callers can cause. Each argon2id hash
// takes 19 MiB and tens of milliseconds of a core, so a burst of wrong secrets would otherwise
// take memory and CPU without bound:
//
//   - one hash at a time per username (lower-cased); calls for the same username wait their
//     turn (at most maxWaitersPerUser of them, the rest are answered ErrBusy);
//   - at most Limit hashes at once in the process; beyond it ErrBusy at once.
type HashGate struct {
	global chan struct{}
	mu     sync.Mutex
	users  map[string]*userSlot
}

type userSlot struct {
	turn chan struct{} // holds one token while a hash of this user runs
	refs int           // holders and waiters
}

// NewHashGate returns a gate allowing limit hashes at once; limit <= 0 means the number of
// cores Go uses (GOMAXPROCS).
func NewHashGate(limit int) *HashGate {
	if limit <= 0 {
		limit = runtime.GOMAXPROCS(0)
	}
	return &HashGate{global: make(chan struct{}, limit), users: map[string]*userSlot{}}
}

// Limit is the number of hashes allowed at once.
func (g *HashGate) Limit() int { return cap(g.global) }

// Acquire waits for username's turn and takes one of the process's hash slots. The release
// function must be called once the hash is done; it may be called more than once.
func (g *HashGate) Acquire(ctx context.Context, username string) (release func(), err error) {
	name := strings.ToLower(username)
	g.mu.Lock()
	s := g.users[name]
	if s == nil {
		s = &userSlot{turn: make(chan struct{}, 1)}
		g.users[name] = s
	}
	if s.refs > maxWaitersPerUser {
		g.mu.Unlock()
		return nil, ErrBusy
	}
	s.refs++
	g.mu.Unlock()
	leave := func() {
		g.mu.Lock()
		s.refs--
		if s.refs == 0 {
			delete(g.users, name)
		}
		g.mu.Unlock()
	}
	select {
	case s.turn <- struct{}{}:
	case <-ctx.Done():
		leave()
		return nil, ctx.Err()
	}
	select {
	case g.global <- struct{}{}:
	default:
		<-s.turn
		leave()
		return nil, ErrBusy
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			<-g.global
			<-s.turn
			leave()
		})
	}, nil
}
