// Package apperr is the error model shared by every service: an error carries a
// kind (what went wrong, mapped to an HTTP status at the transport edge), a
// stable machine-readable reason, a human message and, for invalid input, the
// fields at fault. errors.Is matches kinds through any amount of wrapping.
package apperr

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies an error independently of any transport.
type Kind int

// Kinds of application errors.
const (
	KindUnknown Kind = iota
	KindInvalid
	KindNotFound
	KindConflict
	KindUnauthorized
	KindForbidden
	KindLocked
	KindTooManyRequests
	KindUnavailable
	KindPrecondition
	KindUnprocessable
	KindTooLarge
	KindBadRequest
	KindUnsupportedMediaType
)

var kindNames = map[Kind]string{
	KindUnknown:              "unknown",
	KindInvalid:              "invalid",
	KindNotFound:             "not_found",
	KindConflict:             "conflict",
	KindUnauthorized:         "unauthorized",
	KindForbidden:            "forbidden",
	KindLocked:               "locked",
	KindTooManyRequests:      "too_many_requests",
	KindUnavailable:          "unavailable",
	KindPrecondition:         "precondition_failed",
	KindUnprocessable:        "unprocessable",
	KindTooLarge:             "too_large",
	KindBadRequest:           "bad_request",
	KindUnsupportedMediaType: "unsupported_media_type",
}

// String returns the snake_case name of the kind.
func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// FieldError names one input field and why it was refused. Line and
// Column (1-based; 0 and left out of the JSON when unknown) place the
// problem inside the field's text, for fields that hold source code
// (outreach's templates).
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
}

// Error is an application error. Construct it with the helpers below.
type Error struct {
	Kind    Kind
	Reason  string
	Message string
	Fields  []FieldError
	// RetryAfter, when positive, tells the client when to try again
	// (lockouts, throttling, open circuits).
	RetryAfter time.Duration
	cause      error
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = e.Reason
	}
	if len(e.Fields) > 0 {
		msg = fmt.Sprintf("%s: %s: %s", msg, e.Fields[0].Field, e.Fields[0].Message)
	}
	if e.cause != nil {
		return msg + ": " + e.cause.Error()
	}
	return msg
}

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.cause }

// Is reports whether target is a sentinel of the same kind, or an *Error with
// the same kind and reason.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	if t.Reason == "" || t.Reason == sentinelReason {
		return t.Kind == e.Kind
	}
	return t.Kind == e.Kind && t.Reason == e.Reason
}

const sentinelReason = "\x00sentinel"

func sentinel(k Kind) *Error { return &Error{Kind: k, Reason: sentinelReason, Message: k.String()} }

// Sentinels for errors.Is checks by kind.
var (
	ErrInvalid         = sentinel(KindInvalid)
	ErrNotFound        = sentinel(KindNotFound)
	ErrConflict        = sentinel(KindConflict)
	ErrUnauthorized    = sentinel(KindUnauthorized)
	ErrForbidden       = sentinel(KindForbidden)
	ErrLocked          = sentinel(KindLocked)
	ErrTooManyRequests = sentinel(KindTooManyRequests)
	ErrUnavailable     = sentinel(KindUnavailable)
	ErrPrecondition    = sentinel(KindPrecondition)
	ErrUnprocessable   = sentinel(KindUnprocessable)
	ErrTooLarge        = sentinel(KindTooLarge)
	ErrBadRequest      = sentinel(KindBadRequest)
)

// New returns an error of the given kind with a stable reason and a message.
func New(kind Kind, reason, message string) *Error {
	return &Error{Kind: kind, Reason: reason, Message: message}
}

// Wrap returns an error of the given kind that keeps cause for errors.Is/As
// and logging; the cause is never shown to clients.
func Wrap(cause error, kind Kind, reason, message string) *Error {
	return &Error{Kind: kind, Reason: reason, Message: message, cause: cause}
}

// NotFound reports a missing (or invisible) resource.
func NotFound(reason, message string) *Error { return New(KindNotFound, reason, message) }

// Conflict reports a clash with the current state (duplicates, races).
func Conflict(reason, message string) *Error { return New(KindConflict, reason, message) }

// Unauthorized reports missing or bad credentials.
func Unauthorized(reason, message string) *Error { return New(KindUnauthorized, reason, message) }

// Forbidden reports an authenticated caller lacking a permission.
func Forbidden(reason, message string) *Error { return New(KindForbidden, reason, message) }

// Unprocessable reports well-formed input that breaks a business rule.
func Unprocessable(reason, message string) *Error { return New(KindUnprocessable, reason, message) }

// BadRequest reports a request that cannot be read at all (malformed JSON, a
// bad query parameter); field names the part at fault.
func BadRequest(field, message string) *Error {
	return &Error{Kind: KindBadRequest, Reason: "bad_request", Message: "the request could not be read",
		Fields: []FieldError{{Field: field, Message: message}}}
}

// Invalid reports one bad input field.
func Invalid(field, message string) *Error {
	return InvalidFields(FieldError{Field: field, Message: message})
}

// InvalidFields reports several bad input fields at once.
func InvalidFields(fields ...FieldError) *Error {
	return &Error{Kind: KindInvalid, Reason: "validation_failed", Message: "the request has invalid fields", Fields: fields}
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// KindOf returns the kind of err, KindUnknown when it is not an *Error.
func KindOf(err error) Kind {
	if e, ok := As(err); ok {
		return e.Kind
	}
	return KindUnknown
}

// Fields collects field errors and turns them into one Invalid error.
type Fields []FieldError

// Add records a bad field.
func (f *Fields) Add(field, message string) {
	*f = append(*f, FieldError{Field: field, Message: message})
}

// Err returns nil when no field was added, else an Invalid error naming them all.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	return InvalidFields(f...)
}
