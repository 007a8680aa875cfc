package rows

import (
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/paperbot/paperbot/bot"
)

// The stores keep every paper and digest as the JSON json.Marshal makes of
// it, and reading a paper back is the hot part of serving one: generic
// reflection-based json.Unmarshal is most of that cost. The decoder below
// knows the exact shape json.Marshal gives bot.Paper and bot.Digest, takes
// strings as substrings of one copy of the input, and allocates each slice
// once at its final length. Whenever the input strays from that shape in any
// way, it gives up and lets encoding/json decide, so that the results never
// differ from encoding/json's.

// DecodePaper decodes a paper stored as JSON into *p.
//
// The result is exactly what json.Unmarshal gives for doc and a zero p
// (reflect.DeepEqual, including nil versus empty slices), and DecodePaper
// fails exactly when json.Unmarshal fails, with json.Unmarshal's error.
// *p is always overwritten as a whole, never merged into: it is left as
// json.Unmarshal would leave a zero Paper, partial results on error
// included.
//
// JSON in the shape json.Marshal produces takes a fast path; anything else
// (unknown or case-different keys, duplicate keys, null, escapes or numbers
// the fast path does not handle, malformed input) goes to json.Unmarshal.
//
// doc is a string because database drivers return text columns as strings:
// the result's strings are substrings of it, so decoding copies none of it.
func DecodePaper(doc string, p *bot.Paper) error {
	if v, ok := decodePaperFast(doc); ok {
		*p = v
		return nil
	}
	var v bot.Paper
	err := json.Unmarshal([]byte(doc), &v)
	*p = v
	return err
}

// DecodeDigest decodes a digest stored as JSON into *d, with the same
// contract as DecodePaper: the result and the failure are exactly
// json.Unmarshal's for a zero d.
func DecodeDigest(doc string, d *bot.Digest) error {
	if v, ok := decodeDigestFast(doc); ok {
		*d = v
		return nil
	}
	var v bot.Digest
	err := json.Unmarshal([]byte(doc), &v)
	*d = v
	return err
}

// decodePaperFast decodes doc if it is in the shape json.Marshal gives a
// bot.Paper; ok is false (and the paper is to be ignored) for any other
// input, valid or not.
func decodePaperFast(doc string) (p bot.Paper, ok bool) {
	d := newDecoder(doc)
	defer d.release()
	p = d.paper()
	d.end()
	return p, !d.bad
}

// decodeDigestFast is decodePaperFast for a bot.Digest.
func decodeDigestFast(doc string) (dg bot.Digest, ok bool) {
	d := newDecoder(doc)
	defer d.release()
	dg = d.digest()
	d.end()
	return dg, !d.bad
}

// maxDepth bounds the nesting of lists and inline runs the fast path follows.
// Deeper input goes to encoding/json, which has its own, larger limit (10000
// levels): anything the fast path accepts is well within it, and the
// recursion here stays shallow.
const maxDepth = 100

// decoder is a cursor over one JSON document. Its reads do not return
// errors: the first thing it does not understand marks it bad and moves the
// cursor to the end, so every later read fails at once and every loop ends;
// the caller checks bad once at the end.
type decoder struct {
	s     string // the input: unescaped strings are substrings of it
	i     int    // the next byte to read
	bad   bool
	depth int
	buf   []byte // scratch for unescaping strings

	// Piles hold the elements of the arrays being decoded.
	inlines  pile[bot.Inline]
	blocks   pile[bot.Block]
	items    pile[[]bot.Block]
	sections pile[bot.Section]
	papers   pile[bot.Paper]
	strs     pile[string]
}

// decoders keeps decoders with their scratch stacks between calls, so a
// decode allocates only what its result keeps.
var decoders = sync.Pool{New: func() any { return new(decoder) }}

