package apperr

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
)

func TestKinds(t *testing.T) {
	cause := errors.New("connection reset")
	for _, c := range []struct {
		err      error
		internal bool
		msg      string
	}{
		{Invalid("bad %s", "value"), false, "bad value"},
		{BadRequest("too large"), false, "too large"},
		{New(http.StatusNotFound, "gone"), false, "gone"},
		{Wrap(500, cause, "not JSON"), false, "not JSON"},
		{fmt.Errorf("save: %w", Invalid("rule")), false, "rule"},
		{cause, true, InternalMessage},
		{Internalf(cause), true, InternalMessage},
		{fmt.Errorf("commit: %w", Internalf(cause)), true, InternalMessage},
	} {
		e := As(c.err)
		if IsInternal(c.err) != c.internal || e.Messages[0] != c.msg {
			t.Errorf("%v: internal %v, message %q; want %v, %q", c.err, IsInternal(c.err), e.Messages[0], c.internal, c.msg)
		}
		if c.internal && !errors.Is(e, cause) {
			t.Errorf("%v: the cause is lost", c.err)
		}
	}
}
