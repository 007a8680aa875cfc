package rows

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/paperbot/paperbot/bot"
)

func TestIndexTokens(t *testing.T) {
	t.Parallel()
	got := IndexTokens("sparse-linear 주의", "sparse-linear 주의\nmethod\n확산을 95% snake_case 확산을")
	want := []string{"sparse", "§2d", "linear", "주의", "method", "확산을", "95", "§25", "snake", "§5f", "case",
		"¶sparse", "¶§2d", "¶linear", "¶주의"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("IndexTokens = %q\nwant %q", got, want)
	}
	long := strings.Repeat("가", 100)
	if got := IndexTokens("", long); len(got) != 1 || len([]rune(got[0])) != maxTokenRunes {
		t.Errorf("a 100-rune word indexes as %q", got)
	}
}

func TestLevel(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		q         string
		s         int
		fts5, tsq string
	}{
		{"확산", 1, `"¶확산"*`, `'¶확산':*`},
		{"확산", 0, `("확산"* NOT "¶확산"*)`, `('확산':* & !'¶확산':*)`},
		{"e_c", 0, `("§5f" AND "c"*)`, `('§5f' & 'c':*)`},
		// 95 may end a longer number: only the % is a term.
		{"sparse 95%", 2, `("¶sparse"* AND "¶§25")`, `('¶sparse':* & '¶§25')`},
		{"sparse 95%", 1, `(("¶sparse"* AND "§25") OR (("sparse"* AND "¶§25") NOT "¶sparse"*))`, ``},
	} {
		q := ParseQuery(tc.q)
		if got := q.Level(FTS5, tc.s); got != tc.fts5 {
			t.Errorf("Level(FTS5, %q, %d) = %s, want %s", tc.q, tc.s, got, tc.fts5)
		}
		if got := q.Level(TSQuery, tc.s); tc.tsq != "" && got != tc.tsq {
			t.Errorf("Level(TSQuery, %q, %d) = %s, want %s", tc.q, tc.s, got, tc.tsq)
		}
	}
}

func TestTitles(t *testing.T) {
	t.Parallel()
	q := ParseQuery("sparse 95% 확산")
	titles, anywhere := q.Titles(FTS5)
	if want := []string{`"¶sparse"*`, `"¶§25"`, `"¶확산"*`}; !reflect.DeepEqual(titles, want) {
		t.Errorf("Titles(FTS5) = %q, want %q", titles, want)
	}
	if want := `("sparse"* AND "§25" AND "확산"* AND ("¶sparse"* OR "¶§25" OR "¶확산"*))`; anywhere != want {
		t.Errorf("Titles(FTS5) anywhere = %s, want %s", anywhere, want)
	}
	if _, anywhere := q.Titles(TSQuery); anywhere != `('sparse':* & '§25' & '확산':* & ('¶sparse':* | '¶§25' | '¶확산':*))` {
		t.Errorf("Titles(TSQuery) anywhere = %s", anywhere)
	}
}

func TestMatch(t *testing.T) {
	t.Parallel()
	title, text := "sparse attention", "sparse attention\nmethod\n확산을 줄인다. 95% of snake_case"
	for _, tc := range []struct {
		q       string
		ok      bool
		inTitle int
	}{
		{"spa", true, 1},
		{"parse", false, 0},
		{"확산", true, 0},
		{"산을", false, 0},
		{"attention 확산", true, 1},
		{"5%", true, 0},
		{"e_c", true, 0},
		{"sparse attention", true, 2},
		{"\x01", false, 0},
	} {
		q := ParseQuery(tc.q)
		ok, n := q.Match(title, text)
		if q.Empty() {
			ok = false
		}
		if ok != tc.ok || n != tc.inTitle {
			t.Errorf("Match(%q) = %v, %d; want %v, %d", tc.q, ok, n, tc.ok, tc.inTitle)
		}
	}
}

func TestSortKey(t *testing.T) {
	t.Parallel()
	a := time.Date(2025, 9, 30, 23, 59, 59, 0, time.UTC)
	b := a.Add(time.Second)
	if SortKey(a, 8191) >= SortKey(b, 0) {
		t.Errorf("a later day sorts before the last slot of the day before")
	}
	for _, d := range []time.Time{time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC)} {
		lo, hi := SlotRange(d)
		if lo <= 0 || hi != lo+8191 || lo != SortKey(d.Add(time.Hour-time.Duration(d.Hour())*time.Hour), 0) {
			t.Errorf("SlotRange(%v) = %d, %d", d, lo, hi)
		}
	}
}

