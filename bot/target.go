package bot

import "context"

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
// backoff until ctx ends; an error returned is final for this tick.
type Target interface {
	// Name is the configured target name, unique across the config.
	Name() string
	// Post sends d as new messages and returns their refs in order. key is
	// the delivery's idempotency key: the target attaches it to every message
	// (Slack metadata, Discord nonce) so that Recover can find them.
	Post(ctx context.Context, d *Digest, key string) ([]MessageRef, error)
	// Recover returns, in order, the messages an interrupted Post with this
	// key left in the chat (none: nil). A target that cannot look back
	// returns nil, nil, and the post is sent again.
	Recover(ctx context.Context, key string) ([]MessageRef, error)
	// Edit makes the messages refs show d: it edits them in place, posts the
	// ones missing at the end (with key) and deletes any left over, and
	// returns the refs that now show d.
	Edit(ctx context.Context, d *Digest, key string, refs []MessageRef) ([]MessageRef, error)
}

// Matcher is implemented by targets that take only some posts (per-target
// tags and keywords filters). A target without it takes every post.
type Matcher interface {
	Match(d *Digest) bool
}
