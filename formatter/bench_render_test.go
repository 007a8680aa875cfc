package formatter

import (
	"math/rand"
	"testing"
	"time"

	"github.com/paperbot/paperbot/bot"
)

// renderArchive is a generated archive of 200 posts of 16-30 papers, the
// size of most of a year of Daily Papers, parsed once outside the timers.
func renderArchive(b *testing.B) (srcs [][]byte, digests []*bot.Digest) {
	b.Helper()
	r := rand.New(rand.NewSource(1))
	p := &Parser{}
	day := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 200; i++ {
		src := genPost(r, day.AddDate(0, 0, i), 16+r.Intn(15), genOptions{Nasty: i%4 == 0})
		d, err := p.Parse(day.AddDate(0, 0, i).Format(time.DateOnly)+"-daily-papers.md", src)
		if err != nil {
			b.Fatal(err)
		}
		srcs = append(srcs, src)
		digests = append(digests, d)
	}
	return srcs, digests
}

func reportPerPost(b *testing.B, posts int) {
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(posts), "µs/post")
}

// BenchmarkFormatSlack renders each post of the archive in the default
// (container) mode; one op is the whole archive.
func BenchmarkFormatSlack(b *testing.B) {
	benchRender(b, func(d *bot.Digest) { _ = Slack(d, SlackOptions{}) })
}

// BenchmarkFormatDiscord does the same for Discord's spoiler mode.
func BenchmarkFormatDiscord(b *testing.B) {
	benchRender(b, func(d *bot.Digest) { _ = Discord(d, DiscordOptions{Details: DiscordSpoiler}) })
}

// benchRender times render over every post of the archive, reporting time
// and allocations per post.
func benchRender(b *testing.B, render func(*bot.Digest)) {
	_, ds := renderArchive(b)
	all := func() {
		for _, d := range ds {
			render(d)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	posts := 0
	for b.Loop() {
		all()
		posts += len(ds)
	}
	reportPerPost(b, posts)
	b.ReportMetric(testing.AllocsPerRun(1, all)/float64(len(ds)), "allocs/post")
}

// BenchmarkParseAndFormat is the whole path for one 16-paper post: parse,
// Slack and Discord payloads, JSON encoding. Target: under 1.5 ms.
func BenchmarkParseAndFormat(b *testing.B) {
	r := rand.New(rand.NewSource(2))
	src := genPost(r, time.Date(2025, 9, 30, 0, 0, 0, 0, time.UTC), 16, genOptions{})
	p := &Parser{}
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		d, err := p.Parse("2025-09-30-daily-papers.md", src)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := SlackJSON(Slack(d, SlackOptions{})); err != nil {
			b.Fatal(err)
		}
		if _, err := DiscordJSON(Discord(d, DiscordOptions{})); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSlackJSON encodes each post's Slack payloads (container mode)
// as preview prints them; one op is the whole archive.
func BenchmarkSlackJSON(b *testing.B) {
	_, ds := renderArchive(b)
	msgs := make([][]SlackMessage, len(ds))
	for i, d := range ds {
		msgs[i] = Slack(d, SlackOptions{})
	}
	b.ReportAllocs()
	posts := 0
	for b.Loop() {
		for _, m := range msgs {
			if _, err := SlackJSON(m); err != nil {
				b.Fatal(err)
			}
		}
		posts += len(msgs)
	}
	reportPerPost(b, posts)
}
