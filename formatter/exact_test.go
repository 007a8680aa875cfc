package formatter

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
	"github.com/slack-go/slack"

	"github.com/paperbot/paperbot/bot"
)

// The acceptance of issue 11: every payload read the way the platform's
// markup rules read it, by a small reader of each platform's markup below.

// exactPost has a title with every character that means something to a
// chat (* _ ~ ` | \ < > &), a Korean range, code spans holding "||", and
// the post's own bold and italics (which must survive).
const exactPost = "---\ntitle: \"Exact *digest* title_x\"\ndate: 2025-10-01\n---\n" +
	"# 1. [Q&A <Bench>: Measuring \\*Faithful\\* Answers | Not Just\\_Fluent \\~Ones\\~ \\`x\\` \\\\ 10~20%](https://arxiv.org/abs/2510.01301)\n\n" +
	"> [Alphaxiv](https://www.alphaxiv.org/ko/overview/2510.01301)\n\n" +
	"## Introduction\n\n- Goal: 정확도를 10~20% 높이고 `a || b` 를 지킨다.\n- Motivation: **bold** and *it* and a_b and 3~5배.\n\n" +
	"## Method\n\n- x `a || b` y ||z|| and ~tilde~ and `|| edge ||`.\n  - nested `c||d`\n\n" +
	"# 2. [Plain title](https://arxiv.org/abs/2510.01302)\n\n## Introduction\n\n- Goal: simple.\n"

const exactTitle = "Q&A <Bench>: Measuring *Faithful* Answers | Not Just_Fluent ~Ones~ `x` \\ 10~20%"

func exactDigest(t *testing.T) *bot.Digest {
	t.Helper()
	d, err := (&Parser{}).Parse("2025-10-01-exact.md", []byte(exactPost))
	if err != nil {
		t.Fatal(err)
	}
	if d.Papers[0].Title != exactTitle {
		t.Fatalf("parsed title %q, want %q", d.Papers[0].Title, exactTitle)
	}
	return d
}

// mark is a run of text as a chat shows it, with the formatting applied.
type mark struct {
	text                          string
	bold, italic, strike, spoiler bool
	code                          bool
	url                           string
}

// discordRead reads Discord markdown the way Discord's parser does, for
// what these tests need: backslash escapes, code spans (a run of n
// backticks to the next run of n), spoilers (||…||, ended by the first
// "||" even inside a code span: Discord's spoiler rule ignores code),
// **bold**, __underline__ (kept as text), *italic* / _italic_, ~~strike~~
// and [label](url) links. Headings and lists are not this reader's
// business.
func discordRead(s string) []mark {
	var out []mark
	var read func(s string, st mark)
	read = func(s string, st mark) {
		var buf strings.Builder
		flush := func() {
			if buf.Len() > 0 {
				m := st
				m.text = buf.String()
				out = append(out, m)
				buf.Reset()
			}
		}
		for i := 0; i < len(s); i++ {
			c := s[i]
			switch {
			case c == '\\' && i+1 < len(s) && strings.IndexByte("\\*_~`|[]()<>#-.!+:@", s[i+1]) >= 0:
				buf.WriteByte(s[i+1])
				i++
			case strings.HasPrefix(s[i:], "||"):
				end := strings.Index(s[i+2:], "||")
				if end < 0 {
					buf.WriteString("||")
					i++
					continue
				}
				flush()
				inner := st
				inner.spoiler = true
				read(s[i+2:i+2+end], inner)
				i += 2 + end + 1
			case c == '`':
				j := i
				for j < len(s) && s[j] == '`' {
					j++
				}
				fence := s[i:j]
				k := strings.Index(s[j:], fence)
				for k >= 0 && j+k+len(fence) < len(s) && s[j+k+len(fence)] == '`' {
					// A longer run is not the closing fence.
					n := strings.Index(s[j+k+len(fence):], fence)
					if n < 0 {
						k = -1
						break
					}
					k += len(fence) + n
				}
				if k < 0 {
					buf.WriteString(fence)
					i = j - 1
					continue
				}
				flush()
				code := s[j : j+k]
				if len(code) > 1 && code[0] == ' ' && code[len(code)-1] == ' ' {
					code = code[1 : len(code)-1]
				}
				m := st
				m.text, m.code = code, true
				out = append(out, m)
				i = j + k + len(fence) - 1
			case strings.HasPrefix(s[i:], "**"), strings.HasPrefix(s[i:], "~~"), c == '*', c == '_':
				delim := s[i : i+1]
				if strings.HasPrefix(s[i:], "**") || strings.HasPrefix(s[i:], "~~") || strings.HasPrefix(s[i:], "__") {
					delim = s[i : i+2]
				}
				end := strings.Index(s[i+len(delim):], delim)
				if end <= 0 {
					buf.WriteString(delim)
					i += len(delim) - 1
					continue
				}
				flush()
				inner := st
				switch delim {
				case "**":
					inner.bold = true
				case "~~":
					inner.strike = true
				case "*", "_":
					inner.italic = true
				}
				read(s[i+len(delim):i+len(delim)+end], inner)
				i += len(delim) + end + len(delim) - 1
			case c == '[':
				close := strings.Index(s[i:], "](")
				if close < 0 {
					buf.WriteByte(c)
					continue
				}
				end := strings.IndexByte(s[i+close:], ')')
				if end < 0 {
					buf.WriteByte(c)
					continue
				}
				flush()
				inner := st
				inner.url = strings.Trim(s[i+close+2:i+close+end], "<>")
				read(s[i+1:i+close], inner)
				i += close + end
			default:
				buf.WriteByte(c)
			}
		}
		flush()
	}
	read(s, mark{})
	return out
}

