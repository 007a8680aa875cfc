package formatter

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/paperbot/paperbot/bot"
)

// FuzzParse: on any input Parse returns a Digest or a *bot.PostError, and
// never panics or hangs (the recover in Parse would turn a panic into a
// PostError, so the test also rejects that reason).
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "examples", "posts", "*.md"))
	more, _ := filepath.Glob(filepath.Join("testdata", "posts", "*.md"))
	for _, path := range append(seeds, more...) {
		if src, err := os.ReadFile(path); err == nil {
			f.Add(filepath.Base(path), src)
		}
	}
	for _, s := range []string{
		"", "---", "---\n", "---\n---\n", "\ufeff---\r\n---\r\n# 1. [a](b)",
		"# 1. [$x$](https://arxiv.org/abs/2510.01234)\n> [Alphaxiv](x)\n## A\n정보 부족",
		"---\ndate: [\n---\n", "$$$$ $a$ $ $\\$ $$x$$", "# \\\n## \n- - -\n1. \n   2)",
		"&#xFFFFFFFF; &#0; &amp &; \\", "# 99999999999999999999. x",
	} {
		f.Add("2025-10-01-seed.md", []byte(s))
	}
	p := &Parser{Location: time.FixedZone("KST", 9*3600)}
	f.Fuzz(func(t *testing.T, name string, src []byte) {
		d, err := p.Parse(name, src)
		if err != nil {
			var pe *bot.PostError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T) is not a *bot.PostError", err, err)
			}
			if d != nil {
				t.Fatal("both a digest and an error")
			}
			if len(pe.Reason) > 20 && pe.Reason[:20] == "cannot be read: inte" {
				t.Fatalf("recovered panic: %v", err)
			}
			return
		}
		if d == nil {
			t.Fatal("no digest and no error")
		}
		if len(d.Papers) == 0 && !d.Draft {
			t.Fatal("a non-draft digest without papers")
		}
		for _, paper := range d.Papers {
			if paper.Sections == nil {
				t.Fatal("nil sections")
			}
			_ = paper.Goal()
			for _, s := range paper.Sections {
				_ = s.Text()
			}
		}
	})
}
