package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/backoff"
	"github.com/paperbot/paperbot/formatter"
)

// MetadataEventType is the event_type of the metadata on every digest
// message; its payload is {"key": delivery key, "part": message index}.
const MetadataEventType = "paperbot_delivery"

// DefaultPace is the gap Slack asks for between messages to one channel.
const DefaultPace = time.Second

// Recovery window: how far back Recover looks for an interrupted send.
const (
	recoverMessages = 200
	recoverAge      = 7 * 24 * time.Hour
)

// Metrics counts what the adapter does; metrics.Platform implements it
// with Prometheus series. Methods must be quick and safe for concurrent
// use. A nil Metrics counts nothing.
type Metrics interface {
	// Error counts a permanent failure of the target (or "commands",
	// "interactions", "socket_mode") with Slack's error code
	// ("channel_not_found").
	Error(target, code string)
	// Retry counts a retry with its reason: "ratelimited", "transient".
	Retry(target, reason string)
	// Command counts an answered slash command ("paper", "digest") with
	// its duration and error (nil, or a domain error).
	Command(command string, d time.Duration, err error)
}

// noMetrics is the nil Metrics.
type noMetrics struct{}

func (noMetrics) Error(string, string)                 {}
func (noMetrics) Retry(string, string)                 {}
func (noMetrics) Command(string, time.Duration, error) {}

// TargetConfig configures one Slack channel a digest is delivered to.
type TargetConfig struct {
	Name    string
	Channel string
	// Tags and Keywords filter posts (see Match); empty takes every post.
	Tags     []string
	Keywords []string
	Details  formatter.SlackDetails
	SiteURL  string
	// Pace is the least gap between two messages to the channel: 0 means
	// DefaultPace, negative none.
	Pace time.Duration
	// Pacer books the channels' message slots. Targets that share one
	// (paperbot run gives every target of a workspace the same) keep Pace
	// between their messages to a shared channel; nil: a pacer of the
	// target's own.
	Pacer   *Pacer
	Retry   Retry
	Metrics Metrics
}

// Target delivers digests to one Slack channel. It implements bot.Target
// and bot.Matcher.
type Target struct {
	api *slack.Client
	cfg TargetConfig
	log *slog.Logger
}

var (
	_ bot.Target  = (*Target)(nil)
	_ bot.Matcher = (*Target)(nil)
)

// NewTarget returns the target for cfg.Channel, sending with client (whose
// API URL may point at a fake or GovSlack). A nil logger discards.
func NewTarget(client *slack.Client, cfg TargetConfig, logger *slog.Logger) *Target {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Pace == 0 {
		cfg.Pace = DefaultPace
	}
	if cfg.Pacer == nil {
		cfg.Pacer = NewPacer()
	}
	cfg.Retry = withDefaults(cfg.Retry)
	if cfg.Metrics == nil {
		cfg.Metrics = noMetrics{}
	}
	return &Target{api: client, cfg: cfg, log: logger.With("target", cfg.Name, "channel", cfg.Channel)}
}

// Name is the configured target name.
func (t *Target) Name() string { return t.cfg.Name }

// Match applies the target's tags and keywords (see bot.Filter).
func (t *Target) Match(d *bot.Digest) bool {
	return bot.Filter{Tags: t.cfg.Tags, Keywords: t.cfg.Keywords}.Match(d)
}

func (t *Target) render(d *bot.Digest) []formatter.SlackMessage {
	return formatter.Slack(d, formatter.SlackOptions{Details: t.cfg.Details, SiteURL: t.cfg.SiteURL})
}

func metadata(key string, part int) slack.SlackMetadata {
	return slack.SlackMetadata{EventType: MetadataEventType, EventPayload: map[string]any{"key": key, "part": part}}
}

func msgOptions(m formatter.SlackMessage, key string, part int) []slack.MsgOption {
	return []slack.MsgOption{
		// The formatter escapes mrkdwn itself; slack-go must not do it twice.
		slack.MsgOptionText(m.Text, false),
		slack.MsgOptionBlocks(m.Blocks...),
		slack.MsgOptionMetadata(metadata(key, part)),
		slack.MsgOptionDisableLinkUnfurl(),
		slack.MsgOptionDisableMediaUnfurl(),
	}
}

// Post sends d as new messages, part by part, and returns their refs.
func (t *Target) Post(ctx context.Context, d *bot.Digest, key string) ([]bot.MessageRef, error) {
	msgs, err := bot.Rendered(d.Path, func() []formatter.SlackMessage { return t.render(d) })
	if err != nil {
		return nil, err
	}
	refs, err := t.postFrom(ctx, msgs, key, 0, nil)
	if err != nil {
		return refs, fmt.Errorf("slack target %s: post %s: %w", t.cfg.Name, d.Path, err)
	}
	t.log.Info("digest posted", "post", d.Path, "messages", len(refs))
	return refs, nil
}

