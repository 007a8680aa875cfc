package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/bottest"
	"github.com/paperbot/paperbot/bot/store/internal/rows"
	"github.com/paperbot/paperbot/bot/store/sqlite"
	"github.com/paperbot/paperbot/bot/store/storetest"
)

// tempDB is a storetest.Opener on a file in the test's temp folder: a
// copy of a database migrated once per test binary (bottest.SQLiteFile), so
// each test starts from a new, empty database at the current schema
// without running every migration again (under -race that was a tenth of
// a second of CPU a test). Migrating a new file is tested by
// TestOpenMakesFolder, TestMemory and the upgrade tests.
func tempDB(t testing.TB) func() bot.Store {
	path := bottest.SQLiteFile(t)
	return func() bot.Store {
		s, err := sqlite.Open(context.Background(), path, nil)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		return s
	}
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, tempDB)
}

// A fresh machine has no data folder: Open makes it.
func TestOpenMakesFolder(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "data", "sub", "paperbot.db")
	s, err := sqlite.Open(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.SetMeta(context.Background(), "k", "v"); err != nil {
		t.Fatalf("write: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("no database file: %v", err)
	}
}

func TestMemory(t *testing.T) {
	t.Parallel()
	s, err := sqlite.Open(context.Background(), ":memory:", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.SetMeta(context.Background(), "k", "v"); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Meta(context.Background(), "k"); err != nil || v != "v" {
		t.Fatalf("Meta = %q, %v", v, err)
	}
}

// oldDatabase makes a database as paperbot at schema version made it: the
// migrations up to that version, applied from their files, and the rows its
// SavePost wrote (the whole digest as JSON, each paper's JSON and its
// lowercase text), with a file state, a delivery and a meta value.
func oldDatabase(t *testing.T, path string, version int, posts []*bot.Digest) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	exec(`CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL)`)
	files, _ := filepath.Glob("migrations/*.sql")
	for v := 1; v <= version; v++ {
		src, err := os.ReadFile(files[v-1])
		if err != nil {
			t.Fatal(err)
		}
		exec(string(src))
		exec(`INSERT INTO schema_version VALUES (?, '2025-01-01T00:00:00.000000000Z')`, v)
	}
	ts := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }
	for _, d := range posts {
		doc, _ := json.Marshal(d)
		exec(`INSERT INTO posts (path, day, date, local, title, draft, hash, digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			d.Path, d.Day(), ts(d.Date), d.Date.Format(time.RFC3339Nano), d.Title, d.Draft, d.Hash, string(doc))
		for j := range d.Papers {
			p := &d.Papers[j]
			pdoc, _ := json.Marshal(p)
			title, text := rows.SearchText(p)
			exec(`INSERT INTO papers (post, idx, draft, date, id, title_lc, text_lc, paper) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				d.Path, j, d.Draft, ts(d.Date), string(p.ID), title, text, string(pdoc))
		}
		fs := storetest.FileOf(d)
		exec(`INSERT INTO files (path, size, mod_time, hash, error) VALUES (?, ?, ?, ?, '')`, fs.Path, fs.Size, ts(fs.ModTime), fs.Hash)
		exec(`INSERT INTO deliveries (post, target, key, state, hash, refs, attempts, last_error, updated_at)
			VALUES (?, 'slack', ?, 'sent', ?, '[{"channel":"C1","id":"1.2"}]', 1, '', ?)`, d.Path, "k-"+d.Path, d.Hash, ts(d.Date))
	}
	exec(`INSERT INTO meta (key, value) VALUES ('last_scan', '2025-10-01T00:00:00Z')`)
}

// TestUpgradeFromVersion1 and TestUpgradeFromVersion2 open databases that
// earlier versions left, with posts, files and deliveries in them: every
// migration since must apply over those rows, which must all still be
// there, and lookups, search and the posts must answer as before.
func TestUpgradeFromVersion1(t *testing.T) { testUpgrade(t, 1) }
func TestUpgradeFromVersion2(t *testing.T) { testUpgrade(t, 2) }

