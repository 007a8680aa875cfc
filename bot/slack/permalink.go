package slack

import (
	"context"
	"sync"

	"github.com/slack-go/slack"

	"github.com/paperbot/paperbot/bot"
)

// Permalinks links the messages a Slack target posted (the status page's
// "message N" links). A message's link needs the workspace's host, which a
// delivery record does not hold, so it comes from chat.getPermalink and is
// remembered: a permalink never changes.
type Permalinks struct {
	Client *slack.Client

	mu    sync.Mutex
	known map[bot.MessageRef]string
}

// maxPermalinks bounds the memory of links; past it the memory starts over.
const maxPermalinks = 10_000

// MessageURL is ref's permalink, or "" when Slack does not give one within
// ctx (the page then shows the message without a link).
func (p *Permalinks) MessageURL(ctx context.Context, ref bot.MessageRef) string {
	if p == nil || p.Client == nil || ref.Channel == "" || ref.ID == "" {
		return ""
	}
	p.mu.Lock()
	u, ok := p.known[ref]
	p.mu.Unlock()
	if ok {
		return u
	}
	u, err := p.Client.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: ref.Channel, Ts: ref.ID})
	if err != nil || !isHTTP(u) {
		return ""
	}
	p.mu.Lock()
	if p.known == nil || len(p.known) >= maxPermalinks {
		p.known = map[bot.MessageRef]string{}
	}
	p.known[ref] = u
	p.mu.Unlock()
	return u
}

func isHTTP(u string) bool {
	return len(u) > 8 && (u[:8] == "https://" || u[:7] == "http://")
}
