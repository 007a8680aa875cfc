package formatter

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/paperbot/paperbot/bot"
)

// Hand-built model values, so the renderers are tested without the parser.

func txt(s string) bot.Inline { return bot.Inline{Kind: bot.TextInline, Text: s} }
func para(in ...bot.Inline) bot.Block {
	return bot.Block{Kind: bot.ParagraphBlock, Inlines: in}
}
func items(ordered bool, its ...[]bot.Block) bot.Block {
	return bot.Block{Kind: bot.ListBlock, Ordered: ordered, Start: 1, Items: its}
}

// sampleDigest has the shapes that matter: labelled bullets, markup of every
// kind, nested and numbered lists, a no-information section, characters that
// need escaping, emoji and Korean.
func sampleDigest() *bot.Digest {
	p1 := bot.Paper{
		Number: 1, Title: "R&D <fast> *attention* | `kernels` 🚀", ID: "2509.24006",
		URL: "https://arxiv.org/abs/2509.24006", AlphaxivURL: "https://www.alphaxiv.org/ko/overview/2509.24006",
		Sections: []bot.Section{
			{Name: "Introduction", Blocks: []bot.Block{items(false,
				[]bot.Block{para(txt("Goal: make attention 20× faster & keep quality."))},
				[]bot.Block{para(txt("Motivation: "), bot.Inline{Kind: bot.StrongInline, Children: []bot.Inline{txt("sparse")}}, txt(" and "), bot.Inline{Kind: bot.EmphInline, Children: []bot.Inline{txt("linear")}}, txt(" methods fall short."))},
			)}},
			{Name: "Method", Blocks: []bot.Block{
				para(txt("We use "), bot.Inline{Kind: bot.CodeInline, Text: "a<b && c>d"}, txt(", "), bot.Inline{Kind: bot.MathInline, Text: "x_i * y_i"}, txt(" and "),
					bot.Inline{Kind: bot.LinkInline, URL: "https://example.com/q?a=1&b=2", Children: []bot.Inline{txt("a <tool> & more")}}, txt(".")),
				items(true,
					[]bot.Block{para(txt("first step")), items(false, []bot.Block{para(txt("nested detail"))})},
					[]bot.Block{para(txt("second step"))},
				),
			}},
			{Name: "Limitations", NoInfo: true, Blocks: []bot.Block{para(txt("정보 부족"))}},
		},
	}
	p2 := bot.Paper{
		Number: 2, Title: "한국어 제목: 확산 모델", ID: "2509.22220", URL: "https://arxiv.org/abs/2509.22220",
		Sections: []bot.Section{
			{Name: "Introduction", Blocks: []bot.Block{para(txt("본 연구는 효율적인 방법을 제안한다. 두 번째 문장."))}},
			{Name: "Results", Blocks: []bot.Block{para(txt("snake_case ~tilde~ > quote # hash"))}},
		},
	}
	p3 := bot.Paper{Number: 3, Title: "No sections, no id"}
	return &bot.Digest{
		Date:   time.Date(2025, 9, 30, 8, 15, 0, 0, time.UTC),
		Title:  "Daily Papers — 2025-09-30",
		Path:   "2025-09-30-daily-papers.md",
		Papers: []bot.Paper{p1, p2, p3},
	}
}

// bigDigest has n papers with long sections: it cannot fit one message.
func bigDigest(n, sectionWords int) *bot.Digest {
	d := sampleDigest()
	d.Papers = nil
	for i := 1; i <= n; i++ {
		var sections []bot.Section
		for _, name := range []string{"Introduction", "Method", "Results", "Limitations", "Conclusion"} {
			words := make([]string, sectionWords)
			for j := range words {
				words[j] = fmt.Sprintf("w%d_%s_%d", i, name[:3], j)
				if j%12 == 11 {
					words[j] += "."
				}
			}
			sections = append(sections, bot.Section{Name: name, Blocks: []bot.Block{para(txt(strings.Join(words, " ")))}})
		}
		d.Papers = append(d.Papers, bot.Paper{
			Number: i, Title: fmt.Sprintf("Paper number %d about things", i),
			ID: bot.ArxivID(fmt.Sprintf("2509.%05d", i)), Sections: sections,
		})
	}
	return d
}

