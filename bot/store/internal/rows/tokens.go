package rows

import (
	"hash/maphash"
	"strconv"
	"sync"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/paperbot/paperbot/bot"
)

// PaperTokens returns IndexTokens(SearchText(p)), the tokens the stores
// index for p, without lowercasing the whole text first: it tokenizes the
// text as written and lowercases each token, reading ASCII through tables.
// On a first start this was as costly as parsing the posts (strings.ToLower
// maps every rune of Korean text, and the unicode tables answer every rune
// of the tokenizer). strings.ToLower maps rune by rune (unicode.ToLower;
// invalid UTF-8 becomes U+FFFD, which no token holds), so classifying each
// lowercased rune here gives the same tokens, in the same order
// (TestPaperTokens compares them).
func PaperTokens(p *bot.Paper) []string {
	t := tokenizers.Get().(*tokenizer)
	defer t.done()
	return t.paper(p)
}

// PostTokens returns PaperTokens of each of papers joined by spaces, as
// the search index takes them, and the post's terms: every token of its
// papers once, in the order they first occur. One set serves both: a set
// per paper and another for the post cost two lookups per token. Each
// paper's tokens are joined as they are found, into one buffer for the
// post: a slice of tokens per paper, then strings.Join, allocated twice.
func PostTokens(papers []bot.Paper) (tokens []string, terms []string) {
	t := tokenizers.Get().(*tokenizer)
	defer t.done()
	tokens = make([]string, len(papers))
	ends := make([]int, len(papers))
	t.joined = t.joined[:0]
	// terms is handed to the caller, so it is new for each post: sized as
	// the last post's was, it is not grown (and copied) a dozen times.
	t.terms = make([]string, 0, t.termsHint)
	for i := range papers {
		t.out = t.out[:0]
		t.scanPaper(&papers[i])
		for j, tok := range t.out {
			if j > 0 {
				t.joined = append(t.joined, ' ')
			}
			t.joined = append(t.joined, tok...)
		}
		ends[i] = len(t.joined)
	}
	all := string(t.joined)
	start := 0
	for i, end := range ends {
		tokens[i] = all[start:end]
		start = end
	}
	t.out = t.out[:0]
	t.termsHint = len(t.terms) + len(t.terms)/8
	return tokens, t.terms
}

// tokenizers keep their set of seen tokens between posts: a new set per
// paper was a tenth of PaperTokens.
var tokenizers = sync.Pool{New: func() any {
	return &tokenizer{seen: newTokenSet(), classes: bmpClasses()}
}}

// Rune classes, of the lowercased rune.
const (
	classSkip   = iota // space, control characters, U+FFFD
	classWord          // letters, digits and marks
	classSymbol        // anything else
	// classLowers marks a rune that unicode.ToLower changes.
	classLowers = 4
)

var (
	// bmpClasses are the classes of the runes of the Basic Multilingual
	// Plane (all of Hangul, Latin, CJK), looked up once: the unicode
	// tables are binary searches, and a paper is thousands of runes.
	bmpClasses = sync.OnceValue(func() *[0x10000]uint8 {
		var t [0x10000]uint8
		for r := range rune(len(t)) {
			t[r] = slowClass(r)
		}
		return &t
	})
	// asciiSymbols are the symbol tokens of ASCII characters.
	asciiSymbols [utf8.RuneSelf]string
)

func init() {
	for c := range rune(utf8.RuneSelf) {
		if slowClass(c) == classSymbol {
			asciiSymbols[c] = symbolToken(c)
		}
	}
}

func slowClass(r rune) uint8 {
	lr := unicode.ToLower(r)
	var c uint8
	switch {
	case isWordRune(lr):
		c = classWord
	case unicode.IsSpace(lr) || unicode.IsControl(lr) || lr == utf8.RuneError:
		c = classSkip
	default:
		c = classSymbol
	}
	if lr != r {
		c |= classLowers
	}
	return c
}

