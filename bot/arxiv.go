package bot

import (
	"net/url"
	"regexp"
	"strings"
)

// ArxivID is a normalised arXiv identifier without its version: "2509.24006"
// or, old style, "hep-th/9901001". The zero value means "no id".
type ArxivID string

var (
	newStyleID = regexp.MustCompile(`^(\d{4}\.\d{4,5})(v\d+)?$`)
	oldStyleID = regexp.MustCompile(`^([a-z]+(?:-[a-z]+)?(?:\.[A-Z]{2})?/\d{7})(v\d+)?$`)
)

// ParseArxivID reads an arXiv id in any of the forms people paste: a bare id
// with or without a version ("2509.24006v2", "hep-th/9901001"), an "arXiv:"
// prefix, or an arxiv.org /abs/ or /pdf/ URL, or an alphaxiv.org
// .../overview/ID (or /abs/ID) URL. It returns the id without version and the
// version ("v2" or ""); ok is false when s is none of these.
func ParseArxivID(s string) (id ArxivID, version string, ok bool) {
	s = strings.TrimSpace(s)
	s = strings.Trim(s, "<>")
	if s == "" {
		return "", "", false
	}
	if strings.Contains(s, "://") || strings.HasPrefix(s, "arxiv.org/") || strings.HasPrefix(s, "www.") || strings.HasPrefix(s, "alphaxiv.org/") {
		return parseArxivURL(s)
	}
	if len(s) > 6 && strings.EqualFold(s[:6], "arxiv:") {
		s = s[6:]
	}
	return parseBareID(s)
}

func parseBareID(s string) (ArxivID, string, bool) {
	s = strings.TrimSuffix(s, ".pdf")
	if m := newStyleID.FindStringSubmatch(s); m != nil {
		return ArxivID(m[1]), m[2], true
	}
	if m := oldStyleID.FindStringSubmatch(s); m != nil {
		return ArxivID(m[1]), m[2], true
	}
	return "", "", false
}

func parseArxivURL(s string) (ArxivID, string, bool) {
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", "", false
	}
	host := strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
	if host != "arxiv.org" && host != "export.arxiv.org" && host != "alphaxiv.org" {
		return "", "", false
	}
	p := strings.Trim(u.Path, "/")
	// The id is what follows the first marker segment; old-style ids span two
	// segments ("hep-th/9901001").
	for _, marker := range []string{"abs/", "pdf/", "html/", "overview/"} {
		i := strings.Index(p, marker)
		if i < 0 {
			continue
		}
		if i > 0 && p[i-1] != '/' {
			continue
		}
		return parseBareID(p[i+len(marker):])
	}
	return "", "", false
}

// AbsURL is the paper's canonical arXiv page.
func (id ArxivID) AbsURL() string {
	if id == "" {
		return ""
	}
	return "https://arxiv.org/abs/" + string(id)
}

// String returns the id as text.
func (id ArxivID) String() string { return string(id) }
