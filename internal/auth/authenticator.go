package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"hash"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-psa/switchboard/internal/access"
	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// Principal is an authenticated API caller.
type Principal struct {
	TenantID        int64
	ResourceID      int64
	Username        string
	IntegrationCode string
	Rights          *access.Rights // the API user's own rights
}

// Credentials are the headers of an API call and where it came from.
type Credentials struct {
	Username, Secret, IntegrationCode string
	RemoteAddr                        string // host:port or host; recorded with failures
}

// Autotask's answers to failed authentication.
var (
	ErrUnknownUser     = apperr.New(http.StatusInternalServerError, "Zone information could not be determined")
	ErrBadSecret       = apperr.New(http.StatusUnauthorized, "Authentication failed: the username or secret is not valid.")
	ErrMissingHeaders  = apperr.New(http.StatusUnauthorized, "Authentication failed: the UserName, Secret and ApiIntegrationCode headers are required.")
	ErrBadIntegration  = apperr.New(http.StatusInternalServerError, "IntegrationCode is invalid.")
	ErrInactiveAPIUser = apperr.New(http.StatusUnauthorized, "Authentication failed: the API user is inactive or locked.")
)

// Authenticator checks API credentials and works out the caller's rights. A verified
// (username, secret) pair is remembered, with the rights, under an HMAC of both for a short
// time, so that neither a password hash nor a database read is spent on a call it has seen.
//
// Every change to who may do what bumps the tenant's access generation in the database (in the
// transaction that makes the change). The psa service calls ForgetTenant at once for changes
// made in this process; for changes made elsewhere (the CLI, another server) the authenticator
// reads the generations at most every poll interval (SetPollInterval, default one second) and
// drops entries filled under an older one.
type Authenticator struct {
	DB     *store.DB
	TTL    time.Duration
	Logger *slog.Logger

	// OnNewGeneration, when set, is called with each tenant whose access generation a poll
	// found risen, so that what other parts of this process remember of the tenant (its time
	// zone, its API threshold) follows changes made by other processes too.
	OnNewGeneration func(tenantID int64)

	// Gate bounds password hashing (see HashGate); NewAuthenticator sizes it to the cores.
	Gate *HashGate

	key          []byte
	verifySecret func(hash, secret string) bool // VerifySecret; tests count the hashes
	hashers      sync.Pool                      // of HMAC-SHA256 under key
	mu           sync.RWMutex
	cache        map[[32]byte]*entry
	targets      map[[2]int64]*target // (tenant, resource) → an impersonation target
	gens         map[int64]int64      // tenant → latest access generation seen
	resets       map[string]bool      // usernames with failures since their last good call
	pending      map[[32]byte]*inflight
	fills        int // entries added, for sweep
	lastPoll     atomic.Int64
	polling      atomic.Bool
	pollEvery    atomic.Int64 // nanoseconds
}

type entry struct {
	principal  *Principal
	user       store.APIUser
	codeActive bool
	gen        int64
	expires    time.Time
}

type target struct {
	subject *Subject
	gen     int64
	expires time.Time
}

// NewAuthenticator returns an authenticator over db.
func NewAuthenticator(db *store.DB) *Authenticator {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		panic("access: no randomness: " + err.Error())
	}
	a := &Authenticator{DB: db, TTL: 5 * time.Minute, Logger: slog.Default(), key: key, Gate: NewHashGate(0), verifySecret: VerifySecret,
		cache: map[[32]byte]*entry{}, targets: map[[2]int64]*target{}, gens: map[int64]int64{}, resets: map[string]bool{}, pending: map[[32]byte]*inflight{}}
	a.SetPollInterval(time.Second)
	return a
}

// SetPollInterval sets how often, at most, the access generations are read.
func (a *Authenticator) SetPollInterval(d time.Duration) { a.pollEvery.Store(int64(d)) }

