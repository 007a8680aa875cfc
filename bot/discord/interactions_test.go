package discord

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/formatter"
)

var testNow = time.Date(2025, 10, 1, 9, 0, 0, 0, time.UTC)

type signer struct {
	pub  ed25519.PublicKey
	priv ed25519.PrivateKey
}

func newSigner(t testing.TB) signer {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return signer{pub, priv}
}

// request builds a signed interaction request at time at.
func (s signer) request(body []byte, at time.Time) *http.Request {
	ts := strconv.FormatInt(at.Unix(), 10)
	r := httptest.NewRequest(http.MethodPost, "/discord/interactions", bytes.NewReader(body))
	r.Header.Set("X-Signature-Timestamp", ts)
	r.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(s.priv, append([]byte(ts), body...))))
	r.Header.Set("Content-Type", "application/json")
	return r
}

func newHandler(s signer, st bot.Store, details formatter.DiscordDetails) *Interactions {
	return NewInteractions(InteractionsConfig{
		PublicKey: s.pub,
		Commands:  &bot.Commands{Store: st},
		Details:   details,
		SiteURL:   "https://blog.example.org",
		Now:       func() time.Time { return testNow },
	}, nil)
}

// answer is an interaction response as Discord reads it.
type answer struct {
	Type discordgo.InteractionResponseType `json:"type"`
	Data *struct {
		Content    string                    `json:"content"`
		Embeds     []*discordgo.MessageEmbed `json:"embeds"`
		Components []json.RawMessage         `json:"components"`
		Flags      int                       `json:"flags"`
	} `json:"data"`
}

// message is the answer as a MessageSend, for the limit check.
func (a *answer) message(t testing.TB) *discordgo.MessageSend {
	t.Helper()
	m := &discordgo.MessageSend{Content: a.Data.Content, Embeds: a.Data.Embeds}
	for _, raw := range a.Data.Components {
		c, err := discordgo.MessageComponentFromJSON(raw)
		if err != nil {
			t.Fatalf("component: %v", err)
		}
		m.Components = append(m.Components, c)
	}
	return m
}

func (a *answer) text() string {
	var b strings.Builder
	b.WriteString(a.Data.Content)
	for _, e := range a.Data.Embeds {
		b.WriteString("\n" + e.Title + "\n" + e.URL + "\n" + e.Description)
		for _, f := range e.Fields {
			b.WriteString("\n" + f.Name + "\n" + f.Value)
		}
		if e.Footer != nil {
			b.WriteString("\n" + e.Footer.Text)
		}
	}
	return b.String()
}

// do sends a signed interaction and decodes the ephemeral answer, which
// must pass Discord's limits.
func do(t testing.TB, h http.Handler, s signer, v any) *answer {
	t.Helper()
	body, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, s.request(body, testNow))
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var a answer
	if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
		t.Fatalf("decode answer: %v", err)
	}
	if a.Type == discordgo.InteractionResponsePong {
		return &a
	}
	if a.Type != discordgo.InteractionResponseChannelMessageWithSource || a.Data == nil {
		t.Fatalf("answer type %d", a.Type)
	}
	if a.Data.Flags&int(discordgo.MessageFlagsEphemeral) == 0 {
		t.Errorf("answer is not ephemeral")
	}
	if err := formatter.CheckDiscordMessage(a.message(t)); err != nil {
		t.Errorf("answer breaks the limits: %v", err)
	}
	return &a
}

func command(name, opt, value string) map[string]any {
	data := map[string]any{"id": "1", "name": name, "type": 1}
	if opt != "" {
		data["options"] = []map[string]any{{"name": opt, "type": 3, "value": value}}
	}
	return map[string]any{"id": "9", "application_id": "7", "type": 2, "token": "tok", "version": 1, "data": data}
}

func button(customID string) map[string]any {
	return map[string]any{"id": "9", "application_id": "7", "type": 3, "token": "tok", "version": 1,
		"data": map[string]any{"custom_id": customID, "component_type": 2}}
}

