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
	"time"
)

// Why a delivery was skipped (Delivery.LastError of a skipped record).
const (
	skipCatchUp  = "skipped: dated before the catch-up window"
	skipFiltered = "skipped: not matched by the target's filters"
)

// errLeaseLost stops a delivery pass when another replica took the lease.
var errLeaseLost = errors.New("lost the sender lease to another replica")

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

// Deliver sends what is due to every target, if this replica holds the
// sender lease (else it does nothing). See deliver for the rules.
func (e *Engine) Deliver(ctx context.Context) error {
	e.init()
	e.tickMu.Lock()
	defer e.tickMu.Unlock()
	return e.deliver(ctx, nil)
}

// deliver is one delivery pass.
//
// Posts are taken oldest first (date, then path) and each goes to every
// target in configuration order. Drafts and posts dated in the future wait
// (no record). A post without a record for a target is recorded as skipped
// when the target's Matcher refuses it or when it is dated before the
// catch-up cutoff (previous successful scan - CatchUp), and is sent
// otherwise. Sending writes the intent (state sending, key, hash) before the
// target is called, and the outcome after: sent with the refs, or failed
// with the refs that did go out. A failed or interrupted (sending) delivery
// is retried at the next pass: Recover finds what went out under its key,
// and Edit completes it; with nothing found, Post sends it. A sent post
// whose hash changed is edited in place.
//
// A failed post does not hold back later posts to the same target: a post
// can fail for a reason of its own (a rendering the platform refuses), and
// one bad post must not silence a channel. The failed one is retried at
// every pass, before newer posts (date order), so the order in the channel
// only changes when a single post fails while its successors succeed.
//
// To find the work cheaply the pass reads only the file states and the
// delivery records; a post is loaded only when some target has work for it,
// so an archive that is all delivered costs two reads (files, records).
//
// files are the file states from the scan of the same tick; nil reads them.
func (e *Engine) deliver(ctx context.Context, files map[string]FileState) error {
	if len(e.Targets) == 0 {
		return nil
	}
	ok, err := e.Store.Lease(ctx, SenderLease, e.Holder, e.leaseTTL())
	if err != nil {
		return fmt.Errorf("deliver: take lease: %w", err)
	}
	if !ok {
		e.log().Debug("another replica is the sender; not delivering")
		return nil
	}
	e.renewedAt = time.Now()
	defer e.releaseLease(ctx)

	cutoff, err := e.cutoff(ctx)
	if err != nil {
		return fmt.Errorf("deliver: %w", err)
	}
	if files == nil {
		if files, err = e.Store.Files(ctx); err != nil {
			return fmt.Errorf("deliver: stored files: %w", err)
		}
	}
	all, err := e.Store.Deliveries(ctx, "")
	if err != nil {
		return fmt.Errorf("deliver: delivery records: %w", err)
	}
	recs := make(map[recKey]*Delivery, len(all))
	for i := range all {
		recs[recKey{all[i].Post, all[i].Target}] = &all[i]
	}

	var work []string
	for p, fs := range files {
		for _, t := range e.Targets {
			if needsWork(recs[recKey{p, t.Name()}], fs) {
				work = append(work, p)
				break
			}
		}
	}
	due, err := e.duePosts(ctx, work)
	if err != nil {
		return fmt.Errorf("deliver: %w", err)
	}
	sort.Slice(due, func(i, j int) bool {
		if !due[i].date.Equal(due[j].date) {
			return due[i].date.Before(due[j].date)
		}
		return due[i].path < due[j].path
	})

	now := e.now()
	e.skipped = 0
	var errs []error
	for _, dp := range due {
		if dp.draft {
			continue
		}
		if dp.date.After(now) {
			e.log().Debug("post dated in the future waits", "path", dp.path, "date", dp.date)
			continue
		}
		d := dp.d
		if d == nil {
			if d, err = e.Store.Post(ctx, dp.path); err != nil {
				if ErrorCode(err) != ENOTFOUND { // gone since: nothing to send
					errs = append(errs, fmt.Errorf("deliver: load %s: %w", dp.path, err))
				}
				continue
			}
		}
		for _, t := range e.Targets {
			if ctx.Err() != nil {
				// Shutting down: begin nothing new; the rest waits for
				// the next start.
				e.log().Info("delivery stopped for shutdown", "next", d.Path)
				return errors.Join(errs...)
			}
			// Calls to targets renew the lease themselves; a long run of
			// records alone (a first run) renews it here.
			if time.Since(e.renewedAt) > e.leaseTTL()/4 {
				if err := e.renew(ctx); err != nil {
					return errors.Join(append(errs, err)...)
				}
			}
			err := e.deliverOne(ctx, d, t, recs[recKey{d.Path, t.Name()}], cutoff, true)
			if errors.Is(err, errLeaseLost) {
				return errors.Join(append(errs, err)...)
			}
			if err != nil {
				e.log().Error("delivery failed; retried at the next tick", "post", d.Path, "target", t.Name(), "err", err)
				errs = append(errs, err)
			}
		}
	}
	if e.skipped > 0 {
		e.log().Info("posts indexed but not sent (catch-up window or target filters)",
			"deliveries", e.skipped, "cutoff", cutoff)
	}
	return errors.Join(errs...)
}

