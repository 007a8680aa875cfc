package slack

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/paperbot/paperbot/formatter"
)

func TestSocketMode(t *testing.T) {
	t.Parallel()
	d := exampleDigest("2025-10-01", 3, false)
	e := newEnv(t, formatter.SlackButtons, d)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sm := NewSocketMode(e.f.Client(), e.h, nil)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- sm.Run(runCtx) }()

	// A slash command: the answer is the ack's payload.
	cmd := slack.SlashCommand{TeamID: "T1", ChannelID: "C1", UserID: "U1", Command: "/paper", Text: "2509.10002", ResponseURL: e.f.ResponseURL("sm"), TriggerID: "1.2.3"}
	id, err := e.f.SendEnvelope(ctx, "slash_commands", cmd)
	if err != nil {
		t.Fatal(err)
	}
	ack, err := e.f.WaitAck(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var m slack.Msg
	if err := json.Unmarshal(ack, &m); err != nil {
		t.Fatalf("ack payload %s: %v", ack, err)
	}
	checkMsg(t, &m)
	if !strings.Contains(string(ack), "https://arxiv.org/abs/2509.10002") || !strings.Contains(string(ack), `"paper_details"`) {
		t.Fatalf("ack is not the card: %s", ack)
	}

	// A click on its Details button: acked empty at once, answered on the
	// response_url.
	var card struct {
		Blocks json.RawMessage `json:"blocks"`
	}
	_ = json.Unmarshal(ack, &card)
	click := clickPayload(e, formatter.SlackActionDetails, formatter.SlackDetailsValue(d.Path, 2), card.Blocks, true, "5.5")
	id, err = e.f.SendEnvelope(ctx, "interactive", click)
	if err != nil {
		t.Fatal(err)
	}
	ack, err = e.f.WaitAck(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if string(ack) != "null" {
		t.Errorf("click ack payload %s, want empty", ack)
	}
	rs, err := e.f.WaitResponses(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !rs[0].Msg.ReplaceOriginal || !strings.Contains(string(rs[0].Raw), `"paper_hide"`) {
		t.Errorf("click answer %s", rs[0].Raw)
	}
	checkMsg(t, &rs[0].Msg)

	// A long digest: too big for an ack, so the ack is empty and the
	// messages come on the response_url, in order.
	long := exampleDigest("2025-10-02", 16, true)
	if err := e.store.SavePost(ctx, long, fileOf(long)); err != nil {
		t.Fatal(err)
	}
	want := len(formatter.Slack(long, formatter.SlackOptions{Details: formatter.SlackButtons}))
	id, err = e.f.SendEnvelope(ctx, "slash_commands", slack.SlashCommand{ChannelID: "C1", UserID: "U1", Command: "/digest", Text: "2025-10-02", ResponseURL: e.f.ResponseURL("sm2")})
	if err != nil {
		t.Fatal(err)
	}
	ack, err = e.f.WaitAck(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(ack) >= maxAckPayload {
		t.Errorf("ack of %d bytes", len(ack))
	}
	n := want
	if string(ack) != "null" {
		n-- // the first message fit in the ack
	}
	rs, err = e.f.WaitResponses(ctx, 1+n)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs[1:] {
		checkMsg(t, &r.Msg)
	}

	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}
