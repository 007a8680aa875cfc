package discord

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/discord/discordfake"
)

func TestGatewayAnswersInteractions(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	sess := newSession(t, f)
	st := newStore(t, exampleDigest("2025-01-02", 3, false))
	g := NewGateway(sess, InteractionsConfig{Commands: &bot.Commands{Store: st}}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	select {
	case <-f.GatewayReady():
	case err := <-done:
		t.Fatalf("gateway run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("gateway never identified")
	}
	var id struct {
		Token string `json:"token"`
	}
	_ = json.Unmarshal(f.Identify(), &id)
	if id.Token != "Bot "+testToken {
		t.Errorf("identify token %q", id.Token)
	}
	in := command("paper", "query", "2509.10002")
	in["id"], in["token"] = "555", "itok"
	if n := f.Dispatch(in); n != 1 {
		t.Fatalf("dispatched to %d clients", n)
	}
	deadline := time.Now().Add(10 * time.Second)
	var cbs []discordfake.Callback
	for time.Now().Before(deadline) {
		cbs = f.Callbacks()
		if len(cbs) > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(cbs) != 1 || cbs[0].InteractionID != "555" || cbs[0].Token != "itok" {
		t.Fatalf("callbacks %+v", cbs)
	}
	var resp struct {
		Type discordgo.InteractionResponseType `json:"type"`
		Data struct {
			Embeds []*discordgo.MessageEmbed `json:"embeds"`
			Flags  int                       `json:"flags"`
		} `json:"data"`
	}
	if err := json.Unmarshal(cbs[0].Body, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Type != 4 || resp.Data.Flags != 64 || len(resp.Data.Embeds) == 0 || !strings.Contains(resp.Data.Embeds[0].Footer.Text, "2509.10002") {
		t.Errorf("gateway answer %s", cbs[0].Body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
}

func TestGatewayBadToken(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	sess, err := NewSession("wrong", f.URL)
	if err != nil {
		t.Fatal(err)
	}
	g := NewGateway(sess, InteractionsConfig{}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := g.Run(ctx); err == nil {
		t.Fatal("want an error for a bad token")
	}
}
