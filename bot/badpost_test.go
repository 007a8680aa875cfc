package bot_test

// A bad post fails alone (issue 9): over the real SQLite store and folder
// source, a post whose stored document cannot be decoded, and one whose
// lists nest too deep to store, fail with their reasons while every other
// post reaches every target, and the ticks after cost no reads of them.

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/source/folder"
	"github.com/paperbot/paperbot/bot/store/sqlite"

	_ "modernc.org/sqlite" // to damage a stored document by hand
)

// listTarget records the posts it was sent, in order.
type listTarget struct {
	name string
	mu   sync.Mutex
	sent []string
}

func (t *listTarget) Name() string { return t.name }
func (t *listTarget) Post(ctx context.Context, d *bot.Digest, key string) ([]bot.MessageRef, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sent = append(t.sent, d.Path)
	return []bot.MessageRef{{Channel: t.name, ID: strconv.Itoa(len(t.sent))}}, nil
}
func (t *listTarget) Recover(ctx context.Context, key string) ([]bot.MessageRef, error) {
	return nil, nil
}
func (t *listTarget) Edit(ctx context.Context, d *bot.Digest, key string, refs []bot.MessageRef) ([]bot.MessageRef, error) {
	return refs, nil
}
func (t *listTarget) list() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.sent)
}

// deepParser is lineParser plus "deep: N", which nests a list N levels
// deep in a Method section (a parser that does not flatten lists).
type deepParser struct{}

func (deepParser) Parse(path string, src []byte) (*bot.Digest, error) {
	d, err := lineParser{}.Parse(path, src)
	if err != nil {
		return nil, err
	}
	for i, line := range strings.Split(string(src), "\n") {
		if n, ok := strings.CutPrefix(line, "deep: "); ok {
			depth, _ := strconv.Atoi(n)
			blocks := []bot.Block{{Kind: bot.ParagraphBlock, Inlines: []bot.Inline{{Kind: bot.TextInline, Text: "bottom"}}}}
			for range depth {
				blocks = []bot.Block{{Kind: bot.ListBlock, Items: [][]bot.Block{blocks}}}
			}
			d.Papers = []bot.Paper{{Number: 1, Title: "Deep", Line: i + 1, Sections: []bot.Section{{Name: "Method", Line: i + 1, Blocks: blocks}}}}
		}
	}
	return d, nil
}

// readCounter counts the posts read back from the store.
type readCounter struct {
	bot.Store
	mu    sync.Mutex
	reads int
}

func (s *readCounter) Post(ctx context.Context, path string) (*bot.Digest, error) {
	s.mu.Lock()
	s.reads++
	s.mu.Unlock()
	return s.Store.Post(ctx, path)
}

func (s *readCounter) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