func TestPingPong(t *testing.T) {
	t.Parallel()
	s := newSigner(t)
	h := newHandler(s, newStore(t), "")
	a := do(t, h, s, map[string]any{"id": "1", "application_id": "7", "type": 1, "token": "t", "version": 1})
	if a.Type != discordgo.InteractionResponsePong {
		t.Fatalf("PING answered with type %d", a.Type)
	}
}

func TestRequestsRefused(t *testing.T) {
	t.Parallel()
	s := newSigner(t)
	other := newSigner(t)
	h := newHandler(s, newStore(t), "")
	body := []byte(`{"id":"1","application_id":"7","type":1,"token":"t","version":1}`)
	// signed is a correctly signed request that edit then spoils.
	signed := func(edit func(r *http.Request)) func() *http.Request {
		return func() *http.Request {
			r := s.request(body, testNow)
			edit(r)
			return r
		}
	}
	cases := []struct {
		name   string
		req    func() *http.Request
		status int
	}{
		{"other key", func() *http.Request { return other.request(body, testNow) }, 401},
		{"stale", func() *http.Request { return s.request(body, testNow.Add(-6*time.Minute)) }, 401},
		{"future", func() *http.Request { return s.request(body, testNow.Add(6*time.Minute)) }, 401},
		{"no headers", func() *http.Request {
			return httptest.NewRequest("POST", "/discord/interactions", bytes.NewReader(body))
		}, 401},
		{"no signature", signed(func(r *http.Request) { r.Header.Del("X-Signature-Ed25519") }), 401},
		{"bad hex", signed(func(r *http.Request) { r.Header.Set("X-Signature-Ed25519", "zz") }), 401},
		{"tampered body", signed(func(r *http.Request) {
			r.Body = ioNop(bytes.Replace(body, []byte(`"type":1`), []byte(`"type":2`), 1))
		}), 401},
		{"timestamp not a number", signed(func(r *http.Request) { r.Header.Set("X-Signature-Timestamp", "yesterday") }), 401},
		{"oversize", func() *http.Request {
			big := append([]byte(`{"type":1,"pad":"`), bytes.Repeat([]byte("x"), DefaultMaxBody)...)
			big = append(big, `"}`...)
			return s.request(big, testNow)
		}, 413},
		{"GET", func() *http.Request { return httptest.NewRequest("GET", "/discord/interactions", nil) }, 405},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, c.req())
			if w.Code != c.status {
				t.Fatalf("status %d, want %d", w.Code, c.status)
			}
			if strings.Contains(w.Body.String(), `"type"`) {
				t.Errorf("refused request got an answer: %s", w.Body)
			}
		})
	}
}

func ioNop(b []byte) *nopCloser { return &nopCloser{bytes.NewReader(b)} }

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

func TestPaperCommandFixture(t *testing.T) {
	t.Parallel()
	st, posts := fixtureStore(t)
	s := newSigner(t)
	seen := 0
	for _, details := range []formatter.DiscordDetails{formatter.DiscordSpoiler, formatter.DiscordButtons, formatter.DiscordInline} {
		h := newHandler(s, st, details)
		for _, d := range posts {
			for _, p := range d.Papers {
				if p.ID == "" {
					continue
				}
				seen++
				a := do(t, h, s, command("paper", "query", string(p.ID)))
				if len(a.Data.Embeds) == 0 || a.Data.Embeds[0].URL != p.Link() {
					t.Errorf("/paper %s (%s): wrong paper: %.200s", p.ID, details, a.text())
				}
				if !strings.Contains(a.text(), "arXiv:"+string(p.ID)) {
					t.Errorf("/paper %s: the id is not shown", p.ID)
				}
				// The Details button of buttons mode answers with the sections.
				for _, raw := range a.Data.Components {
					c, _ := discordgo.MessageComponentFromJSON(raw)
					row, _ := c.(*discordgo.ActionsRow)
					if row == nil || len(row.Components) == 0 {
						continue
					}
					btn, _ := row.Components[0].(*discordgo.Button)
					if btn == nil {
						continue
					}
					da := do(t, h, s, button(btn.CustomID))
					if len(da.Data.Embeds) == 0 || da.Data.Embeds[0].URL != p.Link() || len(da.Data.Embeds[0].Fields) == 0 {
						t.Errorf("details of %s: %.200s", p.ID, da.text())
					}
				}
			}
		}
	}
	if seen != 3*16 {
		t.Errorf("fixture has %d papers with ids, want 16", seen/3)
	}
}

