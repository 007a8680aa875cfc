// Package bottest holds what several packages' tests share: a made-up
// digest of any size, a new SQLite database and a store holding posts, a buffer
// safe to write from the bot and read from the test, and the check of what
// a failed Post tells the engine. It is for tests only; the program never
// imports it.
package bottest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/store/sqlite"
)

// Para is a one-paragraph block list.
func Para(s string) []bot.Block {
	return []bot.Block{{Kind: bot.ParagraphBlock, Inlines: []bot.Inline{{Kind: bot.TextInline, Text: s}}}}
}

// List is a bullet list of one-paragraph items.
func List(items ...string) bot.Block {
	b := bot.Block{Kind: bot.ListBlock}
	for _, it := range items {
		b.Items = append(b.Items, Para(it))
	}
	return b
}

// Digest is a made-up post of day ("2006-01-02") with n papers of four
// sections each (Introduction with a Goal line, Method, Results,
// Limitations). title is a fmt pattern given the paper's number (every %d
// gets it); body is every section's text, repeated times over so that
// long digests need several messages.
func Digest(day string, n int, title, body string, repeat int) *bot.Digest {
	date, _ := time.Parse(time.DateOnly, day)
	d := &bot.Digest{Date: date.Add(8 * time.Hour), Title: "Daily Papers " + day, Path: "_posts/" + day + "-daily-papers.md", Hash: "h-" + day}
	body = strings.Repeat(body, max(repeat, 1))
	verbs := strings.Count(title, "%d")
	for i := 1; i <= n; i++ {
		args := make([]any, verbs)
		for k := range args {
			args[k] = i
		}
		p := bot.Paper{Number: i, Title: fmt.Sprintf(title, args...), ID: bot.ArxivID(fmt.Sprintf("2509.%05d", 10000+i))}
		p.URL = p.ID.AbsURL()
		for _, name := range []string{"Introduction", "Method", "Results", "Limitations"} {
			text := body
			if name == "Introduction" {
				text = fmt.Sprintf("Goal: make model %d faster. ", i) + body
			}
			p.Sections = append(p.Sections, bot.Section{Name: name, Blocks: Para(text)})
		}
		d.Papers = append(d.Papers, p)
	}
	return d
}

// seeded are SQLite databases made once per test binary, by what they
// hold: "" is the empty database at the current schema (SQLiteFile), any
// other key the JSON of the posts Store saved in one.
var seeded struct {
	mu  sync.Mutex
	dbs map[string]*seededDB
}

type seededDB struct {
	once sync.Once
	db   []byte
	err  error
}

// seededBytes returns the database of key, made on its first use: a copy
// of base (nil: a new file sqlite.Open creates and migrates), opened and
// filled by fill (nil: left as it is), then closed.
func seededBytes(key string, base func() ([]byte, error), fill func(*sqlite.Store) error) ([]byte, error) {
	seeded.mu.Lock()
	if seeded.dbs == nil {
		seeded.dbs = map[string]*seededDB{}
	}
	e := seeded.dbs[key]
	if e == nil {
		e = &seededDB{}
		seeded.dbs[key] = e
	}
	seeded.mu.Unlock()
	e.once.Do(func() { e.db, e.err = makeDB(base, fill) })
	return e.db, e.err
}

func makeDB(base func() ([]byte, error), fill func(*sqlite.Store) error) ([]byte, error) {
	dir, err := os.MkdirTemp("", "paperbot-seeded-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "paperbot.db")
	if base != nil {
		db, err := base()
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, db, 0o600); err != nil {
			return nil, err
		}
	}
	s, err := sqlite.Open(context.Background(), path, nil)
	if err != nil {
		return nil, err
	}
	if fill != nil {
		if err := fill(s); err != nil {
			s.Close()
			return nil, err
		}
	}
	if err := s.Close(); err != nil {
		return nil, err
	}
	// Closing the last connection folds the WAL into the file, so the
	// file alone is the whole database.
	if _, err := os.Stat(path + "-wal"); err == nil {
		return nil, fmt.Errorf("%s-wal is left after Close", path)
	}
	return os.ReadFile(path)
}

func migratedBytes() ([]byte, error) { return seededBytes("", nil, nil) }

// writeDB writes db as a new database file in the test's temp folder.
func writeDB(t testing.TB, db []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "paperbot.db")
	if err := os.WriteFile(path, db, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// SQLiteFile writes a new, empty SQLite database at the current schema in
// the test's temp folder and returns its path. It is a copy of one that
// sqlite.Open created and migrated once per test binary: under -race,
// migrating each test's new database cost a tenth of a second of CPU, most
// of what some packages' tests spent. sqlite's own tests check migrating
// a new file.
func SQLiteFile(t testing.TB) string {
	t.Helper()
	db, err := migratedBytes()
	if err != nil {
		t.Fatalf("make a migrated SQLite database: %v", err)
	}
	return writeDB(t, db)
}

// Store is a SQLite store on a new database file holding posts, closed
// when the test ends. The file is a copy of one that held the same posts
// (the same JSON), saved once per test binary from SQLiteFile's database:
// tests open many stores on a few sets of posts (bot/slack: 20 on 9,
// bot/web: 31 on one), and saving the posts each time (encoding, the
// index, statements prepared) was a fifth of those packages' CPU under
// -race. The posts' file states are {Path, Size 1, ModTime Date, Hash}.
func Store(t testing.TB, posts ...*bot.Digest) *sqlite.Store {
	t.Helper()
	path := ""
	if len(posts) == 0 {
		path = SQLiteFile(t)
	} else {
		key, err := json.Marshal(posts)
		if err != nil {
			t.Fatalf("posts as JSON: %v", err)
		}
		db, err := seededBytes(string(key), migratedBytes, func(s *sqlite.Store) error {
			for _, d := range posts {
				if err := s.SavePost(context.Background(), d, bot.FileState{Path: d.Path, Size: 1, ModTime: d.Date, Hash: d.Hash}); err != nil {
					return fmt.Errorf("save %s: %w", d.Path, err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("make a SQLite database holding the posts: %v", err)
		}
		path = writeDB(t, db)
	}
	s, err := sqlite.Open(context.Background(), path, nil)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Buffer is a bytes.Buffer safe for one side to write (a logger, the
// console target) while the test reads it.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// FreeAddr is a loopback host:port nothing listens on (it was free a
// moment ago): connections to it are refused until something binds it.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// PostFails posts d to tg, which must fail within 300ms, and checks what
// the failure tells the engine: whether the post failed alone (permanent)
// and whether nothing was sent (no Recover needed). Both chat adapters keep
// this contract alike.
func PostFails(t testing.TB, tg bot.Target, d *bot.Digest, permanent, notSent bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := tg.Post(ctx, d, "pb-0123456789abcdef")
	if err == nil {
		t.Fatal("Post succeeded")
	}
	if bot.IsPermanent(err) != permanent || bot.IsNotSent(err) != notSent {
		t.Errorf("err %v: permanent %v notSent %v, want %v %v", err, bot.IsPermanent(err), bot.IsNotSent(err), permanent, notSent)
	}
}