func newDecoder(doc string) *decoder {
	d := decoders.Get().(*decoder)
	d.s, d.i, d.bad, d.depth = doc, 0, false, 0
	// A first chunk sized to the input avoids regrowing for typical papers
	// without wasting much: json.Marshal spends 100-300 bytes of the sample
	// posts on an inline run, 120-270 on a block, and a paper has about five
	// sections.
	d.inlines.reset(len(doc) / 100)
	d.blocks.reset(len(doc) / 150)
	d.items.reset(len(doc) / 250)
	d.sections.reset(len(doc) / 600)
	d.papers.reset(len(doc) / 3000)
	d.strs.reset(4)
	return d
}

// release returns d to the pool without references into the input or the
// result, so a pooled decoder keeps neither alive.
func (d *decoder) release() {
	d.s = ""
	d.inlines.release()
	d.blocks.release()
	d.items.release()
	d.sections.release()
	d.papers.release()
	d.strs.release()
	decoders.Put(d)
}

// fail marks the input as not for the fast path.
func (d *decoder) fail() {
	d.bad = true
	d.i = len(d.s)
}

// end requires nothing but whitespace after the value, as json.Unmarshal does.
func (d *decoder) end() {
	d.skipWS()
	if d.i != len(d.s) {
		d.fail()
	}
}

// skipWS skips JSON's four whitespace characters (and no others).
func (d *decoder) skipWS() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// expect consumes c, after whitespace.
func (d *decoder) expect(c byte) {
	d.skipWS()
	if d.i < len(d.s) && d.s[d.i] == c {
		d.i++
		return
	}
	d.fail()
}

// more advances through an array or object whose opening bracket has been
// read and n of whose elements have been: it consumes the closing bracket
// and reports false at the end, else consumes the comma (for n > 0) and
// reports true. A trailing comma is caught by the element's own read, which
// does not accept a closing bracket.
func (d *decoder) more(closing byte, n int) bool {
	d.skipWS()
	if d.i >= len(d.s) {
		d.fail()
		return false
	}
	if d.s[d.i] == closing {
		d.i++
		return false
	}
	if n > 0 {
		if d.s[d.i] != ',' {
			d.fail()
			return false
		}
		d.i++
	}
	return true
}

// key reads an object key and its colon. Keys with escapes are left to
// encoding/json, which unescapes them before matching.
func (d *decoder) key() string {
	d.expect('"')
	start := d.i
	for d.i < len(d.s) {
		switch c := d.s[d.i]; {
		case c == '"':
			k := d.s[start:d.i]
			d.i++
			d.expect(':')
			return k
		case c == '\\' || c < 0x20:
			d.fail()
			return ""
		}
		d.i++
	}
	d.fail()
	return ""
}

// once records that the field with this bit was set in an object and fails
// on the second time: encoding/json merges a repeated key into what the
// first one decoded, which the fast path does not imitate.
func (d *decoder) once(seen *uint16, bit uint16) {
	if *seen&bit != 0 {
		d.fail()
	}
	*seen |= bit
}

// enter and leave bound the recursion of nested lists and inline runs.
func (d *decoder) enter() {
	if d.depth++; d.depth > maxDepth {
		d.fail()
	}
}

func (d *decoder) leave() { d.depth-- }

// readString reads a string. One without escapes is a substring of the
// input; one with escapes is unescaped into a new string.
func (d *decoder) readString() string {
	d.expect('"')
	start := d.i
	// The closing quote is the first quote unless a backslash comes before
	// it; IndexByte is vectorised, unlike a loop over the bytes.
	n := strings.IndexByte(d.s[start:], '"')
	if n < 0 {
		d.fail()
		return ""
	}
	str := d.s[start : start+n]
	if strings.IndexByte(str, '\\') >= 0 {
		return d.readEscaped()
	}
	// encoding/json rejects control characters and replaces invalid UTF-8
	// with U+FFFD.
	if !plainText(str) {
		d.fail()
		return ""
	}
	d.i = start + n + 1
	return str
}

// plainText reports whether s, the inside of a string without escapes, is
// valid UTF-8 without control characters. It looks at eight bytes at a time,
// and checks UTF-8 only when there is a non-ASCII byte.
func plainText(s string) bool {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	var seen uint64 // the bytes ORed together
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		// Nonzero exactly when some byte is below 0x20: subtracting 0x20
		// from every byte borrows (sets the high bit) only in or above such
		// a byte, and ^w drops bytes that had the high bit already.
		if (w-0x20*ones)&^w&highs != 0 {
			return false
		}
		seen |= w
	}
	for ; i < len(s); i++ {
		if s[i] < 0x20 {
			return false
		}
		seen |= uint64(s[i])
	}
	return seen&highs == 0 || utf8.ValidString(s)
}

