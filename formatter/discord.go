package formatter

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/paperbot/paperbot/bot"
)

// DiscordDetails is how a Discord digest shows each paper's sections.
type DiscordDetails string

const (
	// DiscordButtons, the default, is the compact digest: every paper's
	// linked title, AlphaXiv link and goal, several papers to an embed, and
	// one "Details N" button per paper whose (ephemeral) answer holds its
	// sections. Webhook targets, which cannot carry components, use
	// DiscordSpoiler instead.
	DiscordButtons DiscordDetails = "buttons"
	// DiscordSpoiler shows the sections as embed fields hidden in
	// spoilers ||…|| (click to reveal), an embed per paper.
	DiscordSpoiler DiscordDetails = "spoiler"
	// DiscordInline shows the sections as plain fields.
	DiscordInline DiscordDetails = "inline"
)

// ParseDiscordDetails checks a configured mode; "" is the default.
func ParseDiscordDetails(s string) (DiscordDetails, error) {
	switch d := DiscordDetails(s); d {
	case "":
		return DiscordButtons, nil
	case DiscordSpoiler, DiscordButtons, DiscordInline:
		return d, nil
	}
	return "", fmt.Errorf("discord details %q: want spoiler, buttons or inline", s)
}

// DiscordOptions tune the Discord rendering.
type DiscordOptions struct {
	Details DiscordDetails
	// SiteURL is the blog's base URL: set, the digest links to its post.
	SiteURL string
}

// DiscordActionDetails prefixes the custom_id of a paper's Details button:
// "paper_details:<YYYY-MM-DD>:<n>", the post's day and the paper number
// (see DiscordDetailsID and ParseDiscordDetailsID).
const DiscordActionDetails = "paper_details"

// DiscordDetailsID is the custom_id of the Details button of paper n of
// the post of the given day.
func DiscordDetailsID(day string, n int) string {
	id := DiscordActionDetails + ":" + day + ":" + strconv.Itoa(n)
	if Len16(id) > DiscordMaxCustomID {
		// A day is 10 characters; only a malformed one gets here.
		id = DiscordActionDetails + ":" + ":" + strconv.Itoa(n)
	}
	return id
}

// ParseDiscordDetailsID reads a Details custom_id back.
func ParseDiscordDetailsID(id string) (day string, n int, ok bool) {
	rest, found := strings.CutPrefix(id, DiscordActionDetails+":")
	if !found {
		return "", 0, false
	}
	i := strings.LastIndexByte(rest, ':')
	if i < 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(rest[i+1:])
	if err != nil || n < 0 {
		return "", 0, false
	}
	return rest[:i], n, true
}

// discordColor is arXiv's red, so the digest's embeds read as one set.
const discordColor = 0xB31B1B

