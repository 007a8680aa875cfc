package discord

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Gateway answers interactions that arrive over Discord's gateway
// websocket: the mode for a bot without a public HTTP endpoint (no
// public_key configured). It needs no privileged intents: interactions
// reach every connected bot.
type Gateway struct {
	s   *discordgo.Session
	h   *Interactions
	log *slog.Logger
}

// NewGateway returns the gateway mode for session, answering with the
// same logic as the HTTP endpoint (cfg.PublicKey is not used). A nil
// logger discards.
func NewGateway(session *discordgo.Session, cfg InteractionsConfig, logger *slog.Logger) *Gateway {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Gateway{s: session, h: newInteractions(cfg, logger, false), log: logger}
}

// Run opens the gateway connection, answers interactions until ctx ends,
// then closes it. discordgo reconnects by itself after a dropped
// connection; Run returns an error only when the first connection fails
// (a bad token, no network).
func (g *Gateway) Run(ctx context.Context) error {
	g.s.Identify.Intents = discordgo.IntentsNone
	remove := g.s.AddHandler(func(s *discordgo.Session, ic *discordgo.InteractionCreate) {
		g.respond(ctx, s, ic.Interaction)
	})
	defer remove()
	if err := g.s.Open(); err != nil {
		return fmt.Errorf("discord gateway: %w", err)
	}
	g.log.Info("discord gateway connected; answering interactions")
	<-ctx.Done()
	if err := g.s.Close(); err != nil {
		g.log.Warn("discord gateway close", "err", err)
	}
	return nil
}

// respond answers one interaction with a callback POST.
func (g *Gateway) respond(ctx context.Context, s *discordgo.Session, in *discordgo.Interaction) {
	if in == nil {
		return
	}
	actx, cancel := context.WithTimeout(ctx, answerTimeout)
	defer cancel()
	resp := g.answer(actx, in)
	if resp == nil {
		return
	}
	// The callback must reach Discord within 3 seconds of the event.
	cctx, ccancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
	defer ccancel()
	if err := s.InteractionRespond(in, resp, discordgo.WithContext(cctx)); err != nil {
		g.log.Warn("discord interaction callback failed", "err", permanentError("interaction callback", err, in.Token))
	}
}

func (g *Gateway) answer(ctx context.Context, in *discordgo.Interaction) (resp *discordgo.InteractionResponse) {
	defer func() {
		if r := recover(); r != nil {
			g.log.Error("discord interaction panicked", "panic", fmt.Sprint(r))
			resp = ephemeral("Something went wrong on our side; the details are in the bot's log.")
		}
	}()
	if in.Type == discordgo.InteractionPing {
		return nil
	}
	resp, _ = g.h.answer(ctx, in)
	return resp
}
