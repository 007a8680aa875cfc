package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"time"
)

// ScanResult counts what a scan did.
type ScanResult struct {
	// Listed files are the dated posts the source listed.
	Listed int
	// Unchanged files cost only their stat (size and mtime as stored).
	Unchanged int
	// Touched files had a new stat but the same content hash: the stat
	// was recorded, nothing parsed.
	Touched int
	// Parsed files were new or edited and indexed.
	Parsed int
	// Failed files could not be read or parsed; Errors say why
	// (`file:line: reason`). An earlier good version stays indexed.
	Failed int
	// Deleted files disappeared from the source and were forgotten.
	Deleted int
	Errors  []string
}

// Scan brings the store up to date with the source. Only new files and
// files whose size or modification time changed are read; of those, only
// the ones whose content hash changed are parsed. A post that fails to
// parse is logged as `file:line: reason` and recorded with its error while
// the rest go on; its last good version stays indexed. On success the scan
// time is stored as metaLastScan and the engine becomes Ready.
func (e *Engine) Scan(ctx context.Context) (ScanResult, error) {
	e.init()
	e.tickMu.Lock()
	defer e.tickMu.Unlock()
	return e.scan(ctx)
}

// scan is Scan under tickMu. It keeps the file states in e.files for the
// next scan and the delivery passes: a state changes there only once the
// store holds it, so that a pass never sees a file state without its post.
func (e *Engine) scan(ctx context.Context) (res ScanResult, err error) {
	start := e.now()
	began := time.Now()
	defer func() {
		e.obs().Scanned(res, time.Since(began), err)
		e.mu.Lock()
		e.lastScanErr = ""
		if err != nil {
			e.lastScanErr = err.Error()
		}
		e.mu.Unlock()
	}()
	// The catch-up window is based on the scan before this one: read it
	// before this scan overwrites it.
	prev, err := e.storedScan(ctx)
	if err != nil {
		return res, err
	}
	// The file states stay in memory between scans (this engine writes
	// them); the store is read again at a sweep, and after a failed scan.
	sweep := e.files == nil || time.Since(e.lastSweep) >= e.sweepEvery()
	if sweep {
		stored, err := e.Store.Files(ctx)
		if err != nil {
			e.setFiles(nil)
			return res, fmt.Errorf("scan: stored files: %w", err)
		}
		e.setFiles(stored)
		e.lastSweep = time.Now()
	}
	// Only scans write files, one at a time: reading it needs no lock.
	files := e.files
	defer func() {
		if err != nil {
			e.setFiles(nil) // the store may hold states it does not
		}
	}()
	// A watched source is listed only when it reported a change (or at a
	// sweep): an idle tick then costs no system call per post.
	if !sweep && e.watching.Load() && !e.dirty.Swap(false) {
		res.Listed, res.Unchanged = len(files), len(files)
		if err := e.finishScan(ctx, start, prev); err != nil {
			return res, err
		}
		return res, nil
	}
	e.dirty.Store(false)
	listed, err := e.Source.List(ctx)
	if err != nil {
		return res, fmt.Errorf("scan: list source: %w", err)
	}
	res.Listed = len(listed)
	b := &batch{e: e}
	// A scan that fails still ends its save in flight before it returns:
	// nothing may write for it after.
	defer b.wait()
	seen := make(map[string]bool, len(listed))
	var jobs []scanJob
	for _, sf := range listed {
		seen[sf.Path] = true
		old, known := files[sf.Path]
		if known && old.Size == sf.Size && old.ModTime.Equal(sf.ModTime) {
			res.Unchanged++
			continue
		}
		jobs = append(jobs, scanJob{sf: sf, old: old, known: known})
	}
	endBulk := func() {}
	if e.BulkScan != nil && len(jobs) >= bulkScan {
		endBulk = e.BulkScan()
	}
	err = e.readAll(ctx, jobs, func(r scanned) error {
		return e.record(ctx, r, &res, b)
	})
	if err == nil {
		err = b.flush(ctx)
	}
	endBulk()
	if err != nil {
		return res, err
	}
	for path := range files {
		if seen[path] {
			continue
		}
		if err := e.Store.DeleteFile(ctx, path); err != nil {
			return res, fmt.Errorf("scan: forget %s: %w", path, err)
		}
		e.filesMu.Lock()
		delete(files, path)
		delete(e.posted, path)
		e.touchLocked(path)
		e.filesMu.Unlock()
		res.Deleted++
		e.log().Info("post removed from the source", "path", path)
	}
	if err := e.finishScan(ctx, start, prev); err != nil {
		return res, err
	}
	if res.Parsed+res.Failed+res.Deleted > 0 {
		e.log().Info("scan", "listed", res.Listed, "parsed", res.Parsed, "failed", res.Failed,
			"deleted", res.Deleted, "touched", res.Touched)
	}
	return res, nil
}

