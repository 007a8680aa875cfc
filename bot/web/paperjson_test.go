package web

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// checkPaperJSON fails unless appendJSON writes json.Marshal's bytes, or
// declines exactly where json.Marshal fails.
func checkPaperJSON(t *testing.T, p paperJSON) {
	t.Helper()
	want, err := json.Marshal(p)
	got, ok := p.appendJSON(nil)
	if err != nil {
		if ok {
			t.Fatalf("json.Marshal fails (%v) but appendJSON gave %s", err, got)
		}
		return
	}
	if !ok {
		t.Fatalf("appendJSON declined what json.Marshal encodes: %s", want)
	}
	if string(got) != string(want) {
		t.Fatalf("appendJSON:\n got %s\nwant %s", got, want)
	}
}

func TestPaperJSONMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	seoul := time.FixedZone("KST", 9*3600)
	base := paperJSON{
		ID: "2509.24006", Title: "SLA: Sparse–Linear Attention", URL: "https://arxiv.org/abs/2509.24006",
		AlphaxivURL: "https://www.alphaxiv.org/ko/overview/2509.24006", Number: 1,
		Sections: []sectionJSON{{Name: "Introduction", Text: "- Goal: 희소 어텐션\n- Motivation: x"}, {Name: "", Text: ""}},
		Post:     postJSON{Date: time.Date(2025, 9, 30, 8, 15, 0, 0, seoul), Title: "Daily Papers — 2025-09-30", Path: "_posts/2025-09-30-daily-papers.md"},
	}
	cases := map[string]func(p *paperJSON){
		"as is":           func(p *paperJSON) {},
		"html":            func(p *paperJSON) { p.Title = `<b>A & B</b> "quoted" \ back` },
		"controls":        func(p *paperJSON) { p.Title = "a\x00b\x01\b\f\n\r\t\x1f\x7f" },
		"invalid utf-8":   func(p *paperJSON) { p.Title = "ok \xff\xfe end \xe2\x82" },
		"line separators": func(p *paperJSON) { p.Sections[0].Text = "one\u2028two\u2029three" },
		"nil sections":    func(p *paperJSON) { p.Sections = nil },
		"empty sections":  func(p *paperJSON) { p.Sections = []sectionJSON{} },
		"negative number": func(p *paperJSON) { p.Number = -12 },
		"utc nanos":       func(p *paperJSON) { p.Post.Date = time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC) },
		"zero date":       func(p *paperJSON) { p.Post.Date = time.Time{} },
		"year 10000":      func(p *paperJSON) { p.Post.Date = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) },
		"emoji":           func(p *paperJSON) { p.Title = "🧪 test 𝔸" },
	}
	for name, mod := range cases {
		t.Run(name, func(t *testing.T) {
			p := base
			p.Sections = append([]sectionJSON(nil), base.Sections...)
			mod(&p)
			checkPaperJSON(t, p)
		})
	}
}

func FuzzPaperJSON(f *testing.F) {
	f.Add("2509.24006", "Title <&>", "- Goal: 희소\n", "_posts/x.md", int64(1759187700), 1)
	f.Add("", "\x00\xff\u2028", "\\\"", "", int64(-62135596800), -5)
	f.Fuzz(func(t *testing.T, id, title, text, path string, unix int64, n int) {
		p := paperJSON{
			ID: id, Title: title, URL: text, AlphaxivURL: path, Number: n,
			Sections: []sectionJSON{{Name: title, Text: text}},
			Post:     postJSON{Date: time.Unix(unix, int64(n)).In(time.FixedZone("", n%50400)), Title: text, Path: path},
		}
		checkPaperJSON(t, p)
	})
}

func BenchmarkPaperJSON(b *testing.B) {
	intro := strings.Repeat("- Goal: make attention sparse where it can be & linear elsewhere.\n", 8)
	method := strings.Repeat("희소 어텐션과 선형 어텐션을 결합하여 계산량을 줄인다. ", 20)
	p := paperJSON{ID: "2509.24006", Title: "A title of some length for a paper", Number: 3,
		Sections: []sectionJSON{{Name: "Introduction", Text: intro}, {Name: "Method", Text: method}},
		Post:     postJSON{Date: time.Now(), Title: "Daily Papers", Path: "_posts/2025-09-30-daily-papers.md"}}
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			buf, _ = p.appendJSON(buf[:0])
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = json.Marshal(p)
		}
	})
}
