package web

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/formatter"
)

const (
	post29 = "_posts/2025-09-29-daily-papers.md"
	post30 = "_posts/2025-09-30-daily-papers.md"
	draft  = "_posts/2025-10-01-draft.md"
)

var bearer = map[string]string{"Authorization": "Bearer " + token}

// fakeLinks links Discord-like refs only, as a platform that gives links
// for some messages and not others.
type fakeLinks struct{}

func (fakeLinks) MessageURL(ctx context.Context, target string, ref bot.MessageRef) string {
	if target != "lab" {
		return ""
	}
	return "https://chat.example/channels/" + ref.Channel + "/" + ref.ID
}

func put(t *testing.T, s *faultStore, ds ...bot.Delivery) {
	t.Helper()
	for _, d := range ds {
		if err := s.PutDelivery(context.Background(), &d); err != nil {
			t.Fatal(err)
		}
	}
}

func addPost(t *testing.T, s *faultStore, path, title string, date time.Time) {
	t.Helper()
	d := &bot.Digest{Date: date, Title: title, Path: path, Hash: "h-" + path,
		Papers: []bot.Paper{{Number: 1, Title: "Paper of " + title, ID: "2510.99999", URL: "https://arxiv.org/abs/2510.99999"}}}
	if err := s.SavePost(context.Background(), d, bot.FileState{Path: path, Hash: d.Hash}); err != nil {
		t.Fatal(err)
	}
}

// states fills the store and the engine with one delivery in every state
// the status page knows.
func states(t *testing.T, f *fixture) {
	t.Helper()
	at := time.Date(2025, 9, 30, 0, 30, 0, 0, time.UTC)
	// 2025-10-03: a post the failing target holds back; 2025-10-09: dated
	// after testNow.
	addPost(t, f.store, "_posts/2025-10-03-held.md", "Held", time.Date(2025, 10, 1, 8, 0, 0, 0, seoul))
	addPost(t, f.store, "_posts/2025-10-09-future.md", "Future", time.Date(2025, 10, 9, 8, 0, 0, 0, seoul))
	addPost(t, f.store, "_posts/2025-09-28-new.md", "New", time.Date(2025, 9, 28, 8, 0, 0, 0, seoul))
	addPost(t, f.store, "_posts/2025-09-01-old.md", "Old", time.Date(2025, 9, 1, 8, 0, 0, 0, seoul))
	addPost(t, f.store, "_posts/2025-09-02-filtered.md", "Filtered", time.Date(2025, 9, 2, 8, 0, 0, 0, seoul))
	put(t, f.store,
		bot.Delivery{Post: post29, Target: "team", State: bot.DeliverySent, Attempts: 1, UpdatedAt: at,
			Refs: []bot.MessageRef{{Channel: "C1", ID: "1.1"}}},
		bot.Delivery{Post: post29, Target: "lab", State: bot.DeliverySent, Attempts: 2, UpdatedAt: at,
			Refs: []bot.MessageRef{{Channel: "111", ID: "900"}, {Channel: "111", ID: "901"}}},
		bot.Delivery{Post: post30, Target: "team", State: bot.DeliveryFailed, Attempts: 1, UpdatedAt: at.Add(time.Minute),
			LastError: "slack: invalid_blocks <script>alert(1)</script>"},
		bot.Delivery{Post: post30, Target: "lab", State: bot.DeliveryRetrying, Attempts: 3, UpdatedAt: at.Add(2 * time.Minute),
			LastError: "discord: HTTP 500 Internal Server Error"},
		bot.Delivery{Post: "_posts/2025-10-03-held.md", Target: "team", State: bot.DeliverySending, Attempts: 1, UpdatedAt: at.Add(3 * time.Minute)},
		bot.Delivery{Post: "_posts/2025-10-03-held.md", Target: "lab", State: bot.DeliveryQueued, UpdatedAt: at.Add(4 * time.Minute)},
		bot.Delivery{Post: post29, Target: "gone", State: bot.DeliveryFailed, Attempts: 1, UpdatedAt: at, LastError: "channel_not_found"},
		bot.Delivery{Post: "_posts/2025-09-01-old.md", Target: "team", State: bot.DeliverySkipped, LastError: "skipped: dated before the catch-up window", UpdatedAt: at},
		bot.Delivery{Post: "_posts/2025-09-01-old.md", Target: "lab", State: bot.DeliverySkipped, LastError: "skipped: dated before the catch-up window", UpdatedAt: at},
		bot.Delivery{Post: "_posts/2025-09-02-filtered.md", Target: "team", State: bot.DeliverySkipped, LastError: "skipped: not matched by the target's filters", UpdatedAt: at},
		bot.Delivery{Post: "_posts/2025-09-02-filtered.md", Target: "lab", State: bot.DeliverySkipped, LastError: "skipped: not matched by the target's filters", UpdatedAt: at},
	)
	_ = f.store.SaveFile(context.Background(), bot.FileState{Path: "_posts/2025-10-02-broken.md", Error: "_posts/2025-10-02-broken.md:3: front matter is not YAML"})
	f.engine.health = []bot.TargetHealth{
		{Target: "team", LastSuccess: at, Failures: 1, LastError: "slack: invalid_blocks"},
		{Target: "lab", LastSuccess: at.Add(-24 * time.Hour), Failures: 3, LastError: "discord: HTTP 500 Internal Server Error",
			NextAttempt: time.Date(2025, 10, 1, 9, 5, 0, 0, seoul)},
	}
}