// folderAndStore makes a posts folder and a SQLite store in a temporary
// folder. damage overwrites a post's stored document behind the store's
// back, as a bug or a bad disk might.
func folderAndStore(tb testing.TB) (posts string, st *sqlite.Store, damage func(post, doc string)) {
	tb.Helper()
	dir := tb.TempDir()
	posts = filepath.Join(dir, "posts")
	if err := os.Mkdir(posts, 0o755); err != nil {
		tb.Fatal(err)
	}
	dbPath := filepath.Join(dir, "bot.db")
	st, err := sqlite.Open(context.Background(), dbPath, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return posts, st, func(post, doc string) {
		tb.Helper()
		db, err := sql.Open("sqlite", dbPath)
		if err != nil {
			tb.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(`UPDATE posts SET digest = ? WHERE path = ?`, doc, post); err != nil {
			tb.Fatal(err)
		}
	}
}

func TestBadPostFailsAlone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	posts, st, damage := folderAndStore(t)
	base := time.Date(2025, 9, 30, 8, 0, 0, 0, time.UTC)
	write := func(name string, day int, extra string) {
		t.Helper()
		body := fmt.Sprintf("date: %s\ntitle: %s\n%s", base.AddDate(0, 0, day).Format(time.RFC3339), name, extra)
		if err := os.WriteFile(filepath.Join(posts, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("2025-09-30-a.md", 0, "")
	write("2025-10-01-undecodable.md", 1, "")
	write("2025-10-02-deep.md", 2, "deep: 3400\n")
	write("2025-10-03-d.md", 3, "")

	a, b := &listTarget{name: "a"}, &listTarget{name: "b"}
	store := &readCounter{Store: st}
	e := &bot.Engine{
		Store: store, Source: folder.New(posts, nil), Parser: deepParser{},
		Targets: []bot.Target{a, b}, CatchUp: 100 * 365 * 24 * time.Hour, Holder: "test",
		Logger: testLog(t),
	}
	res, err := e.Scan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The deep post is refused at write time, as `file:line: reason`.
	if res.Failed != 1 || len(res.Errors) != 1 || !strings.HasPrefix(res.Errors[0], "2025-10-02-deep.md:3: ") ||
		!strings.Contains(res.Errors[0], "nested more than") {
		t.Fatalf("scan: %+v", res)
	}
	// Damage one stored document the way a pathological post did before
	// the write-time check: nesting past encoding/json's 10,000 levels.
	deep := `{"date":"2025-10-01T08:00:00Z","title":"x","path":"2025-10-01-undecodable.md","hash":"h","papers":[{"number":1,"title":"t","sections":[{"name":"Method","blocks":` +
		strings.Repeat(`[{"kind":"list","items":[`, 6000) + strings.Repeat(`]}]`, 6000) + `}]}]}`
	damage("2025-10-01-undecodable.md", deep)
	if _, err := st.Post(ctx, "2025-10-01-undecodable.md"); err == nil {
		t.Fatal("the damaged document still decodes")
	}

	if err := e.Tick(ctx); err != nil {
		t.Fatalf("the pass did not end normally: %v", err)
	}
	want := []string{"2025-09-30-a.md", "2025-10-03-d.md"}
	for _, tg := range []*listTarget{a, b} {
		if got := tg.list(); !slices.Equal(got, want) {
			t.Errorf("%s got %v, want %v", tg.name, got, want)
		}
		r, err := st.Delivery(ctx, "2025-10-01-undecodable.md", tg.name)
		if err != nil || r.State != bot.DeliveryFailed || !strings.Contains(r.LastError, "cannot be read") {
			t.Errorf("undecodable post on %s: %+v %v", tg.name, r, err)
		} else if strings.Count(r.LastError, "2025-10-01-undecodable.md") > 0 || strings.Count(r.LastError, "cannot be") != 1 {
			// The record names the post; its reason says "cannot be read"
			// once, not the store's and the engine's prefixes both.
			t.Errorf("undecodable post's recorded reason repeats itself: %q", r.LastError)
		}
		if _, err := st.Delivery(ctx, "2025-10-02-deep.md", tg.name); bot.ErrorCode(err) != bot.ENOTFOUND {
			t.Errorf("the refused post has a delivery on %s: %v", tg.name, err)
		}
	}
	// Between ticks nothing is read again: the failure is recorded until
	// the file changes.
	before := store.count()
	for range 3 {
		if err := e.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := store.count() - before; n != 0 {
		t.Errorf("%d posts read by 3 idle ticks, want 0", n)
	}
	// Fixed and rewritten: it goes out, after the others (it failed, so it
	// did not hold them).
	write("2025-10-01-undecodable.md", 1, "fixed: yes\n")
	if err := e.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tg := range []*listTarget{a, b} {
		if got := tg.list(); !slices.Equal(got, append(want, "2025-10-01-undecodable.md")) {
			t.Errorf("%s after the fix: %v", tg.name, got)
		}
	}
}

func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// BenchmarkIdleTickWithBadPost is the cost of a tick over a folder of 30
// posts, one of whose stored documents cannot be decoded and one refused
// at write time, after the first pass recorded them: what a bad post
// costs a bot between its posts.
func BenchmarkIdleTickWithBadPost(b *testing.B) {
	ctx := context.Background()
	posts, st, damage := folderAndStore(b)
	base := time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC)
	for i := range 30 {
		extra := ""
		if i == 7 {
			extra = "deep: 3400\n"
		}
		body := fmt.Sprintf("date: %s\ntitle: p%d\n%s", base.AddDate(0, 0, i).Format(time.RFC3339), i, extra)
		if err := os.WriteFile(filepath.Join(posts, fmt.Sprintf("p%02d.md", i)), []byte(body), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	e := &bot.Engine{
		Store: st, Source: folder.New(posts, nil), Parser: deepParser{},
		Targets: []bot.Target{&listTarget{name: "a"}, &listTarget{name: "b"}}, CatchUp: 100 * 365 * 24 * time.Hour,
		Holder: "bench", Logger: slog.New(slog.DiscardHandler),
	}
	if _, err := e.Scan(ctx); err != nil {
		b.Fatal(err)
	}
	damage("p03.md", strings.Repeat("[", 20000))
	if err := e.Tick(ctx); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := e.Tick(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
