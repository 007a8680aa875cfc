package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Why a delivery was skipped (Delivery.LastError of a skipped record).
const (
	skipCatchUp  = "skipped: dated before the catch-up window"
	skipFiltered = "skipped: not matched by the target's filters"
)

// DeliveryKey is the idempotency key of (target, post path): "pb-" and 16
// hex digits of a SHA-256, 19 characters, short enough for a Discord nonce
// (25) and stable across restarts so Recover can find an interrupted send.
func DeliveryKey(target, postPath string) string {
	sum := sha256.Sum256([]byte(target + "\x00" + postPath))
	return "pb-" + hex.EncodeToString(sum[:])[:16]
}

// forcedKey is the key of a forced re-send: different from every earlier
// key of the pair, so the platforms treat the messages as new (Slack
// metadata and Discord nonces differ) and Recover does not mistake the old
// messages for the new ones.
func forcedKey(target, postPath string, now time.Time) string {
	sum := sha256.Sum256([]byte(target + "\x00" + postPath + "\x00" + strconv.FormatInt(now.UnixNano(), 10)))
	return "pb-" + hex.EncodeToString(sum[:])[:16]
}

// Deliver runs one delivery pass for every target, if this replica holds
// the sender lease (else it does nothing). See deliverTo for the rules.
func (e *Engine) Deliver(ctx context.Context) error {
	e.init()
	e.tickMu.Lock()
	defer e.tickMu.Unlock()
	return e.deliver(ctx)
}

