// Package discordfake is a local fake of the parts of Discord's REST API
// paperbot uses, for tests: channel messages (post with nonce dedupe, list,
// edit, delete), webhooks (execute with ?wait=true, edit, delete),
// application command bulk overwrite, interaction callbacks and followups,
// and a minimal gateway websocket (HELLO, IDENTIFY, READY, heartbeats,
// INTERACTION_CREATE via Dispatch). It checks what Discord checks (the bot
// token, required fields, the message limits by its own copy of DESIGN.md's
// table in check.go), drops the components of a webhook message as
// webhooks made in Discord's UI do (unless ?with_components=true), and can
// be told to answer 429, 5xx or slowly for the next calls.
package discordfake

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
)

// BotUserID is the id of the fake's bot user, the author of its messages.
const BotUserID = "100000000000000001"

// Message is a message the fake holds.
type Message struct {
	ID         string                            `json:"id"`
	ChannelID  string                            `json:"channel_id"`
	WebhookID  string                            `json:"webhook_id,omitempty"`
	Content    string                            `json:"content"`
	Embeds     []*discordgo.MessageEmbed         `json:"embeds"`
	Components []discordgo.MessageComponent      `json:"components"`
	Flags      int                               `json:"flags,omitempty"`
	Author     *discordgo.User                   `json:"author"`
	Timestamp  time.Time                         `json:"timestamp"`
	Nonce      string                            `json:"nonce,omitempty"`
	Mentions   *discordgo.MessageAllowedMentions `json:"-"`
	Edits      int                               `json:"-"`
	nonceAt    time.Time
}

// Callback is an interaction callback or followup the fake received.
type Callback struct {
	InteractionID, Token string
	Followup             bool
	Body                 json.RawMessage
}

type fault struct {
	status     int
	retryAfter time.Duration
	delay      time.Duration
}

// Server is the fake. Create it with New; Close it when done.
type Server struct {
	*httptest.Server
	Token string
	// NonceWindow is how long an enforced nonce dedupes (Discord: a few
	// minutes); default 5 minutes.
	NonceWindow time.Duration

	mu       sync.Mutex
	nextID   uint64
	channels map[string]bool
	webhooks map[string]webhook // by id
	msgs     map[string][]*Message
	faults   []fault
	calls    map[string]int
	commands map[string][]*discordgo.ApplicationCommand // "app" or "app/guild"
	cbs      []Callback
	rejects  []string
	busy     int        // API requests being handled
	idle     *sync.Cond // on mu; broadcast when busy drops to 0

	gwOnce  sync.Once
	gwState *gwState
}

type webhook struct{ token, channel string }

// New starts a fake that accepts "Bot "+token.
func New(token string) *Server {
	s := &Server{
		Token:       token,
		NonceWindow: 5 * time.Minute,
		nextID:      1_300_000_000_000_000_000,
		channels:    map[string]bool{},
		webhooks:    map[string]webhook{},
		msgs:        map[string][]*Message{},
		calls:       map[string]int{},
		commands:    map[string][]*discordgo.ApplicationCommand{},
	}
	s.idle = sync.NewCond(&s.mu)
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Idle waits until no API request is being handled (the gateway does not
// count), so a test sees what a call whose client gave up (SlowNext) did
// without sleeping.
func (s *Server) Idle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.busy > 0 {
		s.idle.Wait()
	}
}

// AddChannel makes a channel exist.
func (s *Server) AddChannel(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[id] = true
}

// AddWebhook makes a webhook that posts to channel and returns its URL on
// the fake.
func (s *Server) AddWebhook(id, token, channel string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhooks[id] = webhook{token: token, channel: channel}
	s.channels[channel] = true
	return s.URL + "/api/webhooks/" + id + "/" + token
}

// RateLimitNext makes the next n calls answer 429 with retry_after.
func (s *Server) RateLimitNext(n int, retryAfter time.Duration) {
	s.addFaults(n, fault{status: 429, retryAfter: retryAfter})
}

// FailNext makes the next n calls answer status (e.g. 500, 502, 503).
func (s *Server) FailNext(n, status int) { s.addFaults(n, fault{status: status}) }

// PassNext lets the next n calls through untouched, so that faults queued
// after it hit later calls.
func (s *Server) PassNext(n int) { s.addFaults(n, fault{}) }

// SlowNext delays the next n calls by d before they are handled normally
// (d after the client gave up: the call still takes effect, like a lost
// answer).
func (s *Server) SlowNext(n int, d time.Duration) { s.addFaults(n, fault{delay: d}) }

func (s *Server) addFaults(n int, f fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, f)
	}
}

