package discord

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/discord/discordfake"
	"github.com/paperbot/paperbot/formatter"
)

const key = "pb-0123456789abcdef"

func TestPostThroughRateLimitsAndErrors(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	tg := newTarget(t, f, TargetConfig{Details: formatter.DiscordSpoiler})
	d := exampleDigest("2025-01-02", 16, true)
	want := formatter.Discord(d, formatter.DiscordOptions{Details: formatter.DiscordSpoiler})
	if len(want) < 2 {
		t.Fatalf("example digest should need several messages, got %d", len(want))
	}
	f.RateLimitNext(2, 20*time.Millisecond)
	f.FailNext(1, 500)
	f.FailNext(1, 503)
	f.RateLimitNext(1, 10*time.Millisecond)
	start := time.Now()
	refs, err := tg.Post(ctxT(t), d, key)
	if err != nil {
		t.Fatalf("post: %v (rejects %v)", err, f.Rejects())
	}
	if time.Since(start) < 30*time.Millisecond {
		t.Errorf("rate limits were not waited out")
	}
	got := f.Messages(testChannel)
	if len(got) != len(want) || len(refs) != len(want) {
		t.Fatalf("%d messages in channel, %d refs, want %d", len(got), len(refs), len(want))
	}
	for i := range got {
		if refs[i].ID != got[i].ID || refs[i].Channel != testChannel {
			t.Errorf("ref %d = %+v, message %s", i, refs[i], got[i].ID)
		}
		if got[i].Nonce != Nonce(key, i) {
			t.Errorf("message %d nonce %q", i, got[i].Nonce)
		}
		if len(got[i].Embeds) != len(want[i].Embeds) || got[i].Content != want[i].Content {
			t.Errorf("message %d differs from the rendering", i)
		}
		last := got[i].Embeds[len(got[i].Embeds)-1]
		if last.Footer == nil || !strings.HasSuffix(last.Footer.Text, "ref "+Nonce(key, i)) {
			t.Errorf("message %d: no ref marker in the footer", i)
		}
	}
	if n := f.Calls("POST /channels/{id}/messages"); n != len(want)+5 {
		t.Errorf("%d POST calls, want %d (messages + 5 faults)", n, len(want)+5)
	}
}

func TestLostAnswerDedupedByNonce(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	cfg := TargetConfig{Retry: Retry{Base: 5 * time.Millisecond, Max: 10 * time.Millisecond, CallTimeout: 100 * time.Millisecond}}
	tg := newTarget(t, f, cfg)
	d := exampleDigest("2025-01-02", 3, false)
	// The first call is answered after the client gave up: the message is
	// created but the answer lost; the retry carries the same nonce.
	f.SlowNext(1, 300*time.Millisecond)
	refs, err := tg.Post(ctxT(t), d, key)
	if err != nil {
		t.Fatal(err)
	}
	f.Idle() // the slow first call has had its effect too
	got := f.Messages(testChannel)
	if len(got) != 1 || len(refs) != 1 || refs[0].ID != got[0].ID {
		t.Fatalf("want one message, got %d (refs %v)", len(got), refs)
	}
}

func TestEditInPlace(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	tg := newTarget(t, f, TargetConfig{Details: formatter.DiscordSpoiler})
	d := exampleDigest("2025-01-02", 16, true)
	refs, err := tg.Post(ctxT(t), d, key)
	if err != nil {
		t.Fatal(err)
	}
	n := len(refs)
	// The edited post is shorter: fewer messages; surplus ones go.
	d2 := exampleDigest("2025-01-02", 3, false)
	d2.Papers[0].Title = "A corrected title"
	refs2, err := tg.Edit(ctxT(t), d2, key, refs)
	if err != nil {
		t.Fatal(err)
	}
	got := f.Messages(testChannel)
	if len(refs2) != 1 || len(got) != 1 || got[0].ID != refs[0].ID || refs2[0].ID != refs[0].ID {
		t.Fatalf("after a shrinking edit: refs %v, %d messages (was %d)", refs2, len(got), n)
	}
	if got[0].Edits != 1 || !strings.Contains(got[0].Embeds[0].Title, "A corrected title") {
		t.Errorf("message not edited in place: edits %d title %q", got[0].Edits, got[0].Embeds[0].Title)
	}
	// Growing again posts the missing parts.
	refs3, err := tg.Edit(ctxT(t), d, key, refs2)
	if err != nil {
		t.Fatal(err)
	}
	if len(refs3) != n || refs3[0].ID != refs[0].ID || len(f.Messages(testChannel)) != n {
		t.Fatalf("after a growing edit: %d refs, %d messages, want %d", len(refs3), len(f.Messages(testChannel)), n)
	}
	// A message deleted meanwhile is posted anew.
	if err := tg.deleteOne(ctxT(t), refs3[1]); err != nil {
		t.Fatal(err)
	}
	refs4, err := tg.Edit(ctxT(t), d, key, refs3)
	if err != nil || len(refs4) != n || refs4[1] == refs3[1] || len(f.Messages(testChannel)) != n {
		t.Fatalf("edit over a deleted message: %v %v", refs4, err)
	}
}