func slackTexts(b slack.Block) []string {
	var out []string
	switch v := b.(type) {
	case *slack.HeaderBlock:
		out = append(out, v.Text.Text)
	case *slack.SectionBlock:
		if v.Text != nil {
			out = append(out, v.Text.Text)
		}
	case *slack.ContextBlock:
		for _, e := range v.ContextElements.Elements {
			if t, ok := e.(*slack.TextBlockObject); ok {
				out = append(out, t.Text)
			}
		}
	case *slack.ContainerBlock:
		out = append(out, v.Title.Text)
		for _, c := range v.ChildBlocks.BlockSet {
			out = append(out, slackTexts(c)...)
		}
	case *slack.RichTextBlock:
		out = append(out, richPlain(v))
	}
	return out
}

// richPlain is the text a rich_text block shows, list items on lines of
// their own, styles ignored.
func richPlain(b *slack.RichTextBlock) string {
	var sb strings.Builder
	section := func(s *slack.RichTextSection) {
		for _, e := range s.Elements {
			switch v := e.(type) {
			case *slack.RichTextSectionTextElement:
				sb.WriteString(v.Text)
			case *slack.RichTextSectionLinkElement:
				sb.WriteString(v.Text)
			}
		}
	}
	newline := func() { sb.WriteString("\n") }
	walkRich(b, section, func(*slack.RichTextList, int) { newline() }, newline)
	return sb.String()
}

func slackAllText(msgs []SlackMessage) string {
	var b strings.Builder
	for _, m := range msgs {
		for _, bl := range m.Blocks {
			for _, s := range slackTexts(bl) {
				b.WriteString(s)
				b.WriteString("\n")
			}
		}
	}
	return b.String()
}

func checkAllSlack(t *testing.T, msgs []SlackMessage) {
	t.Helper()
	checkAll(t, msgs, CheckSlackMessage)
}

// rtDump writes a rich_text block in an unambiguous notation for tests:
// [b:x] bold, [i:x] italic, [c:x] code (combined as [bi:x] ...), [url|x]
// a link (styled: [b:url|x]), list items on lines of their own as "• "
// or "1. " after two spaces per indent. Plain text stays as it is.
func rtDump(b slack.Block) string {
	rt, ok := b.(*slack.RichTextBlock)
	if !ok {
		return fmt.Sprintf("<%T>", b)
	}
	var sb strings.Builder
	style := func(st *slack.RichTextSectionTextStyle) string {
		if st == nil {
			return ""
		}
		s := ""
		if st.Bold {
			s += "b"
		}
		if st.Italic {
			s += "i"
		}
		if st.Strike {
			s += "s"
		}
		if st.Code {
			s += "c"
		}
		return s
	}
	section := func(sec *slack.RichTextSection) {
		for _, e := range sec.Elements {
			switch v := e.(type) {
			case *slack.RichTextSectionTextElement:
				if st := style(v.Style); st != "" {
					sb.WriteString("[" + st + ":" + v.Text + "]")
				} else {
					sb.WriteString(v.Text)
				}
			case *slack.RichTextSectionLinkElement:
				st := style(v.Style)
				if st != "" {
					st += ":"
				}
				sb.WriteString("[" + st + v.URL + "|" + v.Text + "]")
			}
		}
	}
	walkRich(rt, section, func(l *slack.RichTextList, k int) {
		sb.WriteString("\n" + strings.Repeat("  ", l.Indent))
		if l.Style == slack.RTEListOrdered {
			sb.WriteString(fmt.Sprintf("%d. ", l.Offset+k+1))
		} else {
			sb.WriteString("• ")
		}
	}, func() { sb.WriteString("\n") })
	return sb.String()
}