// Messages returns a copy of a channel's messages, oldest first.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, 0, len(s.msgs[channel]))
	for _, m := range s.msgs[channel] {
		out = append(out, *m)
	}
	return out
}

// Calls returns how many requests reached "METHOD route" (route with ids
// replaced by {id}), faults included.
func (s *Server) Calls(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[key]
}

// Commands returns the registered commands of an app, globally (guild "")
// or in a guild.
func (s *Server) Commands(app, guild string) []*discordgo.ApplicationCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := app
	if guild != "" {
		k += "/" + guild
	}
	return s.commands[k]
}

// Callbacks returns the interaction callbacks and followups received.
func (s *Server) Callbacks() []Callback {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Callback(nil), s.cbs...)
}

// Rejects returns why the fake refused requests (400s), for test failures.
func (s *Server) Rejects() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.rejects...)
}

// ExpireNonces ends the dedupe window of every nonce (a later resend with
// the same nonce creates a new message, as after Discord's window).
func (s *Server) ExpireNonces() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ms := range s.msgs {
		for _, m := range ms {
			m.nonceAt = time.Time{}
		}
	}
}

var apiVersion = regexp.MustCompile(`^v[0-9]+/`)

var idRe = regexp.MustCompile(`^[0-9]+$`)

func routeKey(method string, parts []string) string {
	r := make([]string, len(parts))
	for i, p := range parts {
		if idRe.MatchString(p) || (i > 0 && parts[i-1] != "" && isTokenSlot(parts, i)) {
			r[i] = "{id}"
		} else {
			r[i] = p
		}
	}
	return method + " /" + strings.Join(r, "/")
}

