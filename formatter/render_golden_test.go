package formatter

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/bottest/golden"
)

// renderModes are every payload a digest can become, named as in the
// golden files: testdata/<example>.<format>-<mode>.golden.json.
var renderModes = []struct {
	name   string
	render func(d *bot.Digest) ([]byte, error)
}{
	{"slack-container", slackRenderer(SlackContainer)},
	{"slack-buttons", slackRenderer(SlackButtons)},
	{"slack-thread", slackRenderer(SlackThread)},
	{"slack-inline", slackRenderer(SlackInline)},
	{"discord-spoiler", discordRenderer(DiscordSpoiler)},
	{"discord-buttons", discordRenderer(DiscordButtons)},
	{"discord-inline", discordRenderer(DiscordInline)},
}

func slackRenderer(mode SlackDetails) func(*bot.Digest) ([]byte, error) {
	return func(d *bot.Digest) ([]byte, error) {
		msgs := Slack(d, SlackOptions{Details: mode})
		for _, m := range msgs {
			if err := CheckSlackMessage(m); err != nil {
				return nil, err
			}
		}
		return SlackJSON(msgs)
	}
}

func discordRenderer(mode DiscordDetails) func(*bot.Digest) ([]byte, error) {
	return func(d *bot.Digest) ([]byte, error) {
		msgs := Discord(d, DiscordOptions{Details: mode})
		for _, m := range msgs {
			if err := CheckDiscordMessage(m); err != nil {
				return nil, err
			}
		}
		return DiscordJSON(msgs)
	}
}

// TestRenderGolden pins the exact payloads of every example post in every
// mode: the bytes `paperbot preview --format F --details M FILE` prints
// (one JSON array and a newline). -update rewrites them.
func TestRenderGolden(t *testing.T) {
	t.Parallel()
	p := &Parser{Location: seoul(t)}
	for _, path := range examplePosts(t) {
		name := filepath.Base(path)
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		d, err := p.Parse(name, src)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, mode := range renderModes {
			t.Run(name+"/"+mode.name, func(t *testing.T) {
				got, err := mode.render(d)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, '\n')
				golden.Check(t, filepath.Join("testdata", strings.TrimSuffix(name, ".md")+"."+mode.name+".golden.json"), got)
			})
		}
	}
}

// fixtureDigest parses the team's real post (16 papers, Korean).
func fixtureDigest(t testing.TB) *bot.Digest {
	t.Helper()
	path := fixturePath(t)
	src, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("../shared not present: %v", err)
	}
	d, err := (&Parser{Location: seoul(t)}).Parse(filepath.Base(path), src)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Papers) != 16 {
		t.Fatalf("fixture has %d papers, want 16", len(d.Papers))
	}
	return d
}

// TestFixtureCompact is the compactness acceptance of issue 3.
func TestFixtureCompact(t *testing.T) {
	t.Parallel()
	d := fixtureDigest(t)
	count := func(msgs []SlackMessage) (main, replies int) {
		for _, m := range msgs {
			if err := CheckSlackMessage(m); err != nil {
				t.Fatal(err)
			}
			if m.ThreadReply {
				replies++
			} else {
				main++
			}
		}
		return
	}
	if n, _ := count(Slack(d, SlackOptions{Details: SlackButtons})); n != 1 {
		t.Errorf("slack buttons: %d messages, want exactly 1", n)
	}
	if n, _ := count(Slack(d, SlackOptions{})); n > 2 {
		t.Errorf("slack container: %d messages, want at most 2", n)
	}
	if n, r := count(Slack(d, SlackOptions{Details: SlackThread})); n != 1 || r != 16 {
		t.Errorf("slack thread: %d messages + %d replies, want 1 + 16", n, r)
	}
	// Every paper expanded at once still keeps each message within limits.
	all := map[int]bool{}
	for _, p := range d.Papers {
		all[p.Number] = true
	}
	count(Slack(d, SlackOptions{Details: SlackButtons, Expanded: all}))

	discordCount := func(mode DiscordDetails) int {
		msgs := Discord(d, DiscordOptions{Details: mode})
		for _, m := range msgs {
			if err := CheckDiscordMessage(m); err != nil {
				t.Fatal(err)
			}
		}
		return len(msgs)
	}
	// The default (buttons, compact) is the acceptance of issue 11: at most
	// 2 messages, 1 the goal.
	if n := discordCount(""); n > 2 {
		t.Errorf("discord default: %d messages, want at most 2", n)
	}
	// Spoiler mode: as few messages as the 6000-character rule allows. The
	// lower bound is the total embed text over 6000; packing papers whole
	// may cost one more message than that bound.
	msgs := Discord(d, DiscordOptions{Details: DiscordSpoiler})
	total := 0
	for _, m := range msgs {
		for _, e := range m.Embeds {
			total += DiscordEmbedChars(e)
		}
	}
	bound := (total + DiscordMaxEmbedTotal - 1) / DiscordMaxEmbedTotal
	if len(msgs) > bound+1 {
		t.Errorf("discord spoiler: %d messages for %d characters (bound %d)", len(msgs), total, bound)
	}
	t.Logf("fixture: discord spoiler %d messages (%d embed characters, bound %d), buttons %d, inline %d",
		len(msgs), total, bound, discordCount(DiscordButtons), discordCount(DiscordInline))
}