// postInfo is what a scan learnt of a post it indexed: enough for a
// delivery pass to order it and to skip it by the catch-up window without
// reading it back from the store (a first pass over an archive).
type postInfo struct {
	date time.Time
	hash string
}

// setFiles replaces the file states (nil: read them from the store next
// time); what the scans learnt of their posts goes with them.
func (e *Engine) setFiles(files map[string]FileState) {
	e.filesMu.Lock()
	defer e.filesMu.Unlock()
	e.files = files
	e.filesGen++
	if files == nil {
		e.posted = nil
	}
}

// touchLocked tells every worker that the file state of path changed
// (filesMu held).
func (e *Engine) touchLocked(path string) {
	for _, w := range e.workers {
		if w.touched == nil {
			w.touched = map[string]struct{}{}
		}
		w.touched[path] = struct{}{}
	}
}

// saved records in memory a file state the store now holds, and the post
// indexed from it (d nil: the state alone).
func (e *Engine) saved(fs FileState, d *Digest) {
	e.filesMu.Lock()
	defer e.filesMu.Unlock()
	if e.files == nil {
		return
	}
	e.files[fs.Path] = fs
	e.touchLocked(fs.Path)
	if d != nil {
		if e.posted == nil {
			e.posted = map[string]postInfo{}
		}
		e.posted[fs.Path] = postInfo{date: d.Date, hash: d.Hash}
	}
}

// finishScan records a successful scan: its time in the store, and the
// engine is ready. Before the first scan makes it ready, the catch-up skip
// records are written (recordCatchUp), so that ready means no start-up
// writes are left to compete with the first lookups.
func (e *Engine) finishScan(ctx context.Context, start, prev time.Time) error {
	if err := e.Store.SetMeta(ctx, metaLastScan, start.UTC().Format(time.RFC3339Nano)); err != nil {
		return fmt.Errorf("scan: record scan time: %w", err)
	}
	e.mu.Lock()
	e.prevScan = prev
	if prev.IsZero() {
		// First run ever: "previous scan" is now, so the archive is
		// indexed but not sent.
		e.prevScan = start
	}
	e.lastScan = start
	first := !e.ready
	e.mu.Unlock()
	if first {
		// The cutoff is prevScan, set above. No worker passes before
		// ready, and Send and Retry wait for tickMu, which this scan holds.
		e.recordCatchUp(ctx)
		if e.BeforeReady != nil {
			e.BeforeReady()
		}
	}
	e.mu.Lock()
	e.ready = true
	e.mu.Unlock()
	return nil
}

// scanJob is a listed file whose stat changed since the store saw it.
type scanJob struct {
	sf    SourceFile
	old   FileState
	known bool
}

// scanned is a scanJob read and, if its content changed, parsed.
type scanned struct {
	job     scanJob
	readErr error
	fs      FileState
	// same: the content hash is the stored one; d and parseErr are unset.
	same     bool
	d        *Digest
	parseErr error
	// enc is d as a PostEncoder store encoded it (encErr if it could not).
	enc    any
	encErr error
}

// read reads and parses one job; it touches no store, so that many run at
// once.
func (e *Engine) read(ctx context.Context, j scanJob) scanned {
	r := scanned{job: j}
	src, err := e.Source.Read(ctx, j.sf.Path)
	if err != nil {
		r.readErr = err
		return r
	}
	r.fs = FileState{Path: j.sf.Path, Size: j.sf.Size, ModTime: j.sf.ModTime}
	// A file the store knows is hashed before it is parsed: the same bytes
	// under a new stat (a touch, a checkout) need no parse. A new one is
	// parsed first, and takes the parser's hash (Digest.Hash is the hex
	// SHA-256 of the file's bytes): hashing every post of a first start
	// twice was 1% of its CPU.
	if j.known {
		r.fs.Hash = hashOf(src)
		if j.old.Hash == r.fs.Hash {
			r.same = true
			return r
		}
	}
	r.d, r.parseErr = e.parse(j.sf.Path, src)
	if r.fs.Hash == "" {
		if r.parseErr == nil && len(r.d.Hash) == sha256.Size*2 {
			r.fs.Hash = r.d.Hash
		} else {
			r.fs.Hash = hashOf(src)
		}
	}
	if r.parseErr == nil {
		r.d.Path, r.d.Hash = j.sf.Path, r.fs.Hash
		if pe, ok := e.Store.(PostEncoder); ok {
			r.enc, r.encErr = pe.EncodePost(r.d)
			if r.encErr == nil {
				dropSections(r.d)
			}
		}
	}
	return r
}

