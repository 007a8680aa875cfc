package web

import (
	"context"
	"errors"
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

func newFaultStore(tb testing.TB, ds ...*bot.Digest) *faultStore {
	tb.Helper()
	return &faultStore{Store: bottest.Store(tb, ds...)}
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