// isTokenSlot: the token segment after a webhook or interaction id.
func isTokenSlot(parts []string, i int) bool {
	return i >= 2 && (parts[i-2] == "webhooks" || parts[i-2] == "interactions")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func apiError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{"code": code, "message": msg})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if strings.TrimSuffix(r.URL.Path, "/") == gatewayPath {
		s.serveGateway(w, r)
		return
	}
	s.mu.Lock()
	s.busy++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if s.busy--; s.busy == 0 {
			s.idle.Broadcast()
		}
		s.mu.Unlock()
	}()
	path, ok := strings.CutPrefix(r.URL.Path, "/api/")
	if !ok {
		apiError(w, 404, 0, "404: Not Found")
		return
	}
	if v := apiVersion.FindString(path); v != "" {
		path = path[len(v):]
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	key := routeKey(r.Method, parts)

	s.mu.Lock()
	s.calls[key]++
	var f *fault
	if len(s.faults) > 0 {
		f = &s.faults[0]
		s.faults = s.faults[1:]
	}
	s.mu.Unlock()
	// Every request answers with a roomy bucket so discordgo's limiter
	// does not wait.
	w.Header().Set("X-RateLimit-Limit", "5")
	w.Header().Set("X-RateLimit-Remaining", "4")
	w.Header().Set("X-RateLimit-Bucket", "fake")
	if f != nil {
		if f.delay > 0 {
			select {
			case <-time.After(f.delay):
			case <-r.Context().Done():
				// The client gave up; the call still takes effect below.
			}
		}
		switch {
		case f.status == 429:
			secs := f.retryAfter.Seconds()
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(secs))))
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset-After", strconv.FormatFloat(secs, 'f', 3, 64))
			w.Header().Set("X-RateLimit-Scope", "user")
			writeJSON(w, 429, map[string]any{"message": "You are being rate limited.", "retry_after": secs, "global": false})
			return
		case f.status != 0:
			apiError(w, f.status, 0, fmt.Sprintf("%d: fake failure", f.status))
			return
		}
	}

	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		apiError(w, 400, 50109, "The request body contains invalid JSON.")
		return
	}
	switch {
	case len(parts) >= 2 && parts[0] == "webhooks":
		s.webhookRoute(w, r, parts, body)
		return
	case len(parts) == 4 && parts[0] == "interactions" && parts[3] == "callback":
		s.mu.Lock()
		s.cbs = append(s.cbs, Callback{InteractionID: parts[1], Token: parts[2], Body: body})
		s.mu.Unlock()
		w.WriteHeader(204)
		return
	}
	if r.Header.Get("Authorization") != "Bot "+s.Token || s.Token == "" {
		apiError(w, 401, 0, "401: Unauthorized")
		return
	}
	switch {
	case parts[0] == "gateway" && r.Method == "GET":
		writeJSON(w, 200, map[string]any{"url": s.gatewayURL()})
		return
	case len(parts) == 2 && parts[0] == "users" && parts[1] == "@me":
		writeJSON(w, 200, &discordgo.User{ID: BotUserID, Username: "paperbot", Bot: true})
	case len(parts) >= 3 && parts[0] == "channels" && parts[2] == "messages":
		s.channelRoute(w, r, parts, body)
	case len(parts) >= 3 && parts[0] == "applications" && parts[len(parts)-1] == "commands" && r.Method == "PUT":
		guild := ""
		if len(parts) == 5 && parts[2] == "guilds" {
			guild = parts[3]
		} else if len(parts) != 3 {
			apiError(w, 404, 0, "404: Not Found")
			return
		}
		s.putCommands(w, parts[1], guild, body)
	default:
		apiError(w, 404, 0, "404: Not Found")
	}
}

// sendBody is a create/edit body as Discord reads it.
type sendBody struct {
	Content         *string                           `json:"content"`
	Embeds          *[]*discordgo.MessageEmbed        `json:"embeds"`
	Components      *[]json.RawMessage                `json:"components"`
	AllowedMentions *discordgo.MessageAllowedMentions `json:"allowed_mentions"`
	Flags           int                               `json:"flags"`
	Nonce           json.RawMessage                   `json:"nonce"`
	EnforceNonce    bool                              `json:"enforce_nonce"`
}

func (s *Server) reject(w http.ResponseWriter, why string) {
	s.mu.Lock()
	s.rejects = append(s.rejects, why)
	s.mu.Unlock()
	apiError(w, 400, 50035, "Invalid Form Body: "+why)
}

// decode reads a body into b and its components.
func decode(body []byte) (*sendBody, []discordgo.MessageComponent, error) {
	var b sendBody
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, nil, fmt.Errorf("invalid JSON: %v", err)
	}
	var comps []discordgo.MessageComponent
	if b.Components != nil {
		for _, raw := range *b.Components {
			c, err := discordgo.MessageComponentFromJSON(raw)
			if err != nil {
				return nil, nil, fmt.Errorf("component: %v", err)
			}
			comps = append(comps, c)
		}
	}
	return &b, comps, nil
}

func (s *Server) newID() string {
	s.nextID++
	return strconv.FormatUint(s.nextID, 10)
}

