package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/paperbot/paperbot/bot"
)

// The archive the benchmarks load: ten thousand daily posts (27 years) of
// sixteen papers, 160,000 papers in all.
const (
	ArchivePosts  = 10000
	ArchivePapers = 16
)

// Archive is a generated archive loaded into a store.
type Archive struct {
	Posts []*bot.Digest
	// IDs of papers in published posts, spread over the archive.
	IDs []bot.ArxivID
}

// LoadArchive generates posts×papers papers (GenPosts, seed 1) and loads
// them into s in one transaction when s is a BulkSaver.
func LoadArchive(tb testing.TB, s bot.Store, posts, papers int) *Archive {
	tb.Helper()
	a := &Archive{Posts: GenPosts(posts, papers, time.Date(2000, 1, 1, 8, 15, 0, 0, time.FixedZone("KST", 9*3600)), 1)}
	Load(tb, s, a.Posts)
	for i := 0; i < len(a.Posts); i += 7 {
		if d := a.Posts[i]; !d.Draft && len(d.Papers) > 0 {
			a.IDs = append(a.IDs, d.Papers[i%len(d.Papers)].ID)
		}
	}
	return a
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

// SearchQueries are what BenchSearch runs: a common English word, two
// words, a Korean word, a Korean substring and a word nothing has (the
// full scan with nothing to rank).
var SearchQueries = []struct{ Name, Query string }{
	{"english", "quantization"},
	{"two_words", "sparse attention"},
	{"korean", "희소성"},
	{"korean_substring", "희소"},
	{"no_match", "zyzzyva"},
}

// BenchSearch measures SearchPapers(query, 5) for each of SearchQueries.
func BenchSearch(b *testing.B, s bot.Store) {
	ctx := context.Background()
	for _, q := range SearchQueries {
		b.Run(q.Name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.SearchPapers(ctx, q.Query, 5); err != nil {
					b.Fatalf("SearchPapers(%q): %v", q.Query, err)
				}
			}
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

// BenchSavePost is one tick's write: a new post of ArchivePapers papers on
// top of the archive, saved again and again.
func BenchSavePost(b *testing.B, s bot.Store) {
	d := GenPosts(1, ArchivePapers, time.Date(2030, 1, 1, 8, 0, 0, 0, time.UTC), 2)[0]
	b.ReportAllocs()
	for b.Loop() {
		if err := s.SavePost(context.Background(), d, FileOf(d)); err != nil {
			b.Fatal(err)
		}
	}
}
