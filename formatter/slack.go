package formatter

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/paperbot/paperbot/bot"
)

// SlackDetails is how a Slack digest shows each paper's sections.
type SlackDetails string

const (
	// SlackContainer folds the sections into a collapsible container block
	// under each paper (the default).
	SlackContainer SlackDetails = "container"
	// SlackButtons gives each paper a "Details" button; the adapter swaps in
	// the expanded rendering (SlackOptions.Expanded) when it is clicked.
	SlackButtons SlackDetails = "buttons"
	// SlackThread posts the compact digest and one thread reply per paper.
	SlackThread SlackDetails = "thread"
	// SlackInline shows everything in the channel.
	SlackInline SlackDetails = "inline"
)

// ParseSlackDetails checks a configured mode; "" is the default.
func ParseSlackDetails(s string) (SlackDetails, error) {
	switch d := SlackDetails(s); d {
	case "":
		return SlackContainer, nil
	case SlackContainer, SlackButtons, SlackThread, SlackInline:
		return d, nil
	}
	return "", fmt.Errorf("slack details %q: want container, buttons, thread or inline", s)
}

// SlackOptions tune the Slack rendering.
type SlackOptions struct {
	Details SlackDetails
	// SiteURL is the blog's base URL: set, the digest links to its post.
	SiteURL string
	// Expanded lists, in buttons mode, the paper numbers shown unfolded.
	Expanded map[int]bool
}

// SlackMessage is the body of one chat.postMessage without channel
// (and, for thread replies, without thread_ts).
type SlackMessage struct {
	Text   string        `json:"text"`
	Blocks []slack.Block `json:"blocks"`
	// ThreadReply: post as a reply in the thread of the nearest earlier
	// message that is not a reply (details: thread).
	ThreadReply bool `json:"-"`
}

// Block/action ids that the Slack adapter relies on.
const (
	SlackActionDetails = "paper_details" // button value: "<post path>|<paper number>"
	SlackActionHide    = "paper_hide"    // same value
	SlackActionShare   = "share"         // value: "paper:<arxiv id>" or "digest:<YYYY-MM-DD>"
)

// SlackPaperBlockID is the block_id of paper n's title section, so an
// adapter can find the message (and block) that holds a paper.
func SlackPaperBlockID(n int) string { return "paper-" + strconv.Itoa(n) }

// SlackDetailsValue is the value of a Details/Hide button.
func SlackDetailsValue(path string, n int) string {
	return path + "|" + strconv.Itoa(n)
}

// ParseSlackDetailsValue splits a Details/Hide button value into the
// post's path and the paper number.
func ParseSlackDetailsValue(v string) (path string, n int, ok bool) {
	i := strings.LastIndexByte(v, '|')
	if i < 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(v[i+1:])
	if err != nil || n < 0 {
		return "", 0, false
	}
	return v[:i], n, true
}

// slackEscape escapes exactly what Slack's mrkdwn (and the text fallback)
// needs escaped: & < >.
func slackEscape(s string) string {
	if !strings.ContainsAny(s, "&<>") {
		return s
	}
	return slackEscaper.Replace(s)
}

var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// slackURL makes a URL safe inside <url|label>: the delimiters are
// percent-encoded and & is escaped as Slack asks.
func slackURL(u string) string {
	return slackURLEscaper.Replace(u)
}

var slackURLEscaper = strings.NewReplacer("&", "&amp;", "<", "%3C", ">", "%3E", "|", "%7C", " ", "%20", "\n", "%0A")

func slackLink(url, label string) string {
	url = bot.WebURL(url)
	if url == "" {
		return slackEscape(label)
	}
	if label == "" {
		return "<" + slackURL(url) + ">"
	}
	// A line break would end the link; the label reads the same with spaces.
	label = strings.ReplaceAll(label, "\n", " ")
	return "<" + slackURL(url) + "|" + slackEscape(label) + ">"
}

// goalMax keeps the compact line compact; the full text is in the sections.
const goalMax = 500

// sectionName is a section's name, or "Section N" for a heading without
// words (a title must not be empty).
func sectionName(p *bot.Paper, i int) string {
	if n := strings.TrimSpace(p.Sections[i].Name); n != "" {
		return n
	}
	return "Section " + strconv.Itoa(i+1)
}

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}

func slackSection(text string) *slack.SectionBlock {
	return slack.NewSectionBlock(mrkdwn(text), nil, nil)
}

// sitem is one top-level block with what it costs against the limits.
type sitem struct {
	block  slack.Block
	blocks int // the block itself plus container children
	text   int // UTF-16 units of its text
	paper  int // 1 + the paper's index in the digest, 0 for none
}