// discordEscape backslash-escapes what Discord markdown would otherwise
// read as formatting: * _ ~ | ` \ everywhere, [ ] so no masked link forms,
// mention-like "<@", and '#', '>', "- " and "1. " at the start of a line.
func discordEscape(s string, lineStart bool) string {
	// Most text has nothing to escape: return it as it is.
	clean := !lineStart || s == "" || strings.IndexByte("-+ 0123456789", s[0]) < 0
	for i := 0; clean && i < len(s); i++ {
		if discordSpecial[s[i]] {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\', '*', '_', '~', '|', '`', '[', ']':
			b.WriteByte('\\')
		case '<':
			// <@user> <#channel> <:emoji:1> <t:123> <a:x:1> would render as
			// mentions, channels, emoji and timestamps.
			if rest := s[i+1:]; rest != "" && (strings.IndexByte("@#:!", rest[0]) >= 0 ||
				strings.HasPrefix(rest, "t:") || strings.HasPrefix(rest, "a:")) {
				b.WriteByte('\\')
			}
		case '#', '>':
			if lineStart {
				b.WriteByte('\\')
			}
		case '-', '+':
			if lineStart && (i+1 == len(s) || s[i+1] == ' ') {
				b.WriteByte('\\')
			}
		case '.':
			// "1. " at the start of a line would become a numbered list.
			if lineStart && i > 0 && s[i-1] >= '0' && s[i-1] <= '9' && (i+1 == len(s) || s[i+1] == ' ') {
				b.WriteByte('\\')
			}
		}
		b.WriteByte(c)
		switch {
		case c == '\n':
			lineStart = true
		case c == ' ' || c == '\t' || (c >= '0' && c <= '9'):
			// Indentation and a list number keep the line's start open.
		default:
			lineStart = false
		}
	}
	return b.String()
}

// discordSpecial are the bytes that send discordEscape down its slow path;
// '-', '+' and "1." matter only at a line start: after a newline (listed)
// or at the start of the text (checked apart).
var discordSpecial = func() (t [256]bool) {
	for _, c := range []byte("\\*_~|`[]<#>\n") {
		t[c] = true
	}
	return t
}()

// discordCode wraps s in enough backticks that none inside ends it.
func discordCode(s string) string {
	if s == "" {
		return ""
	}
	run, longest := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			run++
			if run > longest {
				longest = run
			}
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	// A line break would end an inline code span in a list; spaces read
	// the same.
	s = strings.ReplaceAll(s, "\n", " ")
	return fence + s + fence
}

var discordURLEscaper = strings.NewReplacer("(", "%28", ")", "%29", " ", "%20", "\n", "%0A", "<", "%3C", ">", "%3E")

func discordLink(url, label string) string {
	url = bot.WebURL(url)
	if url == "" {
		return discordEscape(label, false)
	}
	u := discordURLEscaper.Replace(url)
	if label == "" || label == url {
		return u
	}
	return "[" + discordEscape(strings.ReplaceAll(label, "\n", " "), false) + "](" + u + ")"
}

var discordDialect = &dialect{
	escape: discordEscape,
	strong: "**",
	emph:   "*",
	code:   discordCode,
	math:   func(s string) string { return discordCode("$" + s + "$") },
	link:   discordLink,
	bullet: func(int) string { return "- " },
	// Three spaces nest under both "- " and "1. " items.
	indent: "   ",
}

// discordSpoilerDialect is the dialect of text inside a spoiler: Discord
// ends a spoiler at the first "||" even inside a code span, so a code span
// holding "||" gets an invisible zero-width space between the bars and the
// spoiler stays whole.
var discordSpoilerDialect = func() *dialect {
	d := *discordDialect
	d.code = func(s string) string { return discordCode(unbar(s)) }
	d.math = func(s string) string { return discordCode(unbar("$" + s + "$")) }
	return &d
}()

// unbar breaks every "||" in s with a zero-width space.
func unbar(s string) string {
	if !strings.Contains(s, "||") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "||", "|"+zwsp+"|"), "||", "|"+zwsp+"|")
}

// discordSpans protects code spans and masked links from being split.
func discordSpans(s string) []span {
	var out []span
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			out = append(out, span{i, i + 2})
			i++
		case '`':
			j := i
			for j < len(s) && s[j] == '`' {
				j++
			}
			fence := s[i:j]
			if k := strings.Index(s[j:], fence); k >= 0 {
				out = append(out, span{i, j + k + len(fence)})
				i = j + k + len(fence) - 1
			} else {
				i = j - 1
			}
		case '[':
			if k := strings.Index(s[i:], "]("); k > 0 {
				if e := strings.IndexByte(s[i+k:], ')'); e > 0 {
					out = append(out, span{i, i + k + e + 1})
					i += k + e
				}
			}
		}
	}
	return out
}

// discordTitle is "N. Title" escaped and cut to the embed title limit.
func discordTitle(p *bot.Paper, suffix string) (title string, cut bool) {
	raw := strconv.Itoa(p.Number) + ". " + p.Title
	max := DiscordMaxEmbedTitle - Len16(suffix)
	for {
		t := discordEscape(Truncate(raw, max), false)
		if Len16(t) <= DiscordMaxEmbedTitle-Len16(suffix) || max < 20 {
			return t + suffix, Len16(raw) > max
		}
		max -= 8
	}
}

