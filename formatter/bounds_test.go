package formatter

import (
	"runtime"
	"strings"
	"testing"

	"github.com/paperbot/paperbot/bot"
)

// deepListPost is a post whose Introduction is a list nested levels deep
// ("- - - ... x" on one line: two bytes a level).
func deepListPost(levels int) []byte { return deepPost(strings.Repeat("- ", levels)) }

// deepPost is a post whose Introduction is one line opening the
// containers of prefix, and whose Method nests bold and italics deeply.
func deepPost(prefix string) []byte {
	return []byte("---\ntitle: deep\ndate: 2025-10-01\n---\n# 1. [Deep](https://arxiv.org/abs/2510.00001)\n\n## Introduction\n\n" +
		prefix + "x\n\n## Method\n\n" + strings.Repeat("**b _i **b _i ", 40) + "x\n")
}

// TestDeepNestingShapes: lists, numbered lists, quotes and mixes nested
// 5,000 deep on one line parse and render in every mode within 50 MB, and
// the model's lists nest at most MaxListDepth.
func TestDeepNestingShapes(t *testing.T) {
	t.Parallel()
	for name, prefix := range map[string]string{
		"bullets":  strings.Repeat("- ", 5000),
		"numbered": strings.Repeat("1. ", 5000),
		"quotes":   strings.Repeat("> ", 5000),
		"mixed":    strings.Repeat("* > 2) + ", 1250),
	} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		d, err := (&Parser{}).Parse("2025-10-01-deep.md", deepPost(prefix))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		renderAll(d)
		runtime.ReadMemStats(&after)
		if got := listDepth(d.Papers[0].Sections[0].Blocks); got > MaxListDepth {
			t.Errorf("%s: lists nest %d deep in the model", name, got)
		}
		if !strings.Contains(d.Papers[0].Sections[0].Text(), "x") {
			t.Errorf("%s: the innermost text was lost", name)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 50<<20 {
			t.Errorf("%s: %d MB allocated, want < 50", name, alloc>>20)
		}
	}
}

// TestCapLineNestingLeavesRealLinesAlone: only a line opening more than
// maxLineNesting containers changes, and only by one backslash.
func TestCapLineNestingLeavesRealLinesAlone(t *testing.T) {
	t.Parallel()
	src := []byte("- a\n  - b\n    1. c\n> - > quote\n- - - x\n2025-10-01 is a date\n")
	if got := capLineNesting(src); &got[0] != &src[0] {
		t.Errorf("a real post was copied or changed: %q", got)
	}
	deep := strings.Repeat("- ", 70) + "x"
	got := string(capLineNesting([]byte("a\n" + deep + "\nb")))
	want := "a\n" + strings.Repeat("- ", 64) + "\\" + strings.Repeat("- ", 6) + "x\nb"
	if got != want {
		t.Errorf("capLineNesting =\n%q\nwant\n%q", got, want)
	}
	if got := string(capLineNesting([]byte(strings.Repeat("1. ", 65) + "x"))); !strings.HasPrefix(got[64*3:], "1\\. x") {
		t.Errorf("numbered: %q", got[64*3:])
	}
}

// listDepth is how deeply lists nest in blocks.
func listDepth(blocks []bot.Block) int {
	d := 0
	for _, b := range blocks {
		for _, item := range b.Items {
			d = max(d, 1+listDepth(item))
		}
	}
	return d
}

// inlineDepth is how deeply bold and italics nest in runs.
func inlineDepth(in []bot.Inline) int {
	d := 0
	for _, r := range in {
		if r.Kind == bot.StrongInline || r.Kind == bot.EmphInline {
			d = max(d, 1+inlineDepth(r.Children))
		} else {
			d = max(d, inlineDepth(r.Children))
		}
	}
	return d
}

func blockInlineDepth(blocks []bot.Block) int {
	d := 0
	for _, b := range blocks {
		d = max(d, inlineDepth(b.Inlines))
		for _, item := range b.Items {
			d = max(d, blockInlineDepth(item))
		}
	}
	return d
}

// renderAll renders d in every mode of every output.
func renderAll(d *bot.Digest) {
	for _, m := range []SlackDetails{SlackContainer, SlackButtons, SlackThread, SlackInline} {
		Slack(d, SlackOptions{Details: m})
	}
	for _, m := range []DiscordDetails{DiscordButtons, DiscordSpoiler, DiscordInline} {
		Discord(d, DiscordOptions{Details: m})
	}
	Text(d)
	HTML(d)
}

