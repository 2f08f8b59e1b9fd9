package access

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// Principal is an authenticated API caller.
type Principal struct {
	TenantID        int64
	ResourceID      int64
	Username        string
	IntegrationCode string
}

// Autotask's answers to failed authentication.
var (
	ErrUnknownUser     = apperr.New(http.StatusInternalServerError, "Zone information could not be determined")
	ErrBadSecret       = apperr.New(http.StatusUnauthorized, "Authentication failed: the username or secret is not valid.")
	ErrMissingHeaders  = apperr.New(http.StatusUnauthorized, "Authentication failed: the UserName, Secret and ApiIntegrationCode headers are required.")
	ErrBadIntegration  = apperr.New(http.StatusInternalServerError, "IntegrationCode is invalid.")
	ErrInactiveAPIUser = apperr.New(http.StatusUnauthorized, "Authentication failed: the API user is inactive or locked.")
)

// Authenticator checks API credentials. A verified (username, secret) pair is remembered under
// an HMAC of both for a short time, so a password hash is computed once per TTL, not per call.
type Authenticator struct {
	DB  *store.DB
	TTL time.Duration

	key   []byte
	mu    sync.RWMutex
	cache map[[32]byte]cached
}

type cached struct {
	user    store.APIUser
	expires time.Time
}

// NewAuthenticator returns an authenticator over db.
func NewAuthenticator(db *store.DB) *Authenticator {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		panic("access: no randomness: " + err.Error())
	}
	return &Authenticator{DB: db, TTL: 5 * time.Minute, key: key, cache: map[[32]byte]cached{}}
}

func (a *Authenticator) cacheKey(username, secret string) [32]byte {
	m := hmac.New(sha256.New, a.key)
	m.Write([]byte(strings.ToLower(username)))
	m.Write([]byte{0})
	m.Write([]byte(secret))
	var k [32]byte
	copy(k[:], m.Sum(nil))
	return k
}

// Authenticate checks the three headers of an API call.
func (a *Authenticator) Authenticate(ctx context.Context, username, secret, code string) (*Principal, error) {
	if username == "" || secret == "" {
		return nil, ErrMissingHeaders
	}
	k := a.cacheKey(username, secret)
	a.mu.RLock()
	c, ok := a.cache[k]
	a.mu.RUnlock()
	var u store.APIUser
	if ok && time.Now().Before(c.expires) {
		u = c.user
	} else {
		found, err := a.DB.APIUserByUsername(ctx, username)
		if errors.Is(err, store.ErrNotFound) {
			return nil, ErrUnknownUser
		}
		if err != nil {
			return nil, err
		}
		if !VerifySecret(found.SecretHash, secret) {
			return nil, ErrBadSecret
		}
		u = *found
		a.mu.Lock()
		a.cache[k] = cached{user: u, expires: time.Now().Add(a.TTL)}
		a.mu.Unlock()
	}
	if !u.Active || u.Locked {
		return nil, ErrInactiveAPIUser
	}
	if subtle.ConstantTimeCompare([]byte(code), []byte(u.IntegrationCode)) != 1 {
		return nil, ErrBadIntegration
	}
	return &Principal{TenantID: u.TenantID, ResourceID: u.ResourceID, Username: u.Username, IntegrationCode: u.IntegrationCode}, nil
}

// Forget drops every cached credential of a user; call it on any change to the user.
func (a *Authenticator) Forget(username string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, c := range a.cache {
		if strings.EqualFold(c.user.Username, username) {
			delete(a.cache, k)
		}
	}
}
