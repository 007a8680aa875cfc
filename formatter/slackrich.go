package formatter

import (
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/paperbot/paperbot/bot"
)

// Slack's mrkdwn has no escape for * _ ~ and `: a title such as
// "Measuring *Faithful* Answers" or a range such as "10~20%" would turn
// bold or struck. Everything the post wrote therefore reaches Slack as
// rich_text blocks, whose elements carry their text and style separately
// and are shown without parsing any markup: bold, italics and code come
// from the post's own markdown, nothing else. mrkdwn is left only for the
// bot's own fixed sentences (the context line, notes) and plain_text for
// headers, container titles and buttons.

// SlackMaxRichText caps the text of one rich_text block as paperbot
// writes them. Slack documents no limit of its own for rich_text; the cap
// of a section block's text keeps each block as small as the blocks Slack
// documents, and the message total (SlackMaxMessageText) counts them too.
const SlackMaxRichText = 3000

// SlackMaxRichTextIndent is the deepest indent of a rich_text_list
// (Slack: 0 to 8); the parser's MaxListDepth keeps lists within it.
const SlackMaxRichTextIndent = 8

// rtStyles are the styles runs can have, shared by every element of that
// style (a post has thousands of runs and only these eight styles; the
// values are never changed after they are made). Index: bold 1, italic 2,
// code 4; 0 is no style (nil).
var rtStyles = func() (t [8]*slack.RichTextSectionTextStyle) {
	for i := 1; i < len(t); i++ {
		t[i] = &slack.RichTextSectionTextStyle{Bold: i&1 != 0, Italic: i&2 != 0, Code: i&4 != 0}
	}
	return t
}()

var (
	rtBold   = rtStyles[1]
	rtItalic = rtStyles[2]
	rtCode   = rtStyles[4]
)

// rtStyle is the style of a run: the marks around it.
type rtStyle struct{ bold, italic bool }

func (s rtStyle) with(code bool) *slack.RichTextSectionTextStyle {
	i := 0
	if s.bold {
		i |= 1
	}
	if s.italic {
		i |= 2
	}
	if code {
		i |= 4
	}
	return rtStyles[i]
}

// rtBuilder writes rich text into rich_text blocks of at most max UTF-16
// units each, splitting where a block fills up (between runs, or inside a
// run too long for any block) and reopening the list or paragraph it was
// in, so nothing is lost and every block is within its cap.
type rtBuilder struct {
	max    int
	blocks []*slack.RichTextBlock
	sizes  []int
	elems  []slack.RichTextElement
	size   int
	// sec receives runs: the open paragraph or list item; nil for none.
	sec *slack.RichTextSection
	// list is the open list element (sec is its last item), nil in a
	// paragraph; number is the number of its last item.
	list   *slack.RichTextList
	number int

	// A post has thousands of runs: their elements come from slabs, and
	// the open section's runs are appended to one shared slice (sec's
	// Elements is runs[start:], capped so that no other append can reach
	// into it), instead of an allocation for each.
	texts    slab[slack.RichTextSectionTextElement]
	links    slab[slack.RichTextSectionLinkElement]
	sections slab[slack.RichTextSection]
	runs     []slack.RichTextSectionElement
	start    int
	tail     *slack.RichTextSection // the section runs[start:] belongs to
}

// slab hands out pointers to values allocated a chunk at a time.
type slab[T any] struct{ free []T }

func (s *slab[T]) new(v T) *T {
	if len(s.free) == cap(s.free) {
		s.free = make([]T, 0, min(max(2*cap(s.free), 2), 128))
	}
	s.free = append(s.free, v)
	return &s.free[len(s.free)-1]
}

// newSection makes the section that receives the runs from now on.
func (b *rtBuilder) newSection() *slack.RichTextSection {
	b.sec = b.sections.new(slack.RichTextSection{Type: slack.RTESection})
	b.start, b.tail = len(b.runs), b.sec
	return b.sec
}

func newRTBuilder(max int) *rtBuilder { return &rtBuilder{max: max} }

// paragraph starts a paragraph: after another paragraph in the same
// section element it is separated by a blank line, else it opens one.
func (b *rtBuilder) paragraph() {
	if b.sec != nil && b.list == nil && len(b.sec.Elements) > 0 {
		b.run("\n\n", nil, "")
		return
	}
	b.openSection()
}

func (b *rtBuilder) openSection() {
	b.list = nil
	b.elems = append(b.elems, b.newSection())
}

