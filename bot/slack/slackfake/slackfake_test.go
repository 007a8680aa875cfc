package slackfake

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

func section(text string) slack.Block {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil)
}

func rich(els ...slack.RichTextElement) slack.Block { return slack.NewRichTextBlock("", els...) }

func TestChecks(t *testing.T) {
	s := New("xoxb-ok")
	defer s.Close()
	ctx := context.Background()
	many := make([]slack.Block, 51)
	for i := range many {
		many[i] = section("x")
	}
	long := []slack.Block{}
	for i := 0; i < 5; i++ {
		long = append(long, section(strings.Repeat("é", 2900)))
	}
	cases := []struct {
		name   string
		client *slack.Client
		ch     string
		opts   []slack.MsgOption
		want   string
	}{
		{"ok", s.Client(), "C1", []slack.MsgOption{slack.MsgOptionText("hi", false)}, ""},
		{"ok blocks", s.Client(), "C1", []slack.MsgOption{slack.MsgOptionText("hi", false), slack.MsgOptionBlocks(section("a"))}, ""},
		{"wrong token", slack.New("xoxb-bad", slack.OptionAPIURL(s.APIURL())), "C1", []slack.MsgOption{slack.MsgOptionText("hi", false)}, "invalid_auth"},
		{"no channel", s.Client(), "", []slack.MsgOption{slack.MsgOptionText("hi", false)}, "channel_not_found"},
		{"no text", s.Client(), "C1", nil, "no_text"},
		{"51 blocks", s.Client(), "C1", []slack.MsgOption{slack.MsgOptionText("hi", false), slack.MsgOptionBlocks(many...)}, "invalid_blocks"},
		{"too much text", s.Client(), "C1", []slack.MsgOption{slack.MsgOptionText("hi", false), slack.MsgOptionBlocks(long...)}, "msg_blocks_too_long"},
		{"section over 3000", s.Client(), "C1", []slack.MsgOption{slack.MsgOptionText("hi", false), slack.MsgOptionBlocks(section(strings.Repeat("😀", 1501)))}, "invalid_blocks"},
		// rich_text, checked by the fake's own reading of it.
		{"rich_text indent 9", s.Client(), "C1", []slack.MsgOption{slack.MsgOptionText("hi", false), slack.MsgOptionBlocks(rich(slack.NewRichTextList(slack.RTEListBullet, 9, slack.NewRichTextSection(slack.NewRichTextSectionTextElement("x", nil)))))}, "invalid_blocks"},
		{"rich_text script link", s.Client(), "C1", []slack.MsgOption{slack.MsgOptionText("hi", false), slack.MsgOptionBlocks(rich(slack.NewRichTextSection(slack.NewRichTextSectionLinkElement("JavaScript:alert(1)", "x", nil))))}, "invalid_blocks"},
		{"rich_text empty section", s.Client(), "C1", []slack.MsgOption{slack.MsgOptionText("hi", false), slack.MsgOptionBlocks(rich(slack.NewRichTextSection()))}, "invalid_blocks"},
		{"rich_text over 3000", s.Client(), "C1", []slack.MsgOption{slack.MsgOptionText("hi", false), slack.MsgOptionBlocks(rich(slack.NewRichTextSection(slack.NewRichTextSectionTextElement(strings.Repeat("😀", 1501), nil))))}, "invalid_blocks"},
	}
	for _, tc := range cases {
		_, _, err := tc.client.PostMessageContext(ctx, tc.ch, tc.opts...)
		var se slack.SlackErrorResponse
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (!errors.As(err, &se) || se.Err != tc.want):
			t.Errorf("%s: err %v, want %s", tc.name, err, tc.want)
		}
	}
	if n := len(s.Messages("C1")); n != 2 {
		t.Errorf("%d messages kept, want 2", n)
	}
}

func TestFaultsAndHistory(t *testing.T) {
	s := New("xoxb-ok")
	defer s.Close()
	ctx := context.Background()
	c := s.Client()
	s.RateLimitNext("chat.postMessage", 1, 7)
	_, _, err := c.PostMessageContext(ctx, "C1", slack.MsgOptionText("a", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 7*time.Second {
		t.Fatalf("want 429 with Retry-After 7, got %v", err)
	}
	s.ServerErrorNext("", 1, http.StatusBadGateway)
	_, _, err = c.PostMessageContext(ctx, "C1", slack.MsgOptionText("a", false))
	var sc slack.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != 502 {
		t.Fatalf("want 502, got %v", err)
	}
	s.SetChannelError("C9", "is_archived")
	if _, _, err = c.PostMessageContext(ctx, "C9", slack.MsgOptionText("a", false)); err == nil || err.Error() != "is_archived" {
		t.Fatalf("want is_archived, got %v", err)
	}
	for i := 0; i < 5; i++ {
		md := slack.SlackMetadata{EventType: "e", EventPayload: map[string]any{"i": i}}
		if _, _, err := c.PostMessageContext(ctx, "C1", slack.MsgOptionText("m", false), slack.MsgOptionMetadata(md)); err != nil {
			t.Fatal(err)
		}
	}
	var seen []float64
	cursor := ""
	for {
		h, err := c.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C1", Limit: 2, Cursor: cursor, IncludeAllMetadata: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range h.Messages {
			seen = append(seen, m.Metadata.EventPayload["i"].(float64))
		}
		if !h.HasMore {
			break
		}
		cursor = h.ResponseMetaData.NextCursor
	}
	if len(seen) != 5 || seen[0] != 4 || seen[4] != 0 {
		t.Errorf("history newest first, paged: %v", seen)
	}
	h, err := c.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C1"})
	if err != nil || h.Messages[0].Metadata.EventType != "" {
		t.Errorf("metadata without include_all_metadata: %+v %v", h.Messages[0].Metadata, err)
	}
	// Updates and deletes.
	ts := s.Messages("C1")[0].TS
	if _, _, _, err := c.UpdateMessageContext(ctx, "C1", ts, slack.MsgOptionText("new", false)); err != nil {
		t.Fatal(err)
	}
	if m := s.Messages("C1")[0]; m.Text != "new" || m.Updates != 1 {
		t.Errorf("update: %+v", m)
	}
	if _, _, err := c.DeleteMessageContext(ctx, "C1", ts); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := c.UpdateMessageContext(ctx, "C1", ts, slack.MsgOptionText("x", false)); err == nil || err.Error() != "message_not_found" {
		t.Errorf("update of a deleted message: %v", err)
	}
	if pl, err := c.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: "C1", Ts: s.Messages("C1")[0].TS}); err != nil || !strings.Contains(pl, "/archives/C1/p") {
		t.Errorf("permalink %q %v", pl, err)
	}
}
