// Package git is a bot.Source over a git repository: paperbot keeps its own
// shallow clone of one branch (go-git, no git binary needed for http(s)),
// and every List fetches that branch and hard-resets the clone to it before
// listing the posts folder inside it. A failed fetch (the host is down, the
// token expired) keeps the last good copy: List logs a warning naming the
// commit it is serving and lists that, so the bot goes on answering
// commands and delivering what it already has. file:// URLs run the local
// git-upload-pack, as go-git does for every local transport.
//
// Cost, for an archive of 10,000 posts: the first clone writes the tree in
// one pass (seconds; go-git's own checkout is quadratic in a folder's size
// and took minutes), a tick with nothing new is one fetch negotiation and a
// stat of the folder, and a new commit costs a fetch of that commit only
// (fetches never pass a depth, which would resend the whole tree) and a
// reset that rewrites only the files that changed.
package git

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/source"
)

// Options configure a git Source.
type Options struct {
	// URL of the repository: https://..., ssh://..., file:///path or a
	// local path.
	URL string
	// Branch to follow; default "main".
	Branch string
	// Path is the posts folder inside the repository, slash-separated;
	// default "_posts". "." lists the repository's top folder.
	Path string
	// Dir is the local clone, e.g. under the data folder. It is created on
	// the first List; an existing clone there is reused.
	Dir string
	// Token, optional, authenticates http(s) fetches (as the password of
	// user "x-access-token", which GitHub, GitLab and Gitea accept for
	// access tokens). It is never logged nor put in an error.
	Token string
}

// Validate reports the first missing or unusable option, naming it.
func (o Options) Validate() error {
	o = o.withDefaults()
	switch {
	case strings.TrimSpace(o.URL) == "":
		return errors.New("posts.git.url is empty")
	case o.Dir == "":
		return errors.New("posts.git: no local clone folder (Dir)")
	case strings.ContainsAny(o.Branch, " ~^:?*[\\") || strings.HasPrefix(o.Branch, "-") || strings.Contains(o.Branch, ".."):
		return fmt.Errorf("posts.git.branch %q is not a branch name", o.Branch)
	case path.IsAbs(o.Path) || strings.Contains(o.Path, "\\") || path.Clean(o.Path) != o.Path ||
		o.Path == ".." || strings.HasPrefix(o.Path, "../") || o.Path == ".git" || strings.HasPrefix(o.Path, ".git/"):
		return fmt.Errorf("posts.git.path %q is not a folder inside the repository", o.Path)
	}
	return nil
}

func (o Options) withDefaults() Options {
	if o.Branch == "" {
		o.Branch = "main"
	}
	if o.Path == "" {
		o.Path = "_posts"
	}
	o.Path = strings.TrimSuffix(o.Path, "/")
	return o
}

// Source lists and reads the posts of one branch of a git repository. It is
// safe for concurrent use: List and Read take turns, so a Read never sees
// a half-reset working tree.
type Source struct {
	opts Options
	log  *slog.Logger

	mu   sync.Mutex
	repo *gogit.Repository
	// synced is set once the working tree has been reset in this process:
	// later Lists reset only when the commit changes, yet a tree a crash
	// left half-written is repaired by the first.
	synced bool
	// listed is the last listing and listedAt the commit it was made at:
	// a fetch that brings no new commit lists nothing again.
	listed   []bot.SourceFile
	listedAt plumbing.Hash
}

var _ bot.Source = (*Source)(nil)

// New returns a Source for opts; a nil logger means slog.Default(). Nothing
// is cloned until the first List, and bad options are reported there too.
func New(opts Options, logger *slog.Logger) *Source {
	if logger == nil {
		logger = slog.Default()
	}
	return &Source{opts: opts.withDefaults(), log: logger}
}

