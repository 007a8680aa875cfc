package discordfake

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func post(t *testing.T, s *Server, path, auth, body string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", s.URL+path, bytes.NewBufferString(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp, m
}

func TestFakeChecks(t *testing.T) {
	s := New("tok")
	defer s.Close()
	s.AddChannel("1")
	const path = "/api/v10/channels/1/messages"
	cases := []struct {
		name, path, auth, body string
		status                 int
		code                   float64
	}{
		{"ok", path, "Bot tok", `{"content":"hi"}`, 200, 0},
		{"no auth", path, "", `{"content":"hi"}`, 401, 0},
		{"wrong auth", path, "Bearer tok", `{"content":"hi"}`, 401, 0},
		{"unknown channel", "/api/v10/channels/2/messages", "Bot tok", `{"content":"hi"}`, 404, 10003},
		{"empty", path, "Bot tok", `{}`, 400, 50035},
		{"too long", path, "Bot tok", `{"content":"` + strings.Repeat("x", 2001) + `"}`, 400, 50035},
		{"long nonce", path, "Bot tok", `{"content":"hi","nonce":"` + strings.Repeat("n", 26) + `"}`, 400, 50035},
		{"bad json", path, "Bot tok", `{`, 400, 50035},
		// Checked by the fake's own copy of the limits.
		{"script embed url", path, "Bot tok", `{"embeds":[{"title":"t","url":"javascript:alert(1)"}]}`, 400, 50035},
		{"embeds over 6000", path, "Bot tok", `{"embeds":[{"description":"` + strings.Repeat("d", 4000) + `"},{"description":"` + strings.Repeat("d", 2001) + `"}]}`, 400, 50035},
		{"field value 1025", path, "Bot tok", `{"embeds":[{"fields":[{"name":"n","value":"` + strings.Repeat("v", 1025) + `"}]}]}`, 400, 50035},
		{"six buttons a row", path, "Bot tok", `{"content":"c","components":[{"type":1,"components":[` + strings.TrimSuffix(strings.Repeat(`{"type":2,"style":2,"label":"b","custom_id":"X"},`, 6), ",") + `]}]}`, 400, 50035},
	}
	for _, c := range cases {
		resp, m := post(t, s, c.path, c.auth, c.body)
		if resp.StatusCode != c.status {
			t.Errorf("%s: status %d, want %d", c.name, resp.StatusCode, c.status)
		}
		if c.code != 0 && m["code"] != c.code {
			t.Errorf("%s: code %v, want %v", c.name, m["code"], c.code)
		}
	}
}

// TestFakeWebhookDropsComponents: like a webhook made in Discord's UI,
// the fake keeps a webhook message's embeds and drops its components
// unless ?with_components=true.
func TestFakeWebhookDropsComponents(t *testing.T) {
	s := New("tok")
	defer s.Close()
	s.AddChannel("1")
	s.AddWebhook("7", "wt", "1")
	body := `{"content":"c","components":[{"type":1,"components":[{"type":2,"style":2,"label":"b","custom_id":"x"}]}]}`
	post(t, s, "/api/webhooks/7/wt?wait=true", "", body)
	post(t, s, "/api/webhooks/7/wt?wait=true&with_components=true", "", body)
	msgs := s.Messages("1")
	if len(msgs) != 2 || len(msgs[0].Components) != 0 || len(msgs[1].Components) != 1 {
		t.Fatalf("components kept: %d messages", len(msgs))
	}
}

func TestFakeNonceAndFaults(t *testing.T) {
	s := New("tok")
	defer s.Close()
	s.AddChannel("1")
	const path = "/api/v10/channels/1/messages"
	_, a := post(t, s, path, "Bot tok", `{"content":"hi","nonce":"n-1","enforce_nonce":true}`)
	_, b := post(t, s, path, "Bot tok", `{"content":"hi","nonce":"n-1","enforce_nonce":true}`)
	if a["id"] != b["id"] || len(s.Messages("1")) != 1 {
		t.Errorf("enforced nonce did not dedupe: %v %v", a["id"], b["id"])
	}
	_, c := post(t, s, path, "Bot tok", `{"content":"hi","nonce":"n-1"}`)
	if c["id"] == a["id"] {
		t.Errorf("nonce without enforce_nonce deduped")
	}
	s.ExpireNonces()
	_, d := post(t, s, path, "Bot tok", `{"content":"hi","nonce":"n-1","enforce_nonce":true}`)
	if d["id"] == a["id"] {
		t.Errorf("expired nonce deduped")
	}
	s.RateLimitNext(1, 1500*time.Millisecond)
	resp, m := post(t, s, path, "Bot tok", `{"content":"hi"}`)
	if resp.StatusCode != 429 || m["retry_after"] != 1.5 || m["global"] != false || resp.Header.Get("Retry-After") != "2" {
		t.Errorf("429: %d %v %v", resp.StatusCode, m, resp.Header)
	}
	s.FailNext(1, 502)
	if resp, _ := post(t, s, path, "Bot tok", `{"content":"hi"}`); resp.StatusCode != 502 {
		t.Errorf("fail: %d", resp.StatusCode)
	}
	if n := s.Calls("POST /channels/{id}/messages"); n != 6 {
		t.Errorf("calls %d", n)
	}
}