// visible joins the text of marks.
func visible(ms []mark) string {
	var b strings.Builder
	for _, m := range ms {
		b.WriteString(m.text)
	}
	return b.String()
}

// slackRead reads a rich_text block: each run with its style and link.
func slackRead(b *slack.RichTextBlock) []mark {
	var out []mark
	section := func(s *slack.RichTextSection) {
		for _, e := range s.Elements {
			var m mark
			var st *slack.RichTextSectionTextStyle
			switch v := e.(type) {
			case *slack.RichTextSectionTextElement:
				m.text, st = v.Text, v.Style
			case *slack.RichTextSectionLinkElement:
				m.text, m.url, st = v.Text, v.URL, v.Style
			}
			if st != nil {
				m.bold, m.italic, m.strike, m.code = st.Bold, st.Italic, st.Strike, st.Code
			}
			out = append(out, m)
		}
	}
	walkRich(b, section, func(*slack.RichTextList, int) { out = append(out, mark{text: "\n"}) }, nil)
	return out
}

// walkRich calls section on every section of b in order; item before each
// list item (l its list, k its index) and, when not nil, listEnd after each
// list.
func walkRich(b *slack.RichTextBlock, section func(*slack.RichTextSection), item func(l *slack.RichTextList, k int), listEnd func()) {
	for _, e := range b.Elements {
		switch v := e.(type) {
		case *slack.RichTextSection:
			section(v)
		case *slack.RichTextList:
			for k, it := range v.Elements {
				item(v, k)
				section(it.(*slack.RichTextSection))
			}
			if listEnd != nil {
				listEnd()
			}
		}
	}
}

// slackMarks reads every rich_text block of msgs (containers opened) and
// returns the mrkdwn texts apart: Slack parses those for * _ ~ `.
func slackMarks(msgs []SlackMessage) (marks []mark, mrkdwnTexts []string) {
	var walk func(b slack.Block)
	walk = func(b slack.Block) {
		switch v := b.(type) {
		case *slack.RichTextBlock:
			marks = append(marks, slackRead(v)...)
		case *slack.ContainerBlock:
			for _, k := range v.ChildBlocks.BlockSet {
				walk(k)
			}
		case *slack.SectionBlock:
			if v.Text != nil && v.Text.Type == slack.MarkdownType {
				mrkdwnTexts = append(mrkdwnTexts, v.Text.Text)
			}
		case *slack.ContextBlock:
			for _, e := range v.ContextElements.Elements {
				if t, ok := e.(*slack.TextBlockObject); ok && t.Type == slack.MarkdownType {
					mrkdwnTexts = append(mrkdwnTexts, t.Text)
				}
			}
		}
	}
	for _, m := range msgs {
		for _, b := range m.Blocks {
			walk(b)
		}
	}
	return
}

