package bot

import "testing"

func TestParseArxivID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, id, version string
		ok              bool
	}{
		{"2509.24006", "2509.24006", "", true},
		{"2509.24006v2", "2509.24006", "v2", true},
		{" arXiv:2509.24006v1 ", "2509.24006", "v1", true},
		{"https://arxiv.org/abs/2509.24006", "2509.24006", "", true},
		{"https://arxiv.org/abs/2509.24006v3", "2509.24006", "v3", true},
		{"http://arxiv.org/pdf/2509.24006v1", "2509.24006", "v1", true},
		{"https://arxiv.org/pdf/2509.24006.pdf", "2509.24006", "", true},
		{"arxiv.org/abs/2509.24006", "2509.24006", "", true},
		{"https://www.alphaxiv.org/ko/overview/2509.24006", "2509.24006", "", true},
		{"https://www.alphaxiv.org/overview/2509.24006v2", "2509.24006", "v2", true},
		{"https://www.alphaxiv.org/abs/2509.24006", "2509.24006", "", true},
		{"<https://arxiv.org/abs/2509.24006>", "2509.24006", "", true},
		{"hep-th/9901001", "hep-th/9901001", "", true},
		{"hep-th/9901001v2", "hep-th/9901001", "v2", true},
		{"https://arxiv.org/abs/hep-th/9901001", "hep-th/9901001", "", true},
		{"math.GT/0309136", "math.GT/0309136", "", true},
		{"0704.0001", "0704.0001", "", true},
		{"", "", "", false},
		{"sparse attention", "", "", false},
		{"2509.240", "", "", false},
		{"https://example.com/abs/2509.24006", "", "", false},
		{"https://arxiv.org/list/cs.AI", "", "", false},
		{"https://arxiv.org/abs/garbage", "", "", false},
	}
	for _, tt := range tests {
		id, v, ok := ParseArxivID(tt.in)
		if string(id) != tt.id || v != tt.version || ok != tt.ok {
			t.Errorf("ParseArxivID(%q) = %q, %q, %v; want %q, %q, %v", tt.in, id, v, ok, tt.id, tt.version, tt.ok)
		}
	}
}

func FuzzParseArxivID(f *testing.F) {
	for _, s := range []string{"2509.24006v2", "https://arxiv.org/abs/hep-th/9901001", "https://www.alphaxiv.org/ko/overview/2509.24006", "%zz://"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, _, ok := ParseArxivID(s)
		if ok != (id != "") {
			t.Fatalf("ParseArxivID(%q): ok=%v but id=%q", s, ok, id)
		}
		if ok {
			// A normalised id parses to itself: lookups by any form agree.
			again, v, ok2 := ParseArxivID(string(id))
			if !ok2 || again != id || v != "" {
				t.Fatalf("id %q does not round-trip: %q %q %v", id, again, v, ok2)
			}
		}
	})
}

func TestParseQuery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    string
		kind  QueryKind
		id    ArxivID
		words string
	}{
		{"", QueryHelp, "", ""},
		{"  help ", QueryHelp, "", ""},
		{"2509.24006", QueryID, "2509.24006", ""},
		{"https://arxiv.org/pdf/2509.24006v1", QueryID, "2509.24006", ""},
		{"sparse   attention", QueryWords, "", "sparse attention"},
		{"희소", QueryWords, "", "희소"},
		{"2509.24006 attention", QueryWords, "", "2509.24006 attention"},
	}
	for _, tt := range tests {
		q := ParseQuery(tt.in)
		if q.Kind != tt.kind || q.ID != tt.id || q.Words != tt.words {
			t.Errorf("ParseQuery(%q) = %+v", tt.in, q)
		}
	}
}

func TestGoal(t *testing.T) {
	t.Parallel()
	para := func(s string) Block {
		return Block{Kind: ParagraphBlock, Inlines: []Inline{{Kind: TextInline, Text: s}}}
	}
	list := func(items ...string) Block {
		b := Block{Kind: ListBlock}
		for _, it := range items {
			b.Items = append(b.Items, []Block{para(it)})
		}
		return b
	}
	tests := []struct {
		name string
		secs []Section
		want string
	}{
		{"labelled", []Section{{Name: "Introduction", Blocks: []Block{list("Motivation: why.", "Goal: the aim. More.")}}}, "the aim. More."},
		{"unlabelled bullets", []Section{{Name: "Introduction", Blocks: []Block{list("First aim here. Second.", "Other.")}}}, "First aim here."},
		{"paragraph", []Section{{Name: "Introduction", Blocks: []Block{para("One sentence. Two.")}}}, "One sentence."},
		{"no intro", []Section{{Name: "Method", Blocks: []Block{para("We do X. Then Y.")}}}, "We do X."},
		{"no info", []Section{{Name: "Introduction", NoInfo: true, Blocks: []Block{para("N/A")}}}, ""},
		{"nothing", nil, ""},
	}
	for _, tt := range tests {
		p := Paper{Sections: tt.secs}
		if got := p.Goal(); got != tt.want {
			t.Errorf("%s: Goal() = %q, want %q", tt.name, got, tt.want)
		}
	}
}
