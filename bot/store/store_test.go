package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/store"
	"github.com/paperbot/paperbot/bot/store/postgres/postgrestest"
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
	if os.Getenv(postgrestest.Env) != "" {
		tests = append(tests, struct{ name, dsn, file string }{"postgres", postgrestest.Schema(t), ""})
	} else {
		t.Log(postgrestest.Env + " is not set: Open is not tried on PostgreSQL")
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
