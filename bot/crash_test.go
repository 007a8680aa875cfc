package bot_test

// Tests and benchmarks of the engine over the real SQLite store and folder
// source: the SIGKILL crash test asked for by issue 5, and the tick
// benchmark on SQLite.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/source/folder"
	"github.com/paperbot/paperbot/bot/store/sqlite"
)

// lineParser reads "key: value" lines: date (RFC 3339) and title. The
// engine's tests do not depend on the markdown parser.
type lineParser struct{}

func (lineParser) Parse(path string, src []byte) (*bot.Digest, error) {
	d := &bot.Digest{Path: path}
	for i, line := range strings.Split(string(src), "\n") {
		k, v, _ := strings.Cut(line, ":")
		v = strings.TrimSpace(v)
		switch k {
		case "date":
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return nil, &bot.PostError{Path: path, Line: i + 1, Reason: "bad date"}
			}
			d.Date = t
		case "title":
			d.Title = v
		}
	}
	return d, nil
}

// fileTarget is a chat kept in an append-only file, one line per event:
//
//	msg <id> <key> <post> <part> <hash>
//	edit <id> <hash>
//	del <id>
//
// Recover reads the file back like Slack's history. Each Post sends parts
// messages with a pause between them, so that a kill lands mid-post.
type fileTarget struct {
	name, file string
	parts      int
	pause      time.Duration
	mu         sync.Mutex
}

func (t *fileTarget) Name() string { return t.name }

func (t *fileTarget) write(line string) error {
	f, err := os.OpenFile(t.file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = f.WriteString(line + "\n")
	return errors.Join(err, f.Close())
}

func (t *fileTarget) send(d *bot.Digest, key string, part int) (bot.MessageRef, error) {
	time.Sleep(t.pause)
	id := strconv.FormatInt(time.Now().UnixNano(), 36) + "-" + strconv.Itoa(os.Getpid())
	err := t.write(fmt.Sprintf("msg %s %s %s %d %s", id, key, d.Path, part, d.Hash))
	return bot.MessageRef{Channel: t.name, ID: id}, err
}

func (t *fileTarget) Post(ctx context.Context, d *bot.Digest, key string) ([]bot.MessageRef, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var refs []bot.MessageRef
	for i := range t.parts {
		r, err := t.send(d, key, i)
		if err != nil {
			return refs, err
		}
		refs = append(refs, r)
	}
	return refs, nil
}

func (t *fileTarget) Recover(ctx context.Context, key string) ([]bot.MessageRef, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	msgs, err := readChat(t.file)
	if err != nil {
		return nil, err
	}
	var refs []bot.MessageRef
	for _, m := range msgs {
		if m.key == key && !m.deleted {
			refs = append(refs, bot.MessageRef{Channel: t.name, ID: m.id})
		}
	}
	return refs, nil
}

func (t *fileTarget) Edit(ctx context.Context, d *bot.Digest, key string, refs []bot.MessageRef) ([]bot.MessageRef, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []bot.MessageRef
	for i, r := range refs {
		line := "edit " + r.ID + " " + d.Hash
		if i >= t.parts {
			line = "del " + r.ID
		}
		if err := t.write(line); err != nil {
			return out, err
		}
		if i < t.parts {
			out = append(out, r)
		}
	}
	for i := len(out); i < t.parts; i++ {
		r, err := t.send(d, key, i)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

type chatMsg struct {
	id, key, post, hash string
	part                int
	deleted             bool
}

func readChat(file string) ([]*chatMsg, error) {
	f, err := os.Open(file)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var msgs []*chatMsg
	byID := map[string]*chatMsg{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		switch {
		case len(fl) == 6 && fl[0] == "msg":
			part, _ := strconv.Atoi(fl[4])
			m := &chatMsg{id: fl[1], key: fl[2], post: fl[3], part: part, hash: fl[5]}
			msgs = append(msgs, m)
			byID[m.id] = m
		case len(fl) == 3 && fl[0] == "edit" && byID[fl[1]] != nil:
			byID[fl[1]].hash = fl[2]
		case len(fl) == 2 && fl[0] == "del" && byID[fl[1]] != nil:
			byID[fl[1]].deleted = true
		}
	}
	return msgs, sc.Err()
}

const (
	crashEnv   = "PAPERBOT_CRASH_CHILD_DIR"
	crashPosts = 10
	crashParts = 3
)

func crashTargets(dir string) []bot.Target {
	return []bot.Target{
		&fileTarget{name: "team", file: filepath.Join(dir, "team.chat"), parts: crashParts, pause: 15 * time.Millisecond},
		&fileTarget{name: "lab", file: filepath.Join(dir, "lab.chat"), parts: crashParts, pause: 15 * time.Millisecond},
	}
}

// crashChild is the process the parent kills: one tick over the shared
// SQLite file, then exit 0.
func crashChild(dir string) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "bot.db"), nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	e := &bot.Engine{
		Store: st, Source: folder.New(filepath.Join(dir, "posts"), logger), Parser: lineParser{},
		Targets: crashTargets(dir), CatchUp: 30 * 24 * time.Hour, Logger: logger,
		// The same replica after a restart: it gets its lease back at once.
		Holder: "crash-test",
	}
	if err := e.Tick(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(4)
	}
	st.Close()
	os.Exit(0)
}

func countLines(t *testing.T, files ...string) int {
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		n += strings.Count(string(b), "\n")
	}
	return n
}