// allowedFormatting checks that every bold, italic or struck run is one
// the post (or the layout: titles, section names) asked for.
func allowedFormatting(t *testing.T, where string, ms []mark, bold, italic map[string]bool) {
	t.Helper()
	for _, m := range ms {
		text := strings.TrimSpace(m.text)
		if m.strike {
			t.Errorf("%s: %q is struck through; the post struck nothing", where, m.text)
		}
		if m.bold && !bold[text] {
			t.Errorf("%s: %q is bold; the post did not ask for it", where, m.text)
		}
		if m.italic && !italic[text] {
			t.Errorf("%s: %q is italic; the post did not ask for it", where, m.text)
		}
	}
}

// alphaXivLinked checks that the paper's AlphaXiv link is a clickable run.
func alphaXivLinked(t *testing.T, where string, ms []mark) {
	t.Helper()
	if findRun(ms, func(m mark) bool {
		return m.text == "AlphaXiv" && m.url == "https://www.alphaxiv.org/ko/overview/2510.01301"
	}) == nil {
		t.Errorf("%s: no clickable AlphaXiv link", where)
	}
}

// mustHave checks that the marks show want (as one run, or spread over
// runs) and returns whether the post's own formatting is there.
func findRun(ms []mark, pred func(mark) bool) *mark {
	for i := range ms {
		if pred(ms[i]) {
			return &ms[i]
		}
	}
	return nil
}

func TestExactSlack(t *testing.T) {
	t.Parallel()
	d := exactDigest(t)
	bold := map[string]bool{"1. " + exactTitle: true, "2. Plain title": true, "Introduction": true, "Method": true, "bold": true}
	italic := map[string]bool{"it": true}
	expanded := map[int]bool{1: true, 2: true}
	post := bot.PostRef{Date: d.Date, Title: d.Title, Path: d.Path}
	cases := map[string][]SlackMessage{
		"card":   {SlackPaper(&d.Papers[0], post, SlackOptions{Details: SlackInline})},
		"search": {SlackSearch(&bot.PaperAnswer{Query: bot.ParseQuery("faithful answers"), Results: []bot.PaperHit{{Paper: d.Papers[0], Post: post}}})},
	}
	for _, mode := range []SlackDetails{SlackContainer, SlackButtons, SlackThread, SlackInline} {
		cases["digest "+string(mode)] = Slack(d, SlackOptions{Details: mode, Expanded: expanded})
	}
	for name, msgs := range cases {
		for i, m := range msgs {
			if err := CheckSlackMessage(m); err != nil {
				t.Fatalf("%s message %d: %v", name, i, err)
			}
		}
		marks, mrk := slackMarks(msgs)
		// The title: verbatim, one bold run, linked to arXiv.
		want := "1. " + exactTitle
		if name == "search" {
			want = exactTitle
			bold[exactTitle] = true
		}
		title := findRun(marks, func(m mark) bool { return m.text == want })
		if title == nil || title.url != "https://arxiv.org/abs/2510.01301" || !title.bold || title.code || title.italic {
			t.Errorf("%s: title not shown verbatim, bold and linked: %+v", name, title)
		}
		// Slack parses mrkdwn for * _ ~ `: nothing the author wrote may go
		// there.
		for _, s := range mrk {
			if strings.Contains(s, "Faithful") || strings.Contains(s, "10~20") || strings.Contains(s, "a || b") {
				t.Errorf("%s: the post's text reached mrkdwn: %q", name, s)
			}
		}
		allowedFormatting(t, name, marks, bold, italic)
		if name == "search" {
			continue
		}
		alphaXivLinked(t, name, marks)
		all := visible(marks)
		for _, w := range []string{"정확도를 10~20% 높이고", "3~5배", "a_b", "~tilde~", "||z||"} {
			if !strings.Contains(all, w) {
				t.Errorf("%s: %q not shown as written in %q", name, w, all)
			}
		}
		if findRun(marks, func(m mark) bool { return m.code && m.text == "a || b" }) == nil {
			t.Errorf("%s: code span a || b lost", name)
		}
		for _, w := range []string{"bold", "it"} {
			if findRun(marks, func(m mark) bool { return m.text == w && (m.bold || m.italic) }) == nil {
				t.Errorf("%s: the post's own formatting of %q was lost", name, w)
			}
		}
	}
}

