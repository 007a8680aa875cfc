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
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
	l   *sql.DB // the leases' own database (see openLeases)
	log *slog.Logger

	// Hot reads, prepared once: parsing SQL costs more than running these.
	paperStmt, filesStmt, searchStmt, termsStmt, keysStmt, readStmt *sql.Stmt

	damaged rows.Damaged // damaged posts searches met, logged once
}

var _ bot.Store = (*Store)(nil)

// Open opens (creating it if needed) the SQLite database at path and brings
// its schema up to date. path is a file name, a "file:" URI, or ":memory:"
// (a private database that lives as long as the Store). The folder of a
// file name is created too: SQLite creates a file, not its folder, and a
// fresh machine has no data folder yet. A nil logger discards.
func Open(ctx context.Context, path string, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if path == "" {
		return nil, bot.Errorf(bot.EINVALID, "the SQLite store needs a file name")
	}
	memory := path == ":memory:" || strings.HasPrefix(path, "file::memory:") || strings.Contains(path, "mode=memory")
	if !memory && !strings.HasPrefix(path, "file:") {
		file, _, _ := strings.Cut(path, "?")
		if err := os.MkdirAll(filepath.Dir(file), 0o750); err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
	}
	params := "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_txlock=immediate"
	if !memory {
		params += "&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
		if err := newFile(ctx, path); err != nil {
			return nil, err
		}
	}
	w, err := sql.Open("sqlite", withParams(path, params))
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	// One writer connection: SQLite allows one writer at a time anyway, and
	// queueing in database/sql is kinder than SQLITE_BUSY retries.
	oneConnection(w)
	s := &Store{w: w, r: w, log: logger}
	if s.l, err = openLeases(ctx, path, memory); err != nil {
		w.Close()
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.l.Close()
		w.Close()
		return nil, err
	}
	if err := s.tuneIndex(ctx); err != nil {
		s.l.Close()
		w.Close()
		return nil, err
	}
	if !memory {
		var r *sql.DB
		r, err = sql.Open("sqlite", withParams(path, "_pragma=busy_timeout(10000)&_pragma=query_only(1)&_pragma=mmap_size(0)"))
		if err != nil {
			s.l.Close()
			w.Close()
			return nil, fmt.Errorf("open sqlite readers: %w", err)
		}
		// Readers map none of the file (mmap_size 0): they read pages
		// with pread into their own page cache. They used to map the first
		// 64 MB, each reader its own mapping: 128 MB of mapped file on
		// two cores, and a new process faulted every 4 KB of it in on
		// first touch, which on a small VM made the first second after a
		// start slower. A first start on 10,000 posts, then 5,000 lookups
		// a second from /readyz, four interleaved pairs: p99 of the first
		// second 25-45 ms without the mapping against 38-110 ms with it;
		// warm lookups and searches measured the same either way.
		//
		// One reader per core the Go scheduler runs on, two at least so
		// that a long search leaves one for lookups: a reader is busy on
		// a core, not waiting on a disk (the file is in the OS cache).
		// Each costs about 10 MB of memory once warm: its page cache
		// (SQLite's default 2,000 KiB of pages, and the allocator's room
		// around each) and its share of the allocator's retained pages;
		// and each starts cold. An 8 MB cache each measured the same CPU
		// and latency under load for 15 MB more. Four on two cores (the
		// old fixed minimum), against two: anonymous RSS after 10,000
		// posts and 20 s of 5,000 lookups a second 117-120 MB against
		// 98-100 MB, and no better latency.
		n := max(2, runtime.GOMAXPROCS(0))
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
		{&s.searchStmt, searchSQL},
		{&s.termsStmt, termsSQL},
		{&s.keysStmt, keysSQL},
		{&s.readStmt, readSQL},
	} {
		if *p.stmt, err = s.r.PrepareContext(ctx, p.sql); err != nil {
			s.Close()
			return nil, fmt.Errorf("prepare: %w", err)
		}
	}
	return s, nil
}

