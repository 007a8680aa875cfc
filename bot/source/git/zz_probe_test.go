package git

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func BenchmarkZZProbe(b *testing.B) {
	t0 := time.Now()
	remote := benchRemote(b, benchPosts)
	b.Logf("setup %v", time.Since(t0))
	clone := filepath.Join(b.TempDir(), "clone")
	s := New(Options{URL: "file://" + remote, Dir: clone}, quiet)
	ctx := context.Background()
	t0 = time.Now()
	if _, err := s.List(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("clone %v", time.Since(t0))
	for i := 0; i < 2; i++ {
		name := fmt.Sprintf("_posts/2100-01-%02d-new-%d.md", i%28+1, i)
		os.WriteFile(filepath.Join(remote, name), []byte("new"), 0o644)
		gitCmd(b, remote, "add", name)
		gitCmd(b, remote, "commit", "-q", "-m", name)
		t1 := time.Now()
		_, err2 := s.List(ctx)
		b.Logf("list with new commit %v (%v)", time.Since(t1), err2)
	}
}