// sunit is a run of items that belong together (a paper's title and its
// folded sections) and go into one message when they can.
type sunit []sitem

func (u sunit) cost() (blocks, text int) {
	for _, it := range u {
		blocks += it.blocks
		text += it.text
	}
	return
}

func newItem(b slack.Block, paper int) sitem {
	return sitem{block: b, blocks: slackBlockCount(b), text: slackBlockText(b), paper: paper}
}

// containerTextMax caps the text of one container so that it, a title
// section, a header and the context line fit in any message.
const containerTextMax = 9000

// slackSectionItems are the sections of a paper as rich_text blocks.
func slackSectionItems(p *bot.Paper, key int) []sitem {
	blocks, sizes := slackRichSections(p)
	items := make([]sitem, len(blocks))
	for i, b := range blocks {
		// The size is known: no need to count the text again.
		items[i] = sitem{block: b, blocks: 1, text: sizes[i], paper: key}
	}
	return items
}

// slackContainers folds section blocks into collapsible containers of at
// most 10 children and containerTextMax units each.
func slackContainers(p *bot.Paper, key int, sections []sitem) []sitem {
	if len(sections) == 0 {
		return nil
	}
	var groups [][]sitem
	var cur []sitem
	curText := 0
	for _, s := range sections {
		if len(cur) > 0 && (len(cur) == SlackMaxContainerBlocks || curText+s.text > containerTextMax) {
			groups = append(groups, cur)
			cur, curText = nil, 0
		}
		cur = append(cur, s)
		curText += s.text
	}
	groups = append(groups, cur)
	title := containerTitle(p)
	var out []sitem
	for i, g := range groups {
		t := title
		if len(groups) > 1 {
			t = Truncate(title, SlackMaxContainerTitle-8) + fmt.Sprintf(" (%d/%d)", i+1, len(groups))
		}
		c := slack.NewContainerBlock().WithTitle(plain(t)).WithCollapsible(true, true)
		it := sitem{block: c, blocks: 1, text: Len16(t), paper: key}
		for _, s := range g {
			c.AddChildBlock(s.block)
			it.blocks += s.blocks
			it.text += s.text
		}
		out = append(out, it)
	}
	return out
}

// containerTitle names what is folded: "Introduction · Method · …".
func containerTitle(p *bot.Paper) string {
	names := make([]string, 0, len(p.Sections))
	for i := range p.Sections {
		names = append(names, sectionName(p, i))
	}
	return Truncate(strings.Join(names, " · "), SlackMaxContainerTitle)
}

func slackButton(label, actionID, value string) *slack.ButtonBlockElement {
	return slack.NewButtonBlockElement(actionID, value, plain(label))
}

// slackTitleItem is paper i's heading block (with its goal line unless
// the sections follow at once).
func slackTitleItem(p *bot.Paper, key int, withGoal bool, blockID string) sitem {
	t, n := slackRichTitle(p, withGoal)
	t.BlockID = blockID
	return sitem{block: t, blocks: 1, text: n, paper: key}
}

// slackToggle is the actions block under a paper in buttons mode: its
// Details button, or Hide when it is unfolded.
func slackToggle(path string, p *bot.Paper, key int, expanded bool) sitem {
	value := SlackDetailsValue(path, p.Number)
	btn := slackButton("Details", SlackActionDetails, value)
	if expanded {
		btn = slackButton("Hide", SlackActionHide, value)
	}
	return newItem(slack.NewActionBlock("", btn), key)
}

// slackPaperUnit is one paper in the main digest for the mode.
func slackPaperUnit(d *bot.Digest, i int, opt SlackOptions) sunit {
	p, key := &d.Papers[i], i+1
	id := ""
	if firstWithNumber(d, i) {
		// A post that numbers two papers alike gets one id: ids are unique.
		id = SlackPaperBlockID(p.Number)
	}
	switch opt.Details {
	case SlackButtons:
		title := slackTitleItem(p, key, true, id)
		if len(p.Sections) == 0 {
			return sunit{title}
		}
		if opt.Expanded[p.Number] {
			return append(sunit{title, slackToggle(d.Path, p, key, true)}, slackSectionItems(p, key)...)
		}
		return sunit{title, slackToggle(d.Path, p, key, false)}
	case SlackThread:
		return sunit{slackTitleItem(p, key, true, id)}
	case SlackInline:
		// The sections follow at once, so the goal would only repeat the
		// Introduction: the title line alone heads the paper.
		return append(sunit{slackTitleItem(p, key, false, id)}, slackSectionItems(p, key)...)
	default:
		return append(sunit{slackTitleItem(p, key, true, id)}, slackContainers(p, key, slackSectionItems(p, key))...)
	}
}

