// Package postgres is the bot.Store for several replicas sharing one
// PostgreSQL database (jackc/pgx/v5 with a connection pool). Replicas elect
// the one sender through a leases row taken by a conditional upsert on the
// server's clock, and apply the embedded migrations under a transaction-scoped
// advisory lock, so replicas starting together do not race. The schema is
// whatever search_path selects (a DSN parameter), so one database can hold
// several instances.
package postgres

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/store/internal/rows"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a bot.Store on a PostgreSQL database.
type Store struct {
	pool *pgxpool.Pool
	log  *slog.Logger

	// The planner needs statistics to read a common word's papers newest
	// first (0.6 ms) rather than all of them (0.9 s on 40,000 papers), and
	// autovacuum comes too late after a first index: SavePosts analyzes
	// each time the papers this process wrote double.
	damaged rows.Damaged // damaged posts searches met, logged once

	statsMu  sync.Mutex
	written  int64 // papers written since the last ANALYZE
	analyzed int64 // papers written when it ran
}

var _ bot.Store = (*Store)(nil)

// Open connects to the database named by dsn ("postgres://..." or
// "postgresql://..."; parameters such as search_path and sslmode are
// honoured) and brings its schema up to date. A nil logger discards. Errors
// never repeat the DSN: it may hold a password.
func Open(ctx context.Context, dsn string, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx redacts the password, but a malformed DSN may not split
		// where it expects: report only the cause.
		var pe *pgconn.ParseConfigError
		if errors.As(err, &pe) && pe.Unwrap() != nil {
			return nil, fmt.Errorf("parse PostgreSQL DSN: %w", pe.Unwrap())
		}
		return nil, bot.Errorf(bot.EINVALID, "the PostgreSQL DSN cannot be parsed")
	}
	// Every query of the store reads a few rows through an index, or a
	// bounded fallback: parallel workers cost more to start than they can
	// save (a search whose plan had a Gather that never ran took 380 ms on
	// a busy machine, 0.5 ms without), and so does compiling a plan (JIT).
	// The DSN may still set either.
	for k, v := range map[string]string{"max_parallel_workers_per_gather": "0", "jit": "off"} {
		if _, set := cfg.ConnConfig.RuntimeParams[k]; !set {
			cfg.ConnConfig.RuntimeParams[k] = v
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	s := &Store{pool: pool, log: logger}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping PostgreSQL: %w", err)
	}
	return nil
}