// List brings the clone up to date with the remote branch (clone on first
// use, then fetch and hard reset) and returns the dated posts in the posts
// folder and its direct subfolders. A failed fetch with a clone on disk is
// logged and the last good copy is listed; with no clone yet, it is an
// error.
func (s *Source) List(ctx context.Context) ([]bot.SourceFile, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.opts.Validate(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.refresh(ctx); err != nil {
		return nil, err
	}
	head := s.headHash()
	if s.listed != nil && head == s.listedAt {
		// The clone is paperbot's own: without a new commit nothing in
		// it changed, and a tick over a large archive costs no stat.
		return slices.Clone(s.listed), nil
	}
	dir, err := s.postsDir()
	if err != nil {
		return nil, err
	}
	files, err := source.ListDir(dir, s.log)
	if err != nil {
		return nil, err
	}
	// The reset rewrote only the files the new commits touched, so only
	// their stats changed: the engine reads those and no other.
	s.listed, s.listedAt = slices.Clone(files), head
	return files, nil
}

// Read returns a listed post's bytes from the clone; paths outside the
// posts folder are refused (see source.CheckPath).
func (s *Source) Read(ctx context.Context, p string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.opts.Validate(); err != nil {
		return nil, err
	}
	if err := source.CheckPath(p); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	dir, err := s.postsDir()
	if err != nil {
		return nil, err
	}
	return source.ReadFile(dir, p)
}

// Commit returns the commit the working tree shows ("" before the first
// successful List), for logs and /readyz.
func (s *Source) Commit() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.repo == nil {
		return ""
	}
	return s.headCommit()
}

// postsDir returns the posts folder in the clone, refusing one that a
// symlink in the repository points outside the clone.
func (s *Source) postsDir() (string, error) {
	dir := filepath.Join(s.opts.Dir, filepath.FromSlash(s.opts.Path))
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", fmt.Errorf("posts folder %s in the clone of %s: %w", s.opts.Path, s.safeURL(), unwrapPathErr(err))
	}
	realRoot, err := filepath.EvalSymlinks(s.opts.Dir)
	if err != nil {
		return "", fmt.Errorf("git clone folder %q: %w", s.opts.Dir, unwrapPathErr(err))
	}
	if rel, err := filepath.Rel(realRoot, realDir); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("posts folder %s points outside the clone of %s", s.opts.Path, s.safeURL())
	}
	return dir, nil
}

