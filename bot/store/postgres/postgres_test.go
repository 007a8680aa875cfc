package postgres_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/store/internal/rows"
	"github.com/paperbot/paperbot/bot/store/postgres"
	"github.com/paperbot/paperbot/bot/store/postgres/postgrestest"
	"github.com/paperbot/paperbot/bot/store/storetest"
)

// emptied holds schemas that conformance tests used and emptied, migrated
// and ready for the next test: creating, migrating and dropping a schema
// took the server about a third of a second a test, emptying one takes a
// TRUNCATE. TestMain drops them all.
var emptied struct {
	mu    sync.Mutex
	free  []string       // DSNs of emptied schemas
	drops []func() error // every schema made
}

// reusedSchema returns the DSN of an empty schema for t: an emptied one
// if there is, else a new one (which the store will migrate). When t ends
// every table but schema_version is truncated and the schema kept for the
// next test.
func reusedSchema(t testing.TB) string {
	server := postgrestest.Server(t)
	emptied.mu.Lock()
	var dsn string
	if n := len(emptied.free); n > 0 {
		dsn, emptied.free = emptied.free[n-1], emptied.free[:n-1]
	}
	emptied.mu.Unlock()
	if dsn == "" {
		var drop func() error
		dsn, drop = postgrestest.NewSchema(t, server)
		emptied.mu.Lock()
		emptied.drops = append(emptied.drops, drop)
		emptied.mu.Unlock()
	}
	t.Cleanup(func() {
		if err := truncateAll(dsn); err != nil {
			t.Errorf("empty the schema for the next test: %v", err)
			return // not reused; TestMain drops it
		}
		emptied.mu.Lock()
		emptied.free = append(emptied.free, dsn)
		emptied.mu.Unlock()
	})
	return dsn
}

// truncateAll empties every table of dsn's schema except schema_version.
func truncateAll(dsn string) error {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var tables []string
	rs, err := conn.Query(ctx, `SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'schema_version'`)
	if err != nil {
		return err
	}
	for rs.Next() {
		var name string
		if err := rs.Scan(&name); err != nil {
			return err
		}
		tables = append(tables, name)
	}
	if err := rs.Err(); err != nil || len(tables) == 0 {
		return err
	}
	_, err = conn.Exec(ctx, "TRUNCATE "+strings.Join(tables, ", "))
	return err
}

// schemaDB is the conformance suite's Opener: each test starts on an empty
// schema at the current version. A schema is new (migrated by the first
// Open) or an emptied one; TestMigrateRace, the upgrade tests and
// TestDamagedPostFailsAlone migrate new schemas of their own.
func schemaDB(t testing.TB) func() bot.Store {
	dsn := reusedSchema(t)
	return func() bot.Store {
		s, err := postgres.Open(context.Background(), dsn, nil)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		return s
	}
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, schemaDB)
}

// TestMigrateRace opens several stores on a new schema at once, as replicas
// starting together do: the advisory lock makes one migrate and the others
// find the schema current.
func TestMigrateRace(t *testing.T) {
	t.Parallel()
	dsn := postgrestest.Schema(t)
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		go func() {
			s, err := postgres.Open(context.Background(), dsn, nil)
			if err == nil {
				err = s.Close()
			}
			errs <- err
		}()
	}
	for i := 0; i < 4; i++ {
		if err := <-errs; err != nil {
			t.Errorf("concurrent open: %v", err)
		}
	}
}

// TestErrorsHideDSN checks that a password in the DSN never reaches an error.
func TestErrorsHideDSN(t *testing.T) {
	t.Parallel()
	for _, dsn := range []string{
		"postgres://user:s3cret-pw@127.0.0.1:1/db?sslmode=disable&connect_timeout=1",
		"postgres://user:s3cret-pw@127.0.0.1:notaport/db",
		"postgres://user:s3cret-pw@127.0.0.1/db?sslmode=bogus",
	} {
		_, err := postgres.Open(context.Background(), dsn, nil)
		if err == nil {
			t.Fatalf("Open(%q) succeeded", dsn)
		}
		if strings.Contains(err.Error(), "s3cret-pw") {
			t.Errorf("error reveals the password: %v", err)
		}
	}
}

