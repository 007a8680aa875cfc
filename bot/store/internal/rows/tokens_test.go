package rows

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/paperbot/paperbot/bot"
)

func paperOf(title string, texts ...string) *bot.Paper {
	p := &bot.Paper{Title: title}
	for i, s := range texts {
		p.Sections = append(p.Sections, bot.Section{Name: []string{"Method", "Results 2", "ÉTUDE"}[i%3],
			Blocks: []bot.Block{{Kind: bot.ParagraphBlock, Inlines: []bot.Inline{{Kind: bot.TextInline, Text: s}}},
				{Kind: bot.ListBlock, Ordered: true, Items: [][]bot.Block{{{Kind: bot.ParagraphBlock, Inlines: []bot.Inline{{Kind: bot.StrongInline, Children: []bot.Inline{{Kind: bot.TextInline, Text: s}}}}}}}}}})
	}
	return p
}

// PaperTokens must find exactly what IndexTokens finds in SearchText: the
// stores' indexes and the queries read against them depend on it.
func TestPaperTokens(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("가", 70) + strings.Repeat("A", 70)
	for _, p := range []*bot.Paper{
		paperOf(""),
		paperOf("Sparse-Linear 주의 ATTENTION", "Sparse-linear 주의\n확산을 95% snake_case 확산을 X²"),
		paperOf("İstanbul KELVIN \u212a ǅemal ΣΊΣΥΦΟΣ", "\u212aelvin Ⅻ roman Ⓐ circled ǄǅǆǇ \u0345 combining e\u0301 ＡＢＣ"),
		paperOf("bad\xffutf8 \xe2\x82", "ok\xffBAD\xc3 \ufffd replacement a\ufffdb", "\x00\x7f\u0085\u2028 tab\tnl\n"),
		paperOf(long, strings.ToUpper(long)+"Ab", "Ab"+long, strings.Repeat("a", 63)+"İ"+strings.Repeat("B", 5)),
	} {
		want := IndexTokens(SearchText(p))
		if got := PaperTokens(p); !reflect.DeepEqual(got, want) {
			t.Errorf("PaperTokens(%q) =\n%q\nwant %q", p.Title, got, want)
		}
	}
	// Every rune up to the planes with letters (past them, a sample),
	// inside a word and alone.
	var b strings.Builder
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if r > 0x20000 && r&0xfff != 0 {
			continue
		}
		if r&0xff == 0 {
			b.WriteString("\n")
		}
		b.WriteString("Aa")
		b.WriteRune(r)
		b.WriteString("Zz ")
		b.WriteRune(r)
		b.WriteString(" ")
	}
	p := paperOf(b.String()[:1<<16], b.String())
	if got, want := PaperTokens(p), IndexTokens(SearchText(p)); !reflect.DeepEqual(got, want) {
		t.Errorf("PaperTokens over every rune: %d tokens, want %d", len(got), len(want))
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				t.Errorf("first difference at %d: %q, want %q", i, got[i], want[i])
				break
			}
		}
	}
}

func FuzzPaperTokens(f *testing.F) {
	// Hangul led by ED (하, 한, 학; U+D7FF), a surrogate and an overlong
	// 3-byte form (both invalid), and a truncated rune.
	for _, s := range []string{"Sparse-Linear 주의", "İ\u212a ǅ", "ok\xffBAD", strings.Repeat("Ä", 80),
		"하한학 \ufa0e\ud7ff", "a\xed\xa0\x80b\xe0\x80\xafc", "한\xed\x9f"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, title, text string) {
		p := paperOf(title, text)
		if got, want := PaperTokens(p), IndexTokens(SearchText(p)); !reflect.DeepEqual(got, want) {
			t.Errorf("PaperTokens(%q, %q) = %q, want %q", title, text, got, want)
		}
	})
}

func BenchmarkPaperTokens(b *testing.B) {
	p := paperOf("Sparse Attention for 확산 Models", strings.Repeat("본 논문은 Sparse attention을 제안한다. The model (95%) improves 확산 모델의 성능. ", 40))
	b.Run("PaperTokens", func(b *testing.B) {
		for b.Loop() {
			PaperTokens(p)
		}
	})
	b.Run("IndexTokens(SearchText)", func(b *testing.B) {
		for b.Loop() {
			IndexTokens(SearchText(p))
		}
	})
}