func TestSlackContainerDefault(t *testing.T) {
	t.Parallel()
	d := sampleDigest()
	msgs := Slack(d, SlackOptions{SiteURL: "https://team.github.io/blog/"})
	checkAllSlack(t, msgs)
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	m := msgs[0]
	h, ok := m.Blocks[0].(*slack.HeaderBlock)
	if !ok || h.Text.Text != "Daily Papers — 2025-09-30" || h.Text.Type != "plain_text" {
		t.Fatalf("first block %#v, want the header", m.Blocks[0])
	}
	ctx := slackTexts(m.Blocks[1])[0]
	if want := "2025-09-30 · 3 papers · <https://team.github.io/blog/2025/09/30/daily-papers.html|Read the post>"; ctx != want {
		t.Errorf("context = %q, want %q", ctx, want)
	}
	// The title as written, bold and linked, the AlphaXiv link, the goal:
	// rich text, so * | ` & < > are characters, not markup or entities.
	want := "[b:https://arxiv.org/abs/2509.24006|1. R&D <fast> *attention* | `kernels` 🚀] · [https://www.alphaxiv.org/ko/overview/2509.24006|AlphaXiv]\nmake attention 20× faster & keep quality."
	if got := rtDump(m.Blocks[2]); got != want {
		t.Errorf("paper 1 =\n%q\nwant\n%q", got, want)
	}
	if id := m.Blocks[2].ID(); id != "paper-1" {
		t.Errorf("block_id %q", id)
	}
	c, ok := m.Blocks[3].(*slack.ContainerBlock)
	if !ok {
		t.Fatalf("block 3 is %T, want a container", m.Blocks[3])
	}
	if !c.IsCollapsible || !c.DefaultCollapsed || c.Title.Text != "Introduction · Method · Limitations" {
		t.Errorf("container %+v", c)
	}
	var body strings.Builder
	for _, k := range c.ChildBlocks.BlockSet {
		body.WriteString(rtDump(k))
	}
	for _, want := range []string{
		"[b:Introduction]\n\n• Goal: make attention 20× faster & keep quality.\n• Motivation: [b:sparse] and [i:linear] methods fall short.\n",
		"[b:Method]\nWe use [c:a<b && c>d], [c:$x_i * y_i$] and [https://example.com/q?a=1&b=2|a <tool> & more].",
		"\n1. first step\n\n  • nested detail\n\n2. second step\n",
		"[b:Limitations]\n[i:정보 부족 (no information)]",
	} {
		if !strings.Contains(body.String(), want) {
			t.Errorf("container text lacks %q:\n%s", want, body.String())
		}
	}
	// Paper 3 has no sections: no container, no goal line, no link.
	if got := rtDump(m.Blocks[len(m.Blocks)-1]); got != "[b:3. No sections, no id]" {
		t.Errorf("paper 3 = %q", got)
	}
	if !strings.Contains(m.Text, "1. R&amp;D &lt;fast&gt;") || !strings.HasPrefix(m.Text, "Daily Papers — 2025-09-30") {
		t.Errorf("fallback text %q", m.Text)
	}
}

func TestDiscordMarkupNextToWords(t *testing.T) {
	t.Parallel()
	strong := bot.Inline{Kind: bot.StrongInline, Children: []bot.Inline{txt("SLA")}}
	// Discord reads markers inside words: no separator there.
	if got := discordDialect.render([]bot.Block{para(strong, txt("는"))}); got != "**SLA**는" {
		t.Errorf("discord got %q", got)
	}
}

