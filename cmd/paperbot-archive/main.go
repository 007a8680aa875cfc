// Command paperbot-archive writes a large archive of markdown posts for
// measuring paperbot as it runs: a first start (`paperbot run` with
// posts.dir on the archive), lookups from the moment it is ready
// (paperbot-loadgen -ready), a post added after the start, or `paperbot
// preview` against another renderer. It is the archive the store
// benchmarks index (storetest.MarkdownArchive): posts × papers recombined
// from the papers of a real post, dated a day apart from 2000-01-01, every
// tenth a draft. It writes DIR/_posts/*.md and DIR/ids.txt, one published
// paper id of each published post, one a line, as the benchmarks request
// them.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/paperbot/paperbot/bot/store/storetest"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "paperbot-archive:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("paperbot-archive", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fixture := fs.String("fixture", "", "a real post (e.g. ../shared/fixtures/posts/2025-09-30-daily-papers.md) whose papers are recombined")
	dir := fs.String("dir", "", "folder to write _posts/ and ids.txt into (created; must not hold a _posts folder yet)")
	posts := fs.Int("posts", 10000, "posts to write")
	papers := fs.Int("papers", 20, "papers per post")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *fixture == "" || *dir == "" {
		return errors.New("-fixture and -dir are required")
	}
	if *posts < 1 || *papers < 1 {
		return fmt.Errorf("-posts %d -papers %d: both must be 1 or more", *posts, *papers)
	}
	src, err := os.ReadFile(*fixture)
	if err != nil {
		return err
	}
	gen, err := storetest.MarkdownArchive(src, *papers, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), 1)
	if err != nil {
		return fmt.Errorf("%s: %w", *fixture, err)
	}
	postsDir := filepath.Join(*dir, "_posts")
	// An older archive of another size would leave its extra posts in
	// place, and its ids would no longer match.
	if _, err := os.Stat(postsDir); err == nil {
		return fmt.Errorf("%s exists: remove it, or choose another -dir", postsDir)
	}
	if err := os.MkdirAll(postsDir, 0o755); err != nil {
		return err
	}
	var size int64
	for i := range *posts {
		name, md := gen(i)
		if err := os.WriteFile(filepath.Join(postsDir, name), md, 0o644); err != nil {
			return err
		}
		size += int64(len(md))
	}
	idsPath := filepath.Join(*dir, "ids.txt")
	f, err := os.Create(idsPath)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	ids := storetest.MarkdownArchiveIDs(*posts, *papers)
	for _, id := range ids {
		fmt.Fprintln(w, id)
	}
	if err := errors.Join(w.Flush(), f.Close()); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d posts × %d papers (%d MB of markdown) to %s and %d ids to %s\n",
		*posts, *papers, size>>20, postsDir, len(ids), idsPath)
	return nil
}