// readEscaped finishes readString for a string with escapes, the cursor
// at its first byte.
func (d *decoder) readEscaped() string {
	start := d.i
	b := d.buf[:0]
	for d.i < len(d.s) {
		c := d.s[d.i]
		switch {
		case c == '"':
			d.i++
			// Escapes are ASCII, so the raw bytes between them are valid
			// UTF-8 if and only if the raw string as a whole is.
			if !utf8.ValidString(d.s[start : d.i-1]) {
				d.fail()
				return ""
			}
			d.buf = b
			return string(b)
		case c < 0x20:
			d.fail()
			return ""
		case c != '\\':
			b = append(b, c)
			d.i++
			continue
		}
		if d.i+1 >= len(d.s) {
			d.fail()
			return ""
		}
		esc := d.s[d.i+1]
		d.i += 2
		switch esc {
		case '"', '\\', '/':
			b = append(b, esc)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r := d.hex4()
			switch {
			case r < 0:
				return ""
			case 0xD800 <= r && r < 0xDC00:
				// A high surrogate must be followed by an escaped low
				// one; encoding/json turns anything else into U+FFFD.
				if !(d.i+1 < len(d.s) && d.s[d.i] == '\\' && d.s[d.i+1] == 'u') {
					d.fail()
					return ""
				}
				d.i += 2
				lo := d.hex4()
				if lo < 0xDC00 || lo >= 0xE000 {
					d.fail()
					return ""
				}
				r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
			case 0xDC00 <= r && r < 0xE000:
				d.fail() // a lone low surrogate
				return ""
			}
			b = utf8.AppendRune(b, r)
		default:
			d.fail()
			return ""
		}
	}
	d.fail()
	return ""
}

// hex4 reads the four hex digits of a \u escape, or fails and returns -1.
func (d *decoder) hex4() rune {
	if d.i+4 > len(d.s) {
		d.fail()
		return -1
	}
	var r rune
	for _, c := range []byte(d.s[d.i : d.i+4]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			d.fail()
			return -1
		}
		r = r<<4 | rune(c)
	}
	d.i += 4
	return r
}

// readInt reads a JSON number that is a plain integer in range of int. A
// fraction or an exponent fails, as do numbers encoding/json would reject
// for an int field.
func (d *decoder) readInt() int {
	d.skipWS()
	start := d.i
	if d.i < len(d.s) && d.s[d.i] == '-' {
		d.i++
	}
	digits := d.i
	for d.i < len(d.s) && '0' <= d.s[d.i] && d.s[d.i] <= '9' {
		d.i++
	}
	switch {
	case d.i == digits:
		d.fail() // no digits
		return 0
	case d.s[digits] == '0' && d.i-digits > 1:
		d.fail() // JSON has no leading zeros
		return 0
	case d.i < len(d.s) && (d.s[d.i] == '.' || d.s[d.i] == 'e' || d.s[d.i] == 'E'):
		d.fail()
		return 0
	}
	// The grammar above leaves only what Atoi and encoding/json's ParseInt
	// read alike; Atoi fails on overflow of int as encoding/json does.
	n, err := strconv.Atoi(d.s[start:d.i])
	if err != nil {
		d.fail()
	}
	return n
}

// readBool reads true or false. What follows is checked by the next read.
func (d *decoder) readBool() bool {
	d.skipWS()
	switch {
	case len(d.s)-d.i >= 4 && d.s[d.i:d.i+4] == "true":
		d.i += 4
		return true
	case len(d.s)-d.i >= 5 && d.s[d.i:d.i+5] == "false":
		d.i += 5
		return false
	}
	d.fail()
	return false
}