func TestRecoverAfterCrash(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	tg := newTarget(t, f, TargetConfig{Details: formatter.DiscordSpoiler})
	d := exampleDigest("2025-01-02", 16, true)
	all := formatter.Discord(d, formatter.DiscordOptions{Details: formatter.DiscordSpoiler})
	refs := crashAfter(t, tg, d, key, 2)
	// Another digest's messages and a human's are in the channel too.
	other := newTarget(t, f, TargetConfig{Name: "other"})
	if _, err := other.Post(ctxT(t), exampleDigest("2025-01-03", 1, false), "pb-ffffffffffffffff"); err != nil {
		t.Fatal(err)
	}
	// Past the nonce window only the footer marker tells.
	f.ExpireNonces()
	found, err := tg.Recover(ctxT(t), key)
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 2 || found[0] != refs[0] || found[1] != refs[1] {
		t.Fatalf("recover = %v, want %v", found, refs[:2])
	}
	// The engine then completes the delivery with Edit: no duplicates.
	done, err := tg.Edit(ctxT(t), d, key, found)
	if err != nil {
		t.Fatal(err)
	}
	if len(done) != len(all) || len(f.Messages(testChannel)) != len(all)+1 {
		t.Fatalf("after completing: %d refs, %d messages; want %d + 1 other", len(done), len(f.Messages(testChannel)), len(all))
	}
	if none, err := tg.Recover(ctxT(t), "pb-aaaaaaaaaaaaaaaa"); err != nil || none != nil {
		t.Errorf("recover of an unknown key = %v, %v", none, err)
	}
}

func TestPermanentErrorsNotRetried(t *testing.T) {
	t.Parallel()
	d := exampleDigest("2025-01-02", 1, false)
	cases := []struct {
		name   string
		setup  func(f interface{ FailNext(int, int) }) (token, channel string)
		status int
		code   int
	}{
		{"bad token", func(interface{ FailNext(int, int) }) (string, string) { return "wrong", testChannel }, 401, 0},
		{"unknown channel", func(interface{ FailNext(int, int) }) (string, string) { return testToken, "999" }, 404, codeUnknownChannel},
		{"forbidden", func(f interface{ FailNext(int, int) }) (string, string) {
			f.FailNext(1, 403)
			return testToken, testChannel
		}, 403, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t)
			token, ch := c.setup(f)
			s, err := NewSession(token, f.URL)
			if err != nil {
				t.Fatal(err)
			}
			tg, err := NewTarget(s, TargetConfig{Name: "x", Channel: ch, Retry: fastRetry}, nil)
			if err != nil {
				t.Fatal(err)
			}
			refs, err := tg.Post(ctxT(t), d, key)
			if err == nil || len(refs) != 0 {
				t.Fatalf("want an error, got %v %v", refs, err)
			}
			var de *DiscordError
			if !errors.As(err, &de) || de.Status != c.status || de.Code != c.code {
				t.Fatalf("error %v (%#v), want status %d code %d", err, de, c.status, c.code)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("error leaks the token: %v", err)
			}
			if n := f.Calls("POST /channels/{id}/messages"); n != 1 {
				t.Errorf("%d calls, want 1 (no retry)", n)
			}
		})
	}
}