// item starts list item number n (ordered) at indent.
func (b *rtBuilder) item(ordered bool, indent, n int) {
	style := slack.RTEListBullet
	if ordered {
		style = slack.RTEListOrdered
	}
	indent = min(indent, SlackMaxRichTextIndent)
	if b.list == nil || b.list.Style != style || b.list.Indent != indent {
		b.list = slack.NewRichTextList(style, indent)
		if ordered {
			b.list.Offset = n - 1
		}
		b.elems = append(b.elems, b.list)
	}
	b.list.Elements = append(b.list.Elements, b.newSection())
	b.number = n
}

// run adds text (a link when url is set) in style to the open element.
func (b *rtBuilder) run(text string, style *slack.RichTextSectionTextStyle, url string) {
	if text == "" {
		return
	}
	if b.sec == nil {
		b.openSection()
	}
	nu := 0
	if url != "" {
		nu = Len16(url)
	}
	n := Len16(text) + nu
	if b.size+n > b.max && b.size > 0 {
		b.split()
	}
	for n > b.max {
		// One run longer than a block: its text goes on in the next.
		cut := prefix16(text, b.max-nu-b.size)
		if cut <= 0 {
			cut = len(text)
		}
		b.add(text[:cut], style, url, Len16(text[:cut])+nu)
		text = text[cut:]
		if text == "" {
			return
		}
		b.split()
		n = Len16(text) + nu
	}
	b.add(text, style, url, n)
}

// add appends a run of n UTF-16 units to the open section.
func (b *rtBuilder) add(text string, style *slack.RichTextSectionTextStyle, url string, n int) {
	var el slack.RichTextSectionElement
	if url != "" {
		el = b.links.new(slack.RichTextSectionLinkElement{Type: slack.RTSELink, URL: url, Text: text, Style: style})
	} else {
		el = b.texts.new(slack.RichTextSectionTextElement{Type: slack.RTSEText, Text: text, Style: style})
	}
	if b.sec != b.tail {
		b.sec.Elements = append(b.sec.Elements, el)
	} else {
		if len(b.runs) == cap(b.runs) {
			open := b.runs[b.start:]
			b.runs = append(make([]slack.RichTextSectionElement, 0, min(max(2*cap(b.runs), 4), 256)+len(open)), open...)
			b.start = 0
		}
		b.runs = append(b.runs, el)
		b.sec.Elements = b.runs[b.start:len(b.runs):len(b.runs)]
	}
	b.size += n
}

// split closes the block and reopens the element it was in.
func (b *rtBuilder) split() {
	list, number := b.list, b.number
	b.flush()
	if list != nil {
		b.list = slack.NewRichTextList(list.Style, list.Indent)
		if list.Style == slack.RTEListOrdered {
			b.list.Offset = number - 1
		}
		b.elems = append(b.elems, b.list)
		b.list.Elements = append(b.list.Elements, b.newSection())
		b.number = number
		return
	}
	b.openSection()
}

// flush closes the block being written.
func (b *rtBuilder) flush() {
	// An element left empty (a paragraph with no runs) is dropped: Slack
	// refuses empty sections.
	elems := b.elems[:0]
	for _, e := range b.elems {
		switch v := e.(type) {
		case *slack.RichTextSection:
			if len(v.Elements) == 0 {
				continue
			}
		case *slack.RichTextList:
			items := v.Elements[:0]
			for _, it := range v.Elements {
				if s, ok := it.(*slack.RichTextSection); ok && len(s.Elements) == 0 {
					s.Elements = append(s.Elements, slack.NewRichTextSectionTextElement(" ", nil))
				}
				items = append(items, it)
			}
			v.Elements = items
		}
		elems = append(elems, e)
	}
	if len(elems) > 0 {
		b.blocks = append(b.blocks, slack.NewRichTextBlock("", elems...))
		b.sizes = append(b.sizes, b.size)
	}
	b.elems, b.size, b.sec, b.list = nil, 0, nil, nil
}

// done returns the blocks and their sizes.
func (b *rtBuilder) done() ([]*slack.RichTextBlock, []int) {
	b.flush()
	return b.blocks, b.sizes
}

// blocks writes the post's blocks; depth is the list nesting.
func (b *rtBuilder) richBlocks(blocks []bot.Block, depth int) {
	for _, blk := range blocks {
		if blk.Kind == bot.ListBlock {
			b.richList(blk, depth)
			continue
		}
		if depth > 0 && b.list != nil && b.sec != nil {
			// A further paragraph of a list item: a new line of the item.
			b.run("\n", nil, "")
		} else {
			b.paragraph()
		}
		b.inlines(blk.Inlines, rtStyle{})
	}
}

