package formatter

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/paperbot/paperbot/bot"
)

func checkAllDiscord(t *testing.T, msgs []*discordgo.MessageSend) {
	t.Helper()
	checkAll(t, msgs, CheckDiscordMessage)
}

// checkAll checks that there are messages and that each passes check (the
// platform's limits).
func checkAll[M any](t *testing.T, msgs []M, check func(M) error) {
	t.Helper()
	if len(msgs) == 0 {
		t.Fatal("no messages")
	}
	for i, m := range msgs {
		if err := check(m); err != nil {
			t.Errorf("message %d: %v", i, err)
		}
	}
}

func discordAllText(msgs []*discordgo.MessageSend) string {
	var b strings.Builder
	for _, m := range msgs {
		b.WriteString(m.Content + "\n")
		for _, e := range m.Embeds {
			b.WriteString(e.Title + "\n" + e.Description + "\n")
			for _, f := range e.Fields {
				b.WriteString(f.Name + "\n" + f.Value + "\n")
			}
			if e.Footer != nil {
				b.WriteString(e.Footer.Text + "\n")
			}
		}
	}
	return b.String()
}

func TestDiscordSpoiler(t *testing.T) {
	t.Parallel()
	d := sampleDigest()
	msgs := Discord(d, DiscordOptions{Details: DiscordSpoiler, SiteURL: "https://b.example"})
	checkAllDiscord(t, msgs)
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	m := msgs[0]
	if want := "**Daily Papers — 2025-09-30**\n2025-09-30 · 3 papers · [Read the post](https://b.example/2025/09/30/daily-papers.html)"; m.Content != want {
		t.Errorf("content %q", m.Content)
	}
	if m.AllowedMentions == nil || m.AllowedMentions.Parse == nil || len(m.AllowedMentions.Parse) != 0 {
		t.Errorf("mentions not disabled: %+v", m.AllowedMentions)
	}
	e := m.Embeds[0]
	if e.Title != "1. R&D <fast> \\*attention\\* \\| \\`kernels\\` 🚀" || e.URL != "https://arxiv.org/abs/2509.24006" {
		t.Errorf("title %q url %q", e.Title, e.URL)
	}
	// The AlphaXiv link is in the description: footers never render links.
	if e.Description != "make attention 20× faster & keep quality.\n\n[AlphaXiv](https://www.alphaxiv.org/ko/overview/2509.24006)" {
		t.Errorf("description %q", e.Description)
	}
	if e.Footer.Text != "arXiv:2509.24006" {
		t.Errorf("footer %q", e.Footer.Text)
	}
	want := []*discordgo.MessageEmbedField{
		{Name: "Introduction", Value: "||- Goal: make attention 20× faster & keep quality.\n- Motivation: **sparse** and *linear* methods fall short.||"},
		{Name: "Method", Value: "||We use `a<b && c>d`, `$x_i * y_i$` and [a <tool> & more](https://example.com/q?a=1&b=2).\n\n1. first step\n   - nested detail\n2. second step||"},
		{Name: "Limitations", Value: "||*정보 부족 (no information)*||"},
	}
	for i, f := range want {
		if i >= len(e.Fields) || *e.Fields[i] != *f {
			t.Errorf("field %d = %+v\nwant %+v", i, e.Fields[i], f)
		}
	}
	if got := m.Embeds[1].Fields[1].Value; got != "||snake\\_case \\~tilde\\~ > quote # hash||" {
		t.Errorf("escaping: %q", got)
	}
	if len(m.Embeds[2].Fields) != 0 || m.Embeds[2].URL != "" {
		t.Errorf("paper 3: %+v", m.Embeds[2])
	}
}

func TestDiscordButtonsAndInline(t *testing.T) {
	t.Parallel()
	d := sampleDigest()
	msgs := Discord(d, DiscordOptions{Details: DiscordButtons})
	checkAllDiscord(t, msgs)
	for _, e := range msgs[0].Embeds {
		if len(e.Fields) != 0 {
			t.Errorf("buttons mode shows fields: %+v", e.Fields)
		}
	}
	row := msgs[0].Components[0].(discordgo.ActionsRow)
	if len(row.Components) != 2 { // paper 3 has nothing to show
		t.Fatalf("%d buttons", len(row.Components))
	}
	b := row.Components[0].(discordgo.Button)
	day, n, ok := ParseDiscordDetailsID(b.CustomID)
	if b.CustomID != "paper_details:2025-09-30:1" || !ok || day != "2025-09-30" || n != 1 {
		t.Errorf("custom_id %q -> %q %d %v", b.CustomID, day, n, ok)
	}

	inline := Discord(d, DiscordOptions{Details: DiscordInline})
	checkAllDiscord(t, inline)
	if v := inline[0].Embeds[0].Fields[0].Value; strings.Contains(v, "||") || !strings.HasPrefix(v, "- Goal:") {
		t.Errorf("inline field %q", v)
	}
}