func TestInvalidFormBodyNotRetried(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	tg := newTarget(t, f, TargetConfig{Details: formatter.DiscordSpoiler})
	m := &discordgo.MessageSend{Content: strings.Repeat("x", 2001)}
	_, err := tg.postOne(ctxT(t), m, Nonce(key, 0))
	if CodeOf(err) != codeInvalidFormBody || StatusOf(err) != 400 {
		t.Fatalf("want 400/50035, got %v", err)
	}
	if n := f.Calls("POST /channels/{id}/messages"); n != 1 {
		t.Errorf("%d calls, want 1", n)
	}
}

func TestPartialRefsOnFailure(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	m := &counted{}
	tg := newTarget(t, f, TargetConfig{Details: formatter.DiscordSpoiler, Metrics: m})
	d := exampleDigest("2025-01-02", 16, true)
	// The second message is refused for good (403 Missing Access).
	f.PassNext(1)
	f.FailNext(1, 403)
	got, err := tg.Post(ctxT(t), d, key)
	if err == nil || len(got) != 1 || len(m.errors) != 1 || m.errors[0] != "403" || StatusOf(err) != 403 {
		t.Fatalf("want one ref and a 403, got %v, %v (errors counted %v)", got, err, m.errors)
	}
	if len(f.Messages(testChannel)) != 1 || got[0].ID != f.Messages(testChannel)[0].ID {
		t.Errorf("the ref does not name the message sent")
	}
}

func TestWebhookTarget(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	url := f.AddWebhook("300000000000000001", "sekret-token", testChannel)
	tg := newTarget(t, f, TargetConfig{Name: "hook", WebhookURL: url})
	d := exampleDigest("2025-01-02", 16, true)
	refs, err := tg.Post(ctxT(t), d, key)
	if err != nil {
		t.Fatalf("post: %v (%v)", err, f.Rejects())
	}
	got := f.Messages(testChannel)
	if len(got) == 0 || len(got) != len(refs) || got[0].WebhookID != "300000000000000001" || got[0].Nonce != "" {
		t.Fatalf("webhook post: %d refs, messages %+v", len(refs), len(got))
	}
	if n := f.Calls("POST /webhooks/{id}/{id}"); n != len(got) {
		t.Errorf("%d webhook executions, want %d", n, len(got))
	}
	if r, err := tg.Recover(ctxT(t), key); r != nil || err != nil {
		t.Errorf("webhook recover = %v, %v; want nil, nil", r, err)
	}
	d2 := exampleDigest("2025-01-02", 2, false)
	refs2, err := tg.Edit(ctxT(t), d2, key, refs)
	if err != nil || len(refs2) != 1 || refs2[0].ID != refs[0].ID || len(f.Messages(testChannel)) != 1 {
		t.Fatalf("webhook edit: %v %v, %d messages", refs2, err, len(f.Messages(testChannel)))
	}
	// A wrong token: 401 Invalid Webhook Token, and the token is not in the error.
	bad := newTarget(t, f, TargetConfig{Name: "bad", WebhookURL: f.URL + "/api/webhooks/300000000000000001/other-sekret"})
	_, err = bad.Post(ctxT(t), d2, key)
	if CodeOf(err) != codeBadWebhookToken || StatusOf(err) != 401 || strings.Contains(err.Error(), "other-sekret") {
		t.Errorf("bad webhook: %v", err)
	}
}

