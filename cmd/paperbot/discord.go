package main

import (
	"context"
	"fmt"

	"github.com/bwmarrin/discordgo"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/discord"
	"github.com/paperbot/paperbot/bot/metrics"
)

// discordSession is the one Discord REST session of the config (nil when no
// bot token is set: webhook targets need none).
func (m *Main) discordSession() (*discordgo.Session, error) {
	if m.discord != nil || m.Config.Discord.BotToken == "" {
		return m.discord, nil
	}
	s, err := discord.NewSession(m.Config.Discord.BotToken, m.Config.Discord.APIURL)
	if err != nil {
		return nil, fmt.Errorf("discord: %w", err)
	}
	m.discord = s
	return s, nil
}

// discordTargets builds the Discord targets of the config.
func (m *Main) discordTargets(obs *metrics.Metrics) ([]bot.Target, error) {
	cfg := m.Config.Discord
	if len(cfg.Targets) == 0 {
		return nil, nil
	}
	session, err := m.discordSession()
	if err != nil {
		return nil, err
	}
	if session == nil {
		// Webhook targets use the session only as an HTTP client.
		if session, err = discord.NewWebhookSession(cfg.APIURL); err != nil {
			return nil, fmt.Errorf("discord: %w", err)
		}
	}
	var targets []bot.Target
	for i, t := range cfg.Targets {
		target, err := discord.NewTarget(session, discord.TargetConfig{
			Name:       t.Name,
			Channel:    t.Channel,
			WebhookURL: t.WebhookURL,
			Tags:       t.Tags,
			Keywords:   t.Keywords,
			Details:    m.settings.DiscordDetails,
			SiteURL:    m.Config.Posts.SiteURL,
			Retry:      m.Timing.CallRetry,
			Metrics:    obs.Platform("discord"),
		}, m.Logger.With("component", "discord"))
		if err != nil {
			return nil, fmt.Errorf("config: discord.targets[%d]: %w", i, err)
		}
		targets = append(targets, target)
	}
	return targets, nil
}

// openDiscordCommands registers /paper and /digest and serves them: over
// HTTP when a public key is set, else over the gateway (started by Run).
func (m *Main) openDiscordCommands(ctx context.Context, commands *bot.Commands) error {
	cfg := m.Config.Discord
	if cfg.BotToken == "" || cfg.ApplicationID == "" {
		return nil
	}
	session, err := m.discordSession()
	if err != nil {
		return err
	}
	if err := discord.RegisterCommands(ctx, session, cfg.ApplicationID, cfg.Guilds); err != nil {
		// The bot still delivers; commands come back at the next start.
		m.Logger.Error("discord: registering commands failed", "err", err)
	}
	icfg := discord.InteractionsConfig{Commands: commands, Store: m.Store, Details: m.settings.DiscordDetails, SiteURL: m.Config.Posts.SiteURL}
	if key := m.settings.DiscordPublicKey; key != nil {
		icfg.PublicKey = key
		m.Web.Handle("POST /discord/interactions", discord.NewInteractions(icfg, m.Logger.With("component", "discord")))
		return nil
	}
	m.gateway = discord.NewGateway(session, icfg, m.Logger.With("component", "discord-gateway"))
	return nil
}