// cacheKey is HMAC-SHA256(username lower-cased, 0, secret) under the process's random key: the
// cache never holds a secret, and a key cannot be made without the secret. The hashers are
// pooled; this runs on every call.
func (a *Authenticator) cacheKey(username, secret string) [32]byte {
	m, _ := a.hashers.Get().(hash.Hash)
	if m == nil {
		m = hmac.New(sha256.New, a.key)
	}
	m.Reset()
	var buf [128]byte
	b := buf[:0]
	for i := 0; i < len(username); i++ {
		c := username[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	b = append(b, 0)
	b = append(b, secret...)
	m.Write(b)
	clear(buf[:])
	var k [32]byte
	m.Sum(k[:0])
	a.hashers.Put(m)
	return k
}

// Authenticate checks the three headers of an API call.
func (a *Authenticator) Authenticate(ctx context.Context, c Credentials) (*Principal, error) {
	if c.Username == "" || c.Secret == "" {
		return nil, ErrMissingHeaders
	}
	now := time.Now()
	a.maybePoll(now)
	k := a.cacheKey(c.Username, c.Secret)
	a.mu.RLock()
	e, ok := a.cache[k]
	fresh := ok && now.Before(e.expires) && e.gen >= a.gens[e.user.TenantID]
	reset := fresh && a.resets[e.user.Username]
	a.mu.RUnlock()
	if !fresh {
		var err error
		if e, err = a.verifyOnce(ctx, c, k); err != nil {
			return nil, err
		}
	}
	u := &e.user
	if !u.Active || u.Locked {
		return nil, ErrInactiveAPIUser
	}
	if subtle.ConstantTimeCompare([]byte(c.IntegrationCode), []byte(u.IntegrationCode)) != 1 || !e.codeActive {
		return nil, ErrBadIntegration
	}
	if reset {
		a.clearFailures(ctx, u)
	}
	return e.principal, nil
}

// inflight is a verification under way: calls with the same credentials wait for it rather
// than each computing the password hash (a client opening many connections at once).
type inflight struct {
	done chan struct{}
	e    *entry
	err  error
}

func (a *Authenticator) verifyOnce(ctx context.Context, c Credentials, k [32]byte) (*entry, error) {
	a.mu.Lock()
	if f, ok := a.pending[k]; ok {
		a.mu.Unlock()
		select {
		case <-f.done:
			return f.e, f.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f := &inflight{done: make(chan struct{})}
	a.pending[k] = f
	a.mu.Unlock()
	f.e, f.err = a.verify(ctx, c, k)
	a.mu.Lock()
	delete(a.pending, k)
	a.mu.Unlock()
	close(f.done)
	return f.e, f.err
}

// verify checks a (username, secret) pair the cache does not hold, and fills the cache.
func (a *Authenticator) verify(ctx context.Context, c Credentials, k [32]byte) (*entry, error) {
	u, err := a.DB.APIUserByUsername(ctx, c.Username)
	if errors.Is(err, store.ErrNotFound) {
		a.Logger.Warn("api authentication failed", slog.String("reason", "unknown user"), slog.String("remote_addr", host(c.RemoteAddr)))
		return nil, ErrUnknownUser
	}
	if err != nil {
		return nil, err
	}
	if !u.Active || u.Locked {
		return nil, ErrInactiveAPIUser
	}
	tenant, err := a.DB.TenantByID(ctx, u.TenantID)
	if err != nil {
		return nil, err
	}
	// The attempt is counted as a failure as it arrives, before it waits for the hash: of a
	// burst of wrong secrets at most the lockout threshold are ever hashed, and a right secret
	// arriving after them finds the count at the threshold, whatever order the hashes run in.
	// (A verified secret clears the count.) The hash is the costly part: one per username at a
	// time and a bounded number in the process (a.Gate), so a burst takes neither memory nor
	// CPU without bound.
	ok, err := a.DB.BeginAuthAttempt(ctx, u.TenantID, u.Username, tenant.LockoutThreshold)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrInactiveAPIUser
	}
	release, err := a.Gate.Acquire(ctx, u.Username)
	if err != nil {
		// Not checked, so not a failure: a flood of other sign-ins must not lock this user.
		if cerr := a.DB.CancelAuthAttempt(context.WithoutCancel(ctx), u.TenantID, u.Username); cerr != nil {
			a.Logger.Error("take back an unchecked authentication attempt", slog.Int64("tenant_id", u.TenantID), slog.Any("error", cerr))
		}
		if errors.Is(err, ErrBusy) {
			a.Logger.Warn("api authentication refused", slog.String("reason", "hashing busy"), slog.String("username", u.Username),
				slog.Int64("tenant_id", u.TenantID), slog.String("remote_addr", host(c.RemoteAddr)))
		}
		return nil, err
	}
	good := a.verifySecret(u.SecretHash, c.Secret)
	release()
	if !good {
		a.failed(ctx, u, tenant, c.RemoteAddr)
		return nil, ErrBadSecret
	}
	subject, err := LoadSubject(ctx, a.DB, tenant, u.ResourceID)
	if err != nil {
		return nil, err
	}
	tctx := store.WithTenant(ctx, u.TenantID)
	ti, err := a.DB.TrackingIdentifier(tctx, u.IntegrationCode)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	e := &entry{user: *u, codeActive: ti != nil && ti.Active, gen: tenant.AccessGeneration, expires: time.Now().Add(a.TTL),
		principal: &Principal{TenantID: u.TenantID, ResourceID: u.ResourceID, Username: u.Username, IntegrationCode: u.IntegrationCode,
			Rights: &access.Rights{TenantID: u.TenantID, Parties: []access.Party{subject.Party}, Catalog: a.DB.Catalog}}}
	if !subject.Active {
		e.user.Active = false
	}
	a.mu.Lock()
	if g, seen := a.gens[u.TenantID]; !seen || tenant.AccessGeneration > g {
		a.gens[u.TenantID] = tenant.AccessGeneration
	}
	a.cache[k] = e
	a.sweep()
	a.mu.Unlock()
	a.clearFailures(ctx, u) // the attempt was counted as a failure before the hash
	return e, nil
}

// failed records a wrong secret with the address it came from; at the tenant's threshold the
// user is locked and everything remembered of the tenant is dropped.
func (a *Authenticator) failed(ctx context.Context, u *store.APIUser, tenant *store.Tenant, remote string) {
	addr := host(remote)
	locked, err := a.DB.RecordAuthFailure(ctx, u.TenantID, u.Username, addr, "wrong secret", tenant.LockoutThreshold)
	if err != nil {
		a.Logger.Error("record failed authentication", slog.Int64("tenant_id", u.TenantID), slog.Any("error", err))
	}
	a.mu.Lock()
	a.resets[u.Username] = true
	a.mu.Unlock()
	a.Logger.Warn("api authentication failed", slog.String("reason", "wrong secret"), slog.String("username", u.Username),
		slog.Int64("tenant_id", u.TenantID), slog.String("remote_addr", addr), slog.Bool("locked", locked))
	if locked {
		a.ForgetTenant(u.TenantID)
	}
}

func (a *Authenticator) clearFailures(ctx context.Context, u *store.APIUser) {
	if err := a.DB.ResetAuthFailures(ctx, u.TenantID, u.Username); err != nil {
		a.Logger.Error("reset failed authentications", slog.Int64("tenant_id", u.TenantID), slog.Any("error", err))
		return
	}
	a.mu.Lock()
	delete(a.resets, u.Username)
	a.mu.Unlock()
}

// Impersonate returns the rights of a call made by p with ImpersonationResourceId: the caller's
// and the target's rights together, when both levels allow it.
func (a *Authenticator) Impersonate(ctx context.Context, p *Principal, resourceID int64) (*access.Rights, error) {
	now := time.Now()
	key := [2]int64{p.TenantID, resourceID}
	a.mu.RLock()
	t, ok := a.targets[key]
	fresh := ok && now.Before(t.expires) && t.gen >= a.gens[p.TenantID]
	a.mu.RUnlock()
	if !fresh {
		tenant, err := a.DB.TenantByID(ctx, p.TenantID)
		if err != nil {
			return nil, err
		}
		s, err := LoadSubject(ctx, a.DB, tenant, resourceID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, apperr.Invalid("ImpersonationResourceId %d is not the id of a resource.", resourceID)
		}
		if err != nil {
			return nil, err
		}
		t = &target{subject: s, gen: tenant.AccessGeneration, expires: now.Add(a.TTL)}
		a.mu.Lock()
		a.targets[key] = t
		a.mu.Unlock()
	}
	if !t.subject.Active {
		return nil, apperr.Invalid("ImpersonationResourceId %d is an inactive resource.", resourceID)
	}
	return p.Rights.Impersonating(t.subject.Party, t.subject.APIOnly)
}

// sweep drops expired entries now and then, so credentials replaced long ago do not stay in
// memory; it runs with a.mu held, when an entry is added.
func (a *Authenticator) sweep() {
	a.fills++
	if a.fills%1024 != 0 {
		return
	}
	now := time.Now()
	for k, e := range a.cache {
		if now.After(e.expires) {
			delete(a.cache, k)
		}
	}
	for k, t := range a.targets {
		if now.After(t.expires) {
			delete(a.targets, k)
		}
	}
}

// ForgetTenant drops everything remembered of a tenant's credentials and rights; the psa service
// calls it after every change to who may do what.
func (a *Authenticator) ForgetTenant(tenantID int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, e := range a.cache {
		if e.user.TenantID == tenantID {
			delete(a.cache, k)
		}
	}
	for k := range a.targets {
		if k[0] == tenantID {
			delete(a.targets, k)
		}
	}
}

// Forget drops every cached credential of a user.
func (a *Authenticator) Forget(username string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, e := range a.cache {
		if strings.EqualFold(e.user.Username, username) {
			delete(a.cache, k)
		}
	}
}

// maybePoll reads the tenants' access generations when the poll interval has passed, so that
// changes made by other processes reach this one within the interval. The one call that finds
// the interval over pays for one small query; calls meanwhile go on with what is known.
func (a *Authenticator) maybePoll(now time.Time) {
	last := a.lastPoll.Load()
	if now.UnixNano()-last < a.pollEvery.Load() || !a.polling.CompareAndSwap(false, true) {
		return
	}
	defer a.polling.Store(false)
	a.lastPoll.Store(now.UnixNano())
	a.Poll(context.Background())
}

// Poll reads every tenant's access generation now and drops what is older.
func (a *Authenticator) Poll(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	gens, err := a.DB.AccessGenerations(ctx)
	if err != nil {
		a.Logger.Warn("read access generations", slog.Any("error", err))
		return
	}
	var risen []int64
	a.mu.Lock()
	for t, g := range gens {
		if g > a.gens[t] {
			a.gens[t] = g
			risen = append(risen, t)
		}
	}
	a.mu.Unlock()
	if a.OnNewGeneration != nil {
		for _, t := range risen {
			a.OnNewGeneration(t)
		}
	}
}

// Run polls the access generations every poll interval until ctx ends, so changes made
// elsewhere arrive even while no API call comes in (the console and the portal do not pass
// through the authenticator).
func (a *Authenticator) Run(ctx context.Context) {
	t := time.NewTicker(time.Duration(a.pollEvery.Load()))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			a.maybePoll(now)
		}
	}
}

// host is the address part of host:port.
func host(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}
