package discord

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/formatter"
)

// DefaultMaxBody caps an interaction request body. Discord's are a few
// kilobytes; anything far larger is not from Discord.
const DefaultMaxBody = 64 << 10

// answerTimeout keeps an answer inside Discord's 3-second deadline.
const answerTimeout = 2500 * time.Millisecond

// InteractionsConfig configures the interactions endpoint.
type InteractionsConfig struct {
	// PublicKey is the application's Ed25519 key (config's discord.public_key).
	PublicKey ed25519.PublicKey
	// Commands answers /paper and /digest.
	Commands *bot.Commands
	// Store finds the paper of a Details button; nil uses Commands.Store.
	Store   bot.Store
	Details formatter.DiscordDetails
	SiteURL string
	// Now is the clock for the timestamp check (default time.Now).
	Now func() time.Time
	// MaxBody caps the request body (default DefaultMaxBody).
	MaxBody int64
}

// Interactions is the http.Handler for POST /discord/interactions: it
// verifies each request, answers PING with PONG, /paper and /digest with
// ephemeral messages, and a Details button with the paper's sections.
type Interactions struct {
	cfg InteractionsConfig
	log *slog.Logger
}

var _ http.Handler = (*Interactions)(nil)

// NewInteractions returns the handler. A nil logger discards.
func NewInteractions(cfg InteractionsConfig, logger *slog.Logger) *Interactions {
	return newInteractions(cfg, logger, true)
}

func newInteractions(cfg InteractionsConfig, logger *slog.Logger, needKey bool) *Interactions {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.Details == "" {
		cfg.Details = formatter.DiscordButtons
	}
	if cfg.Store == nil && cfg.Commands != nil {
		cfg.Store = cfg.Commands.Store
	}
	if needKey && len(cfg.PublicKey) != ed25519.PublicKeySize {
		logger.Error("discord public key missing or malformed: every interaction will be refused")
	}
	return &Interactions{cfg: cfg, log: logger}
}

func (h *Interactions) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read the request body", http.StatusBadRequest)
		return
	}
	if err := verifyRequest(r.Header, body, h.cfg.PublicKey, h.cfg.Now()); err != nil {
		h.log.Warn("discord interaction refused", "err", err, "remote", r.RemoteAddr)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), answerTimeout)
	defer cancel()
	resp, status := h.Handle(ctx, body)
	if resp == nil {
		http.Error(w, "unsupported interaction", status)
		return
	}
	out, err := json.Marshal(resp)
	if err != nil {
		h.log.Error("encode interaction response", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
}

// Handle answers one verified interaction body. It returns the response
// and 200, or nil and the HTTP status for a body it cannot answer. It
// never panics.
func (h *Interactions) Handle(ctx context.Context, body []byte) (resp *discordgo.InteractionResponse, status int) {
	defer func() {
		if r := recover(); r != nil {
			h.log.Error("discord interaction panicked", "panic", fmt.Sprint(r))
			resp, status = ephemeral("Something went wrong on our side; the details are in the bot's log."), http.StatusOK
		}
	}()
	var in discordgo.Interaction
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, http.StatusBadRequest
	}
	return h.answer(ctx, &in)
}

// answer answers one interaction (from HTTP or the gateway): nil and a
// status for one it does not handle.
func (h *Interactions) answer(ctx context.Context, in *discordgo.Interaction) (*discordgo.InteractionResponse, int) {
	switch in.Type {
	case discordgo.InteractionPing:
		return &discordgo.InteractionResponse{Type: discordgo.InteractionResponsePong}, http.StatusOK
	case discordgo.InteractionApplicationCommand:
		data, ok := in.Data.(discordgo.ApplicationCommandInteractionData)
		if !ok {
			return nil, http.StatusBadRequest
		}
		return h.command(ctx, data), http.StatusOK
	case discordgo.InteractionMessageComponent:
		data, ok := in.Data.(discordgo.MessageComponentInteractionData)
		if !ok {
			return nil, http.StatusBadRequest
		}
		return h.component(ctx, data), http.StatusOK
	}
	return nil, http.StatusBadRequest
}

