package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/formatter"
)

// InteractionsHandler serves POST /slack/interactions: it verifies the
// signature on the raw body, acknowledges at once with 200 and does the
// work in the background (HandleInteraction).
func (h *Handler) InteractionsHandler() http.Handler {
	return h.verified(func(w http.ResponseWriter, r *http.Request) {
		cb, err := slack.InteractionCallbackParse(r)
		if err != nil {
			http.Error(w, "bad payload", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusOK)
		h.HandleInteraction(r.Context(), cb)
	})
}

// HandleInteraction starts the work a button click asks for in the
// background (see Wait) and returns at once, so the caller can acknowledge
// within Slack's 3 seconds.
//
// Details/Hide re-render the clicked message with that paper unfolded or
// folded and replace it in place: an ephemeral message through the
// response_url (replace_original), a channel message with chat.update
// (which keeps working after the response_url expires, and keeps the
// delivery metadata Recover relies on). Share in channel posts the card
// or digest with chat.postMessage and deletes the ephemeral original.
func (h *Handler) HandleInteraction(ctx context.Context, cb slack.InteractionCallback) {
	if cb.Type != slack.InteractionTypeBlockActions {
		return
	}
	for _, a := range cb.ActionCallback.BlockActions {
		a := *a
		h.goBackground(func() {
			work, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.cfg.WorkTimeout)
			defer cancel()
			var err error
			switch a.ActionID {
			case formatter.SlackActionDetails:
				err = h.toggle(work, cb, a.Value, true)
			case formatter.SlackActionHide:
				err = h.toggle(work, cb, a.Value, false)
			case formatter.SlackActionShare:
				err = h.share(work, cb, a.Value)
			default:
				return
			}
			if err != nil {
				h.interactionFailed(work, cb, a.ActionID, err)
			}
		})
	}
}

func (h *Handler) interactionFailed(ctx context.Context, cb slack.InteractionCallback, action string, err error) {
	code := bot.ErrorCode(err)
	if c := ErrorCodeOf(err); c != "" {
		code = c
	}
	h.log.Error("button failed", "action", action, "code", code, "err", err)
	h.cfg.Metrics.Error("interactions", code)
	text := bot.ErrorMessage(err)
	switch ErrorCodeOf(err) {
	case "not_in_channel", "channel_not_found":
		text = "I can't post in this channel: invite me first (/invite @paperbot)."
	}
	m := ephemeral(formatter.SlackNotice(text))
	if rerr := h.respond(ctx, cb.ResponseURL, m); rerr != nil {
		h.log.Warn("could not tell the user", "err", rerr)
	}
}

// action is a button found in a message's blocks.
type action struct {
	ActionID string `json:"action_id"`
	Value    string `json:"value"`
}

