package formatter

import (
	"bytes"
	"strconv"
	"strings"
	"sync"

	"github.com/paperbot/paperbot/bot"
)

// dialect is one platform's markup for the post's rich text. The renderers
// share one walker over bot.Block so lists, nesting and paragraphs come out
// alike everywhere and only the markup differs.
type dialect struct {
	// escape makes literal text safe; lineStart says the text begins a line
	// (Discord: '#', '>', '-' mean something only there).
	escape       func(s string, lineStart bool) string
	strong, emph string // opening = closing marker; "" for none
	code         func(s string) string
	math         func(s string) string
	link         func(url, label string) string // label is already plain text, unescaped
	bullet       func(depth int) string
	indent       string // per nesting level
}

// zwsp is an invisible separator (see unbar).
const zwsp = "\u200b"

// textBuf is the scratch a richWriter appends to. It is a plain byte slice
// rather than a strings.Builder so it can be pooled and reused: a post
// renders dozens of sections, and a fresh builder per section (and per
// marked-up run inside one) was the renderers' largest allocation.
type textBuf struct{ b []byte }

func (t *textBuf) WriteString(s string) { t.b = append(t.b, s...) }

// textBufPool holds scratch buffers for render and wrapped; the final
// string is copied out once, at its exact length.
var textBufPool = sync.Pool{New: func() any { return &textBuf{b: make([]byte, 0, 1024)} }}

// maxPooledText keeps a buffer grown by an outsized section from staying
// pinned in the pool.
const maxPooledText = 64 << 10

func getTextBuf() *textBuf { return textBufPool.Get().(*textBuf) }

func putTextBuf(t *textBuf) {
	if cap(t.b) > maxPooledText {
		return
	}
	t.b = t.b[:0]
	textBufPool.Put(t)
}

// inlineText is bot.InlineText without its copy in the common case of one
// plain run, possibly inside a link or emphasis (a link's label, a heading):
// that run's text is the whole result.
func inlineText(in []bot.Inline) string {
	for len(in) == 1 {
		switch in[0].Kind {
		case bot.TextInline, bot.CodeInline:
			return in[0].Text
		case bot.StrongInline, bot.EmphInline, bot.LinkInline:
			in = in[0].Children
			continue
		}
		break
	}
	return bot.InlineText(in)
}

// richWriter renders blocks in a dialect.
type richWriter struct {
	b *textBuf
	d *dialect
}

func (w richWriter) atLineStart() bool {
	s := w.b.b
	if len(s) == 0 {
		return true
	}
	// Only indentation since the last line break still counts as the start.
	i := bytes.LastIndexByte(s, '\n')
	return len(bytes.TrimLeft(s[i+1:], " ")) == 0
}

// writeIndent writes depth levels of the dialect's indentation without
// building the repeated string.
func (w richWriter) writeIndent(depth int) {
	for range depth {
		w.b.WriteString(w.d.indent)
	}
}

func (w richWriter) blocks(blocks []bot.Block, depth int) {
	for i, blk := range blocks {
		if i > 0 {
			w.b.WriteString("\n")
			if depth == 0 {
				w.b.WriteString("\n")
			}
		}
		switch blk.Kind {
		case bot.ListBlock:
			w.list(blk, depth)
		default:
			w.writeIndent(depth)
			w.inlines(blk.Inlines, depth)
		}
	}
}

func (w richWriter) list(blk bot.Block, depth int) {
	n := blk.Start
	if n == 0 {
		n = 1
	}
	for j, item := range blk.Items {
		if j > 0 {
			w.b.WriteString("\n")
		}
		w.writeIndent(depth)
		if blk.Ordered {
			w.b.WriteString(strconv.Itoa(n))
			w.b.WriteString(". ")
			n++
		} else {
			w.b.WriteString(w.d.bullet(depth))
		}
		rest := item
		if len(item) > 0 && item[0].Kind == bot.ParagraphBlock {
			w.inlines(item[0].Inlines, depth+1)
			rest = item[1:]
		}
		for _, sub := range rest {
			w.b.WriteString("\n")
			if sub.Kind == bot.ListBlock {
				w.list(sub, depth+1)
			} else {
				w.writeIndent(depth + 1)
				w.inlines(sub.Inlines, depth+1)
			}
		}
	}
}

func (w richWriter) inlines(in []bot.Inline, depth int) {
	for _, r := range in {
		switch r.Kind {
		case bot.BreakInline:
			w.b.WriteString("\n")
			w.writeIndent(depth)
		case bot.StrongInline, bot.EmphInline:
			marker := w.d.strong
			if r.Kind == bot.EmphInline {
				marker = w.d.emph
			}
			w.wrapped(marker, r.Children, depth)
		case bot.CodeInline:
			w.b.WriteString(w.d.code(r.Text))
		case bot.MathInline:
			w.b.WriteString(w.d.math(r.Text))
		case bot.LinkInline:
			label := inlineText(r.Children)
			if r.URL == "" {
				w.inlines(r.Children, depth)
				continue
			}
			w.b.WriteString(w.d.link(r.URL, label))
		default:
			text := r.Text
			if strings.Contains(text, "\n") {
				// A soft line break inside a paragraph: keep the list
				// indentation on the next line.
				text = strings.ReplaceAll(text, "\n", "\n"+strings.Repeat(w.d.indent, depth))
			}
			w.b.WriteString(w.d.escape(text, w.atLineStart()))
		}
	}
}