// TestDeepListBounded: a list nested 5,000 levels deep is flattened in the
// model (so what is stored is bounded too) and parsing plus rendering it
// in every mode allocates far less than 50 MB. The time is measured by
// BenchmarkDeepList (reported, not asserted: the machine is shared).
func TestDeepListBounded(t *testing.T) {
	t.Parallel()
	src := deepListPost(5000)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	d, err := (&Parser{}).Parse("2025-10-01-deep.md", src)
	if err != nil {
		t.Fatal(err)
	}
	renderAll(d)
	runtime.ReadMemStats(&after)
	intro := d.Papers[0].Sections[0]
	if got := listDepth(intro.Blocks); got != MaxListDepth {
		t.Errorf("list depth in the model %d, want %d", got, MaxListDepth)
	}
	if got := blockInlineDepth(d.Papers[0].Sections[1].Blocks); got > maxInlineDepth {
		t.Errorf("bold/italic nesting in the model %d, want at most %d", got, maxInlineDepth)
	}
	// Nothing is lost: the innermost text is still there.
	if !strings.Contains(intro.Text(), "x") {
		t.Errorf("the innermost item's text was lost")
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 50<<20 {
		t.Errorf("parsing and rendering a 5,000-level list allocated %d MB, want < 50", alloc>>20)
	} else {
		t.Logf("5,000-level list: %.1f MB allocated to parse and render in 8 modes", float64(alloc)/(1<<20))
	}
}

// BenchmarkDeepList is the time and memory of a 5,000-level list, parsed
// and rendered in every mode (goal: well under 100 ms and 50 MB).
func BenchmarkDeepList(b *testing.B) {
	src := deepListPost(5000)
	b.ReportAllocs()
	for b.Loop() {
		d, err := (&Parser{}).Parse("2025-10-01-deep.md", src)
		if err != nil {
			b.Fatal(err)
		}
		renderAll(d)
	}
}

// TestNonWebLinksDropped: a link with any scheme but http(s), in any
// case, keeps its text and loses its link in the model: the heading, the
// AlphaXiv line and the body.
func TestNonWebLinksDropped(t *testing.T) {
	t.Parallel()
	src := "---\ndate: 2025-10-01\n---\n" +
		"# 1. [Evil *Title*](JavaScript:alert(1))\n\n> [Alphaxiv](data:text/html,x)\n\n" +
		"## Introduction\n\n- Goal: [a](vbscript:msgbox) [b](DATA:text/html;base64,xx) [c](javascript:x) ![img](javascript:y) <https://ok.example/> [d](HTTPS://fine.example/) [e](file:///etc/passwd) [f](/relative)\n"
	d, err := (&Parser{}).Parse("2025-10-01-evil.md", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	p := d.Papers[0]
	if p.URL != "" || p.Link() != "" || p.AlphaxivURL != "" {
		t.Errorf("paper links kept: url %q link %q alphaxiv %q", p.URL, p.Link(), p.AlphaxivURL)
	}
	if p.Title != "Evil Title" {
		t.Errorf("title %q, want the text kept", p.Title)
	}
	var urls []string
	var walk func([]bot.Inline)
	walk = func(in []bot.Inline) {
		for _, r := range in {
			if r.Kind == bot.LinkInline {
				urls = append(urls, r.URL)
			}
			walk(r.Children)
		}
	}
	var blocks func([]bot.Block)
	blocks = func(bs []bot.Block) {
		for _, b := range bs {
			walk(b.Inlines)
			for _, it := range b.Items {
				blocks(it)
			}
		}
	}
	for _, s := range p.Sections {
		blocks(s.Blocks)
	}
	if strings.Join(urls, " ") != "https://ok.example/ HTTPS://fine.example/" {
		t.Errorf("links kept: %q", urls)
	}
	text := bot.PlainText(p.Sections[len(p.Sections)-1].Blocks)
	for _, want := range []string{"a b c img", "d e f"} {
		if !strings.Contains(text, want) {
			t.Errorf("text %q lacks %q", text, want)
		}
	}
}
