package bot

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// memStore is an in-memory Store for the engine's tests. failPut, when
// set, can refuse a PutDelivery (crash simulation between send and record).
type memStore struct {
	mu         sync.Mutex
	files      map[string]FileState
	posts      map[string]*Digest
	deliveries map[string]Delivery // post + "\x00" + target
	leases     map[string]memLease
	meta       map[string]string
	failPut    func(d *Delivery) error
	puts       int
	reads      map[string]int // Post calls by path
	recReads   int            // Deliveries calls
}

type memLease struct {
	holder string
	until  time.Time
}

func newMemStore() *memStore {
	return &memStore{
		files:      map[string]FileState{},
		posts:      map[string]*Digest{},
		deliveries: map[string]Delivery{},
		leases:     map[string]memLease{},
		meta:       map[string]string{},
	}
}

var _ Store = (*memStore)(nil)

func (s *memStore) Files(ctx context.Context) (map[string]FileState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.files), nil
}

func (s *memStore) SaveFile(ctx context.Context, fs FileState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[fs.Path] = fs
	return nil
}

func (s *memStore) SavePost(ctx context.Context, d *Digest, fs FileState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := *d
	s.posts[d.Path] = &c
	s.files[fs.Path] = fs
	return nil
}

func (s *memStore) DeleteFile(ctx context.Context, path string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.files, path)
	delete(s.posts, path)
	return nil
}

func (s *memStore) Post(ctx context.Context, path string) (*Digest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reads == nil {
		s.reads = map[string]int{}
	}
	s.reads[path]++
	d, ok := s.posts[path]
	if !ok {
		return nil, Errorf(ENOTFOUND, "no post %s", path)
	}
	c := *d
	return &c, nil
}

func (s *memStore) sorted() []*Digest {
	out := make([]*Digest, 0, len(s.posts))
	for _, d := range s.posts {
		c := *d
		out = append(out, &c)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Date.Equal(out[j].Date) {
			return out[i].Date.Before(out[j].Date)
		}
		return out[i].Path < out[j].Path
	})
	return out
}

func (s *memStore) PostsOn(ctx context.Context, day string) ([]*Digest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*Digest
	for _, d := range s.sorted() {
		if d.Day() == day {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

func (s *memStore) LatestPost(ctx context.Context) (*Digest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := s.sorted()
	for i := len(all) - 1; i >= 0; i-- {
		if !all[i].Draft {
			return all[i], nil
		}
	}
	return nil, Errorf(ENOTFOUND, "no posts")
}

func (s *memStore) Posts(ctx context.Context) ([]*Digest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sorted(), nil
}

func (s *memStore) Paper(ctx context.Context, id ArxivID) (*PaperHit, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := s.sorted()
	for i := len(all) - 1; i >= 0; i-- {
		for _, p := range all[i].Papers {
			if p.ID == id {
				return &PaperHit{Paper: p, Post: PostRef{Date: all[i].Date, Title: all[i].Title, Path: all[i].Path}}, nil
			}
		}
	}
	return nil, Errorf(ENOTFOUND, "no paper %s", id)
}

func (s *memStore) SearchPapers(ctx context.Context, query string, limit int) ([]PaperHit, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	words := strings.Fields(strings.ToLower(query))
	var out []PaperHit
	all := s.sorted()
	for i := len(all) - 1; i >= 0 && len(out) < limit; i-- {
		if all[i].Draft {
			continue
		}
		for _, p := range all[i].Papers {
			text := strings.ToLower(p.Title)
			ok := len(words) > 0
			for _, w := range words {
				ok = ok && strings.Contains(text, w)
			}
			if ok && len(out) < limit {
				out = append(out, PaperHit{Paper: p, Post: PostRef{Date: all[i].Date, Title: all[i].Title, Path: all[i].Path}, Score: 1})
			}
		}
	}
	return out, nil
}

func cloneDelivery(d Delivery) Delivery {
	d.Refs = append([]MessageRef(nil), d.Refs...)
	return d
}

func (s *memStore) Delivery(ctx context.Context, post, target string) (*Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.deliveries[post+"\x00"+target]
	if !ok {
		return nil, Errorf(ENOTFOUND, "no delivery of %s to %s", post, target)
	}
	c := cloneDelivery(d)
	return &c, nil
}

func (s *memStore) PutDelivery(ctx context.Context, d *Delivery) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failPut != nil {
		if err := s.failPut(d); err != nil {
			return err
		}
	}
	s.puts++
	s.deliveries[d.Post+"\x00"+d.Target] = cloneDelivery(*d)
	return nil
}

// skipStore is a memStore that batches deliveries (DeliveryBatcher).
type skipStore struct {
	*memStore
	batches int
}

func (s *skipStore) PutDeliveries(ctx context.Context, ds []Delivery) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.batches++
	for _, d := range ds {
		s.deliveries[d.Post+"\x00"+d.Target] = cloneDelivery(d)
	}
	return nil
}

func (s *memStore) Deliveries(ctx context.Context, post string) ([]Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recReads++
	var out []Delivery
	for _, d := range s.deliveries {
		if post == "" || d.Post == post {
			out = append(out, cloneDelivery(d))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UpdatedAt.Before(out[j].UpdatedAt) })
	return out, nil
}

func (s *memStore) Lease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	l, ok := s.leases[name]
	if ok && l.holder != holder && now.Before(l.until) {
		return false, nil
	}
	s.leases[name] = memLease{holder: holder, until: now.Add(ttl)}
	return true, nil
}

