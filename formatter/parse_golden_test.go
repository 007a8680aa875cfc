package formatter

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// examplePosts are the dated posts in examples/posts (README.md is skipped
// the way a source skips it: by PostName).
func examplePosts(t testing.TB) []string {
	t.Helper()
	all, err := filepath.Glob(filepath.Join("..", "examples", "posts", "*"))
	if err != nil {
		t.Fatal(err)
	}
	var posts []string
	for _, p := range all {
		if _, ok := PostName(filepath.Base(p)); ok {
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
			golden := filepath.Join("testdata", "model", strings.TrimSuffix(name, ".md")+".golden.json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./formatter -run Golden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s; rerun with -update if the change is intended:\n%s", name, golden, firstDiff(string(got), string(want)))
			}
		})
	}
}

// firstDiff shows the first differing line of two texts.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "line " + strconv.Itoa(i+1) + ":\n got: " + gl + "\nwant: " + wl
		}
	}
	return ""
}
