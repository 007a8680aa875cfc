package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

func benchServer(b *testing.B) *fixture {
	return newFixture(b, func(c *Config) { c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil)) })
}

func BenchmarkPaper(b *testing.B)  { benchGet(b, "/api/papers/2509.11111v2") }
func BenchmarkSearch(b *testing.B) { benchGet(b, "/api/papers?q=sparse") }
func BenchmarkDigest(b *testing.B) { benchGet(b, "/api/digests/latest") }

// benchGet serves GET path from the in-memory fixture, with no network.
func benchGet(b *testing.B, path string) {
	f := benchServer(b)
	h := f.srv.Handler()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}