// newFile creates the database file with 16 KB pages if it does not exist
// yet: a packed paper is 1-2 KB, and SQLite's default 4 KB pages left a
// fifth of the papers table empty (16 KB: 4%; the file 1.30x -> 0.97x the
// markdown with the other changes of migration 3). The page size is fixed once the file is
// in WAL mode, so it is set on a connection of its own, first.
func newFile(ctx context.Context, path string) error {
	if strings.HasPrefix(path, "file:") {
		return nil // a URI: its owner chose its settings
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	db, err := sql.Open("sqlite", withParams(path, "_pragma=busy_timeout(10000)"))
	if err != nil {
		return fmt.Errorf("create sqlite file: %w", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `PRAGMA page_size = 16384; CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("create sqlite file: %w", err)
	}
	return nil
}

// leasesSuffix is added to the database's file name to name the leases'
// own database ("paperbot.db" -> "paperbot.db-leases").
const leasesSuffix = "-leases"

// openLeases opens the database the leases live in: a file of their own
// next to the store's, or, for an in-memory store, a private in-memory
// database. The sender renews its lease every few seconds, and in WAL mode
// every commit to a database makes each of its other connections drop its
// whole page cache at its next read: with the leases in the store's file
// that was every reader of /api/papers, every ~3 s, re-reading its pages.
// A lease write also no longer queues behind a long write of the store's
// own (a first index, a batch of records).
//
// The file holds nothing that must outlive the processes: the leases of
// running replicas. Each process must open the same file, which is why it
// is named after the store's and not kept in data_dir.
func openLeases(ctx context.Context, path string, memory bool) (*sql.DB, error) {
	dsn := ":memory:"
	if !memory {
		file, query, _ := strings.Cut(path, "?")
		dsn = file + leasesSuffix
		if query != "" {
			dsn += "?" + query
		}
		dsn = withParams(dsn, "_pragma=busy_timeout(10000)&_txlock=immediate&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite leases: %w", err)
	}
	// One connection: an in-memory database lives as long as its
	// connection, and the leases are a few tiny writes every few seconds.
	oneConnection(db)
	if _, err := db.ExecContext(ctx, leasesSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite leases: %w", err)
	}
	return db, nil
}

// leasesSchema is the leases' database: the same table the store's file
// held up to schema version 5.
const leasesSchema = `CREATE TABLE IF NOT EXISTS leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TEXT NOT NULL
) WITHOUT ROWID`

// oneConnection makes db a single connection, opened once and kept.
func oneConnection(db *sql.DB) {
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
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
	for _, st := range []*sql.Stmt{s.paperStmt, s.filesStmt, s.searchStmt, s.termsStmt, s.keysStmt, s.readStmt} {
		if st != nil {
			err = errors.Join(err, st.Close())
		}
	}
	if s.r != s.w {
		err = errors.Join(err, s.r.Close())
	}
	if s.l != nil {
		err = errors.Join(err, s.l.Close())
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
	pending, latest, err := rows.PendingMigrations(migrations, current)
	if err != nil {
		return err
	}
	for _, m := range pending {
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("migrate: apply %s: %w", m.Name, err)
		}
		if up := upgrades[m.Version]; up != nil {
			if err := up(ctx, s, tx); err != nil {
				return fmt.Errorf("migrate: apply %s: %w", m.Name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, applied_at) VALUES (?, ?)`, m.Version, fmtTime(time.Now())); err != nil {
			return fmt.Errorf("migrate: record %s: %w", m.Name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	if len(pending) > 0 {
		s.log.Info("sqlite schema migrated", "from", current, "to", latest)
	}
	return nil
}

// ftsAutomerge is how many segments of one level the search index lets
// pile up before it merges them (FTS5's automerge; its default is 4). Each
// batch of a first scan writes a segment, and merging them was a tenth of
// the scan's CPU: BenchmarkIndexArchive, two interleaved triples, 18.3 and
// 18.6 cpu-s at 4, 17.6 and 17.7 at 8, 17.7 and 17.4 at 16. Searches read
// more segments for it: BenchmarkSearch p50 0.35-0.62 ms at 4, 0.40-0.78
// at 8, p99 under 1.6 ms either way.
const ftsAutomerge = 8

// tuneIndex sets the search index's settings that are not part of the
// schema: they live in the index's own config table, and an older paperbot
// opening the file reads them just as well.
func (s *Store) tuneIndex(ctx context.Context) error {
	var v int
	err := s.w.QueryRowContext(ctx, `SELECT v FROM papers_fts_config WHERE k = 'automerge'`).Scan(&v)
	if err == nil && v == ftsAutomerge {
		return nil
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("tune search index: %w", err)
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO papers_fts(papers_fts, rank) VALUES ('automerge', ?)`, ftsAutomerge); err != nil {
		return fmt.Errorf("tune search index: %w", err)
	}
	return nil
}

// upgrades are the steps of migrations that SQL alone cannot take, run
// right after the migration's script in its transaction.
var upgrades = map[int]func(context.Context, *Store, *sql.Tx) error{3: upgrade3, 6: upgrade6}

// upgrade6 copies the leases of the store's file into the leases' own
// database (openLeases), keeping for each name the later expiry. It runs in
// the migration's immediate transaction, which holds the store's write
// lock: a replica of an older paperbot still running cannot renew in the
// store's file between the copy and migration 6's triggers, which from
// then on make every lease write of such a replica fail. So an old sender
// stops sending as it would on losing its lease, and its lease, copied
// with its expiry, keeps the new replicas from sending until it has run
// out: no time with two senders.
func upgrade6(ctx context.Context, s *Store, tx *sql.Tx) error {
	type lease struct{ name, holder, expires string }
	var ls []lease
	err := func() error {
		rs, err := tx.QueryContext(ctx, `SELECT name, holder, expires_at FROM leases`)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var l lease
			if err := rs.Scan(&l.name, &l.holder, &l.expires); err != nil {
				return err
			}
			ls = append(ls, l)
		}
		return rs.Err()
	}()
	if err != nil {
		return fmt.Errorf("read leases: %w", err)
	}
	for _, l := range ls {
		if _, err := s.l.ExecContext(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
			WHERE excluded.expires_at > leases.expires_at`, l.name, l.holder, l.expires); err != nil {
			return fmt.Errorf("copy lease %s: %w", l.name, err)
		}
	}
	return nil
}

// upgrade3 moves every post of a version-2 database to the lean rows of
// migration 3: the old digest (papers included) is split into the post's
// head and its packed, indexed papers; files and deliveries stay as they are.
// A post whose old digest cannot be decoded is left as it is (reads report
// it unreadable, it fails alone) and its file is marked changed, so that the
// next scan reads the file and stores the post anew: one damaged row must
// not keep every other post from the new schema.
func upgrade3(ctx context.Context, s *Store, tx *sql.Tx) error {
	log := s.log
	var paths []string
	err := func() error {
		rs, err := tx.QueryContext(ctx, `SELECT path FROM posts ORDER BY path`)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var p string
			if err := rs.Scan(&p); err != nil {
				return err
			}
			paths = append(paths, p)
		}
		return rs.Err()
	}()
	if err != nil {
		return fmt.Errorf("list posts: %w", err)
	}
	for len(paths) > 0 {
		n := min(len(paths), 256)
		batch := make([]*bot.Digest, 0, n)
		for _, p := range paths[:n] {
			var doc string
			if err := tx.QueryRowContext(ctx, `SELECT digest FROM posts WHERE path = ?`, p).Scan(&doc); err != nil {
				return fmt.Errorf("read post %s: %w", p, err)
			}
			d, err := rows.DecodePost(p, doc)
			if err != nil {
				log.Error("migration 3: stored post cannot be decoded; left for the next scan to store anew", "post", p, "err", err)
				if _, err := tx.ExecContext(ctx, `UPDATE files SET size = -1, hash = '' WHERE path = ?`, p); err != nil {
					return fmt.Errorf("mark file %s changed: %w", p, err)
				}
				continue
			}
			d.Path = p
			batch = append(batch, d)
		}
		enc, err := encodePosts(ctx, batch)
		if err != nil {
			return err
		}
		if err := savePosts(ctx, tx, batch, enc, nil); err != nil {
			return err
		}
		paths = paths[n:]
	}
	if _, err := tx.ExecContext(ctx, `DROP TABLE papers_v2`); err != nil {
		return fmt.Errorf("drop the old papers: %w", err)
	}
	return nil
}

const filesSQL = `SELECT path, size, mod_time, hash, error, draft FROM files`

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
		if err := rs.Scan(&fs.Path, &fs.Size, &mt, &fs.Hash, &fs.Error, &fs.Draft); err != nil {
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
	_, err := db.ExecContext(ctx, saveSQL[len(saveSQL)-1], fs.Path, fs.Size, fmtTime(fs.ModTime), fs.Hash, fs.Error, fs.Draft)
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

// encodedPost is a post as its rows hold it.
type encodedPost struct {
	doc    string // the digest's JSON, without its papers
	papers []encodedPaper
	terms  []string // the distinct index tokens of all its papers
}

type encodedPaper struct {
	packed []byte
	tokens string // the index tokens, space-separated
}

func encodePost(d *bot.Digest) (encodedPost, error) {
	head := *d
	head.Papers = nil
	doc, err := json.Marshal(&head)
	if err != nil {
		return encodedPost{}, fmt.Errorf("save post %s: encode: %w", d.Path, err)
	}
	e := encodedPost{doc: string(doc), papers: make([]encodedPaper, len(d.Papers))}
	for j := range d.Papers {
		if e.papers[j].packed, err = rows.PackPaper(&d.Papers[j]); err != nil {
			return encodedPost{}, fmt.Errorf("save post %s: %w", d.Path, err)
		}
	}
	if d.Draft {
		return e, nil // drafts are not indexed
	}
	var toks []string
	toks, e.terms = rows.PostTokens(d.Papers)
	for j := range toks {
		e.papers[j].tokens = toks[j]
	}
	return e, nil
}

// encodePosts encodes posts on every core: packing and tokenizing cost more
// than writing the rows, which only the one writer connection can do.
func encodePosts(ctx context.Context, posts []*bot.Digest) ([]encodedPost, error) {
	out := make([]encodedPost, len(posts))
	errs := make([]error, len(posts))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(posts)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(posts) || ctx.Err() != nil {
					return
				}
				out[i], errs[i] = encodePost(posts[i])
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, errors.Join(errs...)
}

// SavePosts is SavePost for many posts in one transaction: the first scan of
// a large archive (and the benchmarks) would otherwise pay a commit per post.
// files[i] is the state of posts[i]'s file (its Path defaults to the post's).
func (s *Store) SavePosts(ctx context.Context, posts []*bot.Digest, files []bot.FileState) error {
	return s.SaveEncoded(ctx, posts, nil, files)
}

var _ bot.PostEncoder = (*Store)(nil)

// EncodePost packs and tokenizes d's papers for SaveEncoded (bot.PostEncoder):
// a scan does it on its parse workers, leaving the writer only the rows to
// write.
func (s *Store) EncodePost(d *bot.Digest) (any, error) {
	if d == nil {
		return nil, bot.Errorf(bot.EINVALID, "no post")
	}
	return encodePost(d)
}

// SaveEncoded is SavePosts with enc[i] what EncodePost returned for
// posts[i]; posts without one (enc nil or shorter, or an entry of another
// type) are encoded here.
func (s *Store) SaveEncoded(ctx context.Context, posts []*bot.Digest, enc []any, files []bot.FileState) error {
	if len(files) != len(posts) {
		return bot.Errorf(bot.EINVALID, "%d posts but %d file states", len(posts), len(files))
	}
	for _, d := range posts {
		if d == nil || d.Path == "" {
			return bot.Errorf(bot.EINVALID, "a post needs a path")
		}
	}
	encoded := make([]encodedPost, len(posts))
	var todo []int
	for i := range posts {
		if i < len(enc) {
			if e, ok := enc[i].(encodedPost); ok {
				encoded[i] = e
				continue
			}
		}
		todo = append(todo, i)
	}
	if len(todo) > 0 {
		rest := make([]*bot.Digest, len(todo))
		for k, i := range todo {
			rest[k] = posts[i]
		}
		e, err := encodePosts(ctx, rest)
		if err != nil {
			return err
		}
		for k, i := range todo {
			encoded[i] = e[k]
		}
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save posts: %w", err)
	}
	defer tx.Rollback()
	if err := savePosts(ctx, tx, posts, encoded, files); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save posts: commit: %w", err)
	}
	return nil
}

// The statements of savePosts, prepared once per transaction.
var saveSQL = []string{
	`SELECT draft, first_key, paper_count FROM posts WHERE path = ?`,
	`DELETE FROM papers_fts WHERE rowid = ?`,
	`DELETE FROM papers WHERE key BETWEEN ? AND ?`,
	`INSERT INTO posts (path, day, date, local, title, draft, hash, digest, first_key, paper_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (path) DO UPDATE SET day = excluded.day, date = excluded.date, local = excluded.local, title = excluded.title,
		draft = excluded.draft, hash = excluded.hash, digest = excluded.digest, first_key = excluded.first_key, paper_count = excluded.paper_count`,
	`SELECT COALESCE(MAX(key) + 1, ?1) FROM papers WHERE key BETWEEN ?1 AND ?2`,
	`INSERT INTO papers (key, post, idx, draft, date, id, paper) VALUES (?, ?, ?, ?, ?, ?, ?)`,
	`INSERT INTO papers_fts (rowid, tokens) VALUES (?, ?)`,
	`INSERT OR IGNORE INTO terms (term) VALUES (?)`,
	`INSERT INTO files (path, size, mod_time, hash, error, draft) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (path) DO UPDATE SET size = excluded.size, mod_time = excluded.mod_time, hash = excluded.hash, error = excluded.error,
		draft = excluded.draft`,
}

// saveStmts are saveSQL prepared in a transaction.
type saveStmts struct {
	oldPost, delIndex, delPapers, upPost, nextKey, insPaper, insIndex, insTerm, upFile *sql.Stmt
}

// prepareSave prepares saveSQL, the terms and files statements only
// withLater: the upgrade to migration 3 saves posts before those tables are
// current.
func prepareSave(ctx context.Context, tx *sql.Tx, withLater bool) (*saveStmts, func(), error) {
	st := make([]*sql.Stmt, len(saveSQL))
	closeAll := func() {
		for _, s := range st {
			if s != nil {
				s.Close()
			}
		}
	}
	for i, q := range saveSQL {
		if i >= len(saveSQL)-2 && !withLater {
			break
		}
		var err error
		if st[i], err = tx.PrepareContext(ctx, q); err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("prepare: %w", err)
		}
	}
	return &saveStmts{st[0], st[1], st[2], st[3], st[4], st[5], st[6], st[7], st[8]}, closeAll, nil
}

