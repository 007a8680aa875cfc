package bot

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestPostName(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]struct{ date, slug string }{
		"2025-09-30-daily-papers.md":           {"2025-09-30", "daily-papers"},
		"2025-09-30-daily-papers.markdown":     {"2025-09-30", "daily-papers"},
		"2024-02-29-leap.md":                   {"2024-02-29", "leap"},
		"2025-01-01-a.md":                      {"2025-01-01", "a"},
		"2025-09-30-데일리-페이퍼.md":                {"2025-09-30", "데일리-페이퍼"},
		"2025-09-30-with.dots.in.slug.md":      {"2025-09-30", "with.dots.in.slug"},
		"_posts/2025-10-01-x.md":               {"2025-10-01", "x"},
		`C:\blog\_posts\2025-10-01-x.markdown`: {"2025-10-01", "x"},
	} {
		if date, slug, ok := PostName(name); !ok || date != want.date || slug != want.slug {
			t.Errorf("PostName(%q) = %q, %q, %v; want %q, %q, true", name, date, slug, ok, want.date, want.slug)
		}
	}
	for _, name := range []string{
		"2025-02-29-not-leap.md", "2025-02-30-no-such-day.md", "2025-13-01-month.md", "2025-09-31-day.md",
		"2025-09-30-.md", "2025-09-30.md", "2025-9-30-short.md", "25-09-30-short.md", "daily-2025-09-30.md",
		"README.md", "notes.txt", "2025-09-30-daily-papers.txt", "2025-09-30-daily-papers.md.swp",
		"2025-09-30-daily-papers.MD", ".2025-09-30-hidden.md", "x2025-09-30-a.md", "",
	} {
		if date, slug, ok := PostName(name); ok || date != "" || slug != "" {
			t.Errorf("PostName(%q) = %q, %q, %v; want not a post", name, date, slug, ok)
		}
	}
}

// FuzzPostNameRegexp checks the hand-written matcher against the rule as
// the brief writes it, applied to the name without its folder.
func FuzzPostNameRegexp(f *testing.F) {
	re := regexp.MustCompile(`^(\d{4}-\d{2}-\d{2})-.+\.(md|markdown)$`)
	for _, s := range []string{"2025-09-30-daily-papers.md", "2025-02-29-x.markdown", "0000-00-00-.md", "2025-01-01-\n.md", "2025-01-01-a.mdmarkdown"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		date, _, ok := PostName(name)
		base := name[strings.LastIndexAny(name, `/\`)+1:]
		m := re.FindStringSubmatch(base)
		want := m != nil
		if want {
			_, err := time.Parse(time.DateOnly, m[1])
			want = err == nil
		}
		if ok != want || (ok && date != m[1]) {
			t.Fatalf("PostName(%q) = %q, %v; the regexp rule says %v", name, date, ok, want)
		}
	})
}
