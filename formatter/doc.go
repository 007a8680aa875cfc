// Package formatter is pure code, no network: it turns a Daily Papers
// markdown post into a bot.Digest (goldmark with YAML front matter), and a
// bot.Digest into Slack blocks, Discord messages or plain text that stay
// within each platform's limits. Everything here is deterministic and safe
// for concurrent use, so the engine, the command line and the web preview
// share it.
package formatter