// forgetPapers deletes the papers of the post at path, and their index
// entries, as the posts table records them.
func (st *saveStmts) forgetPapers(ctx context.Context, path string) error {
	var draft bool
	var first, n int64
	err := st.oldPost.QueryRowContext(ctx, path).Scan(&draft, &first, &n)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	if !draft {
		for k := first; k < first+n; k++ {
			if _, err := st.delIndex.ExecContext(ctx, k); err != nil {
				return err
			}
		}
	}
	_, err = st.delPapers.ExecContext(ctx, first, first+n-1)
	return err
}

// savePosts writes posts and, unless files is nil, their files' states.
func savePosts(ctx context.Context, tx *sql.Tx, posts []*bot.Digest, enc []encodedPost, files []bot.FileState) error {
	st, closeAll, err := prepareSave(ctx, tx, files != nil)
	if err != nil {
		return fmt.Errorf("save posts: %w", err)
	}
	defer closeAll()
	if files != nil {
		seen := map[string]struct{}{}
		for i := range enc {
			for _, t := range enc[i].terms {
				if _, ok := seen[t]; ok {
					continue
				}
				seen[t] = struct{}{}
				if _, err := st.insTerm.ExecContext(ctx, t); err != nil {
					return fmt.Errorf("save posts: terms: %w", err)
				}
			}
		}
	}
	for i, d := range posts {
		e := enc[i]
		if err := st.forgetPapers(ctx, d.Path); err != nil {
			return fmt.Errorf("save post %s: %w", d.Path, err)
		}
		lo, hi := rows.SlotRange(d.Date)
		var key int64
		if err := st.nextKey.QueryRowContext(ctx, lo, hi).Scan(&key); err != nil {
			return fmt.Errorf("save post %s: %w", d.Path, err)
		}
		if key+int64(len(d.Papers))-1 > hi {
			return bot.Errorf(bot.EINVALID, "save post %s: too many papers on %s", d.Path, d.Date.UTC().Format(time.DateOnly))
		}
		if _, err := st.upPost.ExecContext(ctx, d.Path, d.Day(), fmtTime(d.Date), d.Date.Format(time.RFC3339Nano), d.Title, d.Draft, d.Hash, e.doc,
			key, len(d.Papers)); err != nil {
			return fmt.Errorf("save post %s: %w", d.Path, err)
		}
		date := d.Date.UnixNano()
		for j := range d.Papers {
			pp := &d.Papers[j]
			k := key + int64(j)
			if _, err := st.insPaper.ExecContext(ctx, k, d.Path, j, d.Draft, date, string(pp.ID), e.papers[j].packed); err != nil {
				return fmt.Errorf("save post %s: paper %d: %w", d.Path, pp.Number, err)
			}
			if d.Draft {
				continue
			}
			if _, err := st.insIndex.ExecContext(ctx, k, e.papers[j].tokens); err != nil {
				return fmt.Errorf("save post %s: index paper %d: %w", d.Path, pp.Number, err)
			}
		}
		if files == nil {
			continue
		}
		fs := files[i]
		if fs.Path == "" {
			fs.Path = d.Path
		}
		if _, err := st.upFile.ExecContext(ctx, fs.Path, fs.Size, fmtTime(fs.ModTime), fs.Hash, fs.Error, fs.Draft); err != nil {
			return fmt.Errorf("save file %s: %w", fs.Path, err)
		}
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
	st, closeAll, err := prepareSave(ctx, tx, false)
	if err != nil {
		return fmt.Errorf("delete file %s: %w", path, err)
	}
	defer closeAll()
	if err := st.forgetPapers(ctx, path); err != nil {
		return fmt.Errorf("delete file %s: %w", path, err)
	}
	for _, q := range []string{`DELETE FROM posts WHERE path = ?`, `DELETE FROM files WHERE path = ?`} {
		if _, err := tx.ExecContext(ctx, q, path); err != nil {
			return fmt.Errorf("delete file %s: %w", path, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete file %s: commit: %w", path, err)
	}
	return nil
}

// postColumns are what posts reads of a post.
const postColumns = `SELECT path, digest, first_key, paper_count FROM posts `

const postSQL = postColumns + `WHERE path = ?`

// Post returns the post with this path.
func (s *Store) Post(ctx context.Context, path string) (*bot.Digest, error) {
	ds, err := s.posts(ctx, "read post "+path, postSQL, path)
	if err != nil {
		return nil, err
	}
	if len(ds) == 0 {
		return nil, bot.Errorf(bot.ENOTFOUND, "no post %s", path)
	}
	return ds[0], nil
}

const postPapersSQL = `SELECT paper FROM papers WHERE key BETWEEN ? AND ? ORDER BY key`

// posts reads the digests query selects (postColumns) and their papers, in
// one read transaction so that a concurrent save cannot come between. A
// post that cannot be decoded is left out and named in the error returned
// with the others (bot.Store.PostsOn).
func (s *Store) posts(ctx context.Context, what, query string, args ...any) ([]*bot.Digest, error) {
	conn, err := s.r.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer tx.Rollback()
	var out []*bot.Digest
	var ranges [][2]int64
	var damaged []error
	err = func() error {
		rs, err := tx.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var path, doc string
			var first, n int64
			if err := rs.Scan(&path, &doc, &first, &n); err != nil {
				return err
			}
			d, err := rows.DecodePost(path, doc)
			if err != nil {
				damaged = append(damaged, err)
				continue
			}
			out = append(out, d)
			ranges = append(ranges, [2]int64{first, first + n - 1})
		}
		return rs.Err()
	}()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if len(out) > 0 {
		st, err := tx.PrepareContext(ctx, postPapersSQL)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		defer st.Close()
		read := out[:0]
		for i, d := range out {
			err := readPapers(ctx, st, d, ranges[i])
			if errors.Is(err, bot.ErrUnreadable) {
				damaged = append(damaged, err)
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %w", what, err)
			}
			read = append(read, d)
		}
		out = read
	}
	if len(damaged) > 0 {
		return out, fmt.Errorf("%s: %w", what, errors.Join(damaged...))
	}
	return out, nil
}

func readPapers(ctx context.Context, st *sql.Stmt, d *bot.Digest, keys [2]int64) error {
	rs, err := st.QueryContext(ctx, keys[0], keys[1])
	if err != nil {
		return err
	}
	defer rs.Close()
	d.Papers = nil
	for rs.Next() {
		var b []byte
		if err := rs.Scan(&b); err != nil {
			return err
		}
		var p bot.Paper
		if err := rows.UnpackPaper(b, &p); err != nil {
			return bot.Unreadable(d.Path, err)
		}
		d.Papers = append(d.Papers, p)
	}
	return rs.Err()
}

// PostsOn returns the posts of a day in path order.
func (s *Store) PostsOn(ctx context.Context, day string) ([]*bot.Digest, error) {
	return s.posts(ctx, "posts on "+day, postColumns+`WHERE day = ? ORDER BY path`, day)
}

// Posts returns every post, oldest first.
func (s *Store) Posts(ctx context.Context) ([]*bot.Digest, error) {
	return s.posts(ctx, "list posts", postColumns+`ORDER BY date, path`)
}

// LatestPost returns the newest post that is not a draft.
func (s *Store) LatestPost(ctx context.Context) (*bot.Digest, error) {
	ds, err := s.posts(ctx, "latest post", postColumns+`WHERE draft = 0 ORDER BY date DESC, path DESC LIMIT 1`)
	if err != nil {
		return nil, err
	}
	if len(ds) == 0 {
		return nil, bot.Errorf(bot.ENOTFOUND, "no post yet")
	}
	return ds[0], nil
}

const hitColumns = `p.paper, posts.local, posts.title, posts.path`

// scanHit scans pre's columns, then hitColumns.
func scanHit(sc interface{ Scan(...any) error }, pre ...any) (bot.PaperHit, error) {
	var h bot.PaperHit
	// Only valid until the next Next or Close: UnpackPaper copies what it
	// keeps.
	var doc sql.RawBytes
	var local string
	if err := sc.Scan(append(pre, &doc, &local, &h.Post.Title, &h.Post.Path)...); err != nil {
		return h, err
	}
	if err := rows.UnpackPaper(doc, &h.Paper); err != nil {
		return h, bot.Unreadable(h.Post.Path, err)
	}
	t, err := time.Parse(time.RFC3339Nano, local)
	if err != nil {
		return h, bot.Unreadable(h.Post.Path, fmt.Errorf("decode post date: %w", err))
	}
	h.Post.Date = t
	return h, nil
}

// paperSQL finds the newest key of the id in the partial index papers_id
// (the id <> ” terms let SQLite use it), then orders the copies of that
// key's day exactly: keys order days, not posts within a day.
const paperSQL = `SELECT ` + hitColumns + ` FROM papers p JOIN posts ON posts.path = p.post
	WHERE p.id = ?1 AND p.id <> '' AND p.draft = 0 AND p.key >= (
		SELECT (MAX(key) >> ` + rows.SlotBitsSQL + `) << ` + rows.SlotBitsSQL + ` FROM papers WHERE id = ?1 AND id <> '' AND draft = 0)
	ORDER BY p.date DESC, p.post DESC, p.idx LIMIT 1`

// Paper returns the paper with this id from the newest published post that
// has it. Drafts are never looked up: their text is not public yet.
func (s *Store) Paper(ctx context.Context, id bot.ArxivID) (*bot.PaperHit, error) {
	if id == "" {
		return nil, bot.Errorf(bot.ENOTFOUND, "no paper without an id")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("paper %s: %w", id, err)
	}
	// Rows rather than QueryRow: scanHit reads the packed paper as
	// sql.RawBytes (the driver's copy, not a second one), which Row.Scan
	// refuses.
	//
	// Not cancelled with ctx: a lookup takes tens of microseconds, and for
	// a context that can be cancelled (every HTTP request's) database/sql
	// and the driver each start a goroutine per query to watch it.
	rs, err := s.paperStmt.QueryContext(context.WithoutCancel(ctx), string(id))
	if err != nil {
		return nil, fmt.Errorf("paper %s: %w", id, err)
	}
	defer rs.Close()
	if !rs.Next() {
		if err := rs.Err(); err != nil {
			return nil, fmt.Errorf("paper %s: %w", id, err)
		}
		return nil, bot.Errorf(bot.ENOTFOUND, "no paper with id %s", id)
	}
	h, err := scanHit(rs)
	if err != nil {
		return nil, fmt.Errorf("paper %s: %w", id, err)
	}
	return &h, nil
}

// searchSQL takes the index's matches newest first (its rowid is the paper's
// key) and only then reads their rows; CROSS JOIN keeps that order.
const searchSQL = `SELECT p.key, p.idx, p.date, ` + hitColumns + ` FROM
	(SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?1 AND rowid < ?2 ORDER BY rowid DESC LIMIT ?3) f
	CROSS JOIN papers p ON p.key = f.rowid CROSS JOIN posts ON posts.path = p.post
	ORDER BY p.key DESC`

// SearchPapers returns up to limit published papers with every word of
// query in their title or text, best first (see rows.Search): more words in
// the title, then newer. Score is 1 plus the number of words in the title.
func (s *Store) SearchPapers(ctx context.Context, query string, limit int) ([]bot.PaperHit, error) {
	q := rows.ParseQuery(query)
	if q.Empty() || limit <= 0 {
		return nil, nil
	}
	if err := q.Expand(ctx, s.terms); err != nil {
		return nil, fmt.Errorf("search papers: %w", err)
	}
	hs, err := rows.Search(ctx, q, limit, rows.Index{Dialect: rows.FTS5, Fetch: s.fetch, Count: s.count, Read: s.read})
	if err != nil {
		return nil, fmt.Errorf("search papers: %w", err)
	}
	return hs, nil
}

const termsSQL = `SELECT term FROM terms WHERE term >= ?1 AND term < ?1 || char(1114111) LIMIT ?2`

// terms lists the index terms that start with prefix (rows.Expander).
func (s *Store) terms(ctx context.Context, prefix string, max int) ([]string, bool, error) {
	rs, err := s.termsStmt.QueryContext(ctx, prefix, max+1)
	if err != nil {
		return nil, false, err
	}
	defer rs.Close()
	var out []string
	for rs.Next() {
		var t string
		if err := rs.Scan(&t); err != nil {
			return nil, false, err
		}
		if strings.HasPrefix(t, prefix) {
			out = append(out, t)
		}
	}
	if err := rs.Err(); err != nil {
		return nil, false, err
	}
	return out, len(out) <= max, nil
}

func (s *Store) fetch(ctx context.Context, expr string, before int64, n int) ([]rows.Candidate, error) {
	rs, err := s.searchStmt.QueryContext(ctx, expr, before, n)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	return s.candidates(rs)
}

// candidates reads search rows: key, idx and date, then hitColumns.
func (s *Store) candidates(rs *sql.Rows) ([]rows.Candidate, error) {
	return s.damaged.Candidates(s.log, rs, func(c *rows.Candidate) (err error) {
		var date int64
		c.Hit, err = scanHit(rs, &c.Key, &c.Idx, &date)
		c.Date = time.Unix(0, date)
		return err
	})
}

// keysSQL lists an index query's matches without reading a row; drafts
// are not indexed.
const keysSQL = `SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?1`

// readSQL reads papers by key, the keys a JSON array.
const readSQL = `SELECT p.key, p.idx, p.date, ` + hitColumns + ` FROM
	(SELECT value FROM json_each(?1)) k CROSS JOIN papers p ON p.key = k.value CROSS JOIN posts ON posts.path = p.post
	WHERE p.draft = 0`

// count counts, for each paper anywhere matches, the titles it matches
// (rows.Index): each index query reads its terms' lists once, where asking
// for the papers matching each title query and anywhere together read the
// long lists of its words once for every title query.
func (s *Store) count(ctx context.Context, anywhere string, titles []string) (map[int64]int, error) {
	keys, err := s.keys(ctx, anywhere)
	if err != nil || len(keys) == 0 {
		return nil, err
	}
	out := make(map[int64]int, len(keys))
	for _, k := range keys {
		out[k] = 0
	}
	for _, t := range titles {
		keys, err := s.keys(ctx, t)
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			if n, ok := out[k]; ok {
				out[k] = n + 1
			}
		}
	}
	return out, nil
}

// keys lists the keys of the papers an index query matches.
func (s *Store) keys(ctx context.Context, expr string) ([]int64, error) {
	rs, err := s.keysStmt.QueryContext(ctx, expr)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []int64
	for rs.Next() {
		var k int64
		if err := rs.Scan(&k); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rs.Err()
}

// read reads the published papers with these keys (rows.Index).
func (s *Store) read(ctx context.Context, keys []int64) ([]rows.Candidate, error) {
	b := make([]byte, 0, 1+len(keys)*12)
	b = append(b, '[')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, k, 10)
	}
	b = append(b, ']')
	rs, err := s.readStmt.QueryContext(ctx, string(b))
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	return s.candidates(rs)
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
	return s.PutDeliveries(ctx, []bot.Delivery{*d})
}

