package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// fixtureDir is the shared real post, beside the module root.
var fixtureDir = filepath.Join("..", "..", "..", "shared", "fixtures", "posts")

var examplesDir = filepath.Join("..", "..", "examples", "posts")

func needFixture(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(fixtureDir); err != nil {
		t.Skipf("../shared not present: %v", err)
	}
}

// paperbot runs the command line with buffers and returns the exit code,
// stdout and stderr.
func paperbot(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestCheckFixture(t *testing.T) {
	t.Parallel()
	needFixture(t)
	code, out, errs := paperbot(t, "check", "--posts", fixtureDir)
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	if !strings.Contains(out, "checked 1 post, 16 papers, 0 problems") {
		t.Errorf("summary: %q", out)
	}
}

func TestCheckExamples(t *testing.T) {
	t.Parallel()
	code, out, errs := paperbot(t, "check", "--config", filepath.Join("..", "..", "examples", "paperbot.yaml"))
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	if !strings.HasPrefix(out, "checked ") || !strings.Contains(out, " 0 problems") {
		t.Errorf("summary: %q", out)
	}
}

// writePosts makes a posts folder with two good posts and one whose front
// matter is not YAML.
func writePosts(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"2025-10-01-good.md": "---\ntitle: Good\ndate: 2025-10-01 08:00:00\n---\n\n# 1. [A Paper](https://arxiv.org/abs/2510.00001)\n\n## Introduction\n\n- Goal: Test things.\n",
		"2025-10-02-bad.md":  "---\ntitle: [unclosed\ndate: 2025-10-02\n---\n\n# 1. [B Paper](https://arxiv.org/abs/2510.00002)\n",
		"2025-10-03-good.md": "---\ntitle: Also good\n---\n\n# 1. [C Paper](https://arxiv.org/abs/2510.00003)\n\n## Introduction\n\nSearchable words here.\n",
		"README.md":          "not a post\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestCheckBrokenPost(t *testing.T) {
	t.Parallel()
	dir := writePosts(t)
	code, out, errs := paperbot(t, "check", "--posts", dir)
	if code != 1 {
		t.Fatalf("exit %d, want 1\nstdout: %s\nstderr: %s", code, out, errs)
	}
	bad := filepath.Join(dir, "2025-10-02-bad.md") + ":"
	var found bool
	for _, line := range strings.Split(strings.TrimSpace(errs), "\n") {
		if strings.HasPrefix(line, bad) {
			found = true
			// file:line: reason
			rest := strings.TrimPrefix(line, bad)
			if n := strings.IndexByte(rest, ':'); n < 1 || strings.Trim(rest[:n], "0123456789") != "" {
				t.Errorf("no line number in %q", line)
			}
		}
	}
	if !found {
		t.Errorf("stderr does not report %s:\n%s", bad, errs)
	}
	// The other posts were still checked.
	if !strings.Contains(out, "checked 2 posts, 2 papers, 1 problem") {
		t.Errorf("summary: %q", out)
	}
}

func TestCheckBadConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "paperbot.yaml")
	os.MkdirAll(filepath.Join(dir, "posts"), 0o755)
	os.WriteFile(cfg, []byte("posts: {dir: posts}\nslack:\n  bot_token: xoxb-SECRET\n  signing_secret: s\n  targets: [{name: team}]\n"), 0o644)
	code, out, errs := paperbot(t, "check", "--config", cfg)
	if code != 1 || !strings.Contains(errs, "config: slack.targets[0].channel is required") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	if strings.Contains(errs+out, "xoxb-SECRET") {
		t.Error("secret printed")
	}
	os.WriteFile(cfg, []byte("posts: {dri: posts}\n"), 0o644)
	code, _, errs = paperbot(t, "check", "--config", cfg)
	if code != 1 || !strings.Contains(errs, `unknown key "dri" in posts`) {
		t.Fatalf("exit %d, stderr: %s", code, errs)
	}
}

func TestLookupForms(t *testing.T) {
	t.Parallel()
	needFixture(t)
	for _, q := range []string{
		"2509.24006",
		"2509.24006v1",
		"arXiv:2509.24006",
		"https://arxiv.org/abs/2509.24006",
		"https://arxiv.org/abs/2509.24006v1",
		"https://arxiv.org/pdf/2509.24006",
		"https://arxiv.org/pdf/2509.24006v1",
		"https://www.alphaxiv.org/ko/overview/2509.24006",
	} {
		t.Run(q, func(t *testing.T) {
			t.Parallel()
			code, out, errs := paperbot(t, "lookup", "--posts", fixtureDir, q)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			if !strings.Contains(out, "SLA: Beyond Sparsity in Diffusion Transformers") || !strings.Contains(out, "https://arxiv.org/abs/2509.24006") {
				t.Errorf("output:\n%s", out)
			}
		})
	}
	// Flags after the query work too.
	if code, out, _ := paperbot(t, "lookup", "2509.24006", "--posts", fixtureDir); code != 0 || !strings.Contains(out, "SLA:") {
		t.Errorf("interspersed flags: exit %d\n%s", code, out)
	}
}