// duePost is a post with work to do: its date and draft flag, to order and
// filter it, and its digest unless that was dropped to bound memory.
type duePost struct {
	path  string
	date  time.Time
	draft bool
	d     *Digest
}

// keepDigests is how many due posts keep their digest between finding the
// work and doing it. Past that (a first run over a large archive) each
// digest is read again when its turn comes, so a pass holds one post at a
// time instead of the whole archive: 10,000 posts held at once took
// ~390 MB.
const keepDigests = 64

// duePosts reads the posts at paths, leaving out paths without a post (a
// file that never parsed).
func (e *Engine) duePosts(ctx context.Context, paths []string) ([]duePost, error) {
	keep := len(paths) <= keepDigests
	out := make([]duePost, 0, len(paths))
	for _, p := range paths {
		d, err := e.Store.Post(ctx, p)
		if ErrorCode(err) == ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", p, err)
		}
		dp := duePost{path: p, date: d.Date, draft: d.Draft}
		if keep {
			dp.d = d
		}
		out = append(out, dp)
	}
	return out, nil
}

// recKey names the record of (post path, target name).
type recKey struct{ post, target string }

// needsWork tells from the record and the file state alone whether a
// (post, target) pair may need a call, so that done posts are not loaded.
func needsWork(r *Delivery, fs FileState) bool {
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
	default:
		return true
	}
}

// deliverOne brings the delivery of d to t up to date. r is its record, nil
// when there is none. useCutoff false (a manual send) ignores the catch-up
// window and the target's filters.
func (e *Engine) deliverOne(ctx context.Context, d *Digest, t Target, r *Delivery, cutoff time.Time, useCutoff bool) error {
	name := t.Name()
	refiltered := r != nil && r.State == DeliverySkipped && r.LastError == skipFiltered && r.Hash != d.Hash
	switch {
	case r == nil || refiltered:
		key := DeliveryKey(name, d.Path)
		skip := func(reason string) error {
			if refiltered && reason == skipFiltered {
				// Still filtered out: remember the new hash so this post
				// is not loaded again until it changes.
				rec := *r
				rec.Hash, rec.UpdatedAt = d.Hash, e.now()
				return e.put(ctx, &rec)
			}
			// Debug: a first run skips the whole archive; the pass logs
			// a count.
			e.log().Debug("post not sent", "post", d.Path, "target", name, "reason", reason)
			e.skipped++
			return e.put(ctx, &Delivery{Post: d.Path, Target: name, Key: key, State: DeliverySkipped,
				Hash: d.Hash, LastError: reason, UpdatedAt: e.now()})
		}
		if useCutoff {
			if m, ok := t.(Matcher); ok && !safeMatch(m, d) {
				return skip(skipFiltered)
			}
			if d.Date.Before(cutoff) {
				return skip(skipCatchUp)
			}
		}
		rec := &Delivery{Post: d.Path, Target: name, Key: key, State: DeliverySending, Hash: d.Hash, Attempts: 1}
		return e.send(ctx, t, d, rec, nil)
	case r.State == DeliverySkipped:
		return nil
	case r.State == DeliverySent:
		if r.Hash == d.Hash {
			return nil
		}
		e.log().Info("post edited; updating its messages", "post", d.Path, "target", name)
		rec := *r
		rec.State, rec.Hash, rec.Attempts, rec.LastError = DeliverySending, d.Hash, 1, ""
		return e.send(ctx, t, d, &rec, r.Refs)
	default: // failed, or sending (interrupted)
		refs := r.Refs
		if err := e.renew(ctx); err != nil {
			return err
		}
		found, err := e.recoverRefs(ctx, t, r.Key)
		if err != nil {
			if r.State == DeliverySending {
				// We cannot tell what went out: sending now could
				// double it. Keep the intent and ask again next tick.
				rec := *r
				rec.LastError, rec.UpdatedAt = "recover: "+err.Error(), e.now()
				return errors.Join(fmt.Errorf("%s to %s: recover: %w", d.Path, name, err), e.put(ctx, &rec))
			}
			// failed: the target itself reported r.Refs; trust them.
			e.log().Warn("recover failed; using the recorded messages", "post", d.Path, "target", name, "err", err)
		} else if len(found) >= len(refs) && len(found) > 0 {
			refs = found
		}
		rec := *r
		rec.State, rec.Hash = DeliverySending, d.Hash
		rec.Attempts++
		return e.send(ctx, t, d, &rec, refs)
	}
}

