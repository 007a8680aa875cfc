// Package slackfake is a local stand-in for the Slack Web API, response_url
// endpoints and the Socket Mode websocket, for tests of any package. It
// checks what the real server checks (the bearer or form token, required
// fields, the message limits of DESIGN.md), keeps every channel's messages
// so tests can assert exactly-once delivery, and can be told to answer the
// next calls with 429 + Retry-After, 5xx, a Slack error, or slowly.
package slackfake

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
)

// Message is one message the fake holds, as posted or last updated.
type Message struct {
	Channel  string
	TS       string
	ThreadTS string
	Text     string
	// Blocks is the raw JSON array sent as "blocks".
	Blocks   json.RawMessage
	Metadata *slack.SlackMetadata
	// Updates counts chat.update calls that changed the message.
	Updates int
	Deleted bool
}

// Response is one POST to a response_url.
type Response struct {
	// ID is the last path element of the response_url.
	ID  string
	Msg slack.Msg
	Raw json.RawMessage
}

// Fault is what the fake answers instead of a call's normal reply.
type Fault struct {
	// Method limits the fault to one Web API method ("chat.postMessage");
	// empty matches every method.
	Method string
	// Status is the HTTP status (429, 500, 503...); 0 with Error set means
	// 200 with {"ok":false,"error":Error}.
	Status int
	// RetryAfter is the Retry-After header of a 429, in seconds.
	RetryAfter int
	// Error is a Slack error code ("channel_not_found").
	Error string
	// Delay is waited before the reply (slow replies); with no Status and
	// no Error the call then proceeds normally.
	Delay time.Duration
	// Taken, if set, is closed when the first call takes the fault: a test
	// knows that call is under way without sleeping.
	Taken chan struct{}
}

type pendingFault struct {
	Fault
	left  int
	taken bool
}

// Call is one Web API call the fake received.
type Call struct {
	Method string
	Values url.Values
	// Status is the HTTP status answered; Error the Slack error, if any.
	Status int
	Error  string
}

// Server is the fake. Create it with New; Close it when done.
type Server struct {
	// URL is the server's base (http://127.0.0.1:port).
	URL string
	// Token is the bot token every Web API call must carry.
	Token string
	// AppToken is the app-level token apps.connections.open requires.
	AppToken string

	srv *httptest.Server

	mu        sync.Mutex
	seq       int64
	messages  []*Message
	chanErr   map[string]string
	faults    []*pendingFault
	calls     []Call
	responses []Response
	wsConn    *websocket.Conn
	wsReady   chan struct{}
	wsWrite   sync.Mutex
	acks      map[string]json.RawMessage
	ackCond   chan struct{}
	envSeq    int
}

// New starts a fake that accepts token (and app token "xapp-test").
func New(token string) *Server {
	s := &Server{
		Token:    token,
		AppToken: "xapp-test",
		chanErr:  map[string]string{},
		acks:     map[string]json.RawMessage{},
		wsReady:  make(chan struct{}),
		ackCond:  make(chan struct{}),
		seq:      time.Now().UnixMicro(),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/{method}", s.api)
	mux.HandleFunc("POST /response/{id}", s.responseURL)
	mux.HandleFunc("/socket", s.socket)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	return s
}

// Close stops the server and its websocket.
func (s *Server) Close() {
	s.mu.Lock()
	c := s.wsConn
	s.mu.Unlock()
	if c != nil {
		_ = c.Close()
	}
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// APIURL is the Web API base for slack.OptionAPIURL (trailing slash included).
func (s *Server) APIURL() string { return s.URL + "/api/" }

// Client returns a slack-go client for the fake, with the app token set.
func (s *Server) Client(opts ...slack.Option) *slack.Client {
	opts = append([]slack.Option{slack.OptionAPIURL(s.APIURL()), slack.OptionAppLevelToken(s.AppToken)}, opts...)
	return slack.New(s.Token, opts...)
}

// ResponseURL returns a response_url served by the fake; POSTs to it are
// recorded under id.
func (s *Server) ResponseURL(id string) string { return s.URL + "/response/" + url.PathEscape(id) }

// FailNext makes the next n calls that match f.Method answer with f.
func (s *Server) FailNext(n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &pendingFault{Fault: f, left: n})
}

// RateLimitNext answers the next n calls of method ("" any) with 429 and
// Retry-After: retryAfter seconds.
func (s *Server) RateLimitNext(method string, n, retryAfter int) {
	s.FailNext(n, Fault{Method: method, Status: http.StatusTooManyRequests, RetryAfter: retryAfter})
}

// ServerErrorNext answers the next n calls of method ("" any) with status.
func (s *Server) ServerErrorNext(method string, n, status int) {
	s.FailNext(n, Fault{Method: method, Status: status})
}

// SlowNext delays the next n calls of method ("" any) by d.
func (s *Server) SlowNext(method string, n int, d time.Duration) {
	s.FailNext(n, Fault{Method: method, Delay: d})
}

// SetChannelError makes every call naming channel fail with code
// ("channel_not_found", "not_in_channel", "is_archived"); "" clears it.
func (s *Server) SetChannelError(channel, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == "" {
		delete(s.chanErr, channel)
		return
	}
	s.chanErr[channel] = code
}

// Messages returns copies of the live (not deleted) messages of channel in
// the order they were posted.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages {
		if m.Channel == channel && !m.Deleted {
			out = append(out, *m)
		}
	}
	return out
}