// discordFields renders the sections as fields; long ones are split into
// "Name (2/3)" parts, each wrapped in its own spoiler when spoiler is set.
func discordFields(p *bot.Paper, spoiler bool) []*discordgo.MessageEmbedField {
	max := DiscordMaxFieldValue
	if spoiler {
		max -= 4
	}
	var out []*discordgo.MessageEmbedField
	b := getTextBuf()
	defer putTextBuf(b)
	d := discordDialect
	if spoiler {
		d = discordSpoilerDialect
	}
	for i := range p.Sections {
		s := &p.Sections[i]
		b.b = b.b[:0]
		richWriter{b: b, d: d}.blocks(s.Blocks, 0)
		raw := bytes.TrimRight(b.b, " \n")
		// The usual section fits one field: its value is then made in one
		// string straight from the scratch buffer, bars and all.
		if !s.NoInfo && len(raw) > 0 && (len(raw) <= max || len16(raw) <= max) {
			var value string
			if spoiler {
				value = "||" + string(raw) + "||"
			} else {
				value = string(raw)
			}
			out = append(out, &discordgo.MessageEmbedField{Name: Truncate(sectionName(p, i), DiscordMaxFieldName), Value: value})
			continue
		}
		body := string(raw)
		switch {
		case s.NoInfo:
			body = "*" + strings.TrimSpace(body+" "+noInfoNote) + "*"
		case body == "":
			body = "*(empty)*"
		}
		parts := splitText(body, max, discordSpans)
		name := sectionName(p, i)
		for j, part := range parts {
			n := name
			if len(parts) > 1 {
				suffix := fmt.Sprintf(" (%d/%d)", j+1, len(parts))
				n = Truncate(name, DiscordMaxFieldName-Len16(suffix)) + suffix
			} else {
				n = Truncate(name, DiscordMaxFieldName)
			}
			if spoiler {
				part = "||" + part + "||"
			}
			out = append(out, &discordgo.MessageEmbedField{Name: n, Value: part})
		}
	}
	return out
}

// discordPaperEmbeds is a paper as one embed, or several when its fields
// pass 25 or the per-message character budget.
func discordPaperEmbeds(p *bot.Paper, opt DiscordOptions) []*discordgo.MessageEmbed {
	title, cut := discordTitle(p, "")
	first := &discordgo.MessageEmbed{Title: title, URL: p.Link(), Color: discordColor}
	var desc []string
	if cut {
		// The title was cut: the full one stays readable here.
		desc = append(desc, "**"+discordEscape(p.Title, false)+"**")
	}
	if g := p.Goal(); g != "" {
		desc = append(desc, discordEscape(Truncate(g, goalMax), true))
	}
	// Footers never render links: the AlphaXiv link goes in the text.
	if u := bot.WebURL(p.AlphaxivURL); u != "" {
		desc = append(desc, discordLink(u, "AlphaXiv"))
	}
	first.Description = strings.Join(desc, "\n\n")
	if p.ID != "" {
		first.Footer = &discordgo.MessageEmbedFooter{Text: "arXiv:" + string(p.ID)}
	}
	if opt.Details == DiscordButtons {
		return []*discordgo.MessageEmbed{first}
	}
	fields := discordFields(p, opt.Details != DiscordInline)
	embeds := []*discordgo.MessageEmbed{first}
	cur := first
	// Leave room for a continuation title ("N. Title (2/3)").
	curSize := DiscordEmbedChars(first)
	for _, f := range fields {
		size := Len16(f.Name) + Len16(f.Value)
		if len(cur.Fields) == DiscordMaxFields || curSize+size > DiscordMaxEmbedTotal {
			cur = &discordgo.MessageEmbed{URL: p.Link(), Color: discordColor}
			embeds = append(embeds, cur)
			curSize = DiscordMaxEmbedTitle
		}
		cur.Fields = append(cur.Fields, f)
		curSize += size
	}
	if len(embeds) > 1 {
		for i, e := range embeds[1:] {
			e.Title, _ = discordTitle(p, fmt.Sprintf(" (%d/%d)", i+2, len(embeds)))
		}
	}
	return embeds
}

