package git

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/bottest"
	"github.com/paperbot/paperbot/bot/store/sqlite"
)

// remote is a local repository the tests commit to and the source clones
// over file://.
type remote struct {
	t    *testing.T
	dir  string
	repo *gogit.Repository
	n    int
}

func newRemote(t *testing.T, branch string) *remote {
	t.Helper()
	// go-git's file:// transport runs git-upload-pack.
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git binary not installed: go-git's file:// transport needs git-upload-pack")
	}
	dir := t.TempDir()
	r, err := gogit.PlainInitWithOptions(dir, &gogit.PlainInitOptions{
		InitOptions: gogit.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName(branch)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &remote{t: t, dir: dir, repo: r}
}

func (r *remote) url() string { return "file://" + filepath.ToSlash(r.dir) }

// commit writes files (path -> body; "" deletes) and commits them.
func (r *remote) commit(files map[string]string) plumbing.Hash {
	r.t.Helper()
	wt, err := r.repo.Worktree()
	if err != nil {
		r.t.Fatal(err)
	}
	for p, body := range files {
		full := filepath.Join(r.dir, filepath.FromSlash(p))
		if body == "" {
			if _, err := wt.Remove(p); err != nil {
				r.t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			r.t.Fatal(err)
		}
		if _, err := wt.Add(p); err != nil {
			r.t.Fatal(err)
		}
	}
	r.n++
	h, err := wt.Commit("commit "+string(rune('0'+r.n)), &gogit.CommitOptions{
		Author: &object.Signature{Name: "Author", Email: "author@example.com", When: time.Date(2025, 9, 30, 8, r.n, 0, 0, time.UTC)},
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return h
}

func paths(files []bot.SourceFile) string {
	var out []string
	for _, f := range files {
		out = append(out, f.Path)
	}
	return strings.Join(out, " ")
}

// newLogger logs at debug level into a buffer the test can read.
func newLogger() (*slog.Logger, *bottest.Buffer) {
	buf := &bottest.Buffer{}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

func TestCloneListPullAndReset(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rem := newRemote(t, "main")
	rem.commit(map[string]string{
		"_posts/2025-09-29-first.md":        "first",
		"_posts/README.md":                  "not a post",
		"_posts/2025/2025-01-02-archive.md": "archive",
		"index.md":                          "site",
	})
	logger, logs := newLogger()
	clone := filepath.Join(t.TempDir(), "data", "posts.git")
	s := New(Options{URL: rem.url(), Dir: clone}, logger)

	files, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := paths(files), "2025-09-29-first.md 2025/2025-01-02-archive.md"; got != want {
		t.Fatalf("first List = %q, want %q", got, want)
	}
	if !strings.Contains(logs.String(), "git source cloned") {
		t.Errorf("no clone log line:\n%s", logs)
	}
	if b, err := s.Read(ctx, "2025-09-29-first.md"); err != nil || string(b) != "first" {
		t.Fatalf("Read = %q, %v", b, err)
	}

	// A new commit adds a post and edits one: the next List shows both.
	h2 := rem.commit(map[string]string{
		"_posts/2025-09-30-second.md": "second",
		"_posts/2025-09-29-first.md":  "first, edited",
	})
	files, err = s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := paths(files), "2025-09-29-first.md 2025-09-30-second.md 2025/2025-01-02-archive.md"; got != want {
		t.Fatalf("List after a commit = %q, want %q", got, want)
	}
	if files[0].Size != int64(len("first, edited")) {
		t.Errorf("edited post size %d", files[0].Size)
	}
	if b, err := s.Read(ctx, "2025-09-30-second.md"); err != nil || string(b) != "second" {
		t.Fatalf("Read(new) = %q, %v", b, err)
	}
	if got := s.Commit(); got != h2.String()[:12] {
		t.Errorf("Commit() = %q, want %q", got, h2.String()[:12])
	}

	// A deletion upstream removes the file from the clone.
	rem.commit(map[string]string{"_posts/2025-09-29-first.md": ""})
	files, err = s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := paths(files), "2025-09-30-second.md 2025/2025-01-02-archive.md"; got != want {
		t.Fatalf("List after a deletion = %q, want %q", got, want)
	}

	// Fetches keep the clone shallow: it never pulls the whole history.
	if _, err := os.Stat(filepath.Join(clone, ".git", "shallow")); err != nil {
		t.Errorf("the clone is not shallow: %v", err)
	}

	// Nothing new: still fine, and no work beyond the fetch.
	if _, err := s.List(ctx); err != nil {
		t.Fatal(err)
	}

	// Local damage to the clone is undone by a fresh process's first List.
	if err := os.WriteFile(filepath.Join(clone, "_posts", "2025-09-30-second.md"), []byte("scribbled"), 0o644); err != nil {
		t.Fatal(err)
	}
	s2 := New(Options{URL: rem.url(), Dir: clone}, logger)
	if _, err := s2.List(ctx); err != nil {
		t.Fatal(err)
	}
	if b, err := s2.Read(ctx, "2025-09-30-second.md"); err != nil || string(b) != "second" {
		t.Fatalf("Read after reopen = %q, %v; want the committed text", b, err)
	}
	if strings.Count(logs.String(), "git source cloned") != 1 {
		t.Errorf("reopening cloned again:\n%s", logs)
	}
}

func TestRemoteGoneKeepsLastGoodCopy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rem := newRemote(t, "main")
	h := rem.commit(map[string]string{"_posts/2025-09-29-first.md": "first"})
	logger, logs := newLogger()
	s := New(Options{URL: rem.url(), Dir: filepath.Join(t.TempDir(), "clone")}, logger)
	if _, err := s.List(ctx); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(rem.dir); err != nil {
		t.Fatal(err)
	}
	files, err := s.List(ctx)
	if err != nil {
		t.Fatalf("List with the remote gone = %v, want the last good copy", err)
	}
	if got := paths(files); got != "2025-09-29-first.md" {
		t.Fatalf("List with the remote gone = %q", got)
	}
	want := "pull failed, using last good copy at " + h.String()[:12]
	if !strings.Contains(logs.String(), want) || !strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("log lacks a warning %q:\n%s", want, logs)
	}
	if b, err := s.Read(ctx, "2025-09-29-first.md"); err != nil || string(b) != "first" {
		t.Errorf("Read with the remote gone = %q, %v", b, err)
	}
}

func TestOtherBranchAndPath(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rem := newRemote(t, "posts")
	rem.commit(map[string]string{
		"blog/_posts/2025-09-30-a.md": "a",
		"_posts/2025-09-30-wrong.md":  "wrong folder",
	})
	s := New(Options{URL: rem.url(), Branch: "posts", Path: "blog/_posts/", Dir: filepath.Join(t.TempDir(), "c")}, quiet)
	files, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := paths(files); got != "2025-09-30-a.md" {
		t.Fatalf("List = %q", got)
	}

	// A missing branch is an error on first clone.
	bad := New(Options{URL: rem.url(), Branch: "nope", Dir: filepath.Join(t.TempDir(), "d")}, quiet)
	if _, err := bad.List(ctx); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("List(missing branch) = %v, want an error naming it", err)
	}
	// A missing posts folder names the folder.
	noPath := New(Options{URL: rem.url(), Branch: "posts", Path: "missing", Dir: filepath.Join(t.TempDir(), "e")}, quiet)
	if _, err := noPath.List(ctx); err == nil || !strings.Contains(err.Error(), "missing") || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("List(missing path) = %v, want an ErrNotExist naming the folder", err)
	}
}

func TestChangedURLAndBranchReuseClone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := newRemote(t, "main")
	a.commit(map[string]string{"_posts/2025-09-30-a.md": "a"})
	b := newRemote(t, "trunk")
	b.commit(map[string]string{"_posts/2025-10-01-b.md": "b"})
	clone := filepath.Join(t.TempDir(), "clone")
	if _, err := New(Options{URL: a.url(), Dir: clone}, quiet).List(ctx); err != nil {
		t.Fatal(err)
	}
	files, err := New(Options{URL: b.url(), Branch: "trunk", Dir: clone}, quiet).List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := paths(files); got != "2025-10-01-b.md" {
		t.Fatalf("List after the URL and branch changed = %q", got)
	}
}

