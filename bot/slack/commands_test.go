package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/slack/slackfake"
	"github.com/paperbot/paperbot/formatter"
)

const testSecret = "test-signing-secret"

// countingStore counts the lookups a request causes, to prove "no effect".
type countingStore struct {
	bot.Store
	calls atomic.Int64
	delay time.Duration
}

func (s *countingStore) Paper(ctx context.Context, id bot.ArxivID) (*bot.PaperHit, error) {
	s.calls.Add(1)
	if s.delay > 0 {
		time.Sleep(s.delay)
	}
	return s.Store.Paper(ctx, id)
}

func (s *countingStore) SearchPapers(ctx context.Context, q string, limit int) ([]bot.PaperHit, error) {
	s.calls.Add(1)
	return s.Store.SearchPapers(ctx, q, limit)
}

func (s *countingStore) LatestPost(ctx context.Context) (*bot.Digest, error) {
	s.calls.Add(1)
	return s.Store.LatestPost(ctx)
}

type env struct {
	f     *slackfake.Server
	store *countingStore
	h     *Handler
	mux   *http.ServeMux
}

func newEnv(t testing.TB, details formatter.SlackDetails, posts ...*bot.Digest) *env {
	t.Helper()
	f := newFake(t)
	st := &countingStore{Store: newStore(t, posts...)}
	h := NewHandler(HandlerConfig{
		Client:        f.Client(),
		SigningSecret: testSecret,
		Commands:      &bot.Commands{Store: st},
		Details:       details,
	}, nil)
	mux := http.NewServeMux()
	h.Register(mux)
	return &env{f: f, store: st, h: h, mux: mux}
}

func commandForm(f *slackfake.Server, command, text string) url.Values {
	return url.Values{
		"token": {"legacy"}, "team_id": {"T1"}, "channel_id": {"C1"}, "user_id": {"U1"},
		"command": {command}, "text": {text}, "response_url": {f.ResponseURL("cmd")},
		"trigger_id": {"1.2.3"},
	}
}

func signedRequest(path string, body []byte, secret string, at time.Time) *http.Request {
	r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	ts := strconv.FormatInt(at.Unix(), 10)
	r.Header.Set(timestampHeader, ts)
	r.Header.Set(signatureHeader, Sign(secret, ts, body))
	return r
}

// command runs a signed slash command and returns the decoded answer.
func (e *env) command(t testing.TB, command, text string) (*slack.Msg, json.RawMessage) {
	t.Helper()
	body := []byte(commandForm(e.f, command, text).Encode())
	w := httptest.NewRecorder()
	e.mux.ServeHTTP(w, signedRequest("/slack/commands", body, testSecret, time.Now()))
	if w.Code != http.StatusOK {
		t.Fatalf("%s %s: HTTP %d %s", command, text, w.Code, w.Body)
	}
	var m slack.Msg
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("decode answer: %v\n%s", err, w.Body)
	}
	return &m, w.Body.Bytes()
}

// checkMsg asserts an answer is ephemeral and within Slack's limits.
func checkMsg(t testing.TB, m *slack.Msg) {
	t.Helper()
	if m.ResponseType != slack.ResponseTypeEphemeral {
		t.Errorf("response_type %q, want ephemeral", m.ResponseType)
	}
	if err := formatter.CheckSlackMessage(formatter.SlackMessage{Text: m.Text, Blocks: m.Blocks.BlockSet}); err != nil {
		t.Errorf("answer breaks the limits: %v", err)
	}
}

func TestSignatureWorkedExample(t *testing.T) {
	t.Parallel()
	// Slack's documented example (api.slack.com, "Verifying requests from Slack").
	const (
		secret = "8f742231b10e8888abcd99yyyzzz85a5"
		ts     = "1531420618"
		body   = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
		want   = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
	)
	if got := Sign(secret, ts, []byte(body)); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	h := http.Header{}
	h.Set(timestampHeader, ts)
	h.Set(signatureHeader, want)
	if err := Verify(secret, h, []byte(body), time.Unix(1531420618+60, 0)); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if err := Verify(secret, h, []byte(body+"x"), time.Unix(1531420618, 0)); err == nil {
		t.Error("Verify accepted a changed body")
	}
}

