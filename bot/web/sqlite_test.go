package web

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/store/sqlite"
)

// TestSQLiteGolden runs the API against the real default store: the same
// answers as the in-memory fake, byte for byte.
func TestSQLiteGolden(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "paperbot.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ds := examples()
	files := make([]bot.FileState, len(ds))
	for i, d := range ds {
		files[i] = bot.FileState{Path: d.Path, Hash: d.Hash}
	}
	if err := st.SavePosts(ctx, ds, files); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, func(c *Config) { c.Store = st })
	for _, tc := range []struct{ name, target string }{
		{"paper", "/api/papers/2509.11111v2"},
		{"paper-old-style", "/api/papers/hep-th/9901001"},
		{"paper-korean", "/api/papers/2509.24006"},
		{"paper-unknown", "/api/papers/2401.00001"},
		{"search", "/api/papers?q=sparse"},
		{"search-by-id", "/api/papers?q=arXiv:2509.24006"},
		{"search-none", "/api/papers?q=quantum+gravity+cats"},
		{"digest-latest", "/api/digests/latest"},
		{"digest-date", "/api/digests/2025-09-29"},
		{"digest-none", "/api/digests/2024-01-01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := f.do(t, req{target: tc.target})
			if *update {
				return // the fake writes the golden files
			}
			golden(t, tc.name, w.Body.Bytes())
		})
	}
	if w := f.do(t, req{target: "/readyz"}); w.Code != 200 {
		t.Errorf("readyz on sqlite: %d", w.Code)
	}
	if w := f.do(t, req{target: "/", remote: "127.0.0.1:1"}); w.Code != 200 {
		t.Errorf("status page on sqlite: %d %s", w.Code, w.Body)
	}
	if w := f.do(t, req{target: "/posts/2025-09-29", remote: "127.0.0.1:1"}); w.Code != 200 {
		t.Errorf("preview on sqlite: %d %s", w.Code, w.Body)
	}
}