func TestDetailsButtonEveryPaper(t *testing.T) {
	t.Parallel()
	st, posts := fixtureStore(t)
	s := newSigner(t)
	h := newHandler(s, st, formatter.DiscordButtons)
	for _, d := range posts {
		for _, p := range d.Papers {
			a := do(t, h, s, button(formatter.DiscordDetailsID(d.Day(), p.Number)))
			if len(a.Data.Embeds) == 0 || a.Data.Embeds[0].URL != p.Link() {
				t.Errorf("details %s #%d: %.200s", d.Day(), p.Number, a.text())
			}
			for _, f := range a.Data.Embeds[0].Fields {
				if strings.HasPrefix(f.Value, "||") {
					t.Errorf("details answer hides sections in spoilers")
				}
			}
		}
	}
	a := do(t, h, s, button(formatter.DiscordDetailsID("1999-01-01", 1)))
	if !strings.Contains(a.Data.Content, "no longer") {
		t.Errorf("unknown paper: %q", a.Data.Content)
	}
	a = do(t, h, s, button("something_else:1"))
	if a.Data.Content == "" {
		t.Errorf("foreign button got no answer")
	}
}

func TestCommandsExample(t *testing.T) {
	t.Parallel()
	d1 := exampleDigest("2025-01-02", 16, true)
	d2 := exampleDigest("2025-01-03", 2, false)
	d2.Papers[1].Title = "Quantum widgets for everyone"
	st := newStore(t, d1, d2)
	s := newSigner(t)
	h := newHandler(s, st, "")
	cases := []struct {
		name, cmd, opt, value string
		want                  string
	}{
		{"paper by id", "paper", "query", "2509.10001", "arXiv:2509.10001"},
		{"paper by url", "paper", "query", "https://arxiv.org/abs/2509.10002v3", "arXiv:2509.10002"},
		{"unknown id", "paper", "query", "2401.99999", "No paper with arXiv id 2401.99999"},
		{"search", "paper", "query", "quantum widgets", "Quantum widgets for everyone"},
		{"search many", "paper", "query", "sparse attention", "Papers matching"},
		{"search none", "paper", "query", "zebra crossing", "No paper matches"},
		{"help", "paper", "", "", "Usage: /paper"},
		{"digest latest", "digest", "date", "latest", "Daily Papers 2025-01-03"},
		{"digest default", "digest", "", "", "Daily Papers 2025-01-03"},
		{"digest date", "digest", "date", "2025-01-02", "Daily Papers 2025-01-02"},
		{"digest bad date", "digest", "date", "tomorrow", "is not a date"},
		{"digest none", "digest", "date", "2024-01-01", "No post for 2024-01-01"},
		{"unknown command", "weather", "", "", "Unknown command"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := do(t, h, s, command(c.cmd, c.opt, c.value))
			if !strings.Contains(a.text(), c.want) {
				t.Errorf("answer lacks %q:\n%.400s", c.want, a.text())
			}
		})
	}
}

// TestDigestPartNote: a digest longer than one message (spoiler mode, 16
// long papers) answers with its first part and says so.
func TestDigestPartNote(t *testing.T) {
	t.Parallel()
	st := newStore(t, exampleDigest("2025-01-02", 16, true))
	s := newSigner(t)
	h := newHandler(s, st, formatter.DiscordSpoiler)
	a := do(t, h, s, command("digest", "date", "2025-01-02"))
	if !strings.Contains(a.text(), "part 1 of") {
		t.Errorf("answer lacks the part note:\n%.400s", a.text())
	}
}

func TestBadBodies(t *testing.T) {
	t.Parallel()
	s := newSigner(t)
	h := newHandler(s, newStore(t), "")
	for _, body := range []string{``, `{`, `[]`, `{"type":2}`, `{"type":3,"data":null}`, `{"type":99}`, `{"type":2,"data":{"name":"paper","options":[{"name":"query","type":4,"value":5}]}}`} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, s.request([]byte(body), testNow))
		if w.Code != 200 && w.Code != 400 {
			t.Errorf("%s: status %d", body, w.Code)
		}
	}
}