func TestSignatureRequests(t *testing.T) {
	t.Parallel()
	d := exampleDigest("2025-10-01", 2, false)
	e := newEnv(t, formatter.SlackContainer, d)
	body := []byte(commandForm(e.f, "/paper", "2509.10001").Encode())
	now := time.Now()
	big := append([]byte("text="), bytes.Repeat([]byte("a"), DefaultMaxBody)...)
	cases := []struct {
		name string
		req  func() *http.Request
		want int
	}{
		{"valid", func() *http.Request { return signedRequest("/slack/commands", body, testSecret, now) }, 200},
		{"wrong signature", func() *http.Request { return signedRequest("/slack/commands", body, "other-secret", now) }, 401},
		{"tampered body", func() *http.Request {
			r := signedRequest("/slack/commands", body, testSecret, now)
			r.Body = httpBody(append(bytes.Clone(body), '&', 'x'))
			return r
		}, 401},
		{"missing signature", func() *http.Request {
			r := signedRequest("/slack/commands", body, testSecret, now)
			r.Header.Del(signatureHeader)
			return r
		}, 401},
		{"missing timestamp", func() *http.Request {
			r := signedRequest("/slack/commands", body, testSecret, now)
			r.Header.Del(timestampHeader)
			return r
		}, 401},
		{"timestamp 6 minutes old", func() *http.Request {
			return signedRequest("/slack/commands", body, testSecret, now.Add(-6*time.Minute))
		}, 401},
		{"timestamp 6 minutes ahead", func() *http.Request {
			return signedRequest("/slack/commands", body, testSecret, now.Add(6*time.Minute))
		}, 401},
		{"body over the cap", func() *http.Request { return signedRequest("/slack/commands", big, testSecret, now) }, 413},
		{"interactions wrong signature", func() *http.Request {
			return signedRequest("/slack/interactions", []byte("payload=%7B%7D"), "other", now)
		}, 401},
		{"interactions over the cap", func() *http.Request { return signedRequest("/slack/interactions", big, testSecret, now) }, 413},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.store.calls.Load()
			w := httptest.NewRecorder()
			e.mux.ServeHTTP(w, tc.req())
			e.h.Wait()
			if w.Code != tc.want {
				t.Fatalf("HTTP %d, want %d", w.Code, tc.want)
			}
			effect := e.store.calls.Load() - before
			if tc.want != 200 && (effect != 0 || len(e.f.Responses()) != 0 || len(e.f.Calls("")) != 0) {
				t.Errorf("refused request had an effect: %d lookups, %d responses, %d API calls", effect, len(e.f.Responses()), len(e.f.Calls("")))
			}
			if tc.want == 200 && effect != 1 {
				t.Errorf("valid request made %d lookups, want 1", effect)
			}
		})
	}
}

func httpBody(b []byte) *readCloser { return &readCloser{bytes.NewReader(b)} }

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

