package bot

import "strings"

// Filter is a target's choice of posts: Tags (matched against a post's
// tags and categories) and Keywords (found in the digest's title, a paper's
// title or a section). An empty list does not filter; when both are set,
// both must match. Comparisons ignore case and surrounding spaces.
type Filter struct {
	Tags     []string
	Keywords []string
}

// Match reports whether d passes the filter.
func (f Filter) Match(d *Digest) bool {
	if len(f.Tags) > 0 && !f.matchTags(d) {
		return false
	}
	return len(f.Keywords) == 0 || f.matchKeywords(d)
}

func (f Filter) matchTags(d *Digest) bool {
	for _, want := range f.Tags {
		want = strings.TrimSpace(want)
		for _, lists := range [][]string{d.Tags, d.Categories} {
			for _, have := range lists {
				if strings.EqualFold(want, strings.TrimSpace(have)) {
					return true
				}
			}
		}
	}
	return false
}

func (f Filter) matchKeywords(d *Digest) bool {
	var text strings.Builder
	text.WriteString(d.Title)
	for _, p := range d.Papers {
		text.WriteString("\n")
		text.WriteString(p.Title)
		for _, s := range p.Sections {
			text.WriteString("\n")
			text.WriteString(s.Text())
		}
	}
	hay := strings.ToLower(text.String())
	for _, k := range f.Keywords {
		if k = strings.ToLower(strings.TrimSpace(k)); k != "" && strings.Contains(hay, k) {
			return true
		}
	}
	return false
}
