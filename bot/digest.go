package bot

import (
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Digest is one parsed Daily Papers post.
type Digest struct {
	// Date is the post's date and time in the configured timezone: the
	// front matter's date, else midnight of the file name's date.
	Date       time.Time `json:"date"`
	Title      string    `json:"title"`
	Tags       []string  `json:"tags,omitempty"`
	Categories []string  `json:"categories,omitempty"`
	// Draft is Jekyll's `published: false`: never sent.
	Draft bool `json:"draft,omitempty"`
	// Path is the file's path relative to the source's root, with forward
	// slashes; it identifies the post.
	Path string `json:"path"`
	// Hash is the hex SHA-256 of the file's bytes: a changed hash is an edit.
	Hash   string  `json:"hash"`
	Papers []Paper `json:"papers"`
}

// Day is the post's calendar day, "2006-01-02", in the Date's location.
func (d *Digest) Day() string { return d.Date.Format(time.DateOnly) }

// Paper is one numbered paper of a digest.
type Paper struct {
	Number int    `json:"number"`
	Title  string `json:"title"`
	// ID is empty when the heading has no arXiv link.
	ID ArxivID `json:"id,omitempty"`
	// Version is the version written in the link ("v2"), if any.
	Version     string    `json:"version,omitempty"`
	URL         string    `json:"url,omitempty"`
	AlphaxivURL string    `json:"alphaxiv_url,omitempty"`
	Sections    []Section `json:"sections"`
	// Line is the 1-based line of the paper's heading in its post.
	Line int `json:"line,omitempty"`
}

// Link is the best link for the paper's title: its arXiv page when it has an
// id, else the URL the heading carried when it is a web address (WebURL).
func (p *Paper) Link() string {
	if p.ID != "" {
		return p.ID.AbsURL()
	}
	return WebURL(p.URL)
}

// Section returns the first section whose name matches (case-insensitive).
func (p *Paper) Section(name string) *Section {
	for i := range p.Sections {
		if strings.EqualFold(p.Sections[i].Name, name) {
			return &p.Sections[i]
		}
	}
	return nil
}

// Goal is the paper's one-line summary: the Introduction's bullet labelled
// "Goal:", else the first sentence of the Introduction (or of the first
// section when there is no Introduction). Empty when the paper has no text.
func (p *Paper) Goal() string {
	sec := p.Section("Introduction")
	if sec == nil && len(p.Sections) > 0 {
		sec = &p.Sections[0]
	}
	if sec == nil || sec.NoInfo {
		return ""
	}
	for _, b := range sec.Blocks {
		if b.Kind != ListBlock {
			continue
		}
		for _, item := range b.Items {
			text := strings.TrimSpace(PlainText(item))
			if label, rest, ok := strings.Cut(text, ":"); ok && strings.EqualFold(strings.TrimSpace(label), "goal") {
				return strings.TrimSpace(rest)
			}
		}
	}
	// Unlabelled bullets: the first bullet is the goal by the posts'
	// convention (Goal, Motivation, Contribution in that order).
	for _, b := range sec.Blocks {
		if b.Kind == ListBlock && len(b.Items) > 0 {
			return firstSentence(strings.TrimSpace(PlainText(b.Items[0])))
		}
		if b.Kind == ParagraphBlock {
			break
		}
	}
	return firstSentence(strings.TrimSpace(PlainText(sec.Blocks)))
}

// firstSentence returns s up to and including its first sentence end
// ('.', '!', '?' or '。' followed by a space or the end), or its first line.
func firstSentence(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	rs := []rune(s)
	for i, r := range rs {
		if r == '.' || r == '!' || r == '?' || r == '。' {
			if i+1 == len(rs) || unicode.IsSpace(rs[i+1]) {
				// "e.g. " and decimals are not sentence ends worth special
				// casing here: a short goal line is the aim, not linguistics.
				return strings.TrimSpace(string(rs[:i+1]))
			}
		}
	}
	return strings.TrimSpace(s)
}

// Section is one level-2 part of a paper ("Introduction", "Method", ...).
type Section struct {
	Name   string  `json:"name"`
	Blocks []Block `json:"blocks"`
	// NoInfo marks a body that is only "정보 부족" or "N/A": the author had
	// nothing to say. Blocks still hold the words as written.
	NoInfo bool `json:"no_info,omitempty"`
	// Line is the 1-based line of the section's heading.
	Line int `json:"line,omitempty"`
}

// Text is the section as plain text (lists as "- " lines).
func (s *Section) Text() string { return PlainText(s.Blocks) }

// BlockKind tells a paragraph from a list.
type BlockKind string

const (
	ParagraphBlock BlockKind = "paragraph"
	ListBlock      BlockKind = "list"
)

// Block is a paragraph (Inlines) or a list (Items, each a list of blocks so
// lists can nest).
type Block struct {
	Kind    BlockKind `json:"kind"`
	Inlines []Inline  `json:"inlines,omitempty"`
	Ordered bool      `json:"ordered,omitempty"`
	// Start is the first number of an ordered list.
	Start int       `json:"start,omitempty"`
	Items [][]Block `json:"items,omitempty"`
}

// InlineKind names a run of rich text.
type InlineKind string

const (
	TextInline   InlineKind = "text"
	StrongInline InlineKind = "strong"
	EmphInline   InlineKind = "emph"
	CodeInline   InlineKind = "code"
	MathInline   InlineKind = "math"
	LinkInline   InlineKind = "link"
	// BreakInline is a hard line break inside a paragraph.
	BreakInline InlineKind = "break"
)

// Inline is a run of text. Text holds the literal, already unescaped text
// of text, code and math runs; Children hold the content of strong, emph and
// link runs; URL is a link's destination.
type Inline struct {
	Kind     InlineKind `json:"kind"`
	Text     string     `json:"text,omitempty"`
	URL      string     `json:"url,omitempty"`
	Children []Inline   `json:"children,omitempty"`
}

// PlainText renders blocks as plain text: paragraphs separated by a blank
// line, list items as "- " or "1. " lines indented two spaces per level, and
// no markup.
func PlainText(blocks []Block) string {
	var b strings.Builder
	// Sized up front: the API renders every section of every paper it
	// returns, and growing the builder step by step was most of what a
	// lookup allocated.
	b.Grow(plainSize(blocks, 0))
	writePlainBlocks(&b, blocks, 0)
	return strings.TrimRight(b.String(), "\n")
}

// plainSize is the length of blocks as plain text, or a little more.
func plainSize(blocks []Block, depth int) int {
	n := 0
	for _, blk := range blocks {
		n += inlineSize(blk.Inlines) + 2
		for _, item := range blk.Items {
			n += 2*depth + 4 + digits(blk.Start+len(blk.Items)) + plainSize(item, depth+1)
		}
	}
	return n
}

// digits is the length of n in decimal, sign included.
func digits(n int) int {
	d := 1
	if n < 0 {
		d++
	}
	for ; n >= 10 || n <= -10; n /= 10 {
		d++
	}
	return d
}

func inlineSize(in []Inline) int {
	n := 0
	for _, r := range in {
		n += len(r.Text) + 2 + inlineSize(r.Children)
	}
	return n
}

func writePlainBlocks(b *strings.Builder, blocks []Block, depth int) {
	for i, blk := range blocks {
		switch blk.Kind {
		case ParagraphBlock:
			if i > 0 && depth == 0 {
				b.WriteString("\n")
			}
			writeInlineText(b, blk.Inlines)
			b.WriteString("\n")
		case ListBlock:
			if i > 0 && depth == 0 && b.Len() > 0 {
				b.WriteString("\n")
			}
			n := blk.Start
			if n == 0 {
				n = 1
			}
			for _, item := range blk.Items {
				for range depth {
					b.WriteString("  ")
				}
				if blk.Ordered {
					var num [20]byte
					b.Write(strconv.AppendInt(num[:0], int64(n), 10))
					b.WriteString(". ")
					n++
				} else {
					b.WriteString("- ")
				}
				// The item's first paragraph shares the marker's line; the
				// rest (nested lists, more paragraphs) go below it.
				rest := item
				if len(item) > 0 && item[0].Kind == ParagraphBlock {
					writeInlineText(b, item[0].Inlines)
					rest = item[1:]
				}
				b.WriteString("\n")
				writePlainBlocks(b, rest, depth+1)
			}
		}
	}
}

// InlineText is the text of inline runs without markup.
func InlineText(in []Inline) string {
	var b strings.Builder
	writeInlineText(&b, in)
	return b.String()
}

func writeInlineText(b *strings.Builder, in []Inline) {
	for _, r := range in {
		switch r.Kind {
		case BreakInline:
			b.WriteString("\n")
		case StrongInline, EmphInline, LinkInline:
			writeInlineText(b, r.Children)
		case MathInline:
			b.WriteString("$")
			b.WriteString(r.Text)
			b.WriteString("$")
		default:
			b.WriteString(r.Text)
		}
	}
}
