package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/source"
	"github.com/paperbot/paperbot/config"
	"github.com/paperbot/paperbot/formatter"
	"github.com/paperbot/paperbot/internal/gcfloor"
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

	// preview is a short batch whose live heap is a few posts: at the
	// default GOGC, 500 posts spent a quarter of their CPU collecting it
	// over and over. Collecting at 5x the live heap (~45 MB instead of ~30
	// for 500 posts) saves most of that; a GOGC the user set wins.
	defer gcfloor.Bulk()()

	// Each file is read, parsed and rendered on its own goroutine (at
	// most one per core, a bounded window ahead of the printing) and
	// printed in argument order with its messages: 500 posts render on
	// both cores.
	one := func(file string) (res previewResult) {
		var msg bytes.Buffer
		defer func() { res.msg = msg.Bytes() }()
		src, err := readPostFile(file)
		if err != nil {
			fmt.Fprintf(&msg, "paperbot preview: %v\n", err)
			return previewResult{failed: true}
		}
		// The digest's path is the name inside the posts folder, as `run`
		// sees it (button values carry it); errors show the path as given.
		d, err := parser.Parse(filepath.Base(file), src)
		if err != nil {
			var pe *bot.PostError
			if errors.As(err, &pe) {
				pe.Path = file
			}
			printErr(&msg, err)
			return previewResult{failed: true}
		}
		if d.Draft {
			fmt.Fprintf(&msg, "paperbot preview: %s is a draft (published: false): it is rendered here but never sent.\n", file)
		}
		if _, _, ok := bot.PostName(filepath.Base(file)); !ok {
			fmt.Fprintf(&msg, "paperbot preview: %s is not named YYYY-MM-DD-slug.md, so the bot would not pick it up.\n", file)
		}
		out, err := render(d)
		if err != nil {
			fmt.Fprintf(&msg, "paperbot preview: %s: %v\n", file, err)
			return previewResult{failed: true}
		}
		if *format == "slack" || *format == "discord" {
			// JSON Lines: exactly one line per file.
			out = append(bytes.TrimRight(out, "\n"), '\n')
		}
		return previewResult{out: out}
	}
	failed := 0
	inOrder(len(files), func(i int) previewResult { return one(files[i]) }, func(i int, r previewResult) {
		s.err.Write(r.msg)
		if r.failed {
			failed++
			return
		}
		if (*format == "text" || *format == "html") && i > 0 {
			fmt.Fprintln(s.out)
		}
		s.out.Write(r.out)
	})
	if failed > 0 {
		return 1
	}
	return 0
}

// previewResult is one file's output and messages.
type previewResult struct {
	out, msg []byte
	failed   bool
}

// inOrder runs work(i) for i in [0, n) on up to GOMAXPROCS goroutines,
// at most a few times that many ahead of use, and calls use(i, result) on
// the calling goroutine in order of i.
func inOrder[T any](n int, work func(int) T, use func(int, T)) {
	workers := runtime.GOMAXPROCS(0)
	queue := make(chan chan T, 4*workers)
	go func() {
		defer close(queue)
		sem := make(chan struct{}, workers)
		for i := 0; i < n; i++ {
			c := make(chan T, 1)
			queue <- c
			sem <- struct{}{}
			go func() {
				defer func() { <-sem }()
				c <- work(i)
			}()
		}
	}()
	i := 0
	for c := range queue {
		use(i, <-c)
		i++
	}
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