func TestReadRefusesPathsOutsidePosts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rem := newRemote(t, "main")
	rem.commit(map[string]string{
		"_posts/2025-09-30-a.md": "a",
		"2025-09-30-top.md":      "outside _posts",
	})
	s := New(Options{URL: rem.url(), Dir: filepath.Join(t.TempDir(), "c")}, quiet)
	if _, err := s.List(ctx); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"../2025-09-30-top.md", "../.git/config", "/etc/passwd", "README.md"} {
		if b, err := s.Read(ctx, p); err == nil || bot.ErrorCode(err) != bot.EINVALID {
			t.Errorf("Read(%q) = %q, %v; want EINVALID", p, b, err)
		}
	}
}

func TestPostsFolderSymlinkOutsideRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rem := newRemote(t, "main")
	// The clone will be base/c; the link in the repository reaches base/outside.
	base := t.TempDir()
	outside := filepath.Join(base, "outside")
	if err := os.Mkdir(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "2025-09-30-secret.md"), []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../outside", filepath.Join(rem.dir, "_posts")); err != nil {
		t.Fatal(err)
	}
	wt, err := rem.repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wt.Add("_posts"); err != nil {
		t.Fatal(err)
	}
	rem.commit(map[string]string{"other.md": "x"})
	clone := filepath.Join(base, "c")
	s := New(Options{URL: rem.url(), Dir: clone}, quiet)
	files, err := s.List(ctx)
	if target, err := os.Readlink(filepath.Join(clone, "_posts")); err != nil || target != "../outside" {
		t.Fatalf("the clone's _posts is not the test's link: %q, %v", target, err)
	}
	if err == nil || !strings.Contains(err.Error(), "outside the clone") {
		t.Fatalf("List with _posts linking outside = %q, %v; want an error", paths(files), err)
	}
	if b, err := s.Read(ctx, "2025-09-30-secret.md"); err == nil {
		t.Fatalf("Read through an outside link = %q", b)
	}
}

