package config

import (
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"maps"
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/source/git"
	"github.com/paperbot/paperbot/formatter"
)

// Slack and Discord detail modes (DESIGN.md section 6); the formatter's
// SlackDetails and DiscordDetails take these values.
var (
	slackDetails   = []string{"container", "buttons", "thread", "inline"}
	discordDetails = []string{"spoiler", "buttons", "inline"}
)

// Validate checks every setting and returns the first problem as one
// sentence naming the key, e.g. `config: slack.targets[0].channel is
// required`. Secrets never appear in its errors.
func (c *Config) Validate() error {
	_, err := c.Settings()
	return err
}

// Settings validates c like Validate and returns its settings in the types
// the program uses, each parsed by the check that accepted it.
func (c *Config) Settings() (*Settings, error) {
	s := &Settings{}
	for _, check := range []func(*Settings) error{
		c.validatePosts, c.validateSchedule, c.validateStore, c.validateHTTP,
		c.validateLog, c.validateSlack, c.validateDiscord, c.validateTargets,
	} {
		if err := check(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func bad(format string, args ...any) error {
	return fmt.Errorf("config: "+format, args...)
}

func (c *Config) validatePosts(s *Settings) error {
	p := c.Posts
	switch {
	case p.Dir == "" && p.Git.URL == "":
		return bad("posts.dir or posts.git.url is required")
	case p.Dir != "" && p.Git.URL != "":
		return bad("posts.dir and posts.git.url are both set; set one")
	}
	if p.Git.URL != "" && strings.ContainsAny(p.Git.URL, " \t\n") {
		return bad("posts.git.url %q is not a repository URL", redactURL(p.Git.URL))
	}
	if p.SiteURL != "" {
		if err := checkHTTPURL(p.SiteURL); err != nil {
			return bad("posts.site_url %q: %v", p.SiteURL, err)
		}
	}
	if p.Git.URL != "" && c.DataDir == "" {
		return bad("data_dir is required for posts.git (the clone lives there)")
	}
	g, err := c.GitOptions()
	if err != nil {
		return err
	}
	s.Git = g
	return nil
}

// GitOptions returns the options of the posts' git source (nil when the
// posts are a folder), checked by the git source's own rule for the branch
// and the folder. `check` uses it for a config that fails elsewhere.
func (c *Config) GitOptions() (*git.Options, error) {
	g := c.Posts.Git
	if g.URL == "" {
		return nil, nil
	}
	opts := &git.Options{URL: g.URL, Branch: g.Branch, Path: g.Path, Dir: c.GitDir(), Token: g.Token}
	if err := opts.Validate(); err != nil {
		return nil, bad("%v", err)
	}
	return opts, nil
}

func (c *Config) validateSchedule(s *Settings) error {
	loc, err := c.Location()
	if err != nil {
		return err
	}
	s.Location = loc
	if _, err := bot.ParseScheduleIn(c.Schedule, loc); err != nil {
		return bad("%v", err)
	}
	if c.CatchUp < 0 {
		return bad("catch_up %s must not be negative", c.CatchUp)
	}
	if c.ExpectBy != "" {
		eb, err := bot.ParseExpectBy(c.ExpectBy)
		if err != nil {
			return bad("%v", err)
		}
		s.ExpectBy = &eb
	}
	return nil
}

func (c *Config) validateStore(*Settings) error {
	s := c.Store
	switch {
	case s == "" && c.DataDir != "":
		// Load puts the default store in data_dir.
	case s == "":
		return bad("store is required (sqlite://FILE or postgres://...) when data_dir is empty")
	case strings.HasPrefix(s, "sqlite:") || strings.HasPrefix(s, "sqlite3:"):
		if p, _ := c.SQLitePath(); p == "" {
			return bad("store %q names no file (want sqlite://paperbot.db)", s)
		}
	case strings.HasPrefix(s, "file:"):
		// An SQLite URI, passed to SQLite as is.
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		if _, err := url.Parse(s); err != nil {
			return bad("store is not a valid postgres:// URL")
		}
	default:
		return bad("store %q must start with sqlite://, file: or postgres://", redactURL(s))
	}
	return nil
}

func (c *Config) validateHTTP(*Settings) error {
	if c.HTTP.Listen == "" {
		return nil // no listener
	}
	if _, port, err := net.SplitHostPort(c.HTTP.Listen); err != nil || port == "" {
		return bad("http.listen %q must be host:port, like :8080 or 127.0.0.1:8080", c.HTTP.Listen)
	}
	return nil
}

func (c *Config) validateLog(*Settings) error {
	switch strings.ToLower(c.Log.Level) {
	case "debug", "info", "warn", "warning", "error":
	default:
		return bad("log.level %q must be one of debug, info, warn, error", c.Log.Level)
	}
	switch strings.ToLower(c.Log.Format) {
	case "text", "json":
	default:
		return bad("log.format %q must be text or json", c.Log.Format)
	}
	return nil
}

// checkPlatform checks the keys both chat sections share: details is one
// of modes, and api_url, when set, is an http(s) URL.
func checkPlatform(section, details string, modes []string, apiURL string) error {
	if !oneOf(details, modes) {
		return bad("%s.details %q must be one of %s", section, details, strings.Join(modes, ", "))
	}
	if apiURL != "" {
		if err := checkHTTPURL(apiURL); err != nil {
			return bad("%s.api_url %q: %v", section, apiURL, err)
		}
	}
	return nil
}

func (c *Config) validateSlack(set *Settings) error {
	s := c.Slack
	if err := checkPlatform("slack", s.Details, slackDetails, s.APIURL); err != nil {
		return err
	}
	set.SlackDetails = formatter.SlackDetails(s.Details)
	for i, t := range s.Targets {
		key := fmt.Sprintf("slack.targets[%d]", i)
		if t.Name == "" {
			return bad("%s.name is required", key)
		}
		if t.Channel == "" {
			return bad("%s.channel is required", key)
		}
	}
	if len(s.Targets) > 0 {
		if s.BotToken == "" {
			return bad("slack.bot_token is required for slack.targets")
		}
		if s.SigningSecret == "" && s.AppToken == "" {
			return bad("slack.signing_secret (HTTP) or slack.app_token (Socket Mode) is required for slack.targets")
		}
	}
	if s.AppToken != "" && s.BotToken == "" {
		return bad("slack.bot_token is required with slack.app_token")
	}
	return nil
}

func (c *Config) validateDiscord(set *Settings) error {
	d := c.Discord
	if err := checkPlatform("discord", d.Details, discordDetails, d.APIURL); err != nil {
		return err
	}
	set.DiscordDetails = formatter.DiscordDetails(d.Details)
	if d.PublicKey != "" {
		b, err := hex.DecodeString(d.PublicKey)
		if err != nil || len(b) != ed25519.PublicKeySize {
			return bad("discord.public_key must be 64 hex digits (the application's public key)")
		}
		set.DiscordPublicKey = ed25519.PublicKey(b)
	}
	if d.ApplicationID != "" && !digits(d.ApplicationID) {
		return bad("discord.application_id %q must be a number (a snowflake)", d.ApplicationID)
	}
	for i, g := range d.Guilds {
		if !digits(g) {
			return bad("discord.guilds[%d] %q must be a number (a guild id)", i, g)
		}
	}
	for i, t := range d.Targets {
		key := fmt.Sprintf("discord.targets[%d]", i)
		switch {
		case t.Name == "":
			return bad("%s.name is required", key)
		case t.Channel == "" && t.WebhookURL == "":
			return bad("%s.channel or %s.webhook_url is required", key, key)
		case t.Channel != "" && t.WebhookURL != "":
			return bad("%s.channel and %s.webhook_url are both set; set one", key, key)
		case t.Channel != "" && !digits(t.Channel):
			return bad("%s.channel %q must be a number (a channel id)", key, t.Channel)
		case t.Channel != "" && d.BotToken == "":
			return bad("discord.bot_token is required for %s.channel", key)
		}
		if t.WebhookURL != "" {
			if err := checkHTTPURL(t.WebhookURL); err != nil {
				return bad("%s.webhook_url is not a valid http(s) URL", key)
			}
		}
	}
	if d.PublicKey != "" && d.BotToken == "" {
		return bad("discord.bot_token is required with discord.public_key (commands are registered with it)")
	}
	return nil
}

// validateTargets checks names are unique across Slack, Discord and the
// console, and that alerts names one of them.
func (c *Config) validateTargets(*Settings) error {
	// "console" is reserved even when the console is off, so turning it
	// on later cannot clash.
	seen := map[string]string{ConsoleTarget: "the console target"}
	add := func(name, key string) error {
		if prev, ok := seen[name]; ok {
			return bad("%s.name %q is already used by %s; target names must be unique", key, name, prev)
		}
		seen[name] = key
		return nil
	}
	for i, t := range c.Slack.Targets {
		if err := add(t.Name, fmt.Sprintf("slack.targets[%d]", i)); err != nil {
			return err
		}
	}
	for i, t := range c.Discord.Targets {
		if err := add(t.Name, fmt.Sprintf("discord.targets[%d]", i)); err != nil {
			return err
		}
	}
	if c.Alerts != "" {
		if !c.ConsoleEnabled() {
			delete(seen, ConsoleTarget)
		}
		if _, ok := seen[c.Alerts]; !ok {
			return bad("alerts %q names no target (targets: %s)", c.Alerts, names(seen))
		}
	}
	return nil
}

func names(m map[string]string) string {
	if len(m) == 0 {
		return "none"
	}
	return strings.Join(slices.Sorted(maps.Keys(m)), ", ")
}

func oneOf(s string, allowed []string) bool { return slices.Contains(allowed, s) }

func digits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func checkHTTPURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("want an http:// or https:// URL")
	}
	if u.Host == "" {
		return fmt.Errorf("no host")
	}
	return nil
}
