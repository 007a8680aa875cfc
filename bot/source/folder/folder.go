// Package folder is a bot.Source over a directory of Jekyll posts on disk,
// such as a blog checkout's _posts. List stats the directory and its direct
// subfolders and never opens a file, so a tick over a large archive costs
// one ReadDir and a stat per file; Read opens only paths inside the
// directory.
package folder

import (
	"context"
	"log/slog"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/source"
)

// Source lists and reads the dated posts in one directory. It holds no
// state between calls, so it is safe for concurrent use, and a directory
// that appears after start-up is picked up at the next List.
type Source struct {
	dir string
	log *slog.Logger
}

var _ bot.Source = (*Source)(nil)

// New returns a Source over dir. A nil logger means slog.Default(). The
// directory need not exist yet: List reports it missing, naming it.
func New(dir string, logger *slog.Logger) *Source {
	if logger == nil {
		logger = slog.Default()
	}
	return &Source{dir: dir, log: logger}
}

// Dir returns the directory the source reads.
func (s *Source) Dir() string { return s.dir }

// List returns every dated post (YYYY-MM-DD-slug.md) in the directory and
// in its direct subfolders, sorted by path, from a stat alone.
func (s *Source) List(ctx context.Context) ([]bot.SourceFile, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return source.ListDir(s.dir, s.log)
}

// Read returns the bytes of a post List returned. Any other path (one with
// "..", absolute, hidden, not a post name) is refused with an EINVALID
// error before the disk is touched.
func (s *Source) Read(ctx context.Context, path string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return source.ReadFile(s.dir, path)
}
