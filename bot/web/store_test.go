package web

import (
	"context"
	"errors"
	"sync"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/store/sqlite"
)

// memStore is an in-memory SQLite store (the real contract, run by
// storetest) with the faults these tests inject: a failing Ping or SetMeta
// (a full disk, a read-only database), a hook at the start of a search,
// and the limit the last search was given.
type memStore struct {
	*sqlite.Store

	mu         sync.Mutex
	pingErr    error
	metaErr    error
	lastLimit  int
	searchHook func(ctx context.Context) error
}

func newMemStore(ds ...*bot.Digest) *memStore {
	st, err := sqlite.Open(context.Background(), ":memory:", nil)
	if err != nil {
		panic(err) // an in-memory database always opens
	}
	s := &memStore{Store: st}
	for _, d := range ds {
		if err := st.SavePost(context.Background(), d, bot.FileState{Path: d.Path, Size: 1, ModTime: d.Date, Hash: d.Hash}); err != nil {
			panic(err)
		}
	}
	return s
}

func (s *memStore) SearchPapers(ctx context.Context, query string, limit int) ([]bot.PaperHit, error) {
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

func (s *memStore) SetMeta(ctx context.Context, key, value string) error {
	s.mu.Lock()
	err := s.metaErr
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.Store.SetMeta(ctx, key, value)
}

func (s *memStore) Ping(ctx context.Context) error {
	s.mu.Lock()
	err := s.pingErr
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.Store.Ping(ctx)
}

var errBroken = errors.New("database is locked: password=hunter2")
