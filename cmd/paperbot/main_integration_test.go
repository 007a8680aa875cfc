package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paperbot/paperbot/bot/backoff"
	"github.com/paperbot/paperbot/bot/bottest"
	"github.com/paperbot/paperbot/bot/discord/discordfake"
	"github.com/paperbot/paperbot/bot/slack"
	"github.com/paperbot/paperbot/bot/slack/slackfake"
	"github.com/paperbot/paperbot/cmd/paperbot/internal/chattest"
	"github.com/paperbot/paperbot/config"
)

// syncBuffer is written by the bot and read by the test.
type syncBuffer = bottest.Buffer

// chatConfig is the config the whole-bot tests share: the posts in posts,
// SQLite and data_dir under dir, every post counting as new (the examples
// are from 2025), ticks only when triggered, HTTP on a free loopback port,
// a Slack target "team" (channel C0TEAM) when slackURL is set and a
// Discord target "lab" (channel 111) when discordURL is set. Tests change
// what they need, then Validate.
func chatConfig(dir, posts, slackURL, discordURL string) *config.Config {
	cfg := config.Default()
	cfg.Posts.Dir = posts
	cfg.Store = "sqlite://" + filepath.Join(dir, "paperbot.db")
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.CatchUp = 100 * 365 * 24 * time.Hour
	cfg.Schedule = "0 0 1 1 *" // ticks come from Trigger
	cfg.HTTP.Listen = "127.0.0.1:0"
	if slackURL != "" {
		cfg.Slack.BotToken = "xoxb-test"
		cfg.Slack.SigningSecret = "test-signing-secret"
		cfg.Slack.APIURL = slackURL
		cfg.Slack.Targets = []config.SlackTarget{{Name: "team", Channel: "C0TEAM"}}
	}
	if discordURL != "" {
		cfg.Discord.BotToken = "discord-test-token"
		cfg.Discord.APIURL = discordURL
		cfg.Discord.Targets = []config.DiscordTarget{{Name: "lab", Channel: "111"}}
	}
	return cfg
}

// fastTiming runs the bot on milliseconds: a Slack pace, backoff and
// 429 floor short enough that a retry storm takes no noticeable time.
var fastTiming = Timing{
	SlackPace:    time.Millisecond,
	CallRetry:    backoff.Policy{Base: time.Millisecond, Max: 10 * time.Millisecond, MinRetryAfter: time.Millisecond, CallTimeout: 10 * time.Second},
	RedeliverMin: time.Millisecond,
	RedeliverMax: 10 * time.Millisecond,
}

// runningBot is one running Main with its stop function.
type runningBot struct {
	m    *Main
	stop func()
}

// startBot opens and runs a Main on fastTiming until the test ends or
// stop is called.
func startBot(t *testing.T, cfg *config.Config, out io.Writer) *runningBot {
	t.Helper()
	return startBotWith(t, cfg, out, fastTiming, nil)
}

