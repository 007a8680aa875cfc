package slack

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/bottest"
	"github.com/paperbot/paperbot/bot/slack/slackfake"
	"github.com/paperbot/paperbot/bot/store/sqlite"
	"github.com/paperbot/paperbot/formatter"
)

const testToken = "xoxb-test-token"

// para is a one-paragraph block list.
func para(s string) []bot.Block { return bottest.Para(s) }

// exampleDigest is a made-up post of n papers with four sections each,
// with the characters mrkdwn must escape; long makes every section long so
// the digest needs several messages.
func exampleDigest(day string, n int, long bool) *bot.Digest {
	body, repeat := "A short note about the method & its <limits>.", 1
	if long {
		body, repeat = "This paragraph explains the method in some detail, with numbers 1.5x and a caveat. ", 25
	}
	return bottest.Digest(day, n, "Paper %d: sparse attention & friends <%d>", body, repeat)
}

// newStore opens an in-memory SQLite store holding posts.
func newStore(t testing.TB, posts ...*bot.Digest) *sqlite.Store { return bottest.Store(t, posts...) }

// newFake starts a fake Slack for the test.
func newFake(t testing.TB) *slackfake.Server {
	t.Helper()
	f := slackfake.New(testToken)
	t.Cleanup(f.Close)
	return f
}

// fastRetry keeps retries quick in tests.
var fastRetry = Retry{Base: 5 * time.Millisecond, Max: 20 * time.Millisecond, MinRetryAfter: 5 * time.Millisecond, CallTimeout: 2 * time.Second}

// counted records what an adapter reports to its Metrics: the error codes
// in order, and the retries by reason.
type counted struct {
	mu      sync.Mutex
	errors  []string
	retries map[string]int
}

func (c *counted) Error(_, code string) {
	c.mu.Lock()
	c.errors = append(c.errors, code)
	c.mu.Unlock()
}
func (c *counted) Retry(_, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.retries == nil {
		c.retries = map[string]int{}
	}
	c.retries[reason]++
}
func (c *counted) Command(string, time.Duration, error) {}

func newTarget(f *slackfake.Server, details formatter.SlackDetails, m Metrics) *Target {
	return NewTarget(f.Client(), TargetConfig{Name: "team", Channel: "C1", Details: details, Pace: -1, Retry: fastRetry, Metrics: m}, nil)
}

// fixturePosts is the shared fixture folder, or "" when absent.
func fixturePosts(t testing.TB) string {
	dir := filepath.Join("..", "..", "..", "shared", "fixtures", "posts")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("../shared not present: ", err)
	}
	return dir
}

// fixtureDigest parses the real fixture post.
func fixtureDigest(t testing.TB) *bot.Digest {
	dir := fixturePosts(t)
	name := "2025-09-30-daily-papers.md"
	src, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	d, err := (&formatter.Parser{}).Parse(name, src)
	if err != nil {
		t.Fatalf("parse fixture: %v", err)
	}
	return d
}

func fileOf(d *bot.Digest) bot.FileState {
	return bot.FileState{Path: d.Path, Size: 1, ModTime: d.Date, Hash: d.Hash}
}
