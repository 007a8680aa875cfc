package rows

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/formatter"
)

// checkSame decodes data with decode and with json.Unmarshal into zero
// values of T and fails unless the results are deeply equal and the errors
// the same.
func checkSame[T any](t *testing.T, data []byte, decode func([]byte, *T) error) {
	t.Helper()
	var want, got T
	werr := json.Unmarshal(data, &want)
	gerr := decode(data, &got)
	if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
		t.Fatalf("input %q:\nerror %v\nwant  %v", data, gerr, werr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("input %q:\ngot  %#v\nwant %#v", data, got, want)
	}
}

// checkFast fails unless the fast path's verdict on data is wantFast and,
// when it accepts, json.Unmarshal accepts data too and agrees on the value.
func checkFast[T any](t *testing.T, data []byte, fast func([]byte) (T, bool), wantFast bool) {
	t.Helper()
	if _, ok := fast(data); ok != wantFast {
		t.Fatalf("input %q: fast path ok = %v, want %v", data, ok, wantFast)
	}
	checkFastAgrees(t, data, fast)
}

type decodeCase struct {
	name string
	in   string
	fast bool // the fast path takes it; false: it declines, json.Unmarshal decides
}

var paperCases = []decodeCase{
	// Every field, and what json.Marshal writes.
	{"empty object", `{}`, true},
	{"scalars", `{"number":3,"title":"TileSparse","id":"2510.01234","version":"v2","url":"https://arxiv.org/abs/2510.01234v2","alphaxiv_url":"https://www.alphaxiv.org/ko/overview/2510.01234","line":7}`, true},
	{"empty sections", `{"number":1,"title":"t","sections":[]}`, true},
	{"absent sections", `{"number":1,"title":"t"}`, true},
	{"section fields", `{"sections":[{"name":"Introduction","blocks":[],"line":12},{"name":"Limitations","blocks":[{"kind":"paragraph","inlines":[{"kind":"text","text":"정보 부족"}]}],"no_info":true,"line":20},{"name":"x","no_info":false}]}`, true},
	{"paragraph inlines", `{"sections":[{"name":"Method","blocks":[{"kind":"paragraph","inlines":[{"kind":"text","text":"a "},{"kind":"strong","children":[{"kind":"text","text":"b"}]},{"kind":"emph","children":[{"kind":"code","text":"c"}]},{"kind":"math","text":"x^2"},{"kind":"break"},{"kind":"link","url":"https://example.com/?q=1","children":[{"kind":"text","text":"link"}]}]}]}]}`, true},
	{"empty inlines and children", `{"sections":[{"blocks":[{"kind":"paragraph","inlines":[]},{"kind":"paragraph","inlines":[{"kind":"strong","children":[]}]}]}]}`, true},
	{"nested lists", `{"sections":[{"name":"Method","blocks":[{"kind":"list","ordered":true,"start":3,"items":[[{"kind":"paragraph","inlines":[{"kind":"text","text":"one"}]},{"kind":"list","items":[[{"kind":"paragraph","inlines":[{"kind":"text","text":"one.a"}]}],[{"kind":"paragraph","inlines":[{"kind":"text","text":"one.b"}]},{"kind":"list","ordered":false,"items":[[]]}]]}],[{"kind":"paragraph","inlines":[{"kind":"text","text":"two"}]}]]}]}]}`, true},
	{"empty items", `{"sections":[{"blocks":[{"kind":"list","items":[]},{"kind":"list","items":[[],[]]}]}]}`, true},
	{"deep inline nesting", `{"title":"` + "x" + `","sections":[{"blocks":[{"kind":"paragraph","inlines":[` + strings.Repeat(`{"kind":"strong","children":[`, 40) + `{"kind":"text","text":"deep"}` + strings.Repeat(`]}`, 40) + `]}]}]}`, true},
	{"escapes", `{"title":"q\"b\\s\/b\bf\fn\nr\rt\t"}`, true},
	{"unicode escapes", `{"title":"Q\u0026A \u003cBench\u003e \u00e9\u2028\u0000\uffFD"}`, true},
	{"surrogate pair", `{"title":"\ud83e\uddea \uD83D\uDE00 \udbff\udfff"}`, true},
	{"escape first and last", `{"title":"\n","version":"a\t"}`, true},
	{"korean", `{"title":"희소 주의: 긴 문맥 디코딩을 위한 블록 건너뛰기 🧪","sections":[{"name":"소개","blocks":[{"kind":"paragraph","inlines":[{"kind":"text","text":"목표: 재학습 없이 비용 절감."}]}]}]}`, true},
	{"korean escaped", `{"title":"\ud76c\uc18c \uC8FC\uC758"}`, true},
	{"korean and escapes", `{"title":"희소 \u0026 주의\n끝"}`, true},
	{"raw U+2028 and U+FFFD", "{\"title\":\"a\u2028b\ufffdc\"}", true},
	{"whitespace", " \t\r\n{ \"number\" : 1 ,\n\t\"sections\" : [ { \"name\" : \"a\" , \"blocks\" : [ ] } ] , \"line\":2 }\n ", true},
	{"negative and zero", `{"number":-5,"line":0}`, true},
	{"minus zero", `{"number":-0}`, true},
	{"max int", `{"number":9223372036854775807,"line":-9223372036854775808}`, true},

	// Valid JSON that encoding/json decodes in its own way.
	{"unknown key", `{"number":1,"extra":{"a":[1,2]}}`, false},
	{"case-different key", `{"Number":1,"TITLE":"t"}`, false},
	{"escaped key", `{"titl\u0065":"x"}`, false},
	{"duplicate key", `{"title":"a","title":"b"}`, false},
	{"duplicate sections merge", `{"sections":[{"name":"a","line":1},{"name":"c"}],"sections":[{"name":"b"}]}`, false},
	{"duplicate inline key", `{"sections":[{"blocks":[{"kind":"paragraph","inlines":[{"kind":"text","kind":"code"}]}]}]}`, false},
	{"null", `null`, false},
	{"null field", `{"title":null}`, false},
	{"null sections", `{"sections":null}`, false},
	{"null element", `{"sections":[null]}`, false},
	{"null children", `{"sections":[{"blocks":[{"kind":"paragraph","inlines":[{"kind":"strong","children":null}]}]}]}`, false},
	{"lone high surrogate", `{"title":"\ud800"}`, false},
	{"lone low surrogate", `{"title":"\udc00x"}`, false},
	{"high surrogate then letter", `{"title":"\ud800\u0041"}`, false},
	{"two high surrogates", `{"title":"\ud800\ud800"}`, false},
	{"high surrogate then text", `{"title":"\ud83dabcdef"}`, false},
	{"invalid UTF-8", "{\"title\":\"a\xffb\"}", false},
	{"invalid UTF-8 after escape", "{\"title\":\"\\n\xe2\x82\"}", false},
	{"UTF-8 split by escape", "{\"title\":\"\xe2\\n\x82\xac\"}", false},
	{"encoded surrogate", "{\"title\":\"\xed\xa0\x80\"}", false},
	{"too deep", `{"sections":[{"blocks":[{"kind":"paragraph","inlines":[` + strings.Repeat(`{"kind":"strong","children":[`, 150) + strings.Repeat(`]}`, 150) + `]}]}]}`, false},

	// Invalid for bot.Paper: encoding/json fails.
	{"float into int", `{"number":1.0}`, false},
	{"exponent into int", `{"number":1e2}`, false},
	{"capital exponent into int", `{"line":1E2}`, false},
	{"overflow", `{"number":9223372036854775808}`, false},
	{"string into int", `{"number":"1"}`, false},
	{"bool into int", `{"number":true}`, false},
	{"number into string", `{"title":1}`, false},
	{"object into slice", `{"sections":{}}`, false},
	{"string into bool", `{"sections":[{"no_info":"true"}]}`, false},
	{"array at top", `[]`, false},
	{"string at top", `"x"`, false},
	{"leading zero", `{"number":01}`, false},
	{"plus sign", `{"number":+1}`, false},
	{"bare minus", `{"number":-}`, false},
	{"bad literal", `{"sections":[{"no_info":tru}]}`, false},
	{"literal run-on", `{"sections":[{"no_info":truex}]}`, false},
	{"control character", "{\"title\":\"a\x01b\"}", false},
	{"raw newline", "{\"title\":\"a\nb\"}", false},
	{"control character before escape", "{\"title\":\"a\x01\\n\"}", false},
	{"control character after escape", "{\"title\":\"\\na\x1fb\"}", false},
	{"bad escape", `{"title":"\x"}`, false},
	{"short unicode escape", `{"title":"\u12"}`, false},
	{"bad hex", `{"title":"\u12g4"}`, false},
	{"trailing garbage", `{} x`, false},
	{"two values", `{}{}`, false},
	{"trailing comma", `{"title":"a",}`, false},
	{"trailing comma in array", `{"sections":[{},]}`, false},
	{"leading comma", `{,"title":"a"}`, false},
	{"missing comma", `{"number":1 "title":"x"}`, false},
	{"missing colon", `{"title" "x"}`, false},
	{"unquoted key", `{title:"x"}`, false},
	{"single quotes", `{'title':'x'}`, false},
	{"truncated string", `{"title":"ab`, false},
	{"truncated escape", `{"title":"ab\`, false},
	{"truncated object", `{"sections":[{"name":"a"`, false},
	{"truncated after key", `{"title"`, false},
	{"empty", ``, false},
	{"only whitespace", " \n", false},
	{"byte order mark", "\ufeff{}", false},
}

var digestCases = []decodeCase{
	{"empty object", `{}`, true},
	{"all fields", `{"date":"2025-10-01T08:15:00+09:00","title":"Daily Papers — 2025-10-01","tags":["papers","huggingface"],"categories":[],"draft":true,"path":"_posts/2025-10-01-daily-papers.md","hash":"ab12","papers":[{"number":1,"title":"t","sections":[]},{"number":2,"title":"u","sections":[{"name":"a","blocks":[]}]}]}`, true},
	{"utc date", `{"date":"2025-10-01T08:15:00Z","papers":[]}`, true},
	{"fraction date", `{"date":"2025-10-01T08:15:00.123456789-07:00"}`, true},
	{"zero date", `{"date":"0001-01-01T00:00:00Z"}`, true},
	{"absent tags", `{"title":"x","papers":[]}`, true},
	{"null papers", `{"title":"x","papers":null}`, false},
	{"empty tags", `{"tags":[],"categories":[""]}`, true},
	{"tag escapes", `{"tags":["a\u0026b","희소","\ud83e\uddea"]}`, true},
	{"draft false", `{"draft":false}`, true},
	// PostgreSQL keeps digests as jsonb, whose text has its own key order,
	// spacing and escaping.
	{"jsonb output", `{"date": "2025-10-01T08:15:00+09:00", "tags": ["a", "b"], "draft": true, "title": "Q&A <B> \"x\" 희소", "papers": [{"title": "t\n\u0001", "number": 1, "sections": [{"name": "n", "blocks": [{"kind": "list", "items": [[{"kind": "paragraph", "inlines": []}]]}]}]}]}`, true},
	{"null date", `{"date":null}`, false},
	{"number date", `{"date":20251001}`, false},
	{"bad date", `{"date":"2025-13-01T08:15:00Z"}`, false},
	{"date without zone", `{"date":"2025-10-01T08:15:00"}`, false},
	{"escaped date", `{"date":"2025\u002d10-01T08:15:00Z"}`, false},
	{"date with control", "{\"date\":\"2025-10-01T08:15:00Z\x01\"}", false},
	{"unterminated date", `{"date":"2025-10-01T08:15:00Z`, false},
	{"duplicate papers", `{"papers":[{"number":1,"title":"a"}],"papers":[{"title":"b"}]}`, false},
	{"unknown key", `{"layout":"post"}`, false},
	{"case-different key", `{"Date":"2025-10-01T08:15:00Z"}`, false},
	{"null tag", `{"tags":[null]}`, false},
	{"number tag", `{"tags":[1]}`, false},
	{"bad paper", `{"papers":[{"number":"1"}]}`, false},
	{"trailing garbage", `{"title":"x"}]`, false},
	{"truncated", `{"papers":[`, false},
}

func TestDecodePaperCases(t *testing.T) {
	t.Parallel()
	for _, tc := range paperCases {
		t.Run(tc.name, func(t *testing.T) {
			checkSame(t, []byte(tc.in), decodePaperBytes)
			checkFast(t, []byte(tc.in), fastPaperBytes, tc.fast)
		})
	}
}

func TestDecodeDigestCases(t *testing.T) {
	t.Parallel()
	for _, tc := range digestCases {
		t.Run(tc.name, func(t *testing.T) {
			checkSame(t, []byte(tc.in), decodeDigestBytes)
			checkFast(t, []byte(tc.in), fastDigestBytes, tc.fast)
		})
	}
}

// TestDecodePaperOverwrites checks that *p is replaced, not merged into,
// on both paths.
func TestDecodePaperOverwrites(t *testing.T) {
	t.Parallel()
	for _, in := range []string{`{"title":"x"}`, `{"Title":"x"}`} {
		p := bot.Paper{Number: 9, Sections: []bot.Section{{Name: "old"}}}
		if err := DecodePaper(in, &p); err != nil {
			t.Fatal(err)
		}
		if want := (bot.Paper{Title: "x"}); !reflect.DeepEqual(p, want) {
			t.Errorf("DecodePaper(%s) over a used paper = %#v, want %#v", in, p, want)
		}
	}
}

// TestDecodeKeepsNoInput checks that the result does not share memory with
// the input, which callers may reuse.
func TestDecodeKeepsNoInput(t *testing.T) {
	t.Parallel()
	data := []byte(`{"title":"abc","sections":[{"name":"def"}]}`)
	var p bot.Paper
	if err := decodePaperBytes(data, &p); err != nil {
		t.Fatal(err)
	}
	for i := range data {
		data[i] = 'x'
	}
	if p.Title != "abc" || p.Sections[0].Name != "def" {
		t.Errorf("result changed with its input: %#v", p)
	}
}

// TestDecodeCappedSlices checks that slices carved from one chunk cannot
// overwrite each other through append.
func TestDecodeCappedSlices(t *testing.T) {
	t.Parallel()
	data := []byte(`{"sections":[{"blocks":[{"kind":"paragraph","inlines":[{"kind":"text","text":"a"}]},{"kind":"paragraph","inlines":[{"kind":"text","text":"b"}]}]}]}`)
	p, ok := fastPaperBytes(data)
	if !ok {
		t.Fatal("fast path declined")
	}
	b := p.Sections[0].Blocks
	_ = append(b[0].Inlines, bot.Inline{Kind: bot.TextInline, Text: "clobber"})
	if got := b[1].Inlines[0].Text; got != "b" {
		t.Errorf("second paragraph's text = %q after appending to the first's", got)
	}
}

// examplePosts parses the sample posts, in a +09:00 zone like the real
// deployment's so the dates carry an offset.
func examplePosts(t testing.TB) []*bot.Digest {
	t.Helper()
	paths, err := filepath.Glob("../../../../examples/posts/*.md")
	if err != nil {
		t.Fatal(err)
	}
	parser := &formatter.Parser{Location: time.FixedZone("KST", 9*60*60)}
	var out []*bot.Digest
	for _, path := range paths {
		if _, _, ok := bot.PostName(path); !ok {
			continue
		}
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		d, err := parser.Parse(filepath.Base(path), src)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		t.Fatal("no example posts found")
	}
	return out
}

// richDigest is a digest exercising every field, with Korean text, escapes
// and nested lists, in the shape the parser gives.
func richDigest() *bot.Digest {
	return &bot.Digest{
		Date:       time.Date(2025, 10, 1, 8, 15, 0, 0, time.FixedZone("KST", 9*60*60)),
		Title:      "Daily Papers — 2025-10-01",
		Tags:       []string{"papers", "huggingface", "논문"},
		Categories: []string{},
		Draft:      true,
		Path:       "_posts/2025-10-01-daily-papers.md",
		Hash:       "0f3c9a7d2e4b6c8a1f0e9d7c5b3a2918f7e6d5c4b3a29180f1e2d3c4b5a69788",
		Papers:     []bot.Paper{richPaper(), {Number: 2, Title: "Notes <Q&A>", Sections: []bot.Section{}}},
	}
}

func text(s string) bot.Inline { return bot.Inline{Kind: bot.TextInline, Text: s} }

func para(in ...bot.Inline) bot.Block { return bot.Block{Kind: bot.ParagraphBlock, Inlines: in} }

func bullets(items ...[]bot.Block) bot.Block { return bot.Block{Kind: bot.ListBlock, Items: items} }

// richPaper is a realistic paper of about 3 KB of JSON, mostly Korean, as
// the bot's posts are.
func richPaper() bot.Paper {
	return bot.Paper{
		Number:      1,
		Title:       "TileSparse: 긴 문맥 디코딩을 위한 블록 건너뛰기 어텐션 커널 🧪",
		ID:          "2510.01234",
		Version:     "v2",
		URL:         "https://arxiv.org/abs/2510.01234v2",
		AlphaxivURL: "https://www.alphaxiv.org/ko/overview/2510.01234",
		Line:        9,
		Sections: []bot.Section{
			{Name: "Introduction", Line: 13, Blocks: []bot.Block{bullets(
				[]bot.Block{para(text("Goal: 모델을 재학습하지 않고 긴 문맥 디코딩에서 어텐션 비용을 줄이는 것."))},
				[]bot.Block{para(text("Motivation: 128k 토큰 문맥에서 대부분의 어텐션 가중치는 0에 가깝지만, 밀집 커널은 여전히 모든 키 블록을 읽는다."))},
				[]bot.Block{para(text("Contribution: 저렴한 풀링 점수로 중요한 키 타일을 예측하고 나머지를 건너뛰는 "), bot.Inline{Kind: bot.StrongInline, Children: []bot.Inline{text("블록 건너뛰기 커널")}}, text("."))},
			)}},
			{Name: "Method", Line: 19, Blocks: []bot.Block{
				para(text("TileSparse는 각 키 타일을 하나의 벡터로 풀링하고, 쿼리와 타일의 점수를 계산해 헤드마다 상위 타일만 남긴다. 점수는 "), bot.Inline{Kind: bot.MathInline, Text: `s_j = q^\top \bar{k}_j / \sqrt{d}`}, text(" 로 계산한다.")),
				{Kind: bot.ListBlock, Ordered: true, Start: 1, Items: [][]bot.Block{
					{para(text("키 타일 풀링: "), bot.Inline{Kind: bot.CodeInline, Text: "mean(K[t:t+64])"})},
					{para(text("상위 타일 선택 (선택 단계는 밀집 커널의 약 3%)")), bullets(
						[]bot.Block{para(text("헤드별 top-k"))},
						[]bot.Block{para(bot.Inline{Kind: bot.EmphInline, Children: []bot.Inline{text("동적")}}, text(" 임계값"))},
					)},
					{para(text("Triton으로 작성한 "), bot.Inline{Kind: bot.LinkInline, URL: "https://github.com/triton-lang/triton", Children: []bot.Inline{text("커널")}}, text("에서 선택된 타일만 읽는다."))},
				}},
			}},
			{Name: "Results", Line: 27, Blocks: []bot.Block{
				para(text("70B 모델, 128k 문맥에서 디코딩이 "), bot.Inline{Kind: bot.StrongInline, Children: []bot.Inline{text("2.4배 빨라지고")}}, text(" perplexity 변화는 0.05 미만이다."), bot.Inline{Kind: bot.BreakInline}, text("Needle-in-a-haystack 검색 정확도는 99%를 유지한다.")),
			}},
			{Name: "Limitations", Line: 31, NoInfo: true, Blocks: []bot.Block{para(text("정보 부족"))}},
			{Name: "Conclusion", Line: 35, Blocks: []bot.Block{
				para(text("키 타일 전체를 건너뛰는 것은 긴 문맥 디코딩을 싸게 만드는 \"간단하고\" 학습이 필요 없는 방법이다 <Q&A>.")),
			}},
		},
	}
}

// TestDecodeRoundTrip decodes what json.Marshal makes of the sample posts
// and of a rich digest, compact and indented, and requires both the fast
// path and the result json.Unmarshal gives.
func TestDecodeRoundTrip(t *testing.T) {
	t.Parallel()
	digests := append(examplePosts(t), richDigest())
	papers := 0
	for _, d := range digests {
		for _, marshal := range []func(any) ([]byte, error){json.Marshal, indent} {
			data, err := marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			checkSame(t, data, decodeDigestBytes)
			checkFast(t, data, fastDigestBytes, true)
			for _, p := range d.Papers {
				data, err := marshal(p)
				if err != nil {
					t.Fatal(err)
				}
				checkSame(t, data, decodePaperBytes)
				checkFast(t, data, fastPaperBytes, true)
				papers++
			}
		}
		// What comes back is what went in, as far as JSON can tell (it
		// does not keep the zone's name, nor empty from nil slices under
		// omitempty).
		data, _ := json.Marshal(d)
		var got bot.Digest
		if err := decodeDigestBytes(data, &got); err != nil {
			t.Fatal(err)
		}
		again, _ := json.Marshal(&got)
		if string(again) != string(data) {
			t.Errorf("%s: round trip changed the digest:\ngot  %s\nwant %s", d.Path, again, data)
		}
	}
	t.Logf("%d digests, %d papers", len(digests), papers/2)
}

func indent(v any) ([]byte, error) { return json.MarshalIndent(v, "", "\t") }

// seed adds v's JSON to the fuzz corpus.
func seed(f *testing.F, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
}

func FuzzDecodePaper(f *testing.F) {
	seed(f, richPaper())
	for _, d := range examplePosts(f) {
		for _, p := range d.Papers {
			seed(f, p)
		}
	}
	for _, tc := range paperCases {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Besides the input as a document, try it as the inside of a
		// string and as a number, where byte-level mutations reach the
		// fast path's scanning far more often than in a whole document.
		for _, doc := range [][]byte{data, wrap(`{"title":"`, data, `"}`), wrap(`{"number":`, data, `}`)} {
			checkSame(t, doc, decodePaperBytes)
			checkFastAgrees(t, doc, fastPaperBytes)
		}
	})
}

func FuzzDecodeDigest(f *testing.F) {
	seed(f, richDigest())
	for _, d := range examplePosts(f) {
		seed(f, d)
	}
	for _, tc := range digestCases {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, doc := range [][]byte{data, wrap(`{"date":"`, data, `"}`), wrap(`{"tags":["`, data, `"]}`)} {
			checkSame(t, doc, decodeDigestBytes)
			checkFastAgrees(t, doc, fastDigestBytes)
		}
	})
}

func wrap(before string, data []byte, after string) []byte {
	return []byte(before + string(data) + after)
}

// checkFastAgrees fails if the fast path accepts data and json.Unmarshal
// rejects it or decodes something else. (checkSame cannot tell: the fallback
// is json.Unmarshal itself.)
func checkFastAgrees[T any](t *testing.T, data []byte, fast func([]byte) (T, bool)) {
	t.Helper()
	got, ok := fast(data)
	if !ok {
		return
	}
	var want T
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatalf("input %q: fast path accepted what json.Unmarshal rejects: %v", data, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("input %q:\nfast %#v\njson %#v", data, got, want)
	}
}

func BenchmarkDecodePaper(b *testing.B) {
	data, err := json.Marshal(richPaper())
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("paper: %d bytes of JSON", len(data))
	b.Run("fast", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			var p bot.Paper
			if err := decodePaperBytes(data, &p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			var p bot.Paper
			if err := json.Unmarshal(data, &p); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// The tests hold documents as bytes, as the fuzzers hand them out.
func decodePaperBytes(data []byte, p *bot.Paper) error   { return DecodePaper(string(data), p) }
func decodeDigestBytes(data []byte, d *bot.Digest) error { return DecodeDigest(string(data), d) }
func fastPaperBytes(data []byte) (bot.Paper, bool)       { return decodePaperFast(string(data)) }
func fastDigestBytes(data []byte) (bot.Digest, bool)     { return decodeDigestFast(string(data)) }
