package formatter

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
	"go.abhg.dev/goldmark/frontmatter"

	"github.com/paperbot/paperbot/bot"
)

// Parser implements bot.Parser. Location decides how front-matter dates
// without a zone and file-name dates are read (nil: UTC).
//
// The rules (DESIGN.md section 1), and the choices where it is silent:
//   - YAML front matter between "---" lines gives title, date, tags,
//     categories (a list or a space-separated string) and published (false:
//     a draft). Without a date there, the file name's date (midnight) is used;
//     with neither, the post fails. Invalid YAML fails the post at the line of
//     the YAML error, counted in the file.
//   - A UTF-8 BOM and CRLF (or CR) line ends are accepted; bytes that are not
//     UTF-8 (a post saved as CP949, say) fail the post at the first bad line.
//   - Every level-1 heading starts a paper: "N. [Title](arXiv link)". The
//     number comes from "N." (else the paper's position), the id from the
//     first link when it is an arXiv (or AlphaXiv) link; a heading without a
//     link, or with a link that is not an arXiv paper, is still a paper
//     without an id.
//   - A quote that holds only a link, right under the heading, is the
//     AlphaXiv link when the link's host or label says "alphaxiv".
//   - Level-2 headings are sections, in order, any name. Text between a
//     paper's heading and its first level-2 heading becomes a section with
//     an empty Name, so nothing the author wrote is lost.
//   - Anything before the first paper (an intro paragraph, a level-2
//     heading) is ignored silently: the digest is its papers.
//   - A post with no paper heading fails ("no papers"), unless it is a draft.
//   - A section body that is only "정보 부족" or "N/A" (with or without a
//     trailing period, as a paragraph or a single bullet), or is empty, is
//     NoInfo; its Blocks keep the words as written.
//   - Level-3+ headings inside a section become bold paragraphs, code blocks
//     a paragraph of one code run, quotes their content; raw HTML is kept as
//     literal text, HTML comments are dropped.
//
// The zero value is ready to use and safe for concurrent use.
type Parser struct{ Location *time.Location }

var _ bot.Parser = (*Parser)(nil)

// markdown is built once: goldmark's parser initialises itself under a
// sync.Once and keeps all per-document state in the parser.Context, so one
// instance serves every goroutine (TestParseConcurrent checks under -race).
var markdown = goldmark.New(
	goldmark.WithExtensions(&frontmatter.Extender{Formats: []frontmatter.Format{frontmatter.YAML}}),
	goldmark.WithParserOptions(parser.WithInlineParsers(util.Prioritized(mathParser{}, 150))),
)

// Parse reads one post. It fails with a *bot.PostError naming the file and
// line; it never panics.
func (p *Parser) Parse(path string, src []byte) (d *bot.Digest, err error) {
	defer func() {
		// A last resort: a bug in this package or a library must fail one
		// post, never the bot.
		if r := recover(); r != nil {
			d = nil
			err = &bot.PostError{Path: path, Reason: fmt.Sprintf("cannot be read: internal parser error (%v)", r)}
		}
	}()
	loc := p.Location
	if loc == nil {
		loc = time.UTC
	}
	sum := sha256.Sum256(src)
	d = &bot.Digest{Path: path, Hash: hex.EncodeToString(sum[:]), Papers: []bot.Paper{}}

	text, perr := normalize(src)
	if perr != nil {
		perr.Path = path
		return nil, perr
	}
	text = capLineNesting(text)
	if perr := checkFrontMatterClosed(text); perr != nil {
		perr.Path = path
		return nil, perr
	}

	pc := parser.NewContext()
	doc := markdown.Parser().Parse(textReader(text), parser.WithContext(pc))

	hasDate := false
	if fm := frontmatter.Get(pc); fm != nil {
		hasDate, perr = readFrontMatter(fm, d, loc)
		if perr != nil {
			perr.Path = path
			return nil, perr
		}
	}
	if !hasDate {
		day, _, ok := bot.PostName(path)
		if !ok {
			return nil, &bot.PostError{Path: path, Line: 1, Reason: "no date: the front matter has no date and the file name is not YYYY-MM-DD-slug.md"}
		}
		d.Date, _ = time.ParseInLocation(time.DateOnly, day, loc)
	}

	scratch := runScratchPool.Get().(*runScratch)
	defer runScratchPool.Put(scratch)
	c := converter{src: text, srcText: string(text), lines: lineCounter{src: text, line: 1}, scratch: scratch}
	c.walk(doc, d)
	if len(d.Papers) == 0 && !d.Draft {
		return nil, &bot.PostError{Path: path, Line: 1, Reason: `no papers (no "# N. [Title](link)" heading)`}
	}
	return d, nil
}

