package discord

import (
	"log/slog"
	"testing"
	"time"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/formatter"
)

// TestEngineExactlyOnce runs the engine's delivery against the fake: a
// send refused halfway, then a crash after part of a send, each completed
// at the next attempt without a duplicate message.
func TestEngineExactlyOnce(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	tg := newTarget(t, f, TargetConfig{Details: formatter.DiscordSpoiler})
	d := exampleDigest("2025-01-02", 16, true)
	n := len(formatter.Discord(d, formatter.DiscordOptions{Details: formatter.DiscordSpoiler}))
	st := newStore(t, d)
	e := &bot.Engine{Store: st, Targets: []bot.Target{tg}, Holder: "test", Logger: quiet, Now: func() time.Time { return d.Date.Add(time.Hour) }}

	// 1. The third message is refused (400: permanent, the post fails
	// alone): the record keeps the two sent.
	f.PassNext(2)
	f.FailNext(1, 400)
	if _, err := e.Send(ctxT(t), "2025-01-02", "", false); err == nil {
		t.Fatal("want the refused send to fail")
	}
	rec, err := st.Delivery(ctxT(t), d.Path, "lab")
	if err != nil || rec.State != bot.DeliveryFailed || len(rec.Refs) != 2 {
		t.Fatalf("record after the failure: %+v %v", rec, err)
	}
	// 2. The retry recovers the two and sends the rest.
	if _, err := e.Send(ctxT(t), "2025-01-02", "", false); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if got := len(f.Messages(testChannel)); got != n {
		t.Fatalf("%d messages in the channel, want %d", got, n)
	}

	// 3. A crash: a record left "sending" with no refs while three parts
	// of another post went out, long ago (nonces expired).
	d2 := exampleDigest("2025-01-05", 16, true)
	if err := st.SavePost(ctxT(t), d2, bot.FileState{Path: d2.Path, Size: 1, ModTime: d2.Date, Hash: d2.Hash}); err != nil {
		t.Fatal(err)
	}
	key := bot.DeliveryKey("lab", d2.Path)
	refs := crashAfter(t, tg, d2, key, 3)
	f.ExpireNonces()
	if err := st.PutDelivery(ctxT(t), &bot.Delivery{Post: d2.Path, Target: "lab", Key: key, State: bot.DeliverySending, Hash: d2.Hash, Attempts: 1}); err != nil {
		t.Fatal(err)
	}
	e2 := &bot.Engine{Store: st, Targets: []bot.Target{tg}, Holder: "test", Logger: quiet, Now: func() time.Time { return d2.Date.Add(time.Hour) }}
	if _, err := e2.Send(ctxT(t), "2025-01-05", "", false); err != nil {
		t.Fatalf("send after the crash: %v", err)
	}
	if got := len(f.Messages(testChannel)); got != 2*n {
		t.Fatalf("%d messages after recovery, want %d (no duplicates)", got, 2*n)
	}
	rec, _ = st.Delivery(ctxT(t), d2.Path, "lab")
	if rec.State != bot.DeliverySent || len(rec.Refs) != n || rec.Refs[0] != refs[0] {
		t.Fatalf("record after recovery: %+v", rec)
	}
}

var quiet = slog.New(slog.DiscardHandler)
