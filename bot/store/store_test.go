package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/store"
)

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, dsn string
		file      string // the SQLite file the dsn must create, if any
	}{
		{"sqlite url", "sqlite://" + filepath.Join(dir, "a.db"), "a.db"},
		{"sqlite url absolute", "sqlite:///" + strings.TrimPrefix(filepath.Join(dir, "b.db"), "/"), "b.db"},
		{"sqlite opaque", "sqlite:" + filepath.Join(dir, "c.db"), "c.db"},
		{"file uri", "file:" + filepath.Join(dir, "d.db") + "?cache=private", "d.db"},
		{"memory", ":memory:", ""},
	}
	if dsn := os.Getenv("PAPERBOT_TEST_POSTGRES"); dsn != "" {
		tests = append(tests, struct{ name, dsn, file string }{"postgres", pgSchema(t, dsn), ""})
	} else {
		t.Log("PAPERBOT_TEST_POSTGRES is not set: Open is not tried on PostgreSQL")
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := store.Open(context.Background(), tc.dsn, nil)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer s.Close()
			if err := s.Ping(context.Background()); err != nil {
				t.Fatalf("Ping: %v", err)
			}
			if _, err := s.Meta(context.Background(), "x"); err != nil {
				t.Fatalf("Meta: %v", err)
			}
			if tc.file != "" {
				if _, err := os.Stat(filepath.Join(dir, tc.file)); err != nil {
					t.Errorf("database file not created: %v", err)
				}
			}
		})
	}
}

func TestOpenInvalid(t *testing.T) {
	for _, dsn := range []string{"", "mysql://u:secret@h/db", "paperbot.db", "sqlite:", "sqlite://"} {
		_, err := store.Open(context.Background(), dsn, nil)
		if bot.ErrorCode(err) != bot.EINVALID {
			t.Errorf("Open(%q) = %v, want an invalid error", dsn, err)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("error reveals the DSN: %v", err)
		}
	}
}

// pgSchema creates a schema for this test (dropped at its end) and returns
// dsn with a search_path selecting it.
func pgSchema(t *testing.T, dsn string) string {
	b := make([]byte, 6)
	rand.Read(b)
	schema := "pb_test_" + hex.EncodeToString(b)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to the test server: %v", err)
	}
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal("PAPERBOT_TEST_POSTGRES is not a URL DSN")
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
