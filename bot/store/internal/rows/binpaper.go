package rows

import (
	"encoding/binary"
	"errors"

	"github.com/paperbot/paperbot/bot"
)

// A paper's binary form is what the SQLite store packs since format
// packBin: the same fields as its JSON, without the JSON. On the fixture
// post a paper's JSON is a quarter keys, brackets and quotes (45.4 KB for
// 33.6 KB of strings); here a kind is a byte and a string its length and
// bytes, so that packing writes no escapes and no keys, and a lookup takes
// the strings as they are instead of scanning them for escapes. (The
// compressor's time hardly changed: what went is what it matched at once
// from its dictionary.)
//
// The layout, every count and length a uvarint and every number a varint:
//
//	paper   = totals number title id version url alphaxiv line sections
//	totals  = sections blocks items inlines (how many of each the paper holds)
//	section = name line no_info blocks
//	block   = kind ordered start inlines items
//	item    = blocks
//	inline  = kind text url children
//	string  = length bytes
//	kind    = a byte naming a known kind, or 0 and the kind as a string
//	slice   = 0 for nil, else 1 + its length, then its elements
//
// Strings are kept byte for byte and slices nil or not as they were, so an
// unpacked paper is exactly the one packed (reflect.DeepEqual), which its
// JSON did not promise (invalid UTF-8 became U+FFFD, empty slices nil).

// binMaxDepth bounds the nesting of lists and inline runs in the binary
// form, as encoding/json bounds its input's: PackPaper refuses a deeper
// paper, and a row claiming more is damaged. The decoder recurses once per
// level. No post nests past a handful of levels; JSON, what the store kept
// before, could not be read back past about 3,000 list levels.
const binMaxDepth = 10000

var (
	blockKinds  = [...]bot.BlockKind{1: bot.ParagraphBlock, 2: bot.ListBlock}
	inlineKinds = [...]bot.InlineKind{1: bot.TextInline, 2: bot.StrongInline, 3: bot.EmphInline,
		4: bot.CodeInline, 5: bot.MathInline, 6: bot.LinkInline, 7: bot.BreakInline}
)

// binCounter adds up the elements of a paper for its totals.
type binCounter struct {
	sections, blocks, items, inlines int
	depth                            int
	tooDeep                          bool
}

// appendBinPaper appends p's binary form to dst; ok is false when p nests
// deeper than binMaxDepth (out is then to be ignored).
func appendBinPaper(dst []byte, p *bot.Paper) (out []byte, ok bool) {
	// The totals come first but are known last: count first, a walk that
	// costs a few hundred nanoseconds against the microseconds of writing.
	e := binCounter{}
	e.count(p)
	if e.tooDeep {
		return dst, false
	}
	dst = binary.AppendUvarint(dst, uint64(e.sections))
	dst = binary.AppendUvarint(dst, uint64(e.blocks))
	dst = binary.AppendUvarint(dst, uint64(e.items))
	dst = binary.AppendUvarint(dst, uint64(e.inlines))
	dst = binary.AppendVarint(dst, int64(p.Number))
	dst = appendBinString(dst, p.Title)
	dst = appendBinString(dst, string(p.ID))
	dst = appendBinString(dst, p.Version)
	dst = appendBinString(dst, p.URL)
	dst = appendBinString(dst, p.AlphaxivURL)
	dst = binary.AppendVarint(dst, int64(p.Line))
	dst = appendSliceLen(dst, p.Sections == nil, len(p.Sections))
	for i := range p.Sections {
		s := &p.Sections[i]
		dst = appendBinString(dst, s.Name)
		dst = binary.AppendVarint(dst, int64(s.Line))
		dst = appendBinBool(dst, s.NoInfo)
		dst = appendBinBlocks(dst, s.Blocks)
	}
	return dst, true
}

// count adds up what p holds, and notes whether it nests too deeply.
func (e *binCounter) count(p *bot.Paper) {
	e.sections = len(p.Sections)
	for i := range p.Sections {
		e.countBlocks(p.Sections[i].Blocks)
	}
}

// countBlocks and countInlines count the levels as the decoder does: a
// nil slice is no level.
func (e *binCounter) countBlocks(blocks []bot.Block) {
	if blocks == nil || !e.enter() {
		return
	}
	defer e.leave()
	e.blocks += len(blocks)
	for i := range blocks {
		e.countInlines(blocks[i].Inlines)
		e.items += len(blocks[i].Items)
		for _, item := range blocks[i].Items {
			e.countBlocks(item)
		}
	}
}