func TestSecretsNeverLogged(t *testing.T) {
	t.Parallel()
	const token = "ghp_SECRETTOKEN0123456789"
	const password = "hunter2-password"
	var mu sync.Mutex
	var sawAuth bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pw, ok := r.BasicAuth(); ok && (pw == token || pw == password) {
			mu.Lock()
			sawAuth = true
			mu.Unlock()
		}
		http.Error(w, "boom", http.StatusInternalServerError)
	}))
	defer srv.Close()
	for _, o := range []Options{
		{URL: srv.URL + "/team/blog.git", Token: token},
		{URL: strings.Replace(srv.URL, "http://", "http://user:"+password+"@", 1) + "/team/blog.git"},
		{URL: strings.Replace(srv.URL, "http://", "http://"+token+"@", 1) + "/team/blog.git"},
	} {
		logger, logs := newLogger()
		o.Dir = filepath.Join(t.TempDir(), "c")
		s := New(o, logger)
		_, err := s.List(context.Background())
		if err == nil {
			t.Fatalf("List against a failing server succeeded")
		}
		for _, secret := range []string{token, password} {
			if strings.Contains(err.Error(), secret) || strings.Contains(logs.String(), secret) {
				t.Errorf("secret leaked:\nerr: %v\nlogs: %s", err, logs)
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if !sawAuth {
		t.Error("the token was never sent to the server")
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	ok := Options{URL: "https://example.invalid/blog.git", Dir: "/tmp/x"}
	if err := ok.Validate(); err != nil {
		t.Errorf("Validate(%+v): %v", ok, err)
	}
	for _, o := range []Options{
		{Dir: "/tmp/x"},
		{URL: "https://example.invalid/blog.git"},
		{URL: "u", Dir: "d", Path: "../up"},
		{URL: "u", Dir: "d", Path: "/abs"},
		{URL: "u", Dir: "d", Path: ".git"},
		{URL: "u", Dir: "d", Path: "a/../b"},
		{URL: "u", Dir: "d", Branch: "bad branch"},
		{URL: "u", Dir: "d", Branch: "-x"},
	} {
		if err := o.Validate(); err == nil {
			t.Errorf("Validate(%+v) succeeded", o)
		}
		if _, err := New(o, nil).List(context.Background()); err == nil {
			t.Errorf("List(%+v) succeeded", o)
		}
	}
}

func TestCanceled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := New(Options{URL: "file:///nonexistent", Dir: t.TempDir()}, quiet)
	if _, err := s.List(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("List(canceled) = %v", err)
	}
	if _, err := s.Read(ctx, "2025-09-30-a.md"); !errors.Is(err, context.Canceled) {
		t.Errorf("Read(canceled) = %v", err)
	}
}

func TestFirstCloneFails(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git binary not installed")
	}
	dir := filepath.Join(t.TempDir(), "clone")
	missing := filepath.Join(t.TempDir(), "no-repo")
	_, err := New(Options{URL: "file://" + missing, Dir: dir}, quiet).List(context.Background())
	if err == nil || !strings.Contains(err.Error(), "git clone") {
		t.Fatalf("List(missing remote, no clone) = %v, want a clone error", err)
	}
}

var quiet = slog.New(slog.DiscardHandler)

// TestInterruptedCheckout: a clone whose checkout never finished (no index,
// files missing) is completed by the next process's first List.
func TestInterruptedCheckout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rem := newRemote(t, "main")
	rem.commit(map[string]string{"_posts/2025-09-29-a.md": "a", "_posts/2025-09-30-b.md": "b"})
	clone := filepath.Join(t.TempDir(), "c")
	if _, err := New(Options{URL: rem.url(), Dir: clone}, quiet).List(ctx); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{".git/index", "_posts/2025-09-30-b.md"} {
		if err := os.Remove(filepath.Join(clone, filepath.FromSlash(p))); err != nil {
			t.Fatal(err)
		}
	}
	s := New(Options{URL: rem.url(), Dir: clone}, quiet)
	files, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := paths(files); got != "2025-09-29-a.md 2025-09-30-b.md" {
		t.Fatalf("List after an interrupted checkout = %q", got)
	}
	if b, err := s.Read(ctx, "2025-09-30-b.md"); err != nil || string(b) != "b" {
		t.Fatalf("Read = %q, %v", b, err)
	}
	// And the index is good enough for go-git's own reset afterwards.
	rem.commit(map[string]string{"_posts/2025-09-29-a.md": ""})
	if files, err = s.List(ctx); err != nil || paths(files) != "2025-09-30-b.md" {
		t.Fatalf("List after a deletion = %q, %v", paths(files), err)
	}
}

