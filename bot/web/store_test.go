package web

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/bottest"
	"github.com/paperbot/paperbot/bot/store/sqlite"
)

// faultStore is a SQLite store on a new database file (the real contract,
// run by storetest, in the mode paperbot run uses) with the faults these
// tests inject: a failing Ping or SetMeta (a full disk, a read-only
// database), a hook at the start of a search, and the limit the last
// search was given.
type faultStore struct {
	*sqlite.Store

	mu         sync.Mutex
	pingErr    error
	metaErr    error
	lastLimit  int
	searchHook func(ctx context.Context) error
}

// newExamplesStore is a faultStore on a new database file holding
// examples(), as bottest.Store(tb, examples()...) makes it: a copy of one
// database that it made once per test binary. Every newFixture starts from
// these posts (31 calls), and saving them each time (statements prepared,
// the index written) was a fifth of the package's CPU under -race.
func newExamplesStore(tb testing.TB) *faultStore {
	tb.Helper()
	withExamples.once.Do(func() {
		path := bottest.SQLiteFile(tb)
		st, err := sqlite.Open(context.Background(), path, nil)
		if err != nil {
			withExamples.err = err
			return
		}
		for _, d := range examples() {
			// The file state bottest.Store gives a post.
			if err := st.SavePost(context.Background(), d, bot.FileState{Path: d.Path, Size: 1, ModTime: d.Date, Hash: d.Hash}); err != nil {
				st.Close()
				withExamples.err = fmt.Errorf("save %s: %w", d.Path, err)
				return
			}
		}
		if withExamples.err = st.Close(); withExamples.err != nil {
			return
		}
		// Closing the last connection folds the WAL into the file, so the
		// file alone is the whole database.
		if _, err := os.Stat(path + "-wal"); err == nil {
			withExamples.err = fmt.Errorf("%s-wal is left after Close", path)
			return
		}
		withExamples.db, withExamples.err = os.ReadFile(path)
	})
	if withExamples.err != nil {
		tb.Fatalf("make the examples' database: %v", withExamples.err)
	}
	path := filepath.Join(tb.TempDir(), "paperbot.db")
	if err := os.WriteFile(path, withExamples.db, 0o600); err != nil {
		tb.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), path, nil)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { st.Close() })
	return &faultStore{Store: st}
}

var withExamples struct {
	once sync.Once
	db   []byte
	err  error
}

func (s *faultStore) SearchPapers(ctx context.Context, query string, limit int) ([]bot.PaperHit, error) {
	s.mu.Lock()
	hook := s.searchHook
	s.lastLimit = limit
	s.mu.Unlock()
	if hook != nil {
		// The hook plays the store's handling of the deadline: past it,
		// the search itself runs as a store that ignored the deadline would.
		if err := hook(ctx); err != nil {
			return nil, err
		}
		ctx = context.WithoutCancel(ctx)
	}
	return s.Store.SearchPapers(ctx, query, limit)
}

func (s *faultStore) SetMeta(ctx context.Context, key, value string) error {
	s.mu.Lock()
	err := s.metaErr
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.Store.SetMeta(ctx, key, value)
}

func (s *faultStore) Ping(ctx context.Context) error {
	s.mu.Lock()
	err := s.pingErr
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.Store.Ping(ctx)
}

var errBroken = errors.New("database is locked: password=hunter2")
