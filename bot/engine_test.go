package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// t0 is the test epoch: a Tuesday morning, the bot's usual tick time.
var t0 = time.Date(2025, 9, 30, 9, 30, 0, 0, time.UTC)

type harness struct {
	t      *testing.T
	store  *memStore
	src    *fakeSource
	parser *fakeParser
	clk    *clock
	a, b   *fakeTarget
	obs    *recObserver
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return &harness{
		t: t, store: newMemStore(), src: newFakeSource(), parser: &fakeParser{},
		clk: &clock{t: t0}, a: newFakeTarget("a"), b: newFakeTarget("b"), obs: &recObserver{},
	}
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// engine returns a fresh Engine over the harness's store, as a restart
// would.
func (h *harness) engine(mods ...func(*Engine)) *Engine {
	e := &Engine{
		Store: h.store, Source: h.src, Parser: h.parser,
		Targets: []Target{h.a, h.b}, CatchUp: 24 * time.Hour,
		Now: h.clk.Now, Logger: testLogger(h.t), Observer: h.obs, Holder: "replica-1",
	}
	for _, m := range mods {
		m(e)
	}
	return e
}

// putArchive adds n old posts to the source, as a first run finds an
// archive: old-0001.md to old-NNNN.md, the i-th dated i days before t0 and
// so outside the catch-up window.
func (h *harness) putArchive(n int) {
	for i := 1; i <= n; i++ {
		h.src.put(fmt.Sprintf("old-%04d.md", i), post(day(-i).Add(-time.Minute), "old"))
	}
}

func (h *harness) tick(e *Engine) {
	h.t.Helper()
	if err := e.Tick(context.Background()); err != nil {
		h.t.Fatalf("tick: %v", err)
	}
}

// start runs the very first tick on an empty source at t0, so later posts
// fall inside the catch-up window.
func (h *harness) start() *Engine {
	e := h.engine()
	h.tick(e)
	return e
}

// sentOnce checks that every path has exactly parts live messages on every
// given target, showing the stored post's current hash.
func (h *harness) sentOnce(paths []string, targets ...*fakeTarget) {
	h.t.Helper()
	for _, tg := range targets {
		for _, p := range paths {
			msgs := tg.live(p)
			if len(msgs) != tg.parts {
				h.t.Errorf("%s on %s: %d live messages, want %d", p, tg.name, len(msgs), tg.parts)
				continue
			}
			d, err := h.store.Post(context.Background(), p)
			if err != nil {
				h.t.Fatal(err)
			}
			for _, m := range msgs {
				if m.Hash != d.Hash {
					h.t.Errorf("%s on %s: message %s shows hash %.8s, want %.8s", p, tg.name, m.ID, m.Hash, d.Hash)
				}
			}
			rec, ok := h.store.record(p, tg.name)
			if !ok || rec.State != DeliverySent || rec.Hash != d.Hash || len(rec.Refs) != tg.parts {
				h.t.Errorf("%s on %s: record %+v", p, tg.name, rec)
			}
		}
	}
}

func day(n int) time.Time { return t0.Add(time.Duration(n) * 24 * time.Hour) }

func TestDeliverEveryPostOnceInOrder(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.b.parts = 3
	e := h.start()
	h.clk.Set(day(3))
	// Added out of order; dates decide the order in the channel.
	h.src.put("2025-10-02-c.md", post(day(2).Add(-time.Hour), "C"))
	h.src.put("2025-09-30-a.md", post(t0.Add(time.Hour), "A"))
	h.src.put("2025-10-01-b.md", post(day(1), "B"))
	h.src.put("README.md.notapost", "")
	h.src.remove("README.md.notapost")
	h.tick(e)
	want := []string{"2025-09-30-a.md", "2025-10-01-b.md", "2025-10-02-c.md"}
	h.sentOnce(want, h.a, h.b)
	if got := h.a.order(); !slices.Equal(got, want) {
		t.Errorf("order on a = %v, want %v", got, want)
	}
	// Again, and after a restart: nothing new.
	h.tick(e)
	h.tick(h.engine())
	h.sentOnce(want, h.a, h.b)
	if n := h.a.count("post"); n != 3 {
		t.Errorf("a: %d Post calls, want 3", n)
	}
	if h.obs.sent["a"] != 3 || h.obs.sent["b"] != 3 {
		t.Errorf("observer sent = %v", h.obs.sent)
	}
	// A new file goes out at the next tick.
	h.src.put("2025-10-03-d.md", post(day(3).Add(-time.Minute), "D"))
	h.tick(h.engine())
	h.sentOnce(append(want, "2025-10-03-d.md"), h.a, h.b)
	if n := h.a.count("post"); n != 4 {
		t.Errorf("a: %d Post calls, want 4", n)
	}
}

func TestEditedPostIsEditedInPlace(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.a.parts = 2
	e := h.start()
	h.src.put("2025-09-30-a.md", post(t0.Add(time.Minute), "A", "papers: 2"))
	h.clk.Add(time.Hour)
	h.tick(e)
	before, _ := h.store.record("2025-09-30-a.md", "a")
	h.src.put("2025-09-30-a.md", post(t0.Add(time.Minute), "A, corrected", "papers: 2"))
	h.tick(e)
	h.sentOnce([]string{"2025-09-30-a.md"}, h.a, h.b)
	if n, m := h.a.count("post"), h.a.count("edit"); n != 1 || m != 1 {
		t.Errorf("a: %d posts, %d edits; want 1, 1", n, m)
	}
	after, _ := h.store.record("2025-09-30-a.md", "a")
	if !slices.Equal(before.Refs, after.Refs) || before.Hash == after.Hash {
		t.Errorf("edit: refs %v -> %v, hash %.8s -> %.8s", before.Refs, after.Refs, before.Hash, after.Hash)
	}
	// Touching the file (same bytes) neither parses nor edits.
	calls := h.parser.calls.Load()
	h.src.touch("2025-09-30-a.md")
	res, err := e.Scan(context.Background())
	if err != nil || res.Touched != 1 || h.parser.calls.Load() != calls {
		t.Errorf("touch: %+v, %v, parses %d -> %d", res, err, calls, h.parser.calls.Load())
	}
	h.tick(e)
	if m := h.a.count("edit"); m != 1 {
		t.Errorf("a: %d edits after a touch, want 1", m)
	}
}

func TestDraftsAndFuturePostsWait(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	e := h.start()
	h.src.put("2025-09-30-draft.md", post(t0.Add(time.Minute), "Draft", "draft: true"))
	h.src.put("2025-10-01-future.md", post(day(1).Add(-time.Hour), "Tomorrow"))
	h.clk.Add(time.Hour)
	h.tick(e)
	if n := h.a.count("post"); n != 0 {
		t.Fatalf("%d posts sent, want none: %v", n, h.a.calls)
	}
	for _, p := range []string{"2025-09-30-draft.md", "2025-10-01-future.md"} {
		if r, ok := h.store.record(p, "a"); ok {
			t.Errorf("%s has a record %+v; waiting posts must have none", p, r)
		}
	}
	// The file states say the draft is one: later passes do not load it.
	h.store.mu.Lock()
	reads := h.store.reads["2025-09-30-draft.md"]
	h.store.mu.Unlock()
	h.tick(e)
	h.tick(e)
	h.store.mu.Lock()
	if n := h.store.reads["2025-09-30-draft.md"] - reads; n != 0 {
		t.Errorf("the draft was loaded %d times by two more ticks", n)
	}
	h.store.mu.Unlock()
	// Its time comes: sent (the next day's tick, inside the window).
	h.clk.Set(day(1))
	h.tick(e)
	h.sentOnce([]string{"2025-10-01-future.md"}, h.a, h.b)
	// The draft is published (edited): sent if still in the window.
	h.src.put("2025-09-30-draft.md", post(t0.Add(time.Minute), "Draft"))
	h.tick(e)
	h.sentOnce([]string{"2025-09-30-draft.md"}, h.a)
}

func TestCatchUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name string
		run  func(h *harness)
		// sent and skipped posts on target a afterwards
		sent, skipped []string
	}{{
		name: "first run indexes the archive and sends only the window",
		run: func(h *harness) {
			h.putArchive(30)
			h.src.put("today.md", post(t0.Add(-time.Hour), "today"))
			h.tick(h.engine())
		},
		sent:    []string{"today.md"},
		skipped: []string{"old-0001.md", "old-0015.md", "old-0030.md"},
	}, {
		name: "a post missed during downtime is still sent",
		run: func(h *harness) {
			h.src.put("before.md", post(t0.Add(-time.Hour), "before"))
			h.tick(h.engine())
			// Down for four days; posts keep coming.
			for i := 1; i <= 3; i++ {
				h.src.put(fmt.Sprintf("down-%d.md", i), post(day(i).Add(-time.Hour), "down"))
			}
			h.clk.Set(day(4))
			h.tick(h.engine())
		},
		sent: []string{"before.md", "down-1.md", "down-2.md", "down-3.md"},
	}, {
		name: "an old post added later is skipped",
		run: func(h *harness) {
			h.tick(h.engine())
			h.clk.Set(day(1))
			h.tick(h.engine())
			h.src.put("late.md", post(day(-5), "late"))
			h.src.put("fresh.md", post(day(1).Add(time.Hour), "fresh"))
			h.clk.Set(day(1).Add(2 * time.Hour))
			h.tick(h.engine())
		},
		sent:    []string{"fresh.md"},
		skipped: []string{"late.md"},
	}, {
		name: "a failing scan does not move the window",
		run: func(h *harness) {
			h.tick(h.engine())
			h.src.put("d1.md", post(day(1).Add(-time.Hour), "d1"))
			// No successful scan for three days (the clock jumps; the
			// ticks in between are simply absent), then one at day 3.
			h.clk.Set(day(3))
			h.tick(h.engine())
		},
		sent: []string{"d1.md"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			tt.run(h)
			h.sentOnce(tt.sent, h.a, h.b)
			for _, p := range tt.skipped {
				r, ok := h.store.record(p, "a")
				if !ok || r.State != DeliverySkipped || r.LastError != skipCatchUp {
					t.Errorf("%s: record %+v, want skipped by catch-up", p, r)
				}
				if len(h.a.live(p)) != 0 {
					t.Errorf("%s was sent", p)
				}
			}
			if n := h.a.count("post"); n != len(tt.sent) {
				t.Errorf("%d Post calls, want %d", n, len(tt.sent))
			}
			// Skipped stays skipped.
			h.clk.Add(time.Hour)
			if err := h.engine().Tick(ctx); err != nil {
				t.Fatal(err)
			}
			if n := h.a.count("post"); n != len(tt.sent) {
				t.Errorf("after another tick: %d Post calls, want %d", n, len(tt.sent))
			}
		})
	}
}