func (e *binCounter) countInlines(inlines []bot.Inline) {
	if inlines == nil || !e.enter() {
		return
	}
	defer e.leave()
	e.inlines += len(inlines)
	for i := range inlines {
		e.countInlines(inlines[i].Children)
	}
}

// enter goes a level down; false (and tooDeep) past binMaxDepth, where
// counting stops.
func (e *binCounter) enter() bool {
	if e.tooDeep || e.depth == binMaxDepth {
		e.tooDeep = true
		return false
	}
	e.depth++
	return true
}

func (e *binCounter) leave() { e.depth-- }

func appendBinBlocks(dst []byte, blocks []bot.Block) []byte {
	dst = appendSliceLen(dst, blocks == nil, len(blocks))
	for i := range blocks {
		b := &blocks[i]
		dst = appendKind(dst, blockKinds[:], b.Kind)
		dst = appendBinBool(dst, b.Ordered)
		dst = binary.AppendVarint(dst, int64(b.Start))
		dst = appendBinInlines(dst, b.Inlines)
		dst = appendSliceLen(dst, b.Items == nil, len(b.Items))
		for _, item := range b.Items {
			dst = appendBinBlocks(dst, item)
		}
	}
	return dst
}

func appendBinInlines(dst []byte, inlines []bot.Inline) []byte {
	dst = appendSliceLen(dst, inlines == nil, len(inlines))
	for i := range inlines {
		in := &inlines[i]
		dst = appendKind(dst, inlineKinds[:], in.Kind)
		dst = appendBinString(dst, in.Text)
		dst = appendBinString(dst, in.URL)
		dst = appendBinInlines(dst, in.Children)
	}
	return dst
}

// appendKind appends k as its code in known (from 1), or as 0 and k
// written out.
func appendKind[K ~string](dst []byte, known []K, k K) []byte {
	for c := 1; c < len(known); c++ {
		if known[c] == k {
			return append(dst, byte(c))
		}
	}
	return appendBinString(append(dst, 0), string(k))
}

func appendBinString(dst []byte, s string) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(s))), s...)
}

func appendBinBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, 1)
	}
	return append(dst, 0)
}

func appendSliceLen(dst []byte, isNil bool, n int) []byte {
	if isNil {
		return append(dst, 0)
	}
	return binary.AppendUvarint(dst, uint64(n)+1)
}

// binDecoder reads a paper's binary form. Like the JSON decoder, its reads
// return no errors: the first thing that does not fit marks it bad and
// every later read returns zeros, and the caller checks bad once.
type binDecoder struct {
	s     string // the input; strings are substrings of it
	i     int
	bad   bool
	depth int
	// The paper's elements, allocated once at the totals the paper gives
	// and handed out in order: a paper has dozens of small slices.
	sections []bot.Section
	blocks   []bot.Block
	items    [][]bot.Block
	inlines  []bot.Inline
}

// decodeBinPaper decodes a binary paper into *p, which it overwrites.
func decodeBinPaper(doc string, p *bot.Paper) error {
	*p = bot.Paper{}
	d := binDecoder{s: doc}
	// Every element takes a few bytes of the input at least (a section 4,
	// a block 5, an item 1, an inline 4): totals that need more than the
	// input holds are damage, not a reason to allocate.
	ns, nb, ni, nin := d.uvarint(), d.uvarint(), d.uvarint(), d.uvarint()
	if max(ns, nb, ni, nin) > uint64(len(doc)) || 4*ns+5*nb+ni+4*nin > uint64(len(doc)) {
		return errors.New("decode paper: damaged binary paper")
	}
	d.sections = make([]bot.Section, ns)
	d.blocks = make([]bot.Block, nb)
	d.items = make([][]bot.Block, ni)
	d.inlines = make([]bot.Inline, nin)
	var v bot.Paper
	v.Number = d.int()
	v.Title = d.string()
	v.ID = bot.ArxivID(d.string())
	v.Version = d.string()
	v.URL = d.string()
	v.AlphaxivURL = d.string()
	v.Line = d.int()
	v.Sections, _ = slice(&d, &d.sections)
	for i := range v.Sections {
		s := &v.Sections[i]
		s.Name = d.string()
		s.Line = d.int()
		s.NoInfo = d.bool()
		s.Blocks = d.readBlocks()
	}
	if d.i != len(d.s) {
		d.bad = true
	}
	if d.bad {
		return errors.New("decode paper: damaged binary paper")
	}
	*p = v
	return nil
}