// actionsIn lists the buttons of blocks (accessories, actions blocks and
// container children alike) by walking their JSON.
func actionsIn(blocks slack.Blocks) []action {
	raw, err := json.Marshal(blocks)
	if err != nil {
		return nil
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	var out []action
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if id, ok := v["action_id"].(string); ok {
				val, _ := v["value"].(string)
				out = append(out, action{id, val})
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	return out
}

// toggle unfolds (expand) or folds paper n of the post in value.
func (h *Handler) toggle(ctx context.Context, cb slack.InteractionCallback, value string, expand bool) error {
	path, n, ok := formatter.ParseSlackDetailsValue(value)
	if !ok {
		return bot.Errorf(bot.EINVALID, "That button is broken; try /paper again.")
	}
	d, err := h.cfg.Commands.Store.Post(ctx, path)
	if err != nil {
		if bot.ErrorCode(err) == bot.ENOTFOUND {
			return fmt.Errorf("toggle %s: %w", path, bot.Errorf(bot.ENOTFOUND, "That post is gone from the index."))
		}
		return fmt.Errorf("toggle %s: %w", path, err)
	}
	old := actionsIn(cb.Message.Blocks)
	expanded := map[int]bool{}
	share := ""
	for _, a := range old {
		switch a.ActionID {
		case formatter.SlackActionHide:
			if p, k, ok := formatter.ParseSlackDetailsValue(a.Value); ok && p == path {
				expanded[k] = true
			}
		case formatter.SlackActionShare:
			share = a.Value
		}
	}
	if expand {
		expanded[n] = true
	} else {
		delete(expanded, n)
	}
	opts := formatter.SlackOptions{Details: formatter.SlackButtons, SiteURL: h.cfg.SiteURL, Expanded: expanded}

	var msg formatter.SlackMessage
	part := -1
	if strings.HasPrefix(share, "paper:") {
		// A /paper card: one paper, rendered as a card again.
		p := paperNumber(d, n)
		if p == nil {
			return bot.Errorf(bot.ENOTFOUND, "That paper is gone from the post.")
		}
		msg = formatter.SlackPaper(p, bot.PostRef{Date: d.Date, Title: d.Title, Path: d.Path}, opts)
	} else {
		msgs := formatter.Slack(d, opts)
		part = messageWithPaper(msgs, n)
		if part < 0 {
			return bot.Errorf(bot.ENOTFOUND, "That paper is gone from the post.")
		}
		msg = msgs[part]
		if !slices.Equal(papersIn(msg.Blocks), papersIn(cb.Message.Blocks.BlockSet)) {
			// Unfolded, the message's papers no longer fit in one message
			// (the renderer split them): changing it in place would drop
			// papers, so the clicker gets the paper's details on their own.
			p := paperNumber(d, n)
			h.log.Info("expanded paper does not fit its message; answering with its card", "post", path, "paper", n)
			card := formatter.SlackPaper(p, bot.PostRef{Date: d.Date, Title: d.Title, Path: d.Path}, formatter.SlackOptions{Details: formatter.SlackInline, SiteURL: h.cfg.SiteURL})
			return h.respond(ctx, cb.ResponseURL, ephemeral(card))
		}
		if share != "" && !slices.ContainsFunc(actionsIn(slack.Blocks{BlockSet: msg.Blocks}), func(a action) bool { return a.ActionID == formatter.SlackActionShare }) {
			if m := formatter.SlackWithShare([]formatter.SlackMessage{msg}, share); len(m) == 1 {
				msg = m[0]
			}
		}
	}

	if cb.Container.IsEphemeral || cb.Container.ChannelID == "" || cb.Container.MessageTs == "" || h.cfg.Client == nil {
		m := ephemeral(msg)
		m.ReplaceOriginal = true
		return h.respond(ctx, cb.ResponseURL, m)
	}
	// A channel message: chat.update, keeping its delivery metadata.
	opt := []slack.MsgOption{slack.MsgOptionText(msg.Text, false), slack.MsgOptionBlocks(msg.Blocks...)}
	if key, i := h.deliveryOf(ctx, path, cb.Container.ChannelID, cb.Container.MessageTs); key != "" {
		opt = append(opt, slack.MsgOptionMetadata(metadata(key, i)))
	}
	_, _, _, err = h.cfg.Client.UpdateMessageContext(ctx, cb.Container.ChannelID, cb.Container.MessageTs, opt...)
	if err != nil {
		h.log.Warn("chat.update of a clicked message failed; using the response_url", "err", err)
		m := ephemeral(msg)
		m.ResponseType = ""
		m.ReplaceOriginal = true
		return h.respond(ctx, cb.ResponseURL, m)
	}
	return nil
}

// papersIn lists, in order, the numbers of the papers whose title blocks
// (formatter.SlackPaperBlockID) are in blocks.
func papersIn(blocks []slack.Block) []int {
	var out []int
	for _, b := range blocks {
		if b == nil {
			continue
		}
		if rest, ok := strings.CutPrefix(b.ID(), "paper-"); ok {
			if n, err := strconv.Atoi(rest); err == nil && formatter.SlackPaperBlockID(n) == b.ID() {
				out = append(out, n)
			}
		}
	}
	return out
}

func paperNumber(d *bot.Digest, n int) *bot.Paper {
	for i := range d.Papers {
		if d.Papers[i].Number == n {
			return &d.Papers[i]
		}
	}
	return nil
}

// deliveryOf finds the delivery key and part of a channel message.
func (h *Handler) deliveryOf(ctx context.Context, post, channel, ts string) (string, int) {
	dels, err := h.cfg.Commands.Store.Deliveries(ctx, post)
	if err != nil {
		return "", 0
	}
	for _, d := range dels {
		for i, r := range d.Refs {
			if r.Channel == channel && r.ID == ts {
				return d.Key, i
			}
		}
	}
	return "", 0
}

// share posts a card ("paper:<id>") or a digest ("digest:<day>") to the
// channel the click came from, then deletes the ephemeral original.
func (h *Handler) share(ctx context.Context, cb slack.InteractionCallback, value string) error {
	kind, arg, _ := strings.Cut(value, ":")
	var msgs []formatter.SlackMessage
	switch kind {
	case "paper":
		id, _, ok := bot.ParseArxivID(arg)
		if !ok {
			return bot.Errorf(bot.EINVALID, "That button is broken; try /paper again.")
		}
		hit, err := h.cfg.Commands.Store.Paper(ctx, id)
		if err != nil {
			return fmt.Errorf("share paper %s: %w", id, err)
		}
		card := formatter.SlackPaper(&hit.Paper, hit.Post, h.opts())
		msgs = []formatter.SlackMessage{withoutShare(card)}
	case "digest":
		d, err := h.cfg.Commands.Digest(ctx, arg)
		if err != nil {
			return fmt.Errorf("share digest %s: %w", arg, err)
		}
		msgs = formatter.Slack(d, h.opts())
	default:
		return bot.Errorf(bot.EINVALID, "That button is broken; try the command again.")
	}
	msgs[0] = formatter.SlackWithSharedBy(msgs[0], cb.User.ID)
	channel := cb.Container.ChannelID
	if channel == "" {
		channel = cb.Channel.ID
	}
	if err := h.postShared(ctx, channel, msgs); err != nil {
		code := ErrorCodeOf(err)
		if (code != "not_in_channel" && code != "channel_not_found") || cb.ResponseURL == "" {
			return err
		}
		// The bot is not in the channel, but the command's response_url
		// may still post there as the app.
		h.log.Info("sharing through the response_url", "reason", code)
		for _, m := range msgs {
			sm := ephemeral(m)
			sm.ResponseType = slack.ResponseTypeInChannel
			if err := h.respond(ctx, cb.ResponseURL, sm); err != nil {
				return fmt.Errorf("share via response_url: %w", err)
			}
		}
	}
	if err := h.respond(ctx, cb.ResponseURL, slack.Msg{DeleteOriginal: true}); err != nil {
		h.log.Warn("deleting the ephemeral original failed", "err", err)
	}
	return nil
}

// postShared posts msgs to channel, thread replies under their parent.
func (h *Handler) postShared(ctx context.Context, channel string, msgs []formatter.SlackMessage) error {
	if h.cfg.Client == nil {
		return fmt.Errorf("share: no Slack client")
	}
	parent := ""
	for i, m := range msgs {
		opts := []slack.MsgOption{slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...), slack.MsgOptionDisableLinkUnfurl()}
		if m.ThreadReply && parent != "" {
			opts = append(opts, slack.MsgOptionTS(parent))
		}
		_, ts, err := h.cfg.Client.PostMessageContext(ctx, channel, opts...)
		if err != nil {
			return permanentError(fmt.Sprintf("share message %d of %d", i+1, len(msgs)), err)
		}
		if !m.ThreadReply {
			parent = ts
		}
	}
	return nil
}

// withoutShare drops the "Share in channel" button from a card that is
// being shared.
func withoutShare(m formatter.SlackMessage) formatter.SlackMessage {
	out := formatter.SlackMessage{Text: m.Text, ThreadReply: m.ThreadReply}
	for _, b := range m.Blocks {
		if ab, ok := b.(*slack.ActionBlock); ok && ab.Elements != nil {
			keep := false
			for _, e := range ab.Elements.ElementSet {
				if btn, ok := e.(*slack.ButtonBlockElement); !ok || btn.ActionID != formatter.SlackActionShare {
					keep = true
				}
			}
			if !keep {
				continue
			}
		}
		out.Blocks = append(out.Blocks, b)
	}
	return out
}
