// Package backoff is the retry timing the chat adapters share: capped
// exponential backoff with jitter, a context-aware sleep, and the test for
// network failures that are worth retrying whatever the platform. What a
// platform's own errors mean (Slack's "ratelimited", Discord's 50035) stays
// in its adapter.
package backoff

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"strings"
	"syscall"
	"time"
)

// Delay is the wait before retry number attempt (0-based): between half
// and all of a ceiling that doubles from base up to max. The jitter keeps
// replicas and channels from retrying in lockstep; the lower half-bound
// keeps retries from bunching up at zero.
func Delay(base, max time.Duration, attempt int) time.Duration {
	if base <= 0 {
		return 0
	}
	ceil := base
	for i := 0; i < attempt && ceil < max; i++ {
		ceil *= 2
	}
	ceil = min(ceil, max)
	return ceil/2 + rand.N(ceil/2+1)
}

// Sleep waits d or until ctx ends, and then returns ctx's error.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// NetworkTransient reports whether err is a failure of the connection
// rather than an answer: a timeout, a reset, a refused connection or an
// early EOF. Such a call may or may not have reached the platform, so
// callers that post must check before posting again.
func NetworkTransient(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "EOF") || strings.Contains(msg, "connection reset") || strings.Contains(msg, "connection refused")
}

// NotSent reports whether err happened before a request left the machine:
// a DNS failure, a refused connection, any failure to dial. Such a call
// cannot have reached the platform, so the next attempt may simply send;
// anything else that is not an answer (a timeout, a reset) may have.
func NotSent(err error) bool {
	if err == nil {
		return false
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}

// MaxUnsent is how many attempts in a row that sent nothing (NotSent) a
// call makes before it hands the failure back: a chat that refuses
// connections is retried on the engine's clock, with its backoff, not
// inside one call until its deadline (which would leave the last attempt's
// outcome unknown).
const MaxUnsent = 3

// Policy tunes how an adapter retries transient failures; calls are
// retried until the caller's context ends.
type Policy struct {
	// Base and Max bound the exponential backoff for 5xx and timeouts
	// (defaults 1s and 30s); the wait is drawn with jitter (Delay).
	Base, Max time.Duration
	// MinRetryAfter is the least wait after a 429 whose Retry-After is 0
	// or missing (default: the adapter's, see WithDefaults).
	MinRetryAfter time.Duration
	// CallTimeout bounds one HTTP call (default 30s); a timed-out call is
	// retried like a 5xx.
	CallTimeout time.Duration
}

// WithDefaults fills the zero fields; minRetryAfter is the platform's own
// floor for a 429 (Slack asks for seconds, Discord for milliseconds).
func (p Policy) WithDefaults(minRetryAfter time.Duration) Policy {
	if p.Base <= 0 {
		p.Base = time.Second
	}
	if p.Max <= 0 {
		p.Max = 30 * time.Second
	}
	if p.Max < p.Base {
		p.Max = p.Base
	}
	if p.MinRetryAfter <= 0 {
		p.MinRetryAfter = minRetryAfter
	}
	if p.CallTimeout <= 0 {
		p.CallTimeout = 30 * time.Second
	}
	return p
}

// Delay is the wait before retry number attempt under p.
func (p Policy) Delay(attempt int) time.Duration { return Delay(p.Base, p.Max, attempt) }

// Kind is what an adapter's classify makes of a failed call: the three
// answers decide the same loop on both platforms (return, wait the
// platform's Retry-After, or back off with Delay).
type Kind int

const (
	// Permanent: no retry; the error goes back to the caller.
	Permanent Kind = iota
	// RateLimited: a 429; wait what the platform asks (at least
	// Policy.MinRetryAfter), then retry.
	RateLimited
	// Transient: a 5xx, timeout or network failure; back off, then retry.
	Transient
)