// send records rec (state sending) with refs, calls the target (Edit when
// refs is not empty, else Post) and records the outcome.
func (e *Engine) send(ctx context.Context, t Target, d *Digest, rec *Delivery, refs []MessageRef) error {
	if err := e.renew(ctx); err != nil {
		return err
	}
	rec.State, rec.Refs, rec.UpdatedAt = DeliverySending, refs, e.now()
	if err := e.put(ctx, rec); err != nil {
		return fmt.Errorf("%s to %s: record intent: %w", d.Path, rec.Target, err)
	}
	// The call runs to its end even when ctx is cancelled (shutdown
	// finishes the send in flight), bounded so it ends while we hold the
	// lease renewed just above.
	callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.leaseTTL()/2)
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
	switch {
	case panicked:
		// Like a crash: what went out is unknown, so the record stays
		// "sending" and the next pass asks Recover.
		rec.LastError = err.Error()
		if len(got) > 0 {
			rec.Refs = got
		}
	case err != nil:
		rec.State, rec.LastError = DeliveryFailed, err.Error()
		if len(got) > 0 {
			rec.Refs = got
		}
	default:
		rec.State, rec.Refs, rec.LastError = DeliverySent, got, ""
	}
	if perr := e.put(ctx, rec); perr != nil {
		// The record still says "sending": the next pass recovers.
		return errors.Join(err, fmt.Errorf("%s to %s: record outcome: %w", d.Path, rec.Target, perr))
	}
	if err != nil {
		return fmt.Errorf("%s to %s: %s: %w", d.Path, rec.Target, op, err)
	}
	e.log().Info("delivered", "post", d.Path, "target", rec.Target, "op", op, "messages", len(got))
	return nil
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

func (e *Engine) recoverRefs(ctx context.Context, t Target, key string) ([]MessageRef, error) {
	callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.leaseTTL()/2)
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
// lost to a shutdown.
func (e *Engine) put(ctx context.Context, r *Delivery) error {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = e.now()
	}
	return e.Store.PutDelivery(wctx, r)
}

// renew extends the sender lease before a call to a target.
func (e *Engine) renew(ctx context.Context) error {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	ok, err := e.Store.Lease(wctx, SenderLease, e.Holder, e.leaseTTL())
	if err != nil {
		return fmt.Errorf("renew lease: %w", err)
	}
	if !ok {
		return errLeaseLost
	}
	e.renewedAt = time.Now()
	return nil
}

func (e *Engine) releaseLease(ctx context.Context) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := e.Store.ReleaseLease(wctx, SenderLease, e.Holder); err != nil {
		e.log().Warn("release lease", "err", err)
	}
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
	targets := e.Targets
	if target != "" {
		targets = nil
		for _, t := range e.Targets {
			if t.Name() == target {
				targets = []Target{t}
			}
		}
		if targets == nil {
			return nil, Errorf(ENOTFOUND, "no target named %q", target)
		}
	}
	if len(targets) == 0 {
		return nil, Errorf(EINVALID, "no targets are configured")
	}
	for _, d := range posts {
		if d.Draft {
			return nil, Errorf(EINVALID, "%s is a draft (published: false); drafts are never sent", d.Path)
		}
	}
	ok, err := e.Store.Lease(ctx, SenderLease, e.Holder, e.leaseTTL())
	if err != nil {
		return nil, fmt.Errorf("send: take lease: %w", err)
	}
	if !ok {
		return nil, Errorf(EUNAVAILABLE, "another paperbot is sending right now; try again in a few minutes")
	}
	defer e.releaseLease(ctx)

	var out []Delivery
	var errs []error
	for _, d := range posts {
		for _, t := range targets {
			if target == "" {
				if m, ok := t.(Matcher); ok && !safeMatch(m, d) {
					continue
				}
			}
			name := t.Name()
			r, err := e.Store.Delivery(ctx, d.Path, name)
			if err != nil && ErrorCode(err) != ENOTFOUND {
				return out, fmt.Errorf("send: %w", err)
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
				err = e.send(ctx, t, d, rec, nil)
			case r != nil && r.State == DeliverySkipped:
				rec := &Delivery{Post: d.Path, Target: name, Key: r.Key, State: DeliverySending, Hash: d.Hash, Attempts: 1}
				err = e.send(ctx, t, d, rec, nil)
			default:
				err = e.deliverOne(ctx, d, t, r, time.Time{}, false)
			}
			if err != nil {
				errs = append(errs, err)
			}
			if rec, gerr := e.Store.Delivery(ctx, d.Path, name); gerr == nil {
				out = append(out, *rec)
			}
		}
	}
	return out, errors.Join(errs...)
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
