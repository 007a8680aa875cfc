package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/source"
	"github.com/paperbot/paperbot/config"
	"github.com/paperbot/paperbot/formatter"
)

// previewCmd prints exactly what would be sent for each post: slack and
// discord print one JSON array of message payloads per file (one line per
// file), text prints what the console target prints. Drafts are rendered
// too (authors preview drafts), with a note on stderr.
func previewCmd(ctx context.Context, args []string, s stdio) int {
	fs := newFlagSet("preview")
	format := fs.String("format", "slack", "`slack`, discord, text, or html (a page mimicking both chats)")
	details := fs.String("details", "", "how sections fold: slack container (default), buttons, thread, inline; discord buttons (default), spoiler, inline")
	siteURL := fs.String("site-url", "", "the blog's `URL`, to link each digest to its post")
	tz := fs.String("timezone", "", "the time `ZONE` dates without a zone are read in (default Asia/Seoul)")
	cfgFile := fs.String("config", "", "take details, site_url and timezone from this config `FILE` (flags win)")
	files, err := parseFlags(fs, args, s)
	if err != nil {
		return flagExit(err)
	}
	if len(files) == 0 {
		return usageError(s, "preview", "give one or more post files")
	}
	cfg := config.Default()
	if *cfgFile != "" {
		if cfg, err = config.Load(*cfgFile); err != nil {
			return fail(s, "preview", err)
		}
	}
	if *siteURL == "" {
		*siteURL = cfg.Posts.SiteURL
	}
	if *tz != "" {
		cfg.Timezone = *tz
	}
	var render func(d *bot.Digest) ([]byte, error)
	switch *format {
	case "slack":
		if *details == "" {
			*details = cfg.Slack.Details
		}
		mode, err := formatter.ParseSlackDetails(*details)
		if err != nil {
			return usageError(s, "preview", "--details %q is not a Slack mode (container, buttons, thread or inline)", *details)
		}
		opt := formatter.SlackOptions{Details: mode, SiteURL: *siteURL}
		render = func(d *bot.Digest) ([]byte, error) { return formatter.SlackJSON(formatter.Slack(d, opt)) }
	case "discord":
		if *details == "" {
			*details = cfg.Discord.Details
		}
		mode, err := formatter.ParseDiscordDetails(*details)
		if err != nil {
			return usageError(s, "preview", "--details %q is not a Discord mode (spoiler, buttons or inline)", *details)
		}
		opt := formatter.DiscordOptions{Details: mode, SiteURL: *siteURL}
		render = func(d *bot.Digest) ([]byte, error) { return formatter.DiscordJSON(formatter.Discord(d, opt)) }
	case "text":
		if *details != "" {
			return usageError(s, "preview", "--details applies to --format slack and discord, not text")
		}
		render = func(d *bot.Digest) ([]byte, error) { return []byte(ensureNewline(formatter.Text(d))), nil }
	case "html":
		// The page shows the default modes (Slack container, Discord
		// spoiler) side by side: what a person judges the layout by.
		if *details != "" {
			return usageError(s, "preview", "--details applies to --format slack and discord, not html")
		}
		render = func(d *bot.Digest) ([]byte, error) { return []byte(ensureNewline(formatter.HTML(d))), nil }
	default:
		return usageError(s, "preview", "--format %q: want slack, discord, text or html", *format)
	}
	loc, err := cfg.Location()
	if err != nil {
		return usageError(s, "preview", "--timezone %q is not a known time zone", cfg.Timezone)
	}
	parser := &formatter.Parser{Location: loc}

	failed := 0
	for i, file := range files {
		src, err := readPostFile(file)
		if err != nil {
			fmt.Fprintf(s.err, "paperbot preview: %v\n", err)
			failed++
			continue
		}
		// The digest's path is the name inside the posts folder, as `run`
		// sees it (button values carry it); errors show the path as given.
		d, err := parser.Parse(filepath.Base(file), src)
		if err != nil {
			var pe *bot.PostError
			if errors.As(err, &pe) {
				pe.Path = file
			}
			printErr(s.err, err)
			failed++
			continue
		}
		if d.Draft {
			fmt.Fprintf(s.err, "paperbot preview: %s is a draft (published: false): it is rendered here but never sent.\n", file)
		}
		if _, ok := formatter.PostName(filepath.Base(file)); !ok {
			fmt.Fprintf(s.err, "paperbot preview: %s is not named YYYY-MM-DD-slug.md, so the bot would not pick it up.\n", file)
		}
		out, err := render(d)
		if err != nil {
			fmt.Fprintf(s.err, "paperbot preview: %s: %v\n", file, err)
			failed++
			continue
		}
		if (*format == "text" || *format == "html") && i > 0 {
			fmt.Fprintln(s.out)
		}
		if *format == "slack" || *format == "discord" {
			// JSON Lines: exactly one line per file.
			out = append(bytes.TrimRight(out, "\n"), '\n')
		}
		s.out.Write(out)
	}
	if failed > 0 {
		return 1
	}
	return 0
}

// readPostFile reads a post named on the command line under the rules the
// bot reads its posts by: a regular file (a symlink counts by its target)
// of at most source.MaxPostSize bytes. A device such as /dev/zero or an
// oversized file is refused before anything is read.
func readPostFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", name)
	}
	if info.Size() > source.MaxPostSize {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d a post may have", name, info.Size(), source.MaxPostSize)
	}
	// The file may grow between Stat and ReadAll: read one byte past the cap
	// to notice.
	b, err := io.ReadAll(io.LimitReader(f, source.MaxPostSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(b) > source.MaxPostSize {
		return nil, fmt.Errorf("%s: more than the %d bytes a post may have", name, source.MaxPostSize)
	}
	return b, nil
}
