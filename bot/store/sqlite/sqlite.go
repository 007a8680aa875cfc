// Package sqlite is paperbot's default bot.Store: one SQLite file through
// the pure-Go modernc.org/sqlite driver, in WAL mode so that readers (chat
// commands, the web API) never wait for the writer (the tick). Writes go
// through a single connection, which serialises them inside the process;
// busy_timeout covers a second process (`paperbot send`) on the same file.
// The schema is created and upgraded by embedded migrations recorded in a
// schema_version table.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/store/internal/rows"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// timeFormat is how instants are stored: UTC, fixed width, so text order is
// time order, with nanoseconds so a file's mtime round-trips exactly.
const timeFormat = "2006-01-02T15:04:05.000000000Z"

func fmtTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeFormat, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad stored time %q: %w", s, err)
	}
	return t, nil
}

// Store is a bot.Store on one SQLite database.
type Store struct {
	w   *sql.DB // the single writer connection
	r   *sql.DB // read-only connections; w itself for in-memory databases
	log *slog.Logger

	// Hot reads, prepared once: parsing SQL costs more than running these.
	paperStmt, filesStmt, postStmt *sql.Stmt
}

var _ bot.Store = (*Store)(nil)

// Open opens (creating it if needed) the SQLite database at path and brings
// its schema up to date. path is a file name, a "file:" URI, or ":memory:"
// (a private database that lives as long as the Store). A nil logger
// discards.
func Open(ctx context.Context, path string, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if path == "" {
		return nil, bot.Errorf(bot.EINVALID, "the SQLite store needs a file name")
	}
	memory := path == ":memory:" || strings.HasPrefix(path, "file::memory:") || strings.Contains(path, "mode=memory")
	params := "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_txlock=immediate"
	if !memory {
		params += "&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
	}
	w, err := sql.Open("sqlite", withParams(path, params))
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	// One writer connection: SQLite allows one writer at a time anyway, and
	// queueing in database/sql is kinder than SQLITE_BUSY retries.
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	s := &Store{w: w, r: w, log: logger}
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	if !memory {
		var r *sql.DB
		r, err = sql.Open("sqlite", withParams(path, "_pragma=busy_timeout(10000)&_pragma=query_only(1)&_pragma=mmap_size(1073741824)"))
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("open sqlite readers: %w", err)
		}
		// Readers map the file: a search scans every paper's text, and
		// through mmap that is 3-4 times faster than through read(2) into
		// SQLite's small page cache.
		n := max(4, runtime.NumCPU())
		r.SetMaxOpenConns(n)
		r.SetMaxIdleConns(n)
		s.r = r
	}
	for _, p := range []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&s.paperStmt, paperSQL},
		{&s.filesStmt, filesSQL},
		{&s.postStmt, postSQL},
	} {
		if *p.stmt, err = s.r.PrepareContext(ctx, p.sql); err != nil {
			s.Close()
			return nil, fmt.Errorf("prepare: %w", err)
		}
	}
	return s, nil
}

func withParams(path, params string) string {
	if strings.Contains(path, "?") {
		return path + "&" + params
	}
	return path + "?" + params
}

// Close closes the database.
func (s *Store) Close() error {
	var err error
	for _, st := range []*sql.Stmt{s.paperStmt, s.filesStmt, s.postStmt} {
		if st != nil {
			err = errors.Join(err, st.Close())
		}
	}
	if s.r != s.w {
		err = s.r.Close()
	}
	return errors.Join(err, s.w.Close())
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.r.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite: %w", err)
	}
	return nil
}