func symbolToken(r rune) string { return SymbolMark + strconv.FormatInt(int64(r), 16) }

type tokenizer struct {
	// seen indexes the tokens met so far in toks and in last, the number
	// of the paper (from 1) that last had each.
	seen   tokenSet
	toks   []string
	last   []int32
	n      int32    // the paper being read, from 1
	out    []string // its tokens
	terms  []string // every token met, in order
	buf    []byte
	joined []byte // PostTokens' papers' tokens
	// termsHint is the capacity PostTokens gives terms: a little more
	// than the last post had.
	termsHint int
	classes   *[0x10000]uint8
}

// paper returns the tokens of p; its new ones are added to terms.
func (t *tokenizer) paper(p *bot.Paper) []string {
	t.out = make([]string, 0, 256)
	t.scanPaper(p)
	out := t.out
	t.out = nil
	return out
}

// scanPaper appends the tokens of p to out; its new ones are added to terms.
// It reads paperText(p) part by part, without joining the parts: the line
// between two parts ends any token, so the tokens are the same, and a first
// start no longer copies every paper's text once more (560 MB of garbage on
// 8,000 posts).
func (t *tokenizer) scanPaper(p *bot.Paper) {
	t.n++
	t.scan(p.Title, "")
	for i := range p.Sections {
		t.scan(p.Sections[i].Name, "")
		t.scan(p.Sections[i].Text(), "")
	}
	t.scan(p.Title, TitleMark)
}

// done puts t back in the pool, empty: its keys hold the text.
func (t *tokenizer) done() {
	t.seen.clear()
	clear(t.toks)
	t.toks, t.last, t.terms, t.n = t.toks[:0], t.last[:0], nil, 0
	tokenizers.Put(t)
}

// add adds mark+w, lowercased unless lowered; it allocates only for new
// tokens that are not a part of the text.
func (t *tokenizer) add(mark, w string, lowered bool) {
	key := w
	if mark != "" || !lowered {
		t.buf = append(t.buf[:0], mark...)
		if lowered {
			t.buf = append(t.buf, w...)
		} else {
			for _, r := range w {
				t.buf = utf8.AppendRune(t.buf, unicode.ToLower(r))
			}
		}
		// Looked up in place; kept, it is copied.
		key = unsafe.String(unsafe.SliceData(t.buf), len(t.buf))
	}
	h := t.seen.hash(key)
	if i, ok := t.seen.find(key, h, t.toks); ok {
		t.again(i)
		return
	}
	if mark != "" || !lowered {
		key = string(t.buf)
	}
	t.seen.insert(h, int32(len(t.toks)))
	t.toks, t.last = append(t.toks, key), append(t.last, t.n)
	t.out, t.terms = append(t.out, key), append(t.terms, key)
}

// again notes the i-th token met again.
func (t *tokenizer) again(i int32) {
	if t.last[i] != t.n {
		t.last[i] = t.n
		t.out = append(t.out, t.toks[i])
	}
}