// migrate applies the embedded migrations newer than schema_version in one
// transaction, holding an advisory lock named after the current schema:
// replicas starting together wait for the first and then find nothing to do.
func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext(coalesce(current_schema(), '') || ':paperbot-migrate'))`); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("migrate: create schema_version: %w", err)
	}
	var current int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_version`).Scan(&current); err != nil {
		return fmt.Errorf("migrate: read schema_version: %w", err)
	}
	pending, latest, err := rows.PendingMigrations(migrations, current)
	if err != nil {
		return err
	}
	for _, m := range pending {
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return fmt.Errorf("migrate: apply %s: %w", m.Name, err)
		}
		if m.Version == 3 {
			// Splitting the digests and making the tokens takes Go.
			if err := upgrade3(ctx, tx, s.log); err != nil {
				return fmt.Errorf("migrate: apply %s: %w", m.Name, err)
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_version (version) VALUES ($1)`, m.Version); err != nil {
			return fmt.Errorf("migrate: record %s: %w", m.Name, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	if len(pending) > 0 {
		s.log.Info("postgres schema migrated", "from", current, "to", latest)
	}
	return nil
}

// nanos and fromNanos keep instants as Unix nanoseconds, the zero time as
// NULL (its UnixNano is undefined).
func nanos(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	n := t.UnixNano()
	return &n
}

func fromNanos(n *int64) time.Time {
	if n == nil {
		return time.Time{}
	}
	return time.Unix(0, *n).UTC()
}

// Files returns every known file's state.
func (s *Store) Files(ctx context.Context) (map[string]bot.FileState, error) {
	rs, err := s.pool.Query(ctx, `SELECT path, size, mod_time_ns, hash, error, draft FROM files`)
	if err != nil {
		return nil, fmt.Errorf("list files: %w", err)
	}
	defer rs.Close()
	out := make(map[string]bot.FileState)
	for rs.Next() {
		var fs bot.FileState
		var mt *int64
		if err := rs.Scan(&fs.Path, &fs.Size, &mt, &fs.Hash, &fs.Error, &fs.Draft); err != nil {
			return nil, fmt.Errorf("list files: %w", err)
		}
		fs.ModTime = fromNanos(mt)
		out[fs.Path] = fs
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("list files: %w", err)
	}
	return out, nil
}

const upsertFile = `INSERT INTO files (path, size, mod_time_ns, hash, error, draft) VALUES ($1, $2, $3, $4, $5, $6)
	ON CONFLICT (path) DO UPDATE SET size = excluded.size, mod_time_ns = excluded.mod_time_ns, hash = excluded.hash, error = excluded.error,
	draft = excluded.draft`

// SaveFile records a file's state.
func (s *Store) SaveFile(ctx context.Context, fs bot.FileState) error {
	if fs.Path == "" {
		return bot.Errorf(bot.EINVALID, "a file needs a path")
	}
	if _, err := s.pool.Exec(ctx, upsertFile, fs.Path, fs.Size, nanos(fs.ModTime), fs.Hash, fs.Error, fs.Draft); err != nil {
		return fmt.Errorf("save file %s: %w", fs.Path, err)
	}
	return nil
}

// SavePost indexes d and records fs in one transaction.
func (s *Store) SavePost(ctx context.Context, d *bot.Digest, fs bot.FileState) error {
	return s.SavePosts(ctx, []*bot.Digest{d}, []bot.FileState{fs})
}

// SavePosts is SavePost for many posts in one transaction: posts and files
// go in one batch and papers in one statement over arrays, so the first scan
// of a large archive costs a few round trips rather than one per row.
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
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("save posts: %w", err)
	}
	defer tx.Rollback(ctx)
	if err := savePosts(ctx, tx, posts, files); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("save posts: commit: %w", err)
	}
	n := 0
	for _, d := range posts {
		n += len(d.Papers)
	}
	s.statsMu.Lock()
	s.written += int64(n)
	due := s.written >= max(2000, s.analyzed)
	if due {
		s.analyzed += s.written
		s.written = 0
	}
	s.statsMu.Unlock()
	if due {
		if _, err := s.pool.Exec(ctx, `ANALYZE papers, posts`); err != nil {
			s.log.Warn("analyze after indexing", "err", err)
		}
	}
	return nil
}

// savePosts writes posts and, unless files is nil, their files' states.
func savePosts(ctx context.Context, tx pgx.Tx, posts []*bot.Digest, files []bot.FileState) error {
	paths := make([]string, len(posts))
	los := make([]int64, len(posts))
	his := make([]int64, len(posts))
	for i, d := range posts {
		paths[i] = d.Path
		los[i], his[i] = rows.SlotRange(d.Date)
	}
	// A paper's key is the next free one of its day: writers (replicas all
	// index) take turns, or two would pick the same.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext(coalesce(current_schema(), '') || ':paperbot-save'))`); err != nil {
		return fmt.Errorf("save posts: lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM papers WHERE post = ANY($1)`, paths); err != nil {
		return fmt.Errorf("save posts: %w", err)
	}
	// The next free key of each post's second, read once for the batch.
	next := make(map[int64]int64, len(posts))
	rs, err := tx.Query(ctx, `SELECT r.lo, coalesce(max(p.key) + 1, r.lo) FROM unnest($1::bigint[], $2::bigint[]) AS r (lo, hi)
		LEFT JOIN papers p ON p.key BETWEEN r.lo AND r.hi GROUP BY r.lo`, los, his)
	if err != nil {
		return fmt.Errorf("save posts: %w", err)
	}
	for rs.Next() {
		var lo, k int64
		if err := rs.Scan(&lo, &k); err != nil {
			rs.Close()
			return fmt.Errorf("save posts: %w", err)
		}
		next[lo] = k
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return fmt.Errorf("save posts: %w", err)
	}
	var (
		keys                  []int64
		post, ids, docs, toks []string
		idxs                  []int32
		drafts                []bool
		dates                 []time.Time
	)
	batch := &pgx.Batch{}
	for i, d := range posts {
		head := *d
		head.Papers = nil
		doc, err := json.Marshal(&head)
		if err != nil {
			return fmt.Errorf("save post %s: encode: %w", d.Path, err)
		}
		batch.Queue(`INSERT INTO posts (path, day, date, local, title, draft, hash, digest) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (path) DO UPDATE SET day = excluded.day, date = excluded.date, local = excluded.local, title = excluded.title,
			draft = excluded.draft, hash = excluded.hash, digest = excluded.digest`,
			d.Path, d.Day(), d.Date, d.Date.Format(time.RFC3339Nano), d.Title, d.Draft, d.Hash, string(doc))
		if files != nil {
			fs := files[i]
			if fs.Path == "" {
				fs.Path = d.Path
			}
			batch.Queue(upsertFile, fs.Path, fs.Size, nanos(fs.ModTime), fs.Hash, fs.Error, fs.Draft)
		}
		key := next[los[i]]
		if key+int64(len(d.Papers))-1 > his[i] {
			return bot.Errorf(bot.EINVALID, "save post %s: too many papers dated %s", d.Path, d.Date)
		}
		next[los[i]] = key + int64(len(d.Papers))
		for j := range d.Papers {
			p := &d.Papers[j]
			pdoc, err := json.Marshal(p)
			if err != nil {
				return fmt.Errorf("save post %s: encode paper: %w", d.Path, err)
			}
			var tok string
			if !d.Draft {
				tok = strings.Join(rows.PaperTokens(p), " ")
			}
			keys, post, idxs, drafts = append(keys, key+int64(j)), append(post, d.Path), append(idxs, int32(j)), append(drafts, d.Draft)
			dates, ids, docs, toks = append(dates, d.Date), append(ids, string(p.ID)), append(docs, string(pdoc)), append(toks, tok)
		}
	}
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("save posts: %w", err)
	}
	if len(keys) > 0 {
		_, err := tx.Exec(ctx, `INSERT INTO papers (key, post, idx, draft, date, id, paper, tokens)
			SELECT k, po, i, dr, da, id, pa, array_to_tsvector(string_to_array(t, ' '))
			FROM unnest($1::bigint[], $2::text[], $3::int[], $4::bool[], $5::timestamptz[], $6::text[], $7::text[], $8::text[]) AS r (k, po, i, dr, da, id, pa, t)`,
			keys, post, idxs, drafts, dates, ids, docs, toks)
		if err != nil {
			return fmt.Errorf("save posts: papers: %w", err)
		}
	}
	return nil
}