// readTime reads a time the way encoding/json does, by handing the quoted
// token to time.Time.UnmarshalJSON. Only printable ASCII without escapes is
// taken: an RFC 3339 time needs nothing else, and time.Time.UnmarshalJSON
// does not unescape.
func (d *decoder) readTime() time.Time {
	var t time.Time
	d.skipWS()
	start := d.i
	d.expect('"')
	for d.i < len(d.s) && d.s[d.i] != '"' {
		if c := d.s[d.i]; c < 0x20 || c >= 0x7f || c == '\\' {
			d.fail()
			return t
		}
		d.i++
	}
	d.expect('"')
	if d.bad {
		return t
	}
	if err := t.UnmarshalJSON([]byte(d.s[start:d.i])); err != nil {
		d.fail()
	}
	return t
}

// readStrings reads an array of strings.
func (d *decoder) readStrings() []string {
	d.expect('[')
	mark := d.strs.mark()
	for n := 0; d.more(']', n); n++ {
		d.strs.push(d.readString())
	}
	return d.strs.pop(mark)
}

// One function per type follows. Each reads an object key by key, accepting
// exactly the field names json.Marshal writes (encoding/json would also take
// other cases and ignore unknown keys: those go to it), each at most once.

func (d *decoder) digest() bot.Digest {
	var dg bot.Digest
	var seen uint16
	d.expect('{')
	for n := 0; d.more('}', n); n++ {
		switch d.key() {
		case "date":
			d.once(&seen, 1<<0)
			dg.Date = d.readTime()
		case "title":
			d.once(&seen, 1<<1)
			dg.Title = d.readString()
		case "tags":
			d.once(&seen, 1<<2)
			dg.Tags = d.readStrings()
		case "categories":
			d.once(&seen, 1<<3)
			dg.Categories = d.readStrings()
		case "draft":
			d.once(&seen, 1<<4)
			dg.Draft = d.readBool()
		case "path":
			d.once(&seen, 1<<5)
			dg.Path = d.readString()
		case "hash":
			d.once(&seen, 1<<6)
			dg.Hash = d.readString()
		case "papers":
			d.once(&seen, 1<<7)
			d.expect('[')
			mark := d.papers.mark()
			for n := 0; d.more(']', n); n++ {
				d.papers.push(d.paper())
			}
			dg.Papers = d.papers.pop(mark)
		default:
			d.fail()
		}
	}
	return dg
}

func (d *decoder) paper() bot.Paper {
	var p bot.Paper
	var seen uint16
	d.expect('{')
	for n := 0; d.more('}', n); n++ {
		switch d.key() {
		case "number":
			d.once(&seen, 1<<0)
			p.Number = d.readInt()
		case "title":
			d.once(&seen, 1<<1)
			p.Title = d.readString()
		case "id":
			d.once(&seen, 1<<2)
			p.ID = bot.ArxivID(d.readString())
		case "version":
			d.once(&seen, 1<<3)
			p.Version = d.readString()
		case "url":
			d.once(&seen, 1<<4)
			p.URL = d.readString()
		case "alphaxiv_url":
			d.once(&seen, 1<<5)
			p.AlphaxivURL = d.readString()
		case "sections":
			d.once(&seen, 1<<6)
			d.expect('[')
			mark := d.sections.mark()
			for n := 0; d.more(']', n); n++ {
				d.sections.push(d.section())
			}
			p.Sections = d.sections.pop(mark)
		case "line":
			d.once(&seen, 1<<7)
			p.Line = d.readInt()
		default:
			d.fail()
		}
	}
	return p
}

func (d *decoder) section() bot.Section {
	var s bot.Section
	var seen uint16
	d.expect('{')
	for n := 0; d.more('}', n); n++ {
		switch d.key() {
		case "name":
			d.once(&seen, 1<<0)
			s.Name = d.readString()
		case "blocks":
			d.once(&seen, 1<<1)
			s.Blocks = d.readBlocks()
		case "no_info":
			d.once(&seen, 1<<2)
			s.NoInfo = d.readBool()
		case "line":
			d.once(&seen, 1<<3)
			s.Line = d.readInt()
		default:
			d.fail()
		}
	}
	return s
}