func option(data discordgo.ApplicationCommandInteractionData, name string) string {
	for _, o := range data.Options {
		if o != nil && o.Name == name {
			if s, ok := o.Value.(string); ok {
				return s
			}
		}
	}
	return ""
}

func (h *Interactions) opts() formatter.DiscordOptions {
	return formatter.DiscordOptions{Details: h.cfg.Details, SiteURL: h.cfg.SiteURL}
}

func (h *Interactions) command(ctx context.Context, data discordgo.ApplicationCommandInteractionData) *discordgo.InteractionResponse {
	if h.cfg.Commands == nil {
		return ephemeral("Commands are not set up on this bot.")
	}
	switch data.Name {
	case "paper":
		ans, err := h.cfg.Commands.Paper(ctx, option(data, "query"))
		if err != nil {
			return h.failure("paper", err)
		}
		switch {
		case ans.Hit != nil:
			return h.reply(formatter.DiscordPaper(&ans.Hit.Paper, ans.Hit.Post, h.opts()))
		case len(ans.Results) > 0:
			return h.reply(formatter.DiscordSearch(ans))
		default:
			return ephemeral(bot.PaperHelp)
		}
	case "digest":
		d, err := h.cfg.Commands.Digest(ctx, option(data, "date"))
		if err != nil {
			return h.failure("digest", err)
		}
		return h.reply(formatter.DiscordDigestReply(d, h.opts()))
	}
	return ephemeral("Unknown command.")
}

func (h *Interactions) component(ctx context.Context, data discordgo.MessageComponentInteractionData) *discordgo.InteractionResponse {
	day, n, ok := formatter.ParseDiscordDetailsID(data.CustomID)
	if !ok {
		return ephemeral("This button is not one of paperbot's.")
	}
	if h.cfg.Store == nil || day == "" {
		return ephemeral("That paper is no longer in the posts.")
	}
	posts, err := h.cfg.Store.PostsOn(ctx, day)
	if err != nil {
		return h.failure("details", err)
	}
	// Published posts first: a draft of the same day is the fallback.
	for _, drafts := range []bool{false, true} {
		for _, d := range posts {
			if d.Draft != drafts {
				continue
			}
			for i := range d.Papers {
				if p := &d.Papers[i]; p.Number == n {
					post := bot.PostRef{Date: d.Date, Title: d.Title, Path: d.Path}
					return h.reply(formatter.DiscordPaper(p, post, formatter.DiscordOptions{Details: formatter.DiscordInline, SiteURL: h.cfg.SiteURL}))
				}
			}
		}
	}
	return ephemeral("That paper is no longer in the posts.")
}

// failure turns an error into an ephemeral sentence safe for users; the
// log gets the details of internal ones.
func (h *Interactions) failure(op string, err error) *discordgo.InteractionResponse {
	if c := bot.ErrorCode(err); c != bot.ENOTFOUND && c != bot.EINVALID {
		h.log.Error("discord command failed", "command", op, "err", err)
	}
	return ephemeral(bot.ErrorMessage(err))
}

// reply makes m an ephemeral answer after checking it against Discord's
// limits; a message that fails the check (a rendering bug) is replaced by
// a sentence rather than refused by Discord.
func (h *Interactions) reply(m *discordgo.MessageSend) *discordgo.InteractionResponse {
	if err := formatter.CheckDiscordMessage(m); err != nil {
		h.log.Error("discord answer breaks the limits", "err", err)
		return ephemeral("That answer is too large to show here; see the blog post.")
	}
	return &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{
			Content:         m.Content,
			Embeds:          m.Embeds,
			Components:      m.Components,
			AllowedMentions: noMentions(),
			Flags:           discordgo.MessageFlagsEphemeral,
		},
	}
}

func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

// ephemeral is a plain-text answer only the user sees.
func ephemeral(text string) *discordgo.InteractionResponse {
	m := formatter.DiscordNotice(text)
	return &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{
			Content:         m.Content,
			AllowedMentions: m.AllowedMentions,
			Flags:           discordgo.MessageFlagsEphemeral,
		},
	}
}
