package rows

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/paperbot/paperbot/bot"
)

// checkAppendPaper fails unless AppendPaper writes json.Marshal's bytes.
func checkAppendPaper(t *testing.T, p *bot.Paper) {
	t.Helper()
	want, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	prefix := []byte("prefix")
	got := AppendPaper(prefix[:len(prefix):len(prefix)], p)
	if !bytes.Equal(got[len(prefix):], want) || string(got[:len(prefix)]) != "prefix" {
		t.Fatalf("AppendPaper:\ngot  %s\nwant %s", got, want)
	}
}

// edgePapers are papers whose shapes and strings json.Marshal treats
// specially: nil against empty slices, zero and negative numbers, escapes,
// HTML characters, invalid UTF-8, U+2028 and U+2029.
func edgePapers() []bot.Paper {
	odd := "q\"b\\s/b\bf\fn\nr\rt\t\x00\x1f\x7f <a&b> é \u2028\u2029 \xff\xfe 희소 \xed\xa0\x80 🧪 \ufffd"
	return []bot.Paper{
		{},
		{Number: -3, Line: -1, Sections: []bot.Section{}},
		// Valid UTF-8 takes a path of its own.
		{Title: "a\u2028b\u2029c \u2027\u202a희소 <&> \"q\" \n 🧪", Version: "\u2028", URL: "é\u2029"},
		{Title: odd, ID: bot.ArxivID(odd), Version: odd, URL: odd, AlphaxivURL: odd, Sections: []bot.Section{
			{Name: odd},
			{Name: "", Blocks: []bot.Block{}, NoInfo: true, Line: 2},
			{Blocks: []bot.Block{
				{},
				{Kind: bot.ParagraphBlock, Inlines: []bot.Inline{}},
				{Kind: bot.ListBlock, Items: [][]bot.Block{}},
				{Kind: bot.ListBlock, Ordered: true, Start: -2, Items: [][]bot.Block{nil, {}, {{Kind: bot.BlockKind(odd)}}}},
				{Kind: bot.ParagraphBlock, Inlines: []bot.Inline{
					{},
					{Kind: bot.StrongInline, Children: []bot.Inline{}},
					{Kind: bot.InlineKind(odd), Text: odd, URL: odd, Children: []bot.Inline{{Kind: bot.TextInline, Text: odd}}},
				}},
			}},
		}},
	}
}

func TestAppendPaper(t *testing.T) {
	t.Parallel()
	papers := append(edgePapers(), richPaper())
	for _, d := range append(examplePosts(t), richDigest()) {
		papers = append(papers, d.Papers...)
	}
	for i := range papers {
		checkAppendPaper(t, &papers[i])
	}
}

// TestAppendPaperFields fails when bot.Paper, Section, Block or Inline has
// a field that richPaper and edgePapers leave zero everywhere: a new field
// must be written by AppendPaper and shown to match json.Marshal.
func TestAppendPaperFields(t *testing.T) {
	t.Parallel()
	set := map[reflect.Type][]bool{}
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Slice:
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i))
			}
		case reflect.Struct:
			s := set[v.Type()]
			if s == nil {
				s = make([]bool, v.NumField())
				set[v.Type()] = s
			}
			for i := 0; i < v.NumField(); i++ {
				if !v.Field(i).IsZero() {
					s[i] = true
				}
				walk(v.Field(i))
			}
		}
	}
	for _, p := range append(edgePapers(), richPaper()) {
		walk(reflect.ValueOf(p))
	}
	for _, typ := range []reflect.Type{reflect.TypeFor[bot.Paper](), reflect.TypeFor[bot.Section](), reflect.TypeFor[bot.Block](), reflect.TypeFor[bot.Inline]()} {
		for i, ok := range set[typ] {
			if !ok {
				t.Errorf("%s.%s is zero in every test paper: does AppendPaper write it?", typ.Name(), typ.Field(i).Name)
			}
		}
		if set[typ] == nil {
			t.Errorf("no %s in the test papers", typ.Name())
		}
	}
}

// FuzzAppendPaper puts the input in every string of a paper (and its
// length in every number) and compares AppendPaper with json.Marshal.
func FuzzAppendPaper(f *testing.F) {
	for _, p := range append(edgePapers(), richPaper()) {
		f.Add(p.Title)
	}
	f.Add("\xe2\x80\xa8\xe2\x80")
	f.Add("\u2028x\u2029 희소")
	f.Fuzz(func(t *testing.T, s string) {
		n := len(s) - 5
		in := bot.Inline{Kind: bot.InlineKind(s), Text: s, URL: s}
		in.Children = []bot.Inline{in, {Kind: bot.TextInline, Text: s}}
		blk := bot.Block{Kind: bot.BlockKind(s), Inlines: []bot.Inline{in}, Ordered: n > 0, Start: n}
		blk.Items = [][]bot.Block{{blk}, nil}
		p := bot.Paper{Number: n, Title: s, ID: bot.ArxivID(s), Version: s, URL: s, AlphaxivURL: s, Line: n,
			Sections: []bot.Section{{Name: s, Blocks: []bot.Block{blk}, NoInfo: n%2 == 0, Line: -n}}}
		checkAppendPaper(t, &p)
	})
}

// BenchmarkPaperJSON compares AppendPaper with json.Marshal on the sample
// posts' papers and richPaper.
func BenchmarkPaperJSON(b *testing.B) {
	papers := []bot.Paper{richPaper()}
	for _, d := range examplePosts(b) {
		papers = append(papers, d.Papers...)
	}
	b.Run("AppendPaper", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			for i := range papers {
				buf = AppendPaper(buf[:0], &papers[i])
			}
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for i := range papers {
				if _, err := json.Marshal(&papers[i]); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	// PackPaper's compressor (s2block) against s2's own encoder at its
	// "better" level, which it replaced; packed/json is the size of the
	// packed papers against their JSON.
	docs := make([][]byte, len(papers))
	var size int
	for i := range papers {
		docs[i] = AppendPaper(nil, &papers[i])
		size += len(docs[i])
	}
	for _, c := range []struct {
		name   string
		encode func(dst, src []byte) []byte
	}{
		{"s2block", packEncoder.Encode},
		{"s2.EncodeBetter", func(dst, src []byte) []byte { return packS2Dict.EncodeBetter(dst[:cap(dst)], src) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			var packed int
			buf := make([]byte, 0, 1<<20)
			for b.Loop() {
				packed = 0
				for _, doc := range docs {
					packed += len(c.encode(buf[:0], doc))
				}
			}
			b.ReportMetric(float64(packed)/float64(size), "packed/json")
		})
	}
	b.Run("PackPaper", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for i := range papers {
				if _, err := PackPaper(&papers[i]); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
