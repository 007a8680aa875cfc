package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"
)

// Engine is paperbot's loop: on each tick it scans the source into the
// store (Scan), delivers what is due to every target exactly once (Deliver)
// and checks that the day's post arrived in time (the missing-post alert).
// Set the exported fields, then call Tick, Run or Send; the fields must not
// change afterwards. An Engine is safe for concurrent use: ticks are
// serialised.
type Engine struct {
	Store   Store
	Source  Source
	Parser  Parser
	Targets []Target
	// Location is the configured timezone: it decides which day "today" is
	// for the missing-post alert and is the cron default. nil: UTC.
	Location *time.Location
	// CatchUp: posts dated before (previous successful scan - CatchUp) are
	// indexed but never sent. Zero means exactly the previous scan.
	CatchUp time.Duration
	// Now is the clock (tests); nil: time.Now.
	Now func() time.Time
	// Logger: nil means slog.Default().
	Logger *slog.Logger
	// Observer receives metrics events; nil: none.
	Observer Observer
	// Holder names this replica for the "sender" lease; "": the host name
	// and the process id. It must be unique per running process (two
	// replicas on one host differ, and so do a running bot and a one-off
	// `paperbot send`) and should stay the same across a restart of the
	// same replica, so that a replica killed while holding the lease gets
	// it back at once instead of waiting LeaseTTL (see package replica).
	Holder string
	// LeaseTTL is how long the sender lease lasts without renewal: a dead
	// sender is replaced within about LeaseTTL*1.2. The holder renews it
	// every LeaseTTL/3 and gives up sending when it could not for
	// 2/3 of it. 0: 10 seconds.
	LeaseTTL time.Duration
	// CallTimeout bounds one call to a target (Post, Edit or Recover, the
	// target's own retries included); a call cut short is a transient
	// failure. 0: 1 minute.
	CallTimeout time.Duration
	// RetryMin and RetryMax bound the backoff of a target whose oldest
	// due post failed transiently (doubling, with jitter) under Run.
	// 0: 5 seconds and 5 minutes.
	RetryMin, RetryMax time.Duration
	// SweepEvery is how often a scan reads the stored file states again
	// and, when the source is watched, lists the source even though no
	// event said it changed: the safety net for missed events and for
	// writes by another process. 0: 10 minutes.
	SweepEvery time.Duration
	// Alerts is where missing-post notices go (optional).
	Alerts Target
	// ExpectBy enables the missing-post alert (optional).
	ExpectBy *ExpectBy
	// BeforeReady, when set, runs once: after the first successful scan
	// (and, on the sender, its catch-up records), before Ready reports
	// true. paperbot run collects there the garbage that indexing a large
	// archive left behind, before the first lookups come (gcfloor.Release).
	BeforeReady func()
	// BulkScan, when set, is called when a scan is about to read
	// bulkScan posts or more (a first start on a large archive), and the
	// function it returns once they are saved. paperbot run lets the heap
	// grow meanwhile (gcfloor.Bulk): such a scan allocates gigabytes
	// that each live for one post.
	BulkScan func() (done func())

	initOnce sync.Once
	tickMu   sync.Mutex // one tick (scan, deliver, send) at a time
	trigger  chan struct{}
	// workers deliver to the targets, one each, in config order.
	workers []*worker
	// running is set while Run runs: the workers and the lease keeper
	// then deliver on their own, and a tick only wakes them.
	running atomic.Bool

	// leaseMu guards the sender tenure: leaseCtx is non-nil while this
	// replica holds the lease and ends when it is lost; renewedAt is when
	// it was last taken or renewed.
	leaseMu     sync.Mutex
	leaseCtx    context.Context
	leaseCancel context.CancelFunc
	renewedAt   time.Time

	// files are the stored file states as the last scan left them (nil:
	// read them from the store), and posted what the scans of this process
	// indexed from them; only a scan (under tickMu) changes them, under
	// filesMu, which the delivery passes take to read them. lastSweep is
	// when files were read (tickMu). watching is set while a Watcher
	// reports changes, and dirty when it reported one since the last
	// listing.
	filesMu sync.RWMutex
	files   map[string]FileState
	posted  map[string]postInfo
	// filesGen changes whenever files is replaced (filesMu).
	filesGen  uint64
	lastSweep time.Time
	watching  atomic.Bool
	dirty     atomic.Bool
	rescan    chan struct{}

	// recs is the sender's copy of the delivery records; owner names this
	// engine in metaRecordsOwner (records.go).
	recs  records
	owner string

	mu       sync.Mutex
	ready    bool
	lastScan time.Time
	// prevScan is the last successful scan before the current one began:
	// the base of the catch-up window. Zero until a scan ran.
	prevScan time.Time
	// alertedDay is the day the missing-post alert fired in this process.
	alertedDay string
	// alertFailed: the last missing-post check failed (Run retries it).
	alertFailed bool
	// lastScanErr is the error of the last scan ("" when it succeeded).
	lastScanErr string
	// sched is Run's schedule (nil before Run).
	sched cron.Schedule
}