// row is the table row of (post, target) on the page: the <tr> holding
// both names.
func row(t *testing.T, body, post, target string) string {
	t.Helper()
	for _, tr := range strings.Split(body, "<tr>") {
		if strings.Contains(tr, ">"+post+"<") && strings.Contains(tr, "<td>"+target+"</td>") {
			return tr
		}
	}
	t.Errorf("no row for %s → %s", post, target)
	return ""
}

func TestStatusStates(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *Config) { c.Links = fakeLinks{} })
	states(t, f)
	w := f.do(t, req{target: "/", header: bearer})
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	body := w.Body.String()
	for _, tc := range []struct {
		post, target string
		want         []string
	}{
		{post29, "team", []string{`s-sent">sent<`, "1 message"}},
		{post29, "lab", []string{`s-sent">sent<`, "2 messages", `href="https://chat.example/channels/111/900">message 1<`, `message 2<`, "after 2 attempts"}},
		{post30, "team", []string{`s-failed">failed<`, "slack: invalid_blocks &lt;script&gt;", "not retried automatically",
			`action="/posts/2025-09-30/retry"`, `name="target" value="team"`}},
		{post30, "lab", []string{`s-retrying">retrying<`, "attempt 3 failed: discord: HTTP 500 Internal Server Error",
			`next attempt: <time datetime="2025-10-01T09:05:00&#43;09:00">2025-10-01 09:05:00 KST</time>`, "in 5 min", `name="target" value="lab"`}},
		{post29, "gone", []string{`s-failed">failed<`, "channel_not_found (target no longer configured)"}},
		{"_posts/2025-10-03-held.md", "team", []string{`s-sending">sending<`, "the call to the chat is in progress"}},
		{"_posts/2025-10-03-held.md", "lab", []string{`s-waiting">waiting<`, "queued behind " + post30 + ", which is being retried"}},
		{"_posts/2025-10-09-future.md", "lab", []string{`s-waiting">waiting<`, "dated 2025-10-09"}},
		{"_posts/2025-09-28-new.md", "lab", []string{`s-waiting">waiting<`, "due: sent at the next run"}},
		{"_posts/2025-09-28-new.md", "team", []string{`s-waiting">waiting<`, "due: sent at the next run"}},
		{"_posts/2025-10-09-future.md", "team", []string{`s-waiting">waiting<`, "dated 2025-10-09 08:00:00 KST"}},
		{draft, "lab", []string{`s-waiting">waiting<`, "a draft (published: false)"}},
		{"_posts/2025-09-01-old.md", "team", []string{`s-skipped">skipped<`, "dated before the catch-up window"}},
		{"_posts/2025-09-02-filtered.md", "lab", []string{`s-skipped">skipped<`, "not matched by the target&#39;s filters"}},
	} {
		r := row(t, body, tc.post, tc.target)
		for _, want := range tc.want {
			if !strings.Contains(r, want) {
				t.Errorf("%s → %s lacks %q:\n%s", tc.post, tc.target, want, r)
			}
		}
		retryable := (strings.Contains(r, "retrying<") || strings.Contains(r, "failed<")) && !strings.Contains(r, "no longer configured")
		if strings.Contains(r, "<form") != retryable {
			t.Errorf("%s → %s: a retry button where nothing can be retried, or none where it can", tc.post, tc.target)
		}
	}
	for _, want := range []string{
		"Times in Asia/Seoul",
		"<code>CRON_TZ=Asia/Seoul 30 9 * * *</code>",
		`Next run</dt><dd><time datetime="2025-10-02T09:30:00&#43;09:00">2025-10-02 09:30:00 KST</time>`,
		`<span class="ok">succeeded</span> <time datetime="2025-09-30T18:30:00&#43;09:00">`,
		"<strong>the sender</strong>",
		`9 seen, <a href="#h-broken">1 fail to parse</a>`, // 3 examples, 5 new posts, 1 broken
		"front matter is not YAML",
		// Per target: health, last success, failures, last error in words.
		`<th scope="row">lab</th><td><span class="state s-failed">failing</span></td>`,
		`<td>3</td><td class="err">discord: HTTP 500 Internal Server Error</td>`,
		`<th scope="row">team</th>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("status page lacks %q", want)
		}
	}
	if strings.Contains(body, "<script>") || strings.Contains(body, token) {
		t.Error("status page does not escape, or shows the token")
	}
	if n := strings.Count(body, "<form"); n != 2 {
		t.Errorf("want 2 retry forms (one failed, one retrying), got %d", n)
	}
	// Newest post first.
	if i, j := strings.Index(body, "2025-10-09-future.md"), strings.Index(body, "2025-09-01-old.md"); i < 0 || j < 0 || i > j {
		t.Error("deliveries are not newest first")
	}
	// A loopback visitor without the token sees the states, not the buttons.
	w = f.do(t, req{target: "/", remote: "127.0.0.1:1"})
	if b := w.Body.String(); strings.Contains(b, "<form") || strings.Contains(b, f.srv.csrf) || !strings.Contains(b, "retrying needs the admin token") {
		t.Error("loopback viewer without the token got a retry form")
	}
	if h := w.Header().Get("Content-Security-Policy"); !strings.Contains(h, "default-src 'none'") {
		t.Errorf("CSP %q", h)
	}
}

func TestStatusFacts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		mod  func(*fixture, *Config)
		want []string
	}{
		{"scan failed, standby", func(f *fixture, c *Config) {
			f.engine.scanErr = "git pull: connection refused"
			f.engine.sender = false
		}, []string{`<strong class="bad">failed</strong>: git pull: connection refused`, "last successful scan:", "<strong>standby</strong>"}},
		{"no scan yet", func(f *fixture, c *Config) { f.engine.last = time.Time{}; f.engine.ready = false }, []string{"no scan has finished yet", "<strong>not yet</strong>"}},
		{"no expect_by", nil, []string{"No expect_by deadline is configured"}},
		{"expect_by arrived", func(f *fixture, c *Config) {
			addPost(t, f.store, "_posts/2025-10-01-today.md", "Today", time.Date(2025, 10, 1, 8, 0, 0, 0, seoul))
			c.ExpectBy = expectBy(t, "08:30 Mon-Fri")
		}, []string{"expect_by <code>08:30 Mon-Fri</code>", `s-arrived">Today&#39;s post arrived: Today.`}},
		{"expect_by due", func(f *fixture, c *Config) { c.ExpectBy = expectBy(t, "10:00 Mon-Fri") },
			[]string{`s-due">Today&#39;s post has not arrived yet; it is due by</span> <time datetime="2025-10-01T10:00:00&#43;09:00">`, "in 1 h 0 min"}},
		{"expect_by overdue (the draft does not count)", func(f *fixture, c *Config) { c.ExpectBy = expectBy(t, "08:30") },
			[]string{`s-overdue">Overdue: no post for today, due by</span> <time datetime="2025-10-01T08:30:00&#43;09:00">`, "30 min ago"}},
		{"expect_by not today", func(f *fixture, c *Config) { c.ExpectBy = expectBy(t, "10:00 Sat,Sun") },
			[]string{`s-not-expected">No post is expected today. Next deadline:</span> <time datetime="2025-10-04T10:00:00&#43;09:00">`}},
		{"no engine", func(f *fixture, c *Config) { c.Engine = nil }, []string{"No delivery engine runs in this process."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(c *Config) {
				if tc.mod != nil {
					tc.mod(&fixture{store: c.Store.(*faultStore), engine: c.Engine.(*fakeEngine)}, c)
				}
			})
			body := f.do(t, req{target: "/", header: bearer}).Body.String()
			for _, want := range tc.want {
				if !strings.Contains(body, want) {
					t.Errorf("lacks %q", want)
				}
			}
		})
	}
}

