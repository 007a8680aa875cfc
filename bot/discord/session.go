package discord

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
)

// NewSession returns a discordgo session for a bot token (with or without
// the "Bot " prefix). apiURL "" talks to Discord; otherwise it is a scheme
// and host (e.g. http://127.0.0.1:9001) every request is sent to instead,
// keeping its /api/v10/... path: discordgo builds its URLs from package
// constants, so only the HTTP transport can redirect it.
func NewSession(token, apiURL string) (*discordgo.Session, error) {
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, fmt.Errorf("discord session: empty bot token")
	}
	if !strings.HasPrefix(token, "Bot ") {
		token = "Bot " + token
	}
	return buildSession(token, apiURL)
}

// NewWebhookSession returns a session without a bot token, for webhook
// targets only: a webhook's URL carries its own token, and a webhook-only
// setup has no bot.
func NewWebhookSession(apiURL string) (*discordgo.Session, error) {
	return buildSession("", apiURL)
}

func buildSession(token, apiURL string) (*discordgo.Session, error) {
	s, err := discordgo.New(token)
	if err != nil {
		return nil, fmt.Errorf("discord session: %w", err)
	}
	var rt http.RoundTripper = http.DefaultTransport
	if apiURL != "" {
		u, err := url.Parse(apiURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("discord session: api_url %q is not an http(s) scheme and host", apiURL)
		}
		rt = &rewriteTransport{scheme: u.Scheme, host: u.Host, base: http.DefaultTransport}
	}
	// Per-call deadlines come from contexts; this is the backstop.
	s.Client = &http.Client{Transport: rt, Timeout: 60 * time.Second}
	s.ShouldRetryOnRateLimit = true
	s.MaxRestRetries = 3
	s.UserAgent = "DiscordBot (https://github.com/paperbot/paperbot, 1) paperbot"
	return s, nil
}

// rewriteTransport sends every request to one scheme and host.
type rewriteTransport struct {
	scheme, host string
	base         http.RoundTripper
}

func (t *rewriteTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	u := *r.URL
	u.Scheme, u.Host = t.scheme, t.host
	r2.URL = &u
	r2.Host = t.host
	return t.base.RoundTrip(r2)
}
