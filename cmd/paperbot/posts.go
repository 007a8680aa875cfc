package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/source/folder"
	"github.com/paperbot/paperbot/bot/source/git"
	"github.com/paperbot/paperbot/bot/store"
	"github.com/paperbot/paperbot/config"
	"github.com/paperbot/paperbot/formatter"
)

// postsFlags are the --config and --posts flags of check and lookup.
type postsFlags struct {
	config string
	posts  string
}

func (p *postsFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.config, "config", "", "config `FILE` (default ./paperbot.yaml if present, else the embedded defaults)")
	fs.StringVar(&p.posts, "posts", "", "read the posts in `DIR` instead of the config's posts")
}

// postSet is the posts a command reads: a source, the parser configured
// for the timezone, and how to show a file's path to the user.
type postSet struct {
	cfg    *config.Config // nil with --posts
	from   string         // the config file read; "" for --posts or defaults
	src    bot.Source
	root   string // the posts folder as shown to the user
	parser *formatter.Parser
}

// openPosts resolves --config/--posts into a postSet. A config that loads
// but does not validate is returned with the Validate error, so check can
// report it and go on to the posts.
func (p *postsFlags) open(cmd string, s stdio) (*postSet, error) {
	if p.config != "" && p.posts != "" {
		return nil, fmt.Errorf("%w: --config and --posts cannot be used together", errUsage)
	}
	set := &postSet{}
	var verr error
	if p.posts != "" {
		if st, err := os.Stat(p.posts); err != nil {
			return nil, fmt.Errorf("posts folder: %w", err)
		} else if !st.IsDir() {
			return nil, fmt.Errorf("posts folder %s is not a folder", p.posts)
		}
		loc, err := config.Default().Location()
		if err != nil {
			return nil, err
		}
		set.root = p.posts
		set.src = folder.New(p.posts, cliLogger(s.err))
		set.parser = &formatter.Parser{Location: loc}
		return set, nil
	}
	cfg, from, err := config.LoadOrDefault(p.config)
	if err != nil {
		return nil, err
	}
	if from == "" {
		fmt.Fprintf(s.err, "paperbot %s: no --config and no ./%s: using the embedded defaults (posts in %s).\n", cmd, config.DefaultFile, display(cfg.Posts.Dir))
	}
	set.cfg, set.from = cfg, from
	verr = cfg.Validate()
	loc, err := cfg.Location()
	if err != nil {
		loc = time.UTC // Validate reported it
	}
	set.parser = &formatter.Parser{Location: loc}
	switch {
	case cfg.Posts.Dir != "":
		set.root = display(cfg.Posts.Dir)
		set.src = folder.New(cfg.Posts.Dir, cliLogger(s.err))
	case cfg.Posts.Git.URL != "":
		// The same clone `run` keeps (data_dir/git), fetched now.
		opts, err := cfg.GitOptions()
		if err != nil {
			if verr == nil || verr.Error() != err.Error() {
				verr = errors.Join(verr, err) // not reported twice
			}
			return set, verr
		}
		set.root = display(filepath.Join(opts.Dir, filepath.FromSlash(opts.Path)))
		set.src = git.New(*opts, cliLogger(s.err))
		fmt.Fprintf(s.err, "paperbot %s: posts come from git (%s); fetching into %s.\n", cmd, cfg.Redacted().Posts.Git.URL, display(cfg.GitDir()))
	}
	return set, verr
}

// errUsage marks a usage mistake found after flag parsing.
var errUsage = errors.New("usage")

// usageText is the sentence of an errUsage error.
func usageText(err error) string { return strings.TrimPrefix(err.Error(), errUsage.Error()+": ") }

// display shows an absolute path relative to the working directory when it
// is inside it, so messages read like the paths a user typed.
func display(path string) string {
	wd, err := os.Getwd()
	if err != nil || !filepath.IsAbs(path) {
		return path
	}
	rel, err := filepath.Rel(wd, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return path
	}
	return rel
}

// showPath is a source path (relative, forward slashes) as the user sees it.
func (set *postSet) showPath(rel string) string {
	return filepath.Join(set.root, filepath.FromSlash(rel))
}

// index scans the posts into a new in-memory store through the engine,
// exactly as run indexes them (same listing, parsing and checks on what
// may be stored). problems are the posts that failed, `file:line: reason`
// with the file as the user sees it; the store holds the others. The
// caller closes the store.
func (set *postSet) index(ctx context.Context) (st bot.Store, problems []string, err error) {
	st, err = store.Open(ctx, ":memory:", slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, nil, err
	}
	// The engine logs each failure too; the caller prints problems instead.
	e := &bot.Engine{Store: st, Source: set.src, Parser: set.parser, Logger: slog.New(slog.DiscardHandler)}
	res, err := e.Scan(ctx)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	for _, msg := range res.Errors {
		// A failure starts with the source-relative path.
		if rel, rest, ok := strings.Cut(msg, ":"); ok {
			msg = set.showPath(rel) + ":" + rest
		}
		problems = append(problems, msg)
	}
	return st, problems, nil
}

// printErr writes err as one line.
func printErr(w io.Writer, err error) {
	fmt.Fprintln(w, strings.ReplaceAll(err.Error(), "\n", "; "))
}