func expectBy(t *testing.T, s string) *bot.ExpectBy {
	t.Helper()
	e, err := bot.ParseExpectBy(s)
	if err != nil {
		t.Fatal(err)
	}
	return &e
}

func TestStatusPaging(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	at := time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)
	for i := range 60 {
		p := fmt.Sprintf("_posts/2025-08-%02d-p%d.md", i%28+1, i)
		for _, tg := range []string{"team", "lab"} {
			put(t, f.store, bot.Delivery{Post: p, Target: tg, State: bot.DeliverySent, Attempts: 1, UpdatedAt: at.Add(time.Duration(i) * time.Minute)})
		}
	}
	// 120 records, plus the examples: 2 sent-less published posts and a
	// draft, 2 targets each, waiting.
	body := f.do(t, req{target: "/", header: bearer}).Body.String()
	if !strings.Contains(body, "126 deliveries, newest post first; page 1 of 3.") || !strings.Contains(body, `href="/?page=2" rel="next">Older`) {
		t.Errorf("page 1 does not say where it is")
	}
	if n := strings.Count(body, `<td class="path">`); n != pageSize {
		t.Errorf("page 1 has %d rows", n)
	}
	body = f.do(t, req{target: "/?page=3", header: bearer}).Body.String()
	if n := strings.Count(body, `<td class="path">`); n != 126-2*pageSize || !strings.Contains(body, `href="/?page=2" rel="prev">`) || strings.Contains(body, "rel=\"next\"") {
		t.Errorf("last page has %d rows", n)
	}
	for _, bad := range []struct {
		q      string
		status int
	}{{"0", 400}, {"x", 400}, {"-1", 400}, {"4", 404}} {
		if w := f.do(t, req{target: "/?page=" + bad.q, header: bearer}); w.Code != bad.status {
			t.Errorf("page %s: %d, want %d", bad.q, w.Code, bad.status)
		}
	}
}