// slackReplyUnit is a paper's thread reply: its title line and sections.
func slackReplyUnit(p *bot.Paper, key int) sunit {
	return append(sunit{slackTitleItem(p, key, false, "")}, slackSectionItems(p, key)...)
}

// pack fills messages with units in order, each message holding at most
// maxBlocks blocks and maxText units of text beyond a reserve for the
// header. A unit goes whole into the current message, else whole into a
// new one, and is spread item by item only when no message can hold it.
func pack(units []sunit, maxBlocks, maxText int) [][]sitem {
	var msgs [][]sitem
	var cur []sitem
	curBlocks, curText := 0, 0
	flush := func() {
		if len(cur) > 0 {
			msgs = append(msgs, cur)
		}
		cur, curBlocks, curText = nil, 0, 0
	}
	for _, u := range units {
		b, t := u.cost()
		if curBlocks+b > maxBlocks || curText+t > maxText {
			flush()
		}
		if b <= maxBlocks && t <= maxText {
			cur = append(cur, u...)
			curBlocks += b
			curText += t
			continue
		}
		for _, it := range u {
			if len(cur) > 0 && (curBlocks+it.blocks > maxBlocks || curText+it.text > maxText) {
				flush()
			}
			cur = append(cur, it)
			curBlocks += it.blocks
			curText += it.text
		}
	}
	flush()
	return msgs
}

// slackUnfoldBlocks and slackUnfoldText are the room a folded message in
// buttons mode keeps so that a usual paper (five sections) unfolds in
// place; a longer one continues in a message of its own.
const (
	slackUnfoldBlocks = 8
	slackUnfoldText   = 4000
)

// slackContext is the line under the header: date, count, post link.
func slackContext(d *bot.Digest, opt SlackOptions) string {
	s := slackEscape(d.Day()) + " · " + paperCount(len(d.Papers))
	if d.Draft {
		s += " · draft"
	}
	if u := postURL(opt.SiteURL, d.Path, d.Date, d.Categories); u != "" && Len16(u) <= 1000 {
		s += " · " + slackLink(u, "Read the post")
	}
	return s
}

// Slack renders a digest as Slack messages: one while it fits, else
// several with the header repeated as "Title (2/3)". In buttons mode the
// papers are grouped into messages as in the folded state whatever
// opt.Expanded says, so an adapter can swap an expanded message in place
// (an expansion too big for its message continues in extra messages right
// after it). In thread mode each main message is followed by its papers'
// replies (ThreadReply).
func Slack(d *bot.Digest, opt SlackOptions) []SlackMessage {
	if opt.Details == "" {
		opt.Details = SlackContainer
	}
	ctx := slackContext(d, opt)
	ctxItem := newItem(slack.NewContextBlock("", mrkdwn(ctx)), 0)
	// Every message may carry a header (at most its limit) and the context
	// line; reserve both so the count of messages is known before the
	// headers are written.
	maxBlocks := SlackMaxBlocks - 2
	maxText := SlackMaxMessageText - SlackMaxHeaderText - ctxItem.text

	units := make([]sunit, 0, len(d.Papers))
	for i := range d.Papers {
		if opt.Details == SlackButtons {
			// Folded here; expanded below, per group.
			folded := opt
			folded.Expanded = nil
			units = append(units, slackPaperUnit(d, i, folded))
		} else {
			units = append(units, slackPaperUnit(d, i, opt))
		}
	}
	groups := pack(units, maxBlocks, maxText)
	if opt.Details == SlackButtons {
		// Folded messages keep room for one paper to unfold in place.
		groups = pack(units, maxBlocks-slackUnfoldBlocks, maxText-slackUnfoldText)
	}
	if len(groups) == 0 {
		groups = [][]sitem{nil}
	}
	type part struct {
		items []sitem
		reply bool
	}
	var parts []part
	for _, g := range groups {
		if opt.Details == SlackButtons && len(opt.Expanded) > 0 {
			var us []sunit
			for _, k := range papersOf(g) {
				us = append(us, slackPaperUnit(d, k-1, opt))
			}
			for _, sub := range pack(us, maxBlocks, maxText) {
				parts = append(parts, part{items: sub})
			}
			continue
		}
		parts = append(parts, part{items: g})
		if opt.Details == SlackThread {
			for _, k := range papersOf(g) {
				p := &d.Papers[k-1]
				if len(p.Sections) == 0 {
					continue
				}
				for _, r := range pack([]sunit{slackReplyUnit(p, k)}, SlackMaxBlocks, SlackMaxMessageText) {
					parts = append(parts, part{items: r, reply: true})
				}
			}
		}
	}
	total := 0
	for _, p := range parts {
		if !p.reply {
			total++
		}
	}
	msgs := make([]SlackMessage, 0, len(parts))
	k := 0
	for _, p := range parts {
		if p.reply {
			msgs = append(msgs, SlackMessage{Text: replyFallback(d, p.items), Blocks: blocksOf(p.items), ThreadReply: true})
			continue
		}
		k++
		title := digestTitle(d)
		if total > 1 {
			suffix := fmt.Sprintf(" (%d/%d)", k, total)
			title = Truncate(title, SlackMaxHeaderText-Len16(suffix)) + suffix
		} else {
			title = Truncate(title, SlackMaxHeaderText)
		}
		blocks := []slack.Block{slack.NewHeaderBlock(plain(title))}
		if k == 1 {
			blocks = append(blocks, ctxItem.block)
		}
		blocks = append(blocks, blocksOf(p.items)...)
		msgs = append(msgs, SlackMessage{Text: fallback(title, d, p.items), Blocks: blocks})
	}
	return msgs
}

