// Package console is a bot.Target that prints digests as text to a writer,
// normally stdout: the default target when no chat is configured, so a
// fresh `paperbot run` shows the bot working. Rendering is a function the
// caller passes (formatter.Text in paperbot), which keeps this package free
// of the formatter.
//
// A console cannot look back at what it printed, so Recover always returns
// nil, nil: a print interrupted by a crash is printed again on restart.
// Each printed digest is one message, identified by the delivery key.
package console

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/paperbot/paperbot/bot"
)

// Channel is the MessageRef.Channel of everything a console prints.
const Channel = "console"

// Target prints digests to a writer. It is safe for concurrent use: prints
// never interleave.
type Target struct {
	name   string
	render func(*bot.Digest) string

	mu sync.Mutex
	w  io.Writer
}

var _ bot.Target = (*Target)(nil)

// New returns a console target called name that writes to w, rendering each
// digest with render (nil: a plain title-and-papers list, see Plain).
func New(name string, w io.Writer, render func(*bot.Digest) string) *Target {
	if render == nil {
		render = Plain
	}
	return &Target{name: name, w: w, render: render}
}

// Name returns the configured target name.
func (t *Target) Name() string { return t.name }

// Post prints d and returns one ref, {Channel: "console", ID: key}.
func (t *Target) Post(ctx context.Context, d *bot.Digest, key string) ([]bot.MessageRef, error) {
	if err := t.print(ctx, d, key, false); err != nil {
		return nil, err
	}
	return []bot.MessageRef{{Channel: Channel, ID: key}}, nil
}

// Recover returns nil, nil: a console cannot look back, so an interrupted
// print is printed again.
func (t *Target) Recover(ctx context.Context, key string) ([]bot.MessageRef, error) {
	return nil, nil
}

// Edit prints the new version of d marked "(updated)"; a console cannot
// change what it printed. It returns the one ref that now shows d.
func (t *Target) Edit(ctx context.Context, d *bot.Digest, key string, refs []bot.MessageRef) ([]bot.MessageRef, error) {
	if err := t.print(ctx, d, key, true); err != nil {
		return nil, err
	}
	return []bot.MessageRef{{Channel: Channel, ID: key}}, nil
}

func (t *Target) print(ctx context.Context, d *bot.Digest, key string, updated bool) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d == nil {
		return fmt.Errorf("console %s: %w", t.name, bot.Errorf(bot.EINVALID, "no digest to print"))
	}
	// A renderer bug must not take the bot down with it.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("console %s: render %s: panic: %v", t.name, d.Path, r)
		}
	}()
	text := t.render(d)
	var b strings.Builder
	if updated {
		b.WriteString("(updated) ")
	}
	fmt.Fprintf(&b, "── %s · %s ──\n", t.name, key)
	b.WriteString(strings.TrimRight(text, "\n"))
	b.WriteString("\n\n")

	t.mu.Lock()
	defer t.mu.Unlock()
	if _, err := io.WriteString(t.w, b.String()); err != nil {
		return fmt.Errorf("console %s: write: %w", t.name, err)
	}
	return nil
}

// Plain is the fallback rendering: the title and date, then one line per
// paper with its link and goal.
func Plain(d *bot.Digest) string {
	var b strings.Builder
	title := d.Title
	if title == "" {
		title = d.Path
	}
	fmt.Fprintf(&b, "%s (%s)\n", title, d.Day())
	for i := range d.Papers {
		p := &d.Papers[i]
		fmt.Fprintf(&b, "%d. %s", p.Number, p.Title)
		if link := p.Link(); link != "" {
			fmt.Fprintf(&b, " <%s>", link)
		}
		b.WriteString("\n")
		if goal := p.Goal(); goal != "" {
			fmt.Fprintf(&b, "   %s\n", goal)
		}
	}
	return b.String()
}
