package slack

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/paperbot/paperbot/formatter"
)

// FuzzCommandBody: any correctly signed body is answered with 200 and a
// message within the limits, or 400; nothing panics.
func FuzzCommandBody(f *testing.F) {
	f.Add("command=%2Fpaper&text=2509.10001&channel_id=C1")
	f.Add("command=%2Fpaper&text=sparse+attention")
	f.Add("command=%2Fdigest&text=latest")
	f.Add("command=%2Fdigest&text=2025-13-45")
	f.Add("text=%ZZ&command=")
	f.Add("command=%2Fpaper&text=" + url.QueryEscape("https://www.alphaxiv.org/ko/overview/2509.10002v3"))
	e := newEnv(f, formatter.SlackButtons, exampleDigest("2025-10-01", 3, false))
	e.h.cfg.Client = nil // no permalinks, no network
	f.Fuzz(func(t *testing.T, body string) {
		w := httptest.NewRecorder()
		e.mux.ServeHTTP(w, signedRequest("/slack/commands", []byte(body), testSecret, time.Now()))
		switch w.Code {
		case http.StatusOK:
			var m slack.Msg
			if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
				t.Fatalf("answer is not JSON: %v", err)
			}
			if err := formatter.CheckSlackMessage(formatter.SlackMessage{Text: m.Text, Blocks: m.Blocks.BlockSet}); err != nil {
				t.Fatalf("answer breaks the limits: %v", err)
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("HTTP %d", w.Code)
		}
	})
}

// FuzzInteractionPayload: any signed payload is acknowledged or refused
// with 400, and its background work does not panic.
func FuzzInteractionPayload(f *testing.F) {
	f.Add(`{"type":"block_actions","actions":[{"block_id":"b","action_id":"paper_details","value":"_posts/2025-10-01-daily-papers.md|2"}],"container":{"is_ephemeral":true}}`)
	f.Add(`{"type":"block_actions","actions":[{"block_id":"b","action_id":"share","value":"digest:2025-10-01"}]}`)
	f.Add(`{"type":"block_actions","actions":[{"block_id":"b","action_id":"paper_hide","value":"|"}],"message":{"blocks":[{"type":"section"}]}}`)
	f.Add(`not json`)
	e := newEnv(f, formatter.SlackButtons, exampleDigest("2025-10-01", 3, false))
	e.h.cfg.Client = nil
	f.Fuzz(func(t *testing.T, payload string) {
		body := []byte(url.Values{"payload": {payload}}.Encode())
		w := httptest.NewRecorder()
		e.mux.ServeHTTP(w, signedRequest("/slack/interactions", body, testSecret, time.Now()))
		e.h.Wait()
		if w.Code != http.StatusOK && w.Code != http.StatusBadRequest {
			t.Fatalf("HTTP %d", w.Code)
		}
	})
}