// TestTransientFailureHoldsLaterPosts: a transient failure (unknown
// outcome) of an older post holds the later posts of that target, and of
// that target only, until it goes through; then they follow in date order.
func TestTransientFailureHoldsLaterPosts(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	e := h.start()
	h.a.failPosts = 1
	h.src.put("a.md", post(t0.Add(time.Minute), "A"))
	h.src.put("b.md", post(t0.Add(2*time.Minute), "B"))
	h.clk.Add(time.Hour)
	if err := e.Tick(context.Background()); err == nil {
		t.Fatal("tick with a failing target returned nil")
	}
	r, _ := h.store.record("a.md", "a")
	if r.State != DeliveryRetrying || r.Attempts != 1 || !strings.Contains(r.LastError, "fake target failure") {
		t.Errorf("record after failure: %+v", r)
	}
	// b.md waits behind a.md on a, recorded as queued; target b got both.
	if r, _ := h.store.record("b.md", "a"); r.State != DeliveryQueued || len(h.a.live("b.md")) != 0 {
		t.Errorf("b.md on a while a.md retries: %+v", r)
	}
	h.sentOnce([]string{"a.md", "b.md"}, h.b)
	if hs := e.Health(); hs[0].Failures != 1 || !strings.Contains(hs[0].LastError, "fake target failure") || hs[1].Failures != 0 {
		t.Errorf("health after failure: %+v", hs)
	}
	h.tick(e)
	h.sentOnce([]string{"a.md", "b.md"}, h.a, h.b)
	if got := h.a.order(); !slices.Equal(got, []string{"a.md", "b.md"}) {
		t.Errorf("order on a = %v", got)
	}
	r, _ = h.store.record("a.md", "a")
	if r.Attempts != 2 || r.LastError != "" {
		t.Errorf("record after retry: %+v", r)
	}
	// The outcome was unknown: the chat was searched once before the retry.
	if n := h.a.count("recover"); n != 1 {
		t.Errorf("%d Recover calls, want 1", n)
	}
	if h.obs.failed["a"] != 1 {
		t.Errorf("observer failed = %v", h.obs.failed)
	}
	if hs := e.Health(); hs[0].Failures != 0 || hs[0].LastError != "" || hs[0].LastSuccess.IsZero() {
		t.Errorf("health after retry: %+v", hs)
	}
}

