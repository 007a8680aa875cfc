package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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

// hashingParser sets Digest.Hash as formatter.Parser does (the hex SHA-256
// of the file's bytes), or to a wrong one.
type hashingParser struct {
	Parser
	wrong bool
}

func (p hashingParser) Parse(path string, src []byte) (*Digest, error) {
	d, err := p.Parser.Parse(path, src)
	if err == nil {
		sum := sha256.Sum256(src)
		if p.wrong {
			sum = sha256.Sum256([]byte("not the file"))
		}
		d.Hash = hex.EncodeToString(sum[:])
	}
	return d, err
}

// A new file is hashed once, by the parser when it sets Digest.Hash, by the
// engine when it does not: either way the file state and the post hold the
// file's SHA-256, so that a touch later neither parses nor edits. A parser
// whose hash is wrong costs a parse at the next touch, and nothing else.
func TestNewFileHash(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		wrap          func(Parser) Parser
		parsesAtTouch int64
	}{
		{"parser sets none", func(p Parser) Parser { return p }, 0},
		{"parser sets the file's", func(p Parser) Parser { return hashingParser{Parser: p} }, 0},
		{"parser sets a wrong one", func(p Parser) Parser { return hashingParser{Parser: p, wrong: true} }, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			src := post(day(-1), "A", "papers: 2")
			h.src.put("2025-09-29-a.md", src)
			h.src.put("broken.md", "date: yesterday\n")
			e := h.engine(func(e *Engine) { e.Parser = tc.wrap(e.Parser) })
			ctx := context.Background()
			if _, err := e.Scan(ctx); err != nil {
				t.Fatal(err)
			}
			files, err := h.store.Files(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for path, content := range map[string]string{"2025-09-29-a.md": src, "broken.md": "date: yesterday\n"} {
				sum := sha256.Sum256([]byte(content))
				want := hex.EncodeToString(sum[:])
				if tc.parsesAtTouch > 0 && path == "2025-09-29-a.md" {
					continue // the parser's hash, whatever it is
				}
				if got := files[path].Hash; got != want {
					t.Errorf("%s: file state hash %.12s, want the file's SHA-256 %.12s", path, got, want)
				}
			}
			d, err := h.store.Post(ctx, "2025-09-29-a.md")
			if err != nil || d.Hash != files["2025-09-29-a.md"].Hash {
				t.Fatalf("post: %+v, %v; want the file state's hash %.12s", d, err, files["2025-09-29-a.md"].Hash)
			}
			calls := h.parser.calls.Load()
			h.src.touch("2025-09-29-a.md")
			res, err := e.Scan(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n := h.parser.calls.Load() - calls; n != tc.parsesAtTouch {
				t.Errorf("touch: %d parses, want %d (%+v)", n, tc.parsesAtTouch, res)
			}
			if tc.parsesAtTouch == 0 && res.Touched != 1 {
				t.Errorf("touch: %+v, want one touched", res)
			}
		})
	}
}
