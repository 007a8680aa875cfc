package discord

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/formatter"
)

// MaxNonce is Discord's limit on a message nonce.
const MaxNonce = 25

// refPrefix starts the delivery marker "ref <nonce>" that every digest
// message carries in its last embed's footer (or, without embeds, on a
// last subtext line of its content). Discord keeps a nonce only for a few
// minutes and does not return it when listing messages, so Recover finds
// older interrupted sends by this visible but unobtrusive marker.
const refPrefix = "ref "

// recoverLimit is how many recent channel messages Recover reads (one
// request; Discord's maximum page).
const recoverLimit = 100

// Metrics counts what the adapter does; metrics.Platform implements it
// with Prometheus series. Methods must be quick and safe for concurrent
// use. A nil Metrics counts nothing.
type Metrics interface {
	// Error counts a permanent failure of the target with the HTTP status
	// ("403").
	Error(target, code string)
	// Retry counts a retry with its reason: "ratelimited", "transient".
	Retry(target, reason string)
}

// TargetConfig configures one Discord channel or webhook a digest goes to.
// Exactly one of Channel and WebhookURL is set.
type TargetConfig struct {
	Name string
	// Channel is a channel id; the bot needs View Channel, Send Messages,
	// Embed Links and Read Message History there.
	Channel string
	// WebhookURL is ".../api/webhooks/{id}/{token}"; such a target needs
	// no bot token and sends buttons mode as spoilers. Webhooks take no
	// nonce, so a webhook target cannot Recover: an interrupted send is
	// sent again (documented at-least-once for webhooks).
	WebhookURL string
	// Tags and Keywords filter posts (see Match); empty takes every post.
	Tags     []string
	Keywords []string
	Details  formatter.DiscordDetails
	SiteURL  string
	Retry    Retry
	Metrics  Metrics
}

// Target delivers digests to one Discord channel or webhook. It implements
// bot.Target and bot.Matcher.
type Target struct {
	s                *discordgo.Session
	cfg              TargetConfig
	log              *slog.Logger
	webhookID, token string
}

var (
	_ bot.Target  = (*Target)(nil)
	_ bot.Matcher = (*Target)(nil)
)

// NewTarget returns the target for cfg, sending through session (see
// NewSession). A nil logger discards. It fails when neither or both of
// Channel and WebhookURL are set, or the webhook URL is malformed.
func NewTarget(session *discordgo.Session, cfg TargetConfig, logger *slog.Logger) (*Target, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if session == nil {
		return nil, fmt.Errorf("discord target %q: no session", cfg.Name)
	}
	cfg.Retry = withDefaults(cfg.Retry)
	if cfg.Details == "" {
		cfg.Details = formatter.DiscordButtons
	}
	if cfg.WebhookURL != "" && cfg.Details == formatter.DiscordButtons {
		// Webhooks made in Discord's UI drop components, which would leave
		// the sections out of reach: spoilers carry them instead.
		cfg.Details = formatter.DiscordSpoiler
	}
	t := &Target{s: session, cfg: cfg}
	switch {
	case cfg.Channel != "" && cfg.WebhookURL != "":
		return nil, fmt.Errorf("discord target %q: set channel or webhook_url, not both", cfg.Name)
	case cfg.Channel != "":
		t.log = logger.With("target", cfg.Name, "channel", cfg.Channel)
	case cfg.WebhookURL != "":
		id, token, err := ParseWebhookURL(cfg.WebhookURL)
		if err != nil {
			return nil, fmt.Errorf("discord target %q: %w", cfg.Name, err)
		}
		t.webhookID, t.token = id, token
		t.log = logger.With("target", cfg.Name, "webhook", id)
	default:
		return nil, fmt.Errorf("discord target %q: set channel or webhook_url", cfg.Name)
	}
	return t, nil
}