func TestPostPage(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *Config) { c.Links = fakeLinks{} })
	states(t, f)
	w := f.do(t, req{target: "/posts/2025-09-29", header: bearer})
	body := w.Body.String()
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, body)
	}
	for _, want := range []string{
		"<title>Daily Papers — Sep 29 — paperbot</title>",
		"<h1>Daily Papers — Sep 29</h1>",
		`Dated <time datetime="2025-09-29T08:15:00&#43;09:00">`,
		// Both chats drawn by formatter.HTMLDrawing, every title escaped.
		`<section class="col slack" aria-label="Slack">`, `<section class="col discord" aria-label="Discord">`,
		"Sparse Attention &lt;Fast&gt; &amp; Good", "An old-style paper", "A blog post without an id",
		"<details><summary>", `<button>Details 1</button>`, "Buttons act in the chat only.",
		// The raw payloads fold away.
		`<details class="raw"><summary>Slack payloads (JSON)</summary>`, `&#34;blocks&#34;`,
		`<details class="raw"><summary>Discord payloads (JSON)</summary>`, `&#34;embeds&#34;`,
		// The post's deliveries, with links where the platform gives them.
		`href="https://chat.example/channels/111/901">message 2<`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("post page lacks %q", want)
		}
	}
	if strings.Contains(body, "Sparse Attention <Fast>") {
		t.Error("post page does not escape titles")
	}
	body = f.do(t, req{target: "/posts/2025-09-30", header: bearer}).Body.String()
	for _, want := range []string{`s-retrying">retrying<`, `s-failed">failed<`, `name="back" value="post"`, "확산 모델의 희소 어텐션"} {
		if !strings.Contains(body, want) {
			t.Errorf("2025-09-30 lacks %q", want)
		}
	}
	// In spoiler mode the Discord drawing's spoilers reveal on click.
	g := newFixture(t, func(c *Config) { c.Discord = formatter.DiscordOptions{Details: formatter.DiscordSpoiler} })
	body = g.do(t, req{target: "/posts/2025-09-29", header: bearer}).Body.String()
	if !strings.Contains(body, `<span class="spoiler" tabindex="0">`) || !strings.Contains(body, "a Discord spoiler to reveal it") {
		t.Error("spoiler mode: no focusable spoilers, or no word on them")
	}
	body = f.do(t, req{target: "/posts/2025-10-01", remote: "127.0.0.1:1"}).Body.String()
	for _, want := range []string{"(draft: not sent until published)", "a draft (published: false)", "Secret sparse draft"} {
		if !strings.Contains(body, want) {
			t.Errorf("draft page lacks %q", want)
		}
	}
}

