package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/paperbot/paperbot/bot"
)

// checkCmd validates the config and parses every post, printing
// `file:line: reason` for each problem and a summary line. Exit 1 on any
// problem. Warnings (a paper without an arXiv link, an id twice in a post,
// a post without papers) are printed but do not fail the check.
func checkCmd(ctx context.Context, args []string, s stdio) int {
	fs := newFlagSet("check")
	var pf postsFlags
	pf.register(fs)
	rest, err := parseFlags(fs, args, s)
	if err != nil {
		return flagExit(err)
	}
	if len(rest) > 0 {
		return usageError(s, "check", "unexpected argument %q", rest[0])
	}
	problems := 0
	set, err := pf.open("check", s)
	switch {
	case errors.Is(err, errUsage):
		return usageError(s, "check", "%s", usageText(err))
	case set == nil:
		return fail(s, "check", err)
	case err != nil:
		// The config loaded but is wrong; say so and still read the posts.
		printErr(s.err, prefixFile(set.from, err))
		problems++
		if set.src == nil {
			fmt.Fprintf(s.out, "checked 0 posts, 0 papers, %s\n", plural(problems, "problem", "problems"))
			return 1
		}
	}
	posts, papers, drafts := 0, 0, 0
	_, err = set.each(ctx, true, func(p post) error {
		if p.err != nil {
			printErr(s.err, p.err)
			problems++
			return nil
		}
		posts++
		papers += len(p.digest.Papers)
		if p.digest.Draft {
			drafts++
		}
		for _, w := range warnings(p.digest) {
			fmt.Fprintln(s.err, w)
		}
		return nil
	})
	if err != nil {
		printErr(s.err, fmt.Errorf("paperbot check: %w", err))
		problems++
	}
	summary := fmt.Sprintf("checked %s, %s, %s", plural(posts, "post", "posts"), plural(papers, "paper", "papers"), plural(problems, "problem", "problems"))
	if drafts > 0 {
		summary += fmt.Sprintf(" (%s not sent: published: false)", plural(drafts, "draft", "drafts"))
	}
	fmt.Fprintln(s.out, summary)
	if problems > 0 {
		return 1
	}
	return 0
}

// prefixFile puts the config file's name before a config error, so it reads
// like a post's `file: reason`.
func prefixFile(file string, err error) error {
	if file == "" {
		return err
	}
	return fmt.Errorf("%s: %w", file, err)
}

// warnings are things in a post that parse but are probably not meant.
func warnings(d *bot.Digest) []string {
	var out []string
	if len(d.Papers) == 0 {
		out = append(out, fmt.Sprintf("%s: warning: no papers (a paper starts with a heading like \"# 1. [Title](https://arxiv.org/abs/ID)\")", d.Path))
	}
	first := map[bot.ArxivID]bot.Paper{}
	for _, p := range d.Papers {
		if p.ID == "" {
			out = append(out, fmt.Sprintf("%s:%d: warning: paper %d has no arXiv link, so it cannot be looked up by id", d.Path, p.Line, p.Number))
			continue
		}
		if q, ok := first[p.ID]; ok {
			out = append(out, fmt.Sprintf("%s:%d: warning: paper %d is arXiv %s again (first as paper %d on line %d)", d.Path, p.Line, p.Number, p.ID, q.Number, q.Line))
			continue
		}
		first[p.ID] = p
	}
	return out
}
