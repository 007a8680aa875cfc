package source

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paperbot/paperbot/bot"
)

func FuzzPostName(f *testing.F) {
	f.Add("2025-09-30-daily-papers.md")
	f.Add("2025-02-29-x.markdown")
	f.Add("README.md")
	f.Fuzz(func(t *testing.T, name string) {
		date, _, ok := bot.PostName(name)
		if !ok {
			return
		}
		if !strings.HasPrefix(name, date+"-") {
			t.Fatalf("PostName(%q) date %q is not the name's prefix", name, date)
		}
		if _, err := time.Parse(time.DateOnly, date); err != nil {
			t.Fatalf("PostName(%q) accepted date %q: %v", name, date, err)
		}
		// A post name is always a valid single-element post path... unless hidden/odd.
		if !strings.ContainsAny(name, "/\\\x00") {
			if err := CheckPath(name); err != nil {
				t.Fatalf("CheckPath(%q) refused a post name: %v", name, err)
			}
		}
	})
}

func TestCheckPath(t *testing.T) {
	good := []string{"2025-09-30-a.md", "2025/2025-09-30-a.md", "_sub/2025-09-30-a.markdown"}
	for _, p := range good {
		if err := CheckPath(p); err != nil {
			t.Errorf("CheckPath(%q): %v", p, err)
		}
	}
	bad := []string{
		"", "README.md", "../2025-09-30-a.md", "/etc/2025-09-30-a.md", "a/b/2025-09-30-a.md",
		"./2025-09-30-a.md", "2025//2025-09-30-a.md", `2025\2025-09-30-a.md`, ".git/2025-09-30-a.md",
		"..", "2025/../2025-09-30-a.md", "2025-09-30-a.md/", "2025-09-30-a.md\x00",
	}
	for _, p := range bad {
		err := CheckPath(p)
		if err == nil {
			t.Errorf("CheckPath(%q) accepted it", p)
			continue
		}
		if bot.ErrorCode(err) != bot.EINVALID {
			t.Errorf("CheckPath(%q) code %q, want %q", p, bot.ErrorCode(err), bot.EINVALID)
		}
	}
}

func write(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func paths(files []bot.SourceFile) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.Path)
	}
	return out
}

func TestListDirAndReadFile(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	write(t, filepath.Join(dir, "2025-09-30-b.md"), "bbbb")
	write(t, filepath.Join(dir, "2025-09-29-a.markdown"), "a")
	write(t, filepath.Join(dir, "README.md"), "readme")
	write(t, filepath.Join(dir, "notes.txt"), "x")
	write(t, filepath.Join(dir, "2025/2025-01-02-sub.md"), "sub")
	write(t, filepath.Join(dir, "2025/deeper/2025-01-03-too-deep.md"), "deep")
	write(t, filepath.Join(dir, ".git/2025-01-04-hidden.md"), "hidden")
	write(t, filepath.Join(outside, "2025-01-05-secret.md"), "secret")
	if err := os.Mkdir(filepath.Join(dir, "2025-01-06-a-dir.md"), 0o755); err != nil {
		t.Fatal(err)
	}
	// A symlink inside the folder counts; one that leaves it does not.
	if err := os.Symlink("2025-09-30-b.md", filepath.Join(dir, "2025-09-28-link.md")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "2025-01-05-secret.md"), filepath.Join(dir, "2025-01-05-escape.md")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("2025-01-01-nowhere.md", filepath.Join(dir, "2025-01-07-dangling.md")); err != nil {
		t.Fatal(err)
	}
	mt := time.Date(2025, 9, 30, 8, 15, 0, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(dir, "2025-09-30-b.md"), mt, mt); err != nil {
		t.Fatal(err)
	}

	files, err := ListDir(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"2025-09-28-link.md", "2025-09-29-a.markdown", "2025-09-30-b.md", "2025/2025-01-02-sub.md"}
	if got := paths(files); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("ListDir = %q, want %q", got, want)
	}
	b := files[2]
	if b.Size != 4 || !b.ModTime.Equal(mt) {
		t.Errorf("ListDir %s: size %d mtime %s, want 4 and %s", b.Path, b.Size, b.ModTime, mt)
	}
	for _, f := range files {
		if _, err := ReadFile(dir, f.Path); err != nil {
			t.Errorf("ReadFile(%s): %v", f.Path, err)
		}
	}
	if got, err := ReadFile(dir, "2025/2025-01-02-sub.md"); err != nil || string(got) != "sub" {
		t.Errorf("ReadFile(sub) = %q, %v", got, err)
	}
	for _, p := range []string{"../" + filepath.Base(outside) + "/2025-01-05-secret.md", "2025-01-05-escape.md", "README.md", "2025/deeper/2025-01-03-too-deep.md", ".git/2025-01-04-hidden.md"} {
		if got, err := ReadFile(dir, p); err == nil {
			t.Errorf("ReadFile(%q) = %q, want an error", p, got)
		}
	}
	if _, err := ReadFile(dir, "2025-12-31-missing.md"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFile(missing) = %v, want fs.ErrNotExist", err)
	}
	if _, err := ReadFile(dir, "2025-01-06-a-dir.md"); err == nil {
		t.Error("ReadFile(a directory) succeeded")
	}
}

func TestListDirMissing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "no-such-posts")
	_, err := ListDir(dir, nil)
	if err == nil || !strings.Contains(err.Error(), dir) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("ListDir(missing) = %v, want an ErrNotExist naming %s", err, dir)
	}
	if strings.Count(err.Error(), dir) != 1 {
		t.Errorf("error names the folder more than once: %v", err)
	}
	file := filepath.Join(t.TempDir(), "file")
	write(t, file, "x")
	if _, err := ListDir(file, nil); err == nil || !strings.Contains(err.Error(), file) {
		t.Errorf("ListDir(a file) = %v, want an error naming it", err)
	}
	if _, err := ListDir("", nil); err == nil {
		t.Error("ListDir(\"\") succeeded")
	}
}

func TestReadFileTooBig(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "2025-01-01-big.md"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxPostSize + 1); err != nil { // sparse: no real disk use
		t.Fatal(err)
	}
	f.Close()
	if _, err := ReadFile(dir, "2025-01-01-big.md"); bot.ErrorCode(err) != bot.EINVALID {
		t.Errorf("ReadFile(too big) = %v, want EINVALID", err)
	}
}

func BenchmarkListDir(b *testing.B) {
	dir := b.TempDir()
	start := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 10000 {
		name := start.AddDate(0, 0, i).Format(time.DateOnly) + "-daily-papers.md"
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		files, err := ListDir(dir, nil)
		if err != nil || len(files) != 10000 {
			b.Fatal(len(files), err)
		}
	}
}