// readBlocks reads a section's blocks or one list item.
func (d *decoder) readBlocks() []bot.Block {
	d.expect('[')
	mark := d.blocks.mark()
	for n := 0; d.more(']', n); n++ {
		d.blocks.push(d.block())
	}
	return d.blocks.pop(mark)
}

func (d *decoder) block() bot.Block {
	d.enter()
	defer d.leave()
	var b bot.Block
	var seen uint16
	d.expect('{')
	for n := 0; d.more('}', n); n++ {
		switch d.key() {
		case "kind":
			d.once(&seen, 1<<0)
			b.Kind = bot.BlockKind(d.readString())
		case "inlines":
			d.once(&seen, 1<<1)
			b.Inlines = d.readInlines()
		case "ordered":
			d.once(&seen, 1<<2)
			b.Ordered = d.readBool()
		case "start":
			d.once(&seen, 1<<3)
			b.Start = d.readInt()
		case "items":
			d.once(&seen, 1<<4)
			d.expect('[')
			mark := d.items.mark()
			for n := 0; d.more(']', n); n++ {
				d.items.push(d.readBlocks())
			}
			b.Items = d.items.pop(mark)
		default:
			d.fail()
		}
	}
	return b
}

func (d *decoder) readInlines() []bot.Inline {
	d.expect('[')
	mark := d.inlines.mark()
	for n := 0; d.more(']', n); n++ {
		d.inlines.push(d.inline())
	}
	return d.inlines.pop(mark)
}

func (d *decoder) inline() bot.Inline {
	d.enter()
	defer d.leave()
	var in bot.Inline
	var seen uint16
	d.expect('{')
	for n := 0; d.more('}', n); n++ {
		switch d.key() {
		case "kind":
			d.once(&seen, 1<<0)
			in.Kind = bot.InlineKind(d.readString())
		case "text":
			d.once(&seen, 1<<1)
			in.Text = d.readString()
		case "url":
			d.once(&seen, 1<<2)
			in.URL = d.readString()
		case "children":
			d.once(&seen, 1<<3)
			in.Children = d.readInlines()
		default:
			d.fail()
		}
	}
	return in
}

// pile collects the elements of arrays of one type while they are decoded
// and hands each finished array out as a slice of exactly its length.
//
// The elements go on a stack first, since an array's length is known only
// at its end; an element's own arrays (an inline's children, a list's
// items) are pushed and popped above it before it is pushed. A finished
// array is copied off the stack into the current chunk, a larger array
// shared by the arrays of one decode, so that the many one-element arrays
// json.Marshal writes for list items and paragraphs do not cost an
// allocation each. Each slice is capped at its length, so appending to one
// reallocates instead of writing into its neighbour.
type pile[T any] struct {
	stack []T // elements of the arrays still open; kept across decodes
	chunk []T // the unused rest of the current chunk
	next  int // the size of the next chunk
}

// reset prepares the pile for a decode, with a first chunk of about hint
// elements.
func (p *pile[T]) reset(hint int) {
	p.chunk = nil
	// Capped, so that one long string does not buy a large chunk.
	p.next = min(max(hint, 1), 256)
}

// release drops the chunk, which belongs to the result now, and the stack's
// stale elements, which point into the input.
func (p *pile[T]) release() {
	clear(p.stack[:cap(p.stack)])
	p.stack = p.stack[:0]
	p.chunk = nil
}

func (p *pile[T]) mark() int { return len(p.stack) }

func (p *pile[T]) push(v T) { p.stack = append(p.stack, v) }

// pop ends the array whose first element was at mark and returns it; "[]"
// gives an empty, non-nil slice, as with encoding/json.
func (p *pile[T]) pop(mark int) []T {
	n := len(p.stack) - mark
	if n == 0 {
		return []T{}
	}
	if n > len(p.chunk) {
		p.chunk = make([]T, max(n, p.next))
		p.next *= 2
	}
	out := p.chunk[:n:n]
	p.chunk = p.chunk[n:]
	copy(out, p.stack[mark:])
	p.stack = p.stack[:mark]
	return out
}
