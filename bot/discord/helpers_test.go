package discord

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/bottest"
	"github.com/paperbot/paperbot/bot/discord/discordfake"
	"github.com/paperbot/paperbot/formatter"
)

const (
	testToken   = "test-bot-token"
	testChannel = "200000000000000001"
)

func para(s string) []bot.Block { return bottest.Para(s) }

// exampleDigest is a made-up post of n papers with four sections each,
// with the characters Discord markdown must escape; long makes the
// sections long so the digest needs several messages.
func exampleDigest(day string, n int, long bool) *bot.Digest {
	body, repeat := "A short note about the method and its *limits*.", 1
	if long {
		body, repeat = "This paragraph explains the method in some detail, with numbers 1.5x and a caveat. ", 10
	}
	return bottest.Digest(day, n, "Paper %d: sparse attention_and friends", body, repeat)
}

func newFake(t testing.TB) *discordfake.Server {
	t.Helper()
	f := discordfake.New(testToken)
	t.Cleanup(f.Close)
	f.AddChannel(testChannel)
	return f
}

func newSession(t testing.TB, f *discordfake.Server) *discordgo.Session {
	t.Helper()
	s, err := NewSession(testToken, f.URL)
	if err != nil {
		t.Fatalf("session: %v", err)
	}
	return s
}

var fastRetry = Retry{Base: 5 * time.Millisecond, Max: 20 * time.Millisecond, MinRetryAfter: 5 * time.Millisecond, CallTimeout: 2 * time.Second}

func newTarget(t testing.TB, f *discordfake.Server, cfg TargetConfig) *Target {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = "lab"
	}
	if cfg.Channel == "" && cfg.WebhookURL == "" {
		cfg.Channel = testChannel
	}
	if cfg.Retry == (Retry{}) {
		cfg.Retry = fastRetry
	}
	tg, err := NewTarget(newSession(t, f), cfg, nil)
	if err != nil {
		t.Fatalf("target: %v", err)
	}
	return tg
}

// fixtureDir is the shared fixture folder; the test skips when absent.
func fixtureDir(t testing.TB) string {
	dir := filepath.Join("..", "..", "..", "shared", "fixtures", "posts")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("../shared not present: ", err)
	}
	return dir
}

// fixtureStore indexes every fixture post into an in-memory store.
func fixtureStore(t testing.TB) (bot.Store, []*bot.Digest) {
	t.Helper()
	dir := fixtureDir(t)
	st := newStore(t)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var posts []*bot.Digest
	for _, e := range ents {
		if _, _, ok := bot.PostName(e.Name()); !ok {
			continue
		}
		src, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		d, err := (&formatter.Parser{}).Parse(e.Name(), src)
		if err != nil {
			t.Fatalf("parse %s: %v", e.Name(), err)
		}
		if err := st.SavePost(context.Background(), d, bot.FileState{Path: d.Path, Size: int64(len(src)), ModTime: d.Date, Hash: d.Hash}); err != nil {
			t.Fatal(err)
		}
		posts = append(posts, d)
	}
	return st, posts
}

// crashAfter posts d with key and deletes all but its first n messages,
// as a send interrupted after n messages leaves the channel. It returns the
// refs of every message it posted.
func crashAfter(t testing.TB, tg *Target, d *bot.Digest, key string, n int) []bot.MessageRef {
	t.Helper()
	refs, err := tg.Post(ctxT(t), d, key)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range refs[n:] {
		if err := tg.deleteOne(ctxT(t), r); err != nil {
			t.Fatal(err)
		}
	}
	return refs
}

// newStore is a SQLite store holding posts (bottest.Store).
func newStore(t testing.TB, posts ...*bot.Digest) bot.Store { return bottest.Store(t, posts...) }

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// counted records the error codes an adapter reports to its Metrics.
type counted struct {
	mu     sync.Mutex
	errors []string
}

func (c *counted) Error(_, code string) {
	c.mu.Lock()
	c.errors = append(c.errors, code)
	c.mu.Unlock()
}
func (c *counted) Retry(string, string) {}