// migrate applies the embedded migrations newer than schema_version, all in
// one immediate transaction so two processes opening a new file together
// cannot both apply them.
func (s *Store) migrate(ctx context.Context) error {
	entries, err := migrations.ReadDir("migrations")
	if err != nil {
		return fmt.Errorf("read migrations: %w", err)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: create schema_version: %w", err)
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current); err != nil {
		return fmt.Errorf("migrate: read schema_version: %w", err)
	}
	applied := 0
	latest := current
	for _, e := range entries {
		name := e.Name()
		v, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migrate: bad migration name %q", name)
		}
		latest = max(latest, v)
		if v <= current {
			continue
		}
		src, err := migrations.ReadFile("migrations/" + name)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if _, err := tx.ExecContext(ctx, string(src)); err != nil {
			return fmt.Errorf("migrate: apply %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, applied_at) VALUES (?, ?)`, v, fmtTime(time.Now())); err != nil {
			return fmt.Errorf("migrate: record %s: %w", name, err)
		}
		applied++
	}
	if current > latest {
		return bot.Errorf(bot.EINVALID, "the database schema (version %d) is newer than this paperbot (version %d)", current, latest)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	if applied > 0 {
		s.log.Info("sqlite schema migrated", "from", current, "to", latest)
	}
	return nil
}

const filesSQL = `SELECT path, size, mod_time, hash, error FROM files`

// Files returns every known file's state.
func (s *Store) Files(ctx context.Context) (map[string]bot.FileState, error) {
	rs, err := s.filesStmt.QueryContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("list files: %w", err)
	}
	defer rs.Close()
	out := make(map[string]bot.FileState)
	for rs.Next() {
		var fs bot.FileState
		var mt string
		if err := rs.Scan(&fs.Path, &fs.Size, &mt, &fs.Hash, &fs.Error); err != nil {
			return nil, fmt.Errorf("list files: %w", err)
		}
		if fs.ModTime, err = parseTime(mt); err != nil {
			return nil, fmt.Errorf("list files: %w", err)
		}
		out[fs.Path] = fs
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("list files: %w", err)
	}
	return out, nil
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func saveFile(ctx context.Context, db execer, fs bot.FileState) error {
	_, err := db.ExecContext(ctx, `INSERT INTO files (path, size, mod_time, hash, error) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (path) DO UPDATE SET size = excluded.size, mod_time = excluded.mod_time, hash = excluded.hash, error = excluded.error`,
		fs.Path, fs.Size, fmtTime(fs.ModTime), fs.Hash, fs.Error)
	if err != nil {
		return fmt.Errorf("save file %s: %w", fs.Path, err)
	}
	return nil
}

// SaveFile records a file's state.
func (s *Store) SaveFile(ctx context.Context, fs bot.FileState) error {
	if fs.Path == "" {
		return bot.Errorf(bot.EINVALID, "a file needs a path")
	}
	return saveFile(ctx, s.w, fs)
}

// SavePost indexes d and records fs in one transaction.
func (s *Store) SavePost(ctx context.Context, d *bot.Digest, fs bot.FileState) error {
	return s.SavePosts(ctx, []*bot.Digest{d}, []bot.FileState{fs})
}

// SavePosts is SavePost for many posts in one transaction: the first scan of
// a large archive (and the benchmarks) would otherwise pay a commit per post.
// files[i] is the state of posts[i]'s file (its Path defaults to the post's).
func (s *Store) SavePosts(ctx context.Context, posts []*bot.Digest, files []bot.FileState) error {
	if len(files) != len(posts) {
		return bot.Errorf(bot.EINVALID, "%d posts but %d file states", len(posts), len(files))
	}
	for _, d := range posts {
		if d == nil || d.Path == "" {
			return bot.Errorf(bot.EINVALID, "a post needs a path")
		}
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save posts: %w", err)
	}
	defer tx.Rollback()
	delPapers, err := tx.PrepareContext(ctx, `DELETE FROM papers WHERE post = ?`)
	if err != nil {
		return fmt.Errorf("save posts: %w", err)
	}
	defer delPapers.Close()
	insPost, err := tx.PrepareContext(ctx, `INSERT INTO posts (path, day, date, local, title, draft, hash, digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (path) DO UPDATE SET day = excluded.day, date = excluded.date, local = excluded.local, title = excluded.title,
		draft = excluded.draft, hash = excluded.hash, digest = excluded.digest`)
	if err != nil {
		return fmt.Errorf("save posts: %w", err)
	}
	defer insPost.Close()
	insPaper, err := tx.PrepareContext(ctx, `INSERT INTO papers (post, idx, draft, date, id, title_lc, text_lc, paper) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("save posts: %w", err)
	}
	defer insPaper.Close()
	for i, d := range posts {
		doc, err := json.Marshal(d)
		if err != nil {
			return fmt.Errorf("save post %s: encode: %w", d.Path, err)
		}
		date := fmtTime(d.Date)
		if _, err := delPapers.ExecContext(ctx, d.Path); err != nil {
			return fmt.Errorf("save post %s: %w", d.Path, err)
		}
		if _, err := insPost.ExecContext(ctx, d.Path, d.Day(), date, d.Date.Format(time.RFC3339Nano), d.Title, d.Draft, d.Hash, string(doc)); err != nil {
			return fmt.Errorf("save post %s: %w", d.Path, err)
		}
		for j := range d.Papers {
			pp := &d.Papers[j]
			pdoc, err := json.Marshal(pp)
			if err != nil {
				return fmt.Errorf("save post %s: encode paper: %w", d.Path, err)
			}
			title, text := rows.SearchText(pp)
			if _, err := insPaper.ExecContext(ctx, d.Path, j, d.Draft, date, string(pp.ID), title, text, string(pdoc)); err != nil {
				return fmt.Errorf("save post %s: paper %d: %w", d.Path, pp.Number, err)
			}
		}
		fs := files[i]
		if fs.Path == "" {
			fs.Path = d.Path
		}
		if err := saveFile(ctx, tx, fs); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save posts: commit: %w", err)
	}
	return nil
}

// DeleteFile forgets a file, its post and the post's papers.
func (s *Store) DeleteFile(ctx context.Context, path string) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete file %s: %w", path, err)
	}
	defer tx.Rollback()
	for _, q := range []string{`DELETE FROM papers WHERE post = ?`, `DELETE FROM posts WHERE path = ?`, `DELETE FROM files WHERE path = ?`} {
		if _, err := tx.ExecContext(ctx, q, path); err != nil {
			return fmt.Errorf("delete file %s: %w", path, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete file %s: commit: %w", path, err)
	}
	return nil
}

func decodeDigest(doc string) (*bot.Digest, error) {
	var d bot.Digest
	if err := rows.DecodeDigest(doc, &d); err != nil {
		return nil, fmt.Errorf("decode post: %w: %w", bot.ErrUnreadable, err)
	}
	return &d, nil
}

const postSQL = `SELECT digest FROM posts WHERE path = ?`

// Post returns the post with this path.
func (s *Store) Post(ctx context.Context, path string) (*bot.Digest, error) {
	var doc string
	err := s.postStmt.QueryRowContext(ctx, path).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, bot.Errorf(bot.ENOTFOUND, "no post %s", path)
	}
	if err != nil {
		return nil, fmt.Errorf("read post %s: %w", path, err)
	}
	return decodeDigest(doc)
}

func (s *Store) posts(ctx context.Context, what, query string, args ...any) ([]*bot.Digest, error) {
	rs, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rs.Close()
	var out []*bot.Digest
	for rs.Next() {
		var doc string
		if err := rs.Scan(&doc); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		d, err := decodeDigest(doc)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, d)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// PostsOn returns the posts of a day in path order.
func (s *Store) PostsOn(ctx context.Context, day string) ([]*bot.Digest, error) {
	return s.posts(ctx, "posts on "+day, `SELECT digest FROM posts WHERE day = ? ORDER BY path`, day)
}

// Posts returns every post, oldest first.
func (s *Store) Posts(ctx context.Context) ([]*bot.Digest, error) {
	return s.posts(ctx, "list posts", `SELECT digest FROM posts ORDER BY date, path`)
}

// LatestPost returns the newest post that is not a draft.
func (s *Store) LatestPost(ctx context.Context) (*bot.Digest, error) {
	ds, err := s.posts(ctx, "latest post", `SELECT digest FROM posts WHERE draft = 0 ORDER BY date DESC, path DESC LIMIT 1`)
	if err != nil {
		return nil, err
	}
	if len(ds) == 0 {
		return nil, bot.Errorf(bot.ENOTFOUND, "no post yet")
	}
	return ds[0], nil
}

const hitColumns = `p.paper, posts.local, posts.title, posts.path`

func scanHit(sc interface{ Scan(...any) error }, extra ...any) (bot.PaperHit, error) {
	var h bot.PaperHit
	var doc, local string
	if err := sc.Scan(append([]any{&doc, &local, &h.Post.Title, &h.Post.Path}, extra...)...); err != nil {
		return h, err
	}
	if err := rows.DecodePaper(doc, &h.Paper); err != nil {
		return h, fmt.Errorf("decode paper: %w", err)
	}
	t, err := time.Parse(time.RFC3339Nano, local)
	if err != nil {
		return h, fmt.Errorf("decode post date: %w", err)
	}
	h.Post.Date = t
	return h, nil
}

// paperSQL's id <> ” term lets SQLite use the partial index papers_id.
const paperSQL = `SELECT ` + hitColumns + ` FROM papers p JOIN posts ON posts.path = p.post
	WHERE p.id = ? AND p.id <> '' AND p.draft = 0 ORDER BY p.date DESC, p.post DESC, p.idx LIMIT 1`

// Paper returns the paper with this id from the newest published post that
// has it. Drafts are never looked up: their text is not public yet.
func (s *Store) Paper(ctx context.Context, id bot.ArxivID) (*bot.PaperHit, error) {
	if id == "" {
		return nil, bot.Errorf(bot.ENOTFOUND, "no paper without an id")
	}
	row := s.paperStmt.QueryRowContext(ctx, string(id))
	h, err := scanHit(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, bot.Errorf(bot.ENOTFOUND, "no paper with id %s", id)
	}
	if err != nil {
		return nil, fmt.Errorf("paper %s: %w", id, err)
	}
	return &h, nil
}

// SearchPapers returns up to limit published papers containing every word of
// query in their title or text; Score is 1 plus the number of words found in
// the title, and ties go to the newer post.
func (s *Store) SearchPapers(ctx context.Context, query string, limit int) ([]bot.PaperHit, error) {
	words := rows.Words(query)
	if len(words) == 0 || limit <= 0 {
		return nil, nil
	}
	// LIKE, with the user's wildcards escaped, on text lowered by Go's
	// strings.ToLower: the same folding as every other store (SQLite's own
	// LIKE folds ASCII only, which lowered text makes moot).
	where, score, args := rows.SearchTerms(words, limit, "?", "")
	q := `SELECT ` + hitColumns + `, m.score FROM (
			SELECT p.post, p.idx, ` + score + ` AS score FROM papers p
			WHERE p.draft = 0` + where + `
			ORDER BY score DESC, p.date DESC, p.post DESC, p.idx LIMIT ?` + strconv.Itoa(len(args)) + `
		) m JOIN papers p ON p.post = m.post AND p.idx = m.idx JOIN posts ON posts.path = p.post
		ORDER BY m.score DESC, p.date DESC, p.post DESC, p.idx`
	rs, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("search papers: %w", err)
	}
	defer rs.Close()
	var out []bot.PaperHit
	for rs.Next() {
		var score int
		h, err := scanHit(rs, &score)
		if err != nil {
			return nil, fmt.Errorf("search papers: %w", err)
		}
		h.Score = float64(score)
		out = append(out, h)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("search papers: %w", err)
	}
	return out, nil
}

// Delivery returns the record of (post, target).
func (s *Store) Delivery(ctx context.Context, post, target string) (*bot.Delivery, error) {
	ds, err := s.deliveries(ctx, `WHERE post = ? AND target = ?`, post, target)
	if err != nil {
		return nil, err
	}
	if len(ds) == 0 {
		return nil, bot.Errorf(bot.ENOTFOUND, "no delivery of %s to %s", post, target)
	}
	return &ds[0], nil
}

// PutDelivery creates or replaces the record of (d.Post, d.Target). A zero
// UpdatedAt is stored as the current time.
func (s *Store) PutDelivery(ctx context.Context, d *bot.Delivery) error {
	if d.Post == "" || d.Target == "" {
		return bot.Errorf(bot.EINVALID, "a delivery needs a post and a target")
	}
	refs, err := rows.MarshalRefs(d.Refs)
	if err != nil {
		return err
	}
	updated := d.UpdatedAt
	if updated.IsZero() {
		updated = time.Now()
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO deliveries (post, target, key, state, hash, refs, attempts, last_error, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (post, target) DO UPDATE SET key = excluded.key, state = excluded.state, hash = excluded.hash, refs = excluded.refs,
		attempts = excluded.attempts, last_error = excluded.last_error, updated_at = excluded.updated_at`,
		d.Post, d.Target, d.Key, string(d.State), d.Hash, refs, d.Attempts, d.LastError, fmtTime(updated))
	if err != nil {
		return fmt.Errorf("put delivery %s to %s: %w", d.Post, d.Target, err)
	}
	return nil
}

// Deliveries returns the records of a post, or of every post when post is
// "", oldest update first.
func (s *Store) Deliveries(ctx context.Context, post string) ([]bot.Delivery, error) {
	if post == "" {
		return s.deliveries(ctx, `ORDER BY updated_at, post, target`)
	}
	return s.deliveries(ctx, `WHERE post = ? ORDER BY updated_at, post, target`, post)
}

func (s *Store) deliveries(ctx context.Context, tail string, args ...any) ([]bot.Delivery, error) {
	rs, err := s.r.QueryContext(ctx, `SELECT post, target, key, state, hash, refs, attempts, last_error, updated_at FROM deliveries `+tail, args...)
	if err != nil {
		return nil, fmt.Errorf("read deliveries: %w", err)
	}
	defer rs.Close()
	var out []bot.Delivery
	for rs.Next() {
		var d bot.Delivery
		var state, refs, updated string
		if err := rs.Scan(&d.Post, &d.Target, &d.Key, &state, &d.Hash, &refs, &d.Attempts, &d.LastError, &updated); err != nil {
			return nil, fmt.Errorf("read deliveries: %w", err)
		}
		d.State = bot.DeliveryState(state)
		if d.Refs, err = rows.UnmarshalRefs(refs); err != nil {
			return nil, fmt.Errorf("read deliveries: %w", err)
		}
		if d.UpdatedAt, err = parseTime(updated); err != nil {
			return nil, fmt.Errorf("read deliveries: %w", err)
		}
		out = append(out, d)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("read deliveries: %w", err)
	}
	return out, nil
}

// Lease takes, renews or refuses the named lease in one conditional upsert:
// it only overwrites a row that holder already owns or that has expired.
func (s *Store) Lease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if name == "" || holder == "" || ttl <= 0 {
		return false, bot.Errorf(bot.EINVALID, "a lease needs a name, a holder and a positive duration")
	}
	now := time.Now()
	res, err := s.w.ExecContext(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.holder = excluded.holder OR leases.expires_at <= ?`,
		name, holder, fmtTime(now.Add(ttl)), fmtTime(now))
	if err != nil {
		return false, fmt.Errorf("lease %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("lease %s: %w", name, err)
	}
	return n == 1, nil
}

// ReleaseLease gives the lease up if holder owns it.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM leases WHERE name = ? AND holder = ?`, name, holder); err != nil {
		return fmt.Errorf("release lease %s: %w", name, err)
	}
	return nil
}

// Meta returns a named value, "" when unknown.
func (s *Store) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := s.r.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("meta %s: %w", key, err)
	}
	return v, nil
}

// SetMeta sets a named value.
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	if _, err := s.w.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value); err != nil {
		return fmt.Errorf("set meta %s: %w", key, err)
	}
	return nil
}
