package bot

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// readyWatch is a batching memStore that notes every delivery record
// written after the engine said it was ready.
type readyWatch struct {
	*skipStore
	ready func() bool

	mu    sync.Mutex
	after []Delivery // written once ready
}

func (s *readyWatch) note(ds ...Delivery) {
	if s.ready == nil || !s.ready() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.after = append(s.after, ds...)
}

func (s *readyWatch) PutDelivery(ctx context.Context, d *Delivery) error {
	s.note(*d)
	return s.memStore.PutDelivery(ctx, d)
}

func (s *readyWatch) PutDeliveries(ctx context.Context, ds []Delivery) error {
	s.note(ds...)
	return s.skipStore.PutDeliveries(ctx, ds)
}

func (s *readyWatch) writtenAfterReady() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.after...)
}

// runEngine runs e under Run until the test ends.
func runEngine(t *testing.T, e *Engine) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.Run(ctx, "0 0 1 1 *") }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
}

// TestReadyAfterCatchUpRecords: on a first start over an archive, the
// catch-up skip records (and those of the target's filters) are written
// before the engine says it is ready, so that the first delivery pass
// writes nothing while the first lookups come in. A post that is due is
// still sent, by the pass, after ready.
func TestReadyAfterCatchUpRecords(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.clk = &clock{t: time.Now()}
	ws := &readyWatch{skipStore: &skipStore{memStore: h.store}}
	// c takes only the posts tagged llm: its skips need the post's tags.
	c := newFakeTarget("c")
	const old = 700 // more than a batch
	for i := 1; i <= old; i++ {
		tags := "tags: other"
		if i%2 == 0 {
			tags = "tags: llm"
		}
		h.src.put(fmt.Sprintf("old-%04d.md", i), post(h.clk.Now().AddDate(0, 0, -i-1), "old", tags))
	}
	h.src.put("draft.md", post(h.clk.Now().AddDate(0, 0, -3), "draft", "draft: true"))
	e := h.engine(func(e *Engine) {
		e.Store = ws
		e.Targets = []Target{h.a, matchingTarget{fakeTarget: c, tag: "llm"}}
		e.LeaseTTL = time.Second
		// Run's cron goroutine may log after Run returned, past the test.
		e.Logger = slog.New(slog.DiscardHandler)
	})
	ws.ready = e.Ready
	runEngine(t, e)
	waitFor(t, "ready", e.Ready)
	for i := 1; i <= old; i++ {
		p := fmt.Sprintf("old-%04d.md", i)
		if r, ok := h.store.record(p, "a"); !ok || r.State != DeliverySkipped || r.LastError != skipCatchUp {
			t.Fatalf("%s on a when ready: %+v, %v; want skipped by the catch-up window", p, r, ok)
		}
		want := skipCatchUp
		if i%2 == 1 {
			want = skipFiltered
		}
		if r, ok := h.store.record(p, "c"); !ok || r.State != DeliverySkipped || r.LastError != want {
			t.Fatalf("%s on c when ready: %+v, %v; want skipped: %s", p, r, ok, want)
		}
	}
	if _, ok := h.store.record("draft.md", "a"); ok {
		t.Error("a draft was recorded")
	}

	// A new post, tagged for both: the first pass after ready sends it and
	// writes nothing else.
	h.src.put("new.md", post(h.clk.Now().Add(-time.Minute), "new", "tags: llm"))
	e.Trigger()
	waitFor(t, "new.md to be sent", func() bool {
		ra, oka := h.store.record("new.md", "a")
		rc, okc := h.store.record("new.md", "c")
		return oka && okc && ra.State == DeliverySent && rc.State == DeliverySent
	})
	for _, d := range ws.writtenAfterReady() {
		if d.Post != "new.md" {
			t.Errorf("written after ready: %s on %s, %s (%s)", d.Post, d.Target, d.State, d.LastError)
		}
	}
	if n := len(h.a.live("new.md")) + len(c.live("new.md")); n != 2 {
		t.Errorf("new.md: %d messages, want one on each target", n)
	}
	if h.store.puts > 10 {
		t.Errorf("%d single writes: the skips were not batched", h.store.puts)
	}
}

// TestCatchUpRecordsOnlyBySender: a replica that does not hold the sender
// lease becomes ready without writing a record; the sender writes them.
func TestCatchUpRecordsOnlyBySender(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.clk = &clock{t: time.Now()}
	for i := 1; i <= 20; i++ {
		h.src.put(fmt.Sprintf("old-%02d.md", i), post(h.clk.Now().AddDate(0, 0, -i-1), "old"))
	}
	if ok, err := h.store.Lease(context.Background(), SenderLease, "replica-0", time.Hour); !ok || err != nil {
		t.Fatal(ok, err)
	}
	e := h.engine(func(e *Engine) {
		e.LeaseTTL = time.Second
		e.Logger = slog.New(slog.DiscardHandler)
	})
	runEngine(t, e)
	waitFor(t, "ready", e.Ready)
	time.Sleep(50 * time.Millisecond) // a pass, if one were wrongly run
	if e.IsSender() {
		t.Fatal("took a lease another replica holds")
	}
	h.store.mu.Lock()
	n := len(h.store.deliveries)
	h.store.mu.Unlock()
	if n != 0 {
		t.Errorf("a replica without the lease wrote %d records", n)
	}
	// The lease frees up: this replica becomes the sender and records them.
	if err := h.store.ReleaseLease(context.Background(), SenderLease, "replica-0"); err != nil {
		t.Fatal(err)
	}
	e.Trigger()
	waitFor(t, "the skips by the new sender", func() bool {
		r, ok := h.store.record("old-20.md", "b")
		return ok && r.State == DeliverySkipped
	})
}

// TestBeforeReadyOnce: BeforeReady runs once, after the first scan has
// indexed the archive and written its catch-up records and before Ready
// says true; later scans do not run it again.
func TestBeforeReadyOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.clk = &clock{t: time.Now()}
	for i := 1; i <= 5; i++ {
		h.src.put(fmt.Sprintf("old-%d.md", i), post(h.clk.Now().AddDate(0, 0, -i-1), "old"))
	}
	type call struct {
		ready, recorded bool
	}
	calls := make(chan call, 10)
	e := h.engine(func(e *Engine) {
		e.LeaseTTL = time.Second
		e.Logger = slog.New(slog.DiscardHandler)
	})
	e.BeforeReady = func() {
		r, ok := h.store.record("old-5.md", "a")
		calls <- call{ready: e.Ready(), recorded: ok && r.State == DeliverySkipped}
	}
	runEngine(t, e)
	waitFor(t, "ready", e.Ready)
	select {
	case c := <-calls:
		if c.ready {
			t.Error("BeforeReady ran after Ready said true")
		}
		if !c.recorded {
			t.Error("BeforeReady ran before the catch-up records were written")
		}
	default:
		t.Fatal("ready, and BeforeReady has not run")
	}
	// Two more scans, each waited for (the clock moves so that LastScan
	// tells one from the next).
	for range 2 {
		before := e.LastScan()
		h.clk.Set(before.Add(time.Minute))
		e.Trigger()
		waitFor(t, "another scan", func() bool { return e.LastScan().After(before) })
	}
	if n := len(calls); n != 0 {
		t.Errorf("BeforeReady ran %d more times after the first scan", n)
	}
}