func (s *Server) create(w http.ResponseWriter, channel, webhookID string, body []byte, answer bool) {
	b, comps, err := decode(body)
	if err != nil {
		s.reject(w, err.Error())
		return
	}
	m := &Message{ChannelID: channel, WebhookID: webhookID, Components: comps, Flags: b.Flags, Mentions: b.AllowedMentions,
		Author: &discordgo.User{ID: BotUserID, Username: "paperbot", Bot: true}}
	if b.Content != nil {
		m.Content = *b.Content
	}
	if b.Embeds != nil {
		m.Embeds = *b.Embeds
	}
	if err := checkMessage(m.Content, m.Embeds, m.Components); err != nil {
		s.reject(w, err.Error())
		return
	}
	var nonce string
	if len(b.Nonce) > 0 && string(b.Nonce) != "null" {
		if err := json.Unmarshal(b.Nonce, &nonce); err != nil {
			var n json.Number
			if json.Unmarshal(b.Nonce, &n) != nil {
				s.reject(w, "nonce: not a string or integer")
				return
			}
			nonce = n.String()
		}
		if len(nonce) > 25 {
			s.reject(w, "nonce: longer than 25")
			return
		}
	}
	if webhookID != "" && nonce != "" {
		s.reject(w, "webhooks take no nonce")
		return
	}
	now := time.Now()
	s.mu.Lock()
	if b.EnforceNonce && nonce != "" {
		for _, old := range s.msgs[channel] {
			if old.Nonce == nonce && !old.nonceAt.IsZero() && now.Sub(old.nonceAt) < s.NonceWindow {
				cp := *old
				s.mu.Unlock()
				writeJSON(w, 200, &cp)
				return
			}
		}
	}
	m.ID, m.Timestamp, m.Nonce, m.nonceAt = s.newID(), now, nonce, now
	s.msgs[channel] = append(s.msgs[channel], m)
	cp := *m
	s.mu.Unlock()
	if !answer {
		w.WriteHeader(204)
		return
	}
	writeJSON(w, 200, &cp)
}

func (s *Server) find(channel, id string) *Message {
	for _, m := range s.msgs[channel] {
		if m.ID == id {
			return m
		}
	}
	return nil
}

func (s *Server) edit(w http.ResponseWriter, channel, id, webhookID string, body []byte) {
	b, comps, err := decode(body)
	if err != nil {
		s.reject(w, err.Error())
		return
	}
	s.mu.Lock()
	m := s.find(channel, id)
	if m == nil || (webhookID != "" && m.WebhookID != webhookID) {
		s.mu.Unlock()
		apiError(w, 404, 10008, "Unknown Message")
		return
	}
	next := *m
	if b.Content != nil {
		next.Content = *b.Content
	}
	if b.Embeds != nil {
		next.Embeds = *b.Embeds
	}
	if b.Components != nil {
		next.Components = comps
	}
	if err := checkMessage(next.Content, next.Embeds, next.Components); err != nil {
		s.mu.Unlock()
		s.reject(w, err.Error())
		return
	}
	next.Edits++
	*m = next
	cp := next
	s.mu.Unlock()
	writeJSON(w, 200, &cp)
}

func (s *Server) remove(w http.ResponseWriter, channel, id, webhookID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ms := s.msgs[channel]
	for i, m := range ms {
		if m.ID == id && (webhookID == "" || m.WebhookID == webhookID) {
			s.msgs[channel] = append(ms[:i:i], ms[i+1:]...)
			w.WriteHeader(204)
			return
		}
	}
	apiError(w, 404, 10008, "Unknown Message")
}

func (s *Server) channelRoute(w http.ResponseWriter, r *http.Request, parts []string, body []byte) {
	ch := parts[1]
	s.mu.Lock()
	known := s.channels[ch]
	s.mu.Unlock()
	if !known {
		apiError(w, 404, 10003, "Unknown Channel")
		return
	}
	switch {
	case len(parts) == 3 && r.Method == "POST":
		s.create(w, ch, "", body, true)
	case len(parts) == 3 && r.Method == "GET":
		limit := 50
		if l, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil {
			limit = l
		}
		if limit < 1 || limit > 100 {
			s.reject(w, "limit: between 1 and 100")
			return
		}
		s.mu.Lock()
		ms := s.msgs[ch]
		var out []Message
		for i := len(ms) - 1; i >= 0 && len(out) < limit; i-- {
			cp := *ms[i]
			cp.Nonce = "" // Discord does not list nonces
			out = append(out, cp)
		}
		s.mu.Unlock()
		if out == nil {
			out = []Message{}
		}
		writeJSON(w, 200, out)
	case len(parts) == 4 && r.Method == "PATCH":
		s.edit(w, ch, parts[3], "", body)
	case len(parts) == 4 && r.Method == "DELETE":
		s.remove(w, ch, parts[3], "")
	default:
		apiError(w, 405, 0, "405: Method Not Allowed")
	}
}

