package bot

import (
	"context"
	"time"
)

// SourceFile is a candidate post file, as a stat sees it.
type SourceFile struct {
	// Path is relative to the source's root, with forward slashes.
	Path    string
	Size    int64
	ModTime time.Time
}

// Source is where posts come from: a folder, or a git repository paperbot
// clones and pulls.
type Source interface {
	// List refreshes the source (a git pull; a failed pull keeps the last
	// good copy, logs it and still lists) and returns every file whose name
	// is a dated post (YYYY-MM-DD-slug.md), by stat alone.
	List(ctx context.Context) ([]SourceFile, error)
	// Read returns a listed file's bytes.
	Read(ctx context.Context, path string) ([]byte, error)
}

// Watcher is an optional Source extension for sources that can tell when
// their files may have changed (the folder source, through inotify). Under
// Run the engine then indexes a new or edited post at once, between ticks,
// and a tick lists the source only when something changed or a periodic
// full sweep is due.
type Watcher interface {
	// Watch starts watching and returns; an error means it cannot watch
	// (the engine then lists the source at every scan). Until ctx ends it
	// calls changed, from a goroutine of its own, whenever files may have
	// changed; lost is true when events may have been missed from then on
	// (the folder was removed, the event queue overflowed): the engine then
	// lists the source at every scan again.
	Watch(ctx context.Context, changed func(lost bool)) error
}

// Parser turns a post file into a Digest. It fails with a *PostError
// (`file:line: reason`) for a post that cannot be read; path is used for
// the Digest's Path and in errors.
type Parser interface {
	Parse(path string, src []byte) (*Digest, error)
}