// noMentions turns every mention off: a title or text is never a ping.
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

type dunit struct {
	paper  int
	embeds []*discordgo.MessageEmbed
	sizes  []int // DiscordEmbedChars of each embed
}

// Discord renders a digest as Discord messages: one embed per paper (more
// for very long papers), at most 10 embeds and 6000 embed characters per
// message. The first message's content names the digest; later ones say
// which part they are. Mentions are disabled: a title is never a ping.
func Discord(d *bot.Digest, opt DiscordOptions) []*discordgo.MessageSend {
	if opt.Details == "" {
		opt.Details = DiscordButtons
	}
	if opt.Details == DiscordButtons {
		return discordCompact(d, opt)
	}
	units := make([]dunit, 0, len(d.Papers))
	for i := range d.Papers {
		p := &d.Papers[i]
		embeds := discordPaperEmbeds(p, opt)
		sizes := make([]int, len(embeds))
		for j, e := range embeds {
			sizes[j] = DiscordEmbedChars(e)
		}
		units = append(units, dunit{paper: p.Number, embeds: embeds, sizes: sizes})
	}
	type group struct {
		embeds []*discordgo.MessageEmbed
		papers []int
	}
	var groups []group
	var cur group
	chars := 0
	flush := func() {
		if len(cur.embeds) > 0 {
			groups = append(groups, cur)
		}
		cur, chars = group{}, 0
	}
	for _, u := range units {
		size := 0
		for _, n := range u.sizes {
			size += n
		}
		if len(cur.embeds)+len(u.embeds) > DiscordMaxEmbeds || chars+size > DiscordMaxEmbedTotal {
			flush()
		}
		cur.papers = append(cur.papers, u.paper)
		for j, e := range u.embeds {
			n := u.sizes[j]
			if len(cur.embeds) > 0 && (len(cur.embeds) == DiscordMaxEmbeds || chars+n > DiscordMaxEmbedTotal) {
				flush()
				cur.papers = append(cur.papers, u.paper)
			}
			cur.embeds = append(cur.embeds, e)
			chars += n
		}
	}
	flush()
	if len(groups) == 0 {
		groups = []group{{}}
	}
	papers := make([][]int, len(groups))
	embeds := make([][]*discordgo.MessageEmbed, len(groups))
	for i, g := range groups {
		papers[i], embeds[i] = g.papers, g.embeds
	}
	return discordMessages(d, opt, embeds, papers)
}

// discordMessages wraps groups of embeds into messages: the first names
// the digest, later ones say which part they are; in buttons mode each
// carries the Details buttons of its papers.
func discordMessages(d *bot.Digest, opt DiscordOptions, embeds [][]*discordgo.MessageEmbed, papers [][]int) []*discordgo.MessageSend {
	if len(embeds) == 0 {
		embeds, papers = [][]*discordgo.MessageEmbed{nil}, [][]int{nil}
	}
	title := discordEscape(digestTitle(d), false)
	msgs := make([]*discordgo.MessageSend, 0, len(embeds))
	for i := range embeds {
		m := &discordgo.MessageSend{
			Embeds:          embeds[i],
			AllowedMentions: noMentions(),
		}
		if i == 0 {
			content := "**" + Truncate(title, 500) + "**\n" + d.Day() + " · " + paperCount(len(d.Papers))
			if d.Draft {
				content += " · draft"
			}
			if u := postURL(opt.SiteURL, d.Path, d.Date, d.Categories); u != "" && Len16(u) <= 1000 {
				content += " · " + discordLink(u, "Read the post")
			}
			if len(embeds) > 1 {
				content += fmt.Sprintf(" · 1/%d", len(embeds))
			}
			m.Content = content
		} else {
			m.Content = fmt.Sprintf("%s (%d/%d)", Truncate(title, 500), i+1, len(embeds))
		}
		if opt.Details == DiscordButtons {
			m.Components = discordButtons(d.Day(), papers[i], d)
		}
		msgs = append(msgs, m)
	}
	return msgs
}

