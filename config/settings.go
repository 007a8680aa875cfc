package config

import (
	"crypto/ed25519"
	"time"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/source/git"
	"github.com/paperbot/paperbot/formatter"
)

// Settings are a valid Config's values in the types the program uses,
// returned by Config.Settings. Each is parsed once, by the check that
// accepts it, so the wiring in cmd passes them on and never parses a
// setting again (nor with a rule of its own).
type Settings struct {
	// Location is the timezone (UTC when none is set).
	Location *time.Location
	// ExpectBy is the missing-post rule; nil: no alert.
	ExpectBy *bot.ExpectBy
	// SlackDetails and DiscordDetails are how each platform folds a
	// paper's sections.
	SlackDetails   formatter.SlackDetails
	DiscordDetails formatter.DiscordDetails
	// DiscordPublicKey verifies HTTP interactions; nil: commands come over
	// the gateway.
	DiscordPublicKey ed25519.PublicKey
	// Git is the posts' repository and its clone in data_dir/git; nil:
	// the posts are the folder Posts.Dir.
	Git *git.Options
}