func textReader(b []byte) text.Reader { return text.NewReader(b) }

// normalize strips a UTF-8 BOM and turns CRLF and lone CR line ends into LF,
// so every later step sees one kind of text; line numbers do not change.
// It rejects bytes that are not UTF-8 text.
func normalize(src []byte) ([]byte, *bot.PostError) {
	src = bytes.TrimPrefix(src, []byte("\xef\xbb\xbf"))
	if i := bytes.IndexByte(src, 0); i >= 0 {
		return nil, &bot.PostError{Line: lineOf(src, i), Reason: "contains a NUL byte: not a text file"}
	}
	if !utf8.Valid(src) {
		i := 0
		for i < len(src) {
			r, n := utf8.DecodeRune(src[i:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			i += n
		}
		return nil, &bot.PostError{Line: lineOf(src, i), Reason: "is not valid UTF-8 text (save the post as UTF-8)"}
	}
	if bytes.IndexByte(src, '\r') < 0 {
		return src, nil
	}
	out := make([]byte, 0, len(src))
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c == '\r' {
			if i+1 < len(src) && src[i+1] == '\n' {
				continue
			}
			c = '\n'
		}
		out = append(out, c)
	}
	return out, nil
}

// maxLineNesting is how many list markers and quote markers one line may
// open ("- - - - x"). goldmark rescans the rest of the line for every
// container it opens there, so a 10,000-level line costs quadratic time;
// past this many, the markers are kept as text (the nesting is flattened
// further, to MaxListDepth, in the model anyway).
const maxLineNesting = 64

// capLineNesting backslash-escapes the marker that would open container
// number maxLineNesting+1 on a line, so the rest of the line is read as
// text. Only pathological lines are touched (a real post nests a few
// levels); src is returned as it is when none is.
func capLineNesting(src []byte) []byte {
	var out []byte // nil until a line needs the escape
	start := 0
	for start < len(src) {
		end := bytes.IndexByte(src[start:], '\n')
		if end < 0 {
			end = len(src)
		} else {
			end += start
		}
		if at := nestingCut(src[start:end]); at >= 0 {
			if out == nil {
				out = make([]byte, 0, len(src)+16)
				out = append(out, src[:start]...)
			}
			out = append(out, src[start:start+at]...)
			out = append(out, '\\')
			out = append(out, src[start+at:end]...)
		} else if out != nil {
			out = append(out, src[start:end]...)
		}
		if end < len(src) && out != nil {
			out = append(out, '\n')
		}
		start = end + 1
	}
	if out == nil {
		return src
	}
	return out
}

// nestingCut returns the offset in line of the character to escape so
// that the line opens at most maxLineNesting containers, or -1.
func nestingCut(line []byte) int {
	n, i := 0, 0
	for i < len(line) {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i >= len(line) {
			return -1
		}
		mark, next := -1, 0
		switch c := line[i]; {
		case c == '>':
			mark, next = i, i+1
		case c == '-' || c == '*' || c == '+':
			if i+1 == len(line) || line[i+1] == ' ' || line[i+1] == '\t' {
				mark, next = i, i+1
			}
		case c >= '0' && c <= '9':
			j := i
			for j < len(line) && j-i < 9 && line[j] >= '0' && line[j] <= '9' {
				j++
			}
			if j < len(line) && (line[j] == '.' || line[j] == ')') && (j+1 == len(line) || line[j+1] == ' ' || line[j+1] == '\t') {
				mark, next = j, j+1 // the "." or ")" is what an escape disarms
			}
		}
		if mark < 0 {
			return -1
		}
		if n == maxLineNesting {
			return mark
		}
		n++
		i = next
	}
	return -1
}

// lineOf is the 1-based line of byte offset off.
func lineOf(src []byte, off int) int {
	if off > len(src) {
		off = len(src)
	}
	return 1 + bytes.Count(src[:off], []byte{'\n'})
}

// frontMatterDelim reports whether line (without its newline) opens or
// closes front matter the way the frontmatter extension sees it: three or
// more '-' and nothing else. It returns the count.
func frontMatterDelim(line []byte) int {
	if len(line) < 3 {
		return 0
	}
	for _, c := range line {
		if c != '-' {
			return 0
		}
	}
	return len(line)
}

// checkFrontMatterClosed fails a post whose front matter is opened but never
// closed: the extension would read the whole post as YAML and the error
// would point far from the cause.
func checkFrontMatterClosed(src []byte) *bot.PostError {
	first, rest, found := bytes.Cut(src, []byte{'\n'})
	open := frontMatterDelim(first)
	if open == 0 {
		return nil
	}
	if !found {
		return &bot.PostError{Line: 1, Reason: "the front matter opened on line 1 is never closed by a \"---\" line"}
	}
	for len(rest) > 0 {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte{'\n'})
		if frontMatterDelim(line) == open {
			return nil
		}
	}
	return &bot.PostError{Line: 1, Reason: "the front matter opened on line 1 is never closed by a \"---\" line"}
}