// TestNotSentFailureSkipsRecover: when nothing left the machine (a refused
// connection), the next attempt sends without searching the chat.
func TestNotSentFailureSkipsRecover(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	e := h.start()
	h.a.failPosts, h.a.failErr = 1, NotSent(errors.New("dial tcp: connection refused"))
	h.src.put("a.md", post(t0.Add(time.Minute), "A"))
	h.clk.Add(time.Hour)
	_ = e.Tick(context.Background())
	if r, _ := h.store.record("a.md", "a"); r.State != DeliveryRetrying {
		t.Fatalf("record: %+v", r)
	}
	h.tick(e)
	h.sentOnce([]string{"a.md"}, h.a, h.b)
	if n := h.a.count("recover"); n != 0 {
		t.Errorf("%d Recover calls after a refused connection, want 0", n)
	}
}

// TestPermanentFailureDoesNotHold: a refusal fails that post alone; later
// posts go on, and the failed one is not retried by itself, only when
// edited or by Retry.
func TestPermanentFailureDoesNotHold(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newHarness(t)
	e := h.start()
	h.a.failPosts, h.a.failErr = 1, Permanent(errors.New("HTTP 400: invalid blocks"))
	h.src.put("a.md", post(t0.Add(time.Minute), "A"))
	h.src.put("b.md", post(t0.Add(2*time.Minute), "B"))
	h.clk.Add(time.Hour)
	if err := e.Tick(ctx); err == nil {
		t.Fatal("tick with a refused post returned nil")
	}
	r, _ := h.store.record("a.md", "a")
	if r.State != DeliveryFailed || !strings.Contains(r.LastError, "invalid blocks") {
		t.Errorf("record after refusal: %+v", r)
	}
	h.sentOnce([]string{"b.md"}, h.a)
	h.sentOnce([]string{"a.md", "b.md"}, h.b)
	h.tick(e)
	if n := h.a.count("post"); n != 2 {
		t.Errorf("%d Post calls; the refused post was retried by itself", n)
	}
	// Retry by hand: exactly that pair, no Recover (the refusal was final).
	if err := e.Retry(ctx, "a.md", "a"); err != nil {
		t.Fatal(err)
	}
	h.sentOnce([]string{"a.md", "b.md"}, h.a)
	if n := h.a.count("recover"); n != 0 {
		t.Errorf("%d Recover calls, want 0", n)
	}
	for _, tc := range []struct{ post, target, code string }{
		{"nope.md", "a", ENOTFOUND}, {"a.md", "nobody", ENOTFOUND}, {"a.md", "a", EINVALID},
	} {
		if err := e.Retry(ctx, tc.post, tc.target); ErrorCode(err) != tc.code {
			t.Errorf("Retry(%s, %s) = %v, want %s", tc.post, tc.target, err, tc.code)
		}
	}
}

func TestPartialMultiMessagePost(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.a.parts, h.a.failPosts, h.a.failAfter = 3, 1, 1
	e := h.start()
	h.src.put("a.md", post(t0.Add(time.Minute), "A"))
	h.clk.Add(time.Hour)
	_ = e.Tick(context.Background())
	r, _ := h.store.record("a.md", "a")
	if r.State != DeliveryRetrying || len(r.Refs) != 1 {
		t.Fatalf("record after partial post: %+v", r)
	}
	h.tick(e)
	h.sentOnce([]string{"a.md"}, h.a)
	if n, m := h.a.count("post"), h.a.count("edit"); n != 1 || m != 1 {
		t.Errorf("%d posts, %d edits; want 1 post then 1 completing edit", n, m)
	}
}