// compactGoalMax keeps the compact digest's goal lines short enough that
// a usual post (16 papers) fits one message's 6,000 embed characters; the
// whole goal is in the Details answer.
const compactGoalMax = 220

// discordCompactPaper is a paper's part of a compact digest embed:
// "**[N. Title](arXiv)** · [AlphaXiv](url)" and the goal line.
func discordCompactPaper(p *bot.Paper) string {
	head := strconv.Itoa(p.Number) + ". " + Truncate(p.Title, DiscordMaxEmbedTitle)
	var b strings.Builder
	b.WriteString("**")
	b.WriteString(discordLink(p.Link(), head))
	b.WriteString("**")
	if u := bot.WebURL(p.AlphaxivURL); u != "" {
		b.WriteString(" · ")
		b.WriteString(discordLink(u, "AlphaXiv"))
	}
	if g := p.Goal(); g != "" {
		b.WriteString("\n")
		b.WriteString(discordEscape(Truncate(g, compactGoalMax), true))
	}
	return b.String()
}

// compactReserve leaves room in each message for what the target adds to
// its last embed (the "ref <nonce>" delivery marker in the footer).
const compactReserve = 64

// discordCompact is the buttons-mode digest: the papers' compact texts
// packed into embed descriptions, as few messages as the limits allow
// (10 embeds, 6,000 characters, 25 buttons a message), each with one
// Details button per paper.
func discordCompact(d *bot.Digest, opt DiscordOptions) []*discordgo.MessageSend {
	var (
		embeds [][]*discordgo.MessageEmbed
		papers [][]int
		cur    []*discordgo.MessageEmbed
		nums   []int
		desc   strings.Builder
		chars  int // embed characters of cur, desc included
	)
	closeEmbed := func() {
		if desc.Len() > 0 {
			cur = append(cur, &discordgo.MessageEmbed{Description: desc.String(), Color: discordColor})
			desc.Reset()
		}
	}
	closeMessage := func() {
		closeEmbed()
		if len(cur) > 0 {
			embeds, papers = append(embeds, cur), append(papers, nums)
		}
		cur, nums, chars = nil, nil, 0
	}
	maxButtons := DiscordMaxRows * DiscordMaxButtonsPerRow
	for i := range d.Papers {
		text := discordCompactPaper(&d.Papers[i])
		n := Len16(text)
		sep := 0
		if desc.Len() > 0 {
			sep = 2
		}
		if chars+sep+n > DiscordMaxEmbedTotal-compactReserve || len(nums) == maxButtons {
			closeMessage()
			sep = 0
		}
		if desc.Len() > 0 && Len16(desc.String())+sep+n > DiscordMaxEmbedDescription {
			closeEmbed()
			if len(cur) == DiscordMaxEmbeds {
				closeMessage()
			}
			sep = 0
		}
		if sep > 0 {
			desc.WriteString("\n\n")
		}
		desc.WriteString(text)
		chars += sep + n
		nums = append(nums, d.Papers[i].Number)
	}
	closeMessage()
	return discordMessages(d, opt, embeds, papers)
}

// discordButtons lays one Details button per paper out in rows of five.
func discordButtons(day string, papers []int, d *bot.Digest) []discordgo.MessageComponent {
	var rows []discordgo.MessageComponent
	var row []discordgo.MessageComponent
	seen := map[int]bool{}
	for _, n := range papers {
		if seen[n] || len(paperByNumber(d, n).Sections) == 0 {
			continue
		}
		seen[n] = true
		if len(rows) == DiscordMaxRows {
			break // cannot happen with at most 10 papers a message
		}
		row = append(row, discordgo.Button{
			Label:    "Details " + strconv.Itoa(n),
			Style:    discordgo.SecondaryButton,
			CustomID: DiscordDetailsID(day, n),
		})
		if len(row) == DiscordMaxButtonsPerRow {
			rows = append(rows, discordgo.ActionsRow{Components: row})
			row = nil
		}
	}
	if len(row) > 0 && len(rows) < DiscordMaxRows {
		rows = append(rows, discordgo.ActionsRow{Components: row})
	}
	return rows
}