// ParseWebhookURL reads the id and token of a webhook URL
// (https://discord.com/api[/v10]/webhooks/{id}/{token}). The error never
// quotes the URL: it holds the token.
func ParseWebhookURL(raw string) (id, token string, err error) {
	u, perr := url.Parse(strings.TrimSpace(raw))
	if perr != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return "", "", fmt.Errorf("webhook_url is not an http(s) URL")
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	for i, p := range parts {
		if p == "webhooks" && i+2 < len(parts) {
			id, token = parts[i+1], parts[i+2]
			break
		}
	}
	if id == "" || token == "" {
		return "", "", fmt.Errorf("webhook_url is not .../api/webhooks/{id}/{token}")
	}
	if _, err := strconv.ParseUint(id, 10, 64); err != nil {
		return "", "", fmt.Errorf("webhook_url: the webhook id is not a number")
	}
	return id, token, nil
}

// Name is the configured target name.
func (t *Target) Name() string { return t.cfg.Name }

// Match applies the target's tags and keywords (see bot.Filter).
func (t *Target) Match(d *bot.Digest) bool {
	return bot.Filter{Tags: t.cfg.Tags, Keywords: t.cfg.Keywords}.Match(d)
}

// Nonce is the nonce of message part of a delivery: key + "-" + part,
// or, for a key too long for Discord's 25 characters, a hash of it.
func Nonce(key string, part int) string {
	n := key + "-" + strconv.Itoa(part)
	if len(n) <= MaxNonce {
		return n
	}
	sum := sha256.Sum256([]byte(key))
	return "pb-" + hex.EncodeToString(sum[:])[:16] + "-" + strconv.Itoa(part)
}

// render is d as Discord messages, each marked with its nonce.
func (t *Target) render(d *bot.Digest, key string) []*discordgo.MessageSend {
	msgs := formatter.Discord(d, formatter.DiscordOptions{Details: t.cfg.Details, SiteURL: t.cfg.SiteURL})
	for i, m := range msgs {
		mark(m, Nonce(key, i))
	}
	return msgs
}

// mark adds "ref <nonce>" to the last embed's footer, or as a subtext line
// of the content, where it fits within the limits; else the message goes
// without (Recover then relies on the nonce alone).
func mark(m *discordgo.MessageSend, nonce string) {
	ref := refPrefix + nonce
	if n := len(m.Embeds); n > 0 && m.Embeds[n-1] != nil {
		total := 0
		for _, e := range m.Embeds {
			total += formatter.DiscordEmbedChars(e)
		}
		e := *m.Embeds[n-1]
		text := ref
		if e.Footer != nil && e.Footer.Text != "" {
			text = e.Footer.Text + " · " + ref
		}
		added := formatter.Len16(text)
		if e.Footer != nil {
			added -= formatter.Len16(e.Footer.Text)
		}
		if formatter.Len16(text) <= formatter.DiscordMaxFooterText && total+added <= formatter.DiscordMaxEmbedTotal {
			f := discordgo.MessageEmbedFooter{Text: text}
			if e.Footer != nil {
				f.IconURL = e.Footer.IconURL
			}
			e.Footer = &f
			m.Embeds = append(slices.Clone(m.Embeds[:n-1]), &e)
			return
		}
	}
	line := "-# " + ref
	c := line
	if m.Content != "" {
		c = m.Content + "\n" + line
	}
	if formatter.Len16(c) <= formatter.DiscordMaxContent {
		m.Content = c
	}
}

// markerOf returns the delivery marker (a nonce) a listed message carries.
func markerOf(m *listedMessage) string {
	if n := m.nonce(); n != "" {
		return n
	}
	for i := len(m.Embeds) - 1; i >= 0; i-- {
		if e := m.Embeds[i]; e != nil && e.Footer != nil {
			if j := strings.LastIndex(e.Footer.Text, refPrefix); j >= 0 {
				return e.Footer.Text[j+len(refPrefix):]
			}
		}
	}
	if j := strings.LastIndex(m.Content, "\n-# "+refPrefix); j >= 0 {
		return m.Content[j+len("\n-# "+refPrefix):]
	}
	if r, ok := strings.CutPrefix(m.Content, "-# "+refPrefix); ok {
		return r
	}
	return ""
}

// channelBody is a message with the nonce fields discordgo.MessageSend lacks.
type channelBody struct {
	*discordgo.MessageSend
	Nonce        string `json:"nonce,omitempty"`
	EnforceNonce bool   `json:"enforce_nonce,omitempty"`
}

