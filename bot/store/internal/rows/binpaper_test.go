package rows

import (
	"reflect"
	"testing"

	"github.com/paperbot/paperbot/bot"
)

// binRoundTrip packs p and checks that it unpacks to exactly p.
func binRoundTrip(t *testing.T, p *bot.Paper) []byte {
	t.Helper()
	b, err := PackPaper(p)
	if err != nil {
		t.Fatalf("PackPaper: %v", err)
	}
	var got bot.Paper
	if err := UnpackPaper(b, &got); err != nil {
		t.Fatalf("UnpackPaper: %v", err)
	}
	if !reflect.DeepEqual(got, *p) {
		t.Fatalf("round trip:\n got %#v\nwant %#v", got, *p)
	}
	return b
}

// TestBinPaperRoundTrip: the binary form keeps what JSON did not (nil
// against empty slices, invalid UTF-8), kinds the bot does not know, and
// numbers of any sign.
func TestBinPaperRoundTrip(t *testing.T) {
	t.Parallel()
	papers := append(edgePapers(), richPaper())
	for _, d := range examplePosts(t) {
		papers = append(papers, d.Papers...)
	}
	text := func(s string) bot.Inline { return bot.Inline{Kind: bot.TextInline, Text: s} }
	papers = append(papers,
		bot.Paper{Sections: []bot.Section{}},
		bot.Paper{Number: -7, Line: 1 << 40, Sections: []bot.Section{{Blocks: []bot.Block{}}, {Blocks: nil, NoInfo: true, Line: -1}}},
		bot.Paper{Title: "\xff\xfe 희소", Sections: []bot.Section{{Name: "Method", Blocks: []bot.Block{
			{Kind: "table", Inlines: []bot.Inline{}, Items: [][]bot.Block{}},
			{Kind: bot.ListBlock, Ordered: true, Start: 3, Items: [][]bot.Block{nil, {}, {{Kind: bot.ParagraphBlock, Inlines: []bot.Inline{text("a")}}}}},
			{Kind: "", Inlines: []bot.Inline{{Kind: "footnote", Text: "x", URL: "u", Children: []bot.Inline{}}, {Kind: bot.LinkInline, URL: "https://arxiv.org", Children: []bot.Inline{text("b")}}, {Kind: bot.BreakInline}}},
		}}}},
	)
	for i := range papers {
		b := binRoundTrip(t, &papers[i])
		if b[0] != packBin {
			t.Errorf("paper %d packed as format %d, want the binary form", i, b[0])
		}
	}
}

// deepPaper nests lists depth levels deep.
func deepPaper(depth int) bot.Paper {
	blocks := []bot.Block{{Kind: bot.ParagraphBlock, Inlines: []bot.Inline{{Kind: bot.TextInline, Text: "x"}}}}
	for range depth - 1 {
		blocks = []bot.Block{{Kind: bot.ListBlock, Items: [][]bot.Block{blocks}}}
	}
	return bot.Paper{Sections: []bot.Section{{Name: "Method", Blocks: blocks}}}
}

// TestBinPaperDepth: a paper nested deeper than the binary form allows is
// refused with an error (goldmark makes a level of each "- " of a line, so
// a post can ask for it), not stored as a row that cannot be read back.
func TestBinPaperDepth(t *testing.T) {
	t.Parallel()
	// deepPaper(n) is n levels of blocks and one of inlines.
	shallow := deepPaper(binMaxDepth - 1)
	binRoundTrip(t, &shallow)
	deep := deepPaper(binMaxDepth + 1)
	if _, err := PackPaper(&deep); err == nil {
		t.Errorf("a paper %d deep packed", binMaxDepth+1)
	}
}

