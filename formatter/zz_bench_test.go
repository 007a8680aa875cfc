package formatter

import (
	"bytes"
	"encoding/json"
	"github.com/yuin/goldmark"
	"math/rand"
	"testing"
	"time"
)

func BenchmarkZZParts(b *testing.B) {
	r := rand.New(rand.NewSource(2))
	src := genPost(r, time.Date(2025, 9, 30, 0, 0, 0, 0, time.UTC), 16, genOptions{})
	p := &Parser{}
	d, _ := p.Parse("2025-09-30-daily-papers.md", src)
	b.Run("parse", func(b *testing.B) {
		for b.Loop() {
			p.Parse("2025-09-30-daily-papers.md", src)
		}
	})
	b.Run("slack", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			Slack(d, SlackOptions{})
		}
	})
	b.Run("discord", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			Discord(d, DiscordOptions{})
		}
	})
	sm := Slack(d, SlackOptions{})
	dm := Discord(d, DiscordOptions{})
	b.Run("slackjson", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			SlackJSON(sm)
		}
	})
	b.Run("discordjson", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			DiscordJSON(dm)
		}
	})
	b.Run("text", func(b *testing.B) {
		for b.Loop() {
			Text(d)
		}
	})
}

func BenchmarkZZBaseline(b *testing.B) {
	r := rand.New(rand.NewSource(2))
	src := genPost(r, time.Date(2025, 9, 30, 0, 0, 0, 0, time.UTC), 16, genOptions{})
	p := &Parser{}
	d, _ := p.Parse("2025-09-30-daily-papers.md", src)
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		goldmark.Convert(src, &buf)
		json.Marshal(d)
	}
}
