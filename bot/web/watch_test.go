package web

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/source/folder"
	"github.com/paperbot/paperbot/formatter"
)

func watchPost(day, id, title string) string {
	return "---\ntitle: \"Daily Papers — " + day + "\"\ndate: " + day + " 08:15:00\n---\n\n# 1. [" + title + "](https://arxiv.org/abs/" + id + ")\n\n## Introduction\n\n- Goal: 확산 모델을 빠르게 한다.\n"
}

// TestWatchedFolderPickUp runs the engine as paperbot run does, on a folder
// of posts and SQLite, with a schedule that does not fire during the test:
// a post written between ticks is served by GET /api/papers/{id} within
// 2 s, found by the folder watch alone.
func TestWatchedFolderPickUp(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "2025-09-29-daily-papers.md"), []byte(watchPost("2025-09-29", "2509.00001", "First")), 0o644); err != nil {
		t.Fatal(err)
	}
	st, _ := sqliteFile(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	e := &bot.Engine{
		Store: st, Source: folder.New(dir, quiet), Parser: &formatter.Parser{Location: seoul},
		Location: seoul, Logger: quiet,
	}
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx, "0 0 1 1 *") }() // once a year: no tick but the first
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	f := newFixture(t, func(c *Config) { c.Store = st; c.Engine = e })
	deadline := time.Now().Add(10 * time.Second)
	for !e.Ready() {
		if time.Now().After(deadline) {
			t.Fatal("the engine never became ready")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if w := f.do(t, req{target: "/api/papers/2509.00001"}); w.Code != 200 {
		t.Fatalf("first post: %d %s", w.Code, w.Body)
	}

	if err := os.WriteFile(filepath.Join(dir, "2025-09-30-daily-papers.md"), []byte(watchPost("2025-09-30", "2509.00002", "Second")), 0o644); err != nil {
		t.Fatal(err)
	}
	written := time.Now()
	for {
		w := f.do(t, req{target: "/api/papers/2509.00002"})
		if w.Code == 200 {
			t.Logf("served %v after the write", time.Since(written).Round(time.Millisecond))
			break
		}
		if time.Since(written) > 2*time.Second {
			t.Fatalf("the new post is not served 2 s after it was written: %d %s", w.Code, w.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// An edit is picked up the same way.
	if err := os.WriteFile(filepath.Join(dir, "2025-09-30-daily-papers.md"), []byte(watchPost("2025-09-30", "2509.00002", "Second, edited")), 0o644); err != nil {
		t.Fatal(err)
	}
	written = time.Now()
	for {
		hit, err := st.Paper(ctx, "2509.00002")
		if err == nil && hit.Paper.Title == "Second, edited" {
			break
		}
		if time.Since(written) > 2*time.Second {
			t.Fatalf("the edit is not indexed 2 s after it was written: %+v, %v", hit, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
