package web

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/paperbot/paperbot/bot"
)

// memStore is a small in-memory bot.Store with the contract's semantics for
// the parts the web package reads, so these tests run without a database.
type memStore struct {
	mu         sync.Mutex
	posts      map[string]*bot.Digest
	files      map[string]bot.FileState
	deliveries map[[2]string]bot.Delivery
	meta       map[string]string
	pingErr    error
	metaErr    error // SetMeta fails with it (a full disk, a read-only database)
	lastLimit  int
	// searchHook runs at the start of SearchPapers; an error ends it.
	searchHook func(ctx context.Context) error
}

func newMemStore(ds ...*bot.Digest) *memStore {
	s := &memStore{
		posts:      map[string]*bot.Digest{},
		files:      map[string]bot.FileState{},
		deliveries: map[[2]string]bot.Delivery{},
		meta:       map[string]string{},
	}
	for _, d := range ds {
		_ = s.SavePost(context.Background(), d, bot.FileState{Path: d.Path, Hash: d.Hash})
	}
	return s
}

func notFound(what string) error { return bot.Errorf(bot.ENOTFOUND, "%s not found", what) }

func (s *memStore) Files(ctx context.Context) (map[string]bot.FileState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]bot.FileState, len(s.files))
	for k, v := range s.files {
		out[k] = v
	}
	return out, nil
}

func (s *memStore) SaveFile(ctx context.Context, fs bot.FileState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[fs.Path] = fs
	return nil
}

func (s *memStore) SavePost(ctx context.Context, d *bot.Digest, fs bot.FileState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.posts[d.Path] = d
	s.files[fs.Path] = fs
	return nil
}

func (s *memStore) DeleteFile(ctx context.Context, path string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.posts, path)
	delete(s.files, path)
	return nil
}

func (s *memStore) Post(ctx context.Context, path string) (*bot.Digest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d, ok := s.posts[path]; ok {
		return d, nil
	}
	return nil, notFound("post " + path)
}

// sorted returns the posts oldest first (date, then path).
func (s *memStore) sorted() []*bot.Digest {
	out := make([]*bot.Digest, 0, len(s.posts))
	for _, d := range s.posts {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b *bot.Digest) int {
		return cmp.Or(a.Date.Compare(b.Date), strings.Compare(a.Path, b.Path))
	})
	return out
}

func (s *memStore) PostsOn(ctx context.Context, day string) ([]*bot.Digest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*bot.Digest
	for _, d := range s.sorted() {
		if d.Day() == day {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b *bot.Digest) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

func (s *memStore) LatestPost(ctx context.Context) (*bot.Digest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := s.sorted()
	for i := len(ps) - 1; i >= 0; i-- {
		if !ps[i].Draft {
			return ps[i], nil
		}
	}
	return nil, notFound("latest post")
}

func (s *memStore) Posts(ctx context.Context) ([]*bot.Digest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sorted(), nil
}

func ref(d *bot.Digest) bot.PostRef { return bot.PostRef{Date: d.Date, Title: d.Title, Path: d.Path} }

func (s *memStore) Paper(ctx context.Context, id bot.ArxivID) (*bot.PaperHit, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := s.sorted()
	for i := len(ps) - 1; i >= 0; i-- {
		for _, p := range ps[i].Papers {
			if p.ID == id {
				return &bot.PaperHit{Paper: p, Post: ref(ps[i])}, nil
			}
		}
	}
	return nil, notFound("paper " + string(id))
}

func (s *memStore) SearchPapers(ctx context.Context, query string, limit int) ([]bot.PaperHit, error) {
	if s.searchHook != nil {
		if err := s.searchHook(ctx); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastLimit = limit
	words := strings.Fields(strings.ToLower(query))
	var hits []bot.PaperHit
	ps := s.sorted()
	for i := len(ps) - 1; i >= 0; i-- {
		if ps[i].Draft {
			continue
		}
		for _, p := range ps[i].Papers {
			title := strings.ToLower(p.Title)
			var body strings.Builder
			for _, sec := range p.Sections {
				body.WriteString(strings.ToLower(sec.Name + " " + sec.Text() + " "))
			}
			all, inTitle := true, true
			for _, w := range words {
				if !strings.Contains(title, w) {
					inTitle = false
					if !strings.Contains(body.String(), w) {
						all = false
					}
				}
			}
			if !all {
				continue
			}
			score := 1.0
			if inTitle {
				score = 2
			}
			hits = append(hits, bot.PaperHit{Paper: p, Post: ref(ps[i]), Score: score})
		}
	}
	slices.SortStableFunc(hits, func(a, b bot.PaperHit) int { return cmp.Compare(b.Score, a.Score) })
	if len(hits) > limit {
		hits = hits[:limit]
	}
	return hits, nil
}

func (s *memStore) Delivery(ctx context.Context, post, target string) (*bot.Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d, ok := s.deliveries[[2]string{post, target}]; ok {
		return &d, nil
	}
	return nil, notFound("delivery")
}

func (s *memStore) PutDelivery(ctx context.Context, d *bot.Delivery) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deliveries[[2]string{d.Post, d.Target}] = *d
	return nil
}

func (s *memStore) Deliveries(ctx context.Context, post string) ([]bot.Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []bot.Delivery
	for _, d := range s.deliveries {
		if post == "" || d.Post == post {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b bot.Delivery) int {
		return cmp.Or(a.UpdatedAt.Compare(b.UpdatedAt), strings.Compare(a.Post, b.Post), strings.Compare(a.Target, b.Target))
	})
	return out, nil
}

func (s *memStore) Lease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	return true, nil
}
func (s *memStore) ReleaseLease(ctx context.Context, name, holder string) error { return nil }

func (s *memStore) Meta(ctx context.Context, key string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.meta[key], nil
}

func (s *memStore) SetMeta(ctx context.Context, key, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.metaErr != nil {
		return s.metaErr
	}
	s.meta[key] = value
	return nil
}

func (s *memStore) Ping(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pingErr
}

func (s *memStore) Close() error { return nil }

var errBroken = errors.New("database is locked: password=hunter2")