// editBody replaces a message's content, embeds and components.
type editBody struct {
	Content         string                            `json:"content"`
	Embeds          []*discordgo.MessageEmbed         `json:"embeds"`
	Components      []discordgo.MessageComponent      `json:"components"`
	AllowedMentions *discordgo.MessageAllowedMentions `json:"allowed_mentions,omitempty"`
}

// listedMessage is a message as GET .../messages returns it; the nonce is
// a string or a number.
type listedMessage struct {
	ID        string                    `json:"id"`
	ChannelID string                    `json:"channel_id"`
	Content   string                    `json:"content"`
	Nonce     json.RawMessage           `json:"nonce"`
	Embeds    []*discordgo.MessageEmbed `json:"embeds"`
	Author    *discordgo.User           `json:"author"`
}

func (m *listedMessage) nonce() string {
	var s string
	if len(m.Nonce) > 0 && json.Unmarshal(m.Nonce, &s) == nil {
		return s
	}
	return ""
}

func (t *Target) onRetry(reason string) {
	t.log.Warn("discord call retried", "reason", reason)
	if m := t.cfg.Metrics; m != nil {
		m.Retry(t.cfg.Name, reason)
	}
}

func (t *Target) call(ctx context.Context, op, method, u, bucket string, body any) ([]byte, error) {
	out, err := request(ctx, t.s, t.cfg.Retry, op, method, u, bucket, body, t.onRetry, t.token)
	if err != nil {
		if m := t.cfg.Metrics; m != nil {
			m.Error(t.cfg.Name, strconv.Itoa(StatusOf(err)))
		}
	}
	return out, err
}

// Post sends d as new messages in order and returns their refs; on an
// error, the refs of the messages that did go out.
func (t *Target) Post(ctx context.Context, d *bot.Digest, key string) ([]bot.MessageRef, error) {
	msgs, err := bot.Rendered(d.Path, func() []*discordgo.MessageSend { return t.render(d, key) })
	if err != nil {
		return nil, err
	}
	refs := make([]bot.MessageRef, 0, len(msgs))
	for i, m := range msgs {
		ref, err := t.postOne(ctx, m, Nonce(key, i))
		if err != nil {
			return refs, fmt.Errorf("message %d of %d: %w", i+1, len(msgs), err)
		}
		refs = append(refs, ref)
	}
	return refs, nil
}

// postOne posts one message. To a channel it carries the nonce with
// enforce_nonce, so a retry after a lost answer (timeout, 5xx) gets the
// message already created instead of a second one.
func (t *Target) postOne(ctx context.Context, m *discordgo.MessageSend, nonce string) (bot.MessageRef, error) {
	var (
		out []byte
		err error
	)
	if t.webhookID != "" {
		out, err = t.call(ctx, "execute webhook", "POST", discordgo.EndpointWebhookToken(t.webhookID, t.token)+"?wait=true",
			"webhook:"+t.webhookID, m)
	} else {
		out, err = t.call(ctx, "post message", "POST", discordgo.EndpointChannelMessages(t.cfg.Channel),
			discordgo.EndpointChannelMessages(t.cfg.Channel), channelBody{MessageSend: m, Nonce: nonce, EnforceNonce: true})
	}
	if err != nil {
		return bot.MessageRef{}, err
	}
	var got listedMessage
	if err := json.Unmarshal(out, &got); err != nil || got.ID == "" {
		return bot.MessageRef{}, fmt.Errorf("post message: unreadable answer from Discord")
	}
	ch := got.ChannelID
	if ch == "" {
		ch = t.cfg.Channel
	}
	return bot.MessageRef{Channel: ch, ID: got.ID}, nil
}

