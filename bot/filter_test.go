package bot

import "testing"

func TestFilterMatch(t *testing.T) {
	t.Parallel()
	d := &Digest{
		Title: "Daily Papers", Tags: []string{"papers", " Vision "}, Categories: []string{"daily"},
		Papers: []Paper{{Title: "Sparse Attention", Sections: []Section{{Name: "Method", Blocks: []Block{
			{Kind: ParagraphBlock, Inlines: []Inline{{Kind: TextInline, Text: "희소 어텐션 kernels"}}},
		}}}}},
	}
	tests := []struct {
		name string
		f    Filter
		want bool
	}{
		{"no filter", Filter{}, true},
		{"tag", Filter{Tags: []string{"vision"}}, true},
		{"category counts as tag", Filter{Tags: []string{"DAILY"}}, true},
		{"tag missing", Filter{Tags: []string{"audio"}}, false},
		{"keyword in title", Filter{Keywords: []string{"sparse"}}, true},
		{"keyword in section, Korean", Filter{Keywords: []string{"어텐션"}}, true},
		{"keyword missing", Filter{Keywords: []string{"speech"}}, false},
		{"blank keyword ignored", Filter{Keywords: []string{"  "}}, false},
		{"both must match", Filter{Tags: []string{"vision"}, Keywords: []string{"speech"}}, false},
		{"both match", Filter{Tags: []string{"vision"}, Keywords: []string{"kernels"}}, true},
	}
	for _, tt := range tests {
		if got := tt.f.Match(d); got != tt.want {
			t.Errorf("%s: Match = %v, want %v", tt.name, got, tt.want)
		}
	}
}
