package folder

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paperbot/paperbot/bot"
)

func write(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func paths(files []bot.SourceFile) string {
	var out []string
	for _, f := range files {
		out = append(out, f.Path)
	}
	return strings.Join(out, " ")
}

func TestListReadAndChanges(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "2025-09-30-daily-papers.md"), "---\ntitle: one\n---\n")
	write(t, filepath.Join(dir, "README.md"), "not a post")
	write(t, filepath.Join(dir, "2025", "2025-01-02-archived.md"), "old")
	s := New(dir, nil)
	if s.Dir() != dir {
		t.Errorf("Dir() = %q", s.Dir())
	}

	files, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := paths(files), "2025-09-30-daily-papers.md 2025/2025-01-02-archived.md"; got != want {
		t.Fatalf("List = %q, want %q", got, want)
	}
	b, err := s.Read(ctx, files[0].Path)
	if err != nil || !strings.Contains(string(b), "title: one") {
		t.Fatalf("Read = %q, %v", b, err)
	}

	// A new file appears; an edited one changes size and mtime.
	write(t, filepath.Join(dir, "2025-10-01-next.md"), "new")
	later := time.Now().Add(time.Minute)
	write(t, filepath.Join(dir, "2025-09-30-daily-papers.md"), "---\ntitle: one, edited\n---\n")
	if err := os.Chtimes(filepath.Join(dir, "2025-09-30-daily-papers.md"), later, later); err != nil {
		t.Fatal(err)
	}
	again, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := paths(again), "2025-09-30-daily-papers.md 2025-10-01-next.md 2025/2025-01-02-archived.md"; got != want {
		t.Fatalf("List after changes = %q, want %q", got, want)
	}
	if again[0].Size == files[0].Size || again[0].ModTime.Equal(files[0].ModTime) {
		t.Errorf("edited post: size %d->%d, mtime %s->%s", files[0].Size, again[0].Size, files[0].ModTime, again[0].ModTime)
	}
}

func TestReadRefusesOutsidePaths(t *testing.T) {
	ctx := context.Background()
	parent := t.TempDir()
	dir := filepath.Join(parent, "_posts")
	write(t, filepath.Join(dir, "2025-09-30-a.md"), "a")
	write(t, filepath.Join(parent, "2025-09-30-secret.md"), "secret")
	write(t, filepath.Join(parent, "_config.yml"), "secret")
	s := New(dir, nil)
	for _, p := range []string{
		"../2025-09-30-secret.md",
		"../_config.yml",
		filepath.Join(parent, "2025-09-30-secret.md"),
		"2025/../../2025-09-30-secret.md",
		"README.md",
	} {
		b, err := s.Read(ctx, p)
		if err == nil {
			t.Errorf("Read(%q) = %q, want an error", p, b)
		} else if bot.ErrorCode(err) != bot.EINVALID {
			t.Errorf("Read(%q) code %q, want %q (%v)", p, bot.ErrorCode(err), bot.EINVALID, err)
		}
	}
	if _, err := s.Read(ctx, "2025-09-29-gone.md"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Read(missing) = %v, want fs.ErrNotExist", err)
	}
}

func TestMissingDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "_posts")
	s := New(dir, nil)
	_, err := s.List(context.Background())
	if err == nil || !strings.Contains(err.Error(), dir) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("List(missing) = %v, want an ErrNotExist naming %s", err, dir)
	}
	// The folder may appear later (a mount, a first checkout).
	write(t, filepath.Join(dir, "2025-09-30-a.md"), "a")
	files, err := s.List(context.Background())
	if err != nil || len(files) != 1 {
		t.Fatalf("List after the folder appeared = %v, %v", files, err)
	}
}

func TestCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := New(t.TempDir(), nil)
	if _, err := s.List(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("List(canceled) = %v", err)
	}
	if _, err := s.Read(ctx, "2025-09-30-a.md"); !errors.Is(err, context.Canceled) {
		t.Errorf("Read(canceled) = %v", err)
	}
}

// TestFixture lists the real example post folder when the shared tree is
// next to the module.
func TestFixture(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "..", "shared", "fixtures", "posts")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("../shared not present: ", err)
	}
	s := New(dir, nil)
	files, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range files {
		if f.Path == "2025-09-30-daily-papers.md" {
			found = true
			b, err := s.Read(context.Background(), f.Path)
			if err != nil || int64(len(b)) != f.Size {
				t.Errorf("Read(%s) = %d bytes, %v; List said %d", f.Path, len(b), err, f.Size)
			}
		}
	}
	if !found {
		t.Errorf("fixture post not listed: %q", paths(files))
	}
}

// TestWatch: writes in the folder and in a subfolder made after the watch
// began are reported; removing the folder reports the watch lost.
func TestWatch(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := filepath.Join(t.TempDir(), "posts")
	write(t, filepath.Join(dir, "2025-09-30-a.md"), "a")
	events := make(chan bool, 100)
	if err := New(dir, nil).Watch(ctx, func(lost bool) { events <- lost }); err != nil {
		t.Fatal(err)
	}
	wait := func(what string, wantLost bool) {
		t.Helper()
		timeout := time.After(2 * time.Second)
		for {
			select {
			case lost := <-events:
				if lost == wantLost {
					return
				}
			case <-timeout:
				t.Fatalf("no event (lost=%v) for %s", wantLost, what)
			}
		}
	}
	write(t, filepath.Join(dir, "2025-10-01-b.md"), "b")
	wait("a new post", false)
	if err := os.Mkdir(filepath.Join(dir, "2025"), 0o755); err != nil {
		t.Fatal(err)
	}
	wait("a new subfolder", false)
	time.Sleep(50 * time.Millisecond) // the watcher adds the subfolder
	for len(events) > 0 {
		<-events
	}
	write(t, filepath.Join(dir, "2025", "2025-01-02-c.md"), "c")
	wait("a post in the new subfolder", false)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	wait("the folder removed", true)

	if err := New(filepath.Join(t.TempDir(), "missing"), nil).Watch(ctx, func(bool) {}); err == nil {
		t.Error("watching a missing folder succeeded")
	}
}