// postFrom posts msgs[from:] after the refs already out (refs[i] shows
// msgs[i] for i < from) and returns all refs.
func (t *Target) postFrom(ctx context.Context, msgs []formatter.SlackMessage, key string, from int, refs []bot.MessageRef) ([]bot.MessageRef, error) {
	for i := from; i < len(msgs); i++ {
		thread := ""
		if msgs[i].ThreadReply {
			thread = parentOf(refs)
		}
		ref, err := t.postOne(ctx, msgs[i], key, i, thread)
		if err != nil {
			return refs, fmt.Errorf("message %d of %d: %w", i+1, len(msgs), err)
		}
		refs = append(refs, ref)
	}
	return refs, nil
}

// parentOf is the nearest earlier message that is not a thread reply.
func parentOf(refs []bot.MessageRef) string {
	for i := len(refs) - 1; i >= 0; i-- {
		if refs[i].Thread == "" {
			return refs[i].ID
		}
	}
	return ""
}

// postOne posts one message with retries. A failure that leaves it unknown
// whether Slack took the message (a timeout, a 5xx) is followed by a look
// in the channel's history for the part's metadata before posting again,
// so a retry never doubles a message.
func (t *Target) postOne(ctx context.Context, m formatter.SlackMessage, key string, part int, thread string) (bot.MessageRef, error) {
	opts := msgOptions(m, key, part)
	if thread != "" {
		opts = append(opts, slack.MsgOptionTS(thread))
	}
	ref := bot.MessageRef{Channel: t.cfg.Channel, Thread: thread}
	// ambiguous: an attempt failed in a way that may have posted the
	// message (a timeout, a 5xx, a reset), and no look in the history
	// since has settled it.
	ambiguous := false
	err := t.do(ctx, "chat.postMessage", func(ctx context.Context) error {
		if ambiguous {
			found, ok, err := t.findPart(ctx, key, part, thread)
			if err != nil {
				return err
			}
			if ok {
				ref.ID = found
				return nil
			}
			ambiguous = false
		}
		_, ts, err := t.api.PostMessageContext(ctx, t.cfg.Channel, opts...)
		if err != nil {
			ambiguous = ambiguous || !refusedBeforeSending(err)
			return err
		}
		ref.ID = ts
		return nil
	})
	if err != nil && !ambiguous && !bot.IsPermanent(err) {
		// Every attempt was refused before anything was posted: the
		// engine may simply send again, without searching the history.
		err = bot.NotSent(err)
	}
	return ref, err
}

// refusedBeforeSending reports whether a failed chat.postMessage surely
// posted nothing: Slack answered with an error (a 429, ok:false, a 4xx), or
// the request never left the machine (a refused connection, DNS).
func refusedBeforeSending(err error) bool {
	var rl *slack.RateLimitedError
	var ser slack.SlackErrorResponse
	var sc slack.StatusCodeError
	switch {
	case errors.As(err, &rl), errors.As(err, &ser):
		return true
	case errors.As(err, &sc):
		return sc.Code < 500
	}
	return backoff.NotSent(err)
}

// findPart looks for a message of (key, part) among the recent messages;
// ok false with a nil error means it is surely not there.
func (t *Target) findPart(ctx context.Context, key string, part int, thread string) (string, bool, error) {
	refs, err := t.scan(ctx, key, thread != "")
	if err != nil {
		t.log.Warn("looking for an uncertain message failed", "err", err)
		return "", false, err
	}
	if r, ok := refs[part]; ok {
		return r.ID, true, nil
	}
	return "", false, nil
}