// AllMessages returns copies of every message ever posted, deleted ones too.
func (s *Server) AllMessages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, len(s.messages))
	for i, m := range s.messages {
		out[i] = *m
	}
	return out
}

// Calls returns the calls of method ("" all) received so far.
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// Responses returns the response_url posts received so far.
func (s *Server) Responses() []Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.responses)
}

// WaitResponses waits until at least n response_url posts arrived.
func (s *Server) WaitResponses(ctx context.Context, n int) ([]Response, error) {
	for {
		if r := s.Responses(); len(r) >= n {
			return r, nil
		}
		select {
		case <-ctx.Done():
			return s.Responses(), fmt.Errorf("waiting for %d responses: %w", n, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func (s *Server) takeFault(method string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.Method != "" && f.Method != method {
			continue
		}
		out := f.Fault
		if f.Taken != nil && !f.taken {
			f.taken = true
			close(f.Taken)
		}
		f.left--
		if f.left <= 0 {
			s.faults = slices.Delete(s.faults, i, i+1)
		}
		return &out
	}
	return nil
}

func (s *Server) record(c Call) {
	s.mu.Lock()
	s.calls = append(s.calls, c)
	s.mu.Unlock()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func slackErr(code string) map[string]any { return map[string]any{"ok": false, "error": code} }

// readValues reads a form (query + body) or JSON body into url.Values.
func readValues(r *http.Request) (url.Values, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
		if err != nil {
			return nil, err
		}
		v := r.URL.Query()
		if len(body) == 0 {
			return v, nil
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, err
		}
		for k, x := range m {
			switch x := x.(type) {
			case string:
				v.Set(k, x)
			default:
				raw, _ := json.Marshal(x)
				v.Set(k, string(raw))
			}
		}
		return v, nil
	}
	if err := r.ParseForm(); err != nil {
		return nil, err
	}
	return r.Form, nil
}

func (s *Server) api(w http.ResponseWriter, r *http.Request) {
	method := r.PathValue("method")
	vals, err := readValues(r)
	if err != nil {
		s.record(Call{Method: method, Status: 400, Error: "invalid_form_data"})
		writeJSON(w, 200, slackErr("invalid_form_data"))
		return
	}
	call := Call{Method: method, Values: vals, Status: 200}
	defer func() { s.record(call) }()

	if f := s.takeFault(method); f != nil {
		if f.Delay > 0 {
			select {
			case <-time.After(f.Delay):
			case <-r.Context().Done():
				call.Status, call.Error = 0, "client gone"
				return
			}
		}
		switch {
		case f.Status == http.StatusTooManyRequests:
			w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
			call.Status = f.Status
			writeJSON(w, f.Status, slackErr("ratelimited"))
			return
		case f.Status != 0:
			call.Status = f.Status
			w.WriteHeader(f.Status)
			_, _ = io.WriteString(w, "<html>server error</html>")
			return
		case f.Error != "":
			call.Error = f.Error
			writeJSON(w, 200, slackErr(f.Error))
			return
		}
	}

	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if token == "" {
		token = vals.Get("token")
	}
	want := s.Token
	if method == "apps.connections.open" {
		want = s.AppToken
	}
	if token == "" {
		call.Error = "not_authed"
		writeJSON(w, 200, slackErr(call.Error))
		return
	}
	if token != want {
		call.Error = "invalid_auth"
		writeJSON(w, 200, slackErr(call.Error))
		return
	}
	var resp map[string]any
	switch method {
	case "apps.connections.open":
		resp = map[string]any{"ok": true, "url": "ws" + strings.TrimPrefix(s.URL, "http") + "/socket"}
	case "auth.test":
		resp = map[string]any{"ok": true, "user_id": "UBOT", "team_id": "TFAKE", "bot_id": "BFAKE"}
	default:
		if h := s.methods()[method]; h != nil {
			resp, call.Error = h(vals)
		} else {
			call.Error = "unknown_method"
		}
	}
	if call.Error != "" {
		writeJSON(w, 200, slackErr(call.Error))
		return
	}
	writeJSON(w, 200, resp)
}

func (s *Server) channelCheck(ch string) string {
	if ch == "" {
		return "channel_not_found"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.chanErr[ch]
}

func (s *Server) nextTS() string {
	s.seq++
	return fmt.Sprintf("%d.%06d", s.seq/1_000_000, s.seq%1_000_000)
}

func metadataOf(vals url.Values) (*slack.SlackMetadata, string) {
	raw := vals.Get("metadata")
	if raw == "" {
		return nil, ""
	}
	var md slack.SlackMetadata
	if err := json.Unmarshal([]byte(raw), &md); err != nil || md.EventType == "" {
		return nil, "invalid_metadata_format"
	}
	return &md, ""
}

// checkMessage checks what chat.postMessage and chat.update both send: the
// channel, the text and blocks against Slack's limits, and the metadata.
// It returns Slack's error code, or "" and the blocks and metadata.
func (s *Server) checkMessage(ch string, vals url.Values) (json.RawMessage, *slack.SlackMetadata, string) {
	if e := s.channelCheck(ch); e != "" {
		return nil, nil, e
	}
	blocks := json.RawMessage(vals.Get("blocks"))
	if err := checkPayload(vals.Get("text"), blocks); err != nil {
		return nil, nil, err.(*checkError).code
	}
	md, e := metadataOf(vals)
	if e != "" {
		return nil, nil, e
	}
	return blocks, md, ""
}

// methods are the Web API methods that read or change messages; each
// answers its response or Slack's error code.
func (s *Server) methods() map[string]func(url.Values) (map[string]any, string) {
	return map[string]func(url.Values) (map[string]any, string){
		"chat.postMessage":      s.postMessage,
		"chat.update":           s.update,
		"chat.delete":           s.delete,
		"chat.getPermalink":     s.permalink,
		"conversations.history": s.history,
		"conversations.replies": s.replies,
	}
}

func (s *Server) postMessage(vals url.Values) (map[string]any, string) {
	ch := vals.Get("channel")
	blocks, md, e := s.checkMessage(ch, vals)
	if e != "" {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := &Message{Channel: ch, TS: s.nextTS(), ThreadTS: vals.Get("thread_ts"), Text: vals.Get("text"), Blocks: blocks, Metadata: md}
	s.messages = append(s.messages, m)
	return map[string]any{"ok": true, "channel": ch, "ts": m.TS, "message": map[string]any{"text": m.Text, "ts": m.TS, "thread_ts": m.ThreadTS}}, ""
}

func (s *Server) find(ch, ts string) *Message {
	for _, m := range s.messages {
		if m.Channel == ch && m.TS == ts && !m.Deleted {
			return m
		}
	}
	return nil
}

func (s *Server) update(vals url.Values) (map[string]any, string) {
	ch, ts := vals.Get("channel"), vals.Get("ts")
	blocks, md, e := s.checkMessage(ch, vals)
	if e != "" {
		return nil, e
	}
	return s.withMessage(ch, ts, func(m *Message) map[string]any {
		m.Text, m.Blocks, m.Updates = vals.Get("text"), blocks, m.Updates+1
		if md != nil {
			m.Metadata = md
		}
		return map[string]any{"ok": true, "channel": ch, "ts": ts, "text": m.Text}
	})
}

func (s *Server) delete(vals url.Values) (map[string]any, string) {
	ch, ts := vals.Get("channel"), vals.Get("ts")
	if e := s.channelCheck(ch); e != "" {
		return nil, e
	}
	return s.withMessage(ch, ts, func(m *Message) map[string]any {
		m.Deleted = true
		return map[string]any{"ok": true, "channel": ch, "ts": ts}
	})
}

func (s *Server) permalink(vals url.Values) (map[string]any, string) {
	ch, ts := vals.Get("channel"), vals.Get("message_ts")
	if e := s.channelCheck(ch); e != "" {
		return nil, e
	}
	return s.withMessage(ch, ts, func(*Message) map[string]any {
		return map[string]any{"ok": true, "channel": ch, "permalink": "https://fake.slack.test/archives/" + ch + "/p" + strings.ReplaceAll(ts, ".", "")}
	})
}

// withMessage runs f under the lock on the live message ts of ch and
// answers its response, or message_not_found.
func (s *Server) withMessage(ch, ts string, f func(m *Message) map[string]any) (map[string]any, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.find(ch, ts)
	if m == nil {
		return nil, "message_not_found"
	}
	return f(m), ""
}

// history answers conversations.history newest first, paged by an offset
// cursor, with metadata only when include_all_metadata is set, and only top
// level messages (thread replies live in conversations.replies, as in Slack).
func (s *Server) history(vals url.Values) (map[string]any, string) {
	ch := vals.Get("channel")
	if e := s.channelCheck(ch); e != "" {
		return nil, e
	}
	limit, _ := strconv.Atoi(vals.Get("limit"))
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	off, _ := strconv.Atoi(vals.Get("cursor"))
	oldest, _ := strconv.ParseFloat(vals.Get("oldest"), 64)
	withMeta := vals.Get("include_all_metadata") == "1" || vals.Get("include_all_metadata") == "true"
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []*Message
	for i := len(s.messages) - 1; i >= 0; i-- {
		m := s.messages[i]
		if m.Channel != ch || m.Deleted || (m.ThreadTS != "" && m.ThreadTS != m.TS) {
			continue
		}
		if ts, _ := strconv.ParseFloat(m.TS, 64); oldest > 0 && ts < oldest {
			continue
		}
		all = append(all, m)
	}
	if off > len(all) {
		off = len(all)
	}
	page := all[off:min(off+limit, len(all))]
	msgs := make([]map[string]any, 0, len(page))
	for _, m := range page {
		mm := map[string]any{"type": "message", "ts": m.TS, "text": m.Text, "bot_id": "BFAKE"}
		if m.ThreadTS != "" {
			mm["thread_ts"] = m.ThreadTS
		}
		if withMeta && m.Metadata != nil {
			mm["metadata"] = m.Metadata
		}
		msgs = append(msgs, mm)
	}
	resp := map[string]any{"ok": true, "messages": msgs, "has_more": off+limit < len(all)}
	if off+limit < len(all) {
		resp["response_metadata"] = map[string]any{"next_cursor": strconv.Itoa(off + limit)}
	}
	return resp, ""
}

// responseURL records a POST to a response_url after checking its body.
func (s *Server) responseURL(w http.ResponseWriter, r *http.Request) {
	if f := s.takeFault("response_url"); f != nil {
		if f.Delay > 0 {
			time.Sleep(f.Delay)
		}
		if f.Status != 0 {
			w.WriteHeader(f.Status)
			return
		}
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	var msg slack.Msg
	if err := json.Unmarshal(raw, &msg); err != nil {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	if !msg.DeleteOriginal {
		var probe struct {
			Blocks json.RawMessage `json:"blocks"`
		}
		_ = json.Unmarshal(raw, &probe)
		if err := checkPayload(msg.Text, probe.Blocks); err != nil {
			writeJSON(w, http.StatusBadRequest, slackErr(err.(*checkError).code))
			return
		}
	}
	s.mu.Lock()
	s.responses = append(s.responses, Response{ID: r.PathValue("id"), Msg: msg, Raw: raw})
	s.mu.Unlock()
	writeJSON(w, 200, map[string]any{"ok": true})
}

// replies answers conversations.replies: the parent, then its replies,
// oldest first, metadata only with include_all_metadata.
func (s *Server) replies(vals url.Values) (map[string]any, string) {
	ch, ts := vals.Get("channel"), vals.Get("ts")
	if e := s.channelCheck(ch); e != "" {
		return nil, e
	}
	withMeta := vals.Get("include_all_metadata") == "1" || vals.Get("include_all_metadata") == "true"
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.find(ch, ts) == nil {
		return nil, "thread_not_found"
	}
	var msgs []map[string]any
	for _, m := range s.messages {
		if m.Channel != ch || m.Deleted || (m.TS != ts && m.ThreadTS != ts) {
			continue
		}
		mm := map[string]any{"type": "message", "ts": m.TS, "text": m.Text, "thread_ts": ts, "bot_id": "BFAKE"}
		if withMeta && m.Metadata != nil {
			mm["metadata"] = m.Metadata
		}
		msgs = append(msgs, mm)
	}
	return map[string]any{"ok": true, "messages": msgs, "has_more": false}, ""
}
