package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

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
