package discord

import (
	"context"
	"strconv"
	"testing"

	"github.com/paperbot/paperbot/formatter"
)

// BenchmarkPost measures one 16-paper digest delivered to the fake
// (rendering, marking, JSON, HTTP round trips).
func BenchmarkPost(b *testing.B) {
	f := newFake(b)
	tg := newTarget(b, f, TargetConfig{})
	d := exampleDigest("2025-01-02", 16, false)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := tg.Post(context.Background(), d, "pb-"+strconv.Itoa(i)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInteractionPaper measures a signed /paper request end to end.
func BenchmarkInteractionPaper(b *testing.B) {
	s := newSigner(b)
	h := newHandler(s, newStore(b, exampleDigest("2025-01-02", 16, false)), formatter.DiscordSpoiler)
	b.ReportAllocs()
	for b.Loop() {
		do(b, h, s, command("paper", "query", "2509.10003"))
	}
}
