package atapi

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-psa/switchboard/internal/auth"
	"github.com/switchboard-psa/switchboard/internal/limits"
)

// limit is the API limits' step of a request, after authentication: a thread slot of the
// caller's tracking identifier on the collection, the tenant's hourly threshold, and the
// latency of its tier, slept while holding the slot as Autotask does. Refused requests are
// answered 429 here; ok is false then.
func (s *Server) limit(w http.ResponseWriter, r *http.Request, p *auth.Principal, collection string) (*limits.Ticket, bool) {
	if s.Limits == nil {
		return nil, true
	}
	t, err := s.Limits.Admit(r.Context(), limits.Call{Tenant: p.TenantID, Code: p.IntegrationCode, Resource: p.ResourceID, Collection: strings.ToLower(collection)})
	if err != nil {
		var ref *limits.Refusal
		if !errors.As(err, &ref) {
			s.writeError(w, r, err)
			return nil, false
		}
		if !ref.Thread {
			w.Header().Set("Retry-After", strconv.FormatInt(ref.RetryAfterSeconds(), 10))
		}
		writeErrors(w, http.StatusTooManyRequests, []string{ref.Message})
		return nil, false
	}
	if t.Delay > 0 {
		timer := time.NewTimer(t.Delay)
		select {
		case <-timer.C:
		case <-r.Context().Done(): // the client left
			timer.Stop()
			t.Release()
			return nil, false
		}
	}
	return t, true
}

// thresholdInformation answers with the tenant's threshold and its requests in the rolling
// hour, this call included. With several nodes the count is first exchanged with the others.
func (s *Server) thresholdInformation(w http.ResponseWriter, r *http.Request, p *auth.Principal, t *limits.Ticket) {
	threshold, count := int64(limits.DefaultThreshold), int64(0)
	if t != nil {
		threshold, count = t.Threshold, t.Count
	}
	if s.Limits != nil && s.Limits.Shared() {
		if err := s.Limits.Sync(r.Context()); err == nil {
			count = max(count, s.Limits.InWindow(p.TenantID))
		}
	}
	newEnvelope(128).key("currentTimeframeRequestCount").int(count).key("externalRequestThreshold").int(threshold).
		key("requestThresholdTimeframe").int(60).send(w, http.StatusOK)
}
