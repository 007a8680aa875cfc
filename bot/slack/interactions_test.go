package slack

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/formatter"
)

// clickPayload is a block_actions payload for a button in a message whose
// blocks are given as JSON.
func clickPayload(e *env, actionID, value string, blocks json.RawMessage, ephemeral bool, ts string) map[string]any {
	return map[string]any{
		"type":         "block_actions",
		"user":         map[string]any{"id": "U1"},
		"team":         map[string]any{"id": "T1"},
		"channel":      map[string]any{"id": "C1"},
		"response_url": e.f.ResponseURL("click"),
		"trigger_id":   "1.2.3",
		"container":    map[string]any{"type": "message", "message_ts": ts, "channel_id": "C1", "is_ephemeral": ephemeral},
		"message":      map[string]any{"type": "message", "ts": ts, "text": "x", "blocks": blocks},
		"actions":      []map[string]any{{"type": "button", "action_id": actionID, "block_id": "b1", "value": value, "action_ts": "1"}},
	}
}

func (e *env) click(t *testing.T, payload map[string]any) {
	t.Helper()
	raw, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(url.Values{"payload": {string(raw)}}.Encode())
	w := httptest.NewRecorder()
	start := time.Now()
	e.mux.ServeHTTP(w, signedRequest("/slack/interactions", body, testSecret, time.Now()))
	if w.Code != http.StatusOK {
		t.Fatalf("click: HTTP %d %s", w.Code, w.Body)
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("ack took %v", el)
	}
	e.h.Wait()
}

