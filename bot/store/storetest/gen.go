package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/paperbot/paperbot/bot"
)

// BulkSaver is implemented by stores that can index many posts in one
// transaction (both SQL stores do). Load uses it when present.
type BulkSaver interface {
	// SavePosts is SavePost for posts[i] with files[i], all in one
	// transaction.
	SavePosts(ctx context.Context, posts []*bot.Digest, files []bot.FileState) error
}

var (
	englishWords = strings.Fields(`sparse attention diffusion transformer video reasoning agent retrieval
		language model reinforcement learning benchmark multimodal token speech robot policy graph
		quantization alignment reward efficient scaling vision kernel memory long-context distillation
		tokenizer planning search evaluation synthetic data mixture experts decoding latent`)
	koreanWords = strings.Fields(`희소성 주의 확산 변환기 모델 비디오 생성 학습 추론 강화 언어 데이터 성능 효율
		그래프 에이전트 검색 증강 정렬 보상 계산 비용 품질 향상 방법 제안 실험 결과 한계 결론`)
)

// GenPosts returns n generated posts of papers papers each, one a day from
// start, deterministic for a seed. Every paper has a unique arXiv id (see
// GenID), an English title and a Korean body with English terms, about the
// length of a real post's (a few hundred bytes a paper); every tenth post is a
// draft.
func GenPosts(n, papers int, start time.Time, seed uint64) []*bot.Digest {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	pick := func(words []string, k int) string {
		out := make([]string, k)
		for i := range out {
			out[i] = words[rng.IntN(len(words))]
		}
		return strings.Join(out, " ")
	}
	text := func(s string) []bot.Block {
		return []bot.Block{{Kind: bot.ParagraphBlock, Inlines: []bot.Inline{{Kind: bot.TextInline, Text: s}}}}
	}
	posts := make([]*bot.Digest, n)
	for i := range posts {
		date := start.AddDate(0, 0, i)
		d := &bot.Digest{
			Date:  date,
			Title: "Daily Papers — " + date.Format(time.DateOnly),
			Tags:  []string{"papers"},
			Draft: i%10 == 9,
			Path:  date.Format(time.DateOnly) + "-daily-papers.md",
			Hash:  fmt.Sprintf("%064x", uint64(i)+seed),
		}
		for j := 0; j < papers; j++ {
			id := GenID(date, i*papers+j)
			title := pick(englishWords, 7)
			goal := "Goal: " + pick(koreanWords, 8) + " " + pick(englishWords, 2) + " " + pick(koreanWords, 6) + "."
			d.Papers = append(d.Papers, bot.Paper{
				Number: j + 1,
				Title:  capitalize(title),
				ID:     id,
				URL:    id.AbsURL(),
				Sections: []bot.Section{
					{Name: "Introduction", Blocks: []bot.Block{{Kind: bot.ListBlock, Items: [][]bot.Block{text(goal), text("Motivation: " + pick(koreanWords, 10) + ".")}}}},
					{Name: "Method", Blocks: text(pick(koreanWords, 12) + " " + pick(englishWords, 3) + " " + pick(koreanWords, 10) + ".")},
					{Name: "Results", Blocks: text(pick(koreanWords, 10) + " " + pick(englishWords, 2) + ".")},
				},
				Line: 10 + j*20,
			})
		}
		posts[i] = d
	}
	return posts
}

// capitalize upper-cases the first letter of s (a whole rune: a title may
// start with a Korean word).
func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// GenID is the arXiv id GenPosts gives the k-th paper of the archive, whose
// post is dated date: "YYMM.NNNNN", unique for k below 100,000 per month.
func GenID(date time.Time, k int) bot.ArxivID {
	return bot.ArxivID(fmt.Sprintf("%s.%05d", date.Format("0601"), k%100000))
}

// FileOf is the FileState GenPosts' posts are loaded with.
func FileOf(d *bot.Digest) bot.FileState {
	return bot.FileState{Path: d.Path, Size: int64(1000 + len(d.Papers)*2000), ModTime: d.Date.Add(time.Hour), Hash: d.Hash}
}