func TestCrashRecovery(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name string
		// crash sets up a crash during the first delivery of a.md to a.
		crash      func(h *harness)
		posts      int // Post calls on a overall
		recoveries int // Recover calls on a overall
		dupes      bool
	}{{
		name:       "target crashes after sending everything",
		crash:      func(h *harness) { h.a.panicAfter = 2 },
		posts:      1,
		recoveries: 1,
	}, {
		name:       "target crashes between two messages",
		crash:      func(h *harness) { h.a.panicAfter = 1 },
		posts:      1,
		recoveries: 1,
	}, {
		name:       "crash before anything went out",
		crash:      func(h *harness) { h.a.panicAfter = 0 },
		posts:      2,
		recoveries: 1,
	}, {
		name: "process dies between send and record",
		crash: func(h *harness) {
			h.store.failPut = func(d *Delivery) error {
				if d.Target == "a" && d.State == DeliverySent {
					h.store.failPut = nil
					return errors.New("killed")
				}
				return nil
			}
		},
		posts:      1,
		recoveries: 1,
	}, {
		name: "a target that cannot look back sends again",
		crash: func(h *harness) {
			h.a.panicAfter = 2
			h.a.noRecover = true
		},
		posts:      2,
		recoveries: 1,
		dupes:      true,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.a.parts = 2
			h.start()
			h.src.put("a.md", post(t0.Add(time.Minute), "A"))
			h.clk.Add(time.Hour)
			tt.crash(h)
			// The crashing tick: an error, never a panic.
			if err := h.engine().Tick(ctx); err == nil {
				t.Fatal("crashing tick returned nil")
			}
			if r, _ := h.store.record("a.md", "a"); r.State != DeliverySending {
				t.Fatalf("record after crash: %+v, want sending", r)
			}
			// Restart.
			h.tick(h.engine())
			h.tick(h.engine())
			if tt.dupes {
				if got := len(h.a.live("a.md")); got != 4 {
					t.Errorf("%d live messages, want 4 (documented re-send)", got)
				}
			} else {
				h.sentOnce([]string{"a.md"}, h.a)
			}
			h.sentOnce([]string{"a.md"}, h.b)
			if n := h.a.count("post"); n != tt.posts {
				t.Errorf("%d Post calls, want %d", n, tt.posts)
			}
			if n := h.a.count("recover"); n != tt.recoveries {
				t.Errorf("%d Recover calls, want %d", n, tt.recoveries)
			}
		})
	}
}

func TestRecoverErrorKeepsIntent(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	h.src.put("a.md", post(t0.Add(time.Minute), "A"))
	h.clk.Add(time.Hour)
	h.a.panicAfter = 1
	_ = h.engine().Tick(context.Background())
	h.a.failRecov = errors.New("history unavailable")
	if err := h.engine().Tick(context.Background()); err == nil {
		t.Fatal("tick with a failing Recover returned nil")
	}
	if r, _ := h.store.record("a.md", "a"); r.State != DeliverySending || !strings.Contains(r.LastError, "history unavailable") {
		t.Errorf("record: %+v; want still sending with the error", r)
	}
	if n := h.a.count("post"); n != 1 {
		t.Errorf("%d Post calls, want 1: nothing may be sent blind", n)
	}
	h.a.failRecov = nil
	h.tick(h.engine())
	h.sentOnce([]string{"a.md"}, h.a)
}

