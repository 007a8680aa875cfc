package web

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/bottest"
	"github.com/paperbot/paperbot/bot/bottest/golden"
	"github.com/paperbot/paperbot/bot/store/sqlite"
)

// sqliteFile opens a SQLite store in a temporary file, closed when the
// test ends, saves ds in it, and returns it with the file's path.
func sqliteFile(tb testing.TB, ds ...*bot.Digest) (*sqlite.Store, string) {
	tb.Helper()
	return sqliteStore(tb, bottest.SQLiteFile(tb), ds...)
}

// sqliteStore opens a SQLite store on path, closed when the test ends,
// saves ds in it, and returns it with path.
func sqliteStore(tb testing.TB, path string, ds ...*bot.Digest) (*sqlite.Store, string) {
	tb.Helper()
	st, err := sqlite.Open(context.Background(), path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	files := make([]bot.FileState, len(ds))
	for i, d := range ds {
		files[i] = bot.FileState{Path: d.Path, Hash: d.Hash}
	}
	if err := st.SavePosts(context.Background(), ds, files); err != nil {
		tb.Fatal(err)
	}
	return st, path
}

// TestSQLiteGolden runs the API against an in-memory SQLite database (what
// paperbot's one-shot commands scan into): the same answers as the
// fixture's store on a file, byte for byte.
func TestSQLiteGolden(t *testing.T) {
	t.Parallel()
	st, _ := sqliteStore(t, ":memory:", examples()...)
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
			if golden.Updating() {
				return // the fake writes the golden files
			}
			checkGolden(t, tc.name, w.Body.Bytes())
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

// BenchmarkStatusPage serves GET / from SQLite over an archive of 2,000
// posts (five years of daily posts) delivered to two targets: every
// record is read on each view, so this is the page's cost as it grows.
func BenchmarkStatusPage(b *testing.B) {
	ctx := context.Background()
	const n = 2000
	ds := make([]*bot.Digest, n)
	start := time.Date(2020, 1, 1, 8, 0, 0, 0, seoul)
	for i := range ds {
		day := start.AddDate(0, 0, i)
		ds[i] = &bot.Digest{Date: day, Title: "Daily Papers " + day.Format(time.DateOnly),
			Path: "_posts/" + day.Format(time.DateOnly) + "-daily-papers.md", Hash: fmt.Sprint(i),
			Papers: []bot.Paper{{Number: 1, Title: "A paper", ID: "2509.11111", URL: "https://arxiv.org/abs/2509.11111"}}}
	}
	st, _ := sqliteFile(b, ds...)
	for i, d := range ds {
		for _, t := range []string{"team", "lab"} {
			if err := st.PutDelivery(ctx, &bot.Delivery{Post: d.Path, Target: t, Key: bot.DeliveryKey(t, d.Path), State: bot.DeliverySent,
				Hash: d.Hash, Attempts: 1, UpdatedAt: d.Date.Add(time.Duration(i) * time.Second),
				Refs: []bot.MessageRef{{Channel: "C1", ID: fmt.Sprint(i)}}}); err != nil {
				b.Fatal(err)
			}
		}
	}
	f := newFixture(b, func(c *Config) { c.Store = st; c.Logger = slog.New(slog.DiscardHandler) })
	h := f.srv.Handler()
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "127.0.0.1:1"
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatal(w.Code, w.Body)
		}
	}
}

// TestDamagedPostFailsAlone: a post whose stored document cannot be
// decoded (and a post with one damaged paper) fail alone on every page: the
// API names the damaged post in its answer, a search leaves the damaged
// paper out, and the status and post pages show the damage instead of
// failing.
func TestDamagedPostFailsAlone(t *testing.T) {
	t.Parallel()
	st, path := sqliteFile(t, examples()...)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const broken, hurt, today = "_posts/2025-09-30-daily-papers.md", "_posts/2025-09-29-daily-papers.md", "_posts/2025-10-01-draft.md"
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`UPDATE posts SET digest = '{"title": 5}' WHERE path IN (?, ?)`, []any{broken, today}},
		{`UPDATE papers SET paper = x'00' WHERE post = ? AND idx = 0`, []any{hurt}},
	} {
		if _, err := db.Exec(q.sql, q.args...); err != nil {
			t.Fatal(err)
		}
	}
	f := newFixture(t, func(c *Config) { c.Store = st; c.ExpectBy = expectBy(t, "08:30") })
	for _, tc := range []struct{ target, names string }{
		{"/api/digests/latest", broken},
		{"/api/digests/2025-09-30", broken},
		{"/api/papers/2509.11111", hurt},
	} {
		w := f.do(t, req{target: tc.target})
		var body errorJSON
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != 500 || body.Code != bot.EUNREADABLE || !strings.Contains(body.Error, tc.names) {
			t.Errorf("GET %s = %d %s; want 500 naming %s as unreadable", tc.target, w.Code, w.Body, tc.names)
		}
	}
	if w := f.do(t, req{target: "/api/papers/2509.24006"}); w.Code != 200 {
		t.Errorf("a sound paper of the damaged post's day: %d %s", w.Code, w.Body)
	}
	w := f.do(t, req{target: "/api/papers?q=sparse"})
	if w.Code != 200 || strings.Contains(w.Body.String(), "2509.11111") || !strings.Contains(w.Body.String(), "2509.24006") {
		t.Errorf("search hitting a damaged paper = %d %s; want 200 without it", w.Code, w.Body)
	}
	for _, target := range []string{"/posts/2025-09-30", "/"} {
		w := f.do(t, req{target: target, remote: "127.0.0.1:1"})
		if w.Code != 200 || !strings.Contains(w.Body.String(), "is damaged in the store") {
			t.Errorf("GET %s = %d; want 200 showing the damage:\n%s", target, w.Code, w.Body)
		}
	}
}
