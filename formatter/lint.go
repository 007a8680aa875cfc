package formatter

import (
	"fmt"

	"github.com/paperbot/paperbot/bot"
)

// Lint reports what in a parsed post is probably not meant although it
// parses: no papers at all, a paper without an arXiv link (it cannot be
// looked up by id), an arXiv id a second time. Each finding names the
// post's path and, for a paper, its heading's line; `paperbot check`
// prints them as warnings, which do not fail the check.
func Lint(d *bot.Digest) []*bot.PostError {
	var out []*bot.PostError
	if len(d.Papers) == 0 {
		out = append(out, &bot.PostError{Path: d.Path, Reason: `no papers (a paper starts with a heading like "# 1. [Title](https://arxiv.org/abs/ID)")`})
	}
	first := map[bot.ArxivID]bot.Paper{}
	for _, p := range d.Papers {
		if p.ID == "" {
			out = append(out, &bot.PostError{Path: d.Path, Line: p.Line, Reason: fmt.Sprintf("paper %d has no arXiv link, so it cannot be looked up by id", p.Number)})
			continue
		}
		if q, ok := first[p.ID]; ok {
			out = append(out, &bot.PostError{Path: d.Path, Line: p.Line, Reason: fmt.Sprintf("paper %d is arXiv %s again (first as paper %d on line %d)", p.Number, p.ID, q.Number, q.Line)})
			continue
		}
		first[p.ID] = p
	}
	return out
}