// discordTexts are the markdown texts of a message, each with a name.
func discordTexts(m *discordgo.MessageSend) map[string]string {
	out := map[string]string{"content": m.Content}
	for i, e := range m.Embeds {
		out["embed"+itoa(i)+".title"] = e.Title
		out["embed"+itoa(i)+".description"] = e.Description
		for j, f := range e.Fields {
			out["embed"+itoa(i)+".field"+itoa(j)] = f.Value
			out["embed"+itoa(i)+".field"+itoa(j)+".name"] = f.Name
		}
	}
	return out
}

func TestExactDiscord(t *testing.T) {
	t.Parallel()
	d := exactDigest(t)
	post := bot.PostRef{Date: d.Date, Title: d.Title, Path: d.Path}
	bold := map[string]bool{"1. " + exactTitle: true, "2. Plain title": true, "bold": true, d.Title: true}
	italic := map[string]bool{"it": true}
	cases := map[string][]*discordgo.MessageSend{
		"card":   {DiscordPaper(&d.Papers[0], post, DiscordOptions{Details: DiscordInline})},
		"search": {DiscordSearch(&bot.PaperAnswer{Query: bot.ParseQuery("faithful answers"), Results: []bot.PaperHit{{Paper: d.Papers[0], Post: post}}})},
	}
	for _, mode := range []DiscordDetails{DiscordButtons, DiscordSpoiler, DiscordInline} {
		cases["digest "+string(mode)] = Discord(d, DiscordOptions{Details: mode})
	}
	for name, msgs := range cases {
		var marks []mark
		titled := false
		for _, m := range msgs {
			if err := CheckDiscordMessage(m); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for where, text := range discordTexts(m) {
				ms := discordRead(text)
				marks = append(marks, ms...)
				if strings.HasSuffix(where, ".title") && visible(ms) == "1. "+exactTitle {
					// An embed title is linked by the embed's url.
					for _, e := range m.Embeds {
						if e.Title == text && e.URL == "https://arxiv.org/abs/2510.01301" {
							titled = true
						}
					}
				}
				// Spoilers whole: a field that opens a spoiler shows nothing
				// outside it (the code span holding "||" included).
				if strings.Contains(where, ".field") && !strings.HasSuffix(where, ".name") && strings.HasPrefix(text, "||") {
					for _, r := range ms {
						if !r.spoiler {
							t.Errorf("%s %s: %q shows outside the spoiler", name, where, r.text)
						}
					}
				}
			}
		}
		want := "1. " + exactTitle
		if name == "search" {
			want = exactTitle
		}
		if r := findRun(marks, func(m mark) bool { return m.text == want && m.url == "https://arxiv.org/abs/2510.01301" }); r != nil {
			titled = true
		}
		if !titled {
			t.Errorf("%s: title not shown verbatim and linked", name)
		}
		allowed := bold
		if name == "search" {
			allowed = map[string]bool{}
		}
		allowedFormatting(t, name, marks, allowed, italic)
		if name == "search" {
			continue
		}
		alphaXivLinked(t, name, marks)
		all := visible(marks)
		if !strings.Contains(all, "정확도를 10~20% 높이고") {
			t.Errorf("%s: the goal's Korean range not shown as written", name)
		}
		if name == "digest buttons" {
			continue // sections are one click away
		}
		for _, w := range []string{"a_b", "3~5배", "~tilde~", "||z||"} {
			if !strings.Contains(all, w) {
				t.Errorf("%s: %q not shown as written", name, w)
			}
		}
		// The code span holding "||" is whole; in a spoiler the bars carry
		// an invisible zero-width space so the spoiler is not ended early.
		if findRun(marks, func(m mark) bool { return m.code && strings.ReplaceAll(m.text, zwsp, "") == "a || b" }) == nil {
			t.Errorf("%s: code span a || b lost", name)
		}
	}
}