// PostTokens gives each paper its PaperTokens, and the post every token of
// them once, in order.
func TestPostTokens(t *testing.T) {
	t.Parallel()
	papers := []bot.Paper{
		*paperOf("Sparse Attention", "희소 주의 sparse 95%"),
		*paperOf("", ""),
		*paperOf("Dense ATTENTION", "dense 주의 확산을 95%", "Sparse"),
	}
	tokens, terms := PostTokens(papers)
	var want []string
	seen := map[string]bool{}
	for i := range papers {
		pt := PaperTokens(&papers[i])
		if tokens[i] != strings.Join(pt, " ") {
			t.Errorf("paper %d: %q, want %q", i, tokens[i], pt)
		}
		for _, tok := range pt {
			if !seen[tok] {
				seen[tok] = true
				want = append(want, tok)
			}
		}
	}
	if !reflect.DeepEqual(terms, want) {
		t.Errorf("terms = %q, want %q", terms, want)
	}
}

// BenchmarkPostTokens tokenizes a post of 20 papers of about 2.5 KB, as
// the benchmark archive's are.
func BenchmarkPostTokens(b *testing.B) {
	papers := make([]bot.Paper, 20)
	for i := range papers {
		papers[i] = *paperOf(fmt.Sprintf("Sparse Attention %d for 확산 Models", i), strings.Repeat(fmt.Sprintf("본 논문은 Sparse attention을 제안한다 %d. The model (95%%) improves 확산 모델의 성능. ", i), 30))
	}
	b.ReportAllocs()
	for b.Loop() {
		PostTokens(papers)
	}
}

// TestTokenSet: the set finds every token it holds, at its index, through
// the tables it grows to, and nothing it does not hold; cleared, it holds
// nothing and drops a grown table.
func TestTokenSet(t *testing.T) {
	t.Parallel()
	s := newTokenSet()
	var toks []string
	const n = 40000 // grows the table five times, past what clear keeps
	for i := range n {
		tok := fmt.Sprintf("w%d", i)
		h := s.hash(tok)
		if _, ok := s.find(tok, h, toks); ok {
			t.Fatalf("%s found before it was added", tok)
		}
		s.insert(h, int32(len(toks)))
		toks = append(toks, tok)
	}
	for i, tok := range toks {
		if got, ok := s.find(tok, s.hash(tok), toks); !ok || got != int32(i) {
			t.Fatalf("%s: index %d, %v; want %d", tok, got, ok, i)
		}
	}
	if _, ok := s.find("w40000", s.hash("w40000"), toks); ok {
		t.Error("a token never added was found")
	}
	s.clear()
	if len(s.slots) != tokenSetSize || s.n != 0 {
		t.Errorf("cleared: %d slots, %d tokens; want %d, 0", len(s.slots), s.n, tokenSetSize)
	}
	if _, ok := s.find("w1", s.hash("w1"), toks); ok {
		t.Error("a token was found after clear")
	}
}

// A post with more distinct tokens than a new set's table holds gets the
// same tokens as IndexTokens finds, and so does the next post, read with
// the same (cleared) tokenizer.
func TestPostTokensManyWords(t *testing.T) {
	t.Parallel()
	var words []string
	for i := range 20000 {
		words = append(words, fmt.Sprintf("단어%d", i))
	}
	for _, papers := range [][]bot.Paper{
		{*paperOf("Many Words", strings.Join(words, " ")), *paperOf("Few", "few words 단어7")},
		{*paperOf("Next Post", "단어1 sparse")},
	} {
		tokens, _ := PostTokens(papers)
		for i := range papers {
			title, text := SearchText(&papers[i])
			if want := strings.Join(IndexTokens(title, text), " "); tokens[i] != want {
				t.Errorf("paper %q: %d bytes of tokens, want %d", papers[i].Title, len(tokens[i]), len(want))
			}
		}
	}
}
