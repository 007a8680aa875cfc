package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/store/sqlite"
	"github.com/paperbot/paperbot/bot/store/storetest"
)

// tempDB is a storetest.Opener on a file in the test's temp folder.
func tempDB(t testing.TB) func() bot.Store {
	path := filepath.Join(t.TempDir(), "paperbot.db")
	return func() bot.Store {
		s, err := sqlite.Open(context.Background(), path, nil)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		return s
	}
}

func TestConformance(t *testing.T) {
	storetest.Run(t, tempDB)
}

func TestMemory(t *testing.T) {
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

// TestUpgradeFromVersion1 turns a fresh database back into what version 1
// left (its papers_id index, no record of migration 2), then reopens it:
// migration 2 must apply over existing rows and lookups must still answer.
func TestUpgradeFromVersion1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "paperbot.db")
	s, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	posts := storetest.GenPosts(3, 4, time.Date(2025, 9, 28, 8, 0, 0, 0, time.UTC), 1)
	for _, d := range posts {
		if err := s.SavePost(ctx, d, storetest.FileOf(d)); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()

	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`DROP INDEX papers_id`,
		`CREATE INDEX papers_id ON papers (id, draft, date DESC) WHERE id <> ''`,
		`DELETE FROM schema_version WHERE version = 2`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s, err = sqlite.Open(ctx, path, nil)
	if err != nil {
		t.Fatalf("reopen a version 1 database: %v", err)
	}
	defer s.Close()
	want := posts[2].Papers[1]
	hit, err := s.Paper(ctx, want.ID)
	if err != nil || hit.Paper.Title != want.Title {
		t.Fatalf("Paper(%s) after the upgrade = %+v, %v", want.ID, hit, err)
	}

	db, err = sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var version int
	var index string
	if err := db.QueryRow(`SELECT MAX(version) FROM schema_version`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT sql FROM sqlite_master WHERE name = 'papers_id'`).Scan(&index); err != nil {
		t.Fatal(err)
	}
	if version != 2 || !strings.Contains(index, "post DESC, idx") {
		t.Errorf("after reopening: schema version %d, papers_id %q", version, index)
	}
}