// deliver is the delivery part of a tick. Under Run the workers deliver on
// their own clocks and a tick only tells them there may be new work.
// Outside Run (Tick, Deliver) it takes the lease and runs one pass per
// target, the targets side by side, and returns when all are done; a
// target that failed is tried again at the next call, whatever its backoff.
func (e *Engine) deliver(ctx context.Context) error {
	if len(e.Targets) == 0 {
		return nil
	}
	if e.running.Load() {
		e.wakeAll()
		return nil
	}
	lease, done, err := e.holdLease(ctx)
	if err != nil {
		return fmt.Errorf("deliver: take lease: %w", err)
	}
	if lease == nil {
		e.log().Debug("another replica is the sender; not delivering")
		return nil
	}
	defer done()
	errs := make([]error, len(e.workers))
	var wg sync.WaitGroup
	for i, w := range e.workers {
		wg.Go(func() { errs[i] = e.deliverTo(ctx, lease, w) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// deliverTo is one delivery pass for one target.
//
// The target's due posts are taken oldest first (date, then path). Drafts
// and posts dated in the future wait (no record). A post without a record
// is recorded as skipped when the target's Matcher refuses it or when it is
// dated before the catch-up cutoff (previous successful scan - CatchUp),
// and is sent otherwise. Sending records the intent (state sending, key,
// hash) before the target is called, and the outcome after: sent with the
// refs; failed (permanent: a refusal, or a post that cannot be read or
// rendered), which does not hold later posts; or retrying (transient: 429,
// 5xx, network), which holds every later post of this target until it goes
// through, so the channel keeps date order. Held posts are recorded as
// queued, so the catch-up window cannot skip them while the target is
// down. Before an attempt whose earlier outcome is unknown (an interrupted
// send, a timeout, a 5xx) Recover finds what went out under the key, and
// Edit completes it; when nothing can have gone out (a refused connection)
// the attempt simply sends. A sent post whose hash changed is edited in
// place. A failed post is tried again when the post changes (or by Retry).
//
// A post that cannot be read back from the store fails alone: it is
// recorded as failed with the reason and the pass goes on.
//
// stop ends the pass before its next call (shutdown); lease is the sender
// tenure, which bounds every call.
func (e *Engine) deliverTo(stop, lease context.Context, w *worker) error {
	w.passMu.Lock()
	defer w.passMu.Unlock()
	work, cutoff, err := e.findWork(stop, w)
	if err != nil {
		err = fmt.Errorf("deliver: %w", err)
		w.failed(err)
		w.held(true)
		return err
	}
	held, err := e.pass(stop, lease, w, work, cutoff)
	w.held(held)
	return err
}

// workItem is a post that may need a call: its file state, and what the
// scan learnt of its post (known false: read it from the store).
type workItem struct {
	path  string
	fs    FileState
	info  postInfo
	known bool
}

// findWork is what a pass reads first: the catch-up cutoff, and the posts
// whose file state and record say they may need a call. It reads the file
// states and records this engine keeps, not the store's (freshRecords says
// when the records are read again), and of those only the ones that
// changed since the last pass, plus the posts that needed work then: an
// idle pass costs nothing per post of the archive. The whole walk happens
// when the file states or records were read anew.
func (e *Engine) findWork(ctx context.Context, w *worker) ([]workItem, time.Time, error) {
	cutoff, err := e.cutoff(ctx)
	if err != nil {
		return nil, cutoff, err
	}
	if err := e.freshRecords(ctx); err != nil {
		return nil, cutoff, err
	}
	w.seed(&e.recs)
	e.filesMu.RLock()
	defer e.filesMu.RUnlock()
	files, posted := e.files, e.posted
	kept := files != nil
	if !kept {
		// No scan yet in this process, or the last one failed.
		if files, err = e.Store.Files(ctx); err != nil {
			return nil, cutoff, fmt.Errorf("stored files: %w", err)
		}
		posted = nil
	}
	name := w.t.Name()
	e.recs.mu.Lock()
	defer e.recs.mu.Unlock()
	recs := e.recs.byTarget[name]
	var work []workItem
	pending := map[string]struct{}{}
	look := func(p string) {
		if _, seen := pending[p]; seen {
			return
		}
		fs, ok := files[p]
		if !ok {
			return
		}
		if h, ok := w.unindexed[p]; ok && h == fs.Hash {
			return
		}
		if !needsWork(recs[p], fs) {
			return
		}
		pending[p] = struct{}{}
		info, known := posted[p]
		// The post indexed from this version of the file, parsed by this
		// process: its date is known without reading it.
		known = known && fs.Error == "" && info.hash == fs.Hash
		work = append(work, workItem{path: p, fs: fs, info: info, known: known})
	}
	whole := !kept || w.pending == nil || w.filesGen != e.filesGen || w.recsGen != e.recs.gen
	if whole {
		for p := range files {
			look(p)
		}
	} else {
		for p := range w.pending {
			look(p)
		}
		for p := range w.touched {
			look(p)
		}
		for p := range e.recs.touched[name] {
			look(p)
		}
	}
	if debugWork && kept {
		checkWork(files, recs, w, pending)
	}
	w.touched = nil
	delete(e.recs.touched, name)
	if kept {
		w.pending, w.filesGen, w.recsGen = pending, e.filesGen, e.recs.gen
	} else {
		w.pending = nil
	}
	return work, cutoff, nil
}

// debugWork makes findWork check its shortcut against the whole walk
// (tests).
var debugWork = false

func checkWork(files map[string]FileState, recs map[string]*Delivery, w *worker, pending map[string]struct{}) {
	for p, fs := range files {
		if h, ok := w.unindexed[p]; ok && h == fs.Hash {
			continue
		}
		if _, ok := pending[p]; needsWork(recs[p], fs) != ok {
			panic(fmt.Sprintf("findWork: %s needs work %v, found %v", p, !ok, ok))
		}
	}
}

func (e *Engine) pass(stop, lease context.Context, w *worker, work []workItem, cutoff time.Time) (held bool, err error) {
	name := w.t.Name()
	if len(work) == 0 {
		return false, nil
	}
	due, err := e.duePosts(stop, w, work)
	if err != nil {
		return true, err
	}
	_, filtered := w.t.(Matcher)
	sort.Slice(due, func(i, j int) bool {
		if !due[i].date.Equal(due[j].date) {
			return due[i].date.Before(due[j].date)
		}
		return due[i].path < due[j].path
	})

	now := e.now()
	skipped := &skipTally{}
	defer func() {
		// The skips this pass left unrecorded: a crash before this only
		// means the next pass skips them again.
		if ferr := e.flushSkips(stop, skipped); ferr != nil {
			err = errors.Join(err, ferr)
		}
	}()
	var errs []error
	holder := "" // the post holding the queue
	for _, dp := range due {
		if dp.draft {
			continue
		}
		if dp.date.After(now) {
			e.log().Debug("post dated in the future waits", "path", dp.path, "date", dp.date)
			continue
		}
		if holder == "" && stop.Err() != nil {
			// Shutting down: begin nothing new; the rest waits for the
			// next start.
			e.log().Info("delivery stopped for shutdown", "target", name, "next", dp.path)
			break
		}
		r, err := e.recs.get(dp.path, name)
		if err != nil {
			return true, errors.Join(append(errs, err)...)
		}
		d := dp.d
		if d == nil && r == nil && !filtered && dp.hash != "" && dp.date.Before(cutoff) {
			// Skipped by the catch-up window, whether a post holds the
			// queue or not, and the date alone says so: a first pass over
			// an archive reads none of its posts back.
			if err := e.skip(stop, &Digest{Path: dp.path, Date: dp.date, Hash: dp.hash}, name, nil, skipCatchUp, skipped); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		if d == nil {
			if d, err = e.Store.Post(stop, dp.path); err != nil {
				if ErrorCode(err) == ENOTFOUND { // gone since: nothing to send
					continue
				}
				if e.unreadable(stop, w, dp.path, dp.fs, r, err) {
					continue
				}
				return true, errors.Join(append(errs, fmt.Errorf("load %s: %w", dp.path, err))...)
			}
		}
		if holder != "" {
			if err := e.queue(stop, w, d, r, cutoff, holder, skipped); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		hold, err := e.deliverOne(stop, lease, w, d, r, cutoff, true, skipped)
		if errors.Is(err, errLeaseLost) {
			return false, errors.Join(append(errs, err)...)
		}
		if err != nil {
			e.log().Error("delivery failed", "post", d.Path, "target", name, "holds_later_posts", hold, "err", err)
			errs = append(errs, err)
		}
		if hold {
			holder = d.Path
		}
	}
	if skipped.n > 0 {
		e.log().Info("posts indexed but not sent (catch-up window or target filters)",
			"target", name, "deliveries", skipped.n, "cutoff", cutoff)
	}
	return holder != "", errors.Join(errs...)
}

// seed fills LastSuccess from the records once, so the health of a target
// is right from the first pass after a restart.
func (w *worker) seed(recs *records) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.seeded {
		return
	}
	w.seeded = true
	recs.mu.Lock()
	defer recs.mu.Unlock()
	for _, r := range recs.byTarget[w.health.Target] {
		if r.State == DeliverySent && r.UpdatedAt.After(w.health.LastSuccess) {
			w.health.LastSuccess = r.UpdatedAt
		}
	}
}

// queue records a post due while an earlier one holds the target: skipped
// if its filters or the catch-up window say so, else queued (with no call).
func (e *Engine) queue(ctx context.Context, w *worker, d *Digest, r *Delivery, cutoff time.Time, holder string, skipped *skipTally) error {
	name := w.t.Name()
	if r != nil && !(r.State == DeliverySkipped && r.LastError == skipFiltered && r.Hash != d.Hash) {
		return nil // it has its record and waits its turn
	}
	if reason := e.skipReason(w.t, d, cutoff); reason != "" {
		return e.skip(ctx, d, name, r, reason, skipped)
	}
	return e.put(ctx, &Delivery{Post: d.Path, Target: name, Key: DeliveryKey(name, d.Path), State: DeliveryQueued,
		Hash: d.Hash, LastError: "waiting for an earlier post to go through: " + holder})
}

// unreadable records a post the store cannot read back as failed on the
// target (logged and counted once: the record stops the next passes from
// reading it until the file changes). It reports false for errors that are
// not the post's fault (the store is down): the pass stops there.
func (e *Engine) unreadable(ctx context.Context, w *worker, p string, fs FileState, r *Delivery, err error) bool {
	if !errors.Is(err, ErrUnreadable) {
		return false
	}
	name := w.t.Name()
	rec := Delivery{Post: p, Target: name, Key: DeliveryKey(name, p), State: DeliveryFailed,
		Hash: fs.Hash, LastError: unreadableReason(err)}
	if r != nil {
		rec.Key, rec.Refs, rec.Attempts = r.Key, r.Refs, r.Attempts
	}
	e.log().Error("post cannot be read back from the store; failed on this target", "post", p, "target", name, "err", err)
	e.failure(name, "unreadable")
	w.failed(errors.New(rec.LastError))
	if perr := e.put(ctx, &rec); perr != nil {
		e.log().Error("record a failed delivery", "post", p, "target", name, "err", perr)
	}
	return true
}

// unreadableReason is what a delivery records of a post that cannot be
// read back: the store's reason, without the path the record already has.
func unreadableReason(err error) string {
	if u, ok := errors.AsType[*UnreadableError](err); ok {
		return "the stored post cannot be read: " + u.Err.Error()
	}
	return "the stored post cannot be read: " + err.Error()
}

// duePost is a post with work to do: its date and draft flag, to order and
// filter it, and its digest unless that was dropped to bound memory (or
// never read: hash is set when the date came from the scan).
type duePost struct {
	path  string
	fs    FileState
	date  time.Time
	draft bool
	hash  string
	d     *Digest
}

// keepDigests is how many due posts keep their digest between finding the
// work and doing it. Past that (a first run over a large archive) each
// digest is read again when its turn comes, so a pass holds one post at a
// time instead of the whole archive: 10,000 posts held at once took
// ~390 MB.
const keepDigests = 64

// duePosts reads the posts of work whose date the scan did not learn,
// leaving out paths without a post (a file that never parsed) and failing
// alone each post that cannot be read back. Only an error of the store
// itself is returned.
func (e *Engine) duePosts(ctx context.Context, w *worker, work []workItem) ([]duePost, error) {
	keep := len(work) <= keepDigests
	out := make([]duePost, 0, len(work))
	for _, it := range work {
		p := it.path
		if it.known {
			// Not a draft: needsWork leaves drafts out.
			out = append(out, duePost{path: p, fs: it.fs, date: it.info.date, draft: it.fs.Draft, hash: it.info.hash})
			continue
		}
		d, err := e.Store.Post(ctx, p)
		if ErrorCode(err) == ENOTFOUND {
			// A file that never parsed: its scan error says why.
			w.unindexed[p] = it.fs.Hash
			continue
		}
		delete(w.unindexed, p)
		if err != nil {
			r, rerr := e.recs.get(p, w.t.Name())
			if rerr != nil {
				return nil, rerr
			}
			if e.unreadable(ctx, w, p, it.fs, r, err) {
				continue
			}
			return nil, fmt.Errorf("load %s: %w", p, err)
		}
		dp := duePost{path: p, fs: it.fs, date: d.Date, draft: d.Draft}
		if keep {
			dp.d = d
		}
		out = append(out, dp)
	}
	return out, nil
}

// needsWork tells from the record and the file state alone whether a
// (post, target) pair may need a call, so that done posts are not loaded.
func needsWork(r *Delivery, fs FileState) bool {
	if fs.Draft && fs.Error == "" {
		// A draft waits (and keeps what it had) until it is published,
		// which changes the file: no need to load it every pass.
		return false
	}
	if r == nil {
		return true
	}
	// A file whose last version failed to parse does not tell the hash of
	// the indexed post: load it to compare.
	changed := fs.Error != "" || r.Hash != fs.Hash
	switch r.State {
	case DeliverySent:
		return changed
	case DeliverySkipped:
		return r.LastError == skipFiltered && changed
	case DeliveryFailed:
		// Permanent: only a new version of the post is worth a try.
		return fs.Error == "" && r.Hash != fs.Hash
	default:
		return true
	}
}

// skipReason says why d is not sent to t ("": it is).
func (e *Engine) skipReason(t Target, d *Digest, cutoff time.Time) string {
	if m, ok := t.(Matcher); ok && !safeMatch(m, d) {
		return skipFiltered
	}
	if d.Date.Before(cutoff) {
		return skipCatchUp
	}
	return ""
}

// skip records that d is not sent to the target, for reason.
func (e *Engine) skip(ctx context.Context, d *Digest, name string, r *Delivery, reason string, skipped *skipTally) error {
	if r != nil && r.State == DeliverySkipped && reason == skipFiltered {
		// Still filtered out: remember the new hash so this post is not
		// loaded again until it changes.
		rec := *r
		rec.Hash, rec.UpdatedAt = d.Hash, e.now()
		return e.put(ctx, &rec)
	}
	// Debug: a first run skips the whole archive; the pass logs a count.
	e.log().Debug("post not sent", "post", d.Path, "target", name, "reason", reason)
	skipped.n++
	rec := Delivery{Post: d.Path, Target: name, Key: DeliveryKey(name, d.Path), State: DeliverySkipped,
		Hash: d.Hash, LastError: reason, UpdatedAt: e.now()}
	if _, ok := e.Store.(DeliveryBatcher); !ok {
		return e.put(ctx, &rec)
	}
	skipped.recs = append(skipped.recs, rec)
	if len(skipped.recs) >= skipBatch {
		return e.flushSkips(ctx, skipped)
	}
	return nil
}

// DeliveryBatcher is an optional Store extension: PutDeliveries is
// PutDelivery for many records in one transaction. A first pass over a
// large archive records its catch-up skips through it, a batch at a time,
// instead of one commit per post (10,000 of them took ~8 s).
type DeliveryBatcher interface {
	PutDeliveries(ctx context.Context, ds []Delivery) error
}

// skipBatch bounds the skip records a pass holds before writing them.
const skipBatch = 512

// skipTally counts a pass's skipped posts and holds the records not yet
// written (DeliveryBatcher stores only).
type skipTally struct {
	n    int
	recs []Delivery
}

// flushSkips writes the skip records t holds.
func (e *Engine) flushSkips(ctx context.Context, t *skipTally) error {
	if len(t.recs) == 0 {
		return nil
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	err := e.Store.(DeliveryBatcher).PutDeliveries(wctx, t.recs)
	if err != nil {
		e.recs.drop() // which of them the store took is unknown
	} else {
		e.recs.set(t.recs...)
	}
	t.recs = t.recs[:0]
	if err != nil {
		return fmt.Errorf("record skipped posts: %w", err)
	}
	return nil
}

// deliverOne brings the delivery of d to w's target up to date. r is its
// record, nil when there is none. useCutoff false (a manual send) ignores
// the catch-up window and the target's filters. hold reports a transient
// failure: later posts to the target must wait.
func (e *Engine) deliverOne(stop, lease context.Context, w *worker, d *Digest, r *Delivery, cutoff time.Time, useCutoff bool, skipped *skipTally) (hold bool, err error) {
	t := w.t
	name := t.Name()
	refiltered := r != nil && r.State == DeliverySkipped && r.LastError == skipFiltered && r.Hash != d.Hash
	switch {
	case r == nil || refiltered:
		if useCutoff {
			if reason := e.skipReason(t, d, cutoff); reason != "" {
				return false, e.skip(stop, d, name, r, reason, skipped)
			}
		}
		rec := &Delivery{Post: d.Path, Target: name, Key: DeliveryKey(name, d.Path), State: DeliverySending, Hash: d.Hash, Attempts: 1}
		return e.send(stop, lease, w, d, rec, nil)
	case r.State == DeliverySkipped:
		return false, nil
	case r.State == DeliverySent:
		if r.Hash == d.Hash {
			return false, nil
		}
		e.log().Info("post edited; updating its messages", "post", d.Path, "target", name)
		rec := *r
		rec.State, rec.Hash, rec.Attempts, rec.LastError = DeliverySending, d.Hash, 1, ""
		return e.send(stop, lease, w, d, &rec, r.Refs)
	case r.State == DeliveryQueued || r.State == DeliveryFailed || (r.State == DeliveryRetrying && w.isKnown(r.Key)):
		// Nothing went out that the record does not list: queued posts
		// were never tried, and a permanent refusal or a failure that
		// sent nothing leaves the refs exact.
		rec := *r
		rec.Hash = d.Hash
		rec.Attempts++
		return e.send(stop, lease, w, d, &rec, r.Refs)
	default: // sending (interrupted) or retrying after an unknown outcome
		refs := r.Refs
		if err := e.renew(lease); err != nil {
			return true, err
		}
		found, err := e.recoverRefs(lease, t, r.Key)
		if err != nil {
			// We cannot tell what went out: sending now could double it.
			// Keep the record and ask again at the next attempt.
			rec := *r
			rec.LastError, rec.UpdatedAt = RecoverError(err), e.now()
			w.failed(err)
			e.failure(name, "transient")
			return true, errors.Join(fmt.Errorf("%s to %s: recover: %w", d.Path, name, err), e.put(stop, &rec))
		}
		if len(found) >= len(refs) && len(found) > 0 {
			refs = found
		}
		rec := *r
		rec.Hash = d.Hash
		rec.Attempts++
		return e.send(stop, lease, w, d, &rec, refs)
	}
}

// send records rec (state sending) with refs, calls the target (Edit when
// refs is not empty, else Post) and records the outcome. hold reports a
// transient failure.
func (e *Engine) send(ctx, lease context.Context, w *worker, d *Digest, rec *Delivery, refs []MessageRef) (hold bool, err error) {
	t := w.t
	if err := e.renew(lease); err != nil {
		return true, err
	}
	rec.State, rec.Refs, rec.UpdatedAt = DeliverySending, refs, e.now()
	if err := e.put(ctx, rec); err != nil {
		return true, fmt.Errorf("%s to %s: record intent: %w", d.Path, rec.Target, err)
	}
	// The call runs to its end even when ctx is cancelled (shutdown
	// finishes the send in flight), but not past the sender tenure: a
	// replica that lost the lease must stop sending.
	callCtx, cancel := context.WithTimeout(lease, e.callTimeout())
	defer cancel()
	start := time.Now()
	op := "post"
	if len(refs) > 0 {
		op = "edit"
	}
	got, err, panicked := callTarget(func() ([]MessageRef, error) {
		if len(refs) > 0 {
			return t.Edit(callCtx, d, rec.Key, refs)
		}
		return t.Post(callCtx, d, rec.Key)
	})
	e.obs().Sent(rec.Target, time.Since(start), err)
	rec.UpdatedAt = e.now()
	if len(got) > 0 || err == nil {
		rec.Refs = got
	}
	switch {
	case panicked:
		// Like a crash: what went out is unknown, so the record stays
		// "sending" and the next attempt asks Recover.
		rec.LastError = err.Error()
		hold = true
		w.setKnown(rec.Key, false)
	case err != nil && IsPermanent(err):
		rec.State, rec.LastError = DeliveryFailed, err.Error()
		w.setKnown(rec.Key, true)
	case err != nil:
		rec.State, rec.LastError = DeliveryRetrying, err.Error()
		hold = true
		w.setKnown(rec.Key, IsNotSent(err))
	default:
		rec.State, rec.LastError = DeliverySent, ""
		w.setKnown(rec.Key, false)
	}
	if err != nil {
		w.failed(err)
		kind := "transient"
		if !hold {
			kind = "permanent"
		}
		e.failure(rec.Target, kind)
	} else {
		w.succeeded(time.Now())
	}
	if perr := e.put(ctx, rec); perr != nil {
		// The record still says "sending": the next attempt recovers.
		w.setKnown(rec.Key, false)
		return true, errors.Join(err, fmt.Errorf("%s to %s: record outcome: %w", d.Path, rec.Target, perr))
	}
	if err != nil {
		return hold, fmt.Errorf("%s to %s: %s: %w", d.Path, rec.Target, op, err)
	}
	e.log().Info("delivered", "post", d.Path, "target", rec.Target, "op", op, "messages", len(got))
	return false, nil
}

// failure counts a failed delivery attempt for metrics, when the observer
// counts them.
func (e *Engine) failure(target, kind string) {
	if fo, ok := e.obs().(FailureObserver); ok {
		fo.DeliveryFailed(target, kind)
	}
}

// callTarget runs f, turning a panic into an error.
func callTarget(f func() ([]MessageRef, error)) (refs []MessageRef, err error, panicked bool) {
	defer func() {
		if r := recover(); r != nil {
			refs, err, panicked = nil, fmt.Errorf("target panicked: %v", r), true
		}
	}()
	refs, err = f()
	return refs, err, false
}

// RecoverError is what a delivery records when Target.Recover fails: the
// engine names the phase, so a target's error should not.
func RecoverError(err error) string { return "recover: " + err.Error() }

func (e *Engine) recoverRefs(lease context.Context, t Target, key string) ([]MessageRef, error) {
	callCtx, cancel := context.WithTimeout(lease, e.callTimeout())
	defer cancel()
	refs, err, _ := callTarget(func() ([]MessageRef, error) { return t.Recover(callCtx, key) })
	return refs, err
}

func safeMatch(m Matcher, d *Digest) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			ok = false
		}
	}()
	return m.Match(d)
}

// put writes a record even when ctx was cancelled: an outcome must not be
// lost to a shutdown. The sender's copy of the records follows the store:
// the record when it was written, nothing when that is unknown.
func (e *Engine) put(ctx context.Context, r *Delivery) error {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = e.now()
	}
	if err := e.Store.PutDelivery(wctx, r); err != nil {
		e.recs.drop()
		return err
	}
	e.recs.set(*r)
	return nil
}

// cutoff is the catch-up cutoff: the previous successful scan (now when
// there was none) minus CatchUp.
func (e *Engine) cutoff(ctx context.Context) (time.Time, error) {
	e.mu.Lock()
	prev := e.prevScan
	e.mu.Unlock()
	if prev.IsZero() {
		// No scan in this process (Deliver alone): the stored one.
		var err error
		if prev, err = e.storedScan(ctx); err != nil {
			return time.Time{}, err
		}
		if prev.IsZero() {
			prev = e.now()
		}
	}
	return prev.Add(-e.CatchUp), nil
}

// Retry asks for another attempt at delivering post to target now, through
// the same exactly-once path as every delivery: a failed delivery becomes
// retrying, and a retrying one skips the rest of its backoff. It works on
// any replica (the record is in the store; the sender's worker takes it).
// ENOTFOUND for an unknown post or target; EINVALID for a delivery that was
// sent or skipped (`paperbot send` sends those). Outside Run the attempt is
// made before Retry returns, and its error is returned.
func (e *Engine) Retry(ctx context.Context, post, target string) error {
	e.init()
	w := e.worker(target)
	if w == nil {
		return Errorf(ENOTFOUND, "no target named %q", target)
	}
	r, err := e.Store.Delivery(ctx, post, target)
	if ErrorCode(err) == ENOTFOUND {
		if _, err := e.Store.Post(ctx, post); ErrorCode(err) == ENOTFOUND {
			return Errorf(ENOTFOUND, "no post %s", post)
		}
		r, err = nil, nil // due, not begun: a pass takes it
	}
	if err != nil {
		return fmt.Errorf("retry: %w", err)
	}
	if r != nil {
		switch r.State {
		case DeliverySent, DeliverySkipped:
			return Errorf(EINVALID, "%s was %s on %s, not failed; use paperbot send to send it again", post, r.State, target)
		case DeliveryFailed:
			rec := *r
			rec.State, rec.UpdatedAt = DeliveryRetrying, e.now()
			rec.LastError = "retry requested; last error: " + r.LastError
			if err := e.put(ctx, &rec); err != nil {
				return fmt.Errorf("retry: %w", err)
			}
			// The sender may be another replica, whose copy of the
			// records does not have this one.
			if err := e.announceRecords(ctx); err != nil {
				return fmt.Errorf("retry: %w", err)
			}
			// The refusal was final, so the refs are exact.
			w.setKnown(rec.Key, true)
		}
	}
	e.log().Info("retry requested", "post", post, "target", target)
	w.mu.Lock()
	w.forced = true
	w.mu.Unlock()
	if e.running.Load() {
		w.poke()
		return nil
	}
	// Outside Run, one lease holder at a time in this process.
	e.tickMu.Lock()
	defer e.tickMu.Unlock()
	lease, done, err := e.holdLease(ctx)
	if err != nil {
		return fmt.Errorf("retry: take lease: %w", err)
	}
	if lease == nil {
		return nil // the sender replica takes it at its next pass
	}
	defer done()
	return e.deliverTo(ctx, lease, w)
}

// Send delivers the posts named by arg now: a day ("2006-01-02": every post
// of that day) or a post's path (as stored, or a file path ending in it).
// It goes to the target named target, or to every target ("") whose
// filters take it. The catch-up window does not apply, and a named target
// takes the post whatever its filters. A post already sent is not sent
// again (an edited one is updated) unless force is set: then it is posted
// anew under a new key, so the platforms see new messages (a new Slack
// metadata key and Discord nonce); the earlier messages stay in the chat and
// the record follows the new ones. Drafts are refused. Send needs the
// sender lease (EUNAVAILABLE while another process is sending) and does not
// scan: call Scan first. It returns the resulting records.
func (e *Engine) Send(ctx context.Context, arg, target string, force bool) ([]Delivery, error) {
	e.init()
	e.tickMu.Lock()
	defer e.tickMu.Unlock()
	posts, err := e.findPosts(ctx, arg)
	if err != nil {
		return nil, err
	}
	workers := e.workers
	if target != "" {
		workers = nil
		if w := e.worker(target); w != nil {
			workers = []*worker{w}
		}
		if workers == nil {
			return nil, Errorf(ENOTFOUND, "no target named %q", target)
		}
	}
	if len(workers) == 0 {
		return nil, Errorf(EINVALID, "no targets are configured")
	}
	for _, d := range posts {
		if d.Draft {
			return nil, Errorf(EINVALID, "%s is a draft (published: false); drafts are never sent", d.Path)
		}
	}
	lease, done, err := e.holdLease(ctx)
	if err != nil {
		return nil, fmt.Errorf("send: take lease: %w", err)
	}
	if lease == nil {
		return nil, Errorf(EUNAVAILABLE, "another paperbot holds the sender lease (a running `paperbot run` keeps it while it runs); stop it first, or use its status page to retry a delivery")
	}
	defer done()

	var out []Delivery
	var errs []error
	for _, d := range posts {
		for _, w := range workers {
			t := w.t
			if target == "" {
				if m, ok := t.(Matcher); ok && !safeMatch(m, d) {
					continue
				}
			}
			rec, err := e.sendOne(ctx, lease, w, d, force)
			if err != nil {
				errs = append(errs, err)
			}
			if rec != nil {
				out = append(out, *rec)
			}
		}
	}
	return out, errors.Join(errs...)
}

// sendOne is Send for one post and target, under the target's pass lock.
func (e *Engine) sendOne(ctx, lease context.Context, w *worker, d *Digest, force bool) (*Delivery, error) {
	w.passMu.Lock()
	defer w.passMu.Unlock()
	name := w.t.Name()
	r, err := e.Store.Delivery(ctx, d.Path, name)
	if err != nil && ErrorCode(err) != ENOTFOUND {
		return nil, fmt.Errorf("send: %w", err)
	}
	if err != nil {
		r = nil
	}
	switch {
	case force:
		rec := &Delivery{Post: d.Path, Target: name, Key: forcedKey(name, d.Path, time.Now()),
			State: DeliverySending, Hash: d.Hash, Attempts: 1}
		if r != nil {
			rec.Attempts = r.Attempts + 1
		}
		_, err = e.send(ctx, lease, w, d, rec, nil)
	case r != nil && r.State == DeliverySkipped:
		rec := &Delivery{Post: d.Path, Target: name, Key: r.Key, State: DeliverySending, Hash: d.Hash, Attempts: 1}
		_, err = e.send(ctx, lease, w, d, rec, nil)
	default:
		_, err = e.deliverOne(ctx, lease, w, d, r, time.Time{}, false, &skipTally{})
	}
	rec, gerr := e.Store.Delivery(ctx, d.Path, name)
	if gerr != nil {
		rec = nil
	}
	return rec, err
}

// findPosts resolves Send's argument.
func (e *Engine) findPosts(ctx context.Context, arg string) ([]*Digest, error) {
	arg = strings.TrimSpace(arg)
	if arg == "" {
		return nil, Errorf(EINVALID, "name a post: a date (YYYY-MM-DD) or a post file")
	}
	if _, err := time.Parse(time.DateOnly, arg); err == nil {
		posts, err := e.Store.PostsOn(ctx, arg)
		if err != nil {
			return nil, fmt.Errorf("send: posts of %s: %w", arg, err)
		}
		if len(posts) == 0 {
			return nil, Errorf(ENOTFOUND, "no post is dated %s", arg)
		}
		return posts, nil
	}
	p := strings.ReplaceAll(arg, "\\", "/")
	d, err := e.Store.Post(ctx, p)
	if err == nil {
		return []*Digest{d}, nil
	}
	if ErrorCode(err) != ENOTFOUND {
		return nil, fmt.Errorf("send: %w", err)
	}
	// A file path given on the command line ("blog/_posts/x.md") ends in
	// the stored path; failing that, the file name alone decides if only
	// one post has it.
	all, err := e.Store.Posts(ctx)
	if err != nil {
		return nil, fmt.Errorf("send: %w", err)
	}
	var byBase []*Digest
	for _, d := range all {
		if strings.HasSuffix(p, "/"+d.Path) {
			return []*Digest{d}, nil
		}
		if path.Base(d.Path) == path.Base(p) {
			byBase = append(byBase, d)
		}
	}
	if len(byBase) == 1 {
		return byBase, nil
	}
	return nil, Errorf(ENOTFOUND, "no indexed post matches %q", arg)
}
