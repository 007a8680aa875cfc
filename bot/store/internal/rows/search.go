package rows

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/paperbot/paperbot/bot"
)

// The search index is a set of word tokens per paper (SQLite FTS5 with
// detail=none, a PostgreSQL tsvector), not trigrams: measured on papers
// recombined from the real post, trigrams cost 0.40x the markdown (2.35x
// with positions) against 0.10x for words, and cannot find the two-syllable
// Korean words (확산, 환각) people type. Words are found by prefix, which
// is how Korean particles attach (확산 finds 확산을 and 확산의).
//
// The tokens of a paper are the distinct lowercase words of its title and
// sections (runs of letters, digits and marks), one symbol token per other
// non-space character (so "95%" and "snake_case" can be found literally),
// and every title token again with TitleMark in front, so that "in the title"
// is a token query too and one index column serves both.

// TitleMark and SymbolMark start tokens that no word starts with (neither is
// a letter, digit or mark).
const (
	TitleMark  = "¶"
	SymbolMark = "§"
)

// maxTokenRunes caps an indexed word: PostgreSQL refuses lexemes over 2 KB,
// and a query word longer than this is still checked in full (Match).
const maxTokenRunes = 64

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) }

// token is a word or a symbol of lowercased text.
type token struct {
	text string // the word (capped), or SymbolMark + hex code point
	sym  bool
}

// eachToken calls f for every token of s in order.
func eachToken(s string, f func(token)) {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case isWordRune(r):
			j, runes := i, 0
			end := i
			for j < len(s) {
				r, n := utf8.DecodeRuneInString(s[j:])
				if !isWordRune(r) {
					break
				}
				j += n
				if runes < maxTokenRunes {
					end = j
				}
				runes++
			}
			f(token{text: s[i:end]})
			i = j
			continue
		case unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError:
		default:
			f(token{text: SymbolMark + strconv.FormatInt(int64(r), 16), sym: true})
		}
		i += n
	}
}

// IndexTokens returns the distinct index tokens of a paper, given its
// SearchText.
func IndexTokens(title, text string) []string {
	seen := make(map[string]struct{}, 256)
	out := make([]string, 0, 256)
	add := func(s string) {
		if _, ok := seen[s]; !ok {
			seen[s] = struct{}{}
			out = append(out, s)
		}
	}
	eachToken(text, func(t token) { add(t.text) })
	eachToken(title, func(t token) { add(TitleMark + t.text) })
	return out
}

// queryWord is one word of a query. A plain word (letters, digits and marks
// only) must start a word of the paper; any other word (with punctuation:
// "95%", "snake_case", "k-means") must appear verbatim.
type queryWord struct {
	text  string
	plain bool
	// terms are the index tokens every paper holding the word has: for a
	// plain word, its prefix; for a verbatim one, its symbols and the words
	// after them (the first word may end a longer word of the text).
	terms []queryTerm
}

type queryTerm struct {
	text   string
	prefix bool
}

// Query is a parsed search query.
type Query struct {
	words []queryWord
	// expanded holds, by prefix (with its mark), the index terms that
	// start with it, when Expand found few enough of them.
	expanded map[string][]string
}

// Expander lists the index terms that start with prefix (in any order), or
// reports with ok false that there are more than max of them.
type Expander func(ctx context.Context, prefix string, max int) (terms []string, ok bool, err error)

// maxExpansion bounds the terms a prefix is replaced by: an index query for
// one exact term reads only as much of its list of papers as the results
// need (newest first), while a prefix query first merges the whole lists of
// every term with the prefix, which on 160,000 papers took 50-300 ms.
const maxExpansion = 256

// Expand replaces the query's prefix terms by the exact index terms that
// start with them, as listed by terms (a vocabulary the store keeps), where
// there are at most maxExpansion of them. A prefix no term starts with
// makes the word, and so the query, match nothing.
func (q *Query) Expand(ctx context.Context, terms Expander) error {
	q.expanded = map[string][]string{}
	for i := range q.words {
		for _, t := range q.words[i].terms {
			if !t.prefix {
				continue
			}
			for _, mark := range []string{"", TitleMark} {
				key := mark + t.text
				if _, done := q.expanded[key]; done {
					continue
				}
				ts, ok, err := terms(ctx, key, maxExpansion)
				if err != nil {
					return err
				}
				if ok {
					q.expanded[key] = append([]string{}, ts...)
				}
			}
		}
	}
	return nil
}

