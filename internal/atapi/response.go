package atapi

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/switchboard-psa/switchboard/internal/store"
)

// envelope is the body of an answer: one JSON object whose members are written in the order
// given (Autotask's envelopes: item, items and pageDetails, itemId, queryCount, errors, Message,
// the metadata objects), each value appended directly (rows by the row encoder, numbers,
// strings) or marshalled with encoding/json. Every answer of the REST surface is built as an
// envelope and written by send, which sets the headers every answer carries.
//
// Members written with key appear in that order; where an answer once came from marshalling a
// map, its keys are written in sorted order, as encoding/json wrote them.
type envelope struct {
	buf   []byte
	first bool  // no member written yet in the object being written
	err   error // a value that could not be marshalled: send answers 500
}

// newEnvelope starts an envelope whose body is expected to be about size bytes.
func newEnvelope(size int) *envelope {
	return &envelope{buf: append(make([]byte, 0, size), '{'), first: true}
}

// key starts the member name; a value method must follow.
func (b *envelope) key(name string) *envelope {
	if !b.first {
		b.buf = append(b.buf, ',')
	}
	b.first = false
	b.buf = appendJSONString(b.buf, name)
	b.buf = append(b.buf, ':')
	return b
}

func (b *envelope) int(n int64) *envelope {
	b.buf = strconv.AppendInt(b.buf, n, 10)
	return b
}

func (b *envelope) null() *envelope {
	b.buf = append(b.buf, "null"...)
	return b
}

// str appends s escaped as the row encoder escapes strings.
func (b *envelope) str(s string) *envelope {
	b.buf = appendJSONString(b.buf, s)
	return b
}

// value appends v marshalled by encoding/json.
func (b *envelope) value(v any) *envelope {
	j, err := json.Marshal(v)
	if err != nil && b.err == nil {
		b.err = err
	}
	b.buf = append(b.buf, j...)
	return b
}

// row appends one row as the encoder writes it.
func (b *envelope) row(enc *rowEncoder, row *store.Row) *envelope {
	b.buf = enc.append(b.buf, row)
	return b
}

// rows appends an array of rows.
func (b *envelope) rows(enc *rowEncoder, rows []*store.Row) *envelope {
	b.buf = append(b.buf, '[')
	for i, row := range rows {
		if i > 0 {
			b.buf = append(b.buf, ',')
		}
		b.buf = enc.append(b.buf, row)
	}
	b.buf = append(b.buf, ']')
	return b
}

// begin starts an object as the value of the current member; end closes it.
func (b *envelope) begin() *envelope {
	b.buf = append(b.buf, '{')
	b.first = true
	return b
}

func (b *envelope) end() *envelope {
	b.buf = append(b.buf, '}')
	b.first = false
	return b
}

// send closes the envelope and writes it with status and the JSON headers.
func (b *envelope) send(w http.ResponseWriter, status int) {
	body := append(b.buf, '}')
	if b.err != nil {
		body, status = []byte(`{"errors":["An internal error occurred."]}`), http.StatusInternalServerError
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeErrors answers Autotask's error envelope, {"errors":[...]}.
func writeErrors(w http.ResponseWriter, status int, messages []string) {
	newEnvelope(64).key("errors").value(messages).send(w, status)
}

// writeMessage answers the envelope of a path or method the contract does not have, {"Message":...}.
func writeMessage(w http.ResponseWriter, status int, message string) {
	newEnvelope(128).key("Message").value(message).send(w, status)
}

// writeItemID answers a write, {"itemId":id}.
func writeItemID(w http.ResponseWriter, id int64) {
	newEnvelope(32).key("itemId").int(id).send(w, http.StatusOK)
}
