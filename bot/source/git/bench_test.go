package git

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// benchRemote builds a repository of n posts with the git CLI (much faster
// than go-git for thousands of files) and returns its file:// URL.
func benchRemote(b *testing.B, n int) (dir string) {
	b.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		b.Skip("git binary not installed")
	}
	dir = b.TempDir()
	posts := filepath.Join(dir, "_posts")
	if err := os.MkdirAll(posts, 0o755); err != nil {
		b.Fatal(err)
	}
	start := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		name := start.AddDate(0, 0, i).Format(time.DateOnly) + "-daily-papers.md"
		if err := os.WriteFile(filepath.Join(posts, name), fmt.Appendf(nil, "---\ntitle: post %d\n---\n", i), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	gitCmd(b, dir, "init", "-q", "-b", "main")
	gitCmd(b, dir, "add", "-A")
	gitCmd(b, dir, "commit", "-q", "-m", "archive")
	return dir
}

// benchClone builds a benchPosts-post repository and a Source that has
// cloned and listed it once, as a running bot has.
func benchClone(b *testing.B) (remote string, s *Source) {
	b.Helper()
	remote = benchRemote(b, benchPosts)
	s = New(Options{URL: "file://" + remote, Dir: filepath.Join(b.TempDir(), "clone")}, quiet)
	if _, err := s.List(context.Background()); err != nil {
		b.Fatal(err)
	}
	return remote, s
}

func gitCmd(b *testing.B, dir string, args ...string) {
	b.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=Bench", "-c", "user.email=bench@example.com"}, args...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// BenchmarkListUnchanged is a tick over a benchPosts-post archive with nothing
// new upstream: one fetch (already up to date) and a stat of the folder.
func BenchmarkListUnchanged(b *testing.B) {
	_, s := benchClone(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		files, err := s.List(ctx)
		if err != nil || len(files) != benchPosts {
			b.Fatal(len(files), err)
		}
	}
}

// BenchmarkListNewCommit is a tick where the archive gained one post: a
// fetch of one commit, a hard reset and the listing.
func BenchmarkListNewCommit(b *testing.B) {
	remote, s := benchClone(b)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		name := fmt.Sprintf("_posts/2100-01-%02d-new-%d.md", i%28+1, i)
		if err := os.WriteFile(filepath.Join(remote, name), []byte("new"), 0o644); err != nil {
			b.Fatal(err)
		}
		gitCmd(b, remote, "add", name)
		gitCmd(b, remote, "commit", "-q", "-m", name)
		b.StartTimer()
		files, err := s.List(ctx)
		if err != nil || len(files) != benchPosts+i {
			b.Fatal(len(files), err)
		}
	}
}

// benchPosts is the archive size: 1,000 by default to keep `go test -bench`
// quick; PAPERBOT_BENCH_POSTS=10000 gives the figures in the report.
var benchPosts = func() int {
	if n, err := strconv.Atoi(os.Getenv("PAPERBOT_BENCH_POSTS")); err == nil && n > 0 {
		return n
	}
	return 1000
}()
