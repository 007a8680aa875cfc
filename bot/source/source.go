// Package source holds what paperbot's post sources share: the rule for
// which file names are dated posts, and the stat-only listing and guarded
// reading of a folder of posts. The sources themselves live in the
// subpackages folder (a directory on disk) and git (a repository paperbot
// clones and pulls); both implement bot.Source. Which names are dated
// posts is bot.PostName's rule, shared with the parser and the renderers.
package source

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/paperbot/paperbot/bot"
)

// MaxPostSize caps the bytes Read returns: a Daily Papers post is tens of
// kilobytes, and a stray multi-gigabyte file in the folder must not take
// the bot's memory with it.
const MaxPostSize = 16 << 20

// ListDir returns the dated posts in dir and in its direct subfolders
// (Jekyll accepts _posts/2025/...), sorted by path, by stat alone: no file
// is opened. Paths are relative to dir with forward slashes. Hidden entries
// (".git") are skipped; a symlink counts only if it points at a regular
// file inside dir. A missing or unreadable dir is an error naming it.
func ListDir(dir string, logger *slog.Logger) ([]bot.SourceFile, error) {
	if logger == nil {
		logger = slog.Default()
	}
	root, err := openRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()

	top, err := readDir(root, ".")
	if err != nil {
		return nil, fmt.Errorf("posts folder %q: %w", dir, unwrapPath(err))
	}
	var out []bot.SourceFile
	add := func(rel string, info fs.FileInfo) error {
		if _, _, ok := bot.PostName(info.Name()); !ok {
			return nil
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			// Stat through the root: a link that leaves dir fails here.
			var err error
			info, err = root.Stat(rel)
			if errors.Is(err, fs.ErrNotExist) {
				return nil // dangling, or removed since we read the folder
			}
			if err != nil {
				logger.Debug("skipping post symlink", "dir", dir, "path", rel, "err", err)
				return nil
			}
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		out = append(out, bot.SourceFile{Path: rel, Size: info.Size(), ModTime: info.ModTime()})
		return nil
	}
	for _, e := range top {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		if !e.IsDir() {
			if err := add(name, e); err != nil {
				return nil, err
			}
			continue
		}
		sub, err := readDir(root, name)
		if err != nil {
			return nil, fmt.Errorf("posts folder %q: subfolder %s: %w", dir, name, unwrapPath(err))
		}
		for _, se := range sub {
			if se.IsDir() || strings.HasPrefix(se.Name(), ".") {
				continue
			}
			if err := add(name+"/"+se.Name(), se); err != nil {
				return nil, err
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// CheckPath reports whether p is a path ListDir could return: relative,
// forward slashes, clean, at most one folder deep, not hidden, and naming a
// dated post. Anything else (../x, /etc/passwd, a\b) is refused before the
// file system is touched.
func CheckPath(p string) error {
	bad := func(why string) error {
		return fmt.Errorf("post path %q: %w", p, bot.Errorf(bot.EINVALID, "%s", why))
	}
	switch {
	case p == "":
		return bad("empty")
	case strings.ContainsAny(p, "\\\x00"):
		return bad("not a forward-slash path")
	case path.IsAbs(p) || path.Clean(p) != p:
		return bad("not a clean relative path")
	}
	parts := strings.Split(p, "/")
	if len(parts) > 2 {
		return bad("deeper than one subfolder")
	}
	for _, part := range parts {
		if part == ".." || strings.HasPrefix(part, ".") {
			return bad("leaves the posts folder or is hidden")
		}
	}
	if _, _, ok := bot.PostName(parts[len(parts)-1]); !ok {
		return bad("not a dated post name (YYYY-MM-DD-slug.md)")
	}
	return nil
}

// ReadFile returns the bytes of the post at p (a path as ListDir returns
// it) under dir. The path is checked with CheckPath and opened through an
// os.Root, so neither "../" nor a symlink can reach outside dir.
func ReadFile(dir, p string) ([]byte, error) {
	if err := CheckPath(p); err != nil {
		return nil, err
	}
	root, err := openRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	f, err := root.Open(p)
	if err != nil {
		return nil, fmt.Errorf("read post %s: %w", p, unwrapPath(err))
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read post %s: %w", p, unwrapPath(err))
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("read post %s: %w", p, bot.Errorf(bot.EINVALID, "not a regular file"))
	}
	if info.Size() > MaxPostSize {
		return nil, fmt.Errorf("read post %s: %w", p, bot.Errorf(bot.EINVALID, "%d bytes, more than the %d a post may have", info.Size(), MaxPostSize))
	}
	// Sized from Stat (plus room for a file that grew since): io.ReadAll
	// starts at 512 bytes and grows, copying a 50 KB post several times and
	// clearing what it grew, 0.4 of the 2.6 CPU-s reading the posts took in
	// a profile of BenchmarkIndexArchive.
	var buf bytes.Buffer
	buf.Grow(int(info.Size()) + bytes.MinRead)
	_, err = buf.ReadFrom(io.LimitReader(f, MaxPostSize+1))
	b := buf.Bytes()
	if err != nil {
		return nil, fmt.Errorf("read post %s: %w", p, unwrapPath(err))
	}
	if len(b) > MaxPostSize {
		return nil, fmt.Errorf("read post %s: %w", p, bot.Errorf(bot.EINVALID, "more than the %d bytes a post may have", MaxPostSize))
	}
	return b, nil
}

// readDir lists a folder with one lstat per entry (File.Readdir), where
// fs.ReadDir followed by Info costs two on file systems that do not report
// entry types; files removed meanwhile are left out by Readdir itself.
func readDir(root *os.Root, name string) ([]fs.FileInfo, error) {
	f, err := root.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdir(-1)
}

func openRoot(dir string) (*os.Root, error) {
	if dir == "" {
		return nil, errors.New("posts folder not set")
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("posts folder %q: %w", dir, unwrapPath(err))
	}
	return root, nil
}

// unwrapPath drops an *fs.PathError's own "op path:" prefix so messages
// name the folder once, in our words; errors.Is still sees the cause.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