func (s *Server) webhookRoute(w http.ResponseWriter, r *http.Request, parts []string, body []byte) {
	if len(parts) < 3 {
		apiError(w, 404, 10015, "Unknown Webhook")
		return
	}
	id, token := parts[1], parts[2]
	s.mu.Lock()
	wh, ok := s.webhooks[id]
	s.mu.Unlock()
	if ok && wh.token != token {
		apiError(w, 401, 50027, "Invalid Webhook Token")
		return
	}
	if !ok {
		// Interaction followups use the application id and token.
		if len(parts) == 3 && r.Method == "POST" {
			s.mu.Lock()
			s.cbs = append(s.cbs, Callback{InteractionID: id, Token: token, Followup: true, Body: body})
			s.mu.Unlock()
			writeJSON(w, 200, map[string]string{"id": "1"})
			return
		}
		apiError(w, 404, 10015, "Unknown Webhook")
		return
	}
	if r.URL.Query().Get("with_components") != "true" {
		// Webhooks made in Discord's UI ignore components (only
		// application-owned ones take them, with ?with_components=true).
		body = withoutComponents(body)
	}
	switch {
	case len(parts) == 3 && r.Method == "POST":
		s.create(w, wh.channel, id, body, r.URL.Query().Get("wait") == "true")
	case len(parts) == 5 && parts[3] == "messages" && r.Method == "PATCH":
		s.edit(w, wh.channel, parts[4], id, body)
	case len(parts) == 5 && parts[3] == "messages" && r.Method == "DELETE":
		s.remove(w, wh.channel, parts[4], id)
	default:
		apiError(w, 405, 0, "405: Method Not Allowed")
	}
}

var cmdName = regexp.MustCompile(`^[-_\p{L}\p{N}]{1,32}$`)

func (s *Server) putCommands(w http.ResponseWriter, app, guild string, body []byte) {
	var cmds []*discordgo.ApplicationCommand
	if err := json.Unmarshal(body, &cmds); err != nil {
		s.reject(w, "commands: "+err.Error())
		return
	}
	names := map[string]bool{}
	for i, c := range cmds {
		if c == nil || !cmdName.MatchString(c.Name) || strings.ToLower(c.Name) != c.Name {
			s.reject(w, fmt.Sprintf("command %d: bad name", i))
			return
		}
		if names[c.Name] {
			s.reject(w, fmt.Sprintf("command %d: duplicate name %q", i, c.Name))
			return
		}
		names[c.Name] = true
		if n := len([]rune(c.Description)); n < 1 || n > 100 {
			s.reject(w, fmt.Sprintf("command %s: description 1..100", c.Name))
			return
		}
		required := true
		for _, o := range c.Options {
			if !cmdName.MatchString(o.Name) || len([]rune(o.Description)) < 1 || len([]rune(o.Description)) > 100 {
				s.reject(w, fmt.Sprintf("command %s: bad option %q", c.Name, o.Name))
				return
			}
			if o.Required && !required {
				s.reject(w, fmt.Sprintf("command %s: required option after an optional one", c.Name))
				return
			}
			required = o.Required
		}
	}
	s.mu.Lock()
	for _, c := range cmds {
		c.ID, c.ApplicationID, c.GuildID = s.newID(), app, guild
	}
	k := app
	if guild != "" {
		k += "/" + guild
	}
	s.commands[k] = cmds
	s.mu.Unlock()
	writeJSON(w, 200, cmds)
}

// withoutComponents drops the "components" of a JSON body; a body that is
// not a JSON object is left for the handler to refuse.
func withoutComponents(body []byte) []byte {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return body
	}
	if _, ok := m["components"]; !ok {
		return body
	}
	delete(m, "components")
	out, err := json.Marshal(m)
	if err != nil {
		return body
	}
	return out
}