// Meta keys the engine keeps in the store.
const (
	// metaLastScan holds the time (RFC 3339, nanoseconds) of the last
	// successful scan.
	metaLastScan = "last_scan"
	// MetaAlertPrefix + "2006-01-02" records that the missing-post alert of
	// that day was raised, so it goes out once even across restarts.
	MetaAlertPrefix = "alert:"
	// SenderLease is the name of the lease that elects the one sender.
	SenderLease = "sender"
)

// Observer receives the engine's events for metrics. Implementations must
// be quick and safe for concurrent use; the web/cmd layer backs it with
// Prometheus. nopObserver is the do-nothing default.
type Observer interface {
	// Scanned reports a scan: its counts, its duration and its error (nil
	// for a successful scan).
	Scanned(r ScanResult, d time.Duration, err error)
	// Sent reports one call to a target (Post or Edit) for a delivery.
	Sent(target string, d time.Duration, err error)
	// MissingPost reports that the day's ("2006-01-02") post was not there
	// by the expect_by deadline.
	MissingPost(day string)
}

// FailureObserver is an optional extension of Observer: DeliveryFailed
// reports each failed delivery attempt by its kind: "transient" (retried
// by itself, holds later posts), "permanent" (refused, or cannot be
// rendered) or "unreadable" (the stored post cannot be read back).
type FailureObserver interface {
	DeliveryFailed(target, kind string)
}

// nopObserver ignores every event.
type nopObserver struct{}

func (nopObserver) Scanned(ScanResult, time.Duration, error) {}
func (nopObserver) Sent(string, time.Duration, error)        {}
func (nopObserver) MissingPost(string)                       {}

func (e *Engine) init() {
	e.initOnce.Do(func() {
		e.trigger = make(chan struct{}, 1)
		e.rescan = make(chan struct{}, 1)
		if e.Holder == "" {
			host, err := os.Hostname()
			if err != nil || host == "" {
				host = "paperbot"
			}
			e.Holder = host + "-" + strconv.Itoa(os.Getpid())
		}
		e.owner = newOwner(e.Holder)
		for _, t := range e.Targets {
			e.workers = append(e.workers, newWorker(e, t))
		}
	})
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Engine) log() *slog.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	return slog.Default()
}

func (e *Engine) obs() Observer {
	if e.Observer != nil {
		return e.Observer
	}
	return nopObserver{}
}

func (e *Engine) loc() *time.Location {
	if e.Location != nil {
		return e.Location
	}
	return time.UTC
}

func (e *Engine) leaseTTL() time.Duration {
	if e.LeaseTTL > 0 {
		return e.LeaseTTL
	}
	return 10 * time.Second
}

func (e *Engine) callTimeout() time.Duration {
	if e.CallTimeout > 0 {
		return e.CallTimeout
	}
	return time.Minute
}

// NextRun is when the schedule fires next (zero before Run).
func (e *Engine) NextRun() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.sched == nil {
		return time.Time{}
	}
	return e.sched.Next(time.Now())
}

// LastScanError is the error of the last scan, "" when it succeeded (or
// none ran yet).
func (e *Engine) LastScanError() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.lastScanErr
}

// Ready reports whether a scan has succeeded since the engine started: the
// archive is indexed and lookups answer. Under Run, the sender's first scan
// also writes the catch-up skip records before it makes the engine ready
// (recordCatchUp), so no start-up writes follow.
func (e *Engine) Ready() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.ready
}

// LastScan is the time of the last successful scan by this engine (zero
// before the first).
func (e *Engine) LastScan() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.lastScan
}

// Tick runs one round: Scan, then Deliver, then the missing-post check.
// Errors are logged (and returned, joined, for callers that care); a panic
// anywhere below is recovered and logged, never propagated.
func (e *Engine) Tick(ctx context.Context) (err error) {
	e.init()
	e.tickMu.Lock()
	defer e.tickMu.Unlock()
	return e.tick(ctx)
}

