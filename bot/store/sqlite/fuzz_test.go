package sqlite_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/paperbot/paperbot/bot/store/internal/rows"
	"github.com/paperbot/paperbot/bot/store/sqlite"
	"github.com/paperbot/paperbot/bot/store/storetest"
)

// FuzzSearch feeds arbitrary user queries to SearchPapers: whatever a chat
// user types, the store answers without an error, and every hit contains
// every word of the query.
func FuzzSearch(f *testing.F) {
	for _, q := range []string{"sparse attention", "희소", "%", "_", `\`, "'; DROP TABLE papers; --", "a%b_c\\d", "\x00", "ǅ İ ß"} {
		f.Add(q)
	}
	s, err := sqlite.Open(context.Background(), ":memory:", nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	storetest.Load(f, s, storetest.GenPosts(5, 4, time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC), 3))
	f.Fuzz(func(t *testing.T, q string) {
		hits, err := s.SearchPapers(context.Background(), q, 5)
		if err != nil {
			t.Fatalf("SearchPapers(%q): %v", q, err)
		}
		for _, h := range hits {
			text := strings.ToLower(h.Paper.Title)
			for _, sec := range h.Paper.Sections {
				text += "\n" + strings.ToLower(sec.Name) + "\n" + strings.ToLower(sec.Text())
			}
			for _, w := range rows.Words(q) {
				if !strings.Contains(text, w) {
					t.Errorf("hit %s#%d lacks %q", h.Post.Path, h.Paper.Number, w)
				}
			}
		}
		if len(hits) > 5 {
			t.Errorf("%d hits over the limit", len(hits))
		}
	})
}
