package discord

import (
	"context"
	"fmt"

	"github.com/bwmarrin/discordgo"
)

// SlashCommands are paperbot's slash commands: /paper query:<id|URL|words> and
// /digest date:<YYYY-MM-DD|latest>.
func SlashCommands() []*discordgo.ApplicationCommand {
	return []*discordgo.ApplicationCommand{
		{
			Name:        "paper",
			Description: "Show a paper from the Daily Papers posts, by arXiv id or URL, or search them",
			Options: []*discordgo.ApplicationCommandOption{{
				Type:        discordgo.ApplicationCommandOptionString,
				Name:        "query",
				Description: "arXiv id or URL (2509.24006), or words to search for",
				Required:    true,
				MaxLength:   200,
			}},
		},
		{
			Name:        "digest",
			Description: "Show a day's Daily Papers digest",
			Options: []*discordgo.ApplicationCommandOption{{
				Type:        discordgo.ApplicationCommandOptionString,
				Name:        "date",
				Description: "YYYY-MM-DD or latest (default: latest)",
				Required:    false,
				MaxLength:   20,
			}},
		},
	}
}

// RegisterCommands bulk-overwrites the application's commands with
// SlashCommands(): in each guild of guilds (they appear at once), or globally
// when guilds is empty (Discord may take a while to show them). Commands
// registered earlier and not in SlashCommands() are removed by the overwrite.
func RegisterCommands(ctx context.Context, session *discordgo.Session, appID string, guilds []string) error {
	if appID == "" {
		return fmt.Errorf("register discord commands: application_id is not set")
	}
	targets := guilds
	if len(targets) == 0 {
		targets = []string{""}
	}
	r := withDefaults(Retry{})
	for _, g := range targets {
		url := discordgo.EndpointApplicationGlobalCommands(appID)
		where := "globally"
		if g != "" {
			url = discordgo.EndpointApplicationGuildCommands(appID, g)
			where = "in guild " + g
		}
		if _, err := request(ctx, session, r, "register commands "+where, "PUT", url, url, SlashCommands(), nil); err != nil {
			return fmt.Errorf("register discord commands: %w", err)
		}
	}
	return nil
}
