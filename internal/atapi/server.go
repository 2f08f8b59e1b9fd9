// Package atapi is the Autotask REST surface: it normalises what real clients send (path,
// header and key casing, gzip, single-quoted search JSON), finds the collection in the catalog,
// authenticates, calls the psa services and writes Autotask's envelopes.
package atapi

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/auth"
	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/limits"
	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// Server answers /ATServicesRest/...
type Server struct {
	PSA       *psa.Service
	Auth      *auth.Authenticator
	Limits    *limits.Limiter
	PublicURL string // e.g. http://127.0.0.1:8080, no trailing slash
	Logger    *slog.Logger
	Version   string
}

// route is a parsed request path below /ATServicesRest/V1.0/.
type route struct {
	entity   *catalog.Entity
	id       int64 // {E}/{id} or the parent id of a child route
	hasID    bool  // the path carried an id after the collection
	child    *catalog.Child
	childID  int64
	hasChild bool     // the path carried an id after the child
	rest     []string // lower-cased segments after the collection (or child): query, count, entityinformation, ...
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	segs := splitPath(r.URL.Path)
	if len(segs) == 0 || !strings.EqualFold(segs[0], "atservicesrest") {
		writeNotFound(w, r)
		return
	}
	segs = segs[1:]
	if len(segs) == 1 && strings.EqualFold(segs[0], "versioninformation") {
		if !allow(w, r, http.MethodGet) {
			return
		}
		newEnvelope(32).key("apiVersions").value([]string{"V1.0"}).send(w, http.StatusOK)
		return
	}
	if len(segs) < 2 || !strings.EqualFold(segs[0], "v1.0") {
		writeNotFound(w, r)
		return
	}
	segs = segs[1:]
	if len(segs) == 1 && strings.EqualFold(segs[0], "zoneinformation") {
		if !allow(w, r, http.MethodGet) {
			return
		}
		s.zoneInformation(w, r)
		return
	}

	principal, err := s.authenticate(r)
	if err != nil {
		// Answered without reading the body, and the connection closed after the answer: a
		// caller that does not authenticate cannot hold a connection by sending a body slowly.
		// (The read deadline stops net/http from draining the unread body after the answer.)
		w.Header().Set("Connection", "close")
		_ = http.NewResponseController(w).SetReadDeadline(time.Now())
		s.writeError(w, r, err)
		return
	}
	ctx := store.WithTenant(r.Context(), principal.TenantID)
	actor := psa.Actor{ResourceID: principal.ResourceID, Rights: principal.Rights}
	if imp := header(r, "Impersonationresourceid"); imp != "" {
		id, err := strconv.ParseInt(imp, 10, 64)
		if err != nil || id <= 0 {
			s.writeError(w, r, apperr.Invalid("ImpersonationResourceId must be the id of a resource."))
			return
		}
		// Honoured only where both levels allow it; the rights are then both parties' together.
		rights, err := s.Auth.Impersonate(ctx, principal, id)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		actor = psa.Actor{ResourceID: id, ImpersonatorID: principal.ResourceID, Rights: rights}
	}
	ctx = psa.WithActor(ctx, actor)
	ctx = context.WithValue(ctx, principalKey{}, principal)
	r = r.WithContext(ctx)
	ticket, ok := s.limit(w, r, principal, segs[0])
	if !ok {
		return
	}
	defer ticket.Release()

	switch strings.ToLower(segs[0]) {
	case "thresholdinformation":
		if allow(w, r, http.MethodGet) {
			s.thresholdInformation(w, r, principal, ticket)
		}
		return
	case "version":
		if allow(w, r, http.MethodGet) {
			newEnvelope(128).key("build").value(s.Version).key("customerType").value("Switchboard").
				key("majorVersion").value("1").key("minorVersion").value("0").send(w, http.StatusOK)
		}
		return
	case "entityinformation":
		if len(segs) == 1 {
			if allow(w, r, http.MethodGet) {
				s.globalEntityInformation(w, r)
			}
			return
		}
	case "modules":
		if allow(w, r, http.MethodGet) {
			s.modules(w, r)
		}
		return
	}

	rt, ok := s.parseRoute(segs)
	if !ok {
		writeNotFound(w, r)
		return
	}
	s.dispatch(w, r, rt)
}

type principalKey struct{}

func (s *Server) authenticate(r *http.Request) (*auth.Principal, error) {
	return s.Auth.Authenticate(r.Context(), auth.Credentials{Username: header(r, "Username"), Secret: header(r, "Secret"),
		IntegrationCode: header(r, "Apiintegrationcode"), RemoteAddr: r.RemoteAddr})
}

// header reads a header by its canonical name, whatever the casing the client used: net/http
// canonicalises names as it reads them, so UserName, USERNAME and username all arrive as Username.
// (Header.Get would canonicalise the name again on every request.)
func header(r *http.Request, canonical string) string {
	if v := r.Header[canonical]; len(v) > 0 {
		return strings.TrimSpace(v[0])
	}
	return ""
}

// splitPath splits a path into its non-empty segments, so doubled and trailing slashes do not matter.
func splitPath(p string) []string {
	parts := strings.Split(p, "/")
	out := parts[:0]
	for _, s := range parts {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (s *Server) parseRoute(segs []string) (route, bool) {
	e, ok := s.PSA.Catalog.Entity(segs[0])
	if !ok || (!e.Stored && len(e.Children) == 0) {
		return route{}, false
	}
	rt := route{entity: e}
	rest := segs[1:]
	if len(rest) > 0 {
		if id, err := strconv.ParseInt(rest[0], 10, 64); err == nil || rest[0] == "{parentId}" {
			rt.id, rt.hasID = id, true
			rest = rest[1:]
			if len(rest) > 0 {
				c, ok := e.Child(rest[0])
				if !ok {
					return route{}, false
				}
				rt.child = c
				rest = rest[1:]
				if len(rest) > 0 {
					if cid, err := strconv.ParseInt(rest[0], 10, 64); err == nil {
						rt.childID, rt.hasChild = cid, true
						rest = rest[1:]
					}
				}
			}
		}
	}
	for _, x := range rest {
		rt.rest = append(rt.rest, strings.ToLower(x))
	}
	if !e.Stored && rt.child == nil { // an endpoint that only has child collections
		return route{}, false
	}
	return rt, true
}

// allow answers 405 when the method is not one of those given.
func allow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	writeMethodNotAllowed(w, r)
	return false
}

func writeMethodNotAllowed(w http.ResponseWriter, r *http.Request) {
	writeMessage(w, http.StatusMethodNotAllowed, "The requested resource does not support http method '"+r.Method+"'.")
}

func writeNotFound(w http.ResponseWriter, r *http.Request) {
	writeMessage(w, http.StatusNotFound, "No HTTP resource was found that matches the request URI '"+r.URL.Path+"'.")
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := apperr.As(err)
	if e.Kind == apperr.Internal {
		s.Logger.Error("request failed", slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("error", err))
	} else {
		s.Logger.Warn("request refused", slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", e.Status), slog.Any("error", err))
	}
	writeErrors(w, e.Status, e.Messages)
}
