// Package bot holds paperbot's domain: the parsed Daily Papers post (Digest,
// Paper, Section and their rich text), arXiv identifiers, the errors that
// carry a code for users, and the interfaces the engine depends on (Store,
// Source, Target, Parser) with their contracts. It imports nothing of the
// project; every adapter (formatter, store, source, slack, web) imports it.
package bot

import (
	"errors"
	"fmt"
)

// Error codes. They decide what a user is told ("not found") while the
// wrapped error chain tells the log why it broke.
const (
	ENOTFOUND     = "not_found"
	EINVALID      = "invalid"
	ECONFLICT     = "conflict"
	EUNAUTHORIZED = "unauthorized"
	EUNAVAILABLE  = "unavailable"
	EINTERNAL     = "internal"
	// EUNREADABLE: a stored post is damaged; its message names the post.
	EUNREADABLE = "unreadable"
)

// Error is a domain error: a code for programs and a message safe to show a
// user. Wrap it (fmt.Errorf("...: %w", err)) to add context for the log.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf returns an *Error with code and a formatted, user-safe message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-safe message of the first *Error in err's
// chain; other errors become a generic sentence so internals (and secrets in
// them) never reach a chat.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Message
	}
	return "Something went wrong on our side; the details are in the bot's log."
}

// PostError reports a post that cannot be read, as `file:line: reason`.
// Line is 1-based; 0 means the whole file.
type PostError struct {
	Path   string
	Line   int
	Reason string
}

func (e *PostError) Error() string {
	if e.Line <= 0 {
		return fmt.Sprintf("%s: %s", e.Path, e.Reason)
	}
	return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Reason)
}
