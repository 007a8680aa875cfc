package postgres_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paperbot/paperbot/bot/store/postgres"
	"github.com/paperbot/paperbot/bot/store/postgres/postgrestest"
	"github.com/paperbot/paperbot/bot/store/storetest"
	"github.com/paperbot/paperbot/formatter"
)

var (
	archivePosts  = flag.Int("archive.posts", storetest.MarkdownPosts, "posts in the benchmark archive")
	archivePapers = flag.Int("archive.papers", storetest.MarkdownPapers, "papers per post in the benchmark archive")
	archiveKeep   = flag.String("archive.keep", "", "keep the benchmark archive in this schema between runs: reuse it when it holds this archive (same size, fixture, migrations and archiveVersion), else drop and reload it (loading 160,000 papers takes minutes); empty: a schema of its own, dropped at the end")
)

// archiveVersion names what a kept archive holds beyond its size, fixture
// and migrations: bump it when the rows the store writes for the same
// posts change without a migration (a token rule, the paper's encoding),
// so that a kept archive is reloaded rather than measured stale.
const archiveVersion = 1

// The benchmark archive is built once per test binary, in a schema of its
// own that TestMain drops, or in the kept schema -archive.keep names.
var bench struct {
	once    sync.Once
	drop    func() error // the archive's schema; nil when kept
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
	server := postgrestest.Server(b) // skips without a server
	bench.once.Do(func() {
		if *archiveKeep != "" {
			bench.store, bench.archive = keptArchive(b, server, *archiveKeep)
			return
		}
		var dsn string
		dsn, bench.drop = postgrestest.NewSchema(b, server)
		s := openBench(b, dsn)
		bench.archive = loadArchive(b, s)
		bench.store = s
	})
	if bench.store == nil {
		b.Fatal("benchmark archive failed to load")
	}
	return bench.store, bench.archive
}

func openBench(b *testing.B, dsn string) *postgres.Store {
	s, err := postgres.Open(context.Background(), dsn, nil)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func loadArchive(b *testing.B, s *postgres.Store) *storetest.Archive {
	start := time.Now()
	p := &formatter.Parser{Location: time.UTC}
	a, md := storetest.LoadMarkdownArchive(b, s, p.Parse, *archivePosts, *archivePapers)
	if want := storetest.MarkdownArchiveIDs(*archivePosts, *archivePapers); !slices.Equal(a.IDs, want) {
		b.Fatalf("the archive's ids are not what MarkdownArchiveIDs says (%d and %d ids)", len(a.IDs), len(want))
	}
	b.Logf("parsed and loaded %d posts × %d papers (%d MB of markdown) in %v", *archivePosts, *archivePapers, md>>20, time.Since(start).Round(time.Millisecond))
	return a
}

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// keptArchive returns the store on the kept schema name and its archive,
// loading the archive first unless the schema already holds this one: its
// bench_archive table records what was loaded (archiveKey), written only
// after a load completed, so an interrupted load is redone.
func keptArchive(b *testing.B, server, name string) (*postgres.Store, *storetest.Archive) {
	if !schemaName.MatchString(name) {
		b.Fatalf("-archive.keep %q: want a lower-case SQL identifier", name)
	}
	key := archiveKey(b)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	var have string
	err = conn.QueryRow(ctx, `SELECT key FROM `+name+`.bench_archive`).Scan(&have)
	u, perr := url.Parse(server)
	if perr != nil {
		b.Fatal(perr)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	if err == nil && have == key {
		s := openBench(b, u.String())
		b.Logf("reusing the archive kept in schema %s (%s)", name, key)
		return s, &storetest.Archive{IDs: storetest.MarkdownArchiveIDs(*archivePosts, *archivePapers)}
	}
	b.Logf("loading the archive into schema %s (kept: %v)", name, err)
	if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+name+` CASCADE`); err != nil {
		b.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+name); err != nil {
		b.Fatal(err)
	}
	s := openBench(b, u.String())
	a := loadArchive(b, s)
	if _, err := conn.Exec(ctx, `CREATE TABLE `+name+`.bench_archive (key text NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO `+name+`.bench_archive VALUES ($1)`, key); err != nil {
		b.Fatal(err)
	}
	return s, a
}

// archiveKey says what a load with these flags writes: the archive's size,
// archiveVersion, and digests of the fixture post and of the migrations.
func archiveKey(b *testing.B) string {
	h := sha256.New()
	fixture, err := os.ReadFile(storetest.FixturePath(b))
	if err != nil {
		b.Fatal(err)
	}
	h.Write(fixture)
	err = fs.WalkDir(os.DirFS("migrations"), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		src, err := os.ReadFile("migrations/" + path)
		fmt.Fprintf(h, "\x00%s\x00%s", path, src)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return fmt.Sprintf("v%d %dx%d %s", archiveVersion, *archivePosts, *archivePapers, hex.EncodeToString(h.Sum(nil))[:16])
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
// the archive. A kept archive gets rid of it afterwards, so that the next
// run finds the archive as loaded (BenchmarkFiles counts its files).
func BenchmarkSavePost(b *testing.B) {
	s, _ := benchStore(b)
	if *archiveKeep != "" {
		b.Cleanup(func() {
			if err := s.DeleteFile(context.Background(), storetest.SavePostPath); err != nil {
				b.Error(err)
			}
		})
	}
	storetest.BenchSavePost(b, s)
}
