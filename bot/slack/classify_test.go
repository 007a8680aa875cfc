package slack

import (
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/bottest"
	"github.com/paperbot/paperbot/bot/slack/slackfake"
	"github.com/paperbot/paperbot/formatter"
)

// TestPostFailureKinds checks what a failed Post tells the engine: whether
// the post failed alone (permanent), sent nothing (no Recover needed), or
// may have gone out.
func TestPostFailureKinds(t *testing.T) {
	t.Parallel()
	d := exampleDigest("2025-01-02", 1, false)
	tests := []struct {
		name                string
		setup               func(f *slackfake.Server) *Target
		permanent, notSent  bool
		historySearchesZero bool
	}{{
		name: "refused connection",
		setup: func(f *slackfake.Server) *Target {
			return NewTarget(slack.New("xoxb-test", slack.OptionAPIURL("http://"+bottest.FreeAddr(t)+"/api/")), TargetConfig{Name: "team", Channel: "C1", Pace: -1, Retry: fastRetry}, nil)
		},
		notSent: true, historySearchesZero: true,
	}, {
		name: "payload refused",
		setup: func(f *slackfake.Server) *Target {
			f.FailNext(1000, slackfake.Fault{Method: "chat.postMessage", Error: "invalid_blocks"})
			return newTarget(f, formatter.SlackContainer, nil)
		},
		permanent: true, historySearchesZero: true,
	}, {
		name: "channel gone: the target, not the post",
		setup: func(f *slackfake.Server) *Target {
			f.SetChannelError("C1", "channel_not_found")
			return newTarget(f, formatter.SlackContainer, nil)
		},
		// Not permanent (every post would fail alike: the queue holds
		// until the setup is fixed), but Slack answered: nothing went out.
		notSent: true, historySearchesZero: true,
	}, {
		name: "500 to everything: unknown outcome",
		setup: func(f *slackfake.Server) *Target {
			f.ServerErrorNext("chat.postMessage", 1000, 500)
			return newTarget(f, formatter.SlackContainer, nil)
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			bottest.PostFails(t, tt.setup(f), d, tt.permanent, tt.notSent)
			if n := len(f.Calls("conversations.history")); tt.historySearchesZero && n != 0 {
				t.Errorf("%d history searches, want none", n)
			}
		})
	}
}

// TestRenderPanicFailsThePostAlone: a post the renderer cannot draw is a
// permanent failure of that post, and nothing is sent.
func TestRenderPanicFailsThePostAlone(t *testing.T) {
	t.Parallel()
	_, err := bot.Rendered("p.md", func() []formatter.SlackMessage { panic("boom") })
	if !bot.IsPermanent(err) || !strings.Contains(err.Error(), "p.md cannot be rendered: boom") {
		t.Errorf("Rendered = %v", err)
	}
	if got, err := bot.Rendered("p.md", func() int { return 7 }); got != 7 || err != nil {
		t.Errorf("Rendered = %v, %v", got, err)
	}
}
