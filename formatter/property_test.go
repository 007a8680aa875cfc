package formatter

import (
	"fmt"
	"math/rand"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/bwmarrin/discordgo"
	"github.com/slack-go/slack"

	"github.com/paperbot/paperbot/bot"
)

// propertyPosts are generated posts of every shape issue 3 names: 1-60
// papers, titles up to 400 characters, sections up to 10,000 characters,
// & < > * _ | ` emoji and Korean.
func propertyPosts(t *testing.T, n int) []*bot.Digest {
	t.Helper()
	genOnce.Do(func() { genPosts, genErr = makePropertyPosts(maxPropertyPosts) })
	if genErr != nil {
		t.Fatal(genErr)
	}
	if n > len(genPosts) {
		t.Fatalf("propertyPosts(%d): at most %d", n, len(genPosts))
	}
	return genPosts[:n:n]
}

// The posts are generated and parsed once per test binary: two tests read
// the same twelve (the renderers only read a digest), and generating and
// parsing them was a sixth of each test's time under -race. The first n of
// them are what a run of n would make: one random source, in order.
const maxPropertyPosts = 12

var (
	genOnce  sync.Once
	genPosts []*bot.Digest
	genErr   error
)

func makePropertyPosts(n int) ([]*bot.Digest, error) {
	r := rand.New(rand.NewSource(20250930))
	p := &Parser{}
	var out []*bot.Digest
	day := time.Date(2025, 9, 30, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		papers := 1 + r.Intn(60)
		if i%4 == 0 {
			papers = 60
		}
		opt := genOptions{LongTitles: i%2 == 0, LongSections: i%3 != 1, Nasty: i%4 != 3}
		src := genPost(r, day.AddDate(0, 0, i), papers, opt)
		name := day.AddDate(0, 0, i).Format(time.DateOnly) + "-generated.md"
		d, err := p.Parse(name, src)
		if err != nil {
			return nil, fmt.Errorf("post %d: %w", i, err)
		}
		out = append(out, d)
	}
	return out, nil
}

// tokens are the runs of letters and digits of s: markup, escapes,
// entities and link syntax fall away, the author's words stay.
func tokens(s string) []string {
	s = strings.ReplaceAll(s, zwsp, "")
	// strings.FieldsFunc with a closure per rune and a slice of spans was
	// most of the property test's time under -race; this is the same split.
	var out []string
	start := -1
	for i, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if start < 0 {
				start = i
			}
		} else if start >= 0 {
			out = append(out, s[start:i])
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}

// modelText is the words of blocks without list markers.
func modelText(blocks []bot.Block) string {
	var b strings.Builder
	for _, blk := range blocks {
		b.WriteString(bot.InlineText(blk.Inlines))
		b.WriteString(" ")
		for _, item := range blk.Items {
			b.WriteString(modelText(item))
			b.WriteString(" ")
		}
	}
	return b.String()
}

// missingWord returns the first word of the sections that does not appear
// in out in the sections' order (the words must be a subsequence of the
// output's words); "" when all do.
func missingWord(d *bot.Digest, out string) string {
	o := tokens(out)
	cur := 0
	for _, sw := range sectionWordsOf(d) {
		for _, w := range sw.words {
			for cur < len(o) && o[cur] != w {
				cur++
			}
			if cur == len(o) {
				return fmt.Sprintf("paper %d %s: %q", sw.paper, sw.name, w)
			}
			cur++
		}
	}
	return ""
}

// sectionWords are the words of one section of a digest, in order.
type sectionWords struct {
	paper int
	name  string
	words []string
}

// sectionWordsOf is the words of d's sections, computed once per digest:
// the property test checks each post against five outputs, and the
// sections' words were as dear as the output's each time. The posts are
// not changed once parsed, so the words stay right.
func sectionWordsOf(d *bot.Digest) []sectionWords {
	if sw, ok := sectionWordsCache.Load(d); ok {
		return sw.([]sectionWords)
	}
	var out []sectionWords
	for _, p := range d.Papers {
		for _, s := range p.Sections {
			out = append(out, sectionWords{paper: p.Number, name: s.Name, words: tokens(modelText(s.Blocks))})
		}
	}
	sectionWordsCache.Store(d, out)
	return out
}

var sectionWordsCache sync.Map // *bot.Digest -> []sectionWords

