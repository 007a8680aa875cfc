// Package gcfloor keeps the garbage collector from running many times a
// second while the live heap is tiny.
//
// Go starts the next collection when the heap has grown by GOGC percent of
// what the last one found live (4 MB at least). paperbot's live heap is a
// few MB between scans, so under steady API load the collector ran about
// thirty times a second; each run took half a core of a two-core machine
// for several milliseconds and shrank the stacks of idle connections, which
// the next SQLite query had to grow again. That was the largest part of the
// API's tail latency. A floor under the heap goal, the effect the old
// "ballast" trick got with a large unused allocation, trades a bounded
// amount of memory for far fewer collections; once the live heap is large
// enough for GOGC=100 to reach the floor, the collector behaves exactly as
// by default.
//
// A bulk job, such as the first scan of a large archive, wants the
// opposite: gigabytes of garbage that each live for one post, and a live
// heap the collector marks again and again. Bulk lets the heap grow to five
// times what is live while one runs.
//
// The standard knobs still win: with GOGC set in the environment, Start and
// Bulk do nothing, and a GOMEMLIMIT caps the heap as usual.
package gcfloor

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
)

// DefaultFloor is the heap goal paperbot keeps at least. At 5,000 API
// lookups a second (about 16 KB of garbage each) it means about two
// collections a second instead of thirty. 128 MB (one every two seconds)
// measured no better, within the noise of interleaved runs, and neither
// did 64 MB against this 48 MB (p99 8-23 ms against 8-29 ms on a noisy
// host, four runs each), which keeps the process ~16 MB smaller. The heap
// only grows that far under sustained load.
const DefaultFloor = 48 << 20

// heapMinimum is the runtime's smallest goal at GOGC=100. The runtime
// scales it with GOGC, so a GOGC above floor/heapMinimum × 100 would put
// the goal above the floor while the live heap is near nothing (it did: a
// 200 MB goal at start-up).
const heapMinimum = 4 << 20

// What the pacer's goal counts: since Go 1.18 the goal is live heap +
// (live heap + goroutine stacks + globals) × GOGC/100.
var goalInputs = []string{"/gc/heap/live:bytes", "/gc/scan/stack:bytes", "/gc/scan/globals:bytes"}

// Start keeps the heap goal at floor bytes or more until the returned stop
// is called, which restores the GOGC in force before. It re-tunes after
// every collection, from the heap that collection found live. Without a
// floor (0) or with GOGC set in the environment it changes nothing.
func Start(floor uint64) (stop func()) {
	if floor == 0 || os.Getenv("GOGC") != "" {
		return func() {}
	}
	t := &tuner{floor: floor}
	for _, name := range goalInputs {
		t.samples = append(t.samples, metrics.Sample{Name: name})
	}
	t.before = t.set()
	t.arm()
	current.Store(floor)
	var once sync.Once
	return func() {
		once.Do(func() {
			t.mu.Lock()
			t.stopped = true
			t.mu.Unlock()
			current.CompareAndSwap(floor, 0)
			debug.SetGCPercent(t.before)
		})
	}
}

