package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/formatter"
)

// Defaults of HandlerConfig.
const (
	// DefaultAnswerWithin leaves half a second of Slack's 3-second deadline
	// for the network.
	DefaultAnswerWithin = 2500 * time.Millisecond
	// DefaultWorkTimeout bounds the work behind one command or click,
	// including the follow-ups sent to its response_url.
	DefaultWorkTimeout = 30 * time.Second
)

// workingText is the interim answer of a command that takes longer than
// AnswerWithin; the answer replaces it through the response_url.
const workingText = "Working on it…"

// HandlerConfig is what the slash-command and interactivity handlers need.
type HandlerConfig struct {
	// Client posts shared cards and digests (chat.postMessage), updates
	// channel messages (chat.update) and fetches permalinks.
	Client *slack.Client
	// SigningSecret verifies requests over HTTP (unused by Socket Mode).
	SigningSecret string
	Commands      *bot.Commands
	// Details and SiteURL render cards and digests as the targets do.
	Details formatter.SlackDetails
	SiteURL string
	// HTTPClient posts to response_urls (nil: a client with a 10 s timeout).
	HTTPClient *http.Client
	// MaxBody caps request bodies (default DefaultMaxBody).
	MaxBody int64
	// AnswerWithin is how long a command may take before the interim
	// "Working on it…" answer (default DefaultAnswerWithin).
	AnswerWithin time.Duration
	// WorkTimeout bounds a command's or click's whole work (default
	// DefaultWorkTimeout).
	WorkTimeout time.Duration
	Metrics     Metrics
	// Now is the clock for the signature window (nil: time.Now).
	Now func() time.Time
}

// Handler answers /paper and /digest and the buttons of paperbot's
// messages, over HTTP (CommandsHandler, InteractionsHandler) or Socket Mode
// (SocketMode); the logic is shared.
type Handler struct {
	cfg  HandlerConfig
	log  *slog.Logger
	http *http.Client
	wg   sync.WaitGroup
}

// NewHandler returns a Handler; a nil logger discards.
func NewHandler(cfg HandlerConfig, logger *slog.Logger) *Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.AnswerWithin <= 0 {
		cfg.AnswerWithin = DefaultAnswerWithin
	}
	if cfg.WorkTimeout <= 0 {
		cfg.WorkTimeout = DefaultWorkTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Metrics == nil {
		cfg.Metrics = noMetrics{}
	}
	if cfg.Details == "" {
		cfg.Details = formatter.SlackContainer
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	return &Handler{cfg: cfg, log: logger.With("component", "slack"), http: hc}
}

// Register adds POST /slack/commands and POST /slack/interactions to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.Handle("POST /slack/commands", h.CommandsHandler())
	mux.Handle("POST /slack/interactions", h.InteractionsHandler())
}

// Wait blocks until the background work of earlier requests (follow-ups
// on response_urls, shares) is done: for tests and graceful shutdown.
func (h *Handler) Wait() { h.wg.Wait() }

func (h *Handler) goBackground(f func()) {
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		defer func() {
			if p := recover(); p != nil {
				h.log.Error("panic in slack background work", "panic", p)
			}
		}()
		f()
	}()
}

// CommandsHandler serves POST /slack/commands: it verifies the signature
// on the raw body before parsing anything, then answers like
// HandleCommand.
func (h *Handler) CommandsHandler() http.Handler {
	return h.verified(func(w http.ResponseWriter, r *http.Request) {
		cmd, err := slack.SlashCommandParse(r)
		if err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		msg, after := h.handleCommand(r.Context(), cmd)
		writeMsg(w, msg)
		if f, ok := w.(http.Flusher); ok {
			// Let the answer reach Slack before its follow-ups.
			f.Flush()
		}
		if after != nil {
			h.goBackground(after)
		}
	})
}

// verified serves next only for a request signed with the signing secret:
// the body is read (at most MaxBody) and its signature and age checked
// before anything parses it; any other request is refused and logged.
// Both Slack endpoints go through it, so neither can forget the check.
func (h *Handler) verified(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := readVerified(r, h.cfg.SigningSecret, h.cfg.MaxBody, h.cfg.Now()); err != nil {
			h.refuse(w, r, err)
			return
		}
		next(w, r)
	})
}

func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, err error) {
	status := verifyStatus(err)
	h.log.Warn("slack request refused", "path", r.URL.Path, "status", status, "reason", err)
	http.Error(w, http.StatusText(status), status)
}

