package bot

import (
	"testing"
)

func para(runs ...Inline) Block { return Block{Kind: ParagraphBlock, Inlines: runs} }
func txt(s string) Inline       { return Inline{Kind: TextInline, Text: s} }

func TestPlainText(t *testing.T) {
	nested := Block{Kind: ListBlock, Items: [][]Block{
		{para(txt("inner one"))},
		{para(Inline{Kind: StrongInline, Children: []Inline{txt("bold")}}, txt(" and "), Inline{Kind: MathInline, Text: "x^2"})},
	}}
	for _, tc := range []struct {
		name   string
		blocks []Block
		want   string
	}{
		{"empty", nil, ""},
		{"paragraph", []Block{para(txt("희소 어텐션"), Inline{Kind: BreakInline}, txt("next"))}, "희소 어텐션\nnext"},
		{"two paragraphs", []Block{para(txt("a")), para(Inline{Kind: LinkInline, URL: "https://x", Children: []Inline{txt("link")}})}, "a\n\nlink"},
		{"bullets", []Block{{Kind: ListBlock, Items: [][]Block{{para(txt("Goal: g"))}, {para(txt("Motivation: m")), nested}}}},
			"- Goal: g\n- Motivation: m\n  - inner one\n  - bold and $x^2$"},
		{"ordered from 99", []Block{para(txt("intro")), {Kind: ListBlock, Ordered: true, Start: 99, Items: [][]Block{{para(txt("a"))}, {para(txt("b"))}}}},
			"intro\n\n99. a\n100. b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := PlainText(tc.blocks); got != tc.want {
				t.Errorf("PlainText = %q, want %q", got, tc.want)
			}
			// The size estimate covers the text, so rendering is one
			// allocation (none for no text).
			if n := plainSize(tc.blocks, 0); n < len(tc.want) {
				t.Errorf("plainSize = %d, shorter than the text (%d)", n, len(tc.want))
			}
			allocs := testing.AllocsPerRun(20, func() { _ = PlainText(tc.blocks) })
			if want := 1.0; tc.blocks == nil && allocs != 0 || tc.blocks != nil && allocs != want {
				t.Errorf("PlainText allocates %v times", allocs)
			}
		})
	}
	// InlineText stays the text of runs alone.
	if got := InlineText([]Inline{txt("a"), Inline{Kind: EmphInline, Children: []Inline{txt("b")}}}); got != "ab" {
		t.Errorf("InlineText = %q", got)
	}
}