// next returns the rune at s[i:] (U+FFFD for invalid UTF-8, as
// strings.ToLower writes it), its width and its class.
func (t *tokenizer) next(s string, i int) (rune, int, uint8) {
	c := s[i]
	if c < utf8.RuneSelf {
		return rune(c), 1, t.classes[c]
	}
	// Three bytes (all of Hangul and CJK) decoded here: the posts are
	// mostly Korean, and utf8's general decoder was a tenth of PostTokens
	// (a first start on 8,000 posts: 0.3 CPU-s less with this, three
	// interleaved pairs of runs). What utf8 would refuse (overlong forms,
	// surrogates, a short or bad sequence) is left to it.
	if c&0xF0 == 0xE0 && i+2 < len(s) {
		c1, c2 := s[i+1], s[i+2]
		if c1&0xC0 == 0x80 && c2&0xC0 == 0x80 {
			r := rune(c&0x0F)<<12 | rune(c1&0x3F)<<6 | rune(c2&0x3F)
			if r >= 0x800 && (r < 0xD800 || r > 0xDFFF) {
				return r, 3, t.classes[r]
			}
		}
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	if r < 0x10000 {
		return r, n, t.classes[r]
	}
	return r, n, slowClass(r)
}

// scan adds the tokens of s, lowercased, as eachToken(strings.ToLower(s))
// finds them, each with mark in front.
func (t *tokenizer) scan(s, mark string) {
	for i := 0; i < len(s); {
		r, n, class := t.next(s, i)
		switch class &^ classLowers {
		case classWord:
			// A word: s[i:end] is its first maxTokenRunes runes, j its end.
			j, end, runes := i, i, 0
			same := true // s[i:end] needs no lowercasing
			for j < len(s) {
				_, n, class := t.next(s, j)
				if class&^classLowers != classWord {
					break
				}
				if class&classLowers != 0 && runes < maxTokenRunes {
					same = false
				}
				j += n
				if runes < maxTokenRunes {
					end = j
				}
				runes++
			}
			t.add(mark, s[i:end], same)
			i = j
			continue
		case classSymbol:
			if r < utf8.RuneSelf {
				t.add(mark, asciiSymbols[r], true)
			} else {
				t.add(mark, symbolToken(unicode.ToLower(r)), true)
			}
		}
		i += n
	}
}

// tokenSet finds a token's index in a tokenizer's toks. It is a Go map
// from token to index cut down to what the tokenizer needs: open
// addressing over a power-of-two table holding each entry's hash beside
// its index, so that a probe that misses compares no string. With a
// map[string]int32 instead, the set was 1.3 of the 3.1 CPU-s PostTokens
// took on a first start on 8,000 posts (BenchmarkIndexArchive, a profile
// of one scan each way), against 0.6 with this (PostTokens 2.6); the whole
// scan took 0.1-0.3 CPU-s less, in three interleaved pairs of runs.
type tokenSet struct {
	seed  maphash.Seed
	slots []uint64 // hash<<32 | index+1; 0 is empty
	n     int
}

// tokenSetSize is a new set's table: a benchmark archive's post has about
// 1,700 distinct tokens, and the table is at most half full.
const tokenSetSize = 4096

func newTokenSet() tokenSet {
	return tokenSet{seed: maphash.MakeSeed(), slots: make([]uint64, tokenSetSize)}
}

func (s *tokenSet) hash(tok string) uint32 { return uint32(maphash.String(s.seed, tok)) }

// find returns the index of tok, whose hash is h, in toks.
func (s *tokenSet) find(tok string, h uint32, toks []string) (int32, bool) {
	mask := uint32(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		e := s.slots[i]
		if e == 0 {
			return 0, false
		}
		if uint32(e>>32) == h && toks[uint32(e)-1] == tok {
			return int32(uint32(e) - 1), true
		}
	}
}

// insert adds the token at index i of toks, whose hash is h; it must not
// be in the set yet.
func (s *tokenSet) insert(h uint32, i int32) {
	if 2*(s.n+1) > len(s.slots) {
		old := s.slots
		s.slots = make([]uint64, 2*len(old))
		for _, e := range old {
			if e != 0 {
				s.put(e)
			}
		}
	}
	s.put(uint64(h)<<32 | uint64(i+1))
	s.n++
}

func (s *tokenSet) put(e uint64) {
	mask := uint32(len(s.slots) - 1)
	for i := uint32(e>>32) & mask; ; i = (i + 1) & mask {
		if s.slots[i] == 0 {
			s.slots[i] = e
			return
		}
	}
}

// clear empties the set; a table one huge post grew is not kept.
func (s *tokenSet) clear() {
	if len(s.slots) > 16*tokenSetSize {
		s.slots = make([]uint64, tokenSetSize)
	} else {
		clear(s.slots)
	}
	s.n = 0
}