// do runs call with the pace, retries and backoff of the target, and turns
// a final failure into a *SlackError that names what to fix.
func (t *Target) do(ctx context.Context, op string, call func(context.Context) error) error {
	r := t.cfg.Retry
	unsent := 0 // attempts in a row that never left the machine
	for attempt := 0; ; attempt++ {
		// Slack's one-message-a-second guideline is about writes; reads
		// (history during Recover) have their own, looser tier.
		if strings.HasPrefix(op, "chat.") {
			if err := t.cfg.Pacer.wait(ctx, t.cfg.Channel, t.cfg.Pace); err != nil {
				return fmt.Errorf("%s: %w", op, err)
			}
		}
		cctx, cancel := context.WithTimeout(ctx, r.CallTimeout)
		err := call(cctx)
		cancel()
		if err == nil {
			return nil
		}
		kind, wait := classify(ctx, err)
		switch kind {
		case backoff.RateLimited:
			wait = max(wait, r.MinRetryAfter)
			t.cfg.Metrics.Retry(t.cfg.Name, "ratelimited")
			t.log.Warn("slack rate limit, waiting", "op", op, "retry_after", wait)
			// The channel's pacer waits too, so other targets of the channel
			// hold back as Slack asked.
			t.cfg.Pacer.delay(t.cfg.Channel, wait)
		case backoff.Transient:
			if unsent++; !backoff.NotSent(err) {
				unsent = 0
			}
			if unsent >= backoff.MaxUnsent {
				t.log.Warn("slack unreachable", "op", op, "attempts", unsent, "err", err)
				return fmt.Errorf("%s: %w", op, err)
			}
			wait = r.Delay(attempt)
			t.cfg.Metrics.Retry(t.cfg.Name, "transient")
			t.log.Warn("slack call failed, retrying", "op", op, "attempt", attempt+1, "wait", wait, "err", err)
		default:
			if ctx.Err() != nil {
				return fmt.Errorf("%s: %w (last error: %v)", op, ctx.Err(), err)
			}
			perr := permanentError(op, err)
			code := ErrorCodeOf(err)
			if code == "" {
				code = "unknown"
			}
			t.cfg.Metrics.Error(t.cfg.Name, code)
			t.log.Error("slack call failed permanently", "op", op, "code", code, "err", perr)
			return perr
		}
		if serr := sleep(ctx, wait); serr != nil {
			return fmt.Errorf("%s: gave up: %w (last error: %v)", op, serr, err)
		}
	}
}

// Recover finds the messages an interrupted Post with key left in the
// channel: the last recoverMessages top-level messages of the last
// recoverAge are searched for the key in their metadata (and, for thread
// details, the threads of those found). Refs come back in part order; a
// part missing in the middle ends the list there, so Edit completes it.
func (t *Target) Recover(ctx context.Context, key string) ([]bot.MessageRef, error) {
	parts, err := t.scan(ctx, key, t.cfg.Details == formatter.SlackThread)
	if err != nil {
		return nil, fmt.Errorf("slack target %s: look for the messages of %s: %w", t.cfg.Name, key, err)
	}
	refs := bot.InOrder(parts)
	if len(refs) < len(parts) {
		// Parts after a gap cannot be trusted to be in order: delete them so
		// Edit reposts them in place.
		for i, r := range parts {
			if i >= len(refs) {
				t.log.Warn("deleting an out-of-order recovered message", "part", i, "ts", r.ID)
				_ = t.do(ctx, "chat.delete", func(ctx context.Context) error {
					_, _, err := t.api.DeleteMessageContext(ctx, r.Channel, r.ID)
					return err
				})
			}
		}
	}
	if len(refs) > 0 {
		t.log.Info("recovered messages of an interrupted send", "key", key, "messages", len(refs))
	}
	return refs, nil
}

// scan reads the recent history (and threads, if asked) and returns the
// refs of the messages whose metadata carries key, by part.
func (t *Target) scan(ctx context.Context, key string, threads bool) (map[int]bot.MessageRef, error) {
	found := map[int]bot.MessageRef{}
	oldest := strconv.FormatInt(time.Now().Add(-recoverAge).Unix(), 10)
	cursor := ""
	seen := 0
	for seen < recoverMessages {
		var resp *slack.GetConversationHistoryResponse
		err := t.do(ctx, "conversations.history", func(ctx context.Context) error {
			var err error
			resp, err = t.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
				ChannelID: t.cfg.Channel, Cursor: cursor, Limit: min(100, recoverMessages-seen),
				Oldest: oldest, IncludeAllMetadata: true,
			})
			return err
		})
		if err != nil {
			return nil, err
		}
		seen += len(resp.Messages)
		for _, m := range resp.Messages {
			part, ok := partOf(m.Metadata, key)
			if !ok {
				continue
			}
			found[part] = bot.MessageRef{Channel: t.cfg.Channel, ID: m.Timestamp}
			if threads {
				if err := t.scanThread(ctx, key, m.Timestamp, found); err != nil {
					return nil, err
				}
			}
		}
		cursor = resp.ResponseMetaData.NextCursor
		if !resp.HasMore || cursor == "" || len(resp.Messages) == 0 {
			break
		}
	}
	return found, nil
}