func TestPackPaper(t *testing.T) {
	t.Parallel()
	p := bot.Paper{Number: 3, Title: "희소 <attention> & \"quotes\"", ID: "2509.24006", URL: "https://arxiv.org/abs/2509.24006",
		Sections: []bot.Section{{Name: "Method", Blocks: []bot.Block{{Kind: bot.ParagraphBlock, Inlines: []bot.Inline{{Kind: bot.TextInline, Text: strings.Repeat("확산 모델 ", 200)}}}}, Line: 4}}}
	b, err := PackPaper(&p)
	if err != nil {
		t.Fatal(err)
	}
	var got bot.Paper
	if err := UnpackPaper(b, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, p) {
		t.Errorf("round trip: %+v", got)
	}
	// Papers packed as packFlate1, what PackPaper wrote before S2, still
	// read back (compress/flate writes the same format).
	doc, err := json.Marshal(&p)
	if err != nil {
		t.Fatal(err)
	}
	var old bytes.Buffer
	old.WriteByte(packFlate1)
	w, err := flate.NewWriterDict(&old, flate.BestSpeed, packDict)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(doc); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got = bot.Paper{}
	if err := UnpackPaper(old.Bytes(), &got); err != nil || !reflect.DeepEqual(got, p) {
		t.Errorf("paper packed by compress/flate: %+v, %v", got, err)
	}
	// And papers packed as packS2, JSON in S2, what PackPaper wrote before
	// the binary form.
	s2Packed := packEncoder.Encode([]byte{packS2}, doc)
	got = bot.Paper{}
	if err := UnpackPaper(s2Packed, &got); err != nil || !reflect.DeepEqual(got, p) {
		t.Errorf("paper packed as JSON in S2: %+v, %v", got, err)
	}
	if b[0] != packBin || len(b) >= len(doc)/2 || len(b) >= len(s2Packed) {
		t.Errorf("PackPaper wrote format %d in %d bytes; want the binary form (%d), under half the %d of its JSON and smaller than the %d of its JSON in S2",
			b[0], len(b), packBin, len(doc), len(s2Packed))
	}
	huge := binary.AppendUvarint([]byte{packS2}, maxUnpacked+1)
	hugeBin := binary.AppendUvarint([]byte{packBin}, maxUnpacked+1)
	for _, bad := range [][]byte{nil, {0}, {packFlate1, 0xff, 0xff}, append([]byte{4}, b[1:]...),
		{packS2}, {packBin}, b[:len(b)/2], s2Packed[:len(s2Packed)/2], append(huge, b[2:]...), append(hugeBin, b[2:]...)} {
		if err := UnpackPaper(bad, &got); err == nil {
			t.Errorf("UnpackPaper(%x) succeeded", bad)
		}
	}
}

// FuzzUnpackPaper: a damaged row is an error, never a panic, and a packed
// paper unpacks to what was packed.
func FuzzUnpackPaper(f *testing.F) {
	p := bot.Paper{Number: 1, Title: "희소 attention", Sections: []bot.Section{{Name: "Method", Blocks: []bot.Block{{Kind: bot.ParagraphBlock, Inlines: []bot.Inline{{Kind: bot.TextInline, Text: "확산 모델"}}}}}}}
	b, err := PackPaper(&p)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte{packFlate1, 0x4b, 0x04, 0x00})
	f.Add([]byte{packS2, 0x05, 0x10, 0x7b, 0x7d})
	f.Fuzz(func(t *testing.T, b []byte) {
		var p bot.Paper
		if UnpackPaper(b, &p) != nil {
			return
		}
		again, err := PackPaper(&p)
		if err != nil {
			t.Fatalf("PackPaper of an unpacked paper: %v", err)
		}
		var q bot.Paper
		if err := UnpackPaper(again, &q); err != nil || !reflect.DeepEqual(q, p) {
			t.Fatalf("repacked paper: %+v, %v; want %+v", q, err, p)
		}
	})
}

func TestExpand(t *testing.T) {
	t.Parallel()
	vocab := []string{"확산", "확산을", "확산의", "¶확산", "sparse", "sparsely"}
	terms := func(ctx context.Context, prefix string, max int) ([]string, bool, error) {
		var out []string
		for _, v := range vocab {
			if strings.HasPrefix(v, prefix) {
				out = append(out, v)
			}
		}
		return out, len(out) <= max, nil
	}
	for _, tc := range []struct {
		q    string
		s    int
		want string
	}{
		{"확산", 0, `(("확산" OR "확산을" OR "확산의") NOT "¶확산")`},
		{"확산", 1, `"¶확산"`},
		{"sparse", 1, `"§none"`},
		{"zzz", 0, `("§none" NOT "§none")`},
	} {
		q := ParseQuery(tc.q)
		if err := q.Expand(context.Background(), terms); err != nil {
			t.Fatal(err)
		}
		if got := q.Level(FTS5, tc.s); got != tc.want {
			t.Errorf("Level(%q, %d) = %s, want %s", tc.q, tc.s, got, tc.want)
		}
	}
	// Too many terms: the prefix query stays.
	q := ParseQuery("s")
	q.Expand(context.Background(), func(ctx context.Context, prefix string, max int) ([]string, bool, error) { return nil, false, nil })
	if got := q.Level(FTS5, 0); got != `("s"* NOT "¶s"*)` {
		t.Errorf("unexpanded Level = %s", got)
	}
}