// TestCrashSIGKILL kills the bot with SIGKILL in the middle of a batch,
// several times at different points, restarts it, and checks that every
// post reached every target exactly once overall.
func TestCrashSIGKILL(t *testing.T) {
	t.Parallel()
	if dir := os.Getenv(crashEnv); dir != "" {
		crashChild(dir)
		return
	}
	if testing.Short() {
		t.Skip("subprocess crash test skipped in -short mode")
	}
	dir := t.TempDir()
	posts := filepath.Join(dir, "posts")
	if err := os.Mkdir(posts, 0o755); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for i := range crashPosts {
		date := now.Add(-time.Duration(crashPosts-i) * time.Hour)
		name := fmt.Sprintf("%s-post-%02d.md", date.Format(time.DateOnly), i)
		body := fmt.Sprintf("date: %s\ntitle: Post %d\n", date.Format(time.RFC3339), i)
		if err := os.WriteFile(filepath.Join(posts, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	chats := []string{filepath.Join(dir, "team.chat"), filepath.Join(dir, "lab.chat")}
	total := crashPosts * crashParts * 2

	run := func(killAfter int) (exited bool) {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashSIGKILL$")
		// A race-enabled child that exits sleeps a second first, by
		// default, for other threads to report (GORACE atexit_sleep_ms):
		// its races are reported as they happen and still fail its exit
		// status, so the two runs to the end need not wait.
		cmd.Env = append(os.Environ(), crashEnv+"="+dir, "GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		start := countLines(t, chats...)
		deadline := time.After(60 * time.Second)
		for {
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("child failed: %v\n%s", err, stderr.String())
				}
				return true
			case <-deadline:
				cmd.Process.Kill()
				t.Fatal("child took too long")
			case <-time.After(2 * time.Millisecond):
			}
			if killAfter > 0 && countLines(t, chats...)-start >= killAfter {
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				<-done
				return false
			}
		}
	}
	// Kills after 1, 4, 8 and 11 new chat lines: between messages of one
	// post, right after a post, in the second target, and so on.
	kills := 0
	for _, k := range []int{1, 4, 8, 11} {
		if !run(k) {
			kills++
		}
	}
	if kills == 0 {
		t.Fatal("no run was killed mid-batch; the test proves nothing")
	}
	run(0) // to the end
	lines := countLines(t, chats...)
	run(0) // and once more: nothing to do
	if got := countLines(t, chats...); got != lines {
		t.Errorf("a tick after everything was delivered wrote %d chat lines", got-lines)
	}

	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "bot.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	live := 0
	for _, tg := range crashTargets(dir) {
		ft := tg.(*fileTarget)
		msgs, err := readChat(ft.file)
		if err != nil {
			t.Fatal(err)
		}
		perPost := map[string][]*chatMsg{}
		for _, m := range msgs {
			if !m.deleted {
				perPost[m.post] = append(perPost[m.post], m)
				live++
			}
		}
		all, err := st.Posts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != crashPosts {
			t.Fatalf("%d posts indexed, want %d", len(all), crashPosts)
		}
		for _, d := range all {
			got := perPost[d.Path]
			parts := map[int]int{}
			for _, m := range got {
				parts[m.part]++
			}
			if len(got) != crashParts || len(parts) != crashParts {
				t.Errorf("%s on %s: %d live messages (parts %v), want %d once each", d.Path, ft.name, len(got), parts, crashParts)
			}
			rec, err := st.Delivery(ctx, d.Path, ft.name)
			if err != nil || rec.State != bot.DeliverySent || len(rec.Refs) != crashParts {
				t.Errorf("%s on %s: record %+v, %v", d.Path, ft.name, rec, err)
			}
		}
	}
	t.Logf("%d kills, %d chat lines, %d live messages (want %d)", kills, lines, live, total)
}

// mapSource is a Source over n generated posts plus added ones, without
// disk: the benchmark measures the engine and the store.
type mapSource struct {
	files map[string][]byte
	mod   time.Time
}

func (s *mapSource) List(ctx context.Context) ([]bot.SourceFile, error) {
	out := make([]bot.SourceFile, 0, len(s.files))
	for p, b := range s.files {
		out = append(out, bot.SourceFile{Path: p, Size: int64(len(b)), ModTime: s.mod})
	}
	return out, nil
}

func (s *mapSource) Read(ctx context.Context, path string) ([]byte, error) {
	b, ok := s.files[path]
	if !ok {
		return nil, fmt.Errorf("no file %s", path)
	}
	return b, nil
}

type countingParser struct{ n int }

func (p *countingParser) Parse(path string, src []byte) (*bot.Digest, error) {
	p.n++
	d, err := lineParser{}.Parse(path, src)
	if err == nil {
		for i := 1; i <= 16; i++ {
			d.Papers = append(d.Papers, bot.Paper{Number: i, Title: fmt.Sprintf("Paper %d of %s", i, path),
				ID: bot.ArxivID(fmt.Sprintf("2509.%05d", i)),
				Sections: []bot.Section{{Name: "Introduction", Blocks: []bot.Block{{Kind: bot.ParagraphBlock,
					Inlines: []bot.Inline{{Kind: bot.TextInline, Text: "Goal: a sentence of about the usual length for a goal."}}}}}}})
		}
	}
	return d, err
}

// nopTarget accepts everything.
type nopTarget struct{ posts int }

func (t *nopTarget) Name() string { return "team" }
func (t *nopTarget) Post(ctx context.Context, d *bot.Digest, key string) ([]bot.MessageRef, error) {
	t.posts++
	return []bot.MessageRef{{Channel: "C1", ID: key}}, nil
}
func (t *nopTarget) Recover(context.Context, string) ([]bot.MessageRef, error) { return nil, nil }
func (t *nopTarget) Edit(ctx context.Context, d *bot.Digest, key string, refs []bot.MessageRef) ([]bot.MessageRef, error) {
	return refs, nil
}

// BenchmarkTickSQLite is BenchmarkTick on the SQLite store: a tick over an
// archive of 10,000 posts (16 papers each) with one new post. The setup
// reports the first run (index 10,000 posts, record them skipped).
func BenchmarkTickSQLite(b *testing.B) {
	const n = 10_000
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	t0 := time.Date(2025, 9, 30, 9, 30, 0, 0, time.UTC)
	src := &mapSource{files: map[string][]byte{}, mod: t0}
	for i := 1; i <= n; i++ {
		d := t0.Add(-time.Duration(i) * 24 * time.Hour)
		src.files[fmt.Sprintf("_posts/%s-daily-%05d.md", d.Format(time.DateOnly), i)] =
			[]byte(fmt.Sprintf("date: %s\ntitle: Daily Papers %d\n", d.Format(time.RFC3339), i))
	}
	now := t0
	parser, tg := &countingParser{}, &nopTarget{}
	e := &bot.Engine{
		Store: st, Source: src, Parser: parser, Targets: []bot.Target{tg},
		CatchUp: 24 * time.Hour, Now: func() time.Time { return now }, Holder: "bench",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	start := time.Now()
	if err := e.Tick(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("first run over %d posts: %v", n, time.Since(start))
	if parser.n != n {
		b.Fatalf("first tick parsed %d, want %d", parser.n, n)
	}
	// A restart over the indexed archive: nothing is parsed again.
	start = time.Now()
	if err := (&bot.Engine{Store: st, Source: src, Parser: parser, Targets: []bot.Target{tg},
		CatchUp: e.CatchUp, Now: e.Now, Holder: "bench", Logger: e.Logger}).Tick(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("restart tick over %d indexed posts: %v (parses: %d)", n, time.Since(start), parser.n-n)
	sent0 := tg.posts
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		now = now.Add(time.Minute)
		src.files[fmt.Sprintf("_posts/2025-09-30-new-%06d.md", i)] =
			[]byte(fmt.Sprintf("date: %s\ntitle: New %d\n", now.Add(-time.Second).Format(time.RFC3339), i))
		before := parser.n
		b.StartTimer()
		if err := e.Tick(ctx); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if parser.n-before != 1 {
			b.Fatalf("tick parsed %d posts, want exactly the new one", parser.n-before)
		}
		b.StartTimer()
	}
	if tg.posts-sent0 != i {
		b.Fatalf("%d sends for %d new posts", tg.posts-sent0, i)
	}
}