// startBotWith is startBot on other timings; setup, when set, sees the
// Main before it opens.
func startBotWith(t *testing.T, cfg *config.Config, out io.Writer, timing Timing, setup func(*Main)) *runningBot {
	t.Helper()
	logger := slog.New(slog.DiscardHandler)
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	m := NewMain(cfg, out, logger)
	m.Timing = timing
	if setup != nil {
		setup(m)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := m.Open(ctx); err != nil {
		cancel()
		t.Fatalf("Open: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	b := &runningBot{m: m}
	var once sync.Once
	b.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
			if err := m.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
	t.Cleanup(b.stop)
	return b
}

// keys is the set of delivery keys (posts) among the fake's messages.
func keys(fake *slackfake.Server, channel string) map[string]bool {
	k := map[string]bool{}
	for _, m := range fake.Messages(channel) {
		if !m.Deleted && m.Metadata != nil && m.ThreadTS == "" {
			k[fmt.Sprint(m.Metadata.EventPayload["key"])] = true
		}
	}
	return k
}

// discordPosts counts the fake Discord channel's messages per delivery key
// (the nonce is key-part) and reports any nonce seen twice.
func discordPosts(fake *discordfake.Server, channel string) (keys map[string]bool, dup string) {
	keys = map[string]bool{}
	seen := map[string]bool{}
	for _, m := range fake.Messages(channel) {
		if seen[m.Nonce] {
			dup = m.Nonce
		}
		seen[m.Nonce] = true
		if i := strings.LastIndexByte(m.Nonce, '-'); i > 0 {
			keys[m.Nonce[:i]] = true
		}
	}
	return keys, dup
}

func copyExamples(t *testing.T, dst string) {
	t.Helper()
	if err := os.CopyFS(dst, os.DirFS(filepath.Join("..", "..", "examples", "posts"))); err != nil {
		t.Fatal(err)
	}
}

// TestMainDelivers starts the whole bot (SQLite, a posts folder, a fake
// Slack and the console target, HTTP on :0) and walks through a bot's
// life: first delivery, a new post, an edit, a 429/500 storm, drafts and
// future posts held, a restart that sends nothing again, and the HTTP
// routes answering from the same store.
func TestMainDelivers(t *testing.T) {
	t.Parallel()
	dir, posts := chattest.PostsFolder(t, "_posts")
	copyExamples(t, posts)
	future := time.Now().AddDate(1, 0, 0).Format(time.DateOnly)
	if err := os.WriteFile(filepath.Join(posts, future+"-future.md"), []byte(fmt.Sprintf(chattest.NewPost, future, 99)), 0o644); err != nil {
		t.Fatal(err)
	}

	fake, dfake := chattest.Chats(t)
	const secret = "test-signing-secret"
	cfg := chatConfig(dir, posts, fake.APIURL(), dfake.URL)
	yes := true
	cfg.Console = &yes
	cfg.Discord.ApplicationID = "999"
	cfg.Discord.PublicKey = strings.Repeat("ab", 32)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}

	out := &syncBuffer{}
	b := startBot(t, cfg, out)
	// The three published example posts reach both targets; the draft and
	// the future post do not.
	chattest.WaitFor(t, "first delivery", 60*time.Second, func() bool {
		dk, _ := discordPosts(dfake, "111")
		return len(keys(fake, "C0TEAM")) == 3 && strings.Count(out.String(), "── console") == 3 && len(dk) == 3
	})
	for k, n := range chattest.Deliveries(fake, "C0TEAM") {
		if n != 1 {
			t.Errorf("message %s sent %d times", k, n)
		}
	}
	for _, m := range fake.AllMessages() {
		if strings.Contains(m.Text, future) || strings.Contains(m.Text, "2025-10-04") {
			t.Errorf("draft or future post sent: %q", m.Text)
		}
	}
	if strings.Contains(out.String(), future) {
		t.Errorf("future post printed")
	}

	// A new file is delivered at the next tick, through 429s and 500s.
	// Retry-After: 0 leaves the wait to the (fast) 429 floor; the Slack
	// adapter's own tests check that a Retry-After is honoured.
	fake.RateLimitNext("chat.postMessage", 2, 0)
	fake.ServerErrorNext("chat.postMessage", 2, 500)
	if err := os.WriteFile(filepath.Join(posts, "2025-10-05-daily-papers.md"), []byte(fmt.Sprintf(chattest.NewPost, "2025-10-05", 5)), 0o644); err != nil {
		t.Fatal(err)
	}
	b.m.Engine.Trigger()
	dfake.RateLimitNext(1, 10*time.Millisecond)
	dfake.FailNext(1, 500)
	chattest.WaitFor(t, "new post", 60*time.Second, func() bool {
		dk, _ := discordPosts(dfake, "111")
		return len(keys(fake, "C0TEAM")) == 4 && len(dk) == 4
	})
	if _, dup := discordPosts(dfake, "111"); dup != "" {
		t.Errorf("Discord message %s sent twice", dup)
	}
	for k, n := range chattest.Deliveries(fake, "C0TEAM") {
		if n != 1 {
			t.Errorf("after the storm: message %s sent %d times", k, n)
		}
	}
	if got := len(fake.Calls("chat.postMessage")); got < 5 {
		t.Errorf("expected the 429s and 500s to be retried; saw %d postMessage calls", got)
	}

	// An edited post is updated in place: chat.update, no new message.
	before := len(fake.Messages("C0TEAM"))
	p := filepath.Join(posts, "2025-10-05-daily-papers.md")
	src, _ := os.ReadFile(p)
	edited := strings.Replace(string(src), "A Paper Added Later", "A Paper Edited Later", 1)
	if err := os.WriteFile(p, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	b.m.Engine.Trigger()
	chattest.WaitFor(t, "edit", 30*time.Second, func() bool {
		for _, m := range fake.Messages("C0TEAM") {
			if m.Updates > 0 && strings.Contains(string(m.Blocks), "A Paper Edited Later") {
				return true
			}
		}
		return false
	})
	if after := len(fake.Messages("C0TEAM")); after != before {
		t.Errorf("edit posted new messages: %d -> %d", before, after)
	}
	chattest.WaitFor(t, "Discord edit", 30*time.Second, func() bool {
		for _, m := range dfake.Messages("111") {
			if m.Edits > 0 && len(m.Embeds) > 0 && strings.Contains(m.Embeds[0].Title+m.Embeds[0].Description, "A Paper Edited Later") { // compact digests title papers in the description
				return true
			}
		}
		return false
	})
	if cmds := dfake.Commands("999", ""); len(cmds) != 2 {
		t.Errorf("registered %d global Discord commands, want /paper and /digest", len(cmds))
	}

	// The HTTP routes answer from the same store.
	base := "http://" + b.m.Addr()
	resp, err := http.Get(base + "/api/papers/2511.00005")
	if err != nil {
		t.Fatal(err)
	}
	var paper struct{ Title string }
	json.NewDecoder(resp.Body).Decode(&paper)
	resp.Body.Close()
	if resp.StatusCode != 200 || paper.Title != "A Paper Edited Later, Number 5" {
		t.Errorf("GET /api/papers/2511.00005 = %d %q", resp.StatusCode, paper.Title)
	}
	form := url.Values{"command": {"/paper"}, "text": {"2510.01234"}, "channel_id": {"C0TEAM"}, "user_id": {"U1"}, "response_url": {fake.ResponseURL("r1")}}
	body := form.Encode()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, _ := http.NewRequest("POST", base+"/slack/commands", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", slack.Sign(secret, ts, []byte(body)))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	reply, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(reply), "TileSparse") {
		t.Errorf("/paper 2510.01234 = %d %s", resp.StatusCode, reply)
	}

	// A restart sends nothing again.
	b.stop()
	sent := len(fake.Calls("chat.postMessage"))
	dsent := len(dfake.Messages("111"))
	printed := out.String()
	b2 := startBot(t, cfg, out)
	chattest.WaitFor(t, "ready after restart", 30*time.Second, func() bool { return b2.m.Engine.Ready() })
	// A tick of our own: Tick waits for the one Run started, then runs.
	if err := b2.m.Engine.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	b2.stop()
	if got := len(fake.Calls("chat.postMessage")); got != sent {
		t.Errorf("restart posted %d more messages", got-sent)
	}
	if got := len(dfake.Messages("111")); got != dsent {
		t.Errorf("restart posted %d more Discord messages", got-dsent)
	}
	if out.String() != printed {
		t.Errorf("restart printed again: %q", strings.TrimPrefix(out.String(), printed))
	}
}

// TestSendCommand runs `paperbot send` as a user would: it indexes the
// posts, sends one day now whatever its age, refuses drafts and unknown
// days, sends nothing twice without --force, and sends anew with it.
func TestSendCommand(t *testing.T) {
	t.Parallel()
	dir, posts := chattest.PostsFolder(t, "posts")
	copyExamples(t, posts)
	cfgFile := filepath.Join(dir, "paperbot.yaml")
	// catch_up 1h: the 2025 posts are far outside the window, so only
	// send (never run) would deliver them.
	if err := os.WriteFile(cfgFile, []byte("posts: {dir: posts}\ncatch_up: 1h\nstore: sqlite://data/pb.db\nconsole: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		code int
		out  string
		err  string
	}{
		{[]string{"send", "--config", cfgFile, "2025-10-02"}, 0, "2025-10-02-daily-papers.md -> console: sent (1 messages)", ""},
		{[]string{"send", "--config", cfgFile, "2025-10-02"}, 0, "sent (1 messages)", ""},
		{[]string{"send", "--config", cfgFile, "2025-10-04"}, 1, "", "draft"},
		{[]string{"send", "--config", cfgFile, "2031-01-01"}, 1, "", "2031-01-01"},
		{[]string{"send", "--config", cfgFile, "--target", "nope", "2025-10-02"}, 1, "", "nope"},
		{[]string{"send", "--config", cfgFile}, 2, "", "give one DATE"},
	}
	for _, tt := range tests {
		code, out, errs := paperbot(t, tt.args...)
		if code != tt.code || !strings.Contains(out, tt.out) || !strings.Contains(errs, tt.err) {
			t.Errorf("%v: exit %d (want %d)\nstdout: %.400s\nstderr: %.400s", tt.args, code, tt.code, out, errs)
		}
	}
	// Sent already: a repeat without --force prints no digest.
	if _, out, _ := paperbot(t, "send", "--config", cfgFile, "2025-10-02"); strings.Contains(out, "── console") {
		t.Errorf("repeat send printed the digest again:\n%.400s", out)
	}
	_, out, _ := paperbot(t, "send", "--config", cfgFile, "--force", "2025-10-02")
	if !strings.Contains(out, "── console") || !strings.Contains(out, "데일리 페이퍼") {
		t.Errorf("--force did not print the digest again:\n%.400s", out)
	}
}

// TestSendWebhookOnlyDiscord: a Discord setup of webhook targets alone
// starts without a bot token and delivers; in the default buttons mode the
// webhook target sends spoilers (webhooks drop components).
func TestSendWebhookOnlyDiscord(t *testing.T) {
	t.Parallel()
	dir, posts := chattest.PostsFolder(t, "posts")
	copyExamples(t, posts)
	dfake := discordfake.New("discord-test-token")
	defer dfake.Close()
	dfake.AddChannel("222")
	hook := dfake.AddWebhook("300000000000000009", "hook-secret", "222")
	cfgFile := filepath.Join(dir, "paperbot.yaml")
	cfg := fmt.Sprintf("posts: {dir: posts}\ncatch_up: 1h\nstore: sqlite://data/pb.db\ndiscord:\n  api_url: %s\n  targets: [{name: hook, webhook_url: %q}]\n", dfake.URL, hook)
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := paperbot(t, "send", "--config", cfgFile, "2025-10-02")
	if code != 0 || !strings.Contains(out, "hook: sent") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	msgs := dfake.Messages("222")
	if len(msgs) == 0 {
		t.Fatal("nothing reached the webhook")
	}
	spoilers := 0
	for _, m := range msgs {
		if m.WebhookID != "300000000000000009" || len(m.Components) != 0 {
			t.Errorf("message %s: webhook %q, %d component rows", m.ID, m.WebhookID, len(m.Components))
		}
		for _, e := range m.Embeds {
			for _, f := range e.Fields {
				if strings.HasPrefix(f.Value, "||") {
					spoilers++
				}
			}
		}
	}
	if spoilers == 0 {
		t.Error("the webhook target's sections are not in spoilers")
	}
}
