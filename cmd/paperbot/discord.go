package main

import (
	"errors"

	"github.com/paperbot/paperbot/bot"
)

// discordTargets builds the Discord targets of the config.
func (m *Main) discordTargets() ([]bot.Target, error) {
	if len(m.Config.Discord.Targets) > 0 {
		return nil, errors.New("config: discord.targets: the Discord adapter is not built yet")
	}
	return nil, nil
}