func TestPaperCommands(t *testing.T) {
	t.Parallel()
	d := exampleDigest("2025-10-01", 3, false)
	e := newEnv(t, formatter.SlackContainer, d, exampleDigest("2025-09-30", 2, false))

	m, raw := e.command(t, "/paper", "2509.10002")
	checkMsg(t, m)
	if !strings.Contains(string(raw), "https://arxiv.org/abs/2509.10002") || !strings.Contains(string(raw), `"share"`) || !strings.Contains(string(raw), "paper:2509.10002") {
		t.Errorf("card lacks link or share button: %s", raw)
	}
	if !strings.Contains(string(raw), "2025-10-01") {
		t.Errorf("card lacks the post date: %s", raw)
	}

	m, raw = e.command(t, "/paper", "https://arxiv.org/abs/2509.10001v2")
	checkMsg(t, m)
	if !strings.Contains(string(raw), "2509.10001") {
		t.Errorf("URL lookup: %s", raw)
	}

	m, raw = e.command(t, "/paper", "sparse attention")
	checkMsg(t, m)
	if n := strings.Count(string(raw), "https://arxiv.org/abs/"); n != 5 {
		t.Errorf("search lists %d links, want 5: %s", n, raw)
	}

	for _, text := range []string{"", "help"} {
		m, raw = e.command(t, "/paper", text)
		checkMsg(t, m)
		if !strings.Contains(string(raw), "Usage") {
			t.Errorf("/paper %q: %s", text, raw)
		}
	}

	m, raw = e.command(t, "/paper", "2401.99999")
	checkMsg(t, m)
	if !strings.Contains(string(raw), "2401.99999") || !strings.Contains(strings.ToLower(string(raw)), "no paper") {
		t.Errorf("not found does not name the id: %s", raw)
	}
	m, raw = e.command(t, "/paper", "nonexistent gibberish")
	checkMsg(t, m)
	if !strings.Contains(string(raw), "nonexistent gibberish") {
		t.Errorf("not found does not name the words: %s", raw)
	}
}

// A store failure is a generic sentence for the user; details stay in the log.
type brokenStore struct{ bot.Store }

func (brokenStore) Paper(context.Context, bot.ArxivID) (*bot.PaperHit, error) {
	return nil, fmt.Errorf("dial tcp 10.0.0.5:5432: password=hunter2 refused")
}

func TestInternalErrorHidden(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	h := NewHandler(HandlerConfig{Client: f.Client(), SigningSecret: testSecret, Commands: &bot.Commands{Store: brokenStore{newStore(t)}}}, nil)
	mux := http.NewServeMux()
	h.Register(mux)
	e := &env{f: f, h: h, mux: mux}
	m, raw := e.command(t, "/paper", "2509.10001")
	checkMsg(t, m)
	if strings.Contains(string(raw), "hunter2") || strings.Contains(string(raw), "10.0.0.5") {
		t.Fatalf("internal details leaked: %s", raw)
	}
}

func TestPaperPermalink(t *testing.T) {
	t.Parallel()
	d := exampleDigest("2025-10-01", 16, true)
	e := newEnv(t, formatter.SlackContainer, d)
	tg := newTarget(e.f, formatter.SlackContainer, nil)
	ctx := context.Background()
	refs, err := tg.Post(ctx, d, "k")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.PutDelivery(ctx, &bot.Delivery{Post: d.Path, Target: "team", Key: "k", State: bot.DeliverySent, Hash: d.Hash, Refs: refs}); err != nil {
		t.Fatal(err)
	}
	msgs := formatter.Slack(d, formatter.SlackOptions{})
	i := messageWithPaper(msgs, 16)
	m, raw := e.command(t, "/paper", "2509.10016")
	checkMsg(t, m)
	want := "/archives/C1/p" + strings.ReplaceAll(refs[i].ID, ".", "")
	if !strings.Contains(string(raw), want) {
		t.Errorf("card lacks permalink %s to message %d: %s", want, i, raw)
	}
	// Another channel: no permalink.
	body := commandForm(e.f, "/paper", "2509.10016")
	body.Set("channel_id", "C2")
	w := httptest.NewRecorder()
	e.mux.ServeHTTP(w, signedRequest("/slack/commands", []byte(body.Encode()), testSecret, time.Now()))
	if strings.Contains(w.Body.String(), "/archives/") {
		t.Errorf("permalink shown in another channel: %s", w.Body)
	}
}

