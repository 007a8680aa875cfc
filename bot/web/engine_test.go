package web

import (
	"context"
	"sync"
	"time"

	"github.com/paperbot/paperbot/bot"
)

// testNow is the fixture's clock: the morning after the examples' posts.
var testNow = time.Date(2025, 10, 1, 9, 0, 0, 0, seoul)

// fakeEngine is a web.Engine whose facts the tests set and whose retries
// they read.
type fakeEngine struct {
	mu       sync.Mutex
	ready    bool
	last     time.Time
	scanErr  string
	next     time.Time
	sender   bool
	health   []bot.TargetHealth
	retryErr error
	retries  chan [2]string
}

func newFakeEngine() *fakeEngine {
	return &fakeEngine{
		ready:   true,
		last:    time.Date(2025, 9, 30, 9, 30, 0, 0, time.UTC),
		next:    time.Date(2025, 10, 2, 9, 30, 0, 0, seoul),
		sender:  true,
		health:  []bot.TargetHealth{{Target: "team"}, {Target: "lab"}},
		retries: make(chan [2]string, 10),
	}
}

func (e *fakeEngine) setReady(v bool) { e.mu.Lock(); e.ready = v; e.mu.Unlock() }

func (e *fakeEngine) Ready() bool           { e.mu.Lock(); defer e.mu.Unlock(); return e.ready }
func (e *fakeEngine) LastScan() time.Time   { e.mu.Lock(); defer e.mu.Unlock(); return e.last }
func (e *fakeEngine) LastScanError() string { e.mu.Lock(); defer e.mu.Unlock(); return e.scanErr }
func (e *fakeEngine) NextRun() time.Time    { e.mu.Lock(); defer e.mu.Unlock(); return e.next }
func (e *fakeEngine) IsSender() bool        { e.mu.Lock(); defer e.mu.Unlock(); return e.sender }
func (e *fakeEngine) Health() []bot.TargetHealth {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]bot.TargetHealth(nil), e.health...)
}

func (e *fakeEngine) Retry(ctx context.Context, post, target string) error {
	e.mu.Lock()
	err := e.retryErr
	e.mu.Unlock()
	if err != nil {
		return err
	}
	e.retries <- [2]string{post, target}
	return nil
}

// noRetry reports a retry that ran although it should not have.
func (e *fakeEngine) noRetry() (string, bool) {
	select {
	case r := <-e.retries:
		return r[0] + " → " + r[1], true
	default:
		return "", false
	}
}
