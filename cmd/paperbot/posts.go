package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/source/folder"
	"github.com/paperbot/paperbot/bot/source/git"
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

// post is one file's outcome.
type post struct {
	file   bot.SourceFile
	digest *bot.Digest // nil when err is set
	err    error
}

// each lists the source and parses every post, in path order. Parse errors
// name the file as the user sees it; digests keep the source-relative path
// (what `run` stores), unless showPaths is set.
func (set *postSet) each(ctx context.Context, showPaths bool, fn func(post) error) (int, error) {
	files, err := set.src.List(ctx)
	if err != nil {
		return 0, fmt.Errorf("list posts: %w", err)
	}
	for _, f := range files {
		p := post{file: f}
		src, err := set.src.Read(ctx, f.Path)
		if err != nil {
			p.err = fmt.Errorf("%s: %w", set.showPath(f.Path), err)
		} else {
			name := f.Path
			if showPaths {
				name = set.showPath(f.Path)
			}
			p.digest, p.err = set.parser.Parse(name, src)
			if p.err == nil {
				// What `run` would refuse to store (see bot.Digest.Check).
				if cerr := p.digest.Check(); cerr != nil {
					p.digest, p.err = nil, cerr
				}
			}
			var pe *bot.PostError
			if errors.As(p.err, &pe) && !showPaths {
				pe.Path = set.showPath(f.Path)
			}
		}
		if err := fn(p); err != nil {
			return len(files), err
		}
	}
	return len(files), nil
}

// printErr writes err as one line.
func printErr(w io.Writer, err error) {
	fmt.Fprintln(w, strings.ReplaceAll(err.Error(), "\n", "; "))
}