func TestSlackButtons(t *testing.T) {
	t.Parallel()
	d := sampleDigest()
	folded := Slack(d, SlackOptions{Details: SlackButtons})
	checkAllSlack(t, folded)
	// The paper's heading, then its Details button in an actions block.
	if got := folded[0].Blocks[2].ID(); got != "paper-1" {
		t.Fatalf("block 2 is %q, want paper 1's heading", got)
	}
	btn := folded[0].Blocks[3].(*slack.ActionBlock).Elements.ElementSet[0].(*slack.ButtonBlockElement)
	if btn.ActionID != SlackActionDetails || btn.Value != "2025-09-30-daily-papers.md|1" || btn.Text.Text != "Details" {
		t.Fatalf("button %+v", btn)
	}
	path, n, ok := ParseSlackDetailsValue(btn.Value)
	if !ok || path != d.Path || n != 1 {
		t.Errorf("ParseSlackDetailsValue = %q %d %v", path, n, ok)
	}
	if strings.Contains(slackAllText(folded), "Motivation") {
		t.Error("folded message shows sections")
	}
	if !strings.Contains(slackAllText(folded), "AlphaXiv") {
		t.Error("folded message lacks the AlphaXiv link")
	}
	expanded := Slack(d, SlackOptions{Details: SlackButtons, Expanded: map[int]bool{1: true}})
	checkAllSlack(t, expanded)
	if len(expanded) != len(folded) {
		t.Fatalf("expanding changed the message count: %d -> %d", len(folded), len(expanded))
	}
	b := expanded[0].Blocks[3].(*slack.ActionBlock).Elements.ElementSet[0].(*slack.ButtonBlockElement)
	if b.ActionID != SlackActionHide || b.Text.Text != "Hide" || b.Value != btn.Value {
		t.Errorf("expanded button %+v", b)
	}
	if !strings.Contains(slackAllText(expanded), "Motivation: sparse") {
		t.Error("expanded paper 1 does not show its sections")
	}
	if strings.Contains(slackAllText(expanded), "snake_case") {
		t.Error("paper 2 expanded too")
	}
	// Paper 3 has nothing to unfold: no button after its heading.
	last := folded[0].Blocks[len(folded[0].Blocks)-1]
	if last.ID() != "paper-3" {
		t.Errorf("paper 3 is followed by %T", last)
	}
}

func TestSlackButtonsGroupingStable(t *testing.T) {
	t.Parallel()
	d := bigDigest(30, 40)
	folded := Slack(d, SlackOptions{Details: SlackButtons})
	checkAllSlack(t, folded)
	all := map[int]bool{}
	for _, p := range d.Papers {
		all[p.Number] = true
	}
	expanded := Slack(d, SlackOptions{Details: SlackButtons, Expanded: all})
	checkAllSlack(t, expanded)
	if len(expanded) <= len(folded) {
		t.Fatalf("all expanded: %d messages, folded %d", len(expanded), len(folded))
	}
	// Expanding paper n must only change the message that holds it.
	one := Slack(d, SlackOptions{Details: SlackButtons, Expanded: map[int]bool{5: true}})
	if len(one) != len(folded) {
		t.Fatalf("one expanded: %d messages, folded %d", len(one), len(folded))
	}
	changed := 0
	for i := range one {
		a, _ := SlackJSON(one[i : i+1])
		b, _ := SlackJSON(folded[i : i+1])
		if string(a) != string(b) {
			changed++
		}
	}
	if changed != 1 {
		t.Errorf("expanding one paper changed %d messages", changed)
	}
}

func TestSlackThread(t *testing.T) {
	t.Parallel()
	d := sampleDigest()
	msgs := Slack(d, SlackOptions{Details: SlackThread})
	checkAllSlack(t, msgs)
	// Main message, then one reply per paper with sections (1 and 2).
	if len(msgs) != 3 || msgs[0].ThreadReply || !msgs[1].ThreadReply || !msgs[2].ThreadReply {
		t.Fatalf("got %d messages: %+v", len(msgs), msgs)
	}
	if strings.Contains(slackAllText(msgs[:1]), "Motivation") {
		t.Error("main message shows sections")
	}
	if !strings.Contains(slackAllText(msgs[1:2]), "Motivation") || !strings.HasPrefix(msgs[1].Text, "1. R&amp;D") {
		t.Errorf("reply 1: %q", msgs[1].Text)
	}
	js, err := SlackJSON(msgs)
	if err != nil {
		t.Fatal(err)
	}
	var decoded []map[string]any
	if err := json.Unmarshal(js, &decoded); err != nil {
		t.Fatal(err)
	}
	if decoded[0]["thread_ts"] != nil || decoded[1]["thread_ts"] != "parent:0" || decoded[2]["thread_ts"] != "parent:0" {
		t.Errorf("thread_ts marks: %v %v %v", decoded[0]["thread_ts"], decoded[1]["thread_ts"], decoded[2]["thread_ts"])
	}
}