func FuzzInteraction(f *testing.F) {
	for _, seed := range []string{
		`{"type":1}`,
		`{"type":2,"data":{"name":"paper","options":[{"name":"query","type":3,"value":"2509.10001"}]}}`,
		`{"type":2,"data":{"name":"digest","options":[{"name":"date","type":3,"value":"latest"}]}}`,
		`{"type":3,"data":{"custom_id":"paper_details:2025-01-02:1","component_type":2}}`,
		`{"type":3,"data":{"custom_id":"paper_details:::::","component_type":2}}`,
		`{"type":2,"data":{"name":"paper","options":[{"name":"query","type":4,"value":{"x":1}}]}}`,
		`{"type":3,"message":{"components":[{"type":1,"components":[{"type":2}]}]}}`,
	} {
		f.Add([]byte(seed))
	}
	s := newSigner(f)
	h := newHandler(s, newStore(f, exampleDigest("2025-01-02", 3, false)), formatter.DiscordButtons)
	f.Fuzz(func(t *testing.T, body []byte) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, s.request(body, testNow))
		if w.Code != 200 && w.Code != 400 && w.Code != 413 {
			t.Fatalf("status %d", w.Code)
		}
		if w.Code == 200 {
			var a answer
			if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
				t.Fatalf("answer not JSON: %v", err)
			}
			if a.Data != nil {
				if err := formatter.CheckDiscordMessage(a.message(t)); err != nil {
					t.Fatalf("answer breaks limits: %v", err)
				}
			}
		}
	})
}

func TestRegisterCommands(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	sess := newSession(t, f)
	if err := RegisterCommands(ctxT(t), sess, "700", []string{"11", "12"}); err != nil {
		t.Fatalf("register: %v (%v)", err, f.Rejects())
	}
	for _, g := range []string{"11", "12"} {
		cmds := f.Commands("700", g)
		if len(cmds) != 2 || cmds[0].Name != "paper" || cmds[1].Name != "digest" {
			t.Fatalf("guild %s: %v", g, cmds)
		}
		if o := cmds[0].Options; len(o) != 1 || o[0].Name != "query" || !o[0].Required || o[0].Type != discordgo.ApplicationCommandOptionString {
			t.Errorf("/paper options %+v", o)
		}
		if o := cmds[1].Options; len(o) != 1 || o[0].Name != "date" || o[0].Required {
			t.Errorf("/digest options %+v", o)
		}
	}
	if f.Commands("700", "") != nil {
		t.Errorf("guild registration also registered globally")
	}
	f.RateLimitNext(1, 10*time.Millisecond)
	if err := RegisterCommands(ctxT(t), sess, "700", nil); err != nil {
		t.Fatal(err)
	}
	if len(f.Commands("700", "")) != 2 {
		t.Errorf("global registration missing")
	}
	if err := RegisterCommands(ctxT(t), sess, "", nil); err == nil {
		t.Errorf("no app id: want an error")
	}
	bad, _ := NewSession("wrong", f.URL)
	if err := RegisterCommands(ctxT(t), bad, "700", nil); StatusOf(err) != 401 {
		t.Errorf("bad token: %v", err)
	}
}

func TestNewSessionRewrites(t *testing.T) {
	t.Parallel()
	if _, err := NewSession("", ""); err == nil {
		t.Error("empty token accepted")
	}
	if _, err := NewSession("x", "ftp://host"); err == nil {
		t.Error("bad api url accepted")
	}
	s, err := NewSession("Bot abc", "")
	if err != nil || s.Token != "Bot abc" {
		t.Errorf("token %q %v", s.Token, err)
	}
	f := newFake(t)
	sess := newSession(t, f)
	u, err := sess.User("@me")
	if err != nil || u.ID == "" {
		t.Fatalf("users/@me through the rewrite: %v %v", u, err)
	}
	_ = fmt.Sprint()
}