// TestBinPaperDamage: every prefix of a paper's binary form, and the form
// with any one byte changed, decodes to an error or to some paper, never a
// panic; a prefix is always an error.
func TestBinPaperDamage(t *testing.T) {
	t.Parallel()
	p := richPaper()
	doc, ok := appendBinPaper(nil, &p)
	if !ok {
		t.Fatal("richPaper is too deep")
	}
	var got bot.Paper
	if err := decodeBinPaper(string(doc), &got); err != nil || !reflect.DeepEqual(got, p) {
		t.Fatalf("decode: %v", err)
	}
	for n := range len(doc) {
		if err := decodeBinPaper(string(doc[:n]), &got); err == nil {
			t.Errorf("the first %d of %d bytes decoded", n, len(doc))
		}
		if !reflect.DeepEqual(got, bot.Paper{}) {
			t.Errorf("a failed decode left %+v", got)
		}
	}
	for i := range doc {
		for _, c := range []byte{0, 1, 0x7f, 0x80, 0xff, doc[i] + 1} {
			bad := append([]byte(nil), doc...)
			bad[i] = c
			_ = decodeBinPaper(string(bad), &got)
		}
	}
	// Totals that claim more than the input could hold allocate nothing.
	huge := []byte{0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0, 0}
	got = p
	if err := decodeBinPaper(string(huge), &got); err == nil || !reflect.DeepEqual(got, bot.Paper{}) {
		t.Errorf("a paper claiming 2^32 sections decoded (%v), or left %+v", err, got)
	}
}

// FuzzPackPaper puts the input in every string of a paper (and its length
// in every number) and checks the paper unpacks to itself, in the binary
// form.
func FuzzPackPaper(f *testing.F) {
	f.Add("")
	f.Add("희소 \xff")
	f.Add("\x00\x01\x80")
	f.Fuzz(func(t *testing.T, s string) {
		n := len(s) - 5
		in := bot.Inline{Kind: bot.InlineKind(s), Text: s, URL: s}
		in.Children = []bot.Inline{in, {Kind: bot.TextInline, Text: s}, {Kind: bot.LinkInline, Children: []bot.Inline{}}}
		blk := bot.Block{Kind: bot.BlockKind(s), Inlines: []bot.Inline{in}, Ordered: n > 0, Start: n}
		blk.Items = [][]bot.Block{{blk}, nil, {}}
		p := bot.Paper{Number: n, Title: s, ID: bot.ArxivID(s), Version: s, URL: s, AlphaxivURL: s, Line: n,
			Sections: []bot.Section{{Name: s, Blocks: []bot.Block{blk, {Kind: bot.ParagraphBlock}}, NoInfo: n%2 == 0, Line: -n}, {}}}
		if b := binRoundTrip(t, &p); b[0] != packBin {
			t.Errorf("packed as format %d", b[0])
		}
	})
}

// FuzzDecodeBinPaper: any input is an error or a paper, never a panic, and
// a paper it gives packs back to an equal one.
func FuzzDecodeBinPaper(f *testing.F) {
	p := richPaper()
	doc, _ := appendBinPaper(nil, &p)
	f.Add(doc)
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 2, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		var p bot.Paper
		if decodeBinPaper(string(b), &p) != nil {
			return
		}
		binRoundTrip(t, &p)
	})
}

// BenchmarkUnpackPaper reads back the sample posts' papers as the SQLite
// store packs them (the binary form) and as it packed them before (JSON in
// S2): a lookup by id is one of these.
func BenchmarkUnpackPaper(b *testing.B) {
	papers := []bot.Paper{richPaper()}
	for _, d := range examplePosts(b) {
		papers = append(papers, d.Papers...)
	}
	var bin, json [][]byte
	for i := range papers {
		p, err := PackPaper(&papers[i])
		if err != nil {
			b.Fatal(err)
		}
		bin = append(bin, p)
		json = append(json, packEncoder.Encode([]byte{packS2}, AppendPaper(nil, &papers[i])))
	}
	for _, c := range []struct {
		name   string
		packed [][]byte
	}{{"binary", bin}, {"json", json}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, p := range c.packed {
					var got bot.Paper
					if err := UnpackPaper(p, &got); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
