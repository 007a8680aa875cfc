package slack

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/slack/slackfake"
	"github.com/paperbot/paperbot/formatter"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// checkDelivered asserts the channel shows exactly msgs' worth of messages
// with key metadata, in part order, matching refs.
func checkDelivered(t *testing.T, f *slackfake.Server, refs []bot.MessageRef, want int, key string) {
	t.Helper()
	got := f.Messages("C1")
	if len(got) != want || len(refs) != want {
		t.Fatalf("channel has %d messages, refs %d, want %d", len(got), len(refs), want)
	}
	for i, m := range got {
		if m.TS != refs[i].ID {
			t.Errorf("message %d ts %s, ref %s", i, m.TS, refs[i].ID)
		}
		if m.Metadata == nil || m.Metadata.EventType != MetadataEventType || m.Metadata.EventPayload["key"] != key || m.Metadata.EventPayload["part"] != float64(i) {
			t.Errorf("message %d metadata %+v", i, m.Metadata)
		}
	}
}

func TestPostOnceThrough429And500(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	m := &counted{}
	tg := newTarget(f, formatter.SlackContainer, m)
	d := exampleDigest("2025-10-01", 16, true)
	want := len(formatter.Slack(d, formatter.SlackOptions{}))
	if want < 2 {
		t.Fatalf("example digest renders %d messages; want several for this test", want)
	}
	f.RateLimitNext("chat.postMessage", 2, 0)
	f.ServerErrorNext("chat.postMessage", 2, http.StatusInternalServerError)
	f.ServerErrorNext("", 1, http.StatusServiceUnavailable)

	refs, err := tg.Post(ctxT(t), d, "key-1")
	if err != nil {
		t.Fatalf("Post: %v", err)
	}
	checkDelivered(t, f, refs, want, "key-1")
	if m.retries["ratelimited"] != 2 || m.retries["transient"] != 3 {
		t.Errorf("retries = %v, want 2 ratelimited and 3 transient", m.retries)
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	tg := newTarget(f, formatter.SlackContainer, nil)
	f.RateLimitNext("chat.postMessage", 1, 1)
	start := time.Now()
	refs, err := tg.Post(ctxT(t), exampleDigest("2025-10-01", 2, false), "k")
	if err != nil {
		t.Fatalf("Post: %v", err)
	}
	if el := time.Since(start); el < 900*time.Millisecond {
		t.Errorf("Post took %v; Retry-After: 1 not honoured", el)
	}
	checkDelivered(t, f, refs, 1, "k")
}

// A 500 that Slack answers after taking the message must not double it:
// the retry finds the part in the history first.
func TestAmbiguousFailureNotDoubled(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	tg := newTarget(f, formatter.SlackContainer, nil)
	d := exampleDigest("2025-10-01", 1, false)
	// Simulate "posted but the answer got lost": post part 0 directly with
	// the right metadata, then let the target's first call time out.
	slow := make(chan struct{})
	f.FailNext(1, slackfake.Fault{Method: "chat.postMessage", Delay: 3 * time.Second, Taken: slow})
	tg.cfg.Retry.CallTimeout = 200 * time.Millisecond
	pre := NewTarget(f.Client(), TargetConfig{Name: "x", Channel: "C1", Pace: -1, Retry: fastRetry}, nil)
	done := make(chan error, 1)
	var refs []bot.MessageRef
	go func() {
		var err error
		refs, err = tg.Post(ctxT(t), d, "amb")
		done <- err
	}()
	<-slow // the target's first call is under way: the part goes in behind its back
	if _, err := pre.Post(ctxT(t), d, "amb"); err != nil {
		t.Fatalf("pre-post: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Post: %v", err)
	}
	checkDelivered(t, f, refs, 1, "amb")
}

func TestEditInPlace(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	tg := newTarget(f, formatter.SlackContainer, nil)
	ctx := ctxT(t)
	d := exampleDigest("2025-10-01", 16, true)
	refs, err := tg.Post(ctx, d, "k")
	if err != nil {
		t.Fatalf("Post: %v", err)
	}
	n := len(refs)
	// Same shape, new words: every message updated in place.
	d2 := exampleDigest("2025-10-01", 16, true)
	d2.Papers[0].Title = "A corrected title"
	f.RateLimitNext("chat.update", 1, 0)
	refs2, err := tg.Edit(ctx, d2, "k", refs)
	if err != nil {
		t.Fatalf("Edit: %v", err)
	}
	if len(refs2) != n {
		t.Fatalf("Edit returned %d refs, want %d", len(refs2), n)
	}
	msgs := f.Messages("C1")
	for i := range refs2 {
		if refs2[i] != refs[i] || msgs[i].TS != refs[i].ID {
			t.Errorf("message %d moved: %v -> %v", i, refs[i], refs2[i])
		}
		if msgs[i].Updates != 1 {
			t.Errorf("message %d updated %d times", i, msgs[i].Updates)
		}
	}
	if !strings.Contains(string(msgs[0].Blocks), "A corrected title") {
		t.Errorf("first message does not show the edit")
	}
	checkDelivered(t, f, refs2, n, "k")
	if got := len(f.Calls("chat.postMessage")); got != n {
		t.Errorf("chat.postMessage called %d times, want %d (no reposts)", got, n)
	}

	// Shrink: the surplus is deleted; grow again: the missing are posted.
	small := exampleDigest("2025-10-01", 2, false)
	refs3, err := tg.Edit(ctx, small, "k", refs2)
	if err != nil {
		t.Fatalf("Edit shrink: %v", err)
	}
	if len(refs3) != 1 || refs3[0] != refs[0] {
		t.Fatalf("shrink refs %v", refs3)
	}
	checkDelivered(t, f, refs3, 1, "k")
	refs4, err := tg.Edit(ctx, d, "k", refs3)
	if err != nil {
		t.Fatalf("Edit grow: %v", err)
	}
	checkDelivered(t, f, refs4, n, "k")
}

func TestRecoverAfterCrash(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	ctx := ctxT(t)
	d := exampleDigest("2025-10-01", 16, true)
	msgs := formatter.Slack(d, formatter.SlackOptions{})
	n := len(msgs)
	// Unrelated traffic in the channel, before and after.
	other := newTarget(f, formatter.SlackContainer, nil)
	if _, err := other.Post(ctx, exampleDigest("2025-09-29", 1, false), "other-key"); err != nil {
		t.Fatal(err)
	}
	// The "crash": two of the digest's messages went out, then the process
	// died before it could record their ids.
	crashed := newTarget(f, formatter.SlackContainer, nil)
	first, err := crashed.postFrom(ctx, msgs[:2], "k", 0, nil)
	if err != nil || len(first) != 2 {
		t.Fatalf("partial post: %v %v", first, err)
	}
	if _, err := other.Post(ctx, exampleDigest("2025-09-28", 1, false), "other-key-2"); err != nil {
		t.Fatal(err)
	}

	// A new process: nothing for an unknown key, the two parts for k.
	tg := newTarget(f, formatter.SlackContainer, nil)
	if refs, err := tg.Recover(ctx, "nope"); err != nil || refs != nil {
		t.Fatalf("Recover(nope) = %v, %v", refs, err)
	}
	got, err := tg.Recover(ctx, "k")
	if err != nil {
		t.Fatalf("Recover: %v", err)
	}
	if len(got) != 2 || got[0] != first[0] || got[1] != first[1] {
		t.Fatalf("Recover = %v, want %v", got, first)
	}
	// Edit completes the rest; nothing is sent twice.
	all, err := tg.Edit(ctx, d, "k", got)
	if err != nil {
		t.Fatalf("Edit after recover: %v", err)
	}
	if len(all) != n {
		t.Fatalf("after recovery %d refs, want %d", len(all), n)
	}
	var mine []slackfake.Message
	for _, m := range f.Messages("C1") {
		if m.Metadata != nil && m.Metadata.EventPayload["key"] == "k" {
			mine = append(mine, m)
		}
	}
	if len(mine) != n {
		t.Fatalf("channel holds %d messages of k, want %d", len(mine), n)
	}
	for i, m := range mine {
		if m.TS != all[i].ID || m.Metadata.EventPayload["part"] != float64(i) {
			t.Errorf("part %d: ts %s ref %s metadata %v", i, m.TS, all[i].ID, m.Metadata.EventPayload)
		}
	}
}

func TestThreadDetails(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	tg := newTarget(f, formatter.SlackThread, nil)
	ctx := ctxT(t)
	d := exampleDigest("2025-10-01", 3, false)
	msgs := formatter.Slack(d, formatter.SlackOptions{Details: formatter.SlackThread})
	refs, err := tg.Post(ctx, d, "kt")
	if err != nil {
		t.Fatalf("Post: %v", err)
	}
	parent := ""
	for i, m := range msgs {
		if m.ThreadReply {
			if refs[i].Thread != parent || parent == "" {
				t.Errorf("reply %d thread %q, want %q", i, refs[i].Thread, parent)
			}
		} else {
			parent = refs[i].ID
		}
	}
	got, err := newTarget(f, formatter.SlackThread, nil).Recover(ctx, "kt")
	if err != nil {
		t.Fatalf("Recover: %v", err)
	}
	if len(got) != len(refs) {
		t.Fatalf("Recover found %d of %d (thread replies included)", len(got), len(refs))
	}
	for i := range got {
		if got[i] != refs[i] {
			t.Errorf("recovered %d = %v, want %v", i, got[i], refs[i])
		}
	}
	if _, err := tg.Edit(ctx, d, "kt", refs); err != nil {
		t.Fatalf("Edit: %v", err)
	}
	for _, m := range f.AllMessages() {
		if m.Deleted {
			t.Errorf("edit deleted %s", m.TS)
		}
	}
}

func TestPermanentErrorsNotRetried(t *testing.T) {
	t.Parallel()
	for _, code := range []string{"invalid_auth", "channel_not_found", "not_in_channel", "is_archived", "msg_too_long", "invalid_blocks"} {
		t.Run(code, func(t *testing.T) {
			f := newFake(t)
			m := &counted{}
			tg := newTarget(f, formatter.SlackContainer, m)
			if code == "invalid_auth" {
				f.Token = "xoxb-other"
			} else {
				f.SetChannelError("C1", code)
			}
			refs, err := tg.Post(ctxT(t), exampleDigest("2025-10-01", 2, false), "k")
			if err == nil {
				t.Fatal("Post succeeded")
			}
			if len(refs) != 0 {
				t.Errorf("refs %v", refs)
			}
			var se *SlackError
			if !errors.As(err, &se) || se.Code != code {
				t.Fatalf("error %v is not a SlackError %s", err, code)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Error("error leaks the token")
			}
			if n := len(f.Calls("chat.postMessage")); n != 1 {
				t.Errorf("chat.postMessage called %d times, want 1", n)
			}
			if len(m.errors) != 1 || m.errors[0] != code {
				t.Errorf("metrics %v", m.errors)
			}
		})
	}
}

func TestPartialRefsOnError(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	tg := newTarget(f, formatter.SlackContainer, nil)
	d := exampleDigest("2025-10-01", 16, true)
	f.FailNext(1, slackfake.Fault{Method: "chat.postMessage", Error: "fatal_error"}) // transient
	msgs := formatter.Slack(d, formatter.SlackOptions{})
	// Let two through, then fail for good.
	ctx := ctxT(t)
	refs, err := tg.postFrom(ctx, msgs[:2], "k", 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.SetChannelError("C1", "is_archived")
	out, err := tg.postFrom(ctx, msgs, "k", 2, refs)
	if err == nil || len(out) != 2 {
		t.Fatalf("got %d refs, err %v; want 2 and an error", len(out), err)
	}
}

func TestContextEndsRetries(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	tg := newTarget(f, formatter.SlackContainer, nil)
	f.ServerErrorNext("", 1000, http.StatusBadGateway)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	_, err := tg.Post(ctx, exampleDigest("2025-10-01", 1, false), "k")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
}

func TestPace(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	tg := NewTarget(f.Client(), TargetConfig{Name: "p", Channel: "CPACE", Pace: 100 * time.Millisecond, Retry: fastRetry}, nil)
	start := time.Now()
	for i := 0; i < 3; i++ {
		if _, err := tg.Post(ctxT(t), exampleDigest("2025-10-01", 1, false), "k"); err != nil {
			t.Fatal(err)
		}
	}
	if el := time.Since(start); el < 200*time.Millisecond {
		t.Errorf("3 messages took %v; pacing at 100ms needs >= 200ms", el)
	}
}

// Targets that share a Pacer keep the gap between each other's messages
// to one channel; a target with a pacer of its own does not wait for them.
// The gap is an hour, so "waits" shows as a context deadline, not a time.
func TestPacerShared(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	shared := NewPacer()
	cfg := func(name string, p *Pacer) TargetConfig {
		return TargetConfig{Name: name, Channel: "CPACE", Pace: time.Hour, Pacer: p, Retry: fastRetry}
	}
	a := NewTarget(f.Client(), cfg("a", shared), nil)
	b := NewTarget(f.Client(), cfg("b", shared), nil)
	alone := NewTarget(f.Client(), cfg("c", nil), nil)
	d := exampleDigest("2025-10-01", 1, false)
	if _, err := a.Post(ctxT(t), d, "k-a"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := b.Post(ctx, d, "k-b"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("second target of a shared pacer: err = %v, want it waiting past its deadline", err)
	}
	if _, err := alone.Post(ctxT(t), d, "k-c"); err != nil {
		t.Errorf("target with its own pacer: %v", err)
	}
	if n := len(f.Messages("CPACE")); n != 2 {
		t.Errorf("%d messages in the channel, want 2 (a and c)", n)
	}
}

func TestMatch(t *testing.T) {
	t.Parallel()
	d := exampleDigest("2025-10-01", 2, false)
	d.Tags = []string{"LLM", "vision"}
	for _, tc := range []struct {
		tags, kw []string
		want     bool
	}{
		{nil, nil, true},
		{[]string{"llm"}, nil, true},
		{[]string{"audio"}, nil, false},
		{nil, []string{"SPARSE attention"}, true},
		{nil, []string{"diffusion"}, false},
		{[]string{"vision"}, []string{"diffusion", "faster"}, true},
		{[]string{"audio"}, []string{"faster"}, false},
	} {
		tg := NewTarget(nil, TargetConfig{Tags: tc.tags, Keywords: tc.kw}, nil)
		if got := tg.Match(d); got != tc.want {
			t.Errorf("Match(tags %v, keywords %v) = %v", tc.tags, tc.kw, got)
		}
	}
}

// TestRecoverErrorNamesPhaseOnce: the engine records a failed Recover as
// bot.RecoverError(err), so the target's error must not name the phase
// again.
func TestRecoverErrorNamesPhaseOnce(t *testing.T) {
	t.Parallel()
	f := slackfake.New(testToken)
	defer f.Close()
	f.ServerErrorNext("", 100, 500)
	ctx, cancel := context.WithTimeout(ctxT(t), 300*time.Millisecond)
	defer cancel()
	_, err := newTarget(f, formatter.SlackButtons, nil).Recover(ctx, "k")
	if err == nil {
		t.Fatal("Recover against a server answering 500 succeeded")
	}
	if got := bot.RecoverError(err); strings.Count(got, "recover") != 1 {
		t.Errorf("recorded error names the phase more than once: %q", got)
	}
}