func (b *rtBuilder) richList(blk bot.Block, depth int) {
	n := blk.Start
	if n == 0 {
		n = 1
	}
	for _, item := range blk.Items {
		b.item(blk.Ordered, depth, n)
		num := n
		n++
		rest := item
		if len(item) > 0 && item[0].Kind == bot.ParagraphBlock {
			b.inlines(item[0].Inlines, rtStyle{})
			rest = item[1:]
		}
		for _, sub := range rest {
			if sub.Kind == bot.ListBlock {
				b.richList(sub, depth+1)
				continue
			}
			if b.list == nil || b.list.Indent != min(depth, SlackMaxRichTextIndent) {
				// Back from a nested list: the item goes on as a new
				// element of its own list.
				b.item(blk.Ordered, depth, num)
			} else {
				b.run("\n", nil, "")
			}
			b.inlines(sub.Inlines, rtStyle{})
		}
	}
}

func (b *rtBuilder) inlines(in []bot.Inline, st rtStyle) {
	for _, r := range in {
		switch r.Kind {
		case bot.BreakInline:
			b.run("\n", nil, "")
		case bot.StrongInline:
			b.inlines(r.Children, rtStyle{bold: true, italic: st.italic})
		case bot.EmphInline:
			b.inlines(r.Children, rtStyle{bold: st.bold, italic: true})
		case bot.CodeInline:
			b.run(r.Text, st.with(true), "")
		case bot.MathInline:
			b.run("$"+r.Text+"$", st.with(true), "")
		case bot.LinkInline:
			url := bot.WebURL(r.URL)
			if url == "" {
				b.inlines(r.Children, st)
				continue
			}
			b.run(strings.ReplaceAll(inlineText(r.Children), "\n", " "), st.with(false), url)
		default:
			b.run(r.Text, st.with(false), "")
		}
	}
}

// slackRichSections are a paper's sections as rich_text blocks: each
// section's name in bold, then its body; short sections share a block.
func slackRichSections(p *bot.Paper) ([]*slack.RichTextBlock, []int) {
	b := newRTBuilder(SlackMaxRichText)
	for i := range p.Sections {
		s := &p.Sections[i]
		// One section element holds text up to the next list: Slack shows
		// consecutive section elements inline in some clients, so line
		// breaks are written, never implied.
		b.paragraph()
		b.run(sectionName(p, i), rtBold, "")
		b.run("\n", nil, "")
		switch {
		case s.NoInfo:
			b.run(strings.TrimSpace(bot.PlainText(s.Blocks)+" "+noInfoNote), rtItalic, "")
		case len(s.Blocks) == 0:
			b.run("(empty)", rtItalic, "")
		default:
			// The name line and the body's first paragraph share the
			// section element.
			first := true
			for _, blk := range s.Blocks {
				if first && blk.Kind == bot.ParagraphBlock {
					b.inlines(blk.Inlines, rtStyle{})
					first = false
					continue
				}
				first = false
				b.richBlocks([]bot.Block{blk}, 0)
			}
		}
	}
	return b.done()
}

// slackRichTitle is the paper's heading as a rich_text block: the bold
// title linked to arXiv, the AlphaXiv link, and (withGoal) the goal line.
func slackRichTitle(p *bot.Paper, withGoal bool) (*slack.RichTextBlock, int) {
	title := strconv.Itoa(p.Number) + ". " + p.Title
	// A title is one unit that cannot be split: a pathological one is cut
	// (the full text is in the post and the sections' card).
	title = Truncate(title, 600)
	b := newRTBuilder(SlackMaxRichText)
	b.openSection()
	b.run(title, rtBold, p.Link())
	if u := bot.WebURL(p.AlphaxivURL); u != "" && Len16(u) <= 1000 {
		b.run(" · ", nil, "")
		b.run("AlphaXiv", nil, u)
	}
	if withGoal {
		if g := Truncate(p.Goal(), goalMax); g != "" {
			b.run("\n"+g, nil, "")
		}
	}
	blocks, sizes := b.done()
	return blocks[0], sizes[0]
}

// slackRichText counts the text of a rich_text block in UTF-16 units:
// text and link runs (URLs included).
func slackRichText(b *slack.RichTextBlock) int {
	n := 0
	var elems func([]slack.RichTextElement)
	section := func(s *slack.RichTextSection) {
		for _, e := range s.Elements {
			switch v := e.(type) {
			case *slack.RichTextSectionTextElement:
				n += Len16(v.Text)
			case *slack.RichTextSectionLinkElement:
				n += Len16(v.Text) + Len16(v.URL)
			}
		}
	}
	elems = func(es []slack.RichTextElement) {
		for _, e := range es {
			switch v := e.(type) {
			case *slack.RichTextSection:
				section(v)
			case *slack.RichTextList:
				elems(v.Elements)
			}
		}
	}
	elems(b.Elements)
	return n
}
