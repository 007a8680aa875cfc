package formatter

import (
	"bytes"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/paperbot/paperbot/bot"
)

// slackJSONReference is what SlackJSON wrote before it encoded by hand:
// encoding/json over the same values.
func slackJSONReference(msgs []SlackMessage) ([]byte, error) {
	out := make([]slackJSONMessage, len(msgs))
	for i, m := range msgs {
		out[i] = slackJSONMessage{Text: m.Text, Blocks: m.Blocks}
	}
	return encodeJSON(out)
}

func checkSlackJSONMatches(t *testing.T, name string, msgs []SlackMessage) {
	t.Helper()
	want, werr := slackJSONReference(msgs)
	out := make([]slackJSONMessage, len(msgs))
	for i, m := range msgs {
		out[i] = slackJSONMessage{Text: m.Text, Blocks: m.Blocks}
	}
	got, gerr := encodeSlackJSON(out)
	if (werr != nil) != (gerr != nil) {
		t.Fatalf("%s: error %v, encoding/json says %v", name, gerr, werr)
	}
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Fatalf("%s: differs from encoding/json at byte %d:\n got %.120q\nwant %.120q", name, i, got[max(0, i-40):], want[max(0, i-40):])
	}
}

// nastyJSONText has every byte class encoding/json treats specially;
// nastyValidText too, as valid UTF-8 (str's fast path).
const (
	nastyJSONText  = "a\"b\\c\nd\re\tf\bg\fh\x00i\x1fj&k<l>m\u2028n\u2029o\xffp\xe2\x80q 한국어 🚀 \\u0026 \u007f"
	nastyValidText = "a\"b\\c\nd\re\tf\bg\fh\x00i\x1fj&k<l>m\u2028n\u2029o\u202a\u2027\u20ac–p 한국어 🚀 \\u0026 \u007f\u2029"
)

func TestSlackJSONMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	yes := true
	rt := func(elems ...slack.RichTextElement) *slack.RichTextBlock { return slack.NewRichTextBlock("", elems...) }
	sec := slack.NewRichTextSection(
		slack.NewRichTextSectionTextElement(nastyJSONText, nil),
		slack.NewRichTextSectionTextElement(nastyValidText, rtBold),
		slack.NewRichTextSectionTextElement("all", &slack.RichTextSectionTextStyle{Bold: true, Italic: true, Strike: true, Code: true, Underline: true, Highlight: true, ClientHighlight: true, Unlink: true}),
		slack.NewRichTextSectionTextElement("none", &slack.RichTextSectionTextStyle{}),
		slack.NewRichTextSectionLinkElement("https://x.test/?a=1&b=<2>", nastyJSONText, rtItalic),
		slack.NewRichTextSectionLinkElement("https://x.test/", "", nil),
		&slack.RichTextSectionLinkElement{Type: slack.RTSELink, URL: "https://x.test/", Unsafe: &yes},
		slack.NewRichTextSectionEmojiElement("tada", 2, nil),
		(*slack.RichTextSectionTextElement)(nil),
	)
	list := slack.NewRichTextList(slack.RTEListOrdered, 2, sec, slack.NewRichTextSection())
	list.Offset, list.Border = 4, 1
	container := slack.NewContainerBlock(rt(sec), slackSection("x&y")).WithTitle(plain(nastyJSONText)).WithCollapsible(true, true)
	full := slack.NewContainerBlock().WithTitle(plain("t"))
	full.BlockID, full.Subtitle, full.RichTextTitle, full.Width, full.HasHeaderDivider = "c<1>", mrkdwn("s"), rt(sec), slack.ContainerWidthWide, true
	full.Icon = slack.NewImageBlockElement("https://x.test/i.png", "alt & <text>")
	header := slack.NewHeaderBlock(plain(nastyValidText))
	header.BlockID, header.Level = "h", 2
	tests := []struct {
		name string
		msgs []SlackMessage
	}{
		{"none", nil},
		{"empty", []SlackMessage{{}}},
		{"nil blocks", []SlackMessage{{Text: nastyJSONText, Blocks: nil}}},
		{"rich text", []SlackMessage{{Text: "t", Blocks: []slack.Block{rt(sec, list, nil), rt(), &slack.RichTextBlock{Type: slack.MBTRichText, BlockID: "paper-1"}}}}},
		{"unknown rich elements", []SlackMessage{{Text: "t", Blocks: []slack.Block{rt(&slack.RichTextQuote{Type: slack.RTEQuote}, (*slack.RichTextSection)(nil), (*slack.RichTextList)(nil), &slack.RichTextSection{Type: slack.RTESection})}}}},
		{"containers", []SlackMessage{{Text: "t", Blocks: []slack.Block{container, full, slack.NewContainerBlock(), &slack.ContainerBlock{Type: slack.MBTContainer}}}}},
		{"header and context", []SlackMessage{{Text: "t", Blocks: []slack.Block{
			header,
			slack.NewHeaderBlock(nil),
			slack.NewContextBlock("ctx", mrkdwn(nastyJSONText), plain("p"), slack.NewImageBlockElement("https://x.test/i.png", "<alt>"), (*slack.TextBlockObject)(nil)),
			slack.NewContextBlock(""),
			slack.NewHeaderBlock(&slack.TextBlockObject{Type: "mrkdwn", Text: "v", Verbatim: true}),
		}}}},
		{"other blocks", []SlackMessage{{Text: "t", Blocks: []slack.Block{
			slack.NewActionBlock("a", slackButton("Details", SlackActionDetails, "p&<>|1")),
			slack.NewSectionBlock(mrkdwn("m"), nil, slack.NewAccessory(slackButton("b", "a", "v"))),
			slack.NewDividerBlock(),
			(*slack.HeaderBlock)(nil), (*slack.ContextBlock)(nil), (*slack.ContainerBlock)(nil), (*slack.RichTextBlock)(nil),
			nil,
		}}}},
	}
	for _, tt := range tests {
		checkSlackJSONMatches(t, tt.name, tt.msgs)
	}
}

