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

func BenchmarkPaper(b *testing.B) {
	f := benchServer(b)
	h := f.srv.Handler()
	r := httptest.NewRequest(http.MethodGet, "/api/papers/2509.11111v2", nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

func BenchmarkSearch(b *testing.B) {
	f := benchServer(b)
	h := f.srv.Handler()
	r := httptest.NewRequest(http.MethodGet, "/api/papers?q=sparse", nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

func BenchmarkDigest(b *testing.B) {
	f := benchServer(b)
	h := f.srv.Handler()
	r := httptest.NewRequest(http.MethodGet, "/api/digests/latest", nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}
