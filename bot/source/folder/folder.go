// Package folder is a bot.Source over a directory of Jekyll posts on disk,
// such as a blog checkout's _posts. List stats the directory and its direct
// subfolders and never opens a file, so a tick over a large archive costs
// one ReadDir and a stat per file; Read opens only paths inside the
// directory.
package folder

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/fsnotify/fsnotify"

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

var (
	_ bot.Source  = (*Source)(nil)
	_ bot.Watcher = (*Source)(nil)
)

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

// Watch watches the directory and its direct subfolders (the ones List
// reads) with inotify and calls changed on every event, until ctx ends. A
// subfolder created later is watched from then on. The directory itself
// removed or renamed, or an event queue overflow, is reported as lost: the
// engine goes back to listing at every tick.
func (s *Source) Watch(ctx context.Context, changed func(lost bool)) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch %s: %w", s.dir, err)
	}
	if err := s.watchTree(w); err != nil {
		w.Close()
		return err
	}
	go func() {
		defer w.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.Events:
				if !ok {
					changed(true)
					return
				}
				if filepath.Clean(ev.Name) == filepath.Clean(s.dir) && ev.Has(fsnotify.Remove|fsnotify.Rename) {
					changed(true)
					return
				}
				if ev.Has(fsnotify.Create) && filepath.Dir(ev.Name) == filepath.Clean(s.dir) {
					if st, err := os.Stat(ev.Name); err == nil && st.IsDir() {
						if err := w.Add(ev.Name); err != nil {
							s.log.Warn("cannot watch a new posts subfolder", "dir", ev.Name, "err", err)
						}
					}
				}
				changed(false)
			case err, ok := <-w.Errors:
				if !ok {
					changed(true)
					return
				}
				s.log.Warn("watching the posts folder", "dir", s.dir, "err", err)
				changed(errors.Is(err, fsnotify.ErrEventOverflow))
			}
		}
	}()
	return nil
}

func (s *Source) watchTree(w *fsnotify.Watcher) error {
	if err := w.Add(s.dir); err != nil {
		return fmt.Errorf("watch %s: %w", s.dir, err)
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("watch %s: %w", s.dir, err)
	}
	for _, e := range entries {
		if e.IsDir() && e.Name()[0] != '.' {
			if err := w.Add(filepath.Join(s.dir, e.Name())); err != nil {
				return fmt.Errorf("watch %s: %w", filepath.Join(s.dir, e.Name()), err)
			}
		}
	}
	return nil
}