func TestPropertyWithinLimitsAndNothingLost(t *testing.T) {
	t.Parallel()
	// A dozen posts cover the shapes (every fourth has 60 papers) and keep
	// the package quick under -race on a small machine.
	n := 12
	if testing.Short() {
		n = 4
	}
	for i, d := range propertyPosts(t, n) {
		name := fmt.Sprintf("post%d-%dpapers", i, len(d.Papers))
		expandedAll := map[int]bool{}
		for _, p := range d.Papers {
			expandedAll[p.Number] = true
		}
		for _, opt := range []SlackOptions{
			{Details: SlackContainer, SiteURL: "https://team.example/blog"},
			{Details: SlackButtons},
			{Details: SlackButtons, Expanded: expandedAll},
			{Details: SlackThread},
			{Details: SlackInline},
		} {
			msgs := Slack(d, opt)
			if len(msgs) == 0 {
				t.Fatalf("%s slack %s: no messages", name, opt.Details)
			}
			for j, m := range msgs {
				if err := CheckSlackMessage(m); err != nil {
					t.Fatalf("%s slack %s (expanded %d) message %d: %v", name, opt.Details, len(opt.Expanded), j, err)
				}
			}
			if _, err := SlackJSON(msgs); err != nil {
				t.Fatal(err)
			}
			if opt.Details == SlackInline || opt.Details == SlackThread || opt.Expanded != nil {
				if w := missingWord(d, slackVisibleText(msgs)); w != "" {
					t.Errorf("%s slack %s: word missing: %s", name, opt.Details, w)
				}
			}
		}
		for _, mode := range []DiscordDetails{DiscordSpoiler, DiscordButtons, DiscordInline} {
			msgs := Discord(d, DiscordOptions{Details: mode, SiteURL: "https://team.example/blog"})
			for j, m := range msgs {
				if err := CheckDiscordMessage(m); err != nil {
					t.Fatalf("%s discord %s message %d: %v", name, mode, j, err)
				}
			}
			if mode != DiscordButtons {
				if w := missingWord(d, discordAllText(msgs)); w != "" {
					t.Errorf("%s discord %s: word missing: %s", name, mode, w)
				}
			}
		}
		// The single-paper cards, for a few papers.
		post := bot.PostRef{Date: d.Date, Title: d.Title, Path: d.Path}
		for k := 0; k < len(d.Papers); k += 7 {
			p := &d.Papers[k]
			for _, mode := range []SlackDetails{SlackContainer, SlackButtons, SlackInline} {
				if err := CheckSlackMessage(SlackPaper(p, post, SlackOptions{Details: mode, Expanded: map[int]bool{p.Number: true}})); err != nil {
					t.Fatalf("%s SlackPaper %d %s: %v", name, p.Number, mode, err)
				}
			}
			for _, mode := range []DiscordDetails{DiscordSpoiler, DiscordButtons, DiscordInline} {
				if err := CheckDiscordMessage(DiscordPaper(p, post, DiscordOptions{Details: mode})); err != nil {
					t.Fatalf("%s DiscordPaper %d %s: %v", name, p.Number, mode, err)
				}
			}
		}
	}
}

// slackVisibleText is the text of every block in order, as a reader
// (with containers opened) sees it.
func slackVisibleText(msgs []SlackMessage) string {
	var b strings.Builder
	var walk func(bl slack.Block)
	walk = func(bl slack.Block) {
		for _, s := range slackTexts(bl) {
			b.WriteString(s)
			b.WriteString("\n")
		}
	}
	for _, m := range msgs {
		for _, bl := range m.Blocks {
			walk(bl)
		}
	}
	return b.String()
}

// TestPropertyWords checks the checker: a word really missing is found.
func TestPropertyWordsCheckerFindsLoss(t *testing.T) {
	t.Parallel()
	d := sampleDigest()
	msgs := Slack(d, SlackOptions{Details: SlackInline})
	out := slackVisibleText(msgs)
	if w := missingWord(d, out); w != "" {
		t.Fatalf("sample: %s", w)
	}
	if w := missingWord(d, strings.Replace(out, "nested", "", 1)); !strings.Contains(w, "nested") {
		t.Errorf("checker missed a lost word: %q", w)
	}
	_ = discordgo.MessageSend{}
}

// FuzzRenderLimits: whatever a post holds, every payload of every mode
// stays within the limits.
func FuzzRenderLimits(f *testing.F) {
	r := rand.New(rand.NewSource(7))
	day := time.Date(2025, 9, 30, 0, 0, 0, 0, time.UTC)
	f.Add(genPost(r, day, 2, genOptions{Nasty: true}))
	f.Add(genPost(r, day, 1, genOptions{LongTitles: true, LongSections: true, Nasty: true}))
	f.Add([]byte("# 1. [a|b](https://arxiv.org/abs/2509.00001)\n\n## Method\n\n- `x` **y**\n  1. z\n"))
	p := &Parser{}
	f.Fuzz(func(t *testing.T, src []byte) {
		d, err := p.Parse("2025-09-30-fuzz.md", src)
		if err != nil {
			return
		}
		for _, mode := range []SlackDetails{SlackContainer, SlackButtons, SlackThread, SlackInline} {
			all := map[int]bool{}
			for _, p := range d.Papers {
				all[p.Number] = true
			}
			for _, m := range Slack(d, SlackOptions{Details: mode, Expanded: all}) {
				if err := CheckSlackMessage(m); err != nil {
					t.Fatalf("slack %s: %v", mode, err)
				}
			}
		}
		for _, mode := range []DiscordDetails{DiscordSpoiler, DiscordButtons, DiscordInline} {
			for _, m := range Discord(d, DiscordOptions{Details: mode}) {
				if err := CheckDiscordMessage(m); err != nil {
					t.Fatalf("discord %s: %v", mode, err)
				}
			}
		}
		post := bot.PostRef{Date: d.Date, Title: d.Title, Path: d.Path}
		for i := range d.Papers {
			if err := CheckSlackMessage(SlackPaper(&d.Papers[i], post, SlackOptions{})); err != nil {
				t.Fatalf("SlackPaper: %v", err)
			}
			if err := CheckDiscordMessage(DiscordPaper(&d.Papers[i], post, DiscordOptions{})); err != nil {
				t.Fatalf("DiscordPaper: %v", err)
			}
		}
	})
}