// DiscordPaper is one paper on its own (/paper answers, Details replies):
// its embed(s) with the sections per opt.Details, the post it appeared in
// as content, and in buttons mode a Details button. A paper too long for
// one message (far beyond any real summary) loses its last fields, and a
// final field says so and links to the full text.
func DiscordPaper(p *bot.Paper, post bot.PostRef, opt DiscordOptions) *discordgo.MessageSend {
	if opt.Details == "" {
		opt.Details = DiscordButtons
	}
	embeds := discordPaperEmbeds(p, opt)
	m := &discordgo.MessageSend{AllowedMentions: noMentions()}
	var content []string
	if post.Title != "" {
		content = append(content, "From **"+discordEscape(Truncate(post.Title, 300), false)+"**")
	}
	if !post.Date.IsZero() {
		content = append(content, post.Date.Format("2006-01-02"))
	}
	if u := postURL(opt.SiteURL, post.Path, post.Date, nil); u != "" && Len16(u) <= 1000 {
		content = append(content, discordLink(u, "Read the post"))
	}
	m.Content = strings.Join(content, " · ")
	// Keep what fits; say what did not.
	const noteMax = 300
	budget := DiscordMaxEmbedTotal - noteMax
	total := 0
	var keep []*discordgo.MessageEmbed
	dropped := 0
	for _, e := range embeds {
		if dropped > 0 {
			dropped += len(e.Fields)
			continue
		}
		n := DiscordEmbedChars(e)
		if len(keep) < DiscordMaxEmbeds && total+n <= budget {
			keep = append(keep, e)
			total += n
			continue
		}
		// Take the fields that still fit into a copy of this embed.
		part := *e
		part.Fields = nil
		if len(keep) < DiscordMaxEmbeds && total+DiscordEmbedChars(&part) <= budget {
			total += DiscordEmbedChars(&part)
			for i, f := range e.Fields {
				if total+Len16(f.Name)+Len16(f.Value) > budget {
					dropped += len(e.Fields) - i
					break
				}
				part.Fields = append(part.Fields, f)
				total += Len16(f.Name) + Len16(f.Value)
			}
			keep = append(keep, &part)
		} else {
			dropped += len(e.Fields)
		}
	}
	if dropped > 0 && len(keep) > 0 {
		last := keep[len(keep)-1]
		link := p.AlphaxivURL
		if link == "" {
			link = p.Link()
		}
		note := fmt.Sprintf("%d more part(s) did not fit in one message.", dropped)
		if link != "" {
			note += " " + discordLink(link, "Read the full summary")
		}
		if len(last.Fields) == DiscordMaxFields {
			last.Fields = last.Fields[:DiscordMaxFields-1]
		}
		last.Fields = append(last.Fields, &discordgo.MessageEmbedField{Name: "…", Value: Truncate(note, noteMax-10)})
	}
	m.Embeds = keep
	if opt.Details == DiscordButtons && len(p.Sections) > 0 {
		day := ""
		if !post.Date.IsZero() {
			day = post.Date.Format("2006-01-02")
		}
		m.Components = []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: "Details", Style: discordgo.SecondaryButton, CustomID: DiscordDetailsID(day, p.Number)},
		}}}
	}
	return m
}

// DiscordJSON encodes messages as `paperbot preview --format discord`
// prints them: the JSON bodies of POST /channels/{id}/messages, as one JSON
// array on one line (no trailing newline).
func DiscordJSON(msgs []*discordgo.MessageSend) ([]byte, error) {
	if msgs == nil {
		msgs = []*discordgo.MessageSend{}
	}
	return encodeJSON(msgs)
}