func (s *memStore) ReleaseLease(ctx context.Context, name, holder string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.leases[name]; ok && l.holder == holder {
		delete(s.leases, name)
	}
	return nil
}

func (s *memStore) Meta(ctx context.Context, key string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.meta[key], nil
}

func (s *memStore) SetMeta(ctx context.Context, key, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.meta[key] = value
	return nil
}

func (s *memStore) Ping(ctx context.Context) error { return nil }
func (s *memStore) Close() error                   { return nil }

func (s *memStore) record(post, target string) (Delivery, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.deliveries[post+"\x00"+target]
	return d, ok
}

// fakeSource is a Source over a map of path -> file; mtime is bumped on
// every write.
type fakeSource struct {
	mu    sync.Mutex
	files map[string]fakeFile
	reads int
	lists int
	clock int64
}

type fakeFile struct {
	data    []byte
	modTime time.Time
}

func newFakeSource() *fakeSource { return &fakeSource{files: map[string]fakeFile{}} }

func (s *fakeSource) put(path, data string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clock++
	s.files[path] = fakeFile{data: []byte(data), modTime: time.Unix(1_700_000_000+s.clock, 0)}
}

// touch changes a file's mtime but not its content.
func (s *fakeSource) touch(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clock++
	f := s.files[path]
	f.modTime = time.Unix(1_700_000_000+s.clock, 0)
	s.files[path] = f
}

func (s *fakeSource) remove(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.files, path)
}

func (s *fakeSource) List(ctx context.Context) ([]SourceFile, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lists++
	out := make([]SourceFile, 0, len(s.files))
	for p, f := range s.files {
		out = append(out, SourceFile{Path: p, Size: int64(len(f.data)), ModTime: f.modTime})
	}
	return out, nil
}

func (s *fakeSource) Read(ctx context.Context, path string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	f, ok := s.files[path]
	if !ok {
		return nil, fmt.Errorf("read %s: no such file", path)
	}
	return append([]byte(nil), f.data...), nil
}

// fakeParser reads a tiny test format, one "key: value" per line:
// date (RFC 3339), title, draft (true), tags (comma separated), papers (a
// count), and "bad" to fail at that line. It counts its calls.
type fakeParser struct{ calls atomic.Int64 }

func (p *fakeParser) Parse(path string, src []byte) (*Digest, error) {
	p.calls.Add(1)
	d := &Digest{Path: path}
	for i, line := range strings.Split(string(src), "\n") {
		k, v, _ := strings.Cut(line, ":")
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "date":
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return nil, &PostError{Path: path, Line: i + 1, Reason: "bad date"}
			}
			d.Date = t
		case "title":
			d.Title = v
		case "draft":
			d.Draft = v == "true"
		case "tags":
			d.Tags = strings.Split(v, ",")
		case "papers":
			n, _ := strconv.Atoi(v)
			for j := 1; j <= n; j++ {
				d.Papers = append(d.Papers, Paper{Number: j, Title: fmt.Sprintf("Paper %d", j)})
			}
		case "bad":
			return nil, &PostError{Path: path, Line: i + 1, Reason: "cannot read this line"}
		}
	}
	return d, nil
}

// post builds a test post in fakeParser's format.
func post(date time.Time, title string, extra ...string) string {
	return strings.Join(append([]string{"date: " + date.UTC().Format(time.RFC3339), "title: " + title}, extra...), "\n")
}

// fakeMsg is one message a fakeTarget holds.
type fakeMsg struct {
	ID      string
	Key     string
	Post    string
	Hash    string
	Part    int
	Deleted bool
}

// fakeTarget is a chat that keeps its messages, finds them by key like
// Slack metadata does, and fails or panics on demand.
type fakeTarget struct {
	name string
	// parts is the number of messages per digest (default 1).
	parts int

	mu   sync.Mutex
	msgs []*fakeMsg
	n    int
	// failPosts makes the next N Post/Edit calls fail after sending
	// failAfter messages.
	failPosts int
	failAfter int
	// failErr is the error of those failures (nil: errFake, transient
	// with an unknown outcome).
	failErr error
	// panicAfter makes the next Post panic after sending that many
	// messages (-1: off).
	panicAfter int
	// noRecover: the target cannot look back (console).
	noRecover  bool
	failRecov  error
	calls      []string
	onPost     func() // called at the start of Post, unlocked
	matchTags  string
	postsCount int
}