func TestDiscordSplits(t *testing.T) {
	t.Parallel()
	d := bigDigest(30, 200)
	for _, mode := range []DiscordDetails{DiscordSpoiler, DiscordInline, DiscordButtons} {
		msgs := Discord(d, DiscordOptions{Details: mode})
		checkAllDiscord(t, msgs)
		if len(msgs) < 2 {
			t.Errorf("%s: %d messages", mode, len(msgs))
		}
		if !strings.HasSuffix(msgs[1].Content, "(2/"+itoa(len(msgs))+")") {
			t.Errorf("%s: second content %q", mode, msgs[1].Content)
		}
	}
	// A section longer than a field: "Method (2/n)" parts, each in its own
	// spoiler, and no word lost.
	d = bigDigest(2, 2000)
	msgs := Discord(d, DiscordOptions{Details: DiscordSpoiler})
	checkAllDiscord(t, msgs)
	words := map[string]bool{}
	var parts int
	for _, m := range msgs {
		for _, e := range m.Embeds {
			for _, f := range e.Fields {
				if !strings.HasPrefix(f.Value, "||") || !strings.HasSuffix(f.Value, "||") {
					t.Fatalf("field not wrapped: %.40q", f.Value)
				}
				if strings.HasPrefix(f.Name, "Method (2/") {
					parts++
				}
				for _, w := range strings.Fields(strings.Trim(f.Value, "|")) {
					words[strings.ReplaceAll(w, `\`, "")] = true
				}
			}
		}
	}
	if parts != 2 {
		t.Errorf("%d 'Method (2/n)' fields, want one per paper", parts)
	}
	for _, p := range d.Papers {
		for _, s := range p.Sections {
			for _, w := range strings.Fields(s.Text()) {
				if !words[w] {
					t.Fatalf("word %q lost", w)
				}
			}
		}
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestDiscordLongTitle(t *testing.T) {
	t.Parallel()
	d := sampleDigest()
	d.Papers[1].Title = strings.Repeat("a_very_long_title ", 30)
	msgs := Discord(d, DiscordOptions{Details: DiscordSpoiler})
	checkAllDiscord(t, msgs)
	e := msgs[0].Embeds[1]
	if !strings.HasSuffix(e.Title, "…") || Len16(e.Title) > DiscordMaxEmbedTitle {
		t.Errorf("title %q", e.Title)
	}
	// The full title stays readable in the description.
	if !strings.Contains(e.Description, discordEscape(d.Papers[1].Title, false)) {
		t.Errorf("description %q lacks the full title", e.Description)
	}
}

func TestDiscordPaper(t *testing.T) {
	t.Parallel()
	d := sampleDigest()
	post := bot.PostRef{Date: d.Date, Title: d.Title, Path: d.Path}
	m := DiscordPaper(&d.Papers[0], post, DiscordOptions{Details: DiscordButtons})
	if err := CheckDiscordMessage(m); err != nil {
		t.Fatal(err)
	}
	if m.Content != "From **Daily Papers — 2025-09-30** · 2025-09-30" || len(m.Embeds) != 1 || len(m.Components) != 1 {
		t.Errorf("card %+v", m)
	}
	big := bigDigest(1, 3000)
	m = DiscordPaper(&big.Papers[0], post, DiscordOptions{Details: DiscordSpoiler})
	if err := CheckDiscordMessage(m); err != nil {
		t.Fatal(err)
	}
	last := m.Embeds[len(m.Embeds)-1].Fields
	if !strings.Contains(last[len(last)-1].Value, "did not fit in one message") {
		t.Errorf("cut card does not say so: %q", last[len(last)-1].Value)
	}
}

func TestDiscordEscape(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in        string
		lineStart bool
		want      string
	}{
		{"a*b_c~d|e`f\\g", false, "a\\*b\\_c\\~d\\|e\\`f\\\\g"},
		{"# head", true, "\\# head"},
		{"# head", false, "# head"},
		{"> quote\n- item\n1. one", true, "\\> quote\n\\- item\n1\\. one"},
		{"<@123> <#9> <t:1> a<b", false, "\\<@123> \\<#9> \\<t:1> a<b"},
		{"[x](y)", false, "\\[x\\](y)"},
		{"-5 and 2.5", true, "-5 and 2.5"},
	}
	for _, tt := range tests {
		if got := discordEscape(tt.in, tt.lineStart); got != tt.want {
			t.Errorf("discordEscape(%q, %v) = %q, want %q", tt.in, tt.lineStart, got, tt.want)
		}
	}
	if got := discordCode("a`b"); got != "``a`b``" {
		t.Errorf("discordCode = %q", got)
	}
	if got := discordCode("`x`"); got != "`` `x` ``" {
		t.Errorf("discordCode = %q", got)
	}
}

func TestCheckDiscordMessageCatches(t *testing.T) {
	t.Parallel()
	field := func(n, v string) *discordgo.MessageEmbedField { return &discordgo.MessageEmbedField{Name: n, Value: v} }
	many := func(n int) []*discordgo.MessageEmbed {
		out := make([]*discordgo.MessageEmbed, n)
		for i := range out {
			out[i] = &discordgo.MessageEmbed{Title: "t"}
		}
		return out
	}
	fields := make([]*discordgo.MessageEmbedField, 26)
	for i := range fields {
		fields[i] = field("n", "v")
	}
	btn := func(id string) discordgo.MessageComponent {
		return discordgo.Button{Label: "b", Style: discordgo.SecondaryButton, CustomID: id}
	}
	row := func(bs ...discordgo.MessageComponent) discordgo.MessageComponent {
		return discordgo.ActionsRow{Components: bs}
	}
	x := strings.Repeat
	tests := []struct {
		name string
		m    *discordgo.MessageSend
		want string
	}{
		{"empty", &discordgo.MessageSend{}, "empty message"},
		{"content", &discordgo.MessageSend{Content: x("c", 2001)}, "content 2001"},
		{"embeds", &discordgo.MessageSend{Embeds: many(11)}, "11 embeds"},
		{"title", &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{{Title: x("t", 257)}}}, "title 257"},
		{"description", &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{{Description: x("d", 4097)}}}, "description 4097"},
		{"fields", &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{{Fields: fields}}}, "26 fields"},
		{"field value", &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{{Fields: fields[:1:1]}}}, ""},
		{"field value long", &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{{Fields: []*discordgo.MessageEmbedField{field("n", x("v", 1025))}}}}, "value 1025"},
		{"field name", &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{{Fields: []*discordgo.MessageEmbedField{field(x("n", 257), "v")}}}}, "name 257"},
		{"footer", &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{{Footer: &discordgo.MessageEmbedFooter{Text: x("f", 2049)}}}}, "footer 2049"},
		{"total", &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{{Description: x("d", 4000)}, {Description: x("🚀", 1001)}}}, "total 6002"},
		{"row size", &discordgo.MessageSend{Content: "c", Components: []discordgo.MessageComponent{row(btn("1"), btn("2"), btn("3"), btn("4"), btn("5"), btn("6"))}}, "6 components"},
		{"rows", &discordgo.MessageSend{Content: "c", Components: []discordgo.MessageComponent{row(btn("1")), row(btn("2")), row(btn("3")), row(btn("4")), row(btn("5")), row(btn("6"))}}, "6 action rows"},
		{"custom_id", &discordgo.MessageSend{Content: "c", Components: []discordgo.MessageComponent{row(btn(x("i", 101)))}}, "custom_id 101"},
		{"custom_id empty", &discordgo.MessageSend{Content: "c", Components: []discordgo.MessageComponent{row(btn(""))}}, "custom_id 0"},
		{"custom_id dup", &discordgo.MessageSend{Content: "c", Components: []discordgo.MessageComponent{row(btn("a"), btn("a"))}}, "duplicate custom_id"},
	}
	for _, tt := range tests {
		err := CheckDiscordMessage(tt.m)
		if tt.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestDiscordJSONDecodedPasses(t *testing.T) {
	t.Parallel()
	js, err := DiscordJSON(Discord(sampleDigest(), DiscordOptions{Details: DiscordButtons}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), `"allowed_mentions":{"parse":[]`) {
		t.Errorf("mentions: %s", js)
	}
	// A fake server decodes the body; the validator must work on that too.
	var back []struct {
		Content    string                    `json:"content"`
		Embeds     []*discordgo.MessageEmbed `json:"embeds"`
		Components []json.RawMessage         `json:"components"`
	}
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	for _, m := range back {
		var comps []discordgo.MessageComponent
		for _, raw := range m.Components {
			c, err := discordgo.MessageComponentFromJSON(raw)
			if err != nil {
				t.Fatal(err)
			}
			comps = append(comps, c)
		}
		if len(comps) == 0 {
			t.Fatal("no components decoded")
		}
		if err := CheckDiscordMessage(&discordgo.MessageSend{Content: m.Content, Embeds: m.Embeds, Components: comps}); err != nil {
			t.Error(err)
		}
	}
}