const putDeliverySQL = `INSERT INTO deliveries (post, target, key, state, hash, refs, attempts, last_error, updated_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (post, target) DO UPDATE SET key = excluded.key, state = excluded.state, hash = excluded.hash, refs = excluded.refs,
	attempts = excluded.attempts, last_error = excluded.last_error, updated_at = excluded.updated_at`

// PutDeliveries is PutDelivery for many records in one transaction
// (bot.DeliveryBatcher): a first pass records an archive's catch-up skips.
func (s *Store) PutDeliveries(ctx context.Context, ds []bot.Delivery) error {
	for i := range ds {
		if ds[i].Post == "" || ds[i].Target == "" {
			return bot.Errorf(bot.EINVALID, "a delivery needs a post and a target")
		}
	}
	if len(ds) == 1 {
		return putDelivery(ctx, s.w, &ds[0])
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("put deliveries: %w", err)
	}
	defer tx.Rollback()
	for i := range ds {
		if err := putDelivery(ctx, tx, &ds[i]); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("put deliveries: commit: %w", err)
	}
	return nil
}

func putDelivery(ctx context.Context, db execer, d *bot.Delivery) error {
	refs, err := rows.MarshalRefs(d.Refs)
	if err != nil {
		return err
	}
	updated := d.UpdatedAt
	if updated.IsZero() {
		updated = time.Now()
	}
	_, err = db.ExecContext(ctx, putDeliverySQL,
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
	res, err := s.l.ExecContext(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
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
	if _, err := s.l.ExecContext(ctx, `DELETE FROM leases WHERE name = ? AND holder = ?`, name, holder); err != nil {
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
