package slack

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/store/sqlite"
	"github.com/paperbot/paperbot/bot/store/storetest"
	"github.com/paperbot/paperbot/formatter"
)

// BenchmarkPaperCommandHTTP measures the whole HTTP path of `/paper <id>`
// (sign, verify, parse, lookup, render, encode) over an index of 160,000
// papers (10,000 posts of 16), and reports the p50 and p99 of the
// per-request latencies.
var bench struct {
	once sync.Once
	st   *sqlite.Store
	ids  []bot.ArxivID
	err  error
}

// benchIndex builds, once per process, a SQLite store of 160,000 papers
// (10,000 posts of 16) and lists the ids of the papers of published posts.
func benchIndex(b *testing.B) (*sqlite.Store, []bot.ArxivID) {
	bench.once.Do(func() {
		ctx := context.Background()
		bench.st, bench.err = sqlite.Open(ctx, ":memory:", nil)
		if bench.err != nil {
			return
		}
		posts := storetest.GenPosts(10000, 16, time.Date(2000, 1, 1, 8, 0, 0, 0, time.UTC), 1)
		storetest.Load(b, bench.st, posts)
		for _, d := range posts {
			if d.Draft {
				continue
			}
			for _, p := range d.Papers {
				bench.ids = append(bench.ids, p.ID)
			}
		}
		// The generated posts are in the store now; let the garbage
		// collector forget them before anything is measured.
		posts = nil
		runtime.GC()
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.st, bench.ids
}

// reportPercentiles reports the p50 and p99 of per-op latencies.
func reportPercentiles(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
		b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Nanoseconds()), "p99-ns")
	}
}

// BenchmarkPaperCommandHTTP measures the whole HTTP path of `/paper <id>`
// (sign, verify, parse, lookup, render, encode) over an index of 160,000
// papers, and reports the p50 and p99 of the per-request latencies.
func BenchmarkPaperCommandHTTP(b *testing.B) {
	st, ids := benchIndex(b)
	h := NewHandler(HandlerConfig{SigningSecret: testSecret, Commands: &bot.Commands{Store: st}, Details: formatter.SlackContainer}, nil)
	mux := http.NewServeMux()
	h.Register(mux)
	form := url.Values{"team_id": {"T1"}, "channel_id": {"C1"}, "user_id": {"U1"}, "command": {"/paper"},
		"response_url": {"http://127.0.0.1:1/unused"}, "trigger_id": {"1.2.3"}}

	lat := timeLookups(b, ids, func(id bot.ArxivID) {
		form.Set("text", string(id))
		body := []byte(form.Encode())
		r := httptest.NewRequest(http.MethodPost, "/slack/commands", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		r.Header.Set(timestampHeader, ts)
		r.Header.Set(signatureHeader, Sign(testSecret, ts, body))
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		if w.Code != 200 || !bytes.Contains(w.Body.Bytes(), []byte(id)) {
			b.Fatalf("/paper %s: %d %.200s", id, w.Code, w.Body)
		}
	})
	b.StopTimer()
	h.Wait()
	reportPercentiles(b, lat)
}

// BenchmarkStorePaper is the lookup alone, for comparison: the part of
// the HTTP path's latency that is the store's.
func BenchmarkStorePaper(b *testing.B) {
	st, ids := benchIndex(b)
	ctx := context.Background()
	lat := timeLookups(b, ids, func(id bot.ArxivID) {
		if _, err := st.Paper(ctx, id); err != nil {
			b.Fatal(err)
		}
	})
	reportPercentiles(b, lat)
}

// timeLookups runs lookup once per benchmark iteration on ids spread over
// the index (a stride prime to its size) and returns each call's latency.
func timeLookups(b *testing.B, ids []bot.ArxivID, lookup func(bot.ArxivID)) []time.Duration {
	var lat []time.Duration
	i := 0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		id := ids[(i*7919)%len(ids)]
		i++
		start := time.Now()
		lookup(id)
		lat = append(lat, time.Since(start))
	}
	return lat
}