// upgrade3 moves every post of a version-2 schema to the rows of migration
// 3: the old digest (papers included) is split into the post's head and its
// indexed papers; files and deliveries stay as they are. A post whose old
// digest cannot be decoded is left as it is (reads report it unreadable, it
// fails alone) and its file is marked changed, so that the next scan reads
// the file and stores the post anew: one damaged row must not keep every
// other post from the new schema.
func upgrade3(ctx context.Context, tx pgx.Tx, log *slog.Logger) error {
	rs, err := tx.Query(ctx, `SELECT path, digest::text FROM posts ORDER BY path`)
	if err != nil {
		return fmt.Errorf("read posts: %w", err)
	}
	var all []*bot.Digest
	var damaged []string
	for rs.Next() {
		var path, doc string
		if err := rs.Scan(&path, &doc); err != nil {
			rs.Close()
			return fmt.Errorf("read posts: %w", err)
		}
		d, err := rows.DecodePost(path, doc)
		if err != nil {
			log.Error("migration 3: stored post cannot be decoded; left for the next scan to store anew", "post", path, "err", err)
			damaged = append(damaged, path)
			continue
		}
		all = append(all, d)
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return fmt.Errorf("read posts: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE files SET size = -1, hash = '' WHERE path = ANY($1)`, damaged); err != nil {
		return fmt.Errorf("mark damaged posts' files changed: %w", err)
	}
	for len(all) > 0 {
		n := min(len(all), 256)
		if err := savePosts(ctx, tx, all[:n], nil); err != nil {
			return err
		}
		all = all[n:]
	}
	if _, err := tx.Exec(ctx, `DROP TABLE papers_v2`); err != nil {
		return fmt.Errorf("drop the old papers: %w", err)
	}
	return nil
}

// DeleteFile forgets a file, its post and the post's papers.
func (s *Store) DeleteFile(ctx context.Context, path string) error {
	batch := &pgx.Batch{}
	batch.Queue(`DELETE FROM papers WHERE post = $1`, path)
	batch.Queue(`DELETE FROM posts WHERE path = $1`, path)
	batch.Queue(`DELETE FROM files WHERE path = $1`, path)
	// A batch outside a transaction runs as one implicit transaction.
	if err := s.pool.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("delete file %s: %w", path, err)
	}
	return nil
}