func testUpgrade(t *testing.T, from int) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "paperbot.db")
	posts := storetest.GenPosts(30, 4, time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC), 1)
	oldDatabase(t, path, from, posts)

	s, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		t.Fatalf("open a version %d database: %v", from, err)
	}
	defer s.Close()
	for _, d := range posts {
		got, err := s.Post(ctx, d.Path)
		if err != nil {
			t.Fatalf("Post(%s): %v", d.Path, err)
		}
		if !reflect.DeepEqual(jsonOf(t, got), jsonOf(t, d)) {
			t.Errorf("Post(%s) after the upgrade differs:\n got %s\nwant %s", d.Path, jsonOf(t, got), jsonOf(t, d))
		}
	}
	want := posts[2].Papers[1]
	hit, err := s.Paper(ctx, want.ID)
	if err != nil || hit.Paper.Title != want.Title {
		t.Fatalf("Paper(%s) after the upgrade = %+v, %v", want.ID, hit, err)
	}
	if hit.Post.Path != posts[2].Path || hit.Post.Title != posts[2].Title || !hit.Post.Date.Equal(posts[2].Date) {
		t.Errorf("Paper(%s) after the upgrade is of post %q %q %v, want %q %q %v", want.ID,
			hit.Post.Path, hit.Post.Title, hit.Post.Date, posts[2].Path, posts[2].Title, posts[2].Date)
	}
	// The newest published paper whose title has its first word.
	word := strings.Fields(strings.ToLower(posts[28].Papers[0].Title))[0]
	hs, err := s.SearchPapers(ctx, word, 1)
	if err != nil || len(hs) != 1 || hs[0].Post.Path != posts[28].Path && hs[0].Post.Date.Before(posts[28].Date) {
		t.Errorf("SearchPapers(%q) after the upgrade = %+v, %v", word, hs, err)
	} else if hs[0].Post.Title == "" {
		t.Errorf("SearchPapers(%q) after the upgrade: a hit without its post's title", word)
	}
	if hs, _ := s.SearchPapers(ctx, posts[29].Papers[0].Title, 10); len(hs) != 0 && hs[0].Post.Path == posts[29].Path {
		t.Errorf("a draft is searched after the upgrade")
	}
	ds, err := s.Deliveries(ctx, "")
	if err != nil || len(ds) != len(posts) {
		t.Fatalf("Deliveries after the upgrade: %d, %v; want %d", len(ds), err, len(posts))
	}
	if d := ds[0]; d.State != bot.DeliverySent || d.Key != "k-"+d.Post || len(d.Refs) != 1 || d.Refs[0].ID != "1.2" {
		t.Errorf("delivery after the upgrade = %+v", d)
	}
	files, err := s.Files(ctx)
	if err != nil || len(files) != len(posts) || files[posts[0].Path].Hash != posts[0].Hash {
		t.Errorf("Files after the upgrade: %d, %v", len(files), err)
	}
	if v, _ := s.Meta(ctx, "last_scan"); v == "" {
		t.Errorf("meta lost in the upgrade")
	}

	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var version, old int
	if err := db.QueryRow(`SELECT MAX(version) FROM schema_version`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name = 'papers_v2'`).Scan(&old)
	if files, _ := filepath.Glob("migrations/*.sql"); version != len(files) || old != 0 {
		t.Errorf("after the upgrade: schema version %d (want %d), old papers table left: %v", version, len(files), old != 0)
	}
}

// TestLeasesLeaveTheStoreAlone: taking, renewing and giving up a lease
// commits nothing to the store's own file, so its readers keep their page
// caches. PRAGMA data_version, read on a connection of its own, moves
// whenever another connection commits to the file.
func TestLeasesLeaveTheStoreAlone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, db, path := storeAndFile(t)
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	dataVersion := func() int64 {
		t.Helper()
		var v int64
		if err := conn.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}

	before := dataVersion()
	for i := range 3 {
		if ok, err := s.Lease(ctx, bot.SenderLease, "a", time.Minute); !ok || err != nil {
			t.Fatalf("lease %d: %v, %v", i, ok, err)
		}
	}
	// A second store on the same file (another process) shares the leases.
	s2, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if ok, err := s2.Lease(ctx, bot.SenderLease, "b", time.Minute); ok || err != nil {
		t.Fatalf("a second store took the lease a holds: %v, %v", ok, err)
	}
	if err := s.ReleaseLease(ctx, bot.SenderLease, "a"); err != nil {
		t.Fatal(err)
	}
	if ok, err := s2.Lease(ctx, bot.SenderLease, "b", time.Minute); !ok || err != nil {
		t.Fatalf("the second store cannot take the lease a gave up: %v, %v", ok, err)
	}
	if after := dataVersion(); after != before {
		t.Errorf("the leases committed to the store's file: data_version %d -> %d", before, after)
	}
	if err := s.SetMeta(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	if dataVersion() == before {
		t.Fatal("a write to the store left data_version where it was: this test could not see a lease write either")
	}
}

// TestUpgradeKeepsTheLease: migration 6 moves the leases out of the
// store's file. A lease an older paperbot holds there is copied with its
// expiry, so the new replicas wait for it to run out, and the older
// paperbot's own lease writes fail from then on (it stops sending as when
// it loses its lease), so two senders never overlap.
func TestUpgradeKeepsTheLease(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "paperbot.db")
	oldDatabase(t, path, 5, nil)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ts := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }
	now := time.Now()
	if _, err := db.Exec(`INSERT INTO leases (name, holder, expires_at) VALUES ('sender', 'old', ?), ('ended', 'old', ?)`,
		ts(now.Add(time.Hour)), ts(now.Add(-time.Second))); err != nil {
		t.Fatal(err)
	}

	s, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if ok, err := s.Lease(ctx, "sender", "new", time.Minute); ok || err != nil {
		t.Errorf("the new paperbot took the lease the old one holds for an hour: %v, %v", ok, err)
	}
	if ok, err := s.Lease(ctx, "ended", "new", time.Minute); !ok || err != nil {
		t.Errorf("the new paperbot cannot take a lease that ran out before the upgrade: %v, %v", ok, err)
	}
	if ok, err := s.Lease(ctx, "sender", "old", time.Minute); !ok || err != nil {
		t.Errorf("the holder cannot renew its copied lease through the new store: %v, %v", ok, err)
	}
	// Version 5's Lease and ReleaseLease, as an old paperbot still running
	// sends them to the store's file.
	for _, holder := range []string{"old", "other"} {
		_, err := db.Exec(`INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
			WHERE leases.holder = excluded.holder OR leases.expires_at <= ?`, "sender", holder, ts(now.Add(time.Minute)), ts(now))
		if err == nil || !strings.Contains(err.Error(), "older than the database") {
			t.Errorf("an old paperbot (holder %s) wrote a lease to the store's file after the upgrade: %v", holder, err)
		}
	}
	if _, err := db.Exec(`INSERT INTO leases (name, holder, expires_at) VALUES ('fresh', 'old', ?)`, ts(now.Add(time.Minute))); err == nil {
		t.Error("an old paperbot took a new lease in the store's file after the upgrade")
	}
}

// storeAndFile opens a store on a new file and a plain database/sql handle
// on the same file, to look at or damage rows behind the store's back.
// Both are closed when the test ends.
func storeAndFile(t *testing.T) (*sqlite.Store, *sql.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "paperbot.db")
	s, err := sqlite.Open(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return s, db, path
}

func jsonOf(t *testing.T, d *bot.Digest) string {
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDamagedPostFailsAlone runs storetest.RunDamaged with rows broken by
// hand in the database file.
func TestDamagedPostFailsAlone(t *testing.T) {
	t.Parallel()
	s, db, _ := storeAndFile(t)
	storetest.RunDamaged(t, s, func(t *testing.T, post, part string) {
		q, arg := `UPDATE posts SET digest = ? WHERE path = ?`, any(storetest.DamagedDigest)
		if part == "paper" {
			q, arg = `UPDATE papers SET paper = ? WHERE post = ? AND idx = 0`, []byte{0}
		}
		if res, err := db.Exec(q, arg, post); err != nil {
			t.Fatal(err)
		} else if n, _ := res.RowsAffected(); n != 1 {
			t.Fatalf("damage %s of %s: %d rows", part, post, n)
		}
	})
}

// TestUpgradeFromVersion2WithDamagedPost: a version-2 database holding one
// post whose document cannot be decoded still upgrades; the other posts
// are carried over, the damaged one fails alone and its file is marked
// changed so that the next scan stores it anew.
func TestUpgradeFromVersion2WithDamagedPost(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "paperbot.db")
	posts := storetest.GenPosts(5, 2, time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC), 1)
	oldDatabase(t, path, 2, posts)
	bad := posts[2]
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE posts SET digest = ? WHERE path = ?`, storetest.DamagedDigest, bad.Path); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		t.Fatalf("open a version-2 database with a damaged post: %v", err)
	}
	defer s.Close()
	storetest.CheckDamagedUpgrade(t, s, posts, bad)
}

