package formatter

import (
	"strings"
	"testing"

	"github.com/paperbot/paperbot/bot"
)

func TestLint(t *testing.T) {
	t.Parallel()
	p := &Parser{}
	tests := []struct {
		name, post string
		want       []string
	}{
		{"clean", "# 1. [A](https://arxiv.org/abs/2510.00001)\n\n# 2. [B](https://arxiv.org/abs/2510.00002)\n", nil},
		{"no link", "# 1. [A](https://arxiv.org/abs/2510.00001)\n\n# 2. No link here\n", []string{"2025-10-01-p.md:3: paper 2 has no arXiv link"}},
		{"twice", "# 1. [A](https://arxiv.org/abs/2510.00001)\n\n# 2. [A again](https://arxiv.org/abs/2510.00001v2)\n",
			[]string{"2025-10-01-p.md:3: paper 2 is arXiv 2510.00001 again (first as paper 1 on line 1)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := p.Parse("2025-10-01-p.md", []byte(tt.post))
			if err != nil {
				t.Fatal(err)
			}
			got := Lint(d)
			if len(got) != len(tt.want) {
				t.Fatalf("Lint = %v, want %d findings", got, len(tt.want))
			}
			for i, w := range got {
				if !strings.HasPrefix(w.Error(), tt.want[i]) {
					t.Errorf("finding %d = %q, want it to start with %q", i, w.Error(), tt.want[i])
				}
			}
		})
	}
	// The parser refuses a post without papers; a digest from elsewhere
	// is still linted.
	if got := Lint(&bot.Digest{Path: "x.md"}); len(got) != 1 || !strings.HasPrefix(got[0].Error(), "x.md: no papers") {
		t.Errorf("Lint(no papers) = %v", got)
	}
}
