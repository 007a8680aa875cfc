package gcfloor

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	const mb = 1 << 20
	for _, tc := range []struct {
		live, scannable, floor uint64
		want                   int
	}{
		// At most 1600: at 4 MB × 16 the runtime's minimum goal is the floor.
		{0, 0, 64 * mb, 1600},
		{1, 1, 64 * mb, 1600},
		{2 * mb, 2 * mb, 64 * mb, 1600},
		{4 * mb, 4 * mb, 64 * mb, 1500},
		{4 * mb, 8 * mb, 64 * mb, 750}, // stacks count toward the goal
		{1, 1, 1 * mb, 100},            // a floor under the minimum changes nothing
		{16 * mb, 16 * mb, 64 * mb, 300},
		{30 * mb, 30 * mb, 64 * mb, 113},
		{32 * mb, 33 * mb, 64 * mb, 100},
		{500 * mb, 500 * mb, 64 * mb, 100},
	} {
		if got := Percent(tc.live, tc.scannable, tc.floor); got != tc.want {
			t.Errorf("Percent(%d, %d, %d) = %d, want %d", tc.live, tc.scannable, tc.floor, got, tc.want)
		}
	}
}

var sink []byte

// churn allocates n bytes of short-lived garbage and returns how many
// collections ran meanwhile.
func churn(n int) uint32 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; i < n/(16<<10); i++ {
		sink = make([]byte, 16<<10)
	}
	runtime.ReadMemStats(&after)
	return after.NumGC - before.NumGC
}

func TestStartCutsCollections(t *testing.T) {
	t.Setenv("GOGC", "")
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	runtime.GC()
	const garbage = 512 << 20
	without := churn(garbage)

	stop := Start(DefaultFloor)
	runtime.GC() // a first re-tune from a fresh live heap
	runtime.GC()
	goal := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}}
	metrics.Read(goal)
	with := churn(garbage)
	stop()

	// The goal is the floor, not above it: a GOGC scaled too far scales
	// the runtime's minimum goal past the floor too.
	if g := goal[0].Value.Uint64(); g < DefaultFloor/2 || g > DefaultFloor*5/4 {
		t.Errorf("heap goal with the floor on: %d MB, want about %d MB", g>>20, DefaultFloor>>20)
	}

	t.Logf("collections over %d MB of garbage: %d by default, %d with a %d MB floor", garbage>>20, without, with, DefaultFloor>>20)
	// 512 MB over a 48 MB goal is about 12 collections; by default the
	// tiny live heap of a test binary makes it well over 50.
	if with > 16 || with*3 > without {
		t.Errorf("the floor did not cut collections: %d with it, %d without", with, without)
	}
	if p := debug.SetGCPercent(100); p != 100 {
		t.Errorf("after stop GOGC is %d, want the 100 from before Start", p)
	}
}

func TestStartLeavesGOGCToTheOperator(t *testing.T) {
	t.Setenv("GOGC", "150")
	old := debug.SetGCPercent(150)
	defer debug.SetGCPercent(old)
	stop := Start(DefaultFloor)
	runtime.GC()
	runtime.GC()
	if p := debug.SetGCPercent(150); p != 150 {
		t.Errorf("with GOGC set, Start changed GOGC to %d", p)
	}
	stop()
	if p := debug.SetGCPercent(150); p != 150 {
		t.Errorf("with GOGC set, stop changed GOGC to %d", p)
	}
}

// gogc reads GOGC without changing it.
func gogc() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

func TestBulk(t *testing.T) {
	t.Setenv("GOGC", "")
	defer debug.SetGCPercent(debug.SetGCPercent(100))

	// Overlapping jobs: GOGC comes back when the last one ends, once.
	done1 := Bulk()
	if p := gogc(); p != BulkPercent {
		t.Errorf("GOGC during a bulk job: %d, want %d", p, BulkPercent)
	}
	done2 := Bulk()
	done1()
	done1()
	if p := gogc(); p != BulkPercent {
		t.Errorf("GOGC after one of two bulk jobs ended: %d, want %d", p, BulkPercent)
	}
	done2()
	if p := gogc(); p != 100 {
		t.Errorf("GOGC after both ended: %d, want the 100 from before", p)
	}

	// A higher GOGC is left alone.
	debug.SetGCPercent(800)
	done := Bulk()
	if p := gogc(); p != 800 {
		t.Errorf("Bulk lowered GOGC 800 to %d", p)
	}
	done()
	debug.SetGCPercent(100)

	// With a floor's tuner running, the tuner keeps BulkPercent through
	// collections, and goes back to its own figure after.
	const floor = 8 << 20 // at most GOGC 200 on a small heap
	stop := Start(floor)
	defer stop()
	done = Bulk()
	runtime.GC()
	runtime.GC()
	if p := gogc(); p != BulkPercent {
		t.Errorf("GOGC during a bulk job with a floor: %d, want %d", p, BulkPercent)
	}
	done()
	runtime.GC()
	runtime.GC()
	if p := gogc(); p > 200 {
		t.Errorf("GOGC after the bulk job with a floor: %d, want the floor's (at most 200)", p)
	}
}

func TestBulkLeavesGOGCToTheOperator(t *testing.T) {
	t.Setenv("GOGC", "150")
	defer debug.SetGCPercent(debug.SetGCPercent(150))
	done := Bulk()
	if p := gogc(); p != 150 {
		t.Errorf("with GOGC set, Bulk changed GOGC to %d", p)
	}
	done()
	if p := gogc(); p != 150 {
		t.Errorf("with GOGC set, done changed GOGC to %d", p)
	}
}

// TestReleaseKeepsTheFloor: after a bulk job's large heap, Release leaves
// about the floor resident, not the whole heap (a collection alone) and not
// nothing (every free page back, which the first requests fault in again).
func TestReleaseKeepsTheFloor(t *testing.T) {
	t.Setenv("GOGC", "")
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	stop := Start(DefaultFloor)
	defer stop()

	const big = 256 << 20
	live := make([][]byte, 0, big/holdChunk)
	for range big / holdChunk {
		live = append(live, make([]byte, holdChunk))
	}
	runtime.KeepAlive(live)

	t0 := time.Now()
	Release()
	t.Logf("Release took %v", time.Since(t0))
	m := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
	}
	metrics.Read(m)
	objects, unused, free, released := m[0].Value.Uint64(), m[1].Value.Uint64(), m[2].Value.Uint64(), m[3].Value.Uint64()
	resident := objects + unused + free
	t.Logf("after Release: %d MB resident (%d MB of it free), %d MB returned", resident>>20, free>>20, released>>20)
	if resident > DefaultFloor*3/2 {
		t.Errorf("%d MB of heap resident after Release, want about the %d MB floor", resident>>20, DefaultFloor>>20)
	}
	if resident < DefaultFloor*3/4 {
		t.Errorf("%d MB of heap resident after Release: it returned pages the floor has room for (%d MB)", resident>>20, DefaultFloor>>20)
	}
	if released < big/2 {
		t.Errorf("only %d MB returned to the operating system of a %d MB heap", released>>20, big>>20)
	}
}