// lineCounter turns byte offsets into line numbers; offsets mostly arrive in
// increasing order, so it counts forward from the last one.
type lineCounter struct {
	src  []byte
	off  int
	line int
}

func (lc *lineCounter) at(off int) int {
	if off < 0 {
		return 0
	}
	if off > len(lc.src) {
		off = len(lc.src)
	}
	if off < lc.off {
		lc.off, lc.line = 0, 1
	}
	lc.line += bytes.Count(lc.src[lc.off:off], []byte{'\n'})
	lc.off = off
	return lc.line
}

// converter walks goldmark's tree of one post into the model.
type converter struct {
	src []byte
	// srcText is src as one string: a text run that is a plain stretch of
	// the post (most are) becomes a substring of it instead of a copy.
	srcText string
	lines   lineCounter
	// space is a pending soft line break: written as one space before the
	// next text, dropped at the end of a block.
	space bool
	// scratch holds the runs being collected at each nesting depth of
	// inline markup; depth is how many are in use.
	scratch *runScratch
	depth   int
	// lists is how many lists enclose the one being converted.
	lists int
	// inl is where end copies the runs it returns: a post has hundreds of
	// inline lists, made a chunk at a time instead of one by one.
	inl []bot.Inline
}

// MaxListDepth is how deeply lists may nest in the model: an item nested
// deeper becomes a further item of its enclosing list at this depth, so a
// pathological post (10,000 levels of "- - - ...") costs what its text
// costs, and every renderer can indent each level (Slack rich_text lists
// take indent 0 to 8).
const MaxListDepth = 8

// maxInlineDepth is how deeply bold and italics may nest in the model;
// deeper markers keep their text and lose their formatting.
const maxInlineDepth = 8

// runScratch is the converter's reusable scratch, pooled across posts: a
// post has hundreds of inline lists, and growing a fresh text buffer and
// run slice for each was most of the parser's own garbage. There is one
// runs per nesting level (a strong inside a link inside a paragraph), as an
// outer level's pending text stays open while its children are converted.
type runScratch struct{ levels []*runs }

var runScratchPool = sync.Pool{New: func() any { return new(runScratch) }}

// begin hands out the emptied runs for the next nesting level.
func (c *converter) begin() *runs {
	if c.depth == len(c.scratch.levels) {
		c.scratch.levels = append(c.scratch.levels, &runs{})
	}
	r := c.scratch.levels[c.depth]
	r.out, r.text, r.src = r.out[:0], r.text[:0], -1
	c.depth++
	return r
}

// end gives back the level begin handed out and returns its runs copied
// into a slice of exactly their length (nil for none).
func (c *converter) end(r *runs) []bot.Inline {
	c.depth--
	if len(r.out) == 0 {
		return nil
	}
	if n := len(r.out); cap(c.inl)-len(c.inl) < n {
		c.inl = make([]bot.Inline, 0, max(n, 128))
	}
	start := len(c.inl)
	c.inl = append(c.inl, r.out...)
	clear(r.out) // the pooled scratch must not keep this post's strings alive
	// Capped: an append to one list can never reach the next.
	return c.inl[start:len(c.inl):len(c.inl)]
}

