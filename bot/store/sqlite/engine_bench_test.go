//go:build unix

package sqlite_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/source/folder"
	"github.com/paperbot/paperbot/bot/store/sqlite"
	"github.com/paperbot/paperbot/bot/store/storetest"
	"github.com/paperbot/paperbot/formatter"
	"github.com/paperbot/paperbot/internal/gcfloor"
)

// The benchmarks below run the engine as `paperbot run` does, on a folder
// of generated markdown posts (storetest.MarkdownArchive, written once per
// test binary into a temporary folder, never into the repository), the
// formatter's parser and a SQLite file.

// mdArchives are the folders written so far, by number of posts.
var mdArchives = map[int]*mdArchive{}

type mdArchive struct {
	dir  string
	size int64
}

// writeArchive writes n posts of papers papers into a temporary folder,
// once per test binary (TestMain removes them).
func writeArchive(b *testing.B, n, papers int) (dir string, size int64) {
	if a := mdArchives[n]; a != nil {
		return a.dir, a.size
	}
	fixture, err := os.ReadFile(storetest.FixturePath(b))
	if err != nil {
		b.Fatal(err)
	}
	gen, err := storetest.MarkdownArchive(fixture, papers, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), 1)
	if err != nil {
		b.Fatal(err)
	}
	a := &mdArchive{}
	if a.dir, err = os.MkdirTemp("", "paperbot-archive-"); err != nil {
		b.Fatal(err)
	}
	mdArchives[n] = a
	for i := 0; i < n; i++ {
		name, src := gen(i)
		if err := os.WriteFile(filepath.Join(a.dir, name), src, 0o644); err != nil {
			b.Fatal(err)
		}
		a.size += int64(len(src))
	}
	return a.dir, a.size
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// countTarget takes every post and counts them.
type countTarget struct{ posts int }

func (t *countTarget) Name() string { return "count" }
func (t *countTarget) Post(ctx context.Context, d *bot.Digest, key string) ([]bot.MessageRef, error) {
	t.posts++
	return []bot.MessageRef{{Channel: "C", ID: fmt.Sprint(t.posts)}}, nil
}
func (t *countTarget) Recover(ctx context.Context, key string) ([]bot.MessageRef, error) {
	return nil, nil
}
func (t *countTarget) Edit(ctx context.Context, d *bot.Digest, key string, refs []bot.MessageRef) ([]bot.MessageRef, error) {
	return refs, nil
}

// newEngine is an engine on dir and s with what paperbot run sets around
// its scans: a heap that may grow during a bulk scan, and a collection
// before ready.
func newEngine(b *testing.B, dir string, s bot.Store, now func() time.Time) *bot.Engine {
	return &bot.Engine{
		Store: s, Source: folder.New(dir, quiet), Parser: &formatter.Parser{Location: time.UTC},
		Targets: []bot.Target{&countTarget{}}, Location: time.UTC, Now: now, Logger: quiet, Holder: "bench",
		BulkScan: gcfloor.Bulk, BeforeReady: gcfloor.Release,
	}
}

// BenchmarkIndexArchive is a first start on the archive (8,000
// posts of 20 papers, about 400 MB; -archive.posts to change): the scan
// that makes the bot ready for lookups, from an empty SQLite file. One op
// is one whole first scan; run it with -benchtime 1x.
func BenchmarkIndexArchive(b *testing.B) {
	dir, size := writeArchive(b, *archivePosts, *archivePapers)
	ctx := context.Background()
	var cpu time.Duration
	// B/op and allocs/op: what the garbage collector has to keep up with.
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		db := filepath.Join(b.TempDir(), "index.db")
		s, err := sqlite.Open(ctx, db, nil)
		if err != nil {
			b.Fatal(err)
		}
		e := newEngine(b, dir, s, nil)
		b.StartTimer()
		before := cpuTime()
		res, err := e.Scan(ctx)
		cpu += cpuTime() - before
		b.StopTimer()
		if err != nil || res.Parsed != *archivePosts || !e.Ready() {
			b.Fatalf("first scan: %+v, %v", res, err)
		}
		s.Close()
		st, _ := os.Stat(db)
		b.ReportMetric(float64(st.Size())/float64(size), "x-markdown")
		b.StartTimer()
	}
	b.SetBytes(size)
	// The process's CPU time (every core) a scan took: the wall time alone
	// says little on a machine that others share.
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}

// BenchmarkTick is a tick of `paperbot run` on an archive of 10,000 posts
// (-tick.posts) that are all indexed and delivered or skipped: idle, with
// nothing changed; new_post, with one new post written before each tick
// (read, parsed, indexed and sent). cpu-ms/op is the process's CPU time
// per tick (getrusage: every goroutine, the GC's included), which on a
// shared machine says more than the wall time.
func BenchmarkTick(b *testing.B) {
	dir, _ := writeArchive(b, *tickPosts, *archivePapers)
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "tick.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	// The archive's posts are dated from 2000 on; the clock starts after
	// the last, so the first tick indexes them all and skips them.
	clock := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, *tickPosts+1)
	now := func() time.Time { return clock }
	e := newEngine(b, dir, s, now)
	if err := e.Tick(ctx); err != nil {
		b.Fatal(err)
	}
	b.Run("idle", func(b *testing.B) {
		b.ReportAllocs()
		before := cpuTime()
		for b.Loop() {
			if err := e.Tick(ctx); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64((cpuTime()-before).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	})
	// idle_watched is `paperbot run`'s idle tick: the folder is watched,
	// so the scan lists nothing, and the delivery workers run on their own
	// goroutines; cpu-ms/op is the process's CPU time (all goroutines,
	// getrusage) per tick, the workers' passes included.
	b.Run("idle_watched", func(b *testing.B) {
		w := newEngine(b, dir, s, now)
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- w.Run(runCtx, "0 0 1 1 *") }()
		defer func() {
			cancel()
			<-done
		}()
		for !w.Ready() {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond) // the start tick's passes
		var cpu time.Duration
		for b.Loop() {
			before := cpuTime()
			if err := w.Tick(ctx); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			time.Sleep(50 * time.Millisecond) // the workers' passes end
			cpu += cpuTime() - before
			b.StartTimer()
		}
		b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
	})
	b.Run("new_post", func(b *testing.B) {
		fixture, err := os.ReadFile(storetest.FixturePath(b))
		if err != nil {
			b.Fatal(err)
		}
		gen, err := storetest.MarkdownArchive(fixture, *archivePapers, clock, 2)
		if err != nil {
			b.Fatal(err)
		}
		t := e.Targets[0].(*countTarget)
		sent := t.posts
		i := 0
		var cpu time.Duration
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			name, src := gen(i*10 + 1) // never a draft
			i++
			clock = clock.AddDate(0, 0, 10).Add(time.Hour)
			if err := os.WriteFile(filepath.Join(dir, name), src, 0o644); err != nil {
				b.Fatal(err)
			}
			before := cpuTime()
			b.StartTimer()
			if err := e.Tick(ctx); err != nil {
				b.Fatal(err)
			}
			cpu += cpuTime() - before
		}
		b.StopTimer()
		b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
		if t.posts-sent != i {
			b.Fatalf("%d posts sent for %d new posts", t.posts-sent, i)
		}
		for j := 0; j < i; j++ {
			name, _ := gen(j*10 + 1)
			os.Remove(filepath.Join(dir, name))
		}
		if err := e.Tick(ctx); err != nil {
			b.Fatal(err)
		}
	})
}

// cpuTime is the CPU time the process has used (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