func TestSlackInline(t *testing.T) {
	t.Parallel()
	d := sampleDigest()
	msgs := Slack(d, SlackOptions{Details: SlackInline})
	checkAllSlack(t, msgs)
	all := slackAllText(msgs)
	for _, want := range []string{"Motivation: sparse", "snake_case ~tilde~ > quote # hash", "정보 부족 (no information)"} {
		if !strings.Contains(all, want) {
			t.Errorf("inline lacks %q", want)
		}
	}
	for _, b := range msgs[0].Blocks {
		if _, ok := b.(*slack.ContainerBlock); ok {
			t.Error("inline mode has a container")
		}
	}
}

func TestSlackSplitsLongDigest(t *testing.T) {
	t.Parallel()
	d := bigDigest(40, 120)
	for _, mode := range []SlackDetails{SlackContainer, SlackInline, SlackThread} {
		t.Run(string(mode), func(t *testing.T) {
			msgs := Slack(d, SlackOptions{Details: mode})
			checkAllSlack(t, msgs)
			var mains []SlackMessage
			for _, m := range msgs {
				if !m.ThreadReply {
					mains = append(mains, m)
				}
			}
			if len(mains) < 2 && mode != SlackThread {
				t.Fatalf("%d main messages, want several", len(mains))
			}
			if mode == SlackThread && len(msgs) != len(mains)+len(d.Papers) {
				t.Fatalf("%d messages, want %d main + one reply per paper", len(msgs), len(mains))
			}
			for i, m := range mains {
				want := fmt.Sprintf("Daily Papers — 2025-09-30 (%d/%d)", i+1, len(mains))
				if len(mains) == 1 {
					want = "Daily Papers — 2025-09-30"
				}
				if h := m.Blocks[0].(*slack.HeaderBlock).Text.Text; h != want {
					t.Errorf("header %q, want %q", h, want)
				}
			}
			// Every word of every section is somewhere (container/inline: in the
			// channel, thread: in the replies).
			all := map[string]bool{}
			for _, w := range strings.Fields(slackAllText(msgs)) {
				all[w] = true
			}
			for _, p := range d.Papers {
				for _, s := range p.Sections {
					for _, w := range strings.Fields(s.Text()) {
						if !all[w] {
							t.Fatalf("word %q of paper %d %s missing", w, p.Number, s.Name)
						}
					}
				}
			}
		})
	}
}

func TestSlackLongSectionSplit(t *testing.T) {
	t.Parallel()
	d := bigDigest(1, 2500) // ~30,000 characters per section
	for _, mode := range []SlackDetails{SlackContainer, SlackInline, SlackThread, SlackButtons} {
		msgs := Slack(d, SlackOptions{Details: mode, Expanded: map[int]bool{1: true}})
		checkAllSlack(t, msgs)
	}
	p := &d.Papers[0]
	card := SlackPaper(p, bot.PostRef{Date: d.Date, Title: d.Title, Path: d.Path}, SlackOptions{})
	if err := CheckSlackMessage(card); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(slackAllText([]SlackMessage{card}), "did not fit in one message") {
		t.Error("cut card does not say so")
	}
}

