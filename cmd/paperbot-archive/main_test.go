package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/formatter"
)

// fixture is a post in the blog's format, two papers of two sections each:
// enough for the archive to recombine.
const fixture = `---
layout: post
title: "Daily Papers — 2025-01-02"
date: 2025-01-02 08:00:00
---

# 1. [Cheap Drafts for Long Proofs](https://arxiv.org/abs/2501.00001)

> [Alphaxiv](https://www.alphaxiv.org/ko/overview/2501.00001)

## Introduction

- Goal: 짧은 초안으로 긴 증명을 빠르게 검증한다.

## Results

The verifier accepts **most** drafts.

# 2. [Sparse Routing at Scale](https://arxiv.org/abs/2501.00002)

> [Alphaxiv](https://www.alphaxiv.org/ko/overview/2501.00002)

## Introduction

- Goal: 전문가 라우팅을 희소하게 만든다.

## Results

Throughput doubles with ` + "`top-1`" + ` routing.
`

// TestArchive writes an archive and reads it back as paperbot would: every
// post parses, every tenth is a draft, and each id of ids.txt is a paper
// of a published post.
func TestArchive(t *testing.T) {
	dir := t.TempDir()
	fx := filepath.Join(dir, "fixture.md")
	if err := os.WriteFile(fx, []byte(fixture), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "arch")
	var stdout, stderr bytes.Buffer
	if err := run([]string{"-fixture", fx, "-dir", out, "-posts", "12", "-papers", "3"}, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v (%s)", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "wrote 12 posts × 3 papers") {
		t.Errorf("stdout: %q", stdout.String())
	}

	files, err := filepath.Glob(filepath.Join(out, "_posts", "*.md"))
	if err != nil || len(files) != 12 {
		t.Fatalf("%d posts written (%v), want 12", len(files), err)
	}
	p := &formatter.Parser{Location: time.UTC}
	published := map[bot.ArxivID]bool{}
	drafts := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d, err := p.Parse(f, src)
		if err != nil {
			t.Fatalf("a written post does not parse: %v", err)
		}
		if len(d.Papers) != 3 {
			t.Errorf("%s: %d papers, want 3", f, len(d.Papers))
		}
		if d.Draft {
			drafts++
			continue
		}
		for _, pp := range d.Papers {
			published[pp.ID] = true
		}
	}
	if drafts != 1 {
		t.Errorf("%d drafts among 12 posts, want 1 (every tenth)", drafts)
	}

	raw, err := os.ReadFile(filepath.Join(out, "ids.txt"))
	if err != nil {
		t.Fatal(err)
	}
	ids := strings.Fields(string(raw))
	if len(ids) != 11 {
		t.Errorf("%d ids, want one for each of the 11 published posts", len(ids))
	}
	for _, id := range ids {
		if !published[bot.ArxivID(id)] {
			t.Errorf("id %s is not a paper of a published post", id)
		}
	}

	// A second run into the same folder would mix two archives.
	if err := run([]string{"-fixture", fx, "-dir", out, "-posts", "5"}, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("a second run into %s: %v, want an error that _posts exists", out, err)
	}
}

func TestArchiveFlags(t *testing.T) {
	notAPost := filepath.Join(t.TempDir(), "notes.md")
	if err := os.WriteFile(notAPost, []byte("no paper headings here\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	for _, args := range [][]string{
		{},
		{"-fixture", notAPost, "-dir", t.TempDir()},
		{"-dir", t.TempDir()},
		{"-fixture", "f.md"},
		{"-fixture", "f.md", "-dir", t.TempDir(), "-posts", "0"},
		{"-fixture", filepath.Join(t.TempDir(), "missing.md"), "-dir", t.TempDir()},
		{"-nosuchflag"},
	} {
		if err := run(args, &stdout, &stderr); err == nil {
			t.Errorf("run %q: no error", args)
		}
	}
}
