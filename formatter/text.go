package formatter

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

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
	// hugWords: markers glued to a letter (Korean particles: "*SLA*는")
	// are not read as markup, so a zero-width space separates them.
	hugWords bool
}

// zwsp is the invisible separator hugWords inserts.
const zwsp = "\u200b"

func lastRuneIsWord(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

func firstRuneIsWord(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// richWriter renders blocks in a dialect.
type richWriter struct {
	b *strings.Builder
	d *dialect
}

func (w richWriter) atLineStart() bool {
	s := w.b.String()
	if s == "" {
		return true
	}
	// Only indentation since the last line break still counts as the start.
	i := strings.LastIndexByte(s, '\n')
	return strings.TrimLeft(s[i+1:], " ") == ""
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
			if depth > 0 {
				w.b.WriteString(strings.Repeat(w.d.indent, depth))
			}
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
		w.b.WriteString(strings.Repeat(w.d.indent, depth))
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
				w.b.WriteString(strings.Repeat(w.d.indent, depth+1))
				w.inlines(sub.Inlines, depth+1)
			}
		}
	}
}

func (w richWriter) inlines(in []bot.Inline, depth int) {
	for i, r := range in {
		switch r.Kind {
		case bot.BreakInline:
			w.b.WriteString("\n")
			w.b.WriteString(strings.Repeat(w.d.indent, depth))
		case bot.StrongInline, bot.EmphInline:
			marker := w.d.strong
			if r.Kind == bot.EmphInline {
				marker = w.d.emph
			}
			hug := w.d.hugWords && marker != ""
			if hug && lastRuneIsWord(w.b.String()) {
				w.b.WriteString(zwsp)
			}
			w.wrapped(marker, r.Children, depth)
			if hug && i+1 < len(in) && in[i+1].Kind == bot.TextInline && firstRuneIsWord(in[i+1].Text) {
				w.b.WriteString(zwsp)
			}
		case bot.CodeInline:
			w.b.WriteString(w.d.code(r.Text))
		case bot.MathInline:
			w.b.WriteString(w.d.math(r.Text))
		case bot.LinkInline:
			label := bot.InlineText(r.Children)
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
	var inner strings.Builder
	sub := richWriter{b: &inner, d: w.d}
	// The inner text starts a line only if we are at one.
	if w.atLineStart() {
		sub.inlines(children, depth)
	} else {
		inner.WriteString("x")
		sub.inlines(children, depth)
	}
	s := inner.String()
	if !w.atLineStart() {
		s = s[1:]
	}
	core := strings.TrimSpace(s)
	if core == "" {
		w.b.WriteString(s)
		return
	}
	lead := s[:strings.Index(s, core)]
	trail := s[len(lead)+len(core):]
	w.b.WriteString(lead)
	w.b.WriteString(marker)
	w.b.WriteString(core)
	w.b.WriteString(marker)
	w.b.WriteString(trail)
}

// render is the section body in a dialect.
func (d *dialect) render(blocks []bot.Block) string {
	var b strings.Builder
	b.Grow(2048) // a typical section, so the builder rarely regrows
	richWriter{b: &b, d: d}.blocks(blocks, 0)
	return strings.TrimRight(b.String(), " \n")
}

// noInfoNote follows the author's own "정보 부족" / "N/A": the words stay as
// written and the note says what they mean to readers of either language.
const noInfoNote = "(no information)"

var textDialect = &dialect{
	escape: func(s string, _ bool) string { return s },
	code:   func(s string) string { return s },
	math:   func(s string) string { return "$" + s + "$" },
	link: func(url, label string) string {
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
	if p.AlphaxivURL != "" {
		b.WriteString("AlphaXiv: ")
		b.WriteString(p.AlphaxivURL)
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