func (c *converter) walk(doc ast.Node, d *bot.Digest) {
	var (
		paper     *bot.Paper
		section   *bot.Section
		underHead bool // the previous block was the paper's heading
	)
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		if h, ok := n.(*ast.Heading); ok && h.Level <= 2 {
			if h.Level == 1 {
				d.Papers = append(d.Papers, c.paper(h, len(d.Papers)+1))
				paper = &d.Papers[len(d.Papers)-1]
				section = nil
				underHead = true
				continue
			}
			underHead = false
			if paper == nil {
				continue // before the first paper: not part of the digest
			}
			paper.Sections = append(paper.Sections, bot.Section{
				Name:   strings.TrimSpace(inlineText(c.inlines(h))),
				Blocks: []bot.Block{},
				Line:   c.line(h),
			})
			section = &paper.Sections[len(paper.Sections)-1]
			continue
		}
		if paper == nil {
			continue // an intro before the first paper is ignored
		}
		if underHead {
			underHead = false
			if url, ok := c.alphaxiv(n); ok {
				paper.AlphaxivURL = url
				continue
			}
		}
		if section == nil {
			paper.Sections = append(paper.Sections, bot.Section{Blocks: []bot.Block{}, Line: c.line(n)})
			section = &paper.Sections[len(paper.Sections)-1]
		}
		section.Blocks = c.blocks(n, section.Blocks)
	}
	for i := range d.Papers {
		for j := range d.Papers[i].Sections {
			s := &d.Papers[i].Sections[j]
			s.NoInfo = noInfo(s.Blocks)
		}
	}
}

// line is the 1-based line where a block node starts.
func (c *converter) line(n ast.Node) int {
	for ; n != nil; n = n.FirstChild() {
		if p := n.Pos(); p >= 0 {
			return c.lines.at(p)
		}
		if n.Type() == ast.TypeBlock && n.Lines().Len() > 0 {
			return c.lines.at(n.Lines().At(0).Start)
		}
	}
	return 0
}

// paper reads a level-1 heading: "N. [Title](link)" or any part of it.
func (c *converter) paper(h *ast.Heading, position int) bot.Paper {
	ins := c.inlines(h)
	p := bot.Paper{Number: position, Sections: []bot.Section{}, Line: c.line(h)}
	title := strings.TrimSpace(inlineText(ins))
	if n, rest, ok := numberPrefix(title); ok {
		p.Number = n
		title = rest
	}
	p.Title = title
	if link := firstLink(ins); link != nil {
		p.URL = link.URL // a web address: addLink drops the others
		if id, version, ok := bot.ParseArxivID(link.URL); ok {
			p.ID, p.Version = id, version
		}
	}
	return p
}

// numberPrefix splits "12. Title" (or "12) Title") into 12 and "Title".
func numberPrefix(s string) (int, string, bool) {
	i := 0
	for i < len(s) && i < 9 && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 || i >= len(s) || (s[i] != '.' && s[i] != ')') {
		return 0, s, false
	}
	if i+1 < len(s) && s[i+1] != ' ' && s[i+1] != '\t' {
		return 0, s, false // "1.5x faster" is a title, not paper 1
	}
	n, err := strconv.Atoi(s[:i])
	if err != nil {
		return 0, s, false
	}
	return n, strings.TrimSpace(s[i+1:]), true
}

func firstLink(ins []bot.Inline) *bot.Inline {
	for i := range ins {
		if ins[i].Kind == bot.LinkInline {
			return &ins[i]
		}
		if l := firstLink(ins[i].Children); l != nil {
			return l
		}
	}
	return nil
}

// alphaxiv reports whether n is the "> [Alphaxiv](url)" quote: a quote of
// one paragraph holding one link whose host or label says alphaxiv.
func (c *converter) alphaxiv(n ast.Node) (string, bool) {
	q, ok := n.(*ast.Blockquote)
	if !ok || q.ChildCount() != 1 {
		return "", false
	}
	para, ok := q.FirstChild().(*ast.Paragraph)
	if !ok {
		return "", false
	}
	var link *bot.Inline
	ins := c.inlines(para)
	for i := range ins {
		switch {
		case ins[i].Kind == bot.TextInline && strings.TrimSpace(ins[i].Text) == "":
		case ins[i].Kind == bot.LinkInline && link == nil:
			link = &ins[i]
		default:
			return "", false
		}
	}
	if link == nil {
		return "", false
	}
	if strings.Contains(strings.ToLower(link.URL), "alphaxiv") ||
		strings.EqualFold(strings.TrimSpace(inlineText(link.Children)), "alphaxiv") {
		return link.URL, true
	}
	return "", false
}