func digestTitle(d *bot.Digest) string {
	if strings.TrimSpace(d.Title) != "" {
		return d.Title
	}
	return "Daily Papers — " + d.Day()
}

func blocksOf(items []sitem) []slack.Block {
	out := make([]slack.Block, len(items))
	for i, it := range items {
		out[i] = it.block
	}
	return out
}

func papersOf(items []sitem) []int {
	var out []int
	for _, it := range items {
		if it.paper != 0 && (len(out) == 0 || out[len(out)-1] != it.paper) {
			out = append(out, it.paper)
		}
	}
	return out
}

// firstWithNumber reports whether d.Papers[i] is the first paper with its
// number.
func firstWithNumber(d *bot.Digest, i int) bool {
	for j := 0; j < i; j++ {
		if d.Papers[j].Number == d.Papers[i].Number {
			return false
		}
	}
	return true
}

func paperByNumber(d *bot.Digest, n int) *bot.Paper {
	for i := range d.Papers {
		if d.Papers[i].Number == n {
			return &d.Papers[i]
		}
	}
	return &bot.Paper{Number: n}
}

// fallback is the notification text: the header, the date and the titles
// of the papers in this message, far below Slack's limit.
func fallback(title string, d *bot.Digest, items []sitem) string {
	var b strings.Builder
	b.WriteString(slackEscape(title))
	if !strings.Contains(title, d.Day()) {
		b.WriteString(" — ")
		b.WriteString(d.Day())
	}
	for _, k := range papersOf(items) {
		p := &d.Papers[k-1]
		line := "\n" + strconv.Itoa(p.Number) + ". " + slackEscape(Truncate(p.Title, 200))
		if Len16(b.String())+Len16(line) > slackFallbackBudget-10 {
			b.WriteString("\n…")
			break
		}
		b.WriteString(line)
	}
	return b.String()
}

func replyFallback(d *bot.Digest, items []sitem) string {
	ns := papersOf(items)
	if len(ns) == 0 {
		return slackEscape(digestTitle(d))
	}
	p := &d.Papers[ns[0]-1]
	return strconv.Itoa(p.Number) + ". " + slackEscape(Truncate(p.Title, 500))
}

