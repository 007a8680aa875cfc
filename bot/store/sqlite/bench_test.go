package sqlite_test

import (
	"context"
	"database/sql"
	"flag"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/paperbot/paperbot/bot/store/sqlite"
	"github.com/paperbot/paperbot/bot/store/storetest"
	"github.com/paperbot/paperbot/formatter"
)

var (
	archivePosts  = flag.Int("archive.posts", storetest.MarkdownPosts, "posts in the benchmark archive")
	archivePapers = flag.Int("archive.papers", storetest.MarkdownPapers, "papers per post in the benchmark archive")
	tickPosts     = flag.Int("tick.posts", 10000, "posts in BenchmarkTick's archive")
)

// The benchmark archive is built once per test binary and shared by the
// benchmarks: loading 160,000 papers takes far longer than any of them.
var bench struct {
	once    sync.Once
	dir     string
	store   *sqlite.Store
	archive *storetest.Archive
	md      int64 // bytes of markdown the archive was parsed from
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
	for _, a := range mdArchives {
		os.RemoveAll(a.dir)
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
		p := &formatter.Parser{Location: time.UTC}
		bench.archive, bench.md = storetest.LoadMarkdownArchive(b, s, p.Parse, *archivePosts, *archivePapers)
		bench.store = s
		b.Logf("parsed and loaded %d posts × %d papers (%d MB of markdown) in %v (file %d MB)", *archivePosts, *archivePapers,
			bench.md>>20, time.Since(start).Round(time.Millisecond), storeBytes(b)>>20)
	})
	if bench.store == nil {
		b.Fatal("benchmark archive failed to load")
	}
	return bench.store, bench.archive
}

// storeBytes is the size the database file has once its write-ahead log is
// checkpointed (pages in use, as a reader sees them).
func storeBytes(b *testing.B) int64 {
	db, err := sql.Open("sqlite", filepath.Join(bench.dir, "bench.db")+"?_pragma=query_only(1)")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var pages, size int64
	if err := db.QueryRow(`PRAGMA page_count`).Scan(&pages); err != nil {
		b.Fatal(err)
	}
	if err := db.QueryRow(`PRAGMA page_size`).Scan(&size); err != nil {
		b.Fatal(err)
	}
	return pages * size
}

// BenchmarkStoreSize reports the database's size against the markdown it
// indexes (x-markdown; the goal is 1.0 or less), search index
// included. Its timing means nothing.
func BenchmarkStoreSize(b *testing.B) {
	benchStore(b)
	for b.Loop() {
	}
	b.ReportMetric(float64(storeBytes(b))/float64(bench.md), "x-markdown")
	b.ReportMetric(float64(storeBytes(b))/(1<<20), "MB")
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
