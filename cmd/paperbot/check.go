package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/formatter"
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
	st, bad, err := set.index(ctx)
	if err != nil {
		printErr(s.err, fmt.Errorf("paperbot check: %w", err))
		problems++
	} else {
		defer st.Close()
		for _, msg := range bad {
			fmt.Fprintln(s.err, strings.ReplaceAll(msg, "\n", "; "))
		}
		problems += len(bad)
		digests, err := st.Posts(ctx)
		if err != nil {
			printErr(s.err, fmt.Errorf("paperbot check: %w", err))
			problems++
		}
		slices.SortFunc(digests, func(a, b *bot.Digest) int { return strings.Compare(a.Path, b.Path) })
		for _, d := range digests {
			posts++
			papers += len(d.Papers)
			if d.Draft {
				drafts++
			}
			for _, w := range formatter.Lint(d) {
				w.Path, w.Reason = set.showPath(d.Path), "warning: "+w.Reason
				fmt.Fprintln(s.err, w)
			}
		}
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