// noTerm is a token no paper has (§ is followed by hex digits only).
const noTerm = SymbolMark + "none"

// ParseQuery splits a query into its words (see Words). A query with no
// word, or with a word that no paper can hold (control characters only),
// is empty.
func ParseQuery(q string) Query {
	var out Query
	for _, w := range Words(q) {
		qw := queryWord{text: w}
		var toks []token
		eachToken(w, func(t token) { toks = append(toks, t) })
		if len(toks) == 0 {
			return Query{}
		}
		qw.plain = len(toks) == 1 && !toks[0].sym && toks[0].text == w
		for i, t := range toks {
			switch {
			case t.sym:
				qw.terms = append(qw.terms, queryTerm{text: t.text})
			case qw.plain || i > 0:
				qw.terms = append(qw.terms, queryTerm{text: t.text, prefix: true})
			}
		}
		out.words = append(out.words, qw)
	}
	return out
}

// Empty reports whether the query can match nothing.
func (q Query) Empty() bool { return len(q.words) == 0 }

// startsWord reports whether w occurs in s at the start of a word.
func startsWord(s, w string) bool {
	for off := 0; ; {
		i := strings.Index(s[off:], w)
		if i < 0 {
			return false
		}
		i += off
		r, _ := utf8.DecodeLastRuneInString(s[:i])
		if i == 0 || !isWordRune(r) {
			return true
		}
		_, n := utf8.DecodeRuneInString(s[i:])
		off = i + n
	}
}

func (w *queryWord) in(s string) bool {
	if w.plain {
		return startsWord(s, w.text)
	}
	return strings.Contains(s, w.text)
}

// Match is the search rule itself, which the index only narrows down:
// whether every word of q is in the paper's lowercase search text (see
// SearchText), and how many of them are in its title.
func (q Query) Match(title, text string) (ok bool, inTitle int) {
	for i := range q.words {
		w := &q.words[i]
		if !w.in(text) {
			return false, 0
		}
		if w.in(title) {
			inTitle++
		}
	}
	return true, inTitle
}

// Dialect writes index queries: SQLite FTS5 MATCH or PostgreSQL tsquery.
type Dialect int

const (
	FTS5 Dialect = iota
	TSQuery
)

func (q *Query) term(d Dialect, t queryTerm, mark string) string {
	if ts, ok := q.expanded[mark+t.text]; ok && t.prefix {
		if len(ts) == 0 {
			ts = []string{noTerm}
		}
		parts := make([]string, len(ts))
		for i, s := range ts {
			parts[i] = d.term(queryTerm{text: s}, "")
		}
		return d.join(parts, "OR")
	}
	return d.term(t, mark)
}

func (d Dialect) term(t queryTerm, mark string) string {
	if d == FTS5 {
		s := `"` + mark + t.text + `"`
		if t.prefix {
			s += "*"
		}
		return s
	}
	// Tokens hold no quote or backslash (letters, digits, marks, § and hex).
	s := `'` + mark + t.text + `'`
	if t.prefix {
		s += ":*"
	}
	return s
}

func (d Dialect) join(parts []string, op string) string {
	if len(parts) == 1 {
		return parts[0]
	}
	if d == TSQuery {
		op = map[string]string{"AND": "&", "OR": "|"}[op]
	}
	return "(" + strings.Join(parts, " "+op+" ") + ")"
}

func (d Dialect) not(a, b string) string {
	if d == FTS5 {
		return "(" + a + " NOT " + b + ")"
	}
	return "(" + a + " & !" + b + ")"
}

func (q *Query) word(d Dialect, w *queryWord, mark string) string {
	parts := make([]string, len(w.terms))
	for i, t := range w.terms {
		parts[i] = q.term(d, t, mark)
	}
	return d.join(parts, "AND")
}