// TestReadersMapNoFile checks that the readers read the database file
// rather than map it (sqlite.go says why): after lookups and a search,
// no mapping of this process is of the file. The WAL index (-shm) is
// always mapped; that is SQLite's locking, not the data.
func TestReadersMapNoFile(t *testing.T) {
	if _, err := os.Stat("/proc/self/maps"); err != nil {
		t.Skipf("no /proc/self/maps to read the process's mappings from: %v", err)
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "paperbot.db")
	s, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	posts := storetest.GenPosts(20, 16, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), 1)
	storetest.Load(t, s, posts)
	// Closed, the store checkpoints its WAL into the file, so that the
	// reopened store's readers read the file itself.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = sqlite.Open(ctx, path, nil); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, d := range posts {
		if d.Draft {
			continue
		}
		if _, err := s.Paper(ctx, d.Papers[0].ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.SearchPapers(ctx, "model", 10); err != nil {
		t.Fatal(err)
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(maps)) {
		if strings.HasSuffix(strings.TrimSpace(line), " "+path) {
			t.Errorf("the database file is mapped: %s", strings.TrimSpace(line))
		}
	}
}

// TestPaperCanceled checks that a lookup, which does not pass its context
// on to the query (sqlite.go says why), still refuses one already done.
func TestPaperCanceled(t *testing.T) {
	t.Parallel()
	d := bottest.Digest("2025-09-30", 2, "Sparse attention", "body", 1)
	s := bottest.Store(t, d)
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := s.Paper(ctx, d.Papers[0].ID); err != nil {
		t.Fatalf("live context: %v", err)
	}
	cancel()
	if _, err := s.Paper(ctx, d.Papers[0].ID); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: err = %v, want context.Canceled", err)
	}
}

// TestSearchIndexTuned: the store's search index merges segments 8 at a
// time (ftsAutomerge), and opening the file again keeps it so.
func TestSearchIndexTuned(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "paperbot.db")
	automerge := func() string {
		t.Helper()
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var v string
		if err := db.QueryRow(`SELECT v FROM papers_fts_config WHERE k = 'automerge'`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	for range 2 {
		s, err := sqlite.Open(ctx, path, nil)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		if v := automerge(); v != "8" {
			t.Errorf("automerge %s, want 8", v)
		}
	}
}