func newFakeTarget(name string) *fakeTarget {
	return &fakeTarget{name: name, parts: 1, panicAfter: -1}
}

func (t *fakeTarget) Name() string { return t.name }

func (t *fakeTarget) send(d *Digest, key string, part int) MessageRef {
	t.n++
	m := &fakeMsg{ID: t.name + "-" + strconv.Itoa(t.n), Key: key, Post: d.Path, Hash: d.Hash, Part: part}
	t.msgs = append(t.msgs, m)
	return MessageRef{Channel: t.name, ID: m.ID}
}

var errFake = errors.New("fake target failure")

func (t *fakeTarget) failure() error {
	if t.failErr != nil {
		return t.failErr
	}
	return errFake
}

func (t *fakeTarget) Post(ctx context.Context, d *Digest, key string) ([]MessageRef, error) {
	if t.onPost != nil {
		t.onPost()
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.calls = append(t.calls, "post "+d.Path)
	t.postsCount++
	var refs []MessageRef
	for i := 0; i < t.parts; i++ {
		t.maybeCrash(i)
		if t.failPosts > 0 && t.failAfter == i {
			t.failPosts--
			return refs, t.failure()
		}
		refs = append(refs, t.send(d, key, i))
	}
	t.maybeCrash(t.parts)
	return refs, nil
}

// maybeCrash panics when panicAfter messages went out (the deferred
// unlock in Post releases the mutex).
func (t *fakeTarget) maybeCrash(sent int) {
	if t.panicAfter == sent {
		t.panicAfter = -1
		panic("fake target crashed")
	}
}

func (t *fakeTarget) Recover(ctx context.Context, key string) ([]MessageRef, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.calls = append(t.calls, "recover "+key)
	if t.failRecov != nil {
		return nil, t.failRecov
	}
	if t.noRecover {
		return nil, nil
	}
	var refs []MessageRef
	for _, m := range t.msgs {
		if m.Key == key && !m.Deleted {
			refs = append(refs, MessageRef{Channel: t.name, ID: m.ID})
		}
	}
	return refs, nil
}

func (t *fakeTarget) Edit(ctx context.Context, d *Digest, key string, refs []MessageRef) ([]MessageRef, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.calls = append(t.calls, "edit "+d.Path)
	if t.failPosts > 0 {
		t.failPosts--
		return nil, t.failure()
	}
	var out []MessageRef
	for i, r := range refs {
		m := t.find(r.ID)
		if m == nil {
			continue
		}
		if i >= t.parts {
			m.Deleted = true
			continue
		}
		m.Hash, m.Post, m.Part = d.Hash, d.Path, i
		out = append(out, r)
	}
	for i := len(out); i < t.parts; i++ {
		out = append(out, t.send(d, key, i))
	}
	return out, nil
}

func (t *fakeTarget) find(id string) *fakeMsg {
	for _, m := range t.msgs {
		if m.ID == id {
			return m
		}
	}
	return nil
}

// live returns the messages of a post that are not deleted.
func (t *fakeTarget) live(postPath string) []fakeMsg {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []fakeMsg
	for _, m := range t.msgs {
		if m.Post == postPath && !m.Deleted {
			out = append(out, *m)
		}
	}
	return out
}

// order returns the post path of each first part, in sending order.
func (t *fakeTarget) order() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for _, m := range t.msgs {
		if m.Part == 0 && !m.Deleted {
			out = append(out, m.Post)
		}
	}
	return out
}

func (t *fakeTarget) count(prefix string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, c := range t.calls {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

// matchingTarget is a fakeTarget that takes only posts with a tag.
type matchingTarget struct {
	*fakeTarget
	tag string
}

func (t matchingTarget) Match(d *Digest) bool {
	for _, tg := range d.Tags {
		if tg == t.tag {
			return true
		}
	}
	return false
}

// recObserver records observer events.
type recObserver struct {
	mu      sync.Mutex
	scans   int
	sent    map[string]int
	failed  map[string]int
	missing []string
}

func (o *recObserver) Scanned(ScanResult, time.Duration, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.scans++
}

func (o *recObserver) Sent(target string, d time.Duration, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.sent == nil {
		o.sent, o.failed = map[string]int{}, map[string]int{}
	}
	if err != nil {
		o.failed[target]++
	} else {
		o.sent[target]++
	}
}

func (o *recObserver) MissingPost(day string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.missing = append(o.missing, day)
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
