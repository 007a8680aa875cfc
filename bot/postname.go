package bot

import (
	"strings"
	"time"
)

// PostName reports whether a file name is a dated Jekyll post,
// YYYY-MM-DD-slug.md or .markdown with a real calendar date, and returns
// the date as "2006-01-02" and the slug. A leading folder (either slash)
// is ignored. README.md, *.txt, undated names and impossible dates
// (2025-02-30) are not posts. This is the one place the name is read: the
// sources (which files are posts), the parser (the date of a post without
// one in its front matter) and the renderers (a post's blog address) all
// call it.
//
// It matches what `^\d{4}-\d{2}-\d{2}-.+\.(md|markdown)$` plus a date check
// would, by hand: the sources call it for every file of the archive on
// every tick, and this is several times faster than the regexp.
func PostName(name string) (date, slug string, ok bool) {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var base string
	switch {
	case strings.HasSuffix(name, ".md"):
		base = name[:len(name)-len(".md")]
	case strings.HasSuffix(name, ".markdown"):
		base = name[:len(name)-len(".markdown")]
	default:
		return "", "", false
	}
	// "YYYY-MM-DD-" then at least one character of slug.
	if len(base) < 12 || base[4] != '-' || base[7] != '-' || base[10] != '-' {
		return "", "", false
	}
	y, ok1 := nameDigits(base[0:4])
	m, ok2 := nameDigits(base[5:7])
	d, ok3 := nameDigits(base[8:10])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return "", "", false
	}
	if strings.IndexByte(base[11:], '\n') >= 0 { // the regexp's "." stops at newlines
		return "", "", false
	}
	return base[:10], base[11:], true
}

func nameDigits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// WebURL is the one link rule of every output: u itself when it is an
// http or https address (any case, surrounding spaces ignored), else "".
// A link to anything else (javascript:, vbscript:, data:, file:, a
// relative path) keeps its text everywhere and loses its link.
func WebURL(u string) string {
	u = strings.TrimSpace(u)
	if len(u) >= len("http://") && strings.EqualFold(u[:len("http://")], "http://") && len(u) > len("http://") {
		return u
	}
	if len(u) > len("https://") && strings.EqualFold(u[:len("https://")], "https://") {
		return u
	}
	return ""
}