func (e *Engine) tick(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			e.log().Error("tick panicked", "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("tick: panic: %v", r)
		}
	}()
	var errs []error
	if _, err := e.scan(ctx); err != nil {
		e.log().Error("scan failed", "err", err)
		errs = append(errs, err)
	}
	if err := e.deliver(ctx); err != nil {
		e.log().Error("delivery failed", "err", err)
		errs = append(errs, err)
	}
	if err := e.checkAlert(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Trigger asks a running Run loop for a tick now (the web retry route, a
// manual send). It never blocks; triggers coalesce while a tick is pending.
func (e *Engine) Trigger() {
	e.init()
	select {
	case e.trigger <- struct{}{}:
	default:
	}
}

// Run runs the engine until ctx ends: one tick at once, then one per
// schedule fire (spec is a robfig/cron spec, CRON_TZ= allowed; without a
// zone it runs in Location), one per Trigger, and one when the ExpectBy
// deadline passes (a last scan before the missing-post check). Fires that
// come while a tick runs are skipped. When ctx ends Run stops taking ticks,
// lets the tick in flight finish its current send (Deliver stops before
// the next one) and returns nil. A bad spec is returned at once.
//
// Under Run each target has a worker of its own that delivers whenever a
// tick found work, the lease was won, Retry asked, or its backoff after a
// transient failure ended; and the sender lease is kept by a goroutine of
// its own, so a replica takes over within about LeaseTTL of the sender's
// death.
func (e *Engine) Run(ctx context.Context, spec string) error {
	e.init()
	sched, err := ParseScheduleIn(spec, e.loc())
	if err != nil {
		return err
	}
	e.mu.Lock()
	e.sched = sched
	e.mu.Unlock()
	// The workers and the lease keeper outlive ctx a little: a call in
	// flight finishes (and is recorded) under a lease still renewed, then
	// the lease is released.
	e.running.Store(true)
	keepCtx, stopKeeper := context.WithCancel(context.WithoutCancel(ctx))
	var workers, keeper sync.WaitGroup
	keeper.Go(func() {
		if _, err := e.acquire(keepCtx); err != nil {
			e.log().Warn("sender lease", "err", err)
		}
		e.keepLease(keepCtx)
	})
	for _, w := range e.workers {
		workers.Go(func() { w.loop(ctx) })
	}
	var watch sync.WaitGroup
	if wt, ok := e.Source.(Watcher); ok {
		if err := wt.Watch(ctx, e.sourceChanged); err != nil {
			e.log().Warn("cannot watch the source; listing it at every tick", "err", err)
		} else {
			e.dirty.Store(true)
			e.watching.Store(true)
			watch.Go(func() { e.rescanLoop(ctx) })
		}
	}
	defer func() {
		e.watching.Store(false)
		watch.Wait()
		workers.Wait()
		stopKeeper()
		keeper.Wait()
		e.running.Store(false)
	}()
	cl := cronLogger{e.log()}
	c := cron.New(cron.WithLocation(e.loc()), cron.WithLogger(cl),
		cron.WithChain(cron.Recover(cl), cron.SkipIfStillRunning(cl)))
	c.Schedule(sched, cron.FuncJob(func() { e.runTick(ctx, "schedule") }))
	c.Start()
	defer func() { <-c.Stop().Done() }()

	e.runTick(ctx, "start")
	for {
		var deadline <-chan time.Time
		var timer *time.Timer
		if e.ExpectBy != nil {
			if next, ok := e.ExpectBy.NextDeadline(time.Now(), e.loc()); ok {
				// A second late, so the check sees the deadline passed.
				timer = time.NewTimer(time.Until(next) + time.Second)
				deadline = timer.C
			}
		}
		var retry <-chan time.Time
		e.mu.Lock()
		failed := e.alertFailed
		e.mu.Unlock()
		if failed {
			retry = time.After(alertRetry)
		}
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return nil
		case <-e.trigger:
			// Asked for now, likely right after a change: the watch's
			// event may still be on its way, so list the source anyway.
			e.dirty.Store(true)
			e.runTick(ctx, "trigger")
		case <-deadline:
			e.runTick(ctx, "expect_by")
		case <-retry:
			e.tickMu.Lock()
			_ = e.checkAlert(ctx)
			e.tickMu.Unlock()
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// checkAlert runs checkMissing and remembers whether it failed, so that
// Run tries the notice again soon instead of at the next scheduled tick.
func (e *Engine) checkAlert(ctx context.Context) error {
	err := e.checkMissing(ctx)
	if err != nil {
		e.log().Error("missing-post check failed", "err", err)
	}
	e.mu.Lock()
	e.alertFailed = err != nil
	e.mu.Unlock()
	return err
}

// alertRetry is how soon Run tries a failed missing-post notice again.
const alertRetry = 5 * time.Minute

func (e *Engine) runTick(ctx context.Context, why string) {
	if ctx.Err() != nil {
		return
	}
	e.log().Debug("tick", "reason", why)
	_ = e.Tick(ctx) // errors are logged inside
}

// sourceChanged is the Watcher's callback: the next scan lists the source,
// and one runs soon.
func (e *Engine) sourceChanged(lost bool) {
	e.dirty.Store(true)
	if lost && e.watching.Swap(false) {
		e.log().Warn("the source watch broke; listing the source at every tick")
	}
	select {
	case e.rescan <- struct{}{}:
	default:
	}
}

// rescanDelay gathers the events of one save (editors write, rename and
// chmod) into one scan.
const rescanDelay = 100 * time.Millisecond

// rescanLoop indexes what the watcher reported, between ticks: only a scan,
// so lookups see a new post at once while the schedule still decides when
// it is sent.
func (e *Engine) rescanLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-e.rescan:
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(rescanDelay):
		}
		if _, err := e.Scan(ctx); err != nil && ctx.Err() == nil {
			e.log().Error("scan after a source change failed", "err", err)
		}
	}
}

func (e *Engine) sweepEvery() time.Duration {
	if e.SweepEvery > 0 {
		return e.SweepEvery
	}
	return 10 * time.Minute
}

// cronLogger adapts slog to cron.Logger; cron's chatter is debug level.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "err", err)...)
}