func TestLookupNotFound(t *testing.T) {
	t.Parallel()
	dir := writePosts(t)
	code, out, errs := paperbot(t, "lookup", "--posts", dir, "2509.99999")
	if code != 1 || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	if !strings.Contains(errs, "No paper with arXiv id 2509.99999") || !strings.Contains(errs, "searched 2 posts") {
		t.Errorf("stderr: %q", errs)
	}
	// The broken post is reported but does not stop the search.
	if !strings.Contains(errs, "2025-10-02-bad.md") {
		t.Errorf("broken post not mentioned: %q", errs)
	}
	if code, _, errs := paperbot(t, "lookup", "--posts", dir, "no", "such", "words"); code != 1 || !strings.Contains(errs, "No paper matches") {
		t.Errorf("words: exit %d, %q", code, errs)
	}
}

func TestLookupWords(t *testing.T) {
	t.Parallel()
	dir := writePosts(t)
	code, out, errs := paperbot(t, "lookup", "--posts", dir, "searchable", "words")
	if code != 0 || !strings.Contains(out, "1. C Paper") || !strings.Contains(out, "2510.00003") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
}

func TestPreview(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob(filepath.Join(examplesDir, "2025-*.md"))
	if len(files) < 2 {
		t.Skip("no example posts")
	}
	for _, format := range []string{"slack", "discord"} {
		for _, details := range map[string][]string{"slack": {"", "container", "buttons", "thread", "inline"}, "discord": {"", "spoiler", "buttons", "inline"}}[format] {
			args := append([]string{"preview", "--format", format}, files...)
			if details != "" {
				args = append(args, "--details", details) // after the files
			}
			code, out, errs := paperbot(t, args...)
			if code != 0 {
				t.Fatalf("%s %s: exit %d: %s", format, details, code, errs)
			}
			sc := bufio.NewScanner(strings.NewReader(out))
			sc.Buffer(nil, 1<<24)
			lines := 0
			for sc.Scan() {
				lines++
				var msgs []map[string]any
				if err := json.Unmarshal(sc.Bytes(), &msgs); err != nil || len(msgs) == 0 {
					t.Fatalf("%s %s: line %d is not a JSON array of messages: %v", format, details, lines, err)
				}
			}
			if lines != len(files) {
				t.Errorf("%s %s: %d lines for %d files", format, details, lines, len(files))
			}
		}
	}
	draft := filepath.Join(examplesDir, "2025-10-04-draft.md")
	if _, err := os.Stat(draft); err == nil {
		code, out, errs := paperbot(t, "preview", "--format", "text", draft)
		if code != 0 || out == "" || !strings.Contains(errs, "draft") {
			t.Errorf("draft: exit %d, stderr %q", code, errs)
		}
	}
}

func TestPreviewHTML(t *testing.T) {
	t.Parallel()
	file := filepath.Join(examplesDir, "2025-10-01-daily-papers.md")
	code, out, errs := paperbot(t, "preview", "--format", "html", file)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	// One page with both chats; the post's own markup arrives escaped.
	for _, want := range []string{"<html", "Slack", "Discord", "TileSparse", "Q&amp;A &lt;Bench&gt;"} {
		if !strings.Contains(out, want) {
			t.Errorf("HTML preview lacks %q", want)
		}
	}
	if strings.Contains(out, "Q&A <Bench>") {
		t.Errorf("HTML preview did not escape the title")
	}
}

