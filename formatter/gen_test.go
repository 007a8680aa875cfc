package formatter

import (
	"fmt"
	"math/rand"
	"strings"
	"time"
)

// genOptions makes generated posts harder on the code that reads or renders
// them.
type genOptions struct {
	// LongTitles makes some titles up to 400 characters long.
	LongTitles bool
	// LongSections makes some section bodies up to 10,000 characters long.
	LongSections bool
	// Nasty sprinkles titles and text with & < > * _ | ` and emoji (escaped
	// where markdown would otherwise eat them, so they parse back literally).
	Nasty bool
}

var (
	genWordsEN = strings.Fields(`attention sparse diffusion transformer token model
		language vision reasoning benchmark latency memory kernel quantization
		retrieval agent policy reward alignment calibration robust scalable
		efficient multimodal video speech graph contrastive embedding manifold
		pretraining fine-tuning inference adapter mixture experts routing`)
	genWordsKO = strings.Fields(`본 연구는 확산 모델의 주의 연산을 효율적으로 줄이는 방법을
		제안한다 기존 방법은 품질 저하 문제가 있으며 실험 결과 제안한 기법이
		다양한 벤치마크에서 우수한 성능을 보였다 한계로는 추가 학습이 필요하고
		일부 조건에서 성능이 떨어진다 결론적으로 실용적인 접근법임을 입증하였다`)
	// genNasty are fragments that must come out of the parser exactly as the
	// author meant them (the comment after each is what it parses to).
	genNasty = []string{
		"R&D",        // R&D
		"a < b",      // a < b
		"x > y",      // x > y
		`\*star\*`,   // *star*
		"snake_case", // snake_case
		`\_under\_`,  // _under_
		"p | q",      // p | q
		"\\`tick\\`", // `tick`
		"🚀",          // 🚀
		"✨ 한국어",      // ✨ 한국어
		"&amp;",      // &
		"a * b",      // a * b
		"<T>",        // <T> (raw HTML, kept literally)
	}
	genSections = []string{"Introduction", "Method", "Results", "Limitations", "Conclusion"}
)

func genWords(r *rand.Rand, n int, ko bool, nasty bool) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		switch {
		case nasty && r.Intn(8) == 0:
			b.WriteString(genNasty[r.Intn(len(genNasty))])
		case ko && r.Intn(4) != 0:
			b.WriteString(genWordsKO[r.Intn(len(genWordsKO))])
		default:
			b.WriteString(genWordsEN[r.Intn(len(genWordsEN))])
		}
	}
	return b.String()
}

// genSentence is a sentence with some inline markup.
func genSentence(r *rand.Rand, opt genOptions) string {
	s := genWords(r, 6+r.Intn(14), r.Intn(3) != 0, opt.Nasty)
	switch r.Intn(6) {
	case 0:
		s += " **" + genWords(r, 2, false, false) + "**"
	case 1:
		s += " `" + genWords(r, 1, false, false) + "()`"
	case 2:
		s += " $O(n \\log n)$"
	case 3:
		s += " [" + genWords(r, 2, false, false) + "](https://example.com/" + fmt.Sprint(r.Intn(1000)) + ")"
	case 4:
		s += " *" + genWords(r, 1, false, false) + "*"
	}
	return s + "."
}

func genParagraph(r *rand.Rand, opt genOptions, sentences int) string {
	var b strings.Builder
	for i := 0; i < sentences; i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(genSentence(r, opt))
	}
	return b.String()
}

func genTitle(r *rand.Rand, opt genOptions) string {
	t := strings.ToUpper(genWordsEN[r.Intn(len(genWordsEN))][:1]) + genWordsEN[r.Intn(len(genWordsEN))][1:] +
		": " + genWords(r, 4+r.Intn(8), false, opt.Nasty)
	if opt.LongTitles && r.Intn(4) == 0 {
		for len(t) < 300+r.Intn(100) {
			t += " " + genWords(r, 1, false, opt.Nasty)
		}
		if len(t) > 400 {
			t = strings.TrimSpace(t[:400])
			// Do not leave a dangling backslash or half a rune.
			t = strings.ToValidUTF8(strings.TrimRight(t, `\`), "")
		}
	}
	return t
}

func genSection(r *rand.Rand, name string, opt genOptions) string {
	var b strings.Builder
	switch name {
	case "Introduction":
		labels := []string{"Goal: ", "Motivation: ", "Contribution: "}
		if r.Intn(5) == 0 {
			labels = []string{"", "", ""} // unlabelled bullets happen too
		}
		for _, l := range labels {
			b.WriteString("- " + l + genParagraph(r, opt, 1+r.Intn(2)) + "\n")
		}
	case "Method":
		b.WriteString(genParagraph(r, opt, 2+r.Intn(3)) + "\n")
		switch r.Intn(3) {
		case 0:
			b.WriteString("\n1. " + genSentence(r, opt) + "\n2. " + genSentence(r, opt) + "\n   - " + genSentence(r, opt) + "\n3. " + genSentence(r, opt) + "\n")
		case 1:
			b.WriteString("\n- " + genSentence(r, opt) + "\n  - " + genSentence(r, opt) + "\n- " + genSentence(r, opt) + "\n")
		}
	case "Limitations":
		switch r.Intn(8) {
		case 0:
			b.WriteString("정보 부족.\n")
		case 1:
			b.WriteString("- 정보 부족\n")
		case 2:
			b.WriteString("N/A\n")
		default:
			b.WriteString(genParagraph(r, opt, 1+r.Intn(2)) + "\n")
		}
	default:
		b.WriteString(genParagraph(r, opt, 1+r.Intn(3)) + "\n")
	}
	if opt.LongSections && r.Intn(10) == 0 {
		limit := 2000 + r.Intn(8000)
		for b.Len() < limit-400 {
			b.WriteString("\n" + genParagraph(r, opt, 3) + "\n")
		}
	}
	return b.String()
}

// genPost writes a Daily Papers post in the fixture's shape: front matter,
// then papers numbered from 1, each with an arXiv link, an Alphaxiv quote and
// the five usual sections (Korean and English text, lists, inline markup).
// It is deterministic for a given r.
func genPost(r *rand.Rand, date time.Time, papers int, opt genOptions) []byte {
	var b strings.Builder
	day := date.Format(time.DateOnly)
	fmt.Fprintf(&b, "---\nlayout: post\ntitle: \"Daily Papers — %s\"\ndate: %s 08:15:00\ntags: [papers, huggingface]\ncategories: []\n---\n", day, day)
	yymm := date.Format("0601")
	for i := 1; i <= papers; i++ {
		id := fmt.Sprintf("%s.%05d", yymm, r.Intn(100000))
		fmt.Fprintf(&b, "\n# %d. [%s](https://arxiv.org/abs/%s)\n\n", i, genTitle(r, opt), id)
		fmt.Fprintf(&b, "> [Alphaxiv](https://www.alphaxiv.org/ko/overview/%s)\n", id)
		for _, name := range genSections {
			fmt.Fprintf(&b, "\n## %s\n\n%s", name, genSection(r, name, opt))
		}
	}
	return []byte(b.String())
}
