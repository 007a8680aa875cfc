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

// Parser turns a post file into a Digest. It fails with a *PostError
// (`file:line: reason`) for a post that cannot be read; path is used for
// the Digest's Path and in errors.
type Parser interface {
	Parse(path string, src []byte) (*Digest, error)
}