// hashOf is a file's hash as FileState and Digest hold it.
func hashOf(src []byte) string {
	sum := sha256.Sum256(src)
	return hex.EncodeToString(sum[:])
}

// dropSections empties the sections of d's papers, which a PostEncoder
// store has encoded and SaveEncoded does not read again. A scan holds its
// batches of posts until they are saved; with their sections, they were
// most of a first start's heap (10,000 posts: a peak of 241 MB, 143 MB
// without them, both with batches of 256).
func dropSections(d *Digest) {
	for i := range d.Papers {
		d.Papers[i].Sections = nil
	}
}

// readAll reads and parses jobs on every core (at most GOMAXPROCS at once,
// a bounded window ahead of the writer) and hands each to write in the
// order of jobs, on the calling goroutine: parsing is most of a first
// scan's work, and the store has one writer anyway. It stops at the first
// error write returns, or when ctx ends.
func (e *Engine) readAll(ctx context.Context, jobs []scanJob, write func(scanned) error) error {
	workers := min(runtime.GOMAXPROCS(0), len(jobs))
	if workers <= 1 {
		for _, j := range jobs {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("scan: %w", err)
			}
			if err := write(e.read(ctx, j)); err != nil {
				return err
			}
		}
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// queue holds each job's result channel in job order; its capacity is
	// how far reading may run ahead of writing.
	queue := make(chan chan scanned, 4*workers)
	go func() {
		defer close(queue)
		sem := make(chan struct{}, workers)
		for _, j := range jobs {
			c := make(chan scanned, 1)
			select {
			case queue <- c:
			case <-ctx.Done():
				return
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				c <- scanned{job: j, readErr: ctx.Err()}
				return
			}
			go func() {
				defer func() { <-sem }()
				c <- e.read(ctx, j)
			}()
		}
	}()
	var err error
	for c := range queue {
		r := <-c
		if err != nil {
			continue // draining after a failure
		}
		if cerr := ctx.Err(); cerr != nil {
			err = fmt.Errorf("scan: %w", cerr)
		} else {
			err = write(r)
		}
		if err != nil {
			cancel()
		}
	}
	return err
}

// record stores what read found. Only store errors are returned: a file
// that cannot be read or parsed is counted and logged.
func (e *Engine) record(ctx context.Context, r scanned, res *ScanResult, b *batch) error {
	sf, fs := r.job.sf, r.fs
	switch {
	case r.readErr != nil:
		// Not recorded: the next tick tries again.
		res.Failed++
		res.Errors = append(res.Errors, fmt.Sprintf("%s: %v", sf.Path, r.readErr))
		e.log().Warn("cannot read post", "path", sf.Path, "err", r.readErr)
		return nil
	case r.same:
		// Same bytes, new stat (a touch, a git checkout): same outcome.
		fs.Error, fs.Draft = r.job.old.Error, r.job.old.Draft
		if err := e.Store.SaveFile(ctx, fs); err != nil {
			return fmt.Errorf("scan: save %s: %w", sf.Path, err)
		}
		e.saved(fs, nil)
		res.Touched++
		return nil
	case r.parseErr != nil:
		// The post indexed before, if any, stays: so does its draft flag.
		fs.Error, fs.Draft = r.parseErr.Error(), r.job.old.Draft
		if err := e.Store.SaveFile(ctx, fs); err != nil {
			return fmt.Errorf("scan: save %s: %w", sf.Path, err)
		}
		e.saved(fs, nil)
		res.Failed++
		res.Errors = append(res.Errors, fs.Error)
		e.log().Warn("post skipped: " + fs.Error)
		return nil
	}
	d := r.d
	fs.Draft = d.Draft
	if r.encErr != nil {
		return fmt.Errorf("scan: index %s: %w", d.Path, r.encErr)
	}
	res.Parsed++
	return b.add(ctx, d, r.enc, fs)
}

// PostBatcher is an optional Store extension: SavePosts is SavePost for
// many posts in one transaction. Scan uses it when the store has it, so the
// first scan of a large archive does not pay a commit per post.
type PostBatcher interface {
	SavePosts(ctx context.Context, posts []*Digest, files []FileState) error
}

// PostEncoder is an optional PostBatcher extension that splits SavePosts in
// two: EncodePost does the part of saving a post that needs no database
// (packing and tokenizing its papers), which Scan runs on its parse workers,
// on every core; SaveEncoded writes posts with what EncodePost returned for
// each, on the store's one writer. Once EncodePost has run, Scan empties
// the sections of the post's papers (dropSections): SaveEncoded must read
// nothing of them but what EncodePost returned.
type PostEncoder interface {
	PostBatcher
	EncodePost(d *Digest) (any, error)
	SaveEncoded(ctx context.Context, posts []*Digest, enc []any, files []FileState) error
}