func writeMsg(w http.ResponseWriter, msg *slack.Msg) {
	body, err := json.Marshal(msg)
	if err != nil {
		http.Error(w, "encode", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(body)
}

// HandleCommand answers a slash command: the returned message is the
// immediate (ephemeral) answer; longer answers and the rest of a
// multi-message digest follow on the command's response_url in the
// background (see Wait).
func (h *Handler) HandleCommand(ctx context.Context, cmd slack.SlashCommand) *slack.Msg {
	msg, after := h.handleCommand(ctx, cmd)
	if after != nil {
		h.goBackground(after)
	}
	return msg
}

// handleCommand answers within AnswerWithin when it can; otherwise it
// answers "Working on it…" and after() delivers the answer through the
// response_url, replacing that interim message. after, when not nil, must
// be run once the first answer is on its way.
func (h *Handler) handleCommand(ctx context.Context, cmd slack.SlashCommand) (*slack.Msg, func()) {
	work, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.cfg.WorkTimeout)
	res := make(chan []slack.Msg, 1)
	h.goBackground(func() { res <- h.answer(work, cmd) })
	timer := time.NewTimer(h.cfg.AnswerWithin)
	defer timer.Stop()
	select {
	case msgs := <-res:
		if len(msgs) == 1 {
			cancel()
			return &msgs[0], nil
		}
		return &msgs[0], func() {
			defer cancel()
			h.respondAll(work, cmd.ResponseURL, msgs[1:], false)
		}
	case <-timer.C:
		h.log.Info("slow command, answering through response_url", "command", cmd.Command)
		working := ephemeral(formatter.SlackNotice(workingText))
		return &working, func() {
			defer cancel()
			var msgs []slack.Msg
			select {
			case msgs = <-res:
			case <-work.Done():
				msgs = []slack.Msg{ephemeral(formatter.SlackNotice("Sorry, that took too long; please try again."))}
			}
			h.respondAll(work, cmd.ResponseURL, msgs, true)
		}
	}
}

// respondAll posts msgs to a response_url in order; replaceFirst replaces
// the message the command answered with first.
func (h *Handler) respondAll(ctx context.Context, responseURL string, msgs []slack.Msg, replaceFirst bool) {
	for i, m := range msgs {
		m.ReplaceOriginal = replaceFirst && i == 0
		if err := h.respond(ctx, responseURL, m); err != nil {
			h.log.Error("response_url post failed", "part", i+1, "of", len(msgs), "err", err)
			return
		}
	}
}

// respond posts one message to a response_url, retrying 429s and 5xx a
// few times within ctx.
func (h *Handler) respond(ctx context.Context, responseURL string, m slack.Msg) error {
	if responseURL == "" {
		return errors.New("no response_url")
	}
	body, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	var last error
	for attempt := 0; attempt < 4; attempt++ {
		if attempt > 0 {
			if err := sleep(ctx, time.Duration(attempt)*250*time.Millisecond); err != nil {
				return fmt.Errorf("response_url: %w (last error: %v)", err, last)
			}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, responseURL, bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("response_url: %w", err)
		}
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		resp, err := h.http.Do(req)
		if err != nil {
			last = err
			continue
		}
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusOK:
			return nil
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
			last = fmt.Errorf("response_url: HTTP %d", resp.StatusCode)
		default:
			return fmt.Errorf("response_url: HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(msg))
		}
	}
	return last
}

// answer computes the whole answer to a command as ephemeral messages.
func (h *Handler) answer(ctx context.Context, cmd slack.SlashCommand) []slack.Msg {
	var msgs []formatter.SlackMessage
	var err error
	start := time.Now()
	name := strings.ToLower(strings.TrimPrefix(cmd.Command, "/"))
	if strings.Contains(name, "digest") {
		msgs, err = h.digest(ctx, cmd)
		h.cfg.Metrics.Command("digest", time.Since(start), err)
	} else {
		msgs, err = h.paper(ctx, cmd)
		h.cfg.Metrics.Command("paper", time.Since(start), err)
	}
	if err != nil {
		code := bot.ErrorCode(err)
		if code == bot.EINTERNAL || code == bot.EUNAVAILABLE {
			h.log.Error("command failed", "command", cmd.Command, "text", cmd.Text, "err", err)
			h.cfg.Metrics.Error("commands", code)
		} else {
			h.log.Info("command answered with an error", "command", cmd.Command, "text", cmd.Text, "code", code, "err", err)
		}
		msgs = []formatter.SlackMessage{formatter.SlackNotice(bot.ErrorMessage(err))}
	}
	out := make([]slack.Msg, len(msgs))
	for i, m := range msgs {
		out[i] = ephemeral(m)
	}
	return out
}

func ephemeral(m formatter.SlackMessage) slack.Msg {
	return slack.Msg{ResponseType: slack.ResponseTypeEphemeral, Text: m.Text, Blocks: slack.Blocks{BlockSet: m.Blocks}}
}

func (h *Handler) opts() formatter.SlackOptions {
	return formatter.SlackOptions{Details: h.cfg.Details, SiteURL: h.cfg.SiteURL}
}

// paper answers /paper: help, one paper's card, or the best matches.
func (h *Handler) paper(ctx context.Context, cmd slack.SlashCommand) ([]formatter.SlackMessage, error) {
	ans, err := h.cfg.Commands.Paper(ctx, cmd.Text)
	if err != nil {
		return nil, err
	}
	switch {
	case ans.Hit != nil:
		card := formatter.SlackPaper(&ans.Hit.Paper, ans.Hit.Post, h.opts())
		if pl := h.permalink(ctx, ans.Hit, cmd.ChannelID); pl != "" {
			card = formatter.SlackWithPermalink(card, pl)
		}
		return []formatter.SlackMessage{card}, nil
	case len(ans.Results) > 0:
		return []formatter.SlackMessage{formatter.SlackSearch(ans)}, nil
	default:
		return []formatter.SlackMessage{formatter.SlackNotice(bot.PaperHelp + "\n" + bot.DigestHelp)}, nil
	}
}

// permalink returns a link to the message in channel that carried hit's
// paper when its post was delivered there, else "".
func (h *Handler) permalink(ctx context.Context, hit *bot.PaperHit, channel string) string {
	if channel == "" || h.cfg.Client == nil {
		return ""
	}
	dels, err := h.cfg.Commands.Store.Deliveries(ctx, hit.Post.Path)
	if err != nil {
		h.log.Warn("reading deliveries for a permalink", "post", hit.Post.Path, "err", err)
		return ""
	}
	var refs []bot.MessageRef
	for _, d := range dels {
		if d.State != bot.DeliverySent && d.State != bot.DeliverySending {
			continue
		}
		if len(d.Refs) > 0 && d.Refs[0].Channel == channel {
			refs = d.Refs
			break
		}
	}
	if len(refs) == 0 {
		return ""
	}
	ref := refs[0]
	if len(refs) > 1 {
		// Point at the message that holds the paper, found by its block id
		// in the digest as the targets render it.
		if d, err := h.cfg.Commands.Store.Post(ctx, hit.Post.Path); err == nil {
			if i := messageWithPaper(formatter.Slack(d, h.opts()), hit.Paper.Number); i >= 0 && i < len(refs) {
				ref = refs[i]
			}
		}
	}
	pctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	pl, err := h.cfg.Client.GetPermalinkContext(pctx, &slack.PermalinkParameters{Channel: ref.Channel, Ts: ref.ID})
	if err != nil {
		h.log.Warn("chat.getPermalink failed", "channel", ref.Channel, "ts", ref.ID, "err", err)
		return ""
	}
	return pl
}

// messageWithPaper is the index of the message holding paper n's title
// block, or -1.
func messageWithPaper(msgs []formatter.SlackMessage, n int) int {
	id := formatter.SlackPaperBlockID(n)
	for i, m := range msgs {
		for _, b := range m.Blocks {
			if b.ID() == id {
				return i
			}
		}
	}
	return -1
}

// digest answers /digest: that day's digest with a "Share in channel"
// button.
func (h *Handler) digest(ctx context.Context, cmd slack.SlashCommand) ([]formatter.SlackMessage, error) {
	arg := strings.TrimSpace(cmd.Text)
	if strings.EqualFold(arg, "help") {
		return []formatter.SlackMessage{formatter.SlackNotice(bot.DigestHelp)}, nil
	}
	d, err := h.cfg.Commands.Digest(ctx, arg)
	if err != nil {
		return nil, err
	}
	msgs := formatter.Slack(d, h.opts())
	return formatter.SlackWithShare(msgs, "digest:"+d.Day()), nil
}
