package bot

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
)

// encoderStore is a PostEncoder: its encoding of a post is a copy of it,
// papers and sections included, which SaveEncoded saves in its place. It
// records whether SaveEncoded was handed posts still holding sections.
type encoderStore struct {
	*batchStore
	encoded, saved, withSections atomic.Int64
}

func (s *encoderStore) EncodePost(d *Digest) (any, error) {
	s.encoded.Add(1)
	c := *d
	c.Papers = append([]Paper(nil), d.Papers...)
	return &c, nil
}

func (s *encoderStore) SaveEncoded(ctx context.Context, posts []*Digest, enc []any, files []FileState) error {
	copies := make([]*Digest, len(posts))
	for i, d := range posts {
		c := enc[i].(*Digest)
		if c.Path != d.Path || c.Hash != d.Hash {
			return fmt.Errorf("post %s saved with the encoding of %s", d.Path, c.Path)
		}
		for _, p := range d.Papers {
			if p.Sections != nil {
				s.withSections.Add(1)
			}
		}
		copies[i] = c
	}
	s.saved.Add(int64(len(posts)))
	return s.SavePosts(ctx, copies, files)
}

func TestScanEncodesOnWorkers(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	es := &encoderStore{batchStore: &batchStore{memStore: h.store}}
	h.putArchive(299)
	h.src.put("papers.md", post(day(-400), "two papers", "papers: 2"))
	e := h.engine(func(e *Engine) {
		e.Store = es
		e.Parser = sectionParser{e.Parser}
	})
	if _, err := e.Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := (300 + batchSize - 1) / batchSize
	if es.encoded.Load() != 300 || es.saved.Load() != 300 || es.batches != want {
		t.Errorf("%d posts encoded, %d saved in %d batches; want 300, 300 in %d", es.encoded.Load(), es.saved.Load(), es.batches, want)
	}
	// Encoded, a post waits for its batch without its sections (they were
	// most of a first start's heap), and what is stored still has them.
	if n := es.withSections.Load(); n != 0 {
		t.Errorf("%d papers reached SaveEncoded still holding their sections", n)
	}
	d, err := h.store.Post(context.Background(), "papers.md")
	if err != nil || d.Hash == "" || len(d.Papers) != 2 || len(d.Papers[1].Sections) != 1 {
		t.Fatalf("papers.md as stored: %+v, %v", d, err)
	}
}

// sectionParser gives every paper the parser finds a section.
type sectionParser struct{ Parser }

func (p sectionParser) Parse(path string, src []byte) (*Digest, error) {
	d, err := p.Parser.Parse(path, src)
	if err != nil {
		return d, err
	}
	for i := range d.Papers {
		d.Papers[i].Sections = []Section{{Name: "Method", Blocks: []Block{{Kind: ParagraphBlock, Inlines: []Inline{{Kind: TextInline, Text: "a method"}}}}}}
	}
	return d, nil
}