func (t *Target) scanThread(ctx context.Context, key, parent string, found map[int]bot.MessageRef) error {
	cursor := ""
	for {
		var msgs []slack.Message
		var more bool
		var next string
		err := t.do(ctx, "conversations.replies", func(ctx context.Context) error {
			var err error
			msgs, more, next, err = t.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
				ChannelID: t.cfg.Channel, Timestamp: parent, Cursor: cursor, Limit: 200, IncludeAllMetadata: true,
			})
			return err
		})
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if m.Timestamp == parent {
				continue
			}
			if part, ok := partOf(m.Metadata, key); ok {
				found[part] = bot.MessageRef{Channel: t.cfg.Channel, ID: m.Timestamp, Thread: parent}
			}
		}
		if !more || next == "" {
			return nil
		}
		cursor = next
	}
}

// partOf reads the part number of a paperbot metadata with key.
func partOf(md slack.SlackMetadata, key string) (int, bool) {
	if md.EventType != MetadataEventType {
		return 0, false
	}
	if k, _ := md.EventPayload["key"].(string); k != key {
		return 0, false
	}
	switch p := md.EventPayload["part"].(type) {
	case float64:
		return int(p), p >= 0
	case int:
		return p, p >= 0
	case string:
		n, err := strconv.Atoi(p)
		return n, err == nil && n >= 0
	}
	return 0, false
}

// Edit makes refs show d: chat.update in place where the message keeps its
// place (top level or thread reply), new posts for the parts missing at the
// end, chat.delete for the parts left over. A message that would have to
// move between the channel and a thread cannot be updated: it and all after
// it are deleted and posted again.
func (t *Target) Edit(ctx context.Context, d *bot.Digest, key string, refs []bot.MessageRef) ([]bot.MessageRef, error) {
	msgs, err := bot.Rendered(d.Path, func() []formatter.SlackMessage { return t.render(d) })
	if err != nil {
		return refs, err
	}
	out := make([]bot.MessageRef, 0, len(msgs))
	fail := func(err error) ([]bot.MessageRef, error) {
		return out, fmt.Errorf("slack target %s: edit %s: %w", t.cfg.Name, d.Path, err)
	}
	i := 0
	for ; i < len(msgs) && i < len(refs); i++ {
		ref := refs[i]
		if (ref.Thread != "") != msgs[i].ThreadReply || (ref.Thread != "" && ref.Thread != parentOf(out)) {
			break
		}
		opts := msgOptions(msgs[i], key, i)
		err := t.do(ctx, "chat.update", func(ctx context.Context) error {
			_, _, _, err := t.api.UpdateMessageContext(ctx, ref.Channel, ref.ID, opts...)
			return err
		})
		if err != nil {
			return fail(fmt.Errorf("message %d of %d: %w", i+1, len(msgs), err))
		}
		out = append(out, ref)
	}
	// Delete what is left of the old messages, replies before their parent.
	for j := len(refs) - 1; j >= i; j-- {
		ref := refs[j]
		err := t.do(ctx, "chat.delete", func(ctx context.Context) error {
			_, _, err := t.api.DeleteMessageContext(ctx, ref.Channel, ref.ID)
			return err
		})
		if err != nil && ErrorCodeOf(err) != "message_not_found" {
			// Keep the undeleted tail in the result so nothing is forgotten.
			return out, fmt.Errorf("slack target %s: edit %s: delete %s: %w", t.cfg.Name, d.Path, ref.ID, err)
		}
	}
	out, err = t.postFrom(ctx, msgs, key, i, out)
	if err != nil {
		return fail(err)
	}
	t.log.Info("digest edited", "post", d.Path, "updated", i, "messages", len(out), "deleted", max(0, len(refs)-i))
	return out, nil
}

// Pacer spaces the messages to each channel: Slack asks for about one
// message per second per channel, and several targets may share a channel.
// It is safe for concurrent use.
type Pacer struct {
	mu   sync.Mutex
	next map[string]time.Time
}

// NewPacer returns a pacer with every channel free.
func NewPacer() *Pacer { return &Pacer{next: map[string]time.Time{}} }

// wait waits for the channel's next slot and books the one gap after it.
func (p *Pacer) wait(ctx context.Context, channel string, gap time.Duration) error {
	if gap < 0 {
		return ctx.Err()
	}
	p.mu.Lock()
	now := time.Now()
	at := p.next[channel]
	if at.Before(now) {
		at = now
	}
	p.next[channel] = at.Add(gap)
	p.mu.Unlock()
	return sleep(ctx, at.Sub(now))
}

// delay pushes the channel's next slot to at least now+d.
func (p *Pacer) delay(channel string, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if at := time.Now().Add(d); at.After(p.next[channel]) {
		p.next[channel] = at
	}
}