// TestWebhookTargetButtonsSendsSpoilers: a webhook target configured (or
// defaulted) to buttons mode sends spoilers, since webhooks made in
// Discord's UI drop components and the sections would be out of reach; a
// channel target in the same mode sends the compact digest with buttons.
func TestWebhookTargetButtonsSendsSpoilers(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	url := f.AddWebhook("300000000000000002", "sekret-token", testChannel)
	d := exampleDigest("2025-01-02", 3, false)
	for _, mode := range []formatter.DiscordDetails{"", formatter.DiscordButtons} {
		f := newFake(t)
		url = f.AddWebhook("300000000000000002", "sekret-token", testChannel)
		tg := newTarget(t, f, TargetConfig{Name: "hook", WebhookURL: url, Details: mode})
		if _, err := tg.Post(ctxT(t), d, key); err != nil {
			t.Fatalf("%q: post: %v (%v)", mode, err, f.Rejects())
		}
		got := f.Messages(testChannel)
		if len(got) == 0 {
			t.Fatalf("%q: nothing sent", mode)
		}
		fields, spoilers := 0, 0
		for _, m := range got {
			if len(m.Components) != 0 {
				t.Errorf("%q: webhook message kept components", mode)
			}
			for _, e := range m.Embeds {
				for _, fl := range e.Fields {
					fields++
					if strings.HasPrefix(fl.Value, "||") && strings.HasSuffix(fl.Value, "||") {
						spoilers++
					}
				}
			}
		}
		// 3 papers x 4 sections, every one in a spoiler.
		if fields != 12 || spoilers != fields {
			t.Errorf("%q: %d fields, %d in spoilers; want 12 and 12", mode, fields, spoilers)
		}
	}
	ch := newTarget(t, f, TargetConfig{Name: "lab", Details: formatter.DiscordButtons})
	if _, err := ch.Post(ctxT(t), d, key); err != nil {
		t.Fatal(err)
	}
	msgs := f.Messages(testChannel)
	if last := msgs[len(msgs)-1]; len(last.Components) == 0 || strings.Contains(discordAllFields(last), "||") {
		t.Errorf("channel target in buttons mode: components %d", len(last.Components))
	}
}

func discordAllFields(m discordfake.Message) string {
	var b strings.Builder
	for _, e := range m.Embeds {
		for _, fl := range e.Fields {
			b.WriteString(fl.Value)
		}
	}
	return b.String()
}

func TestParseWebhookURL(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in      string
		id, tok string
		ok      bool
	}{
		{"https://discord.com/api/webhooks/123/abc", "123", "abc", true},
		{"https://discord.com/api/v10/webhooks/123/abc-DEF_9", "123", "abc-DEF_9", true},
		{"https://discord.com/api/webhooks/123", "", "", false},
		{"https://discord.com/api/webhooks/x/abc", "", "", false},
		{"ftp://discord.com/api/webhooks/1/abc", "", "", false},
		{"", "", "", false},
	} {
		id, tok, err := ParseWebhookURL(c.in)
		if (err == nil) != c.ok || id != c.id || tok != c.tok {
			t.Errorf("ParseWebhookURL(%q) = %q %q %v", c.in, id, tok, err)
		}
		if err != nil && strings.Contains(err.Error(), "abc") {
			t.Errorf("error quotes the token: %v", err)
		}
	}
}

func TestNonceLength(t *testing.T) {
	t.Parallel()
	if n := Nonce(key, 12); n != key+"-12" || len(n) > MaxNonce {
		t.Errorf("Nonce = %q", n)
	}
	long := strings.Repeat("k", 40)
	if n := Nonce(long, 3); len(n) > MaxNonce || n == Nonce(long+"x", 3) {
		t.Errorf("long key nonce %q", n)
	}
}

func TestMatch(t *testing.T) {
	t.Parallel()
	d := exampleDigest("2025-01-02", 2, false)
	d.Tags = []string{"LLM"}
	for _, c := range []struct {
		tags, kw []string
		want     bool
	}{
		{nil, nil, true},
		{[]string{"llm"}, nil, true},
		{[]string{"vision"}, nil, false},
		{nil, []string{"SPARSE"}, true},
		{nil, []string{"robotics"}, false},
		{[]string{"llm"}, []string{"robotics"}, false},
	} {
		tg := &Target{cfg: TargetConfig{Tags: c.tags, Keywords: c.kw}}
		if got := tg.Match(d); got != c.want {
			t.Errorf("Match(tags %v, keywords %v) = %v", c.tags, c.kw, got)
		}
	}
}

// TestRecoverErrorNamesPhaseOnce: the engine records a failed Recover as
// "recover: "+err, so the target's error must not name the phase again (the
// status page showed "recover: recover: list messages: ...").
func TestRecoverErrorNamesPhaseOnce(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	tg := newTarget(t, f, TargetConfig{})
	f.FailNext(100, 500)
	ctx, cancel := context.WithTimeout(ctxT(t), 300*time.Millisecond)
	defer cancel()
	_, err := tg.Recover(ctx, key)
	if err == nil {
		t.Fatal("Recover against a server answering 500 succeeded")
	}
	if got := bot.RecoverError(err); strings.Count(got, "recover") != 1 {
		t.Errorf("recorded error names the phase more than once: %q", got)
	}
}