// Recover finds the messages of an interrupted Post with key among the
// channel's last 100 messages, by nonce or by the "ref" marker. It returns
// the parts 0..n-1 found without a gap. Webhook targets cannot list
// messages: they return nil, nil and the post is sent again.
func (t *Target) Recover(ctx context.Context, key string) ([]bot.MessageRef, error) {
	if t.webhookID != "" {
		return nil, nil
	}
	u := discordgo.EndpointChannelMessages(t.cfg.Channel) + "?limit=" + strconv.Itoa(recoverLimit)
	out, err := t.call(ctx, "list messages", "GET", u, discordgo.EndpointChannelMessages(t.cfg.Channel), nil)
	if err != nil {
		return nil, err
	}
	var list []listedMessage
	if err := json.Unmarshal(out, &list); err != nil {
		return nil, fmt.Errorf("unreadable message list from Discord")
	}
	found := map[int]bot.MessageRef{}
	for i := range list {
		m := &list[i]
		if m.Author != nil && !m.Author.Bot {
			continue
		}
		mk := markerOf(m)
		if mk == "" {
			continue
		}
		// Parts go up to the number of messages a digest can need; try
		// each index whose nonce matches (nonces may be hashed).
		j := strings.LastIndexByte(mk, '-')
		if j < 0 {
			continue
		}
		part, err := strconv.Atoi(mk[j+1:])
		if err != nil || part < 0 || Nonce(key, part) != mk {
			continue
		}
		if _, dup := found[part]; !dup {
			ch := m.ChannelID
			if ch == "" {
				ch = t.cfg.Channel
			}
			found[part] = bot.MessageRef{Channel: ch, ID: m.ID}
		}
	}
	refs := bot.InOrder(found)
	if len(refs) < len(found) {
		t.log.Warn("recover found messages after a gap; ignoring them", "key", key, "found", len(found), "contiguous", len(refs))
	}
	return refs, nil
}

// Edit makes refs show d: edits them in place (a message deleted meanwhile
// is posted anew), posts the parts missing at the end with key, and
// deletes surplus messages. On an error it returns the edited refs
// followed by the old ones not reached yet, so no message is forgotten.
func (t *Target) Edit(ctx context.Context, d *bot.Digest, key string, refs []bot.MessageRef) ([]bot.MessageRef, error) {
	msgs, err := bot.Rendered(d.Path, func() []*discordgo.MessageSend { return t.render(d, key) })
	if err != nil {
		return refs, err
	}
	out := make([]bot.MessageRef, 0, max(len(msgs), len(refs)))
	rest := func(from int) []bot.MessageRef {
		if from < len(refs) {
			return append(out, refs[from:]...)
		}
		return out
	}
	for i, m := range msgs {
		if i < len(refs) {
			err := t.editOne(ctx, refs[i], m)
			if err == nil {
				out = append(out, refs[i])
				continue
			}
			if CodeOf(err) != codeUnknownMessage {
				return rest(i), fmt.Errorf("edit message %d of %d: %w", i+1, len(msgs), err)
			}
			t.log.Info("message to edit is gone; posting it anew", "part", i)
		}
		ref, err := t.postOne(ctx, m, Nonce(key, i))
		if err != nil {
			return rest(i + 1), fmt.Errorf("post message %d of %d: %w", i+1, len(msgs), err)
		}
		out = append(out, ref)
	}
	for i := len(msgs); i < len(refs); i++ {
		if err := t.deleteOne(ctx, refs[i]); err != nil && CodeOf(err) != codeUnknownMessage {
			return rest(i), fmt.Errorf("delete surplus message %d: %w", i+1, err)
		}
	}
	return out, nil
}

func (t *Target) messageURL(ref bot.MessageRef) (u, bucket string) {
	if t.webhookID != "" {
		return discordgo.EndpointWebhookMessage(t.webhookID, t.token, ref.ID), "webhook-msg:" + t.webhookID
	}
	return discordgo.EndpointChannelMessage(ref.Channel, ref.ID), discordgo.EndpointChannelMessage(ref.Channel, "")
}

func (t *Target) editOne(ctx context.Context, ref bot.MessageRef, m *discordgo.MessageSend) error {
	body := editBody{Content: m.Content, Embeds: m.Embeds, Components: m.Components, AllowedMentions: m.AllowedMentions}
	if body.Embeds == nil {
		body.Embeds = []*discordgo.MessageEmbed{}
	}
	if body.Components == nil {
		body.Components = []discordgo.MessageComponent{}
	}
	u, bucket := t.messageURL(ref)
	_, err := t.call(ctx, "edit message", "PATCH", u, bucket, body)
	return err
}

func (t *Target) deleteOne(ctx context.Context, ref bot.MessageRef) error {
	u, bucket := t.messageURL(ref)
	_, err := t.call(ctx, "delete message", "DELETE", u, bucket, nil)
	return err
}