func (s *Source) refresh(ctx context.Context) error {
	o := s.opts
	branchRef := plumbing.NewBranchReferenceName(o.Branch)
	remoteRef := plumbing.NewRemoteReferenceName("origin", o.Branch)

	if s.repo == nil {
		r, err := gogit.PlainOpen(o.Dir)
		switch {
		case err == nil:
			s.repo = r
			if err := s.setOrigin(); err != nil {
				return err
			}
		case errors.Is(err, gogit.ErrRepositoryNotExists):
			r, err := gogit.PlainCloneContext(ctx, o.Dir, false, &gogit.CloneOptions{
				URL:           o.URL,
				Auth:          s.auth(),
				RemoteName:    "origin",
				ReferenceName: branchRef,
				SingleBranch:  true,
				Depth:         1,
				Tags:          gogit.NoTags,
				// go-git's checkout looks every file up from the root tree,
				// quadratic in a folder's size: minutes for a 10,000-post
				// _posts. checkout does the same in one pass.
				NoCheckout: true,
			})
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return fmt.Errorf("git clone %s (branch %s) into %s: %w", s.safeURL(), o.Branch, o.Dir, s.redact(err))
			}
			s.repo = r
			if err := s.checkout(s.headHash()); err != nil {
				return err
			}
			s.synced = true
			s.log.Info("git source cloned", "url", s.safeURL(), "branch", o.Branch, "commit", s.headCommit(), "dir", o.Dir)
			return nil
		default:
			return fmt.Errorf("git clone folder %q: %w (remove it to clone again)", o.Dir, s.redact(err))
		}
	}

	ferr := s.repo.FetchContext(ctx, &gogit.FetchOptions{
		RemoteName: "origin",
		RefSpecs:   []config.RefSpec{config.RefSpec("+" + branchRef.String() + ":" + remoteRef.String())},
		// No Depth: the clone is shallow already and stays so (go-git sends
		// its shallow boundary), and a fetch with Depth makes the server
		// send the whole tree again -- seconds and megabytes per tick for
		// a large archive, where this costs only the new commits.
		Auth:  s.auth(),
		Tags:  gogit.NoTags,
		Force: true,
	})
	if errors.Is(ferr, gogit.NoErrAlreadyUpToDate) {
		ferr = nil
	}
	if ferr != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		commit := s.headCommit()
		s.log.Warn("pull failed, using last good copy at "+commit,
			"url", s.safeURL(), "branch", o.Branch, "commit", commit, "err", s.redact(ferr).Error())
	}

	ref, err := s.repo.Reference(remoteRef, true)
	if err != nil {
		if ferr != nil {
			return nil // nothing newer to reset to: list what is on disk
		}
		return fmt.Errorf("git %s: branch %s not found after fetch: %w", s.safeURL(), o.Branch, err)
	}
	head := s.headHash()
	if s.synced && head == ref.Hash() {
		return nil
	}
	if !s.synced {
		// A clone interrupted before its checkout finished has no index;
		// go-git's reset would check out every file the quadratic way.
		if idx, err := s.repo.Storer.Index(); err == nil && len(idx.Entries) == 0 && head == ref.Hash() {
			if err := s.checkout(head); err != nil {
				return err
			}
			s.synced = true
			return nil
		}
	}
	wt, err := s.repo.Worktree()
	if err != nil {
		return fmt.Errorf("git clone folder %q: %w", o.Dir, err)
	}
	// HEAD may be detached or on another branch in a reused clone; point it
	// at our branch first so the reset moves that branch.
	if cur, err := s.repo.Storer.Reference(plumbing.HEAD); err != nil || cur.Type() != plumbing.SymbolicReference || cur.Target() != branchRef {
		if err := s.repo.Storer.SetReference(plumbing.NewHashReference(branchRef, ref.Hash())); err != nil {
			return fmt.Errorf("git clone folder %q: set branch %s: %w", o.Dir, o.Branch, err)
		}
		if err := s.repo.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, branchRef)); err != nil {
			return fmt.Errorf("git clone folder %q: set HEAD: %w", o.Dir, err)
		}
	}
	if err := wt.Reset(&gogit.ResetOptions{Commit: ref.Hash(), Mode: gogit.HardReset}); err != nil {
		return fmt.Errorf("git reset %s to %s: %w", o.Dir, short(ref.Hash()), err)
	}
	s.synced = true
	if head != ref.Hash() {
		s.log.Info("git source updated", "url", s.safeURL(), "branch", o.Branch, "from", short(head), "to", short(ref.Hash()))
	}
	return nil
}

// checkout writes the tree of commit h into the working tree and the
// index, as a clone's checkout would, in one linear pass. Files are written
// through an os.Root, so no path or symlink in the repository can make it
// write outside the clone.
func (s *Source) checkout(h plumbing.Hash) error {
	fail := func(err error) error {
		return fmt.Errorf("git checkout of %s into %s: %w", short(h), s.opts.Dir, err)
	}
	commit, err := s.repo.CommitObject(h)
	if err != nil {
		return fail(err)
	}
	tree, err := commit.Tree()
	if err != nil {
		return fail(err)
	}
	root, err := os.OpenRoot(s.opts.Dir)
	if err != nil {
		return fail(unwrapPathErr(err))
	}
	defer root.Close()
	idx := &index.Index{Version: 2}
	err = tree.Files().ForEach(func(f *object.File) error {
		if !safeTreePath(f.Name) {
			s.log.Warn("git source: skipping an unsafe path in the repository", "path", f.Name)
			return nil
		}
		name := filepath.FromSlash(f.Name)
		if dir := filepath.Dir(name); dir != "." {
			if err := root.MkdirAll(dir, 0o755); err != nil {
				return err
			}
		}
		if err := root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		switch f.Mode {
		case filemode.Symlink:
			target, err := f.Contents()
			if err != nil {
				return err
			}
			if err := root.Symlink(target, name); err != nil {
				return err
			}
		case filemode.Regular, filemode.Deprecated, filemode.Executable:
			if err := writeBlob(root, name, f); err != nil {
				return err
			}
		default:
			return nil
		}
		fi, err := root.Lstat(name)
		if err != nil {
			return err
		}
		idx.Entries = append(idx.Entries, &index.Entry{
			Hash: f.Hash, Name: f.Name, Mode: f.Mode,
			ModifiedAt: fi.ModTime(), Size: uint32(fi.Size()),
		})
		return nil
	})
	if err != nil {
		return fail(unwrapPathErr(err))
	}
	// The index is sorted by path bytes, which is not tree order.
	sort.Slice(idx.Entries, func(i, j int) bool { return idx.Entries[i].Name < idx.Entries[j].Name })
	if err := s.repo.Storer.SetIndex(idx); err != nil {
		return fail(err)
	}
	return nil
}

