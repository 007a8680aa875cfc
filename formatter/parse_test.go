package formatter

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paperbot/paperbot/bot"
)

func seoul(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		// No tzdata on the machine: a fixed zone is the same for this test.
		loc = time.FixedZone("KST", 9*3600)
	}
	return loc
}

// post builds a small post: front matter lines, then body.
func post(front, body string) string {
	return "---\n" + front + "\n---\n\n" + body
}

const onePaper = "# 1. [A Paper](https://arxiv.org/abs/2510.01234)\n\n## Introduction\n\n- Goal: test.\n"

// text1 is the plain text of a paper's section.
func text1(d *bot.Digest, paper int, section string) string {
	s := d.Papers[paper].Section(section)
	if s == nil {
		return "<no section " + section + ">"
	}
	return s.Text()
}

func TestParseRules(t *testing.T) {
	t.Parallel()
	kst := seoul(t)
	tests := []struct {
		name    string
		path    string
		src     string
		loc     *time.Location
		wantErr string // the whole Error() of the *bot.PostError
		// date, when set, is the Digest.Date wanted (as an instant).
		date  time.Time
		check func(t *testing.T, d *bot.Digest)
	}{
		{
			name: "front matter: title, date in Location, tags list, categories",
			src:  post("layout: post\ntitle: \"Daily Papers — 2025-10-01\"\ndate: 2025-10-01 08:15:00\ntags: [papers, huggingface]\ncategories: [ml]", onePaper),
			loc:  kst,
			check: func(t *testing.T, d *bot.Digest) {
				if d.Title != "Daily Papers — 2025-10-01" {
					t.Errorf("title %q", d.Title)
				}
				if want := time.Date(2025, 10, 1, 8, 15, 0, 0, kst); !d.Date.Equal(want) || d.Date.Location() != kst {
					t.Errorf("date %v, want %v", d.Date, want)
				}
				if strings.Join(d.Tags, ",") != "papers,huggingface" || strings.Join(d.Categories, ",") != "ml" {
					t.Errorf("tags %q categories %q", d.Tags, d.Categories)
				}
				if d.Draft {
					t.Error("draft")
				}
			},
		},
		{
			name: "date with a zone offset is converted to Location",
			src:  post("date: 2025-10-01 08:15:00 +0000", onePaper),
			loc:  kst,
			check: func(t *testing.T, d *bot.Digest) {
				if d.Date.Hour() != 17 || d.Day() != "2025-10-01" || d.Date.Location() != kst {
					t.Errorf("date %v", d.Date)
				}
			},
		},
		{
			name: "RFC 3339 date",
			src:  post("date: 2025-10-01T23:30:00-01:00", onePaper),
			loc:  kst,
			date: time.Date(2025, 10, 2, 9, 30, 0, 0, kst),
		},
		{
			name: "date-only front matter is midnight in Location",
			src:  post("date: 2025-10-01", onePaper),
			loc:  kst,
			date: time.Date(2025, 10, 1, 0, 0, 0, 0, kst),
		},
		{
			name: "nil Location is UTC",
			src:  post("date: 2025-10-01 08:15:00", onePaper),
			date: time.Date(2025, 10, 1, 8, 15, 0, 0, time.UTC),
		},
		{
			name: "tags and categories as space-separated strings",
			src:  post("date: 2025-10-01\ntags: papers  weekly\ncategories: ml", onePaper),
			check: func(t *testing.T, d *bot.Digest) {
				if strings.Join(d.Tags, ",") != "papers,weekly" || strings.Join(d.Categories, ",") != "ml" {
					t.Errorf("tags %q categories %q", d.Tags, d.Categories)
				}
			},
		},
		{
			name: "published: false is a draft",
			src:  post("date: 2025-10-04\npublished: false", onePaper),
			check: func(t *testing.T, d *bot.Digest) {
				if !d.Draft {
					t.Error("not a draft")
				}
			},
		},
		{
			name: "no date in the front matter: the file name's date",
			path: "_posts/2025-10-06-no-date.md",
			src:  post("title: x", onePaper),
			loc:  kst,
			date: time.Date(2025, 10, 6, 0, 0, 0, 0, kst),
		},
		{
			name: "no front matter at all: the file name's date",
			path: "2025-10-06-bare.md",
			src:  onePaper,
			check: func(t *testing.T, d *bot.Digest) {
				if d.Day() != "2025-10-06" || len(d.Papers) != 1 {
					t.Errorf("day %s papers %d", d.Day(), len(d.Papers))
				}
			},
		},
		{
			name:    "no date anywhere fails",
			path:    "notes.md",
			src:     post("title: x", onePaper),
			wantErr: "notes.md:1: no date: the front matter has no date and the file name is not YYYY-MM-DD-slug.md",
		},
		{
			name:    "invalid YAML fails at the file's line",
			path:    "p.md",
			src:     "---\ntitle: ok\ndate: 2025-10-01\ntags: [a, b\n---\n\n" + onePaper,
			wantErr: "p.md:4: the front matter is not valid YAML: did not find expected ',' or ']'",
		},
		{
			name:    "YAML that is not a mapping fails",
			path:    "p.md",
			src:     "---\n- just\n- a list\n---\n\n" + onePaper,
			wantErr: "p.md:2: the front matter is not a YAML mapping of \"key: value\" lines",
		},
		{
			name:    "a date that is not a date fails at its line",
			path:    "p.md",
			src:     post("title: x\ndate: next tuesday", onePaper),
			wantErr: `p.md:3: the front matter's date "next tuesday" is not a date like 2025-09-30 08:15:00`,
		},
		{
			name:    "front matter never closed fails",
			path:    "p.md",
			src:     "---\ntitle: x\n\n" + onePaper,
			wantErr: `p.md:1: the front matter opened on line 1 is never closed by a "---" line`,
		},
		{
			name: "UTF-8 BOM and CRLF line ends",
			path: "2025-10-05-x.md",
			src:  "\ufeff" + strings.ReplaceAll(post("title: \"BOM\"\ndate: 2025-10-05 09:00:00", onePaper+"- Motivation: two  \nlines\n"), "\n", "\r\n"),
			check: func(t *testing.T, d *bot.Digest) {
				if d.Title != "BOM" || d.Day() != "2025-10-05" || len(d.Papers) != 1 {
					t.Fatalf("title %q day %s papers %d", d.Title, d.Day(), len(d.Papers))
				}
				if got := text1(d, 0, "Introduction"); got != "- Goal: test.\n- Motivation: two\n  lines" && !strings.Contains(got, "two\nlines") {
					t.Errorf("introduction %q", got)
				}
				if d.Papers[0].Line != 6 || d.Papers[0].Sections[0].Line != 8 {
					t.Errorf("lines %d %d", d.Papers[0].Line, d.Papers[0].Sections[0].Line)
				}
			},
		},
		{
			name:    "bytes that are not UTF-8 fail at their line",
			path:    "p.md",
			src:     post("date: 2025-10-01", onePaper+"\n\xb1\xe2\xbb\xe7\n"),
			wantErr: "p.md:11: is not valid UTF-8 text (save the post as UTF-8)",
		},
		{
			name: "paper heading: number, title, abs link, id",
			src: post("date: 2025-10-01", "# 3. [Sparse Things](https://arxiv.org/abs/2510.01234)\n\n"+
				"# 4. [PDF Link](https://arxiv.org/pdf/2510.01235v2)\n\n"+
				"# 5. [Old Style](https://arxiv.org/abs/hep-th/9901001v3)\n"),
			check: func(t *testing.T, d *bot.Digest) {
				want := []bot.Paper{
					{Number: 3, Title: "Sparse Things", ID: "2510.01234", URL: "https://arxiv.org/abs/2510.01234", Line: 5},
					{Number: 4, Title: "PDF Link", ID: "2510.01235", Version: "v2", URL: "https://arxiv.org/pdf/2510.01235v2", Line: 7},
					{Number: 5, Title: "Old Style", ID: "hep-th/9901001", Version: "v3", URL: "https://arxiv.org/abs/hep-th/9901001v3", Line: 9},
				}
				for i, w := range want {
					p := d.Papers[i]
					if p.Number != w.Number || p.Title != w.Title || p.ID != w.ID || p.Version != w.Version || p.URL != w.URL || p.Line != w.Line {
						t.Errorf("paper %d = %+v, want %+v", i, p, w)
					}
				}
			},
		},
		{
			name: "heading without a link is a paper without id; no number: its position",
			src:  post("date: 2025-10-01", "# 1. A Workshop Paper\n\n## Introduction\n\nNo link.\n\n# Untitled Notes\n\n# 9) [Not arXiv](https://example.com/paper)\n"),
			check: func(t *testing.T, d *bot.Digest) {
				if len(d.Papers) != 3 {
					t.Fatalf("%d papers", len(d.Papers))
				}
				a, b, c := d.Papers[0], d.Papers[1], d.Papers[2]
				if a.Number != 1 || a.Title != "A Workshop Paper" || a.ID != "" || a.URL != "" || a.Link() != "" {
					t.Errorf("first %+v", a)
				}
				if b.Number != 2 || b.Title != "Untitled Notes" || b.ID != "" {
					t.Errorf("second %+v", b)
				}
				if c.Number != 9 || c.Title != "Not arXiv" || c.ID != "" || c.URL != "https://example.com/paper" {
					t.Errorf("third %+v", c)
				}
			},
		},
		{
			name: "malformed arXiv link: a paper without id, the URL kept",
			src:  post("date: 2025-10-01", "# 1. [Broken](https://arxiv.org/abs/garbage)\n"),
			check: func(t *testing.T, d *bot.Digest) {
				p := d.Papers[0]
				if p.ID != "" || p.URL != "https://arxiv.org/abs/garbage" || p.Title != "Broken" {
					t.Errorf("%+v", p)
				}
			},
		},
		{
			name: "title: markdown, escapes, entities, & < > * _ | and emoji as meant",
			src: post("date: 2025-10-01", "# 1. [R&D \\*Not Bold\\* & &lt;T&gt; <T> a < b > c | snake_case \\_x\\_ **Bold** `code` 🚀 &#x2728; \\`tick\\`](https://arxiv.org/abs/2510.01234)\n\n"+
				"# 2. [$O(n \\log n)$ Sorting, 1.5x Faster](https://arxiv.org/abs/2510.01235)\n"),
			check: func(t *testing.T, d *bot.Digest) {
				if want := "R&D *Not Bold* & <T> <T> a < b > c | snake_case _x_ Bold code 🚀 ✨ `tick`"; d.Papers[0].Title != want {
					t.Errorf("title\n got %q\nwant %q", d.Papers[0].Title, want)
				}
				if want := "$O(n \\log n)$ Sorting, 1.5x Faster"; d.Papers[1].Title != want {
					t.Errorf("title\n got %q\nwant %q", d.Papers[1].Title, want)
				}
			},
		},
		{
			name: "Alphaxiv quote right under the heading is a link, not a section",
			src:  post("date: 2025-10-01", "# 1. [A](https://arxiv.org/abs/2510.01234)\n\n> [Alphaxiv](https://www.alphaxiv.org/ko/overview/2510.01234)\n\n## Introduction\n\nText.\n"),
			check: func(t *testing.T, d *bot.Digest) {
				p := d.Papers[0]
				if p.AlphaxivURL != "https://www.alphaxiv.org/ko/overview/2510.01234" || len(p.Sections) != 1 || p.Sections[0].Name != "Introduction" {
					t.Errorf("%+v", p)
				}
			},
		},
		{
			name: "another quote under the heading is content",
			src:  post("date: 2025-10-01", "# 1. [A](https://arxiv.org/abs/2510.01234)\n\n> Accepted at a workshop.\n\n## Introduction\n\nText.\n"),
			check: func(t *testing.T, d *bot.Digest) {
				p := d.Papers[0]
				if p.AlphaxivURL != "" || len(p.Sections) != 2 || p.Sections[0].Name != "" || p.Sections[0].Text() != "Accepted at a workshop." {
					t.Errorf("%+v", p)
				}
			},
		},
		{
			name: "level-2 headings are sections in order, any name, missing or extra",
			src: post("date: 2025-10-01", "# 1. [A](https://arxiv.org/abs/2510.01234)\n\n## Method\n\nM.\n\n## Introduction\n\nI.\n\n## Ablations & Notes\n\nX.\n\n"+
				"# 2. [B](https://arxiv.org/abs/2510.01235)\n"),
			check: func(t *testing.T, d *bot.Digest) {
				var names []string
				for _, s := range d.Papers[0].Sections {
					names = append(names, s.Name)
				}
				if strings.Join(names, "|") != "Method|Introduction|Ablations & Notes" {
					t.Errorf("sections %q", names)
				}
				if len(d.Papers[1].Sections) != 0 || d.Papers[1].Sections == nil {
					t.Errorf("second paper sections %#v", d.Papers[1].Sections)
				}
				if d.Papers[0].Sections[2].Line != 15 {
					t.Errorf("line %d", d.Papers[0].Sections[2].Line)
				}
			},
		},
		{
			name: "text before the first paper is ignored",
			src:  post("date: 2025-10-01", "Welcome to today's papers.\n\n## About\n\nIgnored.\n\n"+onePaper),
			check: func(t *testing.T, d *bot.Digest) {
				if len(d.Papers) != 1 || len(d.Papers[0].Sections) != 1 || d.Papers[0].Sections[0].Name != "Introduction" {
					t.Errorf("%+v", d.Papers)
				}
			},
		},
		{
			name: "unlabelled intro bullets are kept; Goal falls back to the first sentence",
			src:  post("date: 2025-10-01", "# 1. [A](https://arxiv.org/abs/2510.01234)\n\n## Introduction\n\n- 본 논문은 무엇을 한다. 그리고 더.\n- 두 번째.\n"),
			check: func(t *testing.T, d *bot.Digest) {
				intro := d.Papers[0].Sections[0]
				if len(intro.Blocks) != 1 || len(intro.Blocks[0].Items) != 2 || !strings.Contains(d.Papers[0].Goal(), "본 논문은 무엇을 한다.") {
					t.Errorf("%+v goal %q", intro, d.Papers[0].Goal())
				}
			},
		},
		{
			name: "section bodies: paragraphs, nested and numbered lists, markup, math, hard breaks",
			src: post("date: 2025-10-01", "# 1. [A](https://arxiv.org/abs/2510.01234)\n\n## Method\n\n"+
				"Uses **bold**, *emph*, `code()`, [a link](https://example.com/a\\_b?x=1&amp;y=2), $a_1 * b_2$ and costs $5 or $10.  \nNext line\\\nthird &amp; soft\nwrap.\n\n"+
				"3. three\n4. four\n   - nested\n     1. deep\n\n"+
				"### Detail\n\n```\ncode block\n```\n"),
			check: func(t *testing.T, d *bot.Digest) {
				blocks := d.Papers[0].Sections[0].Blocks
				want := []bot.Block{
					{Kind: bot.ParagraphBlock, Inlines: []bot.Inline{
						{Kind: bot.TextInline, Text: "Uses "},
						{Kind: bot.StrongInline, Children: []bot.Inline{{Kind: bot.TextInline, Text: "bold"}}},
						{Kind: bot.TextInline, Text: ", "},
						{Kind: bot.EmphInline, Children: []bot.Inline{{Kind: bot.TextInline, Text: "emph"}}},
						{Kind: bot.TextInline, Text: ", "},
						{Kind: bot.CodeInline, Text: "code()"},
						{Kind: bot.TextInline, Text: ", "},
						{Kind: bot.LinkInline, URL: "https://example.com/a_b?x=1&y=2", Children: []bot.Inline{{Kind: bot.TextInline, Text: "a link"}}},
						{Kind: bot.TextInline, Text: ", "},
						{Kind: bot.MathInline, Text: "a_1 * b_2"},
						{Kind: bot.TextInline, Text: " and costs $5 or $10."},
						{Kind: bot.BreakInline},
						{Kind: bot.TextInline, Text: "Next line"},
						{Kind: bot.BreakInline},
						{Kind: bot.TextInline, Text: "third & soft wrap."},
					}},
					{Kind: bot.ListBlock, Ordered: true, Start: 3, Items: [][]bot.Block{
						{{Kind: bot.ParagraphBlock, Inlines: []bot.Inline{{Kind: bot.TextInline, Text: "three"}}}},
						{
							{Kind: bot.ParagraphBlock, Inlines: []bot.Inline{{Kind: bot.TextInline, Text: "four"}}},
							{Kind: bot.ListBlock, Items: [][]bot.Block{{
								{Kind: bot.ParagraphBlock, Inlines: []bot.Inline{{Kind: bot.TextInline, Text: "nested"}}},
								{Kind: bot.ListBlock, Ordered: true, Start: 1, Items: [][]bot.Block{
									{{Kind: bot.ParagraphBlock, Inlines: []bot.Inline{{Kind: bot.TextInline, Text: "deep"}}}},
								}},
							}}},
						},
					}},
					{Kind: bot.ParagraphBlock, Inlines: []bot.Inline{{Kind: bot.StrongInline, Children: []bot.Inline{{Kind: bot.TextInline, Text: "Detail"}}}}},
					{Kind: bot.ParagraphBlock, Inlines: []bot.Inline{{Kind: bot.CodeInline, Text: "code block"}}},
				}
				if g, w := jsonString(t, blocks), jsonString(t, want); g != w {
					t.Errorf("blocks\n got %s\nwant %s", g, w)
				}
			},
		},
		{
			name: "정보 부족 / N/A as the whole body is NoInfo, words kept",
			src: post("date: 2025-10-01", "# 1. [A](https://arxiv.org/abs/2510.01234)\n\n"+
				"## A\n\n정보 부족.\n\n## B\n\n- 정보 부족\n\n## C\n\nN/A\n\n## D\n\n- n/a.\n\n## E\n\n## F\n\n정보 부족하지만 조금 있다.\n\n## G\n\n- N/A\n- more\n\n## H\n\n*정보 부족*\n"),
			check: func(t *testing.T, d *bot.Digest) {
				want := map[string]bool{"A": true, "B": true, "C": true, "D": true, "E": true, "F": false, "G": false, "H": true}
				for _, s := range d.Papers[0].Sections {
					if s.NoInfo != want[s.Name] {
						t.Errorf("section %s (%q): NoInfo %v", s.Name, s.Text(), s.NoInfo)
					}
					if s.Name != "E" && len(s.Blocks) == 0 {
						t.Errorf("section %s lost its blocks", s.Name)
					}
				}
				if got := text1(d, 0, "A"); got != "정보 부족." {
					t.Errorf("A text %q", got)
				}
			},
		},
		{
			name: "text between the heading and the first section is an unnamed section",
			src:  post("date: 2025-10-01", "# 1. [A](https://arxiv.org/abs/2510.01234)\n\nA short note.\n\n## Introduction\n\nI.\n"),
			check: func(t *testing.T, d *bot.Digest) {
				s := d.Papers[0].Sections
				if len(s) != 2 || s[0].Name != "" || s[0].Text() != "A short note." || s[0].Line != 7 {
					t.Errorf("%+v", s)
				}
			},
		},
		{
			name:    "a dated post with no paper headings fails",
			path:    "2025-10-08-empty.md",
			src:     post("date: 2025-10-08", "Nothing today.\n\n## Later\n"),
			wantErr: `2025-10-08-empty.md:1: no papers (no "# N. [Title](link)" heading)`,
		},
		{
			name: "a draft with no papers is fine",
			src:  post("date: 2025-10-08\npublished: false", "Work in progress.\n"),
			check: func(t *testing.T, d *bot.Digest) {
				if !d.Draft || len(d.Papers) != 0 || d.Papers == nil {
					t.Errorf("%+v", d)
				}
			},
		},
		{
			name: "Hash is the SHA-256 of the raw bytes; Path is as given",
			path: "sub/2025-10-01-x.md",
			src:  "\ufeff" + post("date: 2025-10-01", onePaper),
			check: func(t *testing.T, d *bot.Digest) {
				sum := sha256.Sum256([]byte("\ufeff" + post("date: 2025-10-01", onePaper)))
				if d.Hash != hex.EncodeToString(sum[:]) || d.Path != "sub/2025-10-01-x.md" {
					t.Errorf("hash %s path %s", d.Hash, d.Path)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path
			if path == "" {
				path = "2025-10-01-test.md"
			}
			p := &Parser{Location: tt.loc}
			d, err := p.Parse(path, []byte(tt.src))
			if tt.wantErr != "" {
				var pe *bot.PostError
				if !errors.As(err, &pe) {
					t.Fatalf("err = %v (%T), want a *bot.PostError %q", err, err, tt.wantErr)
				}
				if err.Error() != tt.wantErr {
					t.Fatalf("err =\n %s\nwant\n %s", err, tt.wantErr)
				}
				if d != nil {
					t.Error("a digest with an error")
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !tt.date.IsZero() && !d.Date.Equal(tt.date) {
				t.Errorf("date %v, want %v", d.Date, tt.date)
			}
			if tt.check != nil {
				tt.check(t, d)
			}
		})
	}
}

func jsonString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseTestdata(t *testing.T) {
	t.Parallel()
	p := &Parser{}
	tests := []struct {
		file    string
		wantErr string
		check   func(t *testing.T, d *bot.Digest)
	}{
		{file: "bad-yaml.md", wantErr: "testdata/posts/bad-yaml.md:5: the front matter is not valid YAML: found unexpected end of stream (an unclosed quote or bracket?)"},
		{file: "2025-10-08-no-papers.md", wantErr: `testdata/posts/2025-10-08-no-papers.md:1: no papers (no "# N. [Title](link)" heading)`},
		{file: "2025-10-05-bom-crlf.md", check: func(t *testing.T, d *bot.Digest) {
			if d.Title != "BOM and CRLF" || len(d.Papers) != 1 || d.Papers[0].AlphaxivURL == "" || !d.Papers[0].Section("Limitations").NoInfo {
				t.Errorf("%+v", d)
			}
			if g := d.Papers[0].Goal(); g != "survive CRLF." {
				t.Errorf("goal %q", g)
			}
		}},
		{file: "2025-10-06-no-date.md", check: func(t *testing.T, d *bot.Digest) {
			if d.Day() != "2025-10-06" || strings.Join(d.Tags, " ") != "papers weekly" {
				t.Errorf("%+v", d)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := "testdata/posts/" + tt.file
			src, err := os.ReadFile(filepath.FromSlash(path))
			if err != nil {
				t.Fatal(err)
			}
			d, err := p.Parse(path, src)
			if tt.wantErr != "" {
				var pe *bot.PostError
				if !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want prefix %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, d)
		})
	}
}

// fixturePath is the real post shared by the team, next to the module.
func fixturePath(t testing.TB) string {
	p := filepath.Join("..", "..", "shared", "fixtures", "posts", "2025-09-30-daily-papers.md")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("../shared not present: %v", err)
	}
	return p
}

func TestParseFixture(t *testing.T) {
	t.Parallel()
	path := fixturePath(t)
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	kst := seoul(t)
	d, err := (&Parser{Location: kst}).Parse("2025-09-30-daily-papers.md", src)
	if err != nil {
		t.Fatal(err)
	}
	if d.Title != "Daily Papers — 2025-09-30" || !d.Date.Equal(time.Date(2025, 9, 30, 8, 15, 0, 0, kst)) || d.Draft {
		t.Errorf("digest %q %v draft=%v", d.Title, d.Date, d.Draft)
	}
	if strings.Join(d.Tags, ",") != "papers,hugginface" || len(d.Categories) != 0 {
		t.Errorf("tags %q categories %q", d.Tags, d.Categories)
	}
	want := []struct{ id, title string }{
		{"2509.24006", "SLA: Beyond Sparsity in Diffusion Transformers via Fine-Tunable Sparse-Linear Attention"},
		{"2509.22220", "StableToken: A Noise-Robust Semantic Speech Tokenizer for Resilient SpeechLLMs"},
		{"2509.24014", "SparseD: Sparse Attention for Diffusion Language Models"},
		{"2509.25191", "VGGT-X: When VGGT Meets Dense Novel View Synthesis"},
		{"2509.24663", "InfLLM-V2: Dense-Sparse Switchable Attention for Seamless Short-to-Long Adaptation"},
		{"2509.23050", "Understanding Language Prior of LVLMs by Contrasting Chain-of-Embedding"},
		{"2509.21875", "LUMINA: Detecting Hallucinations in RAG System with Context-Knowledge Signals"},
		{"2509.25149", "Pretraining Large Language Models with NVFP4"},
		{"2509.24335", "Hyperspherical Latents Improve Continuous-Token Autoregressive Generation"},
		{"2509.22570", "UniMIC: Token-Based Multimodal Interactive Coding for Human-AI Collaboration"},
		{"2509.22518", "REMA: A Unified Reasoning Manifold Framework for Interpreting Large Language Model"},
		{"2509.24592", "BPMN Assistant: An LLM-Based Approach to Business Process Modeling"},
		{"2509.18582", "The Photographer Eye: Teaching Multimodal Large Language Models to See and Critique like Photographers"},
		{"2509.24988", "Generalized Correctness Models: Learning Calibrated and Model-Agnostic Correctness Predictors from Historical Patterns"},
		{"2509.22991", "ADAM: A Diverse Archive of Mankind for Evaluating and Enhancing LLMs in Biographical Reasoning"},
		{"2509.16538", "Advancing Reference-free Evaluation of Video Captions with Factual Analysis"},
	}
	if len(d.Papers) != len(want) {
		t.Fatalf("%d papers, want %d", len(d.Papers), len(want))
	}
	sections := []string{"Introduction", "Method", "Results", "Limitations", "Conclusion"}
	for i, w := range want {
		p := d.Papers[i]
		if p.Number != i+1 || p.Title != w.title || string(p.ID) != w.id || p.Version != "" {
			t.Errorf("paper %d: %d %q %q %q", i+1, p.Number, p.Title, p.ID, p.Version)
		}
		if p.URL != "https://arxiv.org/abs/"+w.id || p.Link() != p.URL {
			t.Errorf("paper %d: url %q", i+1, p.URL)
		}
		if p.AlphaxivURL != "https://www.alphaxiv.org/ko/overview/"+w.id {
			t.Errorf("paper %d: alphaxiv %q", i+1, p.AlphaxivURL)
		}
		if len(p.Sections) != len(sections) {
			t.Errorf("paper %d: %d sections", i+1, len(p.Sections))
			continue
		}
		for j, name := range sections {
			s := p.Sections[j]
			if s.Name != name || len(s.Blocks) == 0 || s.Line <= p.Line {
				t.Errorf("paper %d section %d: %q with %d blocks at line %d", i+1, j, s.Name, len(s.Blocks), s.Line)
			}
			noInfo := (i+1 == 10 || i+1 == 13) && name == "Limitations"
			if s.NoInfo != noInfo {
				t.Errorf("paper %d %s: NoInfo %v, want %v", i+1, name, s.NoInfo, noInfo)
			}
		}
		if p.Goal() == "" {
			t.Errorf("paper %d: no goal", i+1)
		}
	}
	// The two "no information" bodies, as written (fixture lines 267, 349).
	if s := d.Papers[9].Section("Limitations"); s.Text() != "정보 부족." || s.Line != 265 {
		t.Errorf("paper 10 limitations %q at %d", s.Text(), s.Line)
	}
	if s := d.Papers[12].Section("Limitations"); s.Text() != "- 정보 부족" || s.Line != 347 || s.Blocks[0].Kind != bot.ListBlock {
		t.Errorf("paper 13 limitations %q at %d", s.Text(), s.Line)
	}
	if d.Papers[0].Line != 9 || d.Papers[15].Line != 409 {
		t.Errorf("lines %d %d", d.Papers[0].Line, d.Papers[15].Line)
	}
	if g := d.Papers[0].Goal(); !strings.HasPrefix(g, "본 연구의 목표는") {
		t.Errorf("goal %q", g)
	}
}

// TestParseConcurrent checks (under -race) that one Parser and the shared
// goldmark instance serve many goroutines.
func TestParseConcurrent(t *testing.T) {
	t.Parallel()
	p := &Parser{Location: seoul(t)}
	srcs := make([][]byte, 8)
	for i := range srcs {
		srcs[i] = []byte(post("date: 2025-10-01", strings.Repeat(onePaper, i+1)))
	}
	want := make([]string, len(srcs))
	for i, src := range srcs {
		d, err := p.Parse("x.md", src)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = jsonString(t, d)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 20; k++ {
				i := (g + k) % len(srcs)
				d, err := p.Parse("x.md", srcs[i])
				if err != nil {
					t.Error(err)
					return
				}
				if b, _ := json.Marshal(d); string(b) != want[i] {
					t.Errorf("goroutine %d: different result", g)
					return
				}
			}
		}()
	}
	wg.Wait()
}