// SlackPaper is the compact card for one paper (/paper answers): linked
// title, the post's date, goal, sections folded per opt.Details (container
// unless buttons or inline), and a "Share in channel" button when the
// paper has an arXiv id. A paper too long for one message (far beyond any
// real summary) is cut at a section boundary with a note linking to the
// full text.
func SlackPaper(p *bot.Paper, post bot.PostRef, opt SlackOptions) SlackMessage {
	d := &bot.Digest{Date: post.Date, Title: post.Title, Path: post.Path, Papers: []bot.Paper{*p}}
	title := slackTitleItem(p, 1, true, SlackPaperBlockID(p.Number))
	head := []sitem{title}
	var items []sitem
	switch opt.Details {
	case SlackButtons:
		if len(p.Sections) > 0 {
			expanded := opt.Expanded[p.Number]
			head = append(head, slackToggle(post.Path, p, 1, expanded))
			if expanded {
				items = slackSectionItems(p, 1)
			}
		}
	case SlackInline:
		items = slackSectionItems(p, 1)
	default:
		items = slackContainers(p, 1, slackSectionItems(p, 1))
	}
	// The post's title is the author's text: plain_text shows it as
	// written; the date and the link are the bot's own mrkdwn.
	var ctx []slack.MixedElement
	if !post.Date.IsZero() {
		ctx = append(ctx, mrkdwn(post.Date.Format(time.DateOnly)))
	}
	if post.Title != "" {
		ctx = append(ctx, plain(Truncate(post.Title, 200)))
	}
	if u := postURL(opt.SiteURL, post.Path, post.Date, nil); u != "" && Len16(u) <= 1000 {
		ctx = append(ctx, mrkdwn(slackLink(u, "Read the post")))
	}
	if len(ctx) > 0 {
		head = append(head, newItem(slack.NewContextBlock("", ctx...), 0))
	}
	var tail []sitem
	if p.ID != "" {
		tail = append(tail, newItem(slack.NewActionBlock("", slackButton("Share in channel", SlackActionShare, "paper:"+string(p.ID))), 0))
	}
	budgetBlocks, budgetText := SlackMaxBlocks-1, SlackMaxMessageText-200
	for _, it := range append(append([]sitem{}, head...), tail...) {
		budgetBlocks -= it.blocks
		budgetText -= it.text
	}
	var body []sitem
	for i, it := range items {
		if it.blocks > budgetBlocks || it.text > budgetText {
			link := p.AlphaxivURL
			if link == "" {
				link = p.Link()
			}
			note := fmt.Sprintf("_%d more part(s) did not fit in one message._", len(items)-i)
			if link != "" {
				note = fmt.Sprintf("_%d more part(s) did not fit in one message: %s_", len(items)-i, slackLink(link, "read the full summary"))
			}
			body = append(body, newItem(slackSection(note), 1))
			break
		}
		budgetBlocks -= it.blocks
		budgetText -= it.text
		body = append(body, it)
	}
	all := append(append(head, body...), tail...)
	text := strconv.Itoa(p.Number) + ". " + slackEscape(Truncate(p.Title, 1000))
	if !post.Date.IsZero() {
		text += " — " + d.Day()
	}
	return SlackMessage{Text: text, Blocks: blocksOf(all)}
}

// postURL is a post's address on the blog under Jekyll's default
// permalink (/:categories/:year/:month/:day/:title.html), or "" without a
// site URL.
func postURL(siteURL, path string, date time.Time, categories []string) string {
	if siteURL == "" || path == "" {
		return ""
	}
	name := path[strings.LastIndexByte(path, '/')+1:]
	slug := strings.TrimSuffix(strings.TrimSuffix(name, ".md"), ".markdown")
	if day, s, ok := bot.PostName(name); ok {
		slug = s
		if date.IsZero() {
			date, _ = time.Parse(time.DateOnly, day)
		}
	}
	var b strings.Builder
	b.WriteString(strings.TrimRight(siteURL, "/"))
	for _, c := range categories {
		if c = strings.ToLower(strings.TrimSpace(c)); c != "" {
			b.WriteString("/")
			b.WriteString(strings.ReplaceAll(c, " ", "-"))
		}
	}
	if !date.IsZero() {
		b.WriteString(date.Format("/2006/01/02"))
	}
	b.WriteString("/")
	b.WriteString(slug)
	b.WriteString(".html")
	return b.String()
}

// slackJSONMessage is what preview prints for one message. A thread reply
// carries "thread_ts":"parent:<i>", i being the index in the same array of
// the message whose ts the reply must be posted under.
type slackJSONMessage struct {
	ThreadTS string        `json:"thread_ts,omitempty"`
	Text     string        `json:"text"`
	Blocks   []slack.Block `json:"blocks"`
}

// SlackJSON encodes messages as `paperbot preview --format slack` prints
// them: one JSON array on one line (no trailing newline), without HTML
// escaping so the text reads as sent.
func SlackJSON(msgs []SlackMessage) ([]byte, error) {
	out := make([]slackJSONMessage, len(msgs))
	parent := -1
	for i, m := range msgs {
		out[i] = slackJSONMessage{Text: m.Text, Blocks: m.Blocks}
		if m.ThreadReply && parent >= 0 {
			out[i].ThreadTS = "parent:" + strconv.Itoa(parent)
		} else {
			parent = i
		}
		if out[i].Blocks == nil {
			out[i].Blocks = []slack.Block{}
		}
	}
	return encodeSlackJSON(out)
}