func TestPreviewFixture(t *testing.T) {
	t.Parallel()
	needFixture(t)
	file := filepath.Join(fixtureDir, "2025-09-30-daily-papers.md")
	code, out, errs := paperbot(t, "preview", file)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var msgs []struct {
		Text   string            `json:"text"`
		Blocks []json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal([]byte(out), &msgs); err != nil || len(msgs) == 0 || msgs[0].Text == "" {
		t.Fatalf("not Slack messages: %v\n%.300s", err, out)
	}
}

func TestPreviewBrokenFile(t *testing.T) {
	t.Parallel()
	dir := writePosts(t)
	good, bad := filepath.Join(dir, "2025-10-01-good.md"), filepath.Join(dir, "2025-10-02-bad.md")
	code, out, errs := paperbot(t, "preview", "--format", "text", bad, good)
	if code != 1 || !strings.HasPrefix(errs, bad+":") || !strings.Contains(out, "A Paper") {
		t.Errorf("exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		code int
		out  string // in stdout
		err  string // in stderr
	}{
		{nil, 2, "", "Usage:"},
		{[]string{"help"}, 0, "paperbot preview", ""},
		{[]string{"-h"}, 0, "Usage:", ""},
		{[]string{"help", "lookup"}, 0, "-posts", ""},
		{[]string{"lookup", "-h"}, 0, "Usage: paperbot lookup", ""},
		{[]string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{[]string{"help", "frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{[]string{"check", "--bogus"}, 2, "", "paperbot check: flag provided but not defined: -bogus"},
		{[]string{"check", "--config", "a.yaml", "--posts", "dir"}, 2, "", "--config and --posts cannot be used together"},
		{[]string{"check", "extra"}, 2, "", `unexpected argument "extra"`},
		{[]string{"lookup", "--posts", "."}, 2, "", "give an arXiv id"},
		{[]string{"lookup", "-n", "0", "x"}, 2, "", "-n must be at least 1"},
		{[]string{"preview"}, 2, "", "give one or more post files"},
		{[]string{"preview", "--format", "html5", "x.md"}, 2, "", `--format "html5"`},
		{[]string{"preview", "--format", "slack", "--details", "spoiler", "x.md"}, 2, "", "not a Slack mode"},
		{[]string{"preview", "--format", "discord", "--details", "thread", "x.md"}, 2, "", "not a Discord mode"},
		{[]string{"preview", "--format", "text", "--details", "inline", "x.md"}, 2, "", "--details applies to"},
		{[]string{"preview", "missing.md"}, 1, "", "missing.md"},
		{[]string{"preview", "--format", "html", "--details", "inline", "x.md"}, 2, "", "--details applies to"},
		{[]string{"preview", "--timezone", "Mars/Base", "x.md"}, 2, "", "not a known time zone"},
		{[]string{"preview", "--config", "no-such.yaml", "x.md"}, 1, "", "no-such.yaml"},
		{[]string{"check", "--posts", "no-such-dir"}, 1, "", "no-such-dir"},
		{[]string{"check", "--config", "no-such.yaml"}, 1, "", "no-such.yaml"},
		{[]string{"version"}, 0, "paperbot ", ""},
		{[]string{"--version"}, 0, "go1.", ""},
		{[]string{"version", "x"}, 2, "", "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errs := paperbot(t, tt.args...)
			if code != tt.code || !strings.Contains(out, tt.out) || !strings.Contains(errs, tt.err) {
				t.Errorf("exit %d (want %d)\nstdout: %s\nstderr: %s", code, tt.code, out, errs)
			}
			if tt.code == 2 && tt.args != nil && strings.Count(strings.TrimSpace(errs), "\n") > 0 {
				t.Errorf("usage error is not one line: %q", errs)
			}
		})
	}
}

func TestParseFlagsInterspersed(t *testing.T) {
	t.Parallel()
	fs := newFlagSet("preview")
	format := fs.String("format", "", "")
	var s stdio
	s.out, s.err = &bytes.Buffer{}, &bytes.Buffer{}
	pos, err := parseFlags(fs, []string{"a.md", "--format", "text", "b.md", "--", "-c.md"}, s)
	if err != nil || *format != "text" || strings.Join(pos, ",") != "a.md,b.md,-c.md" {
		t.Errorf("pos %q format %q err %v", pos, *format, err)
	}
}

func TestCheckGitSource(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git binary for a file:// repository")
	}
	repo := t.TempDir()
	posts := filepath.Join(repo, "_posts")
	os.MkdirAll(posts, 0o755)
	os.WriteFile(filepath.Join(posts, "2025-10-01-a.md"), []byte("---\ntitle: A\n---\n\n# 1. [A Paper](https://arxiv.org/abs/2510.00001)\n\n## Introduction\n\n- Goal: G.\n"), 0o644)
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"},
		{"add", "."},
		{"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "posts"},
	} {
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "paperbot.yaml")
	os.WriteFile(cfg, []byte("posts: {git: {url: 'file://"+filepath.ToSlash(repo)+"'}}\ndata_dir: data\n"), 0o644)
	code, out, errs := paperbot(t, "check", "--config", cfg)
	if code != 0 || !strings.Contains(out, "checked 1 post, 1 paper, 0 problems") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	code, out, errs = paperbot(t, "lookup", "--config", cfg, "2510.00001")
	if code != 0 || !strings.Contains(out, "A Paper") {
		t.Fatalf("lookup: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
}

func TestPreviewConfigDefaults(t *testing.T) {
	t.Parallel()
	file := filepath.Join(examplesDir, "2025-10-01-daily-papers.md")
	if _, err := os.Stat(file); err != nil {
		t.Skip("no example post")
	}
	cfg := filepath.Join(t.TempDir(), "paperbot.yaml")
	os.WriteFile(cfg, []byte("slack: {details: buttons}\ndiscord: {details: inline}\n"), 0o644)
	for format, mode := range map[string]string{"slack": "buttons", "discord": "inline"} {
		_, want, _ := paperbot(t, "preview", "--format", format, "--details", mode, file)
		code, got, errs := paperbot(t, "preview", "--config", cfg, "--format", format, file)
		if code != 0 || got != want {
			t.Errorf("%s: exit %d (%s); --config did not give --details %s", format, code, errs, mode)
		}
		_, dflt, _ := paperbot(t, "preview", "--format", format, file)
		if dflt == want {
			t.Errorf("%s: %s output equals the default's; the test proves nothing", format, mode)
		}
	}
}

// TestPreviewRefusesHugeAndSpecialFiles: preview reads posts under check's
// rules, so a 20 MB file and a symlink to /dev/zero are refused by their
// size and type before anything is read (the allocation during the whole
// run stays far below either's size), and the good post still renders.
// Not parallel: the allocation is the process's, and the parallel tests
// wait until the others have run.
func TestPreviewRefusesHugeAndSpecialFiles(t *testing.T) {
	dir := writePosts(t)
	good := filepath.Join(dir, "2025-10-01-good.md")
	big := filepath.Join(dir, "2025-10-03-big.md")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(20 << 20); err != nil { // sparse: 20 MB of NULs
		t.Fatal(err)
	}
	f.Close()
	zero := filepath.Join(dir, "2025-10-04-zero.md")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Skipf("cannot make a symlink: %v", err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	code, out, errs := paperbot(t, "preview", "--format", "text", big, zero, good)
	runtime.ReadMemStats(&after)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(errs, big+": 20971520 bytes, more than the 16777216 a post may have") {
		t.Errorf("big file not refused by its size: %q", errs)
	}
	if !strings.Contains(errs, zero+": not a regular file") {
		t.Errorf("/dev/zero not refused as not a regular file: %q", errs)
	}
	if !strings.Contains(out, "A Paper") {
		t.Errorf("the good post was not rendered: %q", out)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Errorf("preview allocated %d bytes: it read what it should have refused", alloc)
	}
}

// Warnings name the file as the user gave it and the paper's line, and do
// not fail the check.
func TestCheckWarnings(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	post := "---\ntitle: W\n---\n\n# 1. [A](https://arxiv.org/abs/2510.00001)\n\n# 2. No link\n\n# 3. [A again](https://arxiv.org/abs/2510.00001)\n"
	if err := os.WriteFile(filepath.Join(dir, "2025-10-05-w.md"), []byte(post), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := paperbot(t, "check", "--posts", dir)
	file := filepath.Join(dir, "2025-10-05-w.md")
	if code != 0 || !strings.Contains(out, "checked 1 post, 3 papers, 0 problems") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	for _, want := range []string{
		file + ":7: warning: paper 2 has no arXiv link",
		file + ":9: warning: paper 3 is arXiv 2510.00001 again (first as paper 1 on line 5)",
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
}

// TestPreviewManyInOrder renders many posts (on several goroutines) and
// checks that each file's output and messages come in argument order.
func TestPreviewManyInOrder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var files []string
	for i := 0; i < 60; i++ {
		name := filepath.Join(dir, fmt.Sprintf("2025-%02d-%02d-post-%02d.md", 1+i%12, 1+i%28, i))
		body := fmt.Sprintf("---\ntitle: \"Post %02d\"\ndate: 2025-01-01 08:00:00\n---\n\n# 1. [Paper number %02d](https://arxiv.org/abs/2501.%05d)\n\n## Introduction\n\n- Goal: %s\n", i, i, i, strings.Repeat("확산 모델 ", 1+i*37%200))
		if i%7 == 3 {
			body = "---\ntitle: [unclosed\n---\n" // fails alone, in its place
		}
		if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, name)
	}
	code, out, errs := paperbot(t, append([]string{"preview", "--format", "text"}, files...)...)
	if code != 1 {
		t.Fatalf("exit %d (want 1: some files are broken): %s", code, errs)
	}
	last := -1
	for i := range files {
		if i%7 == 3 {
			continue
		}
		at := strings.Index(out, fmt.Sprintf("Paper number %02d", i))
		if at < 0 || at < last {
			t.Fatalf("file %d's output missing or out of order (at %d, previous at %d)", i, at, last)
		}
		last = at
	}
	lastErr := -1
	for i := 3; i < len(files); i += 7 {
		at := strings.Index(errs, files[i]+":")
		if at < 0 || at < lastErr {
			t.Fatalf("file %d's error missing or out of order:\n%s", i, errs)
		}
		lastErr = at
	}
}