// Post returns the post with this path.
func (s *Store) Post(ctx context.Context, path string) (*bot.Digest, error) {
	ds, err := s.posts(ctx, "read post "+path, `WHERE path = $1`, path)
	if err != nil {
		return nil, err
	}
	if len(ds) == 0 {
		return nil, bot.Errorf(bot.ENOTFOUND, "no post %s", path)
	}
	return ds[0], nil
}

// posts reads the posts that tail (WHERE and ORDER BY) selects, each with
// its papers, in one statement. A post that cannot be decoded is left out
// and named in the error returned with the others (bot.Store.PostsOn).
func (s *Store) posts(ctx context.Context, what, tail string, args ...any) ([]*bot.Digest, error) {
	rs, err := s.pool.Query(ctx, `SELECT path, digest::text, array(SELECT paper FROM papers WHERE post = posts.path ORDER BY idx) FROM posts `+tail, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rs.Close()
	var out []*bot.Digest
	var damaged []error
	for rs.Next() {
		var path, doc string
		var papers []string
		if err := rs.Scan(&path, &doc, &papers); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		d, err := rows.DecodePost(path, doc)
		if err == nil && len(papers) > 0 {
			d.Papers = make([]bot.Paper, len(papers))
			for i, p := range papers {
				if perr := rows.DecodePaper(p, &d.Papers[i]); perr != nil {
					err = bot.Unreadable(path, fmt.Errorf("decode paper %d: %w", i+1, perr))
					break
				}
			}
		}
		if err != nil {
			damaged = append(damaged, err)
			continue
		}
		out = append(out, d)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if len(damaged) > 0 {
		return out, fmt.Errorf("%s: %w", what, errors.Join(damaged...))
	}
	return out, nil
}

// PostsOn returns the posts of a day in path order.
func (s *Store) PostsOn(ctx context.Context, day string) ([]*bot.Digest, error) {
	return s.posts(ctx, "posts on "+day, `WHERE day = $1 ORDER BY path`, day)
}

// Posts returns every post, oldest first.
func (s *Store) Posts(ctx context.Context) ([]*bot.Digest, error) {
	return s.posts(ctx, "list posts", `ORDER BY date, path`)
}

// LatestPost returns the newest post that is not a draft.
func (s *Store) LatestPost(ctx context.Context) (*bot.Digest, error) {
	ds, err := s.posts(ctx, "latest post", `WHERE NOT draft ORDER BY date DESC, path DESC LIMIT 1`)
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
func scanHit(sc pgx.Row, pre ...any) (bot.PaperHit, error) {
	var h bot.PaperHit
	var doc, local string
	if err := sc.Scan(append(pre, &doc, &local, &h.Post.Title, &h.Post.Path)...); err != nil {
		return h, err
	}
	if err := rows.DecodePaper(doc, &h.Paper); err != nil {
		return h, bot.Unreadable(h.Post.Path, fmt.Errorf("decode paper: %w", err))
	}
	t, err := time.Parse(time.RFC3339Nano, local)
	if err != nil {
		return h, bot.Unreadable(h.Post.Path, fmt.Errorf("decode post date: %w", err))
	}
	h.Post.Date = t
	return h, nil
}

// Paper returns the paper with this id from the newest published post that
// has it. Drafts are never looked up: their text is not public yet.
func (s *Store) Paper(ctx context.Context, id bot.ArxivID) (*bot.PaperHit, error) {
	if id == "" {
		return nil, bot.Errorf(bot.ENOTFOUND, "no paper without an id")
	}
	row := s.pool.QueryRow(ctx, `SELECT `+hitColumns+` FROM papers p JOIN posts ON posts.path = p.post
		WHERE p.id = $1 AND p.id <> '' AND NOT p.draft ORDER BY p.date DESC, p.post DESC, p.idx LIMIT 1`, string(id))
	h, err := scanHit(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, bot.Errorf(bot.ENOTFOUND, "no paper with id %s", id)
	}
	if err != nil {
		return nil, fmt.Errorf("paper %s: %w", id, err)
	}
	return &h, nil
}

// SearchPapers returns up to limit published papers with every word of
// query in their title or text, best first (see rows.Search): more words in
// the title, then newer. Score is 1 plus the number of words in the title.
func (s *Store) SearchPapers(ctx context.Context, query string, limit int) ([]bot.PaperHit, error) {
	hs, err := rows.Search(ctx, rows.ParseQuery(query), limit, rows.Index{Dialect: rows.TSQuery, Fetch: s.fetch, Count: s.count, Read: s.read, Missing: s.missing})
	if err != nil {
		return nil, fmt.Errorf("search papers: %w", err)
	}
	return hs, nil
}

// probeRows is how many of the newest papers fetch checks one by one before
// it asks the GIN index: enough for a common word's first results, few
// enough to stay cheap when the word is rare.
const probeRows = 256

var probeLimit = strconv.Itoa(probeRows)

// fetchSQL runs an index query in two bounded ways, because the planner
// cannot tell a common word from a rare one in a tsquery (it guessed 180
// papers for a word no paper has, and read all 40,000 newest first, 3.4 s).
// probe checks the tokens of the probeRows newest papers below $2 as the
// key index reads them (the LIMIT keeps the planner from turning that into
// anything else, and the row read is the one the key index points at: no
// second lookup by key). Only if they hold fewer than $3 matches does the
// second branch run (its condition is an InitPlan, checked once before the
// scan): it takes every match from the GIN index (few, for a word that
// rare) and sorts their keys; ordering by key + 0 keeps the planner off the
// primary key's order, and comparing key + 0 keeps it from ANDing the GIN
// bitmap with one of every key below $2 (all 160,000 on a first batch),
// which a generic plan did. The keys are sorted before any paper is read (a
// word in the title of 8,820 of 153,600 papers: 1.16 s -> 0.17 s, the
// papers' text was read for all). One statement, one round trip: probe and
// index were two, and each round trip is a wake-up of both processes, the
// slowest part of a search on a busy machine.
var fetchSQL = `WITH probe AS MATERIALIZED (
		SELECT key FROM (SELECT key, tokens FROM papers WHERE NOT draft AND key < $2 ORDER BY key DESC LIMIT ` + probeLimit + `) newest
		WHERE tokens @@ $1::tsquery LIMIT $3),
	m AS (SELECT key FROM probe WHERE (SELECT count(*) FROM probe) >= $3
		UNION ALL
		(SELECT key FROM papers WHERE NOT draft AND tokens @@ $1::tsquery AND key + 0 < $2 AND (SELECT count(*) FROM probe) < $3
			ORDER BY key + 0 DESC LIMIT $3))
	SELECT p.key, p.idx, p.date, ` + hitColumns + ` FROM m JOIN papers p ON p.key = m.key JOIN posts ON posts.path = p.post
	ORDER BY p.key DESC`

// fetch runs fetchSQL as a prepared statement with its generic plan: the
// plan's shape is fixed by the query, not by what the planner guesses of
// the words, and planning it for each tsquery cost more than running it.
// PostgreSQL keeps planning anew while its estimate for the words at hand
// is below the generic plan's, which it was for a title word (english: 4.3
// ms a search against 1.3 with the generic plan), so the batch says so;
// transaction, setting and query are one round trip.
func (s *Store) fetch(ctx context.Context, expr string, before int64, n int) ([]rows.Candidate, error) {
	batch := &pgx.Batch{}
	batch.Queue(`BEGIN READ ONLY`)
	batch.Queue(`SET LOCAL plan_cache_mode = force_generic_plan`)
	var out []rows.Candidate
	batch.Queue(fetchSQL, expr, before, n).Query(func(rs pgx.Rows) (err error) {
		out, err = s.candidates(rs)
		return err
	})
	batch.Queue(`COMMIT`)
	if err := s.pool.SendBatch(ctx, batch).Close(); err != nil {
		return nil, err
	}
	return out, nil
}

// count counts, for each published paper anywhere matches, the titles it
// matches (rows.Index), in one query: the GIN index finds anywhere's papers (a
// bitmap scan, never the newest-first walk of the key index fetch guards
// against, nor a scan of every row), and each is checked against the
// titles on its own tokens. A query per title read the GIN lists of
// anywhere's words again for each, up to 35 ms each with prefixes.
func (s *Store) count(ctx context.Context, anywhere string, titles []string) (map[int64]int, error) {
	var b strings.Builder
	b.WriteString(`SELECT key, 0`)
	args := []any{anywhere}
	for _, t := range titles {
		args = append(args, t)
		fmt.Fprintf(&b, ` + (tokens @@ $%d::tsquery)::int`, len(args))
	}
	b.WriteString(` FROM papers WHERE NOT draft AND tokens @@ $1::tsquery`)
	// The transaction, its settings and the query go in one batch: one
	// round trip where they were four.
	out := make(map[int64]int)
	batch := &pgx.Batch{}
	batch.Queue(`BEGIN READ ONLY`)
	batch.Queue(`SET LOCAL enable_indexscan = off`)
	batch.Queue(`SET LOCAL enable_seqscan = off`)
	batch.Queue(b.String(), args...).Query(func(rs pgx.Rows) error {
		for rs.Next() {
			var key int64
			var n int32
			if err := rs.Scan(&key, &n); err != nil {
				return err
			}
			out[key] = int(n)
		}
		return rs.Err()
	})
	batch.Queue(`COMMIT`)
	if err := s.pool.SendBatch(ctx, batch).Close(); err != nil {
		return nil, err
	}
	return out, nil
}

// missingSQL says whether some word ($1, one tsquery each) matches no
// published paper: a word among the probeRows newest papers is there (the
// CASE checks that first), any other is looked up in the GIN index alone
// (count(*), no LIMIT: with one the planner walks the table hoping to meet
// the word early). A word no paper has costs an index descent; asking for
// it together with the others, as count does, read every other word's
// whole list first: 1.3 s for eight words, one of them absent, on 160,000
// papers.
var missingSQL = `SELECT coalesce(bool_or(NOT found), false) FROM unnest($1::text[]) AS w (q), LATERAL (SELECT CASE
	WHEN EXISTS (SELECT 1 FROM (SELECT tokens FROM papers WHERE NOT draft ORDER BY key DESC LIMIT ` + probeLimit + `) newest
		WHERE tokens @@ w.q::tsquery) THEN true
	ELSE (SELECT count(*) FROM papers WHERE NOT draft AND tokens @@ w.q::tsquery) > 0 END AS found) f`

// missing reports whether some word matches no published paper
// (rows.Index).
func (s *Store) missing(ctx context.Context, words []string) (bool, error) {
	var none bool
	if err := s.pool.QueryRow(ctx, missingSQL, words).Scan(&none); err != nil {
		return false, err
	}
	return none, nil
}

// read reads the published papers with these keys (rows.Index).
func (s *Store) read(ctx context.Context, keys []int64) ([]rows.Candidate, error) {
	return s.fetchQuery(ctx, s.pool, `SELECT p.key, p.idx, p.date, `+hitColumns+` FROM papers p JOIN posts ON posts.path = p.post
		WHERE p.key = ANY($1) AND NOT p.draft`, keys)
}

func (s *Store) fetchQuery(ctx context.Context, db interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, q string, args ...any) ([]rows.Candidate, error) {
	rs, err := db.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	return s.candidates(rs)
}

// candidates reads search rows: key, idx and date, then hitColumns.
func (s *Store) candidates(rs pgx.Rows) ([]rows.Candidate, error) {
	return s.damaged.Candidates(s.log, rs, func(c *rows.Candidate) (err error) {
		var idx int32
		c.Hit, err = scanHit(rs, &c.Key, &idx, &c.Date)
		c.Idx = int(idx)
		return err
	})
}

// Delivery returns the record of (post, target).
func (s *Store) Delivery(ctx context.Context, post, target string) (*bot.Delivery, error) {
	ds, err := s.deliveries(ctx, `WHERE post = $1 AND target = $2`, post, target)
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

const putDeliverySQL = `INSERT INTO deliveries (post, target, key, state, hash, refs, attempts, last_error, updated_at_ns)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
	ON CONFLICT (post, target) DO UPDATE SET key = excluded.key, state = excluded.state, hash = excluded.hash, refs = excluded.refs,
	attempts = excluded.attempts, last_error = excluded.last_error, updated_at_ns = excluded.updated_at_ns`

// PutDeliveries is PutDelivery for many records in one batch, one
// transaction (bot.DeliveryBatcher): a first pass records an archive's
// catch-up skips.
func (s *Store) PutDeliveries(ctx context.Context, ds []bot.Delivery) error {
	batch := &pgx.Batch{}
	for i := range ds {
		d := &ds[i]
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
		batch.Queue(putDeliverySQL, d.Post, d.Target, d.Key, string(d.State), d.Hash, refs, d.Attempts, d.LastError, updated.UnixNano())
	}
	if batch.Len() == 0 {
		return nil
	}
	// A batch outside a transaction runs as one implicit transaction.
	if err := s.pool.SendBatch(ctx, batch).Close(); err != nil {
		if len(ds) == 1 {
			return fmt.Errorf("put delivery %s to %s: %w", ds[0].Post, ds[0].Target, err)
		}
		return fmt.Errorf("put %d deliveries: %w", len(ds), err)
	}
	return nil
}

// Deliveries returns the records of a post, or of every post when post is
// "", oldest update first.
func (s *Store) Deliveries(ctx context.Context, post string) ([]bot.Delivery, error) {
	if post == "" {
		return s.deliveries(ctx, `ORDER BY updated_at_ns, post, target`)
	}
	return s.deliveries(ctx, `WHERE post = $1 ORDER BY updated_at_ns, post, target`, post)
}

func (s *Store) deliveries(ctx context.Context, tail string, args ...any) ([]bot.Delivery, error) {
	rs, err := s.pool.Query(ctx, `SELECT post, target, key, state, hash, refs::text, attempts, last_error, updated_at_ns FROM deliveries `+tail, args...)
	if err != nil {
		return nil, fmt.Errorf("read deliveries: %w", err)
	}
	defer rs.Close()
	var out []bot.Delivery
	for rs.Next() {
		var d bot.Delivery
		var state, refs string
		var updated int64
		if err := rs.Scan(&d.Post, &d.Target, &d.Key, &state, &d.Hash, &refs, &d.Attempts, &d.LastError, &updated); err != nil {
			return nil, fmt.Errorf("read deliveries: %w", err)
		}
		d.State = bot.DeliveryState(state)
		if d.Refs, err = rows.UnmarshalRefs(refs); err != nil {
			return nil, fmt.Errorf("read deliveries: %w", err)
		}
		d.UpdatedAt = fromNanos(&updated)
		out = append(out, d)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("read deliveries: %w", err)
	}
	return out, nil
}

// Lease takes, renews or refuses the named lease in one conditional upsert
// on the server's clock (replicas' clocks may disagree): it only overwrites a
// row that holder already owns or that has expired. Concurrent callers are
// serialised by the row's lock.
func (s *Store) Lease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if name == "" || holder == "" || ttl <= 0 {
		return false, bot.Errorf(bot.EINVALID, "a lease needs a name, a holder and a positive duration")
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, clock_timestamp() + $3 * interval '1 microsecond')
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.holder = excluded.holder OR leases.expires_at <= clock_timestamp()`,
		name, holder, ttl.Microseconds())
	if err != nil {
		return false, fmt.Errorf("lease %s: %w", name, err)
	}
	return tag.RowsAffected() == 1, nil
}

// ReleaseLease gives the lease up if holder owns it.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM leases WHERE name = $1 AND holder = $2`, name, holder); err != nil {
		return fmt.Errorf("release lease %s: %w", name, err)
	}
	return nil
}

// Meta returns a named value, "" when unknown.
func (s *Store) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := s.pool.QueryRow(ctx, `SELECT value FROM meta WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("meta %s: %w", key, err)
	}
	return v, nil
}

// SetMeta sets a named value.
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	if _, err := s.pool.Exec(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value); err != nil {
		return fmt.Errorf("set meta %s: %w", key, err)
	}
	return nil
}
