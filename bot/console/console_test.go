package console

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paperbot/paperbot/bot"
)

func digest() *bot.Digest {
	return &bot.Digest{
		Date:  time.Date(2025, 9, 30, 8, 15, 0, 0, time.UTC),
		Title: "Daily Papers <&>",
		Path:  "2025-09-30-daily-papers.md",
		Papers: []bot.Paper{
			{Number: 1, Title: "Sparse *Attention* at Scale", ID: "2509.24006", Sections: []bot.Section{{
				Name: "Introduction",
				Blocks: []bot.Block{{Kind: bot.ParagraphBlock, Inlines: []bot.Inline{
					{Kind: bot.TextInline, Text: "Goal: make attention cheap. More text."},
				}}},
			}}},
			{Number: 2, Title: "No link here"},
		},
	}
}

func TestPostEditRecover(t *testing.T) {
	ctx := context.Background()
	var buf bytes.Buffer
	render := func(d *bot.Digest) string { return "RENDERED " + d.Title + "\n\n\n" }
	c := New("console", &buf, render)
	if c.Name() != "console" {
		t.Errorf("Name() = %q", c.Name())
	}

	refs, err := c.Post(ctx, digest(), "k1")
	if err != nil {
		t.Fatal(err)
	}
	want := []bot.MessageRef{{Channel: "console", ID: "k1"}}
	if fmt.Sprint(refs) != fmt.Sprint(want) {
		t.Errorf("Post refs = %v, want %v", refs, want)
	}
	if got, wantOut := buf.String(), "── console · k1 ──\nRENDERED Daily Papers <&>\n\n"; got != wantOut {
		t.Errorf("Post printed %q, want %q", got, wantOut)
	}

	buf.Reset()
	refs, err = c.Edit(ctx, digest(), "k1", refs)
	if err != nil || fmt.Sprint(refs) != fmt.Sprint(want) {
		t.Fatalf("Edit = %v, %v", refs, err)
	}
	if !strings.HasPrefix(buf.String(), "(updated) ── console · k1 ──\nRENDERED") {
		t.Errorf("Edit printed %q, want an (updated) marker", buf.String())
	}

	if refs, err := c.Recover(ctx, "k1"); refs != nil || err != nil {
		t.Errorf("Recover = %v, %v; want nil, nil", refs, err)
	}
}

func TestPlainFallback(t *testing.T) {
	var buf bytes.Buffer
	c := New("out", &buf, nil)
	if _, err := c.Post(context.Background(), digest(), "k"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Daily Papers <&> (2025-09-30)",
		"1. Sparse *Attention* at Scale <https://arxiv.org/abs/2509.24006>",
		"2. No link here\n",
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("plain output lacks %q:\n%s", want, buf.String())
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestErrors(t *testing.T) {
	ctx := context.Background()
	if refs, err := New("c", failWriter{}, nil).Post(ctx, digest(), "k"); err == nil || refs != nil {
		t.Errorf("Post to a failing writer = %v, %v", refs, err)
	}
	panicky := New("c", &bytes.Buffer{}, func(*bot.Digest) string { panic("renderer bug") })
	if _, err := panicky.Post(ctx, digest(), "k"); err == nil || !strings.Contains(err.Error(), "renderer bug") {
		t.Errorf("Post with a panicking renderer = %v", err)
	}
	if _, err := New("c", &bytes.Buffer{}, nil).Post(ctx, nil, "k"); bot.ErrorCode(err) != bot.EINVALID {
		t.Errorf("Post(nil) = %v", err)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	var buf bytes.Buffer
	if _, err := New("c", &buf, nil).Edit(canceled, digest(), "k", nil); !errors.Is(err, context.Canceled) || buf.Len() != 0 {
		t.Errorf("Edit(canceled) = %v, printed %q", err, buf.String())
	}
}

// TestConcurrent checks that prints from many goroutines never interleave.
func TestConcurrent(t *testing.T) {
	var buf bytes.Buffer
	line := strings.Repeat("x", 4096)
	c := New("c", &buf, func(*bot.Digest) string { return line + "\n" + line })
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			if _, err := c.Post(context.Background(), digest(), fmt.Sprint("k", i)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	blocks := strings.Split(strings.TrimSuffix(buf.String(), "\n\n"), "\n\n")
	if len(blocks) != 16 {
		t.Fatalf("%d blocks, want 16", len(blocks))
	}
	for _, b := range blocks {
		lines := strings.Split(b, "\n")
		if len(lines) != 3 || !strings.HasPrefix(lines[0], "── c · k") || lines[1] != line || lines[2] != line {
			t.Fatalf("interleaved block: %.80q", b)
		}
	}
}