// noInfo reports a section body that says "no information": empty, or only
// "정보 부족" / "N/A" (trailing period allowed), as a paragraph or one bullet.
func noInfo(blocks []bot.Block) bool {
	if len(blocks) == 0 {
		return true
	}
	if len(blocks) != 1 {
		return false
	}
	var ins []bot.Inline
	switch b := blocks[0]; b.Kind {
	case bot.ParagraphBlock:
		ins = b.Inlines
	case bot.ListBlock:
		if len(b.Items) != 1 || len(b.Items[0]) != 1 || b.Items[0][0].Kind != bot.ParagraphBlock {
			return false
		}
		ins = b.Items[0][0].Inlines
	default:
		return false
	}
	if inlineLen(ins) > 64 {
		return false // far longer than "정보 부족.": skip building the text
	}
	s := strings.TrimSpace(inlineText(ins))
	s = strings.TrimSpace(strings.TrimRight(s, ".。"))
	if strings.EqualFold(s, "N/A") {
		return true
	}
	return strings.Join(strings.Fields(s), "") == "정보부족"
}

// inlineLen is the length of the text in ins, counted until it passes 64.
func inlineLen(ins []bot.Inline) int {
	n := 0
	for i := range ins {
		n += len(ins[i].Text) + inlineLen(ins[i].Children)
		if n > 64 {
			break
		}
	}
	return n
}

// blocks appends the rich-text blocks of a block node to out.
func (c *converter) blocks(n ast.Node, out []bot.Block) []bot.Block {
	switch v := n.(type) {
	case *ast.Paragraph, *ast.TextBlock:
		if ins := c.inlines(v); len(ins) > 0 {
			out = append(out, bot.Block{Kind: bot.ParagraphBlock, Inlines: ins})
		}
	case *ast.List:
		if c.lists >= MaxListDepth {
			// A list this deep that is not an item's own sublist (it sits
			// in a quote in an item): its items' text joins the blocks
			// around it.
			for item := v.FirstChild(); item != nil; item = item.NextSibling() {
				for ch := item.FirstChild(); ch != nil; ch = ch.NextSibling() {
					out = c.blocks(ch, out)
				}
			}
			return out
		}
		b := bot.Block{Kind: bot.ListBlock, Ordered: v.IsOrdered(), Items: make([][]bot.Block, 0, v.ChildCount())}
		if v.IsOrdered() {
			b.Start = v.Start
		}
		c.lists++
		b.Items = c.items(v, b.Items)
		c.lists--
		out = append(out, b)
	case *ast.Heading:
		// A level-3+ heading inside a section: a bold line, so it still
		// stands out in chat where headings do not exist.
		if ins := c.inlines(v); len(ins) > 0 {
			out = append(out, bot.Block{Kind: bot.ParagraphBlock, Inlines: []bot.Inline{{Kind: bot.StrongInline, Children: ins}}})
		}
	case *ast.FencedCodeBlock, *ast.CodeBlock:
		code := strings.TrimRight(c.rawLines(v.Lines()), "\n")
		if code != "" {
			out = append(out, bot.Block{Kind: bot.ParagraphBlock, Inlines: []bot.Inline{{Kind: bot.CodeInline, Text: code}}})
		}
	case *ast.HTMLBlock:
		raw := c.rawLines(v.Lines())
		if v.HasClosure() {
			raw += string(v.ClosureLine.Value(c.src))
		}
		raw = strings.TrimSpace(raw)
		if raw != "" && !strings.HasPrefix(raw, "<!--") {
			out = append(out, bot.Block{Kind: bot.ParagraphBlock, Inlines: []bot.Inline{{Kind: bot.TextInline, Text: raw}}})
		}
	case *ast.ThematicBreak:
	default: // quotes and anything else: their content
		for ch := n.FirstChild(); ch != nil; ch = ch.NextSibling() {
			out = c.blocks(ch, out)
		}
	}
	return out
}

