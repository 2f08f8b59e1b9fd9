// Package apperr is Switchboard's one error type: an HTTP status, the client-safe messages
// (rendered by the REST surface as {"errors":[...]}) and the wrapped cause, which is logged
// but never shown to a client.
package apperr

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is an error a client may see.
type Error struct {
	Status   int
	Messages []string
	Err      error
}

func (e *Error) Error() string {
	msg := ""
	for i, m := range e.Messages {
		if i > 0 {
			msg += "; "
		}
		msg += m
	}
	if e.Err != nil {
		return msg + ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// New makes an error with a status and one message.
func New(status int, format string, args ...any) *Error {
	return &Error{Status: status, Messages: []string{fmt.Sprintf(format, args...)}}
}

// Wrap makes an error with a status and message that keeps cause for the logs.
func Wrap(status int, cause error, msg string) *Error {
	return &Error{Status: status, Messages: []string{msg}, Err: cause}
}

// Invalid is Autotask's answer to bad input and broken business rules: HTTP 500.
func Invalid(format string, args ...any) *Error {
	return New(http.StatusInternalServerError, format, args...)
}

// BadRequest is for input that cannot be read at all (malformed JSON, too large).
func BadRequest(format string, args ...any) *Error {
	return New(http.StatusBadRequest, format, args...)
}

// As finds the *Error in err's chain, or makes a 500 that hides err's text from the client.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Status: http.StatusInternalServerError, Messages: []string{"An internal error occurred."}, Err: err}
}
