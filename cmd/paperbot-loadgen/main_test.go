package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
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

// TestAttack runs both modes with both clients briefly against a local
// server.
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
	targets, err := rawTargets(urls)
	if err != nil {
		t.Fatal(err)
	}
	for name, newClient := range map[string]func() getter{
		"raw":     func() getter { return &rawClient{targets: targets, timeout: time.Second} },
		"nethttp": netHTTPClients(urls, 2),
	} {
		t.Run(name, func(t *testing.T) {
			clients := []getter{newClient(), newClient()}
			defer clients[0].close()
			defer clients[1].close()
			res := attack(clients, len(urls), 200, 300*time.Millisecond, false)
			if len(res.lat) < 20 || len(res.lat) > 80 || res.errors == 0 || res.statuses[404] == 0 || res.statuses[200] == 0 {
				t.Errorf("paced: %d requests, %d errors, %v, first transport error %v", len(res.lat), res.errors, res.statuses, res.firstErr)
			}
			res = attack(clients, 1, 0, 200*time.Millisecond, true)
			if len(res.lat) == 0 || res.errors != 0 {
				t.Errorf("unpaced: %d requests, %d errors, first %v", len(res.lat), res.errors, res.firstErr)
			}
		})
	}
}

// TestRawClient checks the lean client on the framings a server may use,
// and that a broken answer is an error, not a success.
func TestRawClient(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		status  int
		fail    bool
	}{
		{"content-length", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "5")
			_, _ = w.Write([]byte("hello"))
		}, 200, false},
		{"chunked", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte("part one "))
			w.(http.Flusher).Flush()
			_, _ = w.Write([]byte("part two"))
		}, 200, false},
		{"connection close", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Connection", "close")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("busy"))
		}, 503, false},
		{"hijacked and dropped", func(w http.ResponseWriter, r *http.Request) {
			c, _, _ := w.(http.Hijacker).Hijack()
			_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"))
			c.Close()
		}, 200, true},
		{"garbage", func(w http.ResponseWriter, r *http.Request) {
			c, _, _ := w.(http.Hijacker).Hijack()
			_, _ = c.Write([]byte("SMTP ready\r\n\r\n"))
			c.Close()
		}, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			targets, err := rawTargets([]string{srv.URL + "/x"})
			if err != nil {
				t.Fatal(err)
			}
			c := &rawClient{targets: targets, timeout: time.Second}
			defer c.close()
			for i := range 3 { // the connection is reused, or redialled after close
				status, err := c.get(t.Context(), 0)
				if (err != nil) != tc.fail || status != tc.status {
					t.Fatalf("request %d: status %d, err %v; want %d, failure %v", i, status, err, tc.status, tc.fail)
				}
			}
		})
	}
}

// TestReportSlices: each request counts in the slice it was due in.
func TestReportSlices(t *testing.T) {
	ms := time.Millisecond
	r := result{
		lat: []time.Duration{100 * ms, 1 * ms, 2 * ms, 3 * ms},
		at:  []time.Duration{0, 1500 * ms, 1999 * ms, 2 * time.Second},
	}
	var b strings.Builder
	reportSlices(&b, r, time.Second)
	want := "slice 0s-1s: requests 1  p50 100.000ms  p99 100.000ms  max 100.000ms\n" +
		"slice 1s-2s: requests 2  p50 2.000ms  p99 2.000ms  max 2.000ms\n" +
		"slice 2s-3s: requests 1  p50 3.000ms  p99 3.000ms  max 3.000ms\n"
	if b.String() != want {
		t.Errorf("got\n%swant\n%s", b.String(), want)
	}
}

// TestReadyThenConnect checks -ready's poll (503 until the server is ready)
// and that every raw client is connected before its first request, and
// keeps that connection.
func TestReadyThenConnect(t *testing.T) {
	var polls, conns, requests atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/readyz" {
			if polls.Add(1) < 4 {
				http.Error(w, "starting", http.StatusServiceUnavailable)
				return
			}
			return
		}
		requests.Add(1)
		_, _ = w.Write([]byte("{}"))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	if _, err := waitReady(srv.URL+"/readyz", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := polls.Load(); got != 4 {
		t.Errorf("waitReady polled %d times, want 4 (three 503s, then 200)", got)
	}
	before := conns.Load()
	targets, err := rawTargets([]string{srv.URL + "/api/papers/1"})
	if err != nil {
		t.Fatal(err)
	}
	clients := make([]getter, 5)
	for i := range clients {
		clients[i] = &rawClient{targets: targets, timeout: time.Second}
		defer clients[i].close()
	}
	if _, err := connectAll(clients); err != nil {
		t.Fatal(err)
	}
	// The server sees a connection once it has accepted it.
	for deadline := time.Now().Add(2 * time.Second); conns.Load()-before < 5 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if got := conns.Load() - before; got != 5 || requests.Load() != 0 {
		t.Fatalf("after connectAll: %d new connections and %d requests, want 5 and 0", got, requests.Load())
	}
	res := attack(clients, 1, 500, 100*time.Millisecond, false)
	if res.errors != 0 || len(res.lat) == 0 {
		t.Fatalf("%d requests, %d errors, first %v", len(res.lat), res.errors, res.firstErr)
	}
	if got := conns.Load() - before; got != 5 {
		t.Errorf("the run opened %d connections in all, want the 5 connectAll opened", got)
	}

	notReady := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "starting", http.StatusServiceUnavailable)
	}))
	defer notReady.Close()
	if _, err := waitReady(notReady.URL+"/readyz", 50*time.Millisecond); err == nil || !strings.Contains(err.Error(), "status 503") {
		t.Errorf("waitReady on a server never ready: %v, want an error saying status 503", err)
	}
}
