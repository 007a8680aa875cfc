package bot

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"
)

// archive fills src with n dated posts, one a day before t0.
func archive(src *fakeSource, n int) {
	for i := 1; i <= n; i++ {
		d := t0.Add(-time.Duration(i) * 24 * time.Hour)
		src.put(fmt.Sprintf("_posts/%s-daily-papers-%05d.md", d.Format(time.DateOnly), i),
			post(d, fmt.Sprintf("Daily Papers %d", i), "papers: 16", "tags: daily"))
	}
}

// BenchmarkTick measures one tick over an archive of 10,000 delivered or
// skipped posts plus one new post: a stat per old post, one read, one
// parse, one send per target. The parse count proves old posts are not
// parsed again.
func BenchmarkTick(b *testing.B) {
	const n = 10_000
	ctx := context.Background()
	store, src, parser := newMemStore(), newFakeSource(), &fakeParser{}
	archive(src, n)
	clk := &clock{t: t0}
	tg := newFakeTarget("team")
	e := &Engine{
		Store: store, Source: src, Parser: parser, Targets: []Target{tg},
		CatchUp: 24 * time.Hour, Now: clk.Now, Holder: "bench",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if err := e.Tick(ctx); err != nil {
		b.Fatal(err)
	}
	if got := parser.calls.Load(); got != n {
		b.Fatalf("first tick parsed %d posts, want %d", got, n)
	}
	sent0 := tg.count("post")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		clk.Add(time.Minute)
		src.put(fmt.Sprintf("_posts/new-%06d.md", i), post(clk.Now().Add(-time.Second), "new", "papers: 16"))
		before := parser.calls.Load()
		b.StartTimer()
		if err := e.Tick(ctx); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if got := parser.calls.Load() - before; got != 1 {
			b.Fatalf("tick parsed %d posts, want exactly the new one", got)
		}
		b.StartTimer()
	}
	if got := tg.count("post") - sent0; got != i {
		b.Fatalf("%d sends for %d new posts", got, i)
	}
}

// BenchmarkTickIdle is a tick with nothing new: the steady state.
func BenchmarkTickIdle(b *testing.B) {
	ctx := context.Background()
	store, src, parser := newMemStore(), newFakeSource(), &fakeParser{}
	archive(src, 10_000)
	clk := &clock{t: t0}
	e := &Engine{
		Store: store, Source: src, Parser: parser, Targets: []Target{newFakeTarget("team")},
		CatchUp: 24 * time.Hour, Now: clk.Now, Holder: "bench",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if err := e.Tick(ctx); err != nil {
		b.Fatal(err)
	}
	parses := parser.calls.Load()
	b.ReportAllocs()
	for b.Loop() {
		if err := e.Tick(ctx); err != nil {
			b.Fatal(err)
		}
	}
	if parser.calls.Load() != parses {
		b.Fatal("an idle tick parsed")
	}
}
