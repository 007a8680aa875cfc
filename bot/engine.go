package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"sync"
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
	// Holder names this replica for the "sender" lease; "": the host
	// name. It must stay the same across a restart of the same replica (a
	// process killed while holding the lease gets it back at once instead
	// of waiting LeaseTTL) and differ between replicas and between a
	// running bot and a one-off `paperbot send` on the same host.
	Holder string
	// LeaseTTL is how long the sender lease lasts without renewal; it is
	// renewed before every call to a target, and each call gets half of it
	// as its timeout so that no call outlives the lease. 0: 2 minutes.
	LeaseTTL time.Duration
	// Alerts is where missing-post notices go (optional).
	Alerts Target
	// ExpectBy enables the missing-post alert (optional).
	ExpectBy *ExpectBy

	initOnce sync.Once
	tickMu   sync.Mutex // one tick (scan, deliver, send) at a time
	trigger  chan struct{}

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
	// skipped counts the deliveries a pass recorded as skipped, renewedAt
	// is when the sender lease was last taken or renewed (both tickMu).
	skipped   int
	renewedAt time.Time
}

// Meta keys the engine keeps in the store.
const (
	// MetaLastScan holds the time (RFC 3339, nanoseconds) of the last
	// successful scan.
	MetaLastScan = "last_scan"
	// MetaAlertPrefix + "2006-01-02" records that the missing-post alert of
	// that day was raised, so it goes out once even across restarts.
	MetaAlertPrefix = "alert:"
	// SenderLease is the name of the lease that elects the one sender.
	SenderLease = "sender"
)

// Observer receives the engine's events for metrics. Implementations must
// be quick and safe for concurrent use; the web/cmd layer backs it with
// Prometheus. NopObserver is the do-nothing default.
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

// NopObserver ignores every event.
type NopObserver struct{}

func (NopObserver) Scanned(ScanResult, time.Duration, error) {}
func (NopObserver) Sent(string, time.Duration, error)        {}
func (NopObserver) MissingPost(string)                       {}

func (e *Engine) init() {
	e.initOnce.Do(func() {
		e.trigger = make(chan struct{}, 1)
		if e.Holder == "" {
			host, err := os.Hostname()
			if err != nil || host == "" {
				host = "paperbot"
			}
			e.Holder = host
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
	return NopObserver{}
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
	return 2 * time.Minute
}

// Ready reports whether a scan has succeeded since the engine started: the
// archive is indexed and lookups answer.
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
	_, files, err := e.scan(ctx)
	if err != nil {
		e.log().Error("scan failed", "err", err)
		errs = append(errs, err)
	}
	if err := e.deliver(ctx, files); err != nil {
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
func (e *Engine) Run(ctx context.Context, spec string) error {
	e.init()
	sched, err := ParseScheduleIn(spec, e.loc())
	if err != nil {
		return err
	}
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

// cronLogger adapts slog to cron.Logger; cron's chatter is debug level.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "err", err)...)
}
