package bot

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// QueryKind tells what a /paper argument asks for.
type QueryKind int

const (
	// QueryHelp: no argument, or "help".
	QueryHelp QueryKind = iota
	// QueryID: an arXiv id or an arXiv/AlphaXiv URL.
	QueryID
	// QueryWords: anything else, searched for.
	QueryWords
)

// Query is a parsed /paper argument.
type Query struct {
	Kind    QueryKind
	ID      ArxivID
	Version string
	Words   string
	// Raw is the argument as typed, trimmed.
	Raw string
}

// ParseQuery reads a /paper argument: empty or "help" asks for help; a
// single token that is an arXiv id or URL asks for that paper; anything
// else is a search.
func ParseQuery(s string) Query {
	raw := strings.TrimSpace(s)
	q := Query{Raw: raw}
	switch {
	case raw == "" || strings.EqualFold(raw, "help") || raw == "-h" || raw == "--help":
		q.Kind = QueryHelp
	case !strings.ContainsAny(raw, " \t\n"):
		if id, v, ok := ParseArxivID(raw); ok {
			q.Kind, q.ID, q.Version = QueryID, id, v
			return q
		}
		fallthrough
	default:
		q.Kind = QueryWords
		q.Words = strings.Join(strings.Fields(raw), " ")
	}
	return q
}

// Help texts for the chat commands; platforms add their own formatting.
const (
	PaperHelp = "Usage: /paper <arXiv id or URL> shows one paper, e.g. /paper 2509.24006; " +
		"/paper <words> searches the posts, e.g. /paper sparse attention."
	DigestHelp = "Usage: /digest [YYYY-MM-DD|latest] shows that day's digest (default: the latest)."
)

// Commands answers /paper and /digest for every chat platform; the adapters
// only translate requests and render the answers.
type Commands struct {
	Store Store
	// SearchLimit caps search results (default 5).
	SearchLimit int
	// Location reads /digest dates (default UTC).
	Location *time.Location
}

// PaperAnswer is the answer to /paper: Hit for an id, Results for a search,
// neither for help (Query.Kind says which).
type PaperAnswer struct {
	Query   Query
	Hit     *PaperHit
	Results []PaperHit
}

// Paper answers /paper q. An unknown id or a search without results is an
// ENOTFOUND error whose message says what was searched.
func (c *Commands) Paper(ctx context.Context, q string) (*PaperAnswer, error) {
	query := ParseQuery(q)
	ans := &PaperAnswer{Query: query}
	switch query.Kind {
	case QueryHelp:
		return ans, nil
	case QueryID:
		hit, err := c.Store.Paper(ctx, query.ID)
		if ErrorCode(err) == ENOTFOUND {
			return nil, fmt.Errorf("paper %s: %w", query.ID, Errorf(ENOTFOUND, "No paper with arXiv id %s in the posts.", query.ID))
		}
		if err != nil {
			return nil, fmt.Errorf("paper %s: %w", query.ID, err)
		}
		ans.Hit = hit
		return ans, nil
	}
	if len([]rune(query.Words)) > 200 {
		return nil, Errorf(EINVALID, "That search is too long; try a few words.")
	}
	limit := c.SearchLimit
	if limit <= 0 {
		limit = 5
	}
	hits, err := c.Store.SearchPapers(ctx, query.Words, limit)
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", query.Words, err)
	}
	if len(hits) == 0 {
		return nil, Errorf(ENOTFOUND, "No paper matches “%s”.", query.Words)
	}
	ans.Results = hits
	return ans, nil
}

// Digest answers /digest arg: "" or "latest" is the newest post that is not
// a draft; a YYYY-MM-DD date is that day's post.
func (c *Commands) Digest(ctx context.Context, arg string) (*Digest, error) {
	arg = strings.TrimSpace(arg)
	if arg == "" || strings.EqualFold(arg, "latest") {
		d, err := c.Store.LatestPost(ctx)
		if ErrorCode(err) == ENOTFOUND {
			return nil, fmt.Errorf("latest digest: %w", Errorf(ENOTFOUND, "There is no post yet."))
		}
		if err != nil {
			return nil, fmt.Errorf("latest digest: %w", err)
		}
		return d, nil
	}
	loc := c.Location
	if loc == nil {
		loc = time.UTC
	}
	day, err := time.ParseInLocation(time.DateOnly, arg, loc)
	if err != nil {
		return nil, Errorf(EINVALID, "“%s” is not a date: use YYYY-MM-DD or latest.", arg)
	}
	posts, err := c.Store.PostsOn(ctx, day.Format(time.DateOnly))
	if err != nil {
		return nil, fmt.Errorf("digest %s: %w", arg, err)
	}
	for _, d := range posts {
		if !d.Draft {
			return d, nil
		}
	}
	return nil, Errorf(ENOTFOUND, "No post for %s.", day.Format(time.DateOnly))
}