func blocksJSON(t *testing.T, raw json.RawMessage) json.RawMessage {
	var m struct {
		Blocks json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m.Blocks
}

func TestDetailsHideEphemeralCard(t *testing.T) {
	t.Parallel()
	d := exampleDigest("2025-10-01", 3, false)
	e := newEnv(t, formatter.SlackButtons, d)
	m, raw := e.command(t, "/paper", "2509.10002")
	checkMsg(t, m)
	value := formatter.SlackDetailsValue(d.Path, 2)
	if !strings.Contains(string(raw), `"paper_details"`) {
		t.Fatalf("card has no Details button: %s", raw)
	}
	e.click(t, clickPayload(e, formatter.SlackActionDetails, value, blocksJSON(t, raw), true, "111.222"))
	rs := e.f.Responses()
	if len(rs) != 1 || !rs[0].Msg.ReplaceOriginal {
		t.Fatalf("responses %+v", rs)
	}
	checkMsg(t, &rs[0].Msg)
	got := string(rs[0].Raw)
	if !strings.Contains(got, `"paper_hide"`) || !strings.Contains(got, "Method") || !strings.Contains(got, "paper:2509.10002") {
		t.Errorf("expanded card lacks Hide, sections or share: %s", got)
	}
	e.click(t, clickPayload(e, formatter.SlackActionHide, value, blocksJSON(t, rs[0].Raw), true, "111.222"))
	rs = e.f.Responses()
	if len(rs) != 2 || !strings.Contains(string(rs[1].Raw), `"paper_details"`) || strings.Contains(string(rs[1].Raw), `"paper_hide"`) {
		t.Fatalf("hide did not fold: %s", rs[len(rs)-1].Raw)
	}
	if len(e.f.Calls("chat.update")) != 0 {
		t.Error("ephemeral message changed with chat.update")
	}
}

func TestDetailsInChannelMessage(t *testing.T) {
	t.Parallel()
	d := exampleDigest("2025-10-01", 16, false)
	e := newEnv(t, formatter.SlackButtons, d)
	tg := newTarget(e.f, formatter.SlackButtons, nil)
	refs, err := tg.Post(ctxT(t), d, "key-b")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.PutDelivery(ctxT(t), &bot.Delivery{Post: d.Path, Target: "team", Key: "key-b", State: bot.DeliverySent, Refs: refs}); err != nil {
		t.Fatal(err)
	}
	msgs := formatter.Slack(d, formatter.SlackOptions{Details: formatter.SlackButtons})
	part := messageWithPaper(msgs, 5)
	before := e.f.Messages("C1")[part]
	e.click(t, clickPayload(e, formatter.SlackActionDetails, formatter.SlackDetailsValue(d.Path, 5), before.Blocks, false, refs[part].ID))
	after := e.f.Messages("C1")[part]
	if after.TS != before.TS || after.Updates != 1 {
		t.Fatalf("message not updated in place: %+v", after)
	}
	if !strings.Contains(string(after.Blocks), `"paper_hide"`) {
		t.Errorf("paper 5 not expanded")
	}
	if after.Metadata == nil || after.Metadata.EventPayload["key"] != "key-b" || after.Metadata.EventPayload["part"] != float64(part) {
		t.Errorf("metadata lost: %+v", after.Metadata)
	}
	if len(e.f.Responses()) != 0 {
		t.Errorf("channel message changed through response_url")
	}
	// Recover still finds every part.
	got, err := newTarget(e.f, formatter.SlackButtons, nil).Recover(ctxT(t), "key-b")
	if err != nil || len(got) != len(refs) {
		t.Fatalf("Recover after a click: %d refs, %v", len(got), err)
	}
	// Hide folds it again.
	e.click(t, clickPayload(e, formatter.SlackActionHide, formatter.SlackDetailsValue(d.Path, 5), after.Blocks, false, refs[part].ID))
	if again := e.f.Messages("C1")[part]; strings.Contains(string(again.Blocks), `"paper_hide"`) {
		t.Errorf("paper 5 still expanded")
	}
}

func TestSharePaper(t *testing.T) {
	t.Parallel()
	d := exampleDigest("2025-10-01", 3, false)
	e := newEnv(t, formatter.SlackContainer, d)
	_, raw := e.command(t, "/paper", "2509.10003")
	e.click(t, clickPayload(e, formatter.SlackActionShare, "paper:2509.10003", blocksJSON(t, raw), true, "1.1"))
	ch := e.f.Messages("C1")
	if len(ch) != 1 || !strings.Contains(string(ch[0].Blocks), "2509.10003") {
		t.Fatalf("channel %+v", ch)
	}
	if strings.Contains(string(ch[0].Blocks), "paper:2509.10003") {
		t.Errorf("shared card still has a share button")
	}
	if !strings.Contains(string(ch[0].Blocks), "@U1") {
		t.Errorf("shared card does not say who shared it")
	}
	rs := e.f.Responses()
	if len(rs) != 1 || !rs[0].Msg.DeleteOriginal {
		t.Fatalf("ephemeral not deleted: %+v", rs)
	}
}

func TestShareDigest(t *testing.T) {
	t.Parallel()
	d := exampleDigest("2025-10-01", 16, true)
	e := newEnv(t, formatter.SlackThread, d)
	want := formatter.Slack(d, formatter.SlackOptions{Details: formatter.SlackThread})
	e.click(t, clickPayload(e, formatter.SlackActionShare, "digest:2025-10-01", json.RawMessage(`[]`), true, "1.1"))
	all := e.f.AllMessages()
	if len(all) != len(want) {
		t.Fatalf("shared %d messages, want %d", len(all), len(want))
	}
	for i, m := range want {
		if m.ThreadReply != (all[i].ThreadTS != "") {
			t.Errorf("message %d thread %q", i, all[i].ThreadTS)
		}
	}
	if rs := e.f.Responses(); len(rs) != 1 || !rs[0].Msg.DeleteOriginal {
		t.Fatalf("ephemeral not deleted: %+v", rs)
	}
}

func TestShareNotInChannelFallsBack(t *testing.T) {
	t.Parallel()
	d := exampleDigest("2025-10-01", 2, false)
	e := newEnv(t, formatter.SlackContainer, d)
	e.f.SetChannelError("C1", "not_in_channel")
	e.click(t, clickPayload(e, formatter.SlackActionShare, "paper:2509.10001", json.RawMessage(`[]`), true, "1.1"))
	rs := e.f.Responses()
	if len(rs) != 2 || rs[0].Msg.ResponseType != slack.ResponseTypeInChannel || !rs[1].Msg.DeleteOriginal {
		t.Fatalf("responses %+v", rs)
	}
}

func TestBrokenButtonValue(t *testing.T) {
	t.Parallel()
	e := newEnv(t, formatter.SlackButtons)
	e.click(t, clickPayload(e, formatter.SlackActionDetails, "no-bar", json.RawMessage(`[]`), true, "1.1"))
	rs := e.f.Responses()
	if len(rs) != 1 || rs[0].Msg.ReplaceOriginal || !strings.Contains(rs[0].Msg.Text, "broken") {
		t.Fatalf("responses %+v", rs)
	}
}

// Unfolding a paper of a full message would split it: the message stays
// as it is and the clicker gets the paper's details on their own.
func TestDetailsThatDoNotFit(t *testing.T) {
	t.Parallel()
	d := exampleDigest("2025-10-01", 16, true)
	// Paper 1 has far more to say than one message holds.
	for i := 0; i < 6; i++ {
		d.Papers[0].Sections = append(d.Papers[0].Sections, bot.Section{Name: "Appendix " + strings.Repeat("I", i+1), Blocks: para(strings.Repeat("Long appendix text, with detail after detail. ", 60))})
	}
	e := newEnv(t, formatter.SlackButtons, d)
	tg := newTarget(e.f, formatter.SlackButtons, nil)
	refs, err := tg.Post(ctxT(t), d, "key-c")
	if err != nil {
		t.Fatal(err)
	}
	before := e.f.Messages("C1")
	e.click(t, clickPayload(e, formatter.SlackActionDetails, formatter.SlackDetailsValue(d.Path, 1), before[0].Blocks, false, refs[0].ID))
	after := e.f.Messages("C1")
	if len(after) != len(before) || after[0].Updates != 0 {
		t.Fatalf("channel changed: %d -> %d messages, %d updates", len(before), len(after), after[0].Updates)
	}
	rs := e.f.Responses()
	if len(rs) != 1 || rs[0].Msg.ReplaceOriginal || rs[0].Msg.ResponseType != slack.ResponseTypeEphemeral || !strings.Contains(string(rs[0].Raw), "Limitations") {
		t.Fatalf("responses %+v", rs)
	}
	checkMsg(t, &rs[0].Msg)
}
