package bot

import (
	"strings"
	"testing"
)

func TestDigestCheck(t *testing.T) {
	t.Parallel()
	text := func(s string) []Inline { return []Inline{{Kind: TextInline, Text: s}} }
	list := func(depth int) []Block {
		b := []Block{{Kind: ParagraphBlock, Inlines: text("bottom")}}
		for range depth {
			b = []Block{{Kind: ListBlock, Items: [][]Block{b}}}
		}
		return b
	}
	bold := func(depth int) []Block {
		in := text("x")
		for range depth {
			in = []Inline{{Kind: StrongInline, Children: in}}
		}
		return []Block{{Kind: ParagraphBlock, Inlines: in}}
	}
	for _, tc := range []struct {
		name   string
		blocks []Block
		bad    bool
	}{
		{"flat", []Block{{Kind: ParagraphBlock, Inlines: text("a")}}, false},
		{"lists 8 deep (what the parser keeps)", list(8), false},
		{"lists 62 deep", list(62), false},
		{"lists 64 deep", list(64), true},
		{"lists 3400 deep", list(3400), true},
		{"bold 3400 deep", bold(3400), true},
		{"bold 30 deep in lists 30 deep", []Block{{Kind: ListBlock, Items: [][]Block{list(29), bold(30)}}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &Digest{Path: "p.md", Papers: []Paper{{Number: 2, Line: 10, Sections: []Section{{Name: "Method", Line: 14, Blocks: tc.blocks}}}}}
			err := d.Check()
			if (err != nil) != tc.bad {
				t.Fatalf("Check = %v, want bad %v", err, tc.bad)
			}
			if err != nil && !strings.HasPrefix(err.Error(), `p.md:14: paper 2, section "Method": `) {
				t.Errorf("error %q is not file:line: reason", err)
			}
		})
	}
}

func BenchmarkDigestCheckPathological(b *testing.B) {
	blocks := []Block{{Kind: ParagraphBlock}}
	for range 3400 {
		blocks = []Block{{Kind: ListBlock, Items: [][]Block{blocks}}}
	}
	d := &Digest{Papers: []Paper{{Sections: []Section{{Blocks: blocks}}}}}
	for b.Loop() {
		if d.Check() == nil {
			b.Fatal("accepted")
		}
	}
}
