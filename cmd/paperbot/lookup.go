package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/formatter"
)

// lookupCmd indexes the posts into an in-memory store and answers the query
// the way /paper does: one paper for an id or URL, the best matches for
// words. Nothing found: exit 1 with a sentence saying what was searched.
func lookupCmd(ctx context.Context, args []string, s stdio) int {
	fs := newFlagSet("lookup")
	var pf postsFlags
	pf.register(fs)
	limit := fs.Int("n", 5, "show at most `N` search results")
	rest, err := parseFlags(fs, args, s)
	if err != nil {
		return flagExit(err)
	}
	query := strings.Join(rest, " ")
	q := bot.ParseQuery(query)
	if q.Kind == bot.QueryHelp {
		if strings.TrimSpace(query) == "" {
			return usageError(s, "lookup", "give an arXiv id, an arXiv or AlphaXiv URL, or words to search for")
		}
		commandUsage(s.out, findCommand("lookup"), fs)
		return 0
	}
	if *limit < 1 {
		return usageError(s, "lookup", "-n must be at least 1")
	}
	set, err := pf.open("lookup", s)
	switch {
	case errors.Is(err, errUsage):
		return usageError(s, "lookup", "%s", usageText(err))
	case set == nil || set.src == nil:
		return fail(s, "lookup", err)
	case err != nil:
		// A config that does not validate can still say where the posts are.
		fmt.Fprintf(s.err, "paperbot lookup: warning: %v\n", err)
	}

	st, bad, err := set.index(ctx)
	if err != nil {
		return fail(s, "lookup", err)
	}
	defer st.Close()
	for _, msg := range bad {
		// A broken post does not stop the search in the others.
		fmt.Fprintf(s.err, "paperbot lookup: skipping %s\n", msg)
	}
	digests, err := st.Posts(ctx)
	if err != nil {
		return fail(s, "lookup", err)
	}
	posts := len(digests)

	cmds := &bot.Commands{Store: st, SearchLimit: *limit, Location: set.parser.Location}
	ans, err := cmds.Paper(ctx, query)
	if err != nil {
		if bot.ErrorCode(err) == bot.ENOTFOUND {
			fmt.Fprintf(s.err, "paperbot lookup: %s (searched %s in %s)\n", strings.TrimSuffix(bot.ErrorMessage(err), "."), plural(posts, "post", "posts"), set.root)
			return 1
		}
		return fail(s, "lookup", err)
	}
	switch {
	case ans.Hit != nil:
		fmt.Fprint(s.out, ensureNewline(formatter.PaperText(&ans.Hit.Paper, ans.Hit.Post)))
	default:
		fmt.Fprint(s.out, formatter.SearchText(ans.Results))
	}
	return 0
}

func ensureNewline(s string) string {
	if strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n"
}