func TestSlackLongTitle(t *testing.T) {
	t.Parallel()
	d := sampleDigest()
	d.Title = strings.Repeat("Very long digest title ", 20)
	d.Papers[0].Title = strings.Repeat("long & title ", 40)
	msgs := Slack(d, SlackOptions{})
	checkAllSlack(t, msgs)
	h := msgs[0].Blocks[0].(*slack.HeaderBlock).Text.Text
	if !strings.HasSuffix(h, "…") || Len16(h) > SlackMaxHeaderText {
		t.Errorf("header %q", h)
	}
	// The paper's full title stays in its linked heading.
	if !strings.Contains(slackAllText(msgs), strings.TrimSpace(d.Papers[0].Title)) {
		t.Error("full paper title lost")
	}
}

func TestSlackPaperCard(t *testing.T) {
	t.Parallel()
	d := sampleDigest()
	post := bot.PostRef{Date: d.Date, Title: d.Title, Path: d.Path}
	for _, mode := range []SlackDetails{SlackContainer, SlackButtons, SlackInline, SlackThread} {
		m := SlackPaper(&d.Papers[0], post, SlackOptions{Details: mode, SiteURL: "https://b.example"})
		if err := CheckSlackMessage(m); err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		last := m.Blocks[len(m.Blocks)-1].(*slack.ActionBlock)
		share := last.Elements.ElementSet[0].(*slack.ButtonBlockElement)
		if share.ActionID != SlackActionShare || share.Value != "paper:2509.24006" || share.Text.Text != "Share in channel" {
			t.Errorf("%s: share button %+v", mode, share)
		}
		at := 1
		if mode == SlackButtons {
			if btn := m.Blocks[1].(*slack.ActionBlock).Elements.ElementSet[0].(*slack.ButtonBlockElement); btn.ActionID != SlackActionDetails {
				t.Errorf("buttons card without Details")
			}
			at = 2
		}
		// The post's title is plain_text: shown as written.
		ctx := strings.Join(slackTexts(m.Blocks[at]), "|")
		if ctx != "2025-09-30|Daily Papers — 2025-09-30|<https://b.example/2025/09/30/daily-papers.html|Read the post>" {
			t.Errorf("%s: context %q", mode, ctx)
		}
		if mode == SlackContainer || mode == SlackThread {
			if _, ok := m.Blocks[2].(*slack.ContainerBlock); !ok {
				t.Errorf("%s: block 2 is %T", mode, m.Blocks[2])
			}
		}
	}
	// No id: no share button.
	m := SlackPaper(&d.Papers[2], post, SlackOptions{})
	if _, ok := m.Blocks[len(m.Blocks)-1].(*slack.ActionBlock); ok {
		t.Error("share button on a paper without id")
	}
}

func TestSlackJSONShape(t *testing.T) {
	t.Parallel()
	msgs := Slack(sampleDigest(), SlackOptions{})
	js, err := SlackJSON(msgs)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(js), "\n") || strings.Contains(string(js), `\u0026`) {
		t.Errorf("want one line without HTML escapes: %.200s", js)
	}
	var back []struct {
		Text   string       `json:"text"`
		Blocks slack.Blocks `json:"blocks"`
	}
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	// The payload decoded as a fake server would see it passes the same check.
	for _, m := range back {
		if err := CheckSlackMessage(SlackMessage{Text: m.Text, Blocks: m.Blocks.BlockSet}); err != nil {
			t.Error(err)
		}
	}
}

