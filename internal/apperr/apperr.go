// Package apperr is Switchboard's one error type: an HTTP status, the client-safe messages
// (rendered by the REST surface as {"errors":[...]}) and the wrapped cause, which is logged
// but never shown to a client.
package apperr

import (
	"errors"
	"fmt"
	"net/http"
)

// Kind tells whose fault an error is.
type Kind uint8

const (
	// ClientFault is the caller's: bad input, a broken business rule, no permission, nothing
	// found. Autotask answers many of these with HTTP 500, so the status does not tell.
	ClientFault Kind = iota
	// Internal is Switchboard's (a database or a bug): the client sees "An internal error
	// occurred." and the cause is logged as an error.
	Internal
)

func (k Kind) String() string {
	if k == Internal {
		return "internal"
	}
	return "client"
}

// Error is an error a client may see.
type Error struct {
	Kind     Kind
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

// InternalMessage is what a client reads of an internal error.
const InternalMessage = "An internal error occurred."

// Internalf wraps cause as an internal error: a 500 whose text the client never sees.
func Internalf(cause error) *Error {
	return &Error{Kind: Internal, Status: http.StatusInternalServerError, Messages: []string{InternalMessage}, Err: cause}
}

// As finds the *Error in err's chain, or makes an internal error of err, which hides its text
// from the client.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Internalf(err)
}

// IsInternal reports whether err is Switchboard's fault rather than the caller's: an *Error
// of kind Internal, or any error that is no *Error.
func IsInternal(err error) bool { return As(err).Kind == Internal }