// Load indexes posts in s, in one transaction when s is a BulkSaver.
func Load(tb testing.TB, s bot.Store, posts []*bot.Digest) {
	tb.Helper()
	ctx := context.Background()
	files := make([]bot.FileState, len(posts))
	for i, d := range posts {
		files[i] = FileOf(d)
	}
	if bs, ok := s.(BulkSaver); ok {
		if err := bs.SavePosts(ctx, posts, files); err != nil {
			tb.Fatalf("bulk load: %v", err)
		}
		return
	}
	for i, d := range posts {
		if err := s.SavePost(ctx, d, files[i]); err != nil {
			tb.Fatalf("load: %v", err)
		}
	}
}

// MarkdownArchiveIDs are the IDs LoadMarkdownArchive returns for an archive
// of posts×papers, computed without generating it: for a benchmark that
// keeps a loaded archive between runs.
func MarkdownArchiveIDs(posts, papers int) []bot.ArxivID {
	var ids []bot.ArxivID
	start := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range posts {
		if i%10 == 9 || papers == 0 { // a draft
			continue
		}
		ids = append(ids, GenID(start.AddDate(0, 0, i), i*papers+len(ids)%papers))
	}
	return ids
}

// fixturePaper is one paper of a real post cut into its parts: the title
// inside the heading's link text, and each "## Section" with its body.
type fixturePaper struct {
	title    string
	sections []string // "## Name\n\nbody", in order
}

// splitFixture cuts a post into papers at its level-1 headings.
func splitFixture(post []byte) ([]fixturePaper, error) {
	var out []fixturePaper
	for _, chunk := range strings.Split(string(post), "\n# ")[1:] {
		head, body, _ := strings.Cut(chunk, "\n")
		open, close := strings.Index(head, "["), strings.LastIndex(head, "](")
		if open < 0 || close < open {
			return nil, fmt.Errorf("fixture heading %q has no link", head)
		}
		p := fixturePaper{title: head[open+1 : close]}
		for _, s := range strings.Split(body, "\n## ")[1:] {
			p.sections = append(p.sections, "## "+strings.TrimRight(s, "\n"))
		}
		if len(p.sections) == 0 {
			return nil, fmt.Errorf("fixture paper %q has no sections", p.title)
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the fixture has no papers")
	}
	return out, nil
}

// MarkdownArchive returns a function that yields the markdown of the i-th
// post of a generated archive: papers papers each, recombined from the
// papers of a real post (fixture): each generated paper takes the title of
// one fixture paper and each section from a random fixture paper, under a
// unique arXiv id, so the text has the real post's mix of Korean, English,
// lists and inline markup. Post i is dated start plus i days; every tenth
// is a draft. The name is the Jekyll file name. Deterministic for a seed.
func MarkdownArchive(fixture []byte, papers int, start time.Time, seed uint64) (func(i int) (name string, src []byte), error) {
	fps, err := splitFixture(fixture)
	if err != nil {
		return nil, err
	}
	return func(i int) (string, []byte) {
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		date := start.AddDate(0, 0, i)
		day := date.Format(time.DateOnly)
		var b strings.Builder
		fmt.Fprintf(&b, "---\nlayout: post\ntitle: \"Daily Papers — %s\"\ndate: %s 08:15:00\ntags: [papers, huggingface]\ncategories: []\n", day, day)
		if i%10 == 9 {
			b.WriteString("published: false\n")
		}
		b.WriteString("---\n")
		for j := 0; j < papers; j++ {
			id := GenID(date, i*papers+j)
			t := fps[rng.IntN(len(fps))]
			fmt.Fprintf(&b, "\n# %d. [%s](https://arxiv.org/abs/%s)\n\n> [Alphaxiv](https://www.alphaxiv.org/ko/overview/%s)\n", j+1, t.title, id, id)
			for k := range t.sections {
				from := fps[rng.IntN(len(fps))]
				b.WriteString("\n")
				b.WriteString(from.sections[k%len(from.sections)])
				b.WriteString("\n")
			}
		}
		return day + "-daily-papers.md", []byte(b.String())
	}, nil
}
