package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// FuzzPaperID: whatever follows /api/papers/, the answer is a paper, a 400
// or a 404; never a panic or a 5xx.
func FuzzPaperID(f *testing.F) {
	for _, s := range []string{"2509.24006", "2509.24006v2", "arXiv:2509.11111", "hep-th/9901001",
		"https://arxiv.org/abs/2509.11111", "https://www.alphaxiv.org/ko/overview/2509.11111",
		"", "%", "../../etc/passwd", "2509.", "https://arxiv.org/abs/", "<2509.11111>", "\x00", "한국어"} {
		f.Add(s)
	}
	fx := newFixture(f, nil)
	f.Fuzz(func(t *testing.T, s string) {
		if _, err := parsePaperID(s); err != nil && len(s) < 10000 {
			_ = err.Error()
		}
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.URL = &url.URL{Path: "/api/papers/" + s}
		w := httptest.NewRecorder()
		fx.srv.Handler().ServeHTTP(w, r)
		switch w.Code {
		case 200, 400, 404:
		default:
			t.Fatalf("id %q: status %d: %s", s, w.Code, w.Body)
		}
	})
}

// FuzzSearch: any q and limit give results or a 400.
func FuzzSearch(f *testing.F) {
	for _, s := range []string{"sparse", "arXiv:2509.24006", " ", "희소", "a b c", "\xff\xfe", "%00"} {
		f.Add(s, "5")
	}
	f.Add("x", "-1")
	f.Add("x", "99999999999999999999")
	fx := newFixture(f, nil)
	f.Fuzz(func(t *testing.T, q, limit string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.URL = &url.URL{Path: "/api/papers", RawQuery: url.Values{"q": {q}, "limit": {limit}}.Encode()}
		w := httptest.NewRecorder()
		fx.srv.Handler().ServeHTTP(w, r)
		if w.Code != 200 && w.Code != 400 {
			t.Fatalf("q=%q limit=%q: status %d: %s", q, limit, w.Code, w.Body)
		}
	})
}
