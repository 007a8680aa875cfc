package bot

import (
	"context"
	"errors"
	"fmt"
)

// MessageRef identifies one chat message a target posted: a Slack channel and
// ts, a Discord channel and message id, a console line number.
type MessageRef struct {
	Channel string `json:"channel"`
	ID      string `json:"id"`
	// Thread is the parent's ID for a thread reply (Slack details: thread).
	Thread string `json:"thread,omitempty"`
}

// Target is a place digests are delivered to: one Slack channel, one Discord
// channel or webhook, the console.
//
// The engine calls a target from one goroutine at a time. Every method may
// return a partial result together with an error: the refs of the messages
// that did go out, so the engine records them and never sends them twice.
// Transient failures (429, 5xx, timeouts) are retried inside the call with
// backoff until ctx ends; an error returned ends this attempt, and says
// with a SendError whether it was permanent or sent nothing.
type Target interface {
	// Name is the configured target name, unique across the config.
	Name() string
	// Post sends d as new messages and returns their refs in order. key is
	// the delivery's idempotency key: the target attaches it to every message
	// (Slack metadata, Discord nonce) so that Recover can find them.
	Post(ctx context.Context, d *Digest, key string) ([]MessageRef, error)
	// Recover returns, in order, the messages an interrupted Post with this
	// key left in the chat (none: nil). A target that cannot look back
	// returns nil, nil, and the post is sent again. The engine records an
	// error as RecoverError(err), which names the phase: err should not.
	Recover(ctx context.Context, key string) ([]MessageRef, error)
	// Edit makes the messages refs show d: it edits them in place, posts the
	// ones missing at the end (with key) and deletes any left over, and
	// returns the refs that now show d.
	Edit(ctx context.Context, d *Digest, key string, refs []MessageRef) ([]MessageRef, error)
}

// InOrder returns the refs of parts 0, 1, 2, … up to the first part
// missing from parts, the messages a Recover found by part number. Parts
// after a gap cannot be trusted to be in order, so Recover returns only
// the contiguous ones and Edit completes the digest from there.
func InOrder(parts map[int]MessageRef) []MessageRef {
	var refs []MessageRef
	for i := 0; ; i++ {
		r, ok := parts[i]
		if !ok {
			return refs
		}
		refs = append(refs, r)
	}
}

// Matcher is implemented by targets that take only some posts (per-target
// tags and keywords filters). A target without it takes every post.
type Matcher interface {
	Match(d *Digest) bool
}

// SendError tells the engine what became of a failed call to a target, so
// that it knows whether the post holds the target's queue and whether the
// chat must be searched (Recover) before the next attempt. Adapters wrap
// their final errors with Permanent or NotSent; an error without a
// SendError in its chain is transient with an unknown outcome (a timeout, a
// 5xx, a reset connection: the message may or may not be in the chat).
type SendError struct {
	Err error
	// Permanent: the platform refused this post (a 4xx other than 429) or
	// it cannot be rendered. Retrying will not help, so the delivery is
	// marked failed and later posts to the target go on. The outcome is
	// known: the refs returned with the error are all that went out.
	Permanent bool
	// NotSent: nothing left the machine (a refused connection, a DNS
	// failure), so the refs returned are all that went out and the next
	// attempt simply sends, without searching the chat first.
	NotSent bool
}

func (e *SendError) Error() string { return e.Err.Error() }
func (e *SendError) Unwrap() error { return e.Err }

// Permanent marks err as a refusal no retry can fix (see SendError).
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &SendError{Err: err, Permanent: true}
}

// NotSent marks err as a failure that sent nothing (see SendError).
func NotSent(err error) error {
	if err == nil {
		return nil
	}
	return &SendError{Err: err, NotSent: true}
}

// IsPermanent reports whether err is a permanent refusal (see SendError).
func IsPermanent(err error) bool {
	var se *SendError
	return errors.As(err, &se) && se.Permanent
}

// IsNotSent reports whether err says that nothing was sent (see SendError).
func IsNotSent(err error) bool {
	var se *SendError
	return errors.As(err, &se) && se.NotSent
}

// Rendered runs render (a target drawing post path as its messages) and
// turns a panic into a permanent failure of that post: a post the renderer
// cannot draw fails alone, and nothing was sent.
func Rendered[T any](path string, render func() T) (out T, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = Permanent(fmt.Errorf("%s cannot be rendered: %v", path, r))
		}
	}()
	return render(), nil
}
