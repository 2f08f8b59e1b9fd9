package mail

import (
	"encoding/json"
	"sync"
	"time"

	gomail "github.com/emersion/go-message/mail"
)

// attachmentBudget keeps, per target, the attachment bytes sent in the last five minutes, so
// the router stays inside Autotask's 10,000,000 bytes per 5 minutes.
type attachmentBudget struct {
	mu   sync.Mutex
	sent map[string][]sentBytes
}

type sentBytes struct {
	at time.Time
	n  int
}

// take reserves n bytes for key at now; false when that would pass the limit.
func (b *attachmentBudget) take(key string, n int, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.sent == nil {
		b.sent = map[string][]sentBytes{}
	}
	list := b.sent[key]
	total, keep := 0, list[:0]
	for _, s := range list {
		if now.Sub(s.at) < AttachmentWindow {
			keep = append(keep, s)
			total += s.n
		}
	}
	if total+n > AttachmentWindowBytes {
		b.sent[key] = keep
		return false
	}
	b.sent[key] = append(keep, sentBytes{at: now, n: n})
	return true
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

func gomailHeaderOf(h *gomail.Header) gomail.Header {
	if h == nil {
		return gomail.Header{}
	}
	return *h
}
