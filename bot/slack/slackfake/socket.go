package slackfake

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
)

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

// socket is the Socket Mode websocket: it says hello, pings every 500 ms so
// the client's dead-connection timer stays quiet, and records the acks the
// client sends back (envelope_id + payload).
func (s *Server) socket(w http.ResponseWriter, r *http.Request) {
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.Close()
	hello := map[string]any{"type": "hello", "num_connections": 1,
		"connection_info": map[string]any{"app_id": "AFAKE"},
		"debug_info":      map[string]any{"host": "slackfake"}}
	s.wsWrite.Lock()
	err = c.WriteJSON(hello)
	s.wsWrite.Unlock()
	if err != nil {
		return
	}
	s.mu.Lock()
	s.wsConn = c
	select {
	case <-s.wsReady:
	default:
		close(s.wsReady)
	}
	s.mu.Unlock()

	done := make(chan struct{})
	defer close(done)
	go func() {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				s.wsWrite.Lock()
				err := c.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(time.Second))
				s.wsWrite.Unlock()
				if err != nil {
					return
				}
			}
		}
	}()
	for {
		_, data, err := c.ReadMessage()
		if err != nil {
			return
		}
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(data, &ack) != nil || ack.EnvelopeID == "" {
			continue
		}
		if len(ack.Payload) == 0 {
			ack.Payload = json.RawMessage("null")
		}
		s.mu.Lock()
		s.acks[ack.EnvelopeID] = ack.Payload
		close(s.ackCond)
		s.ackCond = make(chan struct{})
		s.mu.Unlock()
	}
}

// SendEnvelope waits for a Socket Mode client to connect, then sends it an
// envelope of typ ("slash_commands", "interactive") with payload, and
// returns the envelope id to wait for with WaitAck.
func (s *Server) SendEnvelope(ctx context.Context, typ string, payload any) (string, error) {
	select {
	case <-s.wsReady:
	case <-ctx.Done():
		return "", fmt.Errorf("no socket mode client connected: %w", ctx.Err())
	}
	s.mu.Lock()
	s.envSeq++
	id := fmt.Sprintf("env-%d", s.envSeq)
	c := s.wsConn
	s.mu.Unlock()
	env := map[string]any{"envelope_id": id, "type": typ, "payload": payload, "accepts_response_payload": true}
	s.wsWrite.Lock()
	defer s.wsWrite.Unlock()
	if err := c.WriteJSON(env); err != nil {
		return "", fmt.Errorf("send envelope: %w", err)
	}
	return id, nil
}

// WaitAck waits for the client's ack of envelope id and returns its payload
// ("null" for an empty ack).
func (s *Server) WaitAck(ctx context.Context, id string) (json.RawMessage, error) {
	for {
		s.mu.Lock()
		p, ok := s.acks[id]
		wait := s.ackCond
		s.mu.Unlock()
		if ok {
			return p, nil
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, fmt.Errorf("no ack for %s: %w", id, ctx.Err())
		}
	}
}
