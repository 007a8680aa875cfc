package bot

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// On a first start over an archive, the first delivery pass of each target
// writes a "skipped" record for every post older than the catch-up window
// (9,000 of them at 10,000 posts). When the workers did that after the
// engine said it was ready, those writes competed with the first lookups
// (p99 of `GET /api/papers/{id}` 174–261 ms in the first second after
// /readyz said ready, 10–17 ms without them). So the first scan of a
// running engine writes them itself, before it reports ready: "ready" means
// the archive is indexed and the bookkeeping of the start is done. They are
// records only — no target is called — so no chat can hold readiness up.

// recordCatchUp writes, for every target, the skip records the first
// delivery pass would write without calling the target: the posts this
// process's scan indexed that have no record yet and that the catch-up
// window (or the target's filters) keeps from being sent. It runs under
// Run only (the workers would do this work right after ready; a Tick's
// own delivery follows its scan at once), and only while this replica
// holds the sender lease: the records are the sender's to write, and a
// replica without the lease leaves them to the one that has it. Errors are
// logged: the workers' passes write whatever is left.
func (e *Engine) recordCatchUp(ctx context.Context) {
	if !e.running.Load() || len(e.workers) == 0 {
		return
	}
	lease := e.senderContext()
	if lease == nil {
		// The keeper may not have asked yet, or the lease lapsed while the
		// scan held the store's writer: ask once.
		if _, err := e.acquire(ctx); err != nil {
			e.log().Warn("sender lease", "err", err)
		}
		if lease = e.senderContext(); lease == nil {
			e.log().Debug("not the sender; the catch-up records are left to the sender")
			return
		}
	}
	start := time.Now()
	n := 0
	for _, w := range e.workers {
		k, err := e.skipsTo(ctx, lease, w)
		n += k
		if err != nil && ctx.Err() == nil {
			e.log().Warn("record catch-up skips before ready; the delivery pass will", "target", w.t.Name(), "err", err)
		}
	}
	if n > 0 {
		e.log().Info("catch-up records written before ready", "deliveries", n, "took", time.Since(start).Round(time.Millisecond))
	}
}

// skipsTo is the part of a delivery pass of w's target that needs no call:
// the first record of each post the scan indexed that is skipped by the
// catch-up window or by the target's filters, written in batches when the
// store can. It decides as deliverTo would (skipReason), for the posts
// whose date this process's scan learnt; every other post is left to the
// pass. It stops when the lease is lost. It returns how many posts it
// skipped.
func (e *Engine) skipsTo(ctx, lease context.Context, w *worker) (int, error) {
	w.passMu.Lock()
	defer w.passMu.Unlock()
	work, cutoff, err := e.findWork(ctx, w)
	if err != nil {
		return 0, fmt.Errorf("deliver: %w", err)
	}
	name := w.t.Name()
	_, filtered := w.t.(Matcher)
	now := e.now()
	skipped := &skipTally{}
	var errs []error
	for _, it := range work {
		if !it.known || it.info.date.After(now) {
			continue
		}
		if err := lease.Err(); err != nil {
			errs = append(errs, errLeaseLost)
			break
		}
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		r, err := e.recs.get(it.path, name)
		if err != nil {
			errs = append(errs, err)
			break
		}
		if r != nil {
			continue // recorded before: the pass decides
		}
		d := &Digest{Path: it.path, Date: it.info.date, Hash: it.info.hash}
		if filtered {
			// The filters read the post (tags, text).
			if d, err = e.Store.Post(ctx, it.path); err != nil {
				continue // gone, or unreadable: the pass records why
			}
		}
		reason := e.skipReason(w.t, d, cutoff)
		if reason == "" {
			continue // to be sent: the pass does it
		}
		if err := e.skip(ctx, d, name, nil, reason, skipped); err != nil {
			errs = append(errs, err)
		}
	}
	if err := e.flushSkips(ctx, skipped); err != nil {
		errs = append(errs, err)
	}
	if skipped.n > 0 {
		e.log().Info("posts indexed but not sent (catch-up window or target filters)",
			"target", name, "deliveries", skipped.n, "cutoff", cutoff)
	}
	return skipped.n, errors.Join(errs...)
}
