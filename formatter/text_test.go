package formatter

import (
	"strings"
	"testing"

	"github.com/paperbot/paperbot/bot"
)

func TestText(t *testing.T) {
	t.Parallel()
	d := sampleDigest()
	got := Text(d)
	for _, want := range []string{
		"Daily Papers — 2025-09-30\n2025-09-30 · 3 papers\n",
		"1. R&D <fast> *attention* | `kernels` 🚀\nhttps://arxiv.org/abs/2509.24006\nAlphaXiv: https://www.alphaxiv.org/ko/overview/2509.24006\n",
		"## Introduction\n- Goal: make attention 20× faster & keep quality.\n- Motivation: sparse and linear methods fall short.\n",
		"We use a<b && c>d, $x_i * y_i$ and a <tool> & more (https://example.com/q?a=1&b=2).\n\n1. first step\n  - nested detail\n2. second step\n",
		"## Limitations\n정보 부족 (no information)\n",
		"3. No sections, no id\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Text lacks %q\n---\n%s", want, got)
		}
	}
	d.Draft = true
	if !strings.Contains(Text(d), "3 papers · draft") {
		t.Error("draft not marked")
	}
}

func TestPaperText(t *testing.T) {
	t.Parallel()
	d := sampleDigest()
	got := PaperText(&d.Papers[1], bot.PostRef{Date: d.Date, Title: d.Title, Path: d.Path})
	want := "2. 한국어 제목: 확산 모델\nhttps://arxiv.org/abs/2509.22220\n\n## Introduction\n본 연구는 효율적인 방법을 제안한다. 두 번째 문장.\n\n## Results\nsnake_case ~tilde~ > quote # hash\n\nFrom: Daily Papers — 2025-09-30 · 2025-09-30\n"
	if got != want {
		t.Errorf("PaperText =\n%q\nwant\n%q", got, want)
	}
}

func TestHTML(t *testing.T) {
	t.Parallel()
	d := sampleDigest()
	d.Papers[1].Title = `<script>alert(1)</script> "quoted"`
	d.Papers[1].Sections[0].Blocks = []bot.Block{para(bot.Inline{Kind: bot.LinkInline, URL: "javascript:alert(1)", Children: []bot.Inline{txt("click")}})}
	got := HTML(d)
	for _, bad := range []string{"<script>", "javascript:"} {
		if strings.Contains(got, bad) {
			t.Errorf("HTML contains %q", bad)
		}
	}
	for _, want := range []string{
		"&lt;script&gt;alert(1)&lt;/script&gt;",
		`<details><summary>Introduction · Method · Limitations</summary>`,
		`<a href="https://arxiv.org/abs/2509.24006">1. R&amp;D &lt;fast&gt; *attention* | `,
		"<b>sparse</b> and <i>linear</i>",
		`<a href="https://www.alphaxiv.org/ko/overview/2509.24006">AlphaXiv</a>`,
		`<button>Details 1</button>`,
		"snake_case",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
}

// TestHTMLSpoiler: in spoiler mode the drawing's spoilers take focus, so a
// click reveals them without scripts.
func TestHTMLSpoiler(t *testing.T) {
	t.Parallel()
	got := HTMLDrawing(sampleDigest(), SlackOptions{}, DiscordOptions{Details: DiscordSpoiler})
	if !strings.Contains(got, `<span class="spoiler" tabindex="0">`) {
		t.Errorf("no focusable spoiler in %s", got)
	}
}
