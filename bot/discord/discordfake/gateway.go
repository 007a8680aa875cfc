package discordfake

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"

	"github.com/gorilla/websocket"
)

// The gateway fake speaks just enough of Discord's gateway for a bot that
// only receives interactions: HELLO, IDENTIFY (token checked), READY,
// heartbeats, and INTERACTION_CREATE dispatches sent with Dispatch.

// gatewayPath is where the websocket is served (outside /api).
const gatewayPath = "/gateway-ws"

type gwConn struct {
	mu  sync.Mutex
	c   *websocket.Conn
	seq int
}

func (g *gwConn) send(v any) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.c.WriteJSON(v)
}

type gwState struct {
	mu       sync.Mutex
	conns    []*gwConn
	ready    chan struct{}
	identify json.RawMessage
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func (s *Server) gw() *gwState {
	s.gwOnce.Do(func() { s.gwState = &gwState{ready: make(chan struct{})} })
	return s.gwState
}

// GatewayReady is closed when a client has identified.
func (s *Server) GatewayReady() <-chan struct{} { return s.gw().ready }

// Identify returns the last IDENTIFY payload's d.
func (s *Server) Identify() json.RawMessage {
	g := s.gw()
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.identify
}

// Dispatch sends an INTERACTION_CREATE with the interaction d to every
// identified gateway client; it returns how many got it.
func (s *Server) Dispatch(interaction any) int {
	g := s.gw()
	g.mu.Lock()
	conns := append([]*gwConn(nil), g.conns...)
	g.mu.Unlock()
	n := 0
	for _, c := range conns {
		c.mu.Lock()
		c.seq++
		seq := c.seq
		c.mu.Unlock()
		if c.send(map[string]any{"op": 0, "s": seq, "t": "INTERACTION_CREATE", "d": interaction}) == nil {
			n++
		}
	}
	return n
}

func (s *Server) gatewayURL() string {
	return "ws" + strings.TrimPrefix(s.URL, "http") + gatewayPath
}

func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.Close()
	conn := &gwConn{c: c}
	if conn.send(map[string]any{"op": 10, "d": map[string]any{"heartbeat_interval": 45000}}) != nil {
		return
	}
	var id struct {
		Op int `json:"op"`
		D  struct {
			Token string `json:"token"`
		} `json:"d"`
	}
	_, raw, err := c.ReadMessage()
	if err != nil || json.Unmarshal(raw, &id) != nil || id.Op != 2 {
		return
	}
	if id.D.Token != "Bot "+s.Token {
		_ = c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(4004, "Authentication failed."))
		return
	}
	g := s.gw()
	conn.seq = 1
	if conn.send(map[string]any{"op": 0, "s": 1, "t": "READY", "d": map[string]any{
		"v": 9, "session_id": "fake-session", "resume_gateway_url": s.gatewayURL(),
		"user":        map[string]any{"id": BotUserID, "username": "paperbot", "bot": true},
		"application": map[string]any{"id": "700"},
		"guilds":      []any{},
	}}) != nil {
		return
	}
	g.mu.Lock()
	var full struct {
		D json.RawMessage `json:"d"`
	}
	_ = json.Unmarshal(raw, &full)
	g.identify = full.D
	g.conns = append(g.conns, conn)
	select {
	case <-g.ready:
	default:
		close(g.ready)
	}
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		for i, x := range g.conns {
			if x == conn {
				g.conns = append(g.conns[:i:i], g.conns[i+1:]...)
				break
			}
		}
		g.mu.Unlock()
	}()
	for {
		_, m, err := c.ReadMessage()
		if err != nil {
			return
		}
		var op struct {
			Op int `json:"op"`
		}
		if json.Unmarshal(m, &op) == nil && op.Op == 1 {
			if conn.send(map[string]any{"op": 11}) != nil {
				return
			}
		}
	}
}
