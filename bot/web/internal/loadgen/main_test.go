package main

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestCheckTarget(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"http://127.0.0.1:8080", true},
		{"http://localhost:8080", true},
		{"http://[::1]:8080", true},
		{"http://10.0.0.1:8080", false},
		{"http://example.com", false},
		{"https://127.0.0.1:8080", false},
		{"127.0.0.1:8080", false},
		{"", false},
	} {
		if err := checkTarget(tc.url); (err == nil) != tc.ok {
			t.Errorf("%q: %v", tc.url, err)
		}
	}
}

func TestPct(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 100; i++ {
		ds = append(ds, time.Duration(i))
	}
	if pct(ds, 50) != 51 || pct(ds, 99) != 99 || pct(ds, 100) != 100 || pct(nil, 50) != 0 {
		t.Errorf("pct: %v %v %v", pct(ds, 50), pct(ds, 99), pct(ds, 100))
	}
}

// TestAttack runs both modes briefly against a local server.
func TestAttack(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/papers/bad" {
			http.NotFound(w, r)
			return
		}
		n.Add(1)
		_, _ = w.Write([]byte("{}"))
	}))
	defer srv.Close()
	urls := []string{srv.URL + "/api/papers/1", srv.URL + "/api/papers/bad"}
	client := srv.Client()
	res := attack(client, urls, 2, 200, 300*time.Millisecond, false)
	if len(res.lat) < 20 || len(res.lat) > 80 || res.errors == 0 || res.statuses[404] == 0 {
		t.Errorf("paced: %d requests, %d errors, %v", len(res.lat), res.errors, res.statuses)
	}
	res = attack(client, urls[:1], 2, 0, 200*time.Millisecond, true)
	if len(res.lat) == 0 || res.errors != 0 {
		t.Errorf("unpaced: %d requests, %d errors", len(res.lat), res.errors)
	}
}