func TestRetry(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	states(t, f)
	ct := "application/x-www-form-urlencoded"
	form := func(csrf, post, target string) string {
		v := url.Values{"csrf": {csrf}}
		if post != "" {
			v.Set("post", post)
		}
		if target != "" {
			v.Set("target", target)
		}
		return v.Encode()
	}
	good := form(f.srv.csrf, post30, "lab")
	h := func(kv ...string) map[string]string {
		m := map[string]string{"Content-Type": ct}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	auth := "Bearer " + token
	for _, tc := range []struct {
		name   string
		r      req
		status int
	}{
		{"no token, remote", req{body: good, header: h()}, 401},
		{"no token, loopback", req{remote: "127.0.0.1:1", body: good, header: h()}, 401},
		{"wrong token", req{body: good, header: h("Authorization", "Bearer nope")}, 401},
		{"no csrf", req{body: form("", post30, "lab"), header: h("Authorization", auth)}, 403},
		{"wrong csrf", req{body: form("0000", post30, "lab"), header: h("Authorization", auth)}, 403},
		{"csrf in the query only", req{target: "/posts/2025-09-30/retry?csrf=" + f.srv.csrf, body: form("", post30, "lab"), header: h("Authorization", auth)}, 403},
		{"cross-site", req{body: good, header: h("Authorization", auth, "Sec-Fetch-Site", "cross-site")}, 403},
		{"foreign origin", req{body: good, header: h("Cookie", cookieName+"="+sessionValue(token), "Origin", "https://evil.example")}, 403},
		{"bad date", req{target: "/posts/2025-02-30/retry", body: good, header: h("Authorization", auth)}, 400},
		{"unknown post", req{body: form(f.srv.csrf, "_posts/2025-09-30-nope.md", "lab"), header: h("Authorization", auth)}, 404},
		{"path outside the posts", req{body: form(f.srv.csrf, "../../../etc/2025-09-30-passwd", "lab"), header: h("Authorization", auth)}, 404},
		{"post of another day", req{target: "/posts/2025-09-29/retry", body: good, header: h("Authorization", auth)}, 404},
		{"day without posts", req{target: "/posts/2024-01-01/retry", body: form(f.srv.csrf, "", "lab"), header: h("Authorization", auth)}, 404},
		{"unknown target", req{body: form(f.srv.csrf, post30, "nope"), header: h("Authorization", auth)}, 404},
		{"no target", req{body: form(f.srv.csrf, post30, ""), header: h("Authorization", auth)}, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.r
			r.method = "POST"
			if r.target == "" {
				r.target = "/posts/2025-09-30/retry"
			}
			if w := f.do(t, r); w.Code != tc.status {
				t.Errorf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if got, ran := f.engine.noRetry(); ran {
				t.Errorf("retry of %s ran", got)
			}
		})
	}
	// The real thing: a same-origin form post with the cookie, and curl
	// with the token; each retries exactly the pair asked for.
	for _, hd := range []map[string]string{
		h("Cookie", cookieName+"="+sessionValue(token), "Origin", "http://example.com", "Sec-Fetch-Site", "same-origin"),
		h("Authorization", auth),
	} {
		w := f.do(t, req{method: "POST", target: "/posts/2025-09-30/retry", body: good, header: hd})
		if w.Code != 303 || w.Header().Get("Location") != "/" {
			t.Fatalf("retry: %d %q %s", w.Code, w.Header().Get("Location"), w.Body)
		}
		if got := <-f.engine.retries; got != [2]string{post30, "lab"} {
			t.Errorf("retried %v", got)
		}
		if got, ran := f.engine.noRetry(); ran {
			t.Errorf("a second retry ran: %s", got)
		}
	}
	// The day's only post when the form names none; back to the preview.
	w := f.do(t, req{method: "POST", target: "/posts/2025-09-29/retry", body: url.Values{"csrf": {f.srv.csrf}, "target": {"team"}, "back": {"post"}}.Encode(), header: h("Authorization", auth)})
	if w.Code != 303 || w.Header().Get("Location") != "/posts/2025-09-29" || <-f.engine.retries != [2]string{post29, "team"} {
		t.Errorf("retry by day: %d %q", w.Code, w.Header().Get("Location"))
	}
	// The engine's answer maps to a status.
	for _, tc := range []struct {
		err    error
		status int
	}{
		{bot.Errorf(bot.ECONFLICT, "already sending"), 409},
		{bot.Errorf(bot.ENOTFOUND, "no such delivery"), 404},
	} {
		f.engine.retryErr = tc.err
		if w := f.do(t, req{method: "POST", target: "/posts/2025-09-30/retry", body: good, header: h("Authorization", auth)}); w.Code != tc.status {
			t.Errorf("engine says %v: %d", tc.err, w.Code)
		}
	}
	g := newFixture(t, func(c *Config) { c.Engine = nil })
	if w := g.do(t, req{method: "POST", target: "/posts/2025-09-30/retry", body: form(g.srv.csrf, post30, "lab"), header: h("Authorization", auth)}); w.Code != 503 {
		t.Errorf("no engine: %d", w.Code)
	}
	big := newFixture(t, func(c *Config) { c.MaxBodyBytes = 256 })
	body := url.Values{"csrf": {big.srv.csrf}, "post": {strings.Repeat("p", 1000)}}.Encode()
	if w := big.do(t, req{method: "POST", target: "/posts/2025-09-30/retry", body: body, header: h("Authorization", auth)}); w.Code != 413 {
		t.Errorf("big form: %d", w.Code)
	}
}