// Release collects now, and gives the operating system back every free
// page of the heap beyond the floor that Start keeps. paperbot run calls it
// once, when its first scan is done and before it says ready
// (bot.Engine.BeforeReady): indexing a large archive leaves a heap several
// times the live set (five times, Bulk), and a server then idle allocates
// too little to trigger a collection, so the process held it all until
// load came.
//
// What it keeps matters as much as what it returns. Every page returned is
// a page fault when the heap grows back to its floor under the first
// requests, and faults are dear on a small VM: handing back every free page
// (debug.FreeOSMemory) faulted ~12,000 times in the first second of 5,000
// lookups a second, with p99 50-175 ms in that second. A collection alone
// faults least, but leaves the runtime's scavenger to return the rest at
// its own pace (1% of the CPU): on a Firecracker VM that was ~20 MB a
// second, and anonymous RSS was still 125-158 MB after 10 s of that load
// (first start on 10,000 posts; ~200 MB at ready). So Release holds the
// heap's lowest free pages, as many as the floor has room for above the
// live heap, while every other free page goes back, then lets them go: the
// allocator reuses the lowest free pages first, and the scavenger keeps
// what the last collection found in use (plus 10%), so they stay resident
// for the first requests. Anonymous RSS at ready is then about the floor
// plus SQLite's caches.
//
// Without a floor (GOGC set, or Start not called) it only collects.
func Release() {
	runtime.GC()
	floor := current.Load()
	if floor == 0 {
		return
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	var hold [][]byte
	for room := int64(floor) - int64(ms.HeapInuse); room > 0; room -= holdChunk {
		hold = append(hold, make([]byte, holdChunk))
	}
	debug.FreeOSMemory()
	runtime.KeepAlive(hold)
	// The held pages die in this collection, which also sets the goal
	// from the true live heap again (the tuner saw them as live in the
	// last one).
	runtime.GC()
}

// holdChunk is the size of the allocations Release holds the floor's pages
// with: large enough to be a span of their own, small enough to fill the
// gaps between live spans at the bottom of the heap.
const holdChunk = 64 << 10

// current is the floor of the Start in force, 0 when there is none.
var current atomic.Uint64

// BulkPercent is the GOGC while a bulk job runs. A first start on 8,000
// posts (BenchmarkIndexArchive in bot/store/sqlite; 4.9 GB allocated) took
// 1.5 CPU-s and 0.75 s less with it than at 100, two interleaved pairs;
// 800 measured no better than 400.
const BulkPercent = 400

// bulk counts the bulk jobs running, so that overlapping ones (tests run
// several engines at once) restore GOGC only when the last one ends.
var bulk struct {
	mu     sync.Mutex
	n      int
	before int // GOGC when the first began
}

// Bulk raises GOGC to BulkPercent (never lowers it) until the returned done
// is called, which puts back what was in force when the first of the bulk
// jobs running began. A floor's tuner (Start) keeps at least BulkPercent
// meanwhile. With GOGC set in the environment it changes nothing.
func Bulk() (done func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	bulk.mu.Lock()
	bulk.n++
	if bulk.n == 1 {
		bulk.before = debug.SetGCPercent(BulkPercent)
		if bulk.before < 0 || bulk.before > BulkPercent {
			debug.SetGCPercent(bulk.before) // off, or already higher
		}
	}
	bulk.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			bulk.mu.Lock()
			defer bulk.mu.Unlock()
			bulk.n--
			if bulk.n == 0 {
				debug.SetGCPercent(bulk.before)
			}
		})
	}
}

type tuner struct {
	floor   uint64
	before  int
	mu      sync.Mutex // guards stopped and samples
	stopped bool
	samples []metrics.Sample
}

// sentinel is garbage whose finalizer runs once per collection: it dies in
// the cycle after it is armed, and arms the next one. It holds a pointer
// so the allocator does not batch it with other tiny objects, which would
// delay its finalizer indefinitely.
type sentinel struct{ t *tuner }

func (t *tuner) arm() {
	runtime.SetFinalizer(&sentinel{t: t}, func(s *sentinel) {
		s.t.mu.Lock()
		defer s.t.mu.Unlock()
		if s.t.stopped {
			return
		}
		s.t.set()
		s.t.arm()
	})
}

// set sets GOGC to the tuner's figure and returns the one before. It holds
// bulk.mu, so that a bulk job starting or ending meanwhile sets GOGC
// before or after it, not in between.
func (t *tuner) set() int {
	bulk.mu.Lock()
	defer bulk.mu.Unlock()
	return debug.SetGCPercent(t.percentLocked())
}

// percentLocked is the GOGC that puts the next goal at the floor, or
// BulkPercent if that is higher and a bulk job runs. The caller holds
// bulk.mu.
func (t *tuner) percentLocked() int {
	metrics.Read(t.samples)
	var v [3]uint64
	for i, s := range t.samples {
		if s.Value.Kind() == metrics.KindUint64 {
			v[i] = s.Value.Uint64()
		}
	}
	p := Percent(v[0], v[0]+v[1]+v[2], t.floor)
	if bulk.n > 0 {
		p = max(p, BulkPercent)
	}
	return p
}

// Percent is the GOGC that makes the goal, live + scannable × GOGC/100
// (scannable: the live heap plus stacks and globals), about floor bytes:
// never below the default 100, and never so high that the runtime's own
// minimum goal, scaled by GOGC, passes the floor.
func Percent(live, scannable, floor uint64) int {
	highest := max(100, float64(floor)/heapMinimum*100)
	if scannable == 0 {
		return int(highest)
	}
	if live >= floor {
		return 100
	}
	p := (float64(floor) - float64(live)) / float64(scannable) * 100
	return int(math.Min(math.Max(p, 100), highest))
}