// version2Schema makes a schema as version 2 left it, holding posts in the
// rows its SavePost wrote, and returns its DSN.
func version2Schema(t *testing.T, posts []*bot.Digest) string {
	dsn := postgrestest.Schema(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := conn.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	exec(`CREATE TABLE schema_version (version integer NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`)
	for v, f := range []string{"migrations/0001_init.sql", "migrations/0002_papers_id_order.sql"} {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		exec(string(src))
		exec(`INSERT INTO schema_version (version) VALUES ($1)`, v+1)
	}
	for _, d := range posts {
		doc, _ := json.Marshal(d)
		exec(`INSERT INTO posts (path, day, date, local, title, draft, hash, digest) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			d.Path, d.Day(), d.Date, d.Date.Format(time.RFC3339Nano), d.Title, d.Draft, d.Hash, string(doc))
		for j := range d.Papers {
			p := &d.Papers[j]
			pdoc, _ := json.Marshal(p)
			title, text := rows.SearchText(p)
			exec(`INSERT INTO papers (post, idx, draft, date, id, title_lc, text_lc, paper) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
				d.Path, j, d.Draft, d.Date, string(p.ID), title, text, string(pdoc))
		}
		fs := storetest.FileOf(d)
		exec(`INSERT INTO files (path, size, mod_time_ns, hash, error) VALUES ($1, $2, $3, $4, '')`, fs.Path, fs.Size, fs.ModTime.UnixNano(), fs.Hash)
		exec(`INSERT INTO deliveries (post, target, key, state, hash, refs, attempts, last_error, updated_at_ns)
			VALUES ($1, 'slack', $2, 'sent', $3, '[{"channel":"C1","id":"1.2"}]', 1, '', $4)`, d.Path, "k-"+d.Path, d.Hash, d.Date.UnixNano())
	}
	conn.Close(ctx)
	return dsn
}

// TestUpgradeFromVersion2 opens a schema that version 2 left, with posts,
// files and deliveries in the rows its SavePost wrote (the whole digest,
// each paper's JSON and lowercase text): migration 3 must carry them over,
// and lookups, search and the posts must answer as before.
func TestUpgradeFromVersion2(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	posts := storetest.GenPosts(30, 4, time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC), 1)
	dsn := version2Schema(t, posts)

	s, err := postgres.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatalf("open a version 2 schema: %v", err)
	}
	defer s.Close()
	for _, d := range posts {
		got, err := s.Post(ctx, d.Path)
		if err != nil {
			t.Fatalf("Post(%s): %v", d.Path, err)
		}
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(d)
		if string(g) != string(w) {
			t.Errorf("Post(%s) after the upgrade differs:\n got %s\nwant %s", d.Path, g, w)
		}
	}
	want := posts[2].Papers[1]
	if hit, err := s.Paper(ctx, want.ID); err != nil || hit.Paper.Title != want.Title {
		t.Fatalf("Paper(%s) after the upgrade = %+v, %v", want.ID, hit, err)
	}
	word := strings.Fields(strings.ToLower(posts[28].Papers[0].Title))[0]
	if hs, err := s.SearchPapers(ctx, word, 1); err != nil || len(hs) != 1 || hs[0].Post.Date.Before(posts[28].Date) {
		t.Errorf("SearchPapers(%q) after the upgrade = %+v, %v", word, hs, err)
	}
	ds, err := s.Deliveries(ctx, "")
	if err != nil || len(ds) != len(posts) || ds[0].State != bot.DeliverySent || len(ds[0].Refs) != 1 {
		t.Fatalf("Deliveries after the upgrade: %+v, %v", ds, err)
	}
	files, err := s.Files(ctx)
	if err != nil || len(files) != len(posts) || !files[posts[0].Path].ModTime.Equal(storetest.FileOf(posts[0]).ModTime) {
		t.Errorf("Files after the upgrade: %d, %v", len(files), err)
	}
}

// damageRow is storetest.Damage on a PostgreSQL schema.
func damageRow(t *testing.T, conn *pgx.Conn, post, part string) {
	q, doc := `UPDATE posts SET digest = $1 WHERE path = $2`, storetest.DamagedDigest
	if part == "paper" {
		q, doc = `UPDATE papers SET paper = $1 WHERE post = $2 AND idx = 0`, storetest.DamagedPaper
	}
	tag, err := conn.Exec(context.Background(), q, doc, post)
	if err != nil {
		t.Fatal(err)
	}
	if tag.RowsAffected() != 1 {
		t.Fatalf("damage %s of %s: %d rows", part, post, tag.RowsAffected())
	}
}

// TestDamagedPostFailsAlone runs storetest.RunDamaged with rows broken by
// hand.
func TestDamagedPostFailsAlone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := postgrestest.Schema(t)
	s, err := postgres.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	storetest.RunDamaged(t, s, func(t *testing.T, post, part string) { damageRow(t, conn, post, part) })
}

// TestUpgradeFromVersion2WithDamagedPost: a version-2 schema holding one
// post whose document cannot be decoded still upgrades; the other posts
// are carried over, the damaged one fails alone and its file is marked
// changed so that the next scan stores it anew.
func TestUpgradeFromVersion2WithDamagedPost(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	posts := storetest.GenPosts(5, 2, time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC), 1)
	dsn := version2Schema(t, posts)
	bad := posts[2]
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	damageRow(t, conn, bad.Path, "digest")
	conn.Close(ctx)

	s, err := postgres.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatalf("open a version-2 schema with a damaged post: %v", err)
	}
	defer s.Close()
	storetest.CheckDamagedUpgrade(t, s, posts, bad)
}