// items appends the items of list to out. At MaxListDepth the items of
// lists nested in an item follow it as items of this list (in document
// order) instead of nesting further.
func (c *converter) items(list *ast.List, out [][]bot.Block) [][]bot.Block {
	for item := list.FirstChild(); item != nil; item = item.NextSibling() {
		var blocks []bot.Block
		var deeper []*ast.List
		for ch := item.FirstChild(); ch != nil; ch = ch.NextSibling() {
			if l, ok := ch.(*ast.List); ok && c.lists >= MaxListDepth {
				deeper = append(deeper, l)
				continue
			}
			blocks = c.blocks(ch, blocks)
		}
		if blocks == nil {
			blocks = []bot.Block{}
		}
		out = append(out, blocks)
		for _, l := range deeper {
			out = c.items(l, out)
		}
	}
	return out
}

func (c *converter) rawLines(lines *text.Segments) string {
	var b strings.Builder
	for i := 0; i < lines.Len(); i++ {
		seg := lines.At(i)
		for j := 0; j < seg.Padding; j++ {
			b.WriteByte(' ')
		}
		b.Write(seg.Value(c.src))
	}
	return b.String()
}

// inlines converts the inline children of n, merging adjacent text runs.
func (c *converter) inlines(n ast.Node) []bot.Inline {
	c.space = false
	r := c.begin()
	c.inlineRuns(n, r)
	c.flush(r)
	c.space = false
	// A hard break at the end of a block breaks nothing.
	for len(r.out) > 0 && r.out[len(r.out)-1].Kind == bot.BreakInline {
		r.out = r.out[:len(r.out)-1]
	}
	return c.end(r)
}

// runs collects inline runs; text is the pending text run, written out by
// flush, so a paragraph of many small text nodes costs one string.
type runs struct {
	out  []bot.Inline
	text []byte
	// src is where in the post the pending text may be found verbatim (it
	// began with an undecoded text node), or -1; flush checks before use.
	src int
}

func (c *converter) flush(r *runs) {
	if len(r.text) > 0 {
		var t string
		if end := r.src + len(r.text); r.src >= 0 && end <= len(c.srcText) && c.srcText[r.src:end] == string(r.text) {
			t = c.srcText[r.src:end]
		} else {
			t = string(r.text)
		}
		r.out = append(r.out, bot.Inline{Kind: bot.TextInline, Text: t})
		r.text = r.text[:0]
	}
	r.src = -1
}

// add appends a non-text run after any pending soft break and text.
func (c *converter) add(r *runs, in bot.Inline) {
	if c.space {
		c.space = false
		r.text = append(r.text, ' ')
	}
	c.flush(r)
	r.out = append(r.out, in)
}

// childRuns converts the children of a strong, emph or link run.
func (c *converter) childRuns(n ast.Node) []bot.Inline {
	r := c.begin()
	c.inlineRuns(n, r)
	c.flush(r)
	return c.end(r)
}

// text appends to the pending text run, after any pending soft break.
func (c *converter) text(r *runs, raw []byte, escapes bool) {
	if len(raw) == 0 {
		return
	}
	if c.space {
		c.space = false
		r.text = append(r.text, ' ')
	}
	r.text = decodeTo(r.text, raw, escapes)
}

