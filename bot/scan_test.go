package bot

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
)

// encoderStore is a PostEncoder: its encoding of a post is its path and
// hash, which SaveEncoded checks it gets back for the same post.
type encoderStore struct {
	*batchStore
	encoded, saved atomic.Int64
}

func (s *encoderStore) EncodePost(d *Digest) (any, error) {
	s.encoded.Add(1)
	return d.Path + "@" + d.Hash, nil
}

func (s *encoderStore) SaveEncoded(ctx context.Context, posts []*Digest, enc []any, files []FileState) error {
	for i, d := range posts {
		if enc[i] != d.Path+"@"+d.Hash {
			return fmt.Errorf("post %s saved with the encoding %v", d.Path, enc[i])
		}
	}
	s.saved.Add(int64(len(posts)))
	return s.SavePosts(ctx, posts, files)
}

func TestScanEncodesOnWorkers(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	es := &encoderStore{batchStore: &batchStore{memStore: h.store}}
	h.putArchive(300)
	e := h.engine(func(e *Engine) { e.Store = es })
	if _, err := e.Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	if es.encoded.Load() != 300 || es.saved.Load() != 300 || es.batches != 2 {
		t.Errorf("%d posts encoded, %d saved in %d batches; want 300, 300 in 2", es.encoded.Load(), es.saved.Load(), es.batches)
	}
	if d, err := h.store.Post(context.Background(), "old-0042.md"); err != nil || d.Hash == "" {
		t.Errorf("old-0042.md: %+v, %v", d, err)
	}
}