// TestDiscordReaderSeesBrokenSpoiler checks the reader: the rendering
// issue 11 found (a spoiler ended by "||" inside code) fails the
// spoiler-whole rule.
func TestDiscordReaderSeesBrokenSpoiler(t *testing.T) {
	t.Parallel()
	ms := discordRead("||- Goal: x `a || b` y.||")
	outside := false
	for _, m := range ms {
		if !m.spoiler {
			outside = true
		}
	}
	if !outside {
		t.Errorf("the reader missed the broken spoiler: %+v", ms)
	}
	if ms := discordRead(`\*Faithful\* 10~20%`); visible(ms) != "*Faithful* 10~20%" || ms[0].italic {
		t.Errorf("escapes: %+v", ms)
	}
}

// TestNoScriptLinksInPayloads: links to javascript:, vbscript: and data:
// (any case) reach no payload of either platform as links (titles,
// bodies, the AlphaXiv line, the Discord embed url); their text stays.
func TestNoScriptLinksInPayloads(t *testing.T) {
	t.Parallel()
	src := "---\ndate: 2025-10-01\n---\n" +
		"# 1. [Evil title](JavaScript:alert(1))\n\n> [Alphaxiv](vbscript:msgbox)\n\n" +
		"## Introduction\n\n- Goal: see [this](DATA:text/html;base64,PHNjcmlwdD4) and [that](javascript:void(0)) and [ok](https://ok.example/).\n"
	d, err := (&Parser{}).Parse("2025-10-01-evil.md", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	// The model from an older store may still hold such links: the
	// renderers apply the same rule on their own.
	d.Papers[0].URL = "javascript:alert(2)"
	d.Papers[0].AlphaxivURL = "Data:text/html,x"
	d.Papers[0].Sections[0].Blocks = append(d.Papers[0].Sections[0].Blocks, bot.Block{Kind: bot.ParagraphBlock,
		Inlines: []bot.Inline{{Kind: bot.LinkInline, URL: "VBScript:x", Children: []bot.Inline{{Kind: bot.TextInline, Text: "old"}}}}})
	var payloads []any
	for _, mode := range []SlackDetails{SlackContainer, SlackButtons, SlackThread, SlackInline} {
		payloads = append(payloads, Slack(d, SlackOptions{Details: mode, Expanded: map[int]bool{1: true}}))
	}
	for _, mode := range []DiscordDetails{DiscordButtons, DiscordSpoiler, DiscordInline} {
		msgs := Discord(d, DiscordOptions{Details: mode})
		for _, m := range msgs {
			for _, e := range m.Embeds {
				if e.URL != "" && bot.WebURL(e.URL) == "" {
					t.Errorf("discord %s: embed url %q", mode, e.URL)
				}
			}
		}
		payloads = append(payloads, msgs)
	}
	post := bot.PostRef{Date: d.Date, Title: d.Title, Path: d.Path}
	payloads = append(payloads, SlackPaper(&d.Papers[0], post, SlackOptions{}), DiscordPaper(&d.Papers[0], post, DiscordOptions{}),
		SlackSearch(&bot.PaperAnswer{Results: []bot.PaperHit{{Paper: d.Papers[0], Post: post}}}),
		DiscordSearch(&bot.PaperAnswer{Results: []bot.PaperHit{{Paper: d.Papers[0], Post: post}}}))
	searchAt := len(payloads) - 2 // the two search results show titles only
	payloads = append(payloads, HTML(d), Text(d))
	for i, p := range payloads {
		js, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		low := strings.ToLower(string(js))
		for _, bad := range []string{"javascript:", "vbscript:", "data:text"} {
			if strings.Contains(low, bad) {
				t.Errorf("payload %d carries %q: %.300s", i, bad, js)
			}
		}
		for _, keep := range []string{"evil title", "this", "that", "ok"} {
			if (i >= searchAt && i < searchAt+2) && keep != "evil title" {
				continue
			}
			if !strings.Contains(low, keep) {
				t.Errorf("payload %d lost the text %q", i, keep)
			}
		}
	}
}

// TestSameTitleDigestAndSearch: a title is escaped by one rule: the raw
// link label in a digest and in a search result is the same text, on
// both platforms.
func TestSameTitleDigestAndSearch(t *testing.T) {
	t.Parallel()
	d := exactDigest(t)
	post := bot.PostRef{Date: d.Date, Title: d.Title, Path: d.Path}
	ans := &bot.PaperAnswer{Query: bot.ParseQuery("x"), Results: []bot.PaperHit{{Paper: d.Papers[0], Post: post}}}

	label := func(s string) string {
		// The raw label of the link to the paper: between "[" and
		// "](<?https://arxiv.org/abs/2510.01301".
		end := strings.Index(s, "](https://arxiv.org/abs/2510.01301")
		if end < 0 {
			end = strings.Index(s, "](<https://arxiv.org/abs/2510.01301")
		}
		if end < 0 {
			return ""
		}
		start := strings.LastIndex(s[:end], "**[")
		if start >= 0 {
			return s[start+3 : end]
		}
		start = strings.LastIndex(s[:end], ". [")
		if start < 0 {
			return ""
		}
		return s[start+3 : end]
	}
	digest := label(Discord(d, DiscordOptions{})[0].Embeds[0].Description)
	search := label(DiscordSearch(ans).Content)
	if digest == "" || search == "" || digest != "1. "+search {
		t.Errorf("discord: digest label %q, search label %q", digest, search)
	}
	slackTitle := func(msgs []SlackMessage) string {
		marks, _ := slackMarks(msgs)
		if r := findRun(marks, func(m mark) bool { return m.url == "https://arxiv.org/abs/2510.01301" }); r != nil {
			return r.text
		}
		return ""
	}
	sd, ss := slackTitle(Slack(d, SlackOptions{})), slackTitle([]SlackMessage{SlackSearch(ans)})
	if sd == "" || sd != "1. "+ss {
		t.Errorf("slack: digest title %q, search title %q", sd, ss)
	}
}

// TestFixtureDiscordDefault: the real post in the default Discord mode:
// at most 2 messages (1 is the goal), every paper's title linked to arXiv
// and its goal line visible before any click, its sections one click away
// (a Details button per paper), everything within the limits.
func TestFixtureDiscordDefault(t *testing.T) {
	t.Parallel()
	d := fixtureDigest(t)
	msgs := Discord(d, DiscordOptions{})
	if len(msgs) > 2 {
		t.Errorf("%d messages, want at most 2", len(msgs))
	}
	var marks []mark
	buttons := map[string]bool{}
	for _, m := range msgs {
		if err := CheckDiscordMessage(m); err != nil {
			t.Fatal(err)
		}
		for _, text := range discordTexts(m) {
			marks = append(marks, discordRead(text)...)
		}
		for _, row := range m.Components {
			for _, c := range row.(discordgo.ActionsRow).Components {
				buttons[c.(discordgo.Button).CustomID] = true
			}
		}
	}
	all := visible(marks)
	for _, p := range d.Papers {
		want := itoa(p.Number) + ". " + p.Title
		if findRun(marks, func(m mark) bool { return m.text == want && m.url == p.Link() && m.url != "" }) == nil {
			t.Errorf("paper %d: title not linked and verbatim", p.Number)
		}
		goal := Truncate(p.Goal(), compactGoalMax)
		if !strings.Contains(all, strings.TrimSuffix(goal, "…")) {
			t.Errorf("paper %d: goal %q not visible", p.Number, goal)
		}
		if !buttons[DiscordDetailsID(d.Day(), p.Number)] {
			t.Errorf("paper %d: no Details button", p.Number)
		}
	}
	chars := 0
	for _, m := range msgs {
		chars += Len16(m.Content)
		for _, e := range m.Embeds {
			chars += DiscordEmbedChars(e)
		}
	}
	t.Logf("fixture, Discord default: %d message(s), %d characters, %d Details buttons", len(msgs), chars, len(buttons))
}
