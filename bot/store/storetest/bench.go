package storetest

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/paperbot/paperbot/bot"
)

// ArchivePapers is the size of the post BenchSavePost writes.
const ArchivePapers = 16

// Archive is a generated archive loaded into a store.
type Archive struct {
	Posts []*bot.Digest
	// IDs of papers in published posts, spread over the archive.
	IDs []bot.ArxivID
}

// BenchPaperLookup measures Paper(id) over ids spread across the archive.
func BenchPaperLookup(b *testing.B, s bot.Store, a *Archive) {
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		id := a.IDs[i%len(a.IDs)]
		h, err := s.Paper(ctx, id)
		if err != nil {
			b.Fatalf("Paper(%s): %v", id, err)
		}
		if h.Paper.ID != id {
			b.Fatalf("Paper(%s) returned %s", id, h.Paper.ID)
		}
	}
}

// SearchQueries are what BenchSearch runs, words of the real post: a
// common English word, Korean words of two syllables (a stem that takes
// particles) and of five, two words, a word nothing has, and two queries
// of eight words (the most a query keeps, rows.MaxWords): one whose papers
// rank by how many of its words their title holds, and one of words nearly
// every paper has (section names and common title words), the costliest a
// chat user can type.
var SearchQueries = []struct{ Name, Query string }{
	{"english", "hallucinations"},
	{"korean_two", "확산"},
	{"korean_two_b", "환각"},
	{"korean_long", "토크나이저"},
	{"two_words", "sparse attention"},
	{"no_match", "zyzzyva"},
	{"eight_words", "efficient sparse attention for long context language models"},
	{"eight_common", "introduction method results conclusion language models for attention"},
}

// BenchSearch measures SearchPapers(query, 5) for each of SearchQueries,
// one at a time: ns/op is the mean, p50-ms and p99-ms the percentiles of
// the searches' times (the goal is a p99).
func BenchSearch(b *testing.B, s bot.Store) {
	ctx := context.Background()
	for _, q := range SearchQueries {
		b.Run(q.Name, func(b *testing.B) {
			b.ReportAllocs()
			var took []time.Duration
			for b.Loop() {
				start := time.Now()
				if _, err := s.SearchPapers(ctx, q.Query, 5); err != nil {
					b.Fatalf("SearchPapers(%q): %v", q.Query, err)
				}
				took = append(took, time.Since(start))
			}
			slices.Sort(took)
			ms := func(p float64) float64 { return float64(took[int(p*float64(len(took)-1))]) / 1e6 }
			b.ReportMetric(ms(0.50), "p50-ms")
			b.ReportMetric(ms(0.99), "p99-ms")
		})
	}
}

// BenchFiles measures Files, which every tick calls, on a store holding
// want files.
func BenchFiles(b *testing.B, s bot.Store, want int) {
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		fs, err := s.Files(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if len(fs) != want {
			b.Fatalf("Files has %d entries, want %d", len(fs), want)
		}
	}
}

// SavePostPath is the path of the post BenchSavePost writes: a benchmark
// that keeps its archive deletes it afterwards.
const SavePostPath = "2030-01-01-daily-papers.md"

// BenchSavePost is one tick's write: a new post of ArchivePapers papers on
// top of the archive, saved again and again.
func BenchSavePost(b *testing.B, s bot.Store) {
	d := GenPosts(1, ArchivePapers, time.Date(2030, 1, 1, 8, 0, 0, 0, time.UTC), 2)[0]
	if d.Path != SavePostPath {
		b.Fatalf("the post is at %s, SavePostPath says %s", d.Path, SavePostPath)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.SavePost(context.Background(), d, FileOf(d)); err != nil {
			b.Fatal(err)
		}
	}
}

// The archive of the figures: 8,000 daily posts of 20 papers
// recombined from the real post (MarkdownArchive), about 400 MB of markdown.
const (
	MarkdownPosts  = 8000
	MarkdownPapers = 20
)

// FixturePath is the team's real post, kept next to the module (not in it);
// tests that need it skip when it is not there.
func FixturePath(tb testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for ; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		if filepath.Dir(dir) == dir {
			tb.Skip("no go.mod above the test")
		}
	}
	p := filepath.Join(dir, "..", "shared", "fixtures", "posts", "2025-09-30-daily-papers.md")
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("the real post is not at %s: %v", p, err)
	}
	return p
}

// ParseFunc parses one post (formatter.Parser.Parse: storetest does not
// import the formatter).
type ParseFunc func(path string, src []byte) (*bot.Digest, error)

// LoadMarkdownArchive generates posts×papers posts from the real post
// (MarkdownArchive, seed 1, from 2000-01-01), parses them on every core and
// loads them into s, a batch of 256 posts per transaction when s is a
// BulkSaver. It returns the archive and the markdown's size in bytes.
func LoadMarkdownArchive(tb testing.TB, s bot.Store, parse ParseFunc, posts, papers int) (*Archive, int64) {
	tb.Helper()
	fixture, err := os.ReadFile(FixturePath(tb))
	if err != nil {
		tb.Fatal(err)
	}
	gen, err := MarkdownArchive(fixture, papers, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), 1)
	if err != nil {
		tb.Fatal(err)
	}
	a := &Archive{Posts: make([]*bot.Digest, posts)}
	var size int64
	const chunk = 256
	for lo := 0; lo < posts; lo += chunk {
		hi := min(lo+chunk, posts)
		var wg sync.WaitGroup
		var mu sync.Mutex
		next := lo
		var failed error
		for range runtime.GOMAXPROCS(0) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					mu.Lock()
					i := next
					next++
					mu.Unlock()
					if i >= hi {
						return
					}
					name, src := gen(i)
					d, err := parse(name, src)
					mu.Lock()
					size += int64(len(src))
					if err != nil {
						failed = err
					}
					mu.Unlock()
					if err == nil {
						d.Path = name
						a.Posts[i] = d
					}
				}
			}()
		}
		wg.Wait()
		if failed != nil {
			tb.Fatalf("parse a generated post: %v", failed)
		}
		Load(tb, s, a.Posts[lo:hi])
		// The papers are in the store now; keep only what lookups need.
		for _, d := range a.Posts[lo:hi] {
			if !d.Draft && len(d.Papers) > 0 {
				a.IDs = append(a.IDs, d.Papers[len(a.IDs)%len(d.Papers)].ID)
			}
			d.Papers = nil
		}
	}
	return a, size
}
