package bot

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"
)

// recReads is how many times the store's records were read in full.
func (h *harness) recReads() int {
	h.store.mu.Lock()
	defer h.store.mu.Unlock()
	return h.store.recReads
}

// TestIdlePassesKeepTheirRecords: the sender reads the delivery records
// from the store once and keeps them in step with what it writes; a write
// whose outcome is unknown makes it read them again.
func TestIdlePassesKeepTheirRecords(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	e := h.start()
	h.src.put("a.md", post(t0.Add(time.Minute), "A"))
	h.clk.Add(time.Hour)
	h.tick(e)
	h.sentOnce([]string{"a.md"}, h.a, h.b)
	reads := h.recReads()
	for range 3 {
		h.tick(e)
	}
	h.src.put("b.md", post(t0.Add(2*time.Minute), "B"))
	h.tick(e)
	h.sentOnce([]string{"a.md", "b.md"}, h.a, h.b)
	if got := h.recReads(); got != reads {
		t.Errorf("the records were read %d more times over 4 ticks of one sender, want 0", got-reads)
	}

	h.store.failPut = func(d *Delivery) error {
		h.store.failPut = nil
		return errors.New("disk full")
	}
	h.src.put("c.md", post(t0.Add(3*time.Minute), "C"))
	if err := e.Tick(context.Background()); err == nil {
		t.Fatal("tick with a failed record returned nil")
	}
	h.tick(e)
	if got := h.recReads(); got == reads {
		t.Error("the records were not read again after a write that failed")
	}
	h.sentOnce([]string{"a.md", "b.md", "c.md"}, h.a, h.b)
}

// TestSenderAfterAnotherReadsRecordsAgain: a replica that becomes the
// sender again after another one sent must not trust the records it kept.
func TestSenderAfterAnotherReadsRecordsAgain(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	e1 := h.engine(func(e *Engine) { e.Holder = "replica-1" })
	e2 := h.engine(func(e *Engine) { e.Holder = "replica-2" })
	h.clk.Add(time.Hour)
	h.tick(e1) // replica 1 keeps the records
	h.src.put("a.md", post(h.clk.Now().Add(-time.Minute), "A"))
	h.tick(e2) // replica 2 sends a.md
	h.sentOnce([]string{"a.md"}, h.a, h.b)
	h.tick(e1)
	h.sentOnce([]string{"a.md"}, h.a, h.b)
	if n := h.a.count("post"); n != 1 {
		t.Errorf("%d Post calls for one post sent by another replica, want 1", n)
	}
	// The same holder name restarted is another process: its copy is new.
	h.src.put("b.md", post(h.clk.Now().Add(-time.Minute), "B"))
	h.tick(h.engine(func(e *Engine) { e.Holder = "replica-1" }))
	h.tick(e1)
	h.sentOnce([]string{"a.md", "b.md"}, h.a, h.b)
	// `paperbot send` writes records without a pass.
	h.src.put("c.md", post(h.clk.Now().Add(-time.Minute), "C"))
	if _, err := e2.Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := e2.Send(context.Background(), "c.md", "", false); err != nil {
		t.Fatal(err)
	}
	h.tick(e1)
	h.sentOnce([]string{"a.md", "b.md", "c.md"}, h.a, h.b)
}

// TestSenderSeesRecordsWrittenElsewhere: while one replica holds the lease
// under Run, a Retry on another replica, and a record written by a process
// that announced itself (a sender whose lease lapsed unnoticed), reach the
// sender's next pass.
func TestSenderSeesRecordsWrittenElsewhere(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newHarness(t)
	h.clk = &clock{t: time.Now()}
	e := h.engine(func(e *Engine) {
		e.LeaseTTL = time.Second
		// Run's cron goroutine may log after Run returned, past the test.
		e.Logger = slog.New(slog.DiscardHandler)
	})
	h.a.failPosts, h.a.failErr = 1, Permanent(errors.New("HTTP 400: invalid blocks"))
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- e.Run(runCtx, "0 0 1 1 *") }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	waitFor(t, "the start tick", func() bool { return e.Ready() && e.IsSender() })
	h.src.put("a.md", post(h.clk.Now().Add(-time.Minute), "A"))
	e.Trigger()
	waitFor(t, "a.md to fail on a", func() bool {
		r, ok := h.store.record("a.md", "a")
		return ok && r.State == DeliveryFailed
	})

	other := h.engine(func(e *Engine) { e.Holder = "replica-2" })
	if err := other.Retry(ctx, "a.md", "a"); err != nil {
		t.Fatal(err)
	}
	if r, _ := h.store.record("a.md", "a"); r.State != DeliveryRetrying {
		t.Fatalf("record after a retry on another replica: %+v", r)
	}
	e.Trigger()
	waitFor(t, "the sender to take the retry", func() bool { return len(h.a.live("a.md")) == 1 })

	// Another process wrote b.md's record, having claimed the records.
	h.src.put("b.md", post(h.clk.Now().Add(-time.Minute), "B"))
	if err := h.store.SetMeta(ctx, metaRecordsOwner, "replica-3 x"); err != nil {
		t.Fatal(err)
	}
	for _, tg := range []string{"a", "b"} {
		if err := h.store.PutDelivery(ctx, &Delivery{Post: "b.md", Target: tg, Key: DeliveryKey(tg, "b.md"),
			State: DeliverySkipped, LastError: "written elsewhere", UpdatedAt: h.clk.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	h.src.put("c.md", post(h.clk.Now().Add(-time.Minute), "C"))
	e.Trigger()
	waitFor(t, "c.md to be sent", func() bool { return len(h.a.live("c.md")) == 1 && len(h.b.live("c.md")) == 1 })
	if n := len(h.a.live("b.md")) + len(h.b.live("b.md")); n != 0 {
		t.Errorf("b.md, recorded by another process, was sent %d times", n)
	}
}