// bulkScan is how many posts to read make a scan a bulk job (Engine.BulkScan):
// a first start, or a store restored empty, not a day's new post.
const bulkScan = 256

// batchSize bounds a SavePosts transaction. A scan holds two batches at
// most (one being saved, one filling), and what it holds is most of a
// first start's live heap: 10,000 posts peaked at 143 MB with 256 and at
// 76 MB with 128 (at GOGC 100; a bulk scan now lets the heap grow to five
// times its live set, Engine.BulkScan), in the same time
// (BenchmarkIndexArchive within its noise either way, then and again at
// GOGC 400).
const batchSize = 128

// batch collects parsed posts for a PostBatcher, or saves each at once. A
// full batch is saved on a goroutine of its own while the next one is
// collected: the store's one writer then works while the posts after are
// parsed, instead of the parsers waiting for it. At most one save is in
// flight; its error is returned by the next add or by flush.
type batch struct {
	e     *Engine
	posts []*Digest
	enc   []any // a PostEncoder's encodings of posts
	files []FileState
	// saving is the save in flight, if any: it sends its error once.
	saving chan error
}

func (b *batch) add(ctx context.Context, d *Digest, enc any, fs FileState) error {
	pb, ok := b.e.Store.(PostBatcher)
	if !ok {
		if err := b.e.Store.SavePost(ctx, d, fs); err != nil {
			return fmt.Errorf("scan: index %s: %w", d.Path, err)
		}
		b.e.saved(fs, d)
		return nil
	}
	b.posts, b.enc, b.files = append(b.posts, d), append(b.enc, enc), append(b.files, fs)
	if len(b.posts) < batchSize {
		return nil
	}
	return b.save(ctx, pb)
}

// flush saves what is collected and waits for every save to end.
func (b *batch) flush(ctx context.Context) error {
	if pb, ok := b.e.Store.(PostBatcher); ok && len(b.posts) > 0 {
		if err := b.save(ctx, pb); err != nil {
			return err
		}
	}
	return b.wait()
}

// wait waits for the save in flight, if any, and returns its error.
func (b *batch) wait() error {
	if b.saving == nil {
		return nil
	}
	err := <-b.saving
	b.saving = nil
	return err
}

// save waits for the save in flight, then starts saving the batch.
func (b *batch) save(ctx context.Context, pb PostBatcher) error {
	if err := b.wait(); err != nil {
		return err
	}
	posts, enc, files := b.posts, b.enc, b.files
	b.posts, b.enc, b.files = make([]*Digest, 0, batchSize), make([]any, 0, batchSize), make([]FileState, 0, batchSize)
	saving := make(chan error, 1)
	b.saving = saving
	go func() {
		var err error
		if pe, ok := pb.(PostEncoder); ok {
			err = pe.SaveEncoded(ctx, posts, enc, files)
		} else {
			err = pb.SavePosts(ctx, posts, files)
		}
		if err != nil {
			err = fmt.Errorf("scan: index %d posts: %w", len(posts), err)
		} else {
			for i, d := range posts {
				b.e.saved(files[i], d)
			}
		}
		saving <- err
	}()
	return nil
}

// parse calls the parser, turning a panic into a PostError.
func (e *Engine) parse(path string, src []byte) (d *Digest, err error) {
	defer func() {
		if r := recover(); r != nil {
			d, err = nil, &PostError{Path: path, Reason: fmt.Sprintf("parser panicked: %v", r)}
		}
	}()
	d, err = e.Parser.Parse(path, src)
	if err == nil && d == nil {
		err = &PostError{Path: path, Reason: "parser returned no post"}
	}
	if err == nil {
		// What is stored must read back: refuse it here, alone, rather
		// than fail every later read of it.
		if err = d.Check(); err != nil {
			var pe *PostError
			if errors.As(err, &pe) {
				pe.Path = path
			}
		}
	}
	if err != nil {
		var pe *PostError
		if !errors.As(err, &pe) {
			err = &PostError{Path: path, Reason: err.Error()}
		}
	}
	return d, err
}

// storedScan reads metaLastScan; zero when there was none.
func (e *Engine) storedScan(ctx context.Context) (time.Time, error) {
	v, err := e.Store.Meta(ctx, metaLastScan)
	if err != nil {
		return time.Time{}, fmt.Errorf("read %s: %w", metaLastScan, err)
	}
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		// A damaged value must not stop the bot: treat as no scan, which
		// errs on the side of not flooding.
		e.log().Warn("ignoring unreadable last scan time", "value", v, "err", err)
		return time.Time{}, nil
	}
	return t, nil
}