// countingSource counts the files the engine reads.
type countingSource struct {
	bot.Source
	mu    sync.Mutex
	reads []string
}

func (c *countingSource) Read(ctx context.Context, p string) ([]byte, error) {
	c.mu.Lock()
	c.reads = append(c.reads, p)
	c.mu.Unlock()
	return c.Source.Read(ctx, p)
}

func (c *countingSource) take() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	slices.Sort(c.reads) // the engine reads on several goroutines
	out := strings.Join(c.reads, " ")
	c.reads = nil
	return out
}

// titleParser makes a post of a file: its name's date, its bytes as title.
type titleParser struct{}

func (titleParser) Parse(path string, src []byte) (*bot.Digest, error) {
	d, err := time.Parse(time.DateOnly, filepath.Base(path)[:10])
	if err != nil {
		return nil, &bot.PostError{Path: path, Reason: "no date"}
	}
	return &bot.Digest{Path: path, Date: d, Title: string(src)}, nil
}

// TestScanReadsOnlyNewCommits runs the engine's scan over the git source: a
// fetch with no new commit reads no file, and one with a new commit reads
// only the files it touched.
func TestScanReadsOnlyNewCommits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rem := newRemote(t, "main")
	rem.commit(map[string]string{
		"_posts/2025-09-28-a.md": "a",
		"_posts/2025-09-29-b.md": "b",
		"_posts/2025-09-30-c.md": "c",
	})
	logger, _ := newLogger()
	src := &countingSource{Source: New(Options{URL: rem.url(), Dir: filepath.Join(t.TempDir(), "clone")}, logger)}
	st, err := sqlite.Open(ctx, ":memory:", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e := &bot.Engine{Store: st, Source: src, Parser: titleParser{}, Logger: logger}
	if res, err := e.Scan(ctx); err != nil || res.Parsed != 3 {
		t.Fatalf("first scan: %+v, %v", res, err)
	}
	src.take()
	// Not even a stat without a new commit: a file changed in the clone
	// behind git's back (nothing paperbot does) goes unseen.
	a := filepath.Join(src.Source.(*Source).opts.Dir, "_posts", "2025-09-28-a.md")
	st0, err := os.Stat(a)
	if err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(a, later, later); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		res, err := e.Scan(ctx)
		if err != nil || res.Unchanged != 3 {
			t.Fatalf("scan without a new commit: %+v, %v", res, err)
		}
		if r := src.take(); r != "" {
			t.Errorf("a fetch with no new commit read %s", r)
		}
	}
	if err := os.Chtimes(a, st0.ModTime(), st0.ModTime()); err != nil {
		t.Fatal(err)
	}
	rem.commit(map[string]string{"_posts/2025-09-29-b.md": "b, edited", "_posts/2025-10-01-d.md": "d"})
	res, err := e.Scan(ctx)
	if err != nil || res.Parsed != 2 || res.Unchanged != 2 {
		t.Fatalf("scan after a commit: %+v, %v", res, err)
	}
	if r := src.take(); r != "2025-09-29-b.md 2025-10-01-d.md" {
		t.Errorf("a commit touching b and d read %q", r)
	}
}