func TestDigestCommand(t *testing.T) {
	t.Parallel()
	long := exampleDigest("2025-10-01", 16, true)
	e := newEnv(t, formatter.SlackContainer, long, exampleDigest("2025-09-30", 2, false))
	want := formatter.Slack(long, formatter.SlackOptions{})

	m, raw := e.command(t, "/digest", "2025-10-01")
	checkMsg(t, m)
	e.h.Wait()
	rest := e.f.Responses()
	if len(rest) != len(want)-1 && len(rest) != len(want) {
		t.Fatalf("digest of %d messages: 1 answer + %d follow-ups", len(want), len(rest))
	}
	all := []json.RawMessage{raw}
	for _, r := range rest {
		checkMsg(t, &r.Msg)
		if r.Msg.ReplaceOriginal {
			t.Error("follow-up replaces the first answer")
		}
		all = append(all, r.Raw)
	}
	if !bytes.Contains(all[len(all)-1], []byte("digest:2025-10-01")) {
		t.Errorf("last message lacks the share button")
	}

	for _, arg := range []string{"", "latest"} {
		m, raw = e.command(t, "/digest", arg)
		checkMsg(t, m)
		if !strings.Contains(string(raw), "2025-10-01") {
			t.Errorf("/digest %q is not the latest: %.300s", arg, raw)
		}
	}
	e.h.Wait()
	m, raw = e.command(t, "/digest", "2025-09-30")
	checkMsg(t, m)
	if !strings.Contains(string(raw), "digest:2025-09-30") {
		t.Errorf("short digest lacks share button: %.500s", raw)
	}
	for arg, want := range map[string]string{"2020-01-01": "No post for 2020-01-01", "yesterday": "not a date", "help": "Usage"} {
		m, raw = e.command(t, "/digest", arg)
		checkMsg(t, m)
		if !strings.Contains(string(raw), want) {
			t.Errorf("/digest %s: %s", arg, raw)
		}
	}
}

func TestSlowCommandAnswersThroughResponseURL(t *testing.T) {
	t.Parallel()
	d := exampleDigest("2025-10-01", 2, false)
	e := newEnv(t, formatter.SlackContainer, d)
	e.store.delay = 300 * time.Millisecond
	e.h.cfg.AnswerWithin = 50 * time.Millisecond
	start := time.Now()
	m, _ := e.command(t, "/paper", "2509.10001")
	if el := time.Since(start); el > 250*time.Millisecond {
		t.Errorf("answer took %v", el)
	}
	if m.Text != workingText {
		t.Errorf("interim answer %q", m.Text)
	}
	checkMsg(t, m)
	e.h.Wait()
	rs := e.f.Responses()
	if len(rs) != 1 || !rs[0].Msg.ReplaceOriginal || !strings.Contains(string(rs[0].Raw), "2509.10001") {
		t.Fatalf("follow-up %+v", rs)
	}
	checkMsg(t, &rs[0].Msg)
}

// TestFixturePapers: /paper answers each of the real post's 16 ids.
func TestFixturePapers(t *testing.T) {
	t.Parallel()
	d := fixtureDigest(t)
	e := newEnv(t, formatter.SlackContainer, d)
	ids := 0
	for _, p := range d.Papers {
		if p.ID == "" {
			continue
		}
		ids++
		m, raw := e.command(t, "/paper", string(p.ID))
		checkMsg(t, m)
		if !strings.Contains(string(raw), p.ID.AbsURL()) || !strings.Contains(string(raw), "paper:"+string(p.ID)) {
			t.Errorf("/paper %s: answer is not that paper: %.300s", p.ID, raw)
		}
		// Same through the alphaxiv URL when the post has one.
		if p.AlphaxivURL != "" {
			m, raw = e.command(t, "/paper", p.AlphaxivURL)
			checkMsg(t, m)
			if !strings.Contains(string(raw), p.ID.AbsURL()) {
				t.Errorf("/paper %s: %.300s", p.AlphaxivURL, raw)
			}
		}
	}
	if ids != 16 {
		t.Errorf("fixture has %d ids, want 16", ids)
	}
	for _, details := range []formatter.SlackDetails{formatter.SlackButtons, formatter.SlackThread, formatter.SlackInline} {
		e := newEnv(t, details, d)
		m, _ := e.command(t, "/digest", d.Day())
		checkMsg(t, m)
		m, _ = e.command(t, "/paper", string(d.Papers[0].ID))
		checkMsg(t, m)
		e.h.Wait()
		for _, r := range e.f.Responses() {
			checkMsg(t, &r.Msg)
		}
	}
}