func (c *converter) inlineRuns(n ast.Node, r *runs) {
	for ch := n.FirstChild(); ch != nil; ch = ch.NextSibling() {
		switch v := ch.(type) {
		case *ast.Text:
			if len(r.text) == 0 && !c.space && v.Segment.Padding == 0 {
				r.src = v.Segment.Start
			}
			c.text(r, v.Segment.Value(c.src), !v.IsRaw())
			if v.HardLineBreak() {
				c.space = false
				c.flush(r)
				r.out = append(r.out, bot.Inline{Kind: bot.BreakInline})
			} else if v.SoftLineBreak() {
				c.space = true
			}
		case *ast.String:
			c.text(r, v.Value, false)
		case *ast.CodeSpan:
			var b []byte
			for t := v.FirstChild(); t != nil; t = t.NextSibling() {
				if tt, ok := t.(*ast.Text); ok {
					val := tt.Segment.Value(c.src)
					if len(val) > 0 && val[len(val)-1] == '\n' {
						b = append(append(b, val[:len(val)-1]...), ' ')
					} else {
						b = append(b, val...)
					}
				}
			}
			c.add(r, bot.Inline{Kind: bot.CodeInline, Text: string(b)})
		case *mathNode:
			c.add(r, bot.Inline{Kind: bot.MathInline, Text: v.TeX})
		case *ast.Emphasis:
			kind := bot.EmphInline
			if v.Level >= 2 {
				kind = bot.StrongInline
			}
			if c.space {
				c.space = false
				r.text = append(r.text, ' ')
			}
			if c.depth > maxInlineDepth {
				c.inlineRuns(v, r) // too deep: the text without the markers
				continue
			}
			if kids := c.childRuns(v); len(kids) > 0 {
				c.add(r, bot.Inline{Kind: kind, Children: kids})
			}
		case *ast.Link:
			c.addLink(r, v.Destination, v)
		case *ast.Image:
			c.addLink(r, v.Destination, v)
		case *ast.AutoLink:
			label := string(v.Label(c.src))
			url := bot.WebURL(string(v.URL(c.src)))
			if url == "" {
				c.text(r, []byte(label), false)
				continue
			}
			c.add(r, bot.Inline{Kind: bot.LinkInline, URL: url,
				Children: []bot.Inline{{Kind: bot.TextInline, Text: label}}})
		case *ast.RawHTML:
			// Inline HTML such as "<T>" in a title is literal text to us:
			// chats do not render HTML, and the author meant the characters.
			for i := 0; i < v.Segments.Len(); i++ {
				seg := v.Segments.At(i)
				c.text(r, bytes.ReplaceAll(seg.Value(c.src), []byte{'\n'}, []byte{' '}), false)
			}
		default:
			c.inlineRuns(ch, r)
		}
	}
}

// addLink adds a link (or an image, as a link to it) labelled by n's
// children, or by its URL when it has none.
func (c *converter) addLink(r *runs, dest []byte, n ast.Node) {
	if c.space {
		c.space = false
		r.text = append(r.text, ' ')
	}
	raw := strings.TrimSpace(string(decodeTo(nil, dest, true)))
	url := bot.WebURL(raw)
	if url == "" {
		// Not a web link (javascript:, data:, a relative path): the text
		// stays, the link goes.
		if n.ChildCount() == 0 {
			c.text(r, []byte(raw), false)
			return
		}
		c.inlineRuns(n, r)
		return
	}
	kids := c.childRuns(n)
	if len(kids) == 0 {
		kids = []bot.Inline{{Kind: bot.TextInline, Text: url}}
	}
	c.add(r, bot.Inline{Kind: bot.LinkInline, URL: url, Children: kids})
}

// decodeTo appends raw to dst, resolving backslash escapes (when escapes
// is set) and entity and numeric character references, as CommonMark
// renders them.
func decodeTo(dst, raw []byte, escapes bool) []byte {
	if bytes.IndexByte(raw, '&') < 0 && (!escapes || bytes.IndexByte(raw, '\\') < 0) {
		return append(dst, raw...)
	}
	for i := 0; i < len(raw); i++ {
		ch := raw[i]
		if ch == '\\' && escapes && i+1 < len(raw) && util.IsPunct(raw[i+1]) {
			dst = append(dst, raw[i+1])
			i++
			continue
		}
		if ch == '&' {
			if r, n := entity(raw[i:]); n > 0 {
				dst = append(dst, r...)
				i += n - 1
				continue
			}
		}
		dst = append(dst, ch)
	}
	return dst
}

// entity reads "&name;", "&#123;" or "&#x1F600;" at the start of s and
// returns its text and length, or 0 when s does not start with one.
func entity(s []byte) (string, int) {
	end := bytes.IndexByte(s, ';')
	if end < 2 || end > 40 {
		return "", 0
	}
	body := s[1:end]
	if body[0] == '#' {
		base, digits := 10, body[1:]
		if len(digits) > 0 && (digits[0] == 'x' || digits[0] == 'X') {
			base, digits = 16, digits[1:]
		}
		if len(digits) == 0 || len(digits) > 7 {
			return "", 0
		}
		v, err := strconv.ParseUint(string(digits), base, 32)
		if err != nil {
			return "", 0
		}
		return string(util.ToValidRune(rune(v))), end + 1
	}
	for _, ch := range body {
		if !util.IsAlphaNumeric(ch) {
			return "", 0
		}
	}
	if e, ok := util.LookUpHTML5EntityByName(string(body)); ok {
		return string(e.Characters), end + 1
	}
	return "", 0
}