func writeBlob(root *os.Root, name string, f *object.File) error {
	perm := os.FileMode(0o644)
	if f.Mode == filemode.Executable {
		perm = 0o755
	}
	rd, err := f.Reader()
	if err != nil {
		return err
	}
	defer rd.Close()
	out, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, rd); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// safeTreePath refuses tree paths git itself refuses to check out.
func safeTreePath(p string) bool {
	if p == "" || strings.ContainsAny(p, "\\\x00") {
		return false
	}
	for part := range strings.SplitSeq(p, "/") {
		if part == "" || part == "." || part == ".." || strings.EqualFold(part, ".git") {
			return false
		}
	}
	return true
}

// setOrigin points a reused clone's origin at the configured URL, so a
// changed posts.git.url takes effect without deleting the clone.
func (s *Source) setOrigin() error {
	cfg, err := s.repo.Config()
	if err != nil {
		return fmt.Errorf("git clone folder %q: read config: %w", s.opts.Dir, err)
	}
	rc := cfg.Remotes["origin"]
	if rc != nil && len(rc.URLs) == 1 && rc.URLs[0] == s.opts.URL {
		return nil
	}
	cfg.Remotes["origin"] = &config.RemoteConfig{
		Name:  "origin",
		URLs:  []string{s.opts.URL},
		Fetch: []config.RefSpec{config.RefSpec("+refs/heads/" + s.opts.Branch + ":refs/remotes/origin/" + s.opts.Branch)},
	}
	if err := s.repo.SetConfig(cfg); err != nil {
		return fmt.Errorf("git clone folder %q: set origin: %w", s.opts.Dir, err)
	}
	s.log.Info("git source origin changed", "dir", s.opts.Dir, "url", s.safeURL())
	return nil
}

func (s *Source) headHash() plumbing.Hash {
	ref, err := s.repo.Head()
	if err != nil {
		return plumbing.ZeroHash
	}
	return ref.Hash()
}

func (s *Source) headCommit() string {
	h := s.headHash()
	if h.IsZero() {
		return "(none)"
	}
	return short(h)
}

func short(h plumbing.Hash) string { return h.String()[:12] }

func (s *Source) auth() transport.AuthMethod {
	if s.opts.Token == "" {
		return nil
	}
	u, err := url.Parse(s.opts.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil // tokens are an http(s) thing; ssh and file use their own
	}
	return &githttp.BasicAuth{Username: "x-access-token", Password: s.opts.Token}
}

// safeURL is the URL without its user information, for logs and errors.
func (s *Source) safeURL() string { return redactURL(s.opts.URL) }

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	u.User = nil
	return strings.Replace(u.String(), "://", "://***@", 1)
}

// redact wraps err so its message carries neither the token nor the URL's
// password; errors.Is/As still see the cause.
func (s *Source) redact(err error) error {
	if err == nil {
		return nil
	}
	var secrets []string
	if s.opts.Token != "" {
		secrets = append(secrets, s.opts.Token)
	}
	if u, perr := url.Parse(s.opts.URL); perr == nil && u.User != nil {
		secrets = append(secrets, u.User.String())
		// A long user name is a token (https://TOKEN@host/...); a short
		// one ("git") is not secret, and replacing it would mangle text.
		if name := u.User.Username(); len(name) >= 16 {
			secrets = append(secrets, name)
		}
		if pw, ok := u.User.Password(); ok {
			secrets = append(secrets, pw)
		}
	}
	return &redactedError{err: err, secrets: secrets}
}

type redactedError struct {
	err     error
	secrets []string
}

func (e *redactedError) Error() string {
	msg := e.err.Error()
	for _, s := range e.secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "***")
		}
	}
	return msg
}

func (e *redactedError) Unwrap() error { return e.err }

func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
