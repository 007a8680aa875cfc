package postgres_test

import (
	"context"
	"flag"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/paperbot/paperbot/bot/store/postgres"
	"github.com/paperbot/paperbot/bot/store/storetest"
	"github.com/paperbot/paperbot/formatter"
)

var (
	archivePosts  = flag.Int("archive.posts", storetest.MarkdownPosts, "posts in the benchmark archive")
	archivePapers = flag.Int("archive.papers", storetest.MarkdownPapers, "papers per post in the benchmark archive")
)

// The benchmark archive is built once per test binary, in a schema of its
// own that TestMain drops.
var bench struct {
	once    sync.Once
	drop    func() error // the archive's schema
	store   *postgres.Store
	archive *storetest.Archive
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if bench.store != nil {
		bench.store.Close()
	}
	if bench.drop != nil {
		bench.drop()
	}
	for _, drop := range emptied.drops {
		drop()
	}
	os.Exit(code)
}

func benchStore(b *testing.B) (*postgres.Store, *storetest.Archive) {
	server := storetest.PostgresServer(b) // skips without a server
	bench.once.Do(func() {
		var dsn string
		dsn, bench.drop = storetest.NewPostgresSchema(b, server)
		s, err := postgres.Open(context.Background(), dsn, nil)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		p := &formatter.Parser{Location: time.UTC}
		var md int64
		bench.archive, md = storetest.LoadMarkdownArchive(b, s, p.Parse, *archivePosts, *archivePapers)
		bench.store = s
		b.Logf("parsed and loaded %d posts × %d papers (%d MB of markdown) in %v", *archivePosts, *archivePapers, md>>20, time.Since(start).Round(time.Millisecond))
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