func TestCheckSlackMessageCatches(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 3001)
	many := make([]slack.Block, 51)
	for i := range many {
		many[i] = slackSection("x")
	}
	kids := make([]slack.Block, 11)
	for i := range kids {
		kids[i] = slackSection("x")
	}
	bigText := make([]slack.Block, 5)
	for i := range bigText {
		bigText[i] = slackSection(strings.Repeat("y", 2900))
	}
	tests := []struct {
		name string
		m    SlackMessage
		want string
	}{
		{"no fallback", SlackMessage{Blocks: []slack.Block{slackSection("x")}}, "text fallback is empty"},
		{"section text", SlackMessage{Text: "t", Blocks: []slack.Block{slackSection(long)}}, "section text 3001"},
		{"header", SlackMessage{Text: "t", Blocks: []slack.Block{slack.NewHeaderBlock(plain(strings.Repeat("h", 151)))}}, "header text 151"},
		{"blocks", SlackMessage{Text: "t", Blocks: many}, "51 blocks"},
		{"container children count", SlackMessage{Text: "t", Blocks: append(many[:45:45], slack.NewContainerBlock(kids[:5]...).WithTitle(plain("c")))}, "51 blocks"},
		{"container children", SlackMessage{Text: "t", Blocks: []slack.Block{slack.NewContainerBlock(kids...).WithTitle(plain("c"))}}, "11 child blocks"},
		{"container title", SlackMessage{Text: "t", Blocks: []slack.Block{slack.NewContainerBlock(kids[0])}}, "plain_text title"},
		{"total text", SlackMessage{Text: "t", Blocks: bigText}, "14500 characters of block text"},
		{"button", SlackMessage{Text: "t", Blocks: []slack.Block{slack.NewActionBlock("", slackButton(strings.Repeat("b", 76), "a", "v"))}}, "button text 76"},
		{"button value", SlackMessage{Text: "t", Blocks: []slack.Block{slack.NewActionBlock("", slackButton("b", "a", strings.Repeat("v", 2001)))}}, "value 2001"},
		{"action id", SlackMessage{Text: "t", Blocks: []slack.Block{slack.NewActionBlock("", slackButton("b", strings.Repeat("a", 256), "v"))}}, "action_id 256"},
		{"context", SlackMessage{Text: "t", Blocks: []slack.Block{slack.NewContextBlock("", mrkdwn("1"), mrkdwn("2"), mrkdwn("3"), mrkdwn("4"), mrkdwn("5"), mrkdwn("6"), mrkdwn("7"), mrkdwn("8"), mrkdwn("9"), mrkdwn("10"), mrkdwn("11"))}}, "11 context elements"},
		{"utf16", SlackMessage{Text: "t", Blocks: []slack.Block{slackSection(strings.Repeat("🚀", 1501))}}, "section text 3002"},
		{"block id", SlackMessage{Text: "t", Blocks: []slack.Block{&slack.SectionBlock{Type: "section", Text: mrkdwn("a"), BlockID: "x"}, &slack.SectionBlock{Type: "section", Text: mrkdwn("b"), BlockID: "x"}}}, "duplicate block_id"},
	}
	for _, tt := range tests {
		err := CheckSlackMessage(tt.m)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
	if err := CheckSlackMessage(SlackMessage{Text: "t", Blocks: []slack.Block{slackSection("ok")}}); err != nil {
		t.Errorf("valid message: %v", err)
	}
}

func TestParseSlackDetails(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]SlackDetails{"": SlackContainer, "buttons": SlackButtons, "thread": SlackThread, "inline": SlackInline, "container": SlackContainer} {
		if got, err := ParseSlackDetails(in); err != nil || got != want {
			t.Errorf("ParseSlackDetails(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseSlackDetails("spoiler"); err == nil {
		t.Error("spoiler accepted for Slack")
	}
	if _, _, ok := ParseSlackDetailsValue("no-number"); ok {
		t.Error("bad value accepted")
	}
}

func TestPostURL(t *testing.T) {
	t.Parallel()
	day := time.Date(2025, 9, 30, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		site, path string
		cats       []string
		want       string
	}{
		{"", "2025-09-30-x.md", nil, ""},
		{"https://t.github.io/blog/", "_posts/2025-09-30-daily-papers.md", nil, "https://t.github.io/blog/2025/09/30/daily-papers.html"},
		{"https://t.github.io", "2025-09-30-daily-papers.md", []string{"AI", "papers"}, "https://t.github.io/ai/papers/2025/09/30/daily-papers.html"},
	}
	for _, tt := range tests {
		if got := postURL(tt.site, tt.path, day, tt.cats); got != tt.want {
			t.Errorf("postURL(%q, %q) = %q, want %q", tt.site, tt.path, got, tt.want)
		}
	}
}
