package formatter

import (
	"math/rand"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"
)

// benchArchive is 1,000 generated posts of 16-30 papers, built once.
var benchArchive = sync.OnceValues(func() ([][]byte, int64) {
	r := rand.New(rand.NewSource(20251001))
	start := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	posts := make([][]byte, 1000)
	var total int64
	for i := range posts {
		posts[i] = genPost(r, start.AddDate(0, 0, i), 16+r.Intn(15), genOptions{Nasty: i%10 == 0})
		total += int64(len(posts[i]))
	}
	return posts, total
})

// BenchmarkParse parses a generated archive of 1,000 posts; one op is one
// post. It reports ns/post and allocs/post next to MB/s.
func BenchmarkParse(b *testing.B) {
	posts, total := benchArchive()
	b.SetBytes(total / int64(len(posts)))
	b.ReportAllocs()
	p := &Parser{Location: time.UTC}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := p.Parse("2025-10-01-bench.md", posts[i%len(posts)]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/post")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N), "allocs/post")
}

// BenchmarkParseFixture parses the real 16-paper post.
func BenchmarkParseFixture(b *testing.B) {
	src, err := os.ReadFile(fixturePath(b))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	p := &Parser{}
	for i := 0; i < b.N; i++ {
		if _, err := p.Parse("2025-09-30-daily-papers.md", src); err != nil {
			b.Fatal(err)
		}
	}
}