// take hands out the next n elements of *pool, capped so that appending to
// one reallocates instead of writing into its neighbour; n is at most
// len(*pool) (slice's sliceLen checked it).
func take[T any](pool *[]T, n int) []T {
	if n == 0 {
		return []T{}
	}
	out := (*pool)[:n:n]
	*pool = (*pool)[n:]
	return out
}

// slice reads a slice's length and hands out its elements from *pool; ok
// is false for a nil slice and for damage.
func slice[T any](d *binDecoder, pool *[]T) (elems []T, ok bool) {
	n, ok := d.sliceLen(len(*pool))
	if !ok {
		return nil, false
	}
	return take(pool, n), true
}

// open is slice one level deeper.
func open[T any](d *binDecoder, pool *[]T) (elems []T, ok bool) {
	elems, ok = slice(d, pool)
	if !ok {
		return nil, false
	}
	if d.depth++; d.depth > binMaxDepth {
		d.fail()
		return nil, false
	}
	return elems, true
}

// readKind reads a kind: a code into known, or 0 and the kind as written.
func readKind[K ~string](d *binDecoder, known []K) K {
	c := d.byte()
	switch {
	case c == 0:
		return K(d.string())
	case int(c) < len(known):
		return known[c]
	}
	d.fail()
	return ""
}

func (d *binDecoder) readBlocks() []bot.Block {
	blocks, ok := open(d, &d.blocks)
	if !ok {
		return nil
	}
	for i := range blocks {
		b := &blocks[i]
		b.Kind = readKind(d, blockKinds[:])
		b.Ordered = d.bool()
		b.Start = d.int()
		b.Inlines = d.readInlines()
		b.Items, _ = slice(d, &d.items)
		for j := range b.Items {
			b.Items[j] = d.readBlocks()
		}
	}
	d.depth--
	return blocks
}

func (d *binDecoder) readInlines() []bot.Inline {
	inlines, ok := open(d, &d.inlines)
	if !ok {
		return nil
	}
	for i := range inlines {
		in := &inlines[i]
		in.Kind = readKind(d, inlineKinds[:])
		in.Text = d.string()
		in.URL = d.string()
		in.Children = d.readInlines()
	}
	d.depth--
	return inlines
}

// fail marks the input damaged and moves to its end, so that every later
// read fails at once and every loop ends.
func (d *binDecoder) fail() {
	d.bad = true
	d.i = len(d.s)
}

func (d *binDecoder) uvarint() uint64 {
	var x uint64
	for shift := uint(0); d.i < len(d.s); shift += 7 {
		c := d.s[d.i]
		d.i++
		if shift == 63 && c > 1 {
			break // overflows 64 bits
		}
		if c < 0x80 {
			return x | uint64(c)<<shift
		}
		x |= uint64(c&0x7f) << shift
	}
	d.fail()
	return 0
}

func (d *binDecoder) int() int {
	u := d.uvarint()
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return int(x)
}

// sliceLen reads a slice's length: ok is false for a nil slice (and for
// damage), and n is at most left, what the paper's totals have left.
func (d *binDecoder) sliceLen(left int) (n int, ok bool) {
	u := d.uvarint()
	if u == 0 {
		return 0, false
	}
	if u-1 > uint64(left) {
		d.fail()
		return 0, false
	}
	return int(u - 1), true
}

func (d *binDecoder) byte() byte {
	if d.i >= len(d.s) {
		d.fail()
		return 0
	}
	c := d.s[d.i]
	d.i++
	return c
}

func (d *binDecoder) bool() bool {
	switch d.byte() {
	case 0:
		return false
	case 1:
		return true
	}
	d.fail()
	return false
}

func (d *binDecoder) string() string {
	n := d.uvarint()
	if n > uint64(len(d.s)-d.i) {
		d.fail()
		return ""
	}
	s := d.s[d.i : d.i+int(n)]
	d.i += int(n)
	return s
}