// TestSlackJSONMatchesEncodingJSONGenerated: every mode's payloads for
// generated posts of every shape, and the /paper cards, are the bytes
// encoding/json wrote. Twelve posts hold every shape propertyPosts makes
// (its options repeat every 12 posts); 24 repeated them at twice the cost.
func TestSlackJSONMatchesEncodingJSONGenerated(t *testing.T) {
	t.Parallel()
	for i, d := range propertyPosts(t, 12) {
		all := map[int]bool{}
		for _, p := range d.Papers {
			all[p.Number] = true
		}
		for _, mode := range []SlackDetails{SlackContainer, SlackButtons, SlackThread, SlackInline} {
			checkSlackJSONMatches(t, d.Path+" "+string(mode), Slack(d, SlackOptions{Details: mode, SiteURL: "https://blog.test/", Expanded: all}))
		}
		if i%4 == 0 {
			post := bot.PostRef{Date: d.Date, Title: d.Title, Path: d.Path}
			for j := range d.Papers {
				for _, mode := range []SlackDetails{SlackContainer, SlackButtons, SlackInline} {
					checkSlackJSONMatches(t, d.Path+" paper", []SlackMessage{SlackPaper(&d.Papers[j], post, SlackOptions{Details: mode, Expanded: all})})
				}
			}
		}
	}
}

// FuzzSlackJSON: any text in any string field encodes as encoding/json
// encodes it.
func FuzzSlackJSON(f *testing.F) {
	f.Add(nastyJSONText, "https://x.test/?a&b")
	f.Add(nastyValidText, "\u2029")
	f.Add("plain", "")
	f.Add(strings.Repeat("\\u003c", 3), "\u2028")
	f.Fuzz(func(t *testing.T, text, url string) {
		sec := slack.NewRichTextSection(slack.NewRichTextSectionTextElement(text, rtCode), slack.NewRichTextSectionLinkElement(url, text, nil))
		msgs := []SlackMessage{{Text: text, Blocks: []slack.Block{
			slack.NewHeaderBlock(plain(text)),
			slack.NewContextBlock(text, mrkdwn(text)),
			slack.NewRichTextBlock(url, sec, slack.NewRichTextList(slack.RTEListBullet, 0, sec)),
			slack.NewContainerBlock(slack.NewRichTextBlock("", sec)).WithTitle(plain(text)),
			slack.NewActionBlock("", slackButton(text, text, url)),
		}}}
		checkSlackJSONMatches(t, "fuzz", msgs)
	})
}