// Level returns the index query for the papers that may have exactly s of
// q's words in their title: all words anywhere, some s of them in the title
// and, of the plain words (whose index match is exact), no other in the
// title. It finds a superset of those papers; Match decides.
func (q *Query) Level(d Dialect, s int) string {
	k := len(q.words)
	all := make([]string, k)
	for i := range q.words {
		all[i] = q.word(d, &q.words[i], "")
	}
	var alts []string
	for set := uint(0); set < 1<<k; set++ {
		if popcount(set) != s {
			continue
		}
		// A word in the title is anywhere too: its title term alone says
		// both, and the title's few papers are much cheaper to read than
		// every paper with the word.
		var parts, not []string
		for i := range q.words {
			if set&(1<<i) != 0 {
				parts = append(parts, q.word(d, &q.words[i], TitleMark))
				continue
			}
			parts = append(parts, all[i])
			if q.words[i].plain {
				not = append(not, q.word(d, &q.words[i], TitleMark))
			}
		}
		alt := d.join(parts, "AND")
		if len(not) > 0 {
			alt = d.not(alt, d.join(not, "OR"))
		}
		alts = append(alts, alt)
	}
	return d.join(alts, "OR")
}

func popcount(x uint) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

// Candidate is a paper an index query found.
type Candidate struct {
	Key int64 // the paper's SortKey
	Hit bot.PaperHit
	// Date, Post and Idx order hits exactly (newer first, then post path
	// descending, then position in the post).
	Date time.Time
	Idx  int
	// Unreadable: the paper cannot be decoded (Hit holds its post only).
	// Search leaves it out, but it still counts as a row the index query
	// returned, so that a short batch keeps meaning the end.
	Unreadable bool
}

// Damaged remembers the damaged posts a store has logged, so that each is
// logged once however often searches hit it.
type Damaged struct{ seen sync.Map }

// Log logs path's damage the first time it is seen.
func (d *Damaged) Log(log *slog.Logger, path string, err error) {
	if _, dup := d.seen.LoadOrStore(path, true); !dup {
		log.Error("stored post cannot be decoded; its papers are left out of searches", "post", path, "err", err)
	}
}

// Candidates reads an index query's rows, scanning each into a Candidate
// with scan. A row whose post cannot be decoded (bot.ErrUnreadable) is
// logged, the first time that post is met, and kept as Unreadable; any
// other error ends the read. rs is database/sql's or pgx's rows.
func (d *Damaged) Candidates(log *slog.Logger, rs interface {
	Next() bool
	Err() error
}, scan func(*Candidate) error) ([]Candidate, error) {
	var out []Candidate
	for rs.Next() {
		var c Candidate
		if err := scan(&c); err != nil {
			if !errors.Is(err, bot.ErrUnreadable) {
				return nil, err
			}
			d.Log(log, c.Hit.Post.Path, err)
			c.Unreadable = true
		}
		out = append(out, c)
	}
	return out, rs.Err()
}

// Fetcher runs an index query: up to n papers matching expr whose key is
// below before, by descending key, published papers only.
type Fetcher func(ctx context.Context, expr string, before int64, n int) ([]Candidate, error)

// SortKey is a paper's key in the search index: its post's UTC day in the
// high bits (so that descending keys are newest first, the order results are
// wanted in) and a slot within that day below. Days, not seconds: the index
// stores the gaps between the keys of the papers that hold a word, and a
// day's gap (8,192) takes two bytes where a second's would take six, which
// made the index twice as big. It is positive for any year from 0 to 9999.
func SortKey(date time.Time, slot int64) int64 {
	return (floorDiv(date.Unix(), 86400)+keyEpoch)<<slotBits | slot
}

