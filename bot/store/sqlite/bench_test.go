package sqlite_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/paperbot/paperbot/bot/store/sqlite"
	"github.com/paperbot/paperbot/bot/store/storetest"
)

var archivePosts = flag.Int("archive.posts", storetest.ArchivePosts, "posts in the benchmark archive (×16 papers)")

// The benchmark archive is built once per test binary and shared by the
// benchmarks: loading 160,000 papers takes far longer than any of them.
var bench struct {
	once    sync.Once
	dir     string
	store   *sqlite.Store
	archive *storetest.Archive
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if bench.store != nil {
		bench.store.Close()
	}
	if bench.dir != "" {
		os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

func benchStore(b *testing.B) (*sqlite.Store, *storetest.Archive) {
	bench.once.Do(func() {
		dir, err := os.MkdirTemp("", "paperbot-bench-")
		if err != nil {
			b.Fatal(err)
		}
		bench.dir = dir
		s, err := sqlite.Open(context.Background(), filepath.Join(dir, "bench.db"), nil)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		bench.archive = storetest.LoadArchive(b, s, *archivePosts, storetest.ArchivePapers)
		bench.store = s
		st, _ := os.Stat(filepath.Join(dir, "bench.db"))
		b.Logf("loaded %d posts × %d papers in %v (file %d MB)", *archivePosts, storetest.ArchivePapers, time.Since(start).Round(time.Millisecond), st.Size()>>20)
	})
	if bench.store == nil {
		b.Fatal("benchmark archive failed to load")
	}
	return bench.store, bench.archive
}

func BenchmarkPaperLookup(b *testing.B) {
	s, a := benchStore(b)
	storetest.BenchPaperLookup(b, s, a)
}

func BenchmarkSearch(b *testing.B) {
	s, _ := benchStore(b)
	storetest.BenchSearch(b, s)
}

func BenchmarkFiles(b *testing.B) {
	s, _ := benchStore(b)
	storetest.BenchFiles(b, s, *archivePosts)
}

// BenchmarkSavePost is one tick's write: a new post of 16 papers on top of
// the archive.
func BenchmarkSavePost(b *testing.B) {
	s, _ := benchStore(b)
	storetest.BenchSavePost(b, s)
}
