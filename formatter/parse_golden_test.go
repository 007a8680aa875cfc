package formatter

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/bottest/golden"
)

// examplePosts are the dated posts in examples/posts (README.md is skipped
// the way a source skips it: by bot.PostName).
func examplePosts(t testing.TB) []string {
	t.Helper()
	all, err := filepath.Glob(filepath.Join("..", "examples", "posts", "*"))
	if err != nil {
		t.Fatal(err)
	}
	var posts []string
	for _, p := range all {
		if _, _, ok := bot.PostName(filepath.Base(p)); ok {
			posts = append(posts, p)
		}
	}
	if len(posts) < 3 {
		t.Fatalf("only %d example posts", len(posts))
	}
	return posts
}

// TestParseGolden compares the parsed model of every example post with
// testdata/model/<name>.golden.json; -update rewrites them.
func TestParseGolden(t *testing.T) {
	t.Parallel()
	p := &Parser{Location: seoul(t)}
	for _, path := range examplePosts(t) {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			d, err := p.Parse(name, src)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(d, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden.Check(t, filepath.Join("testdata", "model", strings.TrimSuffix(name, ".md")+".golden.json"), got)
		})
	}
}
