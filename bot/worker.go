package bot

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// TargetHealth is how delivery to one target stands, for the status page.
type TargetHealth struct {
	Target      string
	LastSuccess time.Time
	Failures    int       // consecutive failed attempts
	LastError   string    // in words, no secrets
	NextAttempt time.Time // zero when nothing waits
}

// worker delivers to one target on its own clock: its own queue (the
// target's due posts in date order), its own backoff after a transient
// failure, its own health. Workers share nothing but the store and the
// sender lease, so a slow or dead target never delays another.
type worker struct {
	e *Engine
	t Target
	// passMu makes the target's passes (and Send) one at a time: the
	// Target contract is one caller at a time, and two passes could send
	// the same post.
	passMu sync.Mutex
	wake   chan struct{}

	mu     sync.Mutex
	health TargetHealth
	// forced: Retry asked for a pass now, backoff or not.
	forced bool
	// known holds the keys whose last failure left no doubt about what
	// went out (a permanent refusal, nothing sent): their next attempt
	// needs no Recover. Memory only: after a restart every unfinished
	// delivery is reconciled once, which is always safe.
	known map[string]bool
	// seeded: LastSuccess was read from the records.
	seeded bool
	// unindexed maps the files found to have no post (they never parsed)
	// to their hash: not looked up again until they change.
	unindexed map[string]string
	// pending are the posts the last pass found work for, as of the file
	// states of filesGen and the records of recsGen (nil: walk them all
	// next time). passMu.
	pending           map[string]struct{}
	filesGen, recsGen uint64
	// touched are the posts whose file state changed since the last pass
	// looked (Engine.filesMu: written by scans under the write lock, taken
	// by the worker's pass under the read lock).
	touched map[string]struct{}
}

func newWorker(e *Engine, t Target) *worker {
	return &worker{e: e, t: t, wake: make(chan struct{}, 1),
		health: TargetHealth{Target: t.Name()}, known: map[string]bool{}, unindexed: map[string]string{}}
}

// poke asks the worker's loop for a pass; it never blocks.
func (w *worker) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *worker) setKnown(key string, known bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if known {
		w.known[key] = true
	} else {
		delete(w.known, key)
	}
}

func (w *worker) isKnown(key string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.known[key]
}

// succeeded and failed keep the health up to date after each call.
func (w *worker) succeeded(at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.health.LastSuccess, w.health.Failures, w.health.LastError = at, 0, ""
}

func (w *worker) failed(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.health.Failures++
	w.health.LastError = err.Error()
}

// held records the outcome of a pass: held says a transient failure holds
// the queue, so the next attempt waits the backoff; otherwise nothing waits.
func (w *worker) held(held bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !held {
		w.health.NextAttempt = time.Time{}
		return
	}
	w.health.NextAttempt = time.Now().Add(w.e.retryDelay(max(w.health.Failures, 1) - 1))
}

// retryDelay is the wait before retry number attempt (0-based) of a held
// target: doubling from RetryMin up to RetryMax, drawn between half and
// all of that ceiling so that targets and replicas do not retry in step.
func (e *Engine) retryDelay(attempt int) time.Duration {
	lo, hi := e.RetryMin, e.RetryMax
	if lo <= 0 {
		lo = 5 * time.Second
	}
	if hi <= 0 {
		hi = 5 * time.Minute
	}
	ceil := lo
	for i := 0; i < attempt && ceil < hi; i++ {
		ceil *= 2
	}
	ceil = min(ceil, hi)
	return ceil/2 + rand.N(ceil/2+1)
}

// due reports whether a pass should run now (Run mode): the backoff of a
// held queue has passed, or Retry asked. It clears the Retry request.
func (w *worker) due() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.forced {
		w.forced = false
		return true
	}
	return w.health.NextAttempt.IsZero() || !time.Now().Before(w.health.NextAttempt)
}

// next is when the loop must wake by itself (zero: only when poked).
func (w *worker) next() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.health.NextAttempt
}

// loop is the worker under Run: a pass whenever poked (a tick scanned, the
// lease was won, Retry) or its backoff ends, while this replica is the
// sender and has scanned once. It returns when ctx ends; a call in flight
// finishes first.
func (w *worker) loop(ctx context.Context) {
	for {
		var timer <-chan time.Time
		var t *time.Timer
		if at := w.next(); !at.IsZero() {
			t = time.NewTimer(time.Until(at))
			timer = t.C
		}
		select {
		case <-ctx.Done():
		case <-w.wake:
		case <-timer:
		}
		if t != nil {
			t.Stop()
		}
		if ctx.Err() != nil {
			return
		}
		lease := w.e.senderContext()
		if lease == nil || !w.e.Ready() || !w.due() {
			continue
		}
		if err := w.e.deliverTo(ctx, lease, w); err != nil {
			w.e.log().Warn("delivery pass", "target", w.t.Name(), "err", err)
		}
	}
}

// Health reports how delivery to each target stands, in config order.
func (e *Engine) Health() []TargetHealth {
	e.init()
	out := make([]TargetHealth, len(e.workers))
	for i, w := range e.workers {
		w.mu.Lock()
		out[i] = w.health
		w.mu.Unlock()
	}
	return out
}

func (e *Engine) wakeAll() {
	for _, w := range e.workers {
		w.poke()
	}
}

// wakeAllLocked is wakeAll for callers holding leaseMu (workers never take
// leaseMu while blocking on their channel, so this cannot deadlock).
func (e *Engine) wakeAllLocked() { e.wakeAll() }

func (e *Engine) worker(target string) *worker {
	for _, w := range e.workers {
		if w.t.Name() == target {
			return w
		}
	}
	return nil
}