func TestOnlyTheLeaseHolderSends(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	h.src.put("a.md", post(t0.Add(time.Minute), "A"))
	h.src.put("b.md", post(t0.Add(2*time.Minute), "B"))
	h.clk.Add(time.Hour)
	inPost, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	h.a.onPost = func() {
		once.Do(func() {
			close(inPost)
			<-release
		})
	}
	e1 := h.engine(func(e *Engine) { e.Holder = "replica-1" })
	e2 := h.engine(func(e *Engine) { e.Holder = "replica-2" })
	done := make(chan error)
	go func() { done <- e1.Tick(context.Background()) }()
	<-inPost
	// Replica 2 scans (it answers commands too) but must not send.
	if err := e2.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !e2.Ready() {
		t.Error("replica 2 not ready after its scan")
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	h.sentOnce([]string{"a.md", "b.md"}, h.a, h.b)
	if n := h.a.count("post"); n != 2 {
		t.Errorf("%d Post calls, want 2", n)
	}
	// The lease is free again: replica 2 may send the next one.
	h.src.put("c.md", post(t0.Add(3*time.Minute), "C"))
	h.tick(e2)
	h.sentOnce([]string{"c.md"}, h.a, h.b)
}

func TestMatcherFilters(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	m := matchingTarget{fakeTarget: h.a, tag: "llm"}
	e := h.engine(func(e *Engine) { e.Targets = []Target{m, h.b} })
	h.tick(e)
	h.src.put("a.md", post(t0.Add(time.Minute), "A", "tags: llm,vision"))
	h.src.put("b.md", post(t0.Add(2*time.Minute), "B", "tags: vision"))
	h.clk.Add(time.Hour)
	h.tick(e)
	h.sentOnce([]string{"a.md"}, h.a)
	h.sentOnce([]string{"a.md", "b.md"}, h.b)
	if r, _ := h.store.record("b.md", "a"); r.State != DeliverySkipped || r.LastError != skipFiltered {
		t.Errorf("filtered record: %+v", r)
	}
	// Edited to carry the tag: now it matches and goes out.
	h.src.put("b.md", post(t0.Add(2*time.Minute), "B", "tags: vision,llm"))
	h.tick(e)
	h.sentOnce([]string{"a.md", "b.md"}, h.a, h.b)
}

func TestScanIsIncremental(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	e := h.engine()
	ctx := context.Background()
	for i := range 20 {
		h.src.put(fmt.Sprintf("p%02d.md", i), post(day(-i), "P"))
	}
	res, err := e.Scan(ctx)
	if err != nil || res.Parsed != 20 || res.Listed != 20 {
		t.Fatalf("first scan: %+v, %v", res, err)
	}
	if !e.Ready() || !e.LastScan().Equal(t0) {
		t.Errorf("ready %v, last scan %v", e.Ready(), e.LastScan())
	}
	reads, parses := h.src.reads, h.parser.calls.Load()
	res, err = e.Scan(ctx)
	if err != nil || res.Unchanged != 20 || h.src.reads != reads || h.parser.calls.Load() != parses {
		t.Fatalf("second scan read or parsed old posts: %+v, %v, reads %d->%d", res, err, reads, h.src.reads)
	}
	// A broken edit: logged, recorded, the last good version stays.
	h.src.put("p03.md", post(day(-3), "P", "bad"))
	h.src.remove("p04.md")
	res, err = e.Scan(ctx)
	if err != nil || res.Failed != 1 || res.Deleted != 1 || len(res.Errors) != 1 || res.Errors[0] != "p03.md:3: cannot read this line" {
		t.Fatalf("scan with a bad post: %+v, %v", res, err)
	}
	if _, err := h.store.Post(ctx, "p03.md"); err != nil {
		t.Errorf("last good version of p03.md gone: %v", err)
	}
	if fs := h.store.files["p03.md"]; fs.Error != "p03.md:3: cannot read this line" {
		t.Errorf("file state error = %q", fs.Error)
	}
	if _, err := h.store.Post(ctx, "p04.md"); ErrorCode(err) != ENOTFOUND {
		t.Errorf("deleted post still indexed: %v", err)
	}
	// The broken file is not re-parsed while it stays the same.
	parses = h.parser.calls.Load()
	h.src.touch("p03.md")
	if _, err := e.Scan(ctx); err != nil || h.parser.calls.Load() != parses {
		t.Errorf("broken file re-parsed: %v", err)
	}
	if v, _ := h.store.Meta(ctx, metaLastScan); v != t0.Format(time.RFC3339Nano) {
		t.Errorf("last_scan = %q", v)
	}
}

type panicParser struct{}

func (panicParser) Parse(string, []byte) (*Digest, error) { panic("parser bug") }

func TestTickNeverPanics(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	e := h.start()
	h.src.put("a.md", post(t0.Add(time.Minute), "A"))
	h.clk.Add(time.Hour)
	h.a.panicAfter = 0
	h.b.panicAfter = 0
	if err := e.Tick(context.Background()); err == nil || !strings.Contains(err.Error(), "panicked") {
		t.Errorf("tick = %v, want a panic turned into an error", err)
	}
	e2 := h.engine(func(e *Engine) { e.Parser = panicParser{} })
	h.src.put("b.md", post(t0.Add(time.Minute), "B"))
	res, err := e2.Scan(context.Background())
	if err != nil || res.Failed != 1 || !strings.Contains(res.Errors[0], "parser panicked") {
		t.Errorf("scan with a panicking parser: %+v, %v", res, err)
	}
}

func TestMissingPostAlert(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	alerts := newFakeTarget("alerts")
	exp := mustExpectBy(t, "10:00 Mon-Fri")
	withAlerts := func(e *Engine) { e.ExpectBy, e.Alerts = &exp, alerts }
	h.src.put("yesterday.md", post(day(-1), "Y"))
	h.tick(h.engine(withAlerts)) // 09:30: before the deadline
	if len(alerts.msgs) != 0 || len(h.obs.missing) != 0 {
		t.Fatal("alert before the deadline")
	}
	h.clk.Set(t0.Add(31 * time.Minute))
	e := h.engine(withAlerts)
	h.tick(e)
	h.tick(e)
	h.tick(h.engine(withAlerts)) // a restart: still once
	if len(alerts.msgs) != 1 {
		t.Fatalf("%d alert messages, want 1", len(alerts.msgs))
	}
	if m := alerts.msgs[0]; m.Post != "alert/2025-09-30" || m.Key != "pb-alert-20250930" {
		t.Errorf("alert message %+v", m)
	}
	if !slices.Equal(h.obs.missing, []string{"2025-09-30", "2025-09-30"}) {
		t.Errorf("observer missing = %v (once per process and day)", h.obs.missing)
	}
	// The next day the post is there: no alert. A weekend: none either.
	h.clk.Set(day(1).Add(time.Hour))
	h.src.put("today.md", post(day(1).Add(-time.Hour), "T"))
	h.tick(h.engine(withAlerts))
	h.clk.Set(day(4).Add(time.Hour)) // Saturday
	h.tick(h.engine(withAlerts))
	if len(alerts.msgs) != 1 {
		t.Errorf("%d alert messages, want still 1", len(alerts.msgs))
	}
	if got := alertTitle("2025-09-30", t0.Add(30*time.Minute)); got != "No Daily Papers post for 2025-09-30 by 10:00" {
		t.Errorf("alertTitle = %q", got)
	}
}

func TestSend(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newHarness(t)
	h.src.put("_posts/2025-09-20-old.md", post(day(-10), "Old"))
	h.src.put("_posts/2025-09-30-a.md", post(t0.Add(-5*time.Hour), "A"))
	h.src.put("_posts/2025-09-30-b.md", post(t0.Add(-4*time.Hour), "B"))
	h.src.put("_posts/2025-09-29-draft.md", post(day(-1), "D", "draft: true"))
	e := h.engine(func(e *Engine) { e.CatchUp = 0 })
	h.tick(e) // first run: all skipped
	if n := h.a.count("post"); n != 0 {
		t.Fatalf("first run sent %d", n)
	}
	// A skipped old post, by file path, to one target.
	got, err := e.Send(ctx, "/home/me/blog/_posts/2025-09-20-old.md", "a", false)
	if err != nil || len(got) != 1 || got[0].State != DeliverySent || got[0].Target != "a" {
		t.Fatalf("send old: %+v, %v", got, err)
	}
	h.sentOnce([]string{"_posts/2025-09-20-old.md"}, h.a)
	// A day, to every target.
	got, err = e.Send(ctx, "2025-09-30", "", false)
	if err != nil || len(got) != 4 {
		t.Fatalf("send day: %+v, %v", got, err)
	}
	h.sentOnce([]string{"_posts/2025-09-30-a.md", "_posts/2025-09-30-b.md"}, h.a, h.b)
	// Again: already sent, nothing happens.
	posts := h.a.count("post")
	if _, err := e.Send(ctx, "2025-09-30-a.md", "", false); err != nil || h.a.count("post") != posts {
		t.Errorf("repeat send posted again: %v", err)
	}
	// Forced: new messages under a new key.
	before, _ := h.store.record("_posts/2025-09-30-a.md", "a")
	got, err = e.Send(ctx, "_posts/2025-09-30-a.md", "a", true)
	if err != nil || len(got) != 1 || got[0].Key == before.Key || got[0].Attempts != 2 {
		t.Fatalf("forced send: %+v, %v", got, err)
	}
	if n := len(h.a.live("_posts/2025-09-30-a.md")); n != 2 {
		t.Errorf("%d messages after a forced send, want 2", n)
	}
	// Errors.
	for _, tc := range []struct{ arg, target, code string }{
		{"2025-09-29-draft.md", "", EINVALID},
		{"2025-01-01", "", ENOTFOUND},
		{"nope.md", "", ENOTFOUND},
		{"2025-09-30", "nobody", ENOTFOUND},
		{"", "", EINVALID},
	} {
		if _, err := e.Send(ctx, tc.arg, tc.target, false); ErrorCode(err) != tc.code {
			t.Errorf("Send(%q, %q) = %v, want code %s", tc.arg, tc.target, err, tc.code)
		}
	}
	// While another replica holds the lease.
	if ok, _ := h.store.Lease(ctx, SenderLease, "other", time.Minute); !ok {
		t.Fatal("lease")
	}
	if _, err := e.Send(ctx, "2025-09-30", "", true); ErrorCode(err) != EUNAVAILABLE {
		t.Errorf("send under another's lease = %v", err)
	}
}

func TestRunTicksAndStopsGracefully(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.clk = &clock{t: time.Now()}
	e := h.engine()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.Run(ctx, "CRON_TZ=Asia/Seoul 30 9 * * *") }()
	waitFor(t, "the start tick", func() bool { return e.Ready() })
	// A post arrives; Trigger delivers it. Its send is in flight when we
	// shut down: it finishes and is recorded, the next post is not begun.
	h.src.put("a.md", post(h.clk.Now().Add(-time.Minute), "A"))
	h.src.put("b.md", post(h.clk.Now().Add(-time.Second), "B"))
	inPost := make(chan struct{})
	var once sync.Once
	h.a.onPost = func() {
		once.Do(func() {
			close(inPost)
			cancel()
			// The send goes on after shutdown began.
			<-ctx.Done()
		})
	}
	e.Trigger()
	<-inPost
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if r, _ := h.store.record("a.md", "a"); r.State != DeliverySent {
		t.Errorf("in-flight send: %+v, want sent", r)
	}
	if _, ok := h.store.record("b.md", "a"); ok {
		t.Error("a new send began after shutdown")
	}
	if err := (&Engine{Store: h.store}).Run(context.Background(), "not a spec"); err == nil {
		t.Error("Run accepted a bad spec")
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestDeliveryKey(t *testing.T) {
	t.Parallel()
	k := DeliveryKey("team", "_posts/2025-09-30-daily-papers.md")
	if len(k) != 19 || !strings.HasPrefix(k, "pb-") || k != DeliveryKey("team", "_posts/2025-09-30-daily-papers.md") {
		t.Errorf("key %q", k)
	}
	if k == DeliveryKey("lab", "_posts/2025-09-30-daily-papers.md") {
		t.Error("keys of two targets collide")
	}
	if f := forcedKey("team", "x", time.Unix(1, 0)); f == DeliveryKey("team", "x") || len(f) != 19 {
		t.Errorf("forced key %q", f)
	}
}

// batchStore is a memStore with the optional PostBatcher extension.
type batchStore struct {
	*memStore
	batches, posts int
}

func (s *batchStore) SavePosts(ctx context.Context, posts []*Digest, files []FileState) error {
	s.batches++
	s.posts += len(posts)
	for i := range posts {
		if err := s.SavePost(ctx, posts[i], files[i]); err != nil {
			return err
		}
	}
	return nil
}

func TestLargeArchiveFirstRun(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	bs := &batchStore{memStore: h.store}
	h.putArchive(600)
	h.src.put("new.md", post(t0.Add(-time.Minute), "new"))
	e := h.engine(func(e *Engine) { e.Store = bs })
	h.tick(e)
	if want := (601 + batchSize - 1) / batchSize; bs.batches != want || bs.posts != 601 {
		t.Errorf("%d batches of %d posts, want %d batches of 601", bs.batches, bs.posts, want)
	}
	h.sentOnce([]string{"new.md"}, h.a, h.b)
	if n := h.a.count("post"); n != 1 {
		t.Errorf("%d posts sent, want 1", n)
	}
	all, _ := h.store.Deliveries(context.Background(), "")
	if len(all) != 601*2 {
		t.Errorf("%d records, want %d", len(all), 601*2)
	}
}

// TestBulkScan: a scan of bulkScan posts or more is a bulk job, ended
// once its last batch is saved; a tick with one new post is not.
func TestBulkScan(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	bs := &batchStore{memStore: h.store}
	h.putArchive(bulkScan)
	var began, ended, savedAtEnd int
	e := h.engine(func(e *Engine) {
		e.Store = bs
		e.BulkScan = func() func() {
			began++
			return func() { ended++; savedAtEnd = bs.posts }
		}
	})
	h.tick(e)
	if began != 1 || ended != 1 || savedAtEnd != bulkScan {
		t.Errorf("first scan of %d posts: bulk began %d times, ended %d, with %d posts saved at its end; want once, once, all",
			bulkScan, began, ended, savedAtEnd)
	}
	h.src.put("new.md", post(t0.Add(-time.Minute), "new"))
	h.tick(e)
	if began != 1 || ended != 1 || bs.posts != bulkScan+1 {
		t.Errorf("a tick with one new post: bulk began %d times, ended %d (want 1, 1), %d posts saved", began, ended, bs.posts)
	}
}

func TestRunFollowsSchedule(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	e := h.engine(func(e *Engine) { e.Now = nil })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.Run(ctx, "@every 1s") }()
	// The start tick, then at least one scheduled one.
	waitFor(t, "a scheduled tick", func() bool {
		h.obs.mu.Lock()
		defer h.obs.mu.Unlock()
		return h.obs.scans >= 2
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestLeaseLostMidPassStops(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	e := h.start()
	h.src.put("a.md", post(t0.Add(time.Minute), "A"))
	h.src.put("b.md", post(t0.Add(2*time.Minute), "B"))
	h.clk.Add(time.Hour)
	// Both targets' workers are in their first Post when another replica
	// takes over (our lease expired meanwhile).
	var arrived sync.WaitGroup
	arrived.Add(2)
	var steal sync.Once
	for _, tg := range []*fakeTarget{h.a, h.b} {
		var once sync.Once
		tg.onPost = func() {
			once.Do(func() {
				arrived.Done()
				arrived.Wait()
				steal.Do(func() {
					h.store.mu.Lock()
					h.store.leases[SenderLease] = memLease{holder: "replica-2", until: time.Now().Add(time.Hour)}
					h.store.mu.Unlock()
				})
			})
		}
	}
	err := e.Tick(context.Background())
	if !errors.Is(err, errLeaseLost) {
		t.Fatalf("tick = %v, want the lease lost", err)
	}
	for _, tg := range []*fakeTarget{h.a, h.b} {
		if r, _ := h.store.record("a.md", tg.name); r.State != DeliverySent {
			t.Errorf("the send in flight to %s was not recorded: %+v", tg.name, r)
		}
		if n := tg.count("post"); n != 1 {
			t.Errorf("%s: %d Post calls after losing the lease, want only the one in flight", tg.name, n)
		}
	}
	if e.IsSender() {
		t.Error("still the sender after losing the lease")
	}
}

func TestDeliverAloneUsesStoredScan(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newHarness(t)
	h.src.put("recent.md", post(t0.Add(-time.Hour), "recent"))
	h.src.put("old.md", post(t0.Add(-30*time.Hour), "old"))
	if _, err := h.engine().Scan(ctx); err != nil {
		t.Fatal(err)
	}
	h.clk.Set(day(1))
	// A new process that delivers without scanning: the window is based
	// on the stored scan time (t0), not on now.
	if err := h.engine().Deliver(ctx); err != nil {
		t.Fatal(err)
	}
	h.sentOnce([]string{"recent.md"}, h.a, h.b)
	if r, _ := h.store.record("old.md", "a"); r.State != DeliverySkipped {
		t.Errorf("old.md: %+v, want skipped", r)
	}
}

// TestManyDuePostsInDateOrder covers a pass with more due posts than keep
// their digest (keepDigests): each is read again when its turn comes, and
// the order is still the posts' dates, not their paths.
func TestManyDuePostsInDateOrder(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	e := h.start()
	n := keepDigests + 36
	h.clk.Set(day(n + 1))
	var want []string
	for i := 1; i <= n; i++ {
		// Paths sort against the dates: the oldest post has the last path.
		p := fmt.Sprintf("z-%03d.md", n-i+1)
		h.src.put(p, post(day(i), fmt.Sprintf("P%d", i)))
		want = append(want, p)
	}
	h.src.put("a-draft.md", post(day(1), "draft", "draft: true"))
	h.tick(e)
	h.sentOnce(want, h.a, h.b)
	if got := h.a.order(); !slices.Equal(got, want) {
		t.Errorf("order on a = %v, want %v", got, want)
	}
	if got := h.a.count("post"); got != n {
		t.Errorf("a: %d Post calls, want %d (no draft, no repeat)", got, n)
	}
}

// TestRunWorkersOwnClock: under Run each target's worker retries by itself
// on its backoff (no tick needed) while the other target is done, and the
// engine reports its role, schedule and health.
func TestRunWorkersOwnClock(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.clk = &clock{t: time.Now()}
	e := h.engine(func(e *Engine) {
		e.RetryMin, e.RetryMax = 20*time.Millisecond, 40*time.Millisecond
		e.LeaseTTL = time.Second
	})
	if !e.NextRun().IsZero() || e.IsSender() {
		t.Fatal("NextRun or IsSender before Run")
	}
	h.a.failPosts = 3
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.Run(ctx, "0 0 1 1 *") }()
	waitFor(t, "the start tick", func() bool { return e.Ready() && e.IsSender() })
	if e.NextRun().Before(time.Now()) || e.LastScanError() != "" {
		t.Errorf("NextRun %v, LastScanError %q", e.NextRun(), e.LastScanError())
	}
	h.src.put("a.md", post(h.clk.Now().Add(-time.Minute), "A"))
	e.Trigger()
	waitFor(t, "b to get the post", func() bool { return len(h.b.live("a.md")) == 1 })
	sawWait := false
	waitFor(t, "a to get the post by its own retries", func() bool {
		if hs := e.Health(); !hs[0].NextAttempt.IsZero() {
			sawWait = true
		}
		return len(h.a.live("a.md")) == 1
	})
	if !sawWait {
		t.Error("Health never showed a next attempt while a was held")
	}
	if n := h.a.count("post"); n != 4 {
		t.Errorf("a: %d Post calls, want 4 (3 failures, then through)", n)
	}
	if hs := e.Health(); hs[0].Failures != 0 || !hs[0].NextAttempt.IsZero() || hs[0].LastSuccess.IsZero() {
		t.Errorf("health after recovery: %+v", hs[0])
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if e.IsSender() {
		t.Error("still the sender after Run")
	}
	if ok, _ := h.store.Lease(context.Background(), SenderLease, "other", time.Minute); !ok {
		t.Error("Run did not release the lease")
	}
}

// TestWatchedScans: with a watcher reporting changes, a scan lists the
// source only after a change was reported or when the sweep is due, and the
// file states stay in memory between scans (the store is read at a sweep).
func TestWatchedScans(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.src.put("2025-09-30-a.md", post(t0.Add(-time.Hour), "A"))
	e := h.engine(func(e *Engine) { e.SweepEvery = time.Hour })
	h.tick(e) // lists: nothing is known yet
	e.watching.Store(true)
	lists := func() int {
		h.src.mu.Lock()
		defer h.src.mu.Unlock()
		return h.src.lists
	}
	n := lists()
	res, err := e.Scan(context.Background())
	if err != nil || lists() != n || res.Unchanged != 1 {
		t.Errorf("idle watched scan: %+v, %v; lists %d -> %d", res, err, n, lists())
	}
	h.src.put("2025-09-30-b.md", post(t0.Add(-time.Minute), "B"))
	e.sourceChanged(false)
	res, err = e.Scan(context.Background())
	if err != nil || lists() != n+1 || res.Parsed != 1 {
		t.Errorf("scan after a change: %+v, %v; lists %d -> %d", res, err, n, lists())
	}
	// A lost watch lists at every scan again.
	e.sourceChanged(true)
	e.Scan(context.Background())
	e.Scan(context.Background())
	if lists() != n+3 {
		t.Errorf("after a lost watch: %d lists, want %d", lists(), n+3)
	}
	// The sweep reads the store again: a file state changed behind the
	// engine's back is seen then, not before.
	e.watching.Store(true)
	e.dirty.Store(false)
	h.store.mu.Lock()
	delete(h.store.files, "2025-09-30-b.md")
	h.store.mu.Unlock()
	if res, _ := e.Scan(context.Background()); res.Parsed != 0 {
		t.Errorf("a scan before the sweep re-read the store: %+v", res)
	}
	e.lastSweep = time.Now().Add(-2 * time.Hour)
	if res, _ := e.Scan(context.Background()); res.Parsed != 1 || lists() != n+4 {
		t.Errorf("the sweep: %+v, lists %d", res, lists())
	}
}

// TestCatchUpSkipsInBatches: the first pass over a large archive records
// its catch-up skips in batches when the store can, not one write each.
func TestCatchUpSkipsInBatches(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	bs := &skipStore{memStore: h.store}
	h.putArchive(1200)
	h.src.put("today.md", post(t0.Add(-time.Hour), "today"))
	e := h.engine(func(e *Engine) { e.Store = bs })
	h.tick(e)
	h.sentOnce([]string{"today.md"}, h.a, h.b)
	for _, tg := range []string{"a", "b"} {
		for _, p := range []string{"old-0001.md", "old-0600.md", "old-1200.md"} {
			if r, ok := h.store.record(p, tg); !ok || r.State != DeliverySkipped {
				t.Errorf("%s on %s: %+v, %v; want skipped", p, tg, r, ok)
			}
		}
	}
	// 1,200 skips a target: three batches of at most 512 each.
	if bs.batches < 2*3 || bs.batches > 2*4 {
		t.Errorf("%d batches for 2 x 1,200 skips", bs.batches)
	}
	if h.store.puts > 10 {
		t.Errorf("%d single writes: the skips were not batched", h.store.puts)
	}
}

// damagedDays is a store whose posts of any day include one that cannot be
// decoded (and no other).
type damagedDays struct{ Store }

func (s damagedDays) PostsOn(ctx context.Context, day string) ([]*Digest, error) {
	return nil, Unreadable("_posts/"+day+"-daily.md", errors.New("decode post: exceeded max depth"))
}

// TestMissingPostAlertDamagedPost: today's post arrived but cannot be read
// back. It is not missing (its damage is failed and reported by delivery),
// so the check neither alerts nor fails (a failed check is retried and
// logged every few minutes).
func TestMissingPostAlertDamagedPost(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	alerts := newFakeTarget("alerts")
	exp := mustExpectBy(t, "10:00 Mon-Fri")
	h.clk.Set(t0.Add(31 * time.Minute))
	e := h.engine(func(e *Engine) { e.ExpectBy, e.Alerts, e.Store = &exp, alerts, damagedDays{e.Store} })
	if err := e.checkAlert(context.Background()); err != nil {
		t.Errorf("missing-post check with today's post damaged: %v", err)
	}
	if len(alerts.msgs) != 0 || len(h.obs.missing) != 0 {
		t.Errorf("a damaged post was reported missing: %d messages", len(alerts.msgs))
	}
}