// SlotRange is the range of keys [lo, hi] of papers whose post is dated on
// date's UTC day: a day holds up to 8,192 papers.
func SlotRange(date time.Time) (lo, hi int64) {
	lo = SortKey(date, 0)
	return lo, lo | (1<<slotBits - 1)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// SlotBitsSQL is the number of slot bits, for SQL that finds a key's day.
const SlotBitsSQL = "13"

const (
	slotBits = 13
	keyEpoch = 1 << 20 // days: years before 1970 stay positive
)

// Index is what Search needs of a store's search index.
type Index struct {
	Dialect Dialect
	// Fetch runs an index query newest first, a batch at a time.
	Fetch Fetcher
	// Count returns, for every published paper the index query anywhere
	// matches, how many of the index queries titles it matches, without
	// reading the papers.
	Count func(ctx context.Context, anywhere string, titles []string) (map[int64]int, error)
	// Read reads the published papers with these keys, in any order; a key
	// with no such paper is left out.
	Read func(ctx context.Context, keys []int64) ([]Candidate, error)
	// Missing, if set, reports whether some one of these index queries
	// (each one word of a query, anywhere) matches no published paper.
	// Search asks it before counting, whose index query would otherwise
	// read the whole lists of every other word to find nothing (PostgreSQL
	// reads each prefix's list in full before it combines them).
	Missing func(ctx context.Context, words []string) (bool, error)
}

// levelWords is the most words a query may have for Search to ask the
// index for each level of title matches (Query.Level): a level is C(k,s)
// alternatives, 2^k over the k+1 levels, and the index reads the same
// lists again for each, which made 8 words cost over a second. Counting
// title matches instead (searchCounted) reads each list once, but reads
// every paper with a word in the title, while each level's query stops at
// the papers it needs. Measured on 20,000 papers (SQLite): for 4 words
// whose titles fill the levels the levels took 1.5 ms and counting 20-30;
// for 4 words no paper has, 10 ms and 1.3; for 5 and 6 such words the
// levels took 38 and 77-96 ms, counting 1.5-3.5.
const levelWords = 4

// Search runs q as index queries on ix and returns up to limit hits best
// first: more words in the title first, then newer (the post's date, then
// post path descending, then the paper's position). Score is 1 plus the
// words in the title. Match decides every hit; the index only narrows down.
func Search(ctx context.Context, q Query, limit int, ix Index) ([]bot.PaperHit, error) {
	if q.Empty() || limit <= 0 {
		return nil, nil
	}
	var out []bot.PaperHit
	top := len(q.words)
	if top > levelWords {
		if ix.Missing != nil {
			words := make([]string, len(q.words))
			for i := range q.words {
				words[i] = q.word(ix.Dialect, &q.words[i], "")
			}
			// A paper matching the query has every word: none does.
			if none, err := ix.Missing(ctx, words); err != nil || none {
				return nil, err
			}
		}
		hs, err := searchCounted(ctx, q, limit, ix)
		if err != nil {
			return nil, err
		}
		out, top = hs, 0
	}
	for s := top; s >= 0 && len(out) < limit; s-- {
		level, err := searchLevel(ctx, q, s, limit-len(out), ix.Dialect, ix.Fetch)
		if err != nil {
			return nil, err
		}
		out = append(out, level...)
	}
	return out, nil
}

// Titles returns the index queries for the papers that may have each
// word of q in the title, and the one for the papers that may have every
// word anywhere and one of them in the title.
func (q *Query) Titles(d Dialect) (titles []string, anywhere string) {
	all := make([]string, 0, len(q.words)+1)
	for i := range q.words {
		titles = append(titles, q.word(d, &q.words[i], TitleMark))
		all = append(all, q.word(d, &q.words[i], ""))
	}
	all = append(all, d.join(titles, "OR"))
	return titles, d.join(all, "AND")
}

// searchCounted returns up to limit papers with at least one word of q in
// the title, best first. It asks the index which papers may have every
// word anywhere and one in the title, and for each how many words' title
// terms it has (Titles): its level for plain words, an upper bound for the
// others (Match decides). Rows are then read for the best levels only,
// newest first, and each level stops as searchLevel does. The index
// queries grow with the words, not with the levels' 2^k alternatives.
func searchCounted(ctx context.Context, q Query, limit int, ix Index) ([]bot.PaperHit, error) {
	k := len(q.words)
	titles, anywhere := q.Titles(ix.Dialect)
	lists, err := ix.Count(ctx, anywhere, titles)
	if err != nil {
		return nil, err
	}
	// unread[s]: papers in s lists, not read yet. found[s]: papers read at
	// a higher level that Match put at level s (non-plain words only).
	unread := make([][]int64, k+1)
	for key, n := range lists {
		if n > 0 && n <= k {
			unread[n] = append(unread[n], key)
		}
	}
	found := make([][]Candidate, k+1)
	var out []bot.PaperHit
	for s := k; s >= 1 && len(out) < limit; s-- {
		got, err := countedLevel(ctx, q, s, limit-len(out), ix, unread[s], found)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}

// countedLevel returns up to want papers with exactly s words in the title
// from keys (unread papers in s title lists) and found[s]. Every paper in
// more lists has been read by now: a level that returns fewer than it was
// asked for has read all its papers, and one that returns as many ends the
// search.
func countedLevel(ctx context.Context, q Query, s, want int, ix Index, keys []int64, found [][]Candidate) ([]bot.PaperHit, error) {
	type item struct {
		key int64
		c   *Candidate // nil: unread
	}
	items := make([]item, 0, len(keys)+len(found[s]))
	for _, key := range keys {
		items = append(items, item{key: key})
	}
	for i := range found[s] {
		items = append(items, item{found[s][i].Key, &found[s][i]})
	}
	sort.Slice(items, func(i, j int) bool { return items[i].key > items[j].key })
	var got []Candidate
	batch := min(want+8, 256)
	for i := 0; i < len(items); i++ {
		if len(got) >= want && items[i].key>>slotBits != got[want-1].Key>>slotBits {
			break
		}
		if items[i].c == nil {
			// Read the rows of the next batch of unread papers at once.
			var ask []int64
			at := make(map[int64]int, batch)
			for j := i; j < len(items) && len(ask) < batch; j++ {
				if items[j].c == nil {
					ask = append(ask, items[j].key)
					at[items[j].key] = j
				}
			}
			cs, err := ix.Read(ctx, ask)
			if err != nil {
				return nil, err
			}
			for j := range cs {
				if n, ok := at[cs[j].Key]; ok {
					items[n].c = &cs[j]
				}
			}
			for _, key := range ask {
				if items[at[key]].c == nil {
					items[at[key]].c = &Candidate{Key: key, Unreadable: true} // gone since it was listed
				}
			}
			batch = min(batch*2, 1024)
		}
		c := items[i].c
		if c.Unreadable {
			continue
		}
		title, text := SearchText(&c.Hit.Paper)
		ok, n := q.Match(title, text)
		switch {
		case !ok || n == 0 || n > s:
			// Not a hit, or one level 0 finds (a paper in more lists
			// than its words in the title cannot be here).
		case n == s:
			c.Hit.Score = float64(1 + s)
			got = append(got, *c)
		default:
			found[n] = append(found[n], *c)
		}
	}
	return best(got, want), nil
}

// searchLevel returns up to want papers with exactly s words in the title.
// Keys order papers by their day only, so it reads on past the want-th
// paper to the end of its day and sorts those exactly.
func searchLevel(ctx context.Context, q Query, s, want int, d Dialect, fetch Fetcher) ([]bot.PaperHit, error) {
	expr := q.Level(d, s)
	var got []Candidate
	before := int64(math.MaxInt64)
	batch := min(want+8, 256)
	for {
		cs, err := fetch(ctx, expr, before, batch)
		if err != nil {
			return nil, err
		}
		done := len(cs) < batch
		for _, c := range cs {
			if len(got) >= want && c.Key>>slotBits != got[want-1].Key>>slotBits {
				done = true
				break
			}
			if c.Unreadable {
				continue
			}
			title, text := SearchText(&c.Hit.Paper)
			if ok, n := q.Match(title, text); ok && n == s {
				c.Hit.Score = float64(1 + s)
				got = append(got, c)
			}
		}
		if done || len(cs) == 0 {
			break
		}
		before = cs[len(cs)-1].Key
		batch = min(batch*2, 1024)
	}
	return best(got, want), nil
}

// best returns the first want of got in the exact order of hits: newer
// first, then post path descending, then the paper's position.
func best(got []Candidate, want int) []bot.PaperHit {
	sort.SliceStable(got, func(i, j int) bool {
		a, b := &got[i], &got[j]
		if !a.Date.Equal(b.Date) {
			return a.Date.After(b.Date)
		}
		if a.Hit.Post.Path != b.Hit.Post.Path {
			return a.Hit.Post.Path > b.Hit.Post.Path
		}
		return a.Idx < b.Idx
	})
	if len(got) > want {
		got = got[:want]
	}
	out := make([]bot.PaperHit, len(got))
	for i := range got {
		out[i] = got[i].Hit
	}
	return out
}
