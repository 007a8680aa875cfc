package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

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
				Title:  strings.ToUpper(title[:1]) + title[1:],
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
