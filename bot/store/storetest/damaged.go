package storetest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paperbot/paperbot/bot"
)

// Damage breaks a stored post behind the store's back: part "digest" makes
// the post's stored document undecodable, "paper" its first paper's.
type Damage func(t *testing.T, path, part string)

// Damaged digest and paper documents, valid JSON that bot.Digest and
// bot.Paper cannot take (a title that is a number): a store that keeps
// JSON can hold them, and encoding/json refuses them.
const (
	DamagedDigest = `{"title": 5}`
	DamagedPaper  = `{"title": 5}`
)

// RunDamaged checks that a damaged post fails alone (bot.Store's contract
// for ErrUnreadable): reads of it name it, lists return the other posts
// with an error naming it, lookups of its papers report it, and searches
// leave its papers out instead of failing.
func RunDamaged(t *testing.T, s bot.Store, damage Damage) {
	ctx := context.Background()
	posts := GenPosts(10, 3, time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC), 7)
	for _, d := range posts {
		if err := s.SavePost(ctx, d, FileOf(d)); err != nil {
			t.Fatal(err)
		}
	}
	newest := len(posts) - 1
	for posts[newest].Draft {
		newest--
	}
	broken, hurt := posts[newest], posts[1]
	damage(t, broken.Path, "digest")
	damage(t, hurt.Path, "paper")

	names := func(what string, err error, paths ...string) {
		t.Helper()
		if !errors.Is(err, bot.ErrUnreadable) || bot.ErrorCode(err) != bot.EUNREADABLE {
			t.Errorf("%s: error %v, want ErrUnreadable", what, err)
			return
		}
		for _, p := range paths {
			if !strings.Contains(err.Error(), p) {
				t.Errorf("%s: error %q does not name %s", what, err, p)
			}
		}
		// Users are told of one damaged post (the first the read met).
		if msg := bot.ErrorMessage(err); !slices.ContainsFunc(paths, func(p string) bool { return strings.Contains(msg, p) }) {
			t.Errorf("%s: the message for users %q names no damaged post", what, msg)
		}
	}
	if _, err := s.Post(ctx, broken.Path); true {
		names("Post", err, broken.Path)
	}
	if _, err := s.LatestPost(ctx); true {
		names("LatestPost with the newest post damaged", err, broken.Path)
	}
	all, err := s.Posts(ctx)
	names("Posts", err, broken.Path, hurt.Path)
	if len(all) != len(posts)-2 {
		t.Errorf("Posts returned %d posts, want the %d undamaged ones", len(all), len(posts)-2)
	}
	for _, d := range all {
		if d.Path == broken.Path || d.Path == hurt.Path {
			t.Errorf("Posts returned the damaged %s", d.Path)
		}
	}
	day, err := s.PostsOn(ctx, broken.Day())
	names("PostsOn", err, broken.Path)
	if len(day) != 0 {
		t.Errorf("PostsOn the damaged post's day returned %d posts", len(day))
	}
	if day, err := s.PostsOn(ctx, posts[2].Day()); err != nil || len(day) != 1 {
		t.Errorf("PostsOn an undamaged day: %d posts, %v", len(day), err)
	}
	if _, err := s.Paper(ctx, hurt.Papers[0].ID); true {
		names("Paper of the damaged paper", err, hurt.Path)
	}
	if h, err := s.Paper(ctx, posts[2].Papers[0].ID); err != nil || h.Paper.Title != posts[2].Papers[0].Title {
		t.Errorf("Paper of an undamaged post: %+v, %v", h, err)
	}
	// Twice: the first search logs the damage, the second must not fail
	// for having done so. Two words of its title make the damaged paper a
	// hit as surely as the whole title does, for a fraction of the cost:
	// a query's index expression grows as 2^words (rows.Query.Level).
	for range 2 {
		hits, err := s.SearchPapers(ctx, titleWords(&hurt.Papers[0], 2), 50)
		if err != nil {
			t.Fatalf("SearchPapers hitting a damaged paper: %v", err)
		}
		for _, h := range hits {
			if h.Paper.ID == hurt.Papers[0].ID {
				t.Errorf("SearchPapers returned the damaged paper")
			}
		}
	}
	want := posts[2].Papers[0]
	hits, err := s.SearchPapers(ctx, titleWords(&want, 2), 50)
	if err != nil || !slices.ContainsFunc(hits, func(h bot.PaperHit) bool { return h.Paper.ID == want.ID }) {
		t.Errorf("SearchPapers for an undamaged paper: %d hits without %s, %v", len(hits), want.ID, err)
	}
}

// titleWords is the first n words of p's title, as a query.
func titleWords(p *bot.Paper, n int) string {
	w := strings.Fields(p.Title)
	return strings.Join(w[:min(n, len(w))], " ")
}

// CheckDamagedUpgrade checks a store just upgraded from a database in
// which bad's document could not be decoded: the other posts were carried
// over, bad fails alone, its file is marked changed (so that the next scan
// stores it anew), and saving it again repairs it.
func CheckDamagedUpgrade(t *testing.T, s bot.Store, posts []*bot.Digest, bad *bot.Digest) {
	ctx := context.Background()
	for _, d := range posts {
		_, err := s.Post(ctx, d.Path)
		if d == bad {
			if !errors.Is(err, bot.ErrUnreadable) {
				t.Errorf("Post(%s) of the damaged post: %v, want ErrUnreadable", d.Path, err)
			}
		} else if err != nil {
			t.Errorf("Post(%s): %v", d.Path, err)
		}
	}
	files, err := s.Files(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fs := files[bad.Path]; fs.Hash != "" || fs.Size != -1 {
		t.Errorf("the damaged post's file is not marked changed: %+v", fs)
	}
	for _, d := range posts {
		if fs := files[d.Path]; d != bad && fs.Hash != d.Hash {
			t.Errorf("an undamaged post's file changed: %+v", fs)
		}
	}
	if err := s.SavePost(ctx, bad, FileOf(bad)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Post(ctx, bad.Path); err != nil {
		t.Errorf("Post after saving the damaged post anew: %v", err)
	}
}
