package bot

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The sender lease elects the one replica that delivers. Its holder renews
// it every LeaseTTL/3 (and before every call to a target) while the other
// replicas ask for it every LeaseTTL/5, so a dead leader is replaced within
// LeaseTTL plus one poll. A leader that cannot renew for 2/3 of LeaseTTL
// stops being the sender before its lease can expire: its calls in flight
// are cancelled (their outcome is then unknown and reconciled), so two
// replicas never send at once.

// errLeaseLost stops a delivery pass when another replica took the lease.
var errLeaseLost = errors.New("lost the sender lease to another replica")

// IsSender reports whether this replica holds the sender lease now.
func (e *Engine) IsSender() bool {
	e.leaseMu.Lock()
	defer e.leaseMu.Unlock()
	return e.leaseCtx != nil
}

// senderContext is the context of the current tenure as sender: it ends
// when the lease is lost. nil when this replica is not the sender.
func (e *Engine) senderContext() context.Context {
	e.leaseMu.Lock()
	defer e.leaseMu.Unlock()
	return e.leaseCtx
}

// acquire asks the store for the lease (taking or renewing it) and updates
// the sender state. It reports whether this replica is the sender now.
func (e *Engine) acquire(ctx context.Context) (bool, error) {
	ttl := e.leaseTTL()
	start := time.Now()
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ttl/3)
	defer cancel()
	ok, err := e.Store.Lease(wctx, SenderLease, e.Holder, ttl)
	if err == nil && ok && !e.IsSender() {
		// A tenure begins: before it writes any record, the other
		// processes must learn that their copies are stale, and this one
		// that its own is when another sent meanwhile.
		if cerr := e.claimRecords(wctx); cerr != nil {
			ok, err = false, cerr
		}
	}
	e.leaseMu.Lock()
	defer e.leaseMu.Unlock()
	switch {
	case err != nil:
		if e.leaseCtx != nil && time.Since(e.renewedAt) > ttl*2/3 {
			e.loseLocked("the lease could not be renewed: " + err.Error())
		}
		return e.leaseCtx != nil, fmt.Errorf("sender lease: %w", err)
	case !ok:
		if e.leaseCtx != nil {
			e.loseLocked("another replica holds the lease")
		}
		return false, nil
	}
	e.renewedAt = start
	if e.leaseCtx == nil {
		e.leaseCtx, e.leaseCancel = context.WithCancel(context.Background())
		e.log().Info("this replica is now the sender", "holder", e.Holder)
		e.wakeAllLocked()
	}
	return true, nil
}

// loseLocked ends the tenure as sender (leaseMu held).
func (e *Engine) loseLocked(why string) {
	e.log().Warn("this replica is no longer the sender", "holder", e.Holder, "reason", why)
	e.leaseCancel()
	e.leaseCtx, e.leaseCancel = nil, nil
}

// renew extends the lease before a call to a target; errLeaseLost when
// another replica has it.
func (e *Engine) renew(ctx context.Context) error {
	ok, err := e.acquire(ctx)
	if err != nil {
		if ok {
			// Still within our tenure: the keeper retries; go on.
			return nil
		}
		return fmt.Errorf("renew lease: %w", err)
	}
	if !ok {
		return errLeaseLost
	}
	return nil
}

// release gives the lease up and ends the tenure.
func (e *Engine) release(ctx context.Context) {
	e.leaseMu.Lock()
	if e.leaseCtx != nil {
		e.leaseCancel()
		e.leaseCtx, e.leaseCancel = nil, nil
	}
	e.leaseMu.Unlock()
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := e.Store.ReleaseLease(wctx, SenderLease, e.Holder); err != nil {
		e.log().Warn("release lease", "err", err)
	}
}

// standbyPoll is how often a replica that is not the sender asks for the
// lease: a dead leader is replaced within leaseTTL plus standbyPoll, and
// TestDefaultFailoverBound holds the defaults to DESIGN's 15 s.
func (e *Engine) standbyPoll() time.Duration { return e.leaseTTL() / 5 }

// keepLease renews the lease while this replica holds it and asks for it
// while another does, until ctx ends; then it releases it. first is the
// result of an acquire already made (the keeper of a single pass).
func (e *Engine) keepLease(ctx context.Context) {
	ttl := e.leaseTTL()
	for {
		wait := e.standbyPoll()
		if e.IsSender() {
			wait = ttl / 3
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			e.release(ctx)
			return
		case <-t.C:
		}
		if _, err := e.acquire(ctx); err != nil {
			e.log().Warn("sender lease", "err", err)
		}
	}
}

// holdLease takes the lease for one delivery pass outside Run and keeps it
// renewed until done is called, which releases it. ok is false (and done
// nil) when another replica is the sender. While Run runs, the keeper owns
// the lease: holdLease then only reports it, and done releases nothing.
func (e *Engine) holdLease(ctx context.Context) (lease context.Context, done func(), err error) {
	if e.running.Load() {
		if l := e.senderContext(); l != nil {
			return l, func() {}, nil
		}
		return nil, nil, nil
	}
	ok, err := e.acquire(ctx)
	if err != nil || !ok {
		return nil, nil, err
	}
	kctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		e.keepLease(kctx)
	}()
	lease = e.senderContext()
	if lease == nil { // lost between the two calls
		stop()
		<-finished
		return nil, nil, nil
	}
	return lease, func() { stop(); <-finished }, nil
}