// wrapped writes children between markers; the markers must hug the text,
// so surrounding spaces move outside them.
func (w richWriter) wrapped(marker string, children []bot.Inline, depth int) {
	if marker == "" {
		w.inlines(children, depth)
		return
	}
	// The common case, one run of plain text that hugs its markers: no
	// scratch builder needed.
	if len(children) == 1 && children[0].Kind == bot.TextInline {
		t := children[0].Text
		if t != "" && strings.TrimSpace(t) == t && !strings.Contains(t, "\n") {
			w.b.WriteString(marker)
			w.b.WriteString(w.d.escape(t, w.atLineStart()))
			w.b.WriteString(marker)
			return
		}
	}
	inner := getTextBuf()
	defer putTextBuf(inner)
	sub := richWriter{b: inner, d: w.d}
	// The inner text starts a line only if we are at one.
	atStart := w.atLineStart()
	if !atStart {
		inner.WriteString("x")
	}
	sub.inlines(children, depth)
	s := inner.b
	if !atStart {
		s = s[1:]
	}
	core := bytes.TrimSpace(s)
	if len(core) == 0 {
		w.b.b = append(w.b.b, s...)
		return
	}
	lead := s[:bytes.Index(s, core)]
	trail := s[len(lead)+len(core):]
	w.b.b = append(w.b.b, lead...)
	w.b.WriteString(marker)
	w.b.b = append(w.b.b, core...)
	w.b.WriteString(marker)
	w.b.b = append(w.b.b, trail...)
}

// render is the section body in a dialect.
func (d *dialect) render(blocks []bot.Block) string {
	b := getTextBuf()
	defer putTextBuf(b)
	richWriter{b: b, d: d}.blocks(blocks, 0)
	return string(bytes.TrimRight(b.b, " \n"))
}

// noInfoNote follows the author's own "정보 부족" / "N/A": the words stay as
// written and the note says what they mean to readers of either language.
const noInfoNote = "(no information)"

var textDialect = &dialect{
	escape: func(s string, _ bool) string { return s },
	code:   func(s string) string { return s },
	math:   func(s string) string { return "$" + s + "$" },
	link: func(url, label string) string {
		if url = bot.WebURL(url); url == "" {
			return label
		}
		if label == "" || label == url {
			return url
		}
		return label + " (" + url + ")"
	},
	bullet: func(int) string { return "- " },
	indent: "  ",
}

// Text renders a digest as plain text for the console target, logs and
// `paperbot preview --format text`: a title line, then every paper with its
// links and all of its sections.
func Text(d *bot.Digest) string {
	var b strings.Builder
	b.WriteString(d.Title)
	b.WriteString("\n")
	b.WriteString(d.Day())
	b.WriteString(" · ")
	b.WriteString(paperCount(len(d.Papers)))
	if d.Draft {
		b.WriteString(" · draft")
	}
	b.WriteString("\n")
	for i := range d.Papers {
		b.WriteString("\n")
		b.WriteString(strings.Repeat("=", 72))
		b.WriteString("\n")
		writePaperText(&b, &d.Papers[i])
	}
	return b.String()
}

// PaperText renders one paper as plain text, with the post it appeared in.
func PaperText(p *bot.Paper, post bot.PostRef) string {
	var b strings.Builder
	writePaperText(&b, p)
	if post.Title != "" || !post.Date.IsZero() {
		b.WriteString("\nFrom: ")
		b.WriteString(post.Title)
		if !post.Date.IsZero() {
			if post.Title != "" {
				b.WriteString(" · ")
			}
			b.WriteString(post.Date.Format("2006-01-02"))
		}
		b.WriteString("\n")
	}
	return b.String()
}

func writePaperText(b *strings.Builder, p *bot.Paper) {
	b.WriteString(strconv.Itoa(p.Number))
	b.WriteString(". ")
	b.WriteString(p.Title)
	b.WriteString("\n")
	if l := p.Link(); l != "" {
		b.WriteString(l)
		b.WriteString("\n")
	}
	if u := bot.WebURL(p.AlphaxivURL); u != "" {
		b.WriteString("AlphaXiv: ")
		b.WriteString(u)
		b.WriteString("\n")
	}
	for i := range p.Sections {
		s := &p.Sections[i]
		b.WriteString("\n## ")
		b.WriteString(s.Name)
		b.WriteString("\n")
		body := textDialect.render(s.Blocks)
		if s.NoInfo {
			body = strings.TrimSpace(body + " " + noInfoNote)
		}
		b.WriteString(body)
		b.WriteString("\n")
	}
}

func paperCount(n int) string {
	if n == 1 {
		return "1 paper"
	}
	return strconv.Itoa(n) + " papers"
}
