package formatter

import (
	"html"
	"strconv"
	"strings"

	"github.com/bwmarrin/discordgo"
	"github.com/slack-go/slack"

	"github.com/paperbot/paperbot/bot"
)

// HTML renders a digest's Slack and Discord payloads in their default
// modes (Slack container, Discord buttons: what a channel shows before
// anyone clicks) as one self-contained page that mimics both clients
// closely enough to judge the layout: what a reviewer screenshots. The
// running bot's /posts/{date} embeds the same drawing (HTMLDrawing).
// Everything from the post is HTML-escaped and links other than http(s)
// are dropped.
func HTML(d *bot.Digest) string {
	var b strings.Builder
	b.WriteString(`<!doctype html><html><head><meta charset="utf-8"><meta name="color-scheme" content="light dark"><title>`)
	b.WriteString(html.EscapeString(digestTitle(d)))
	b.WriteString(`</title><style>body{margin:0}` + HTMLStyle + `</style></head><body>`)
	b.WriteString(HTMLDrawing(d, SlackOptions{}, DiscordOptions{}))
	b.WriteString(`</body></html>`)
	return b.String()
}

// HTMLDrawing is the body of HTML for the given modes: one element of
// class "pb-chats" holding a Slack and a Discord column, for pages that
// embed the drawing under their own head (with HTMLStyle, whose rules all
// stay inside .pb-chats).
func HTMLDrawing(d *bot.Digest, so SlackOptions, do DiscordOptions) string {
	var b strings.Builder
	b.WriteString(`<div class="pb-chats"><section class="col slack" aria-label="Slack"><h2>Slack</h2>`)
	for i, m := range Slack(d, so) {
		b.WriteString(`<div class="msg"><div class="meta">paperbot · message `)
		b.WriteString(strconv.Itoa(i + 1))
		b.WriteString(`</div>`)
		for _, bl := range m.Blocks {
			slackBlockHTML(&b, bl)
		}
		b.WriteString(`</div>`)
	}
	b.WriteString(`</section><section class="col discord" aria-label="Discord"><h2>Discord</h2>`)
	for i, m := range Discord(d, do) {
		b.WriteString(`<div class="msg"><div class="meta">paperbot · message `)
		b.WriteString(strconv.Itoa(i + 1))
		b.WriteString(`</div>`)
		discordMessageHTML(&b, m)
		b.WriteString(`</div>`)
	}
	b.WriteString(`</section></div>`)
	return b.String()
}

// HTMLStyle is the drawing's style sheet; every rule is scoped to
// .pb-chats. The Slack column follows the reader's light or dark
// preference as the Slack client does; the Discord column is Discord's
// dark theme either way.
const HTMLStyle = `.pb-chats{font:15px/1.46 -apple-system,"Segoe UI",Roboto,"Noto Sans CJK KR","Noto Sans KR",sans-serif;display:flex;flex-wrap:wrap;gap:24px;padding:16px;background:#fff;color:#1d1c1d}
.pb-chats .col{flex:1 1 22rem;min-width:0}.pb-chats h2{font-size:18px;color:#616061;margin:.5em 0}
.pb-chats .msg{border-bottom:1px solid #eee;padding:8px 0 16px}.pb-chats .meta{font-weight:700;margin-bottom:4px}
.pb-chats .hdr{font-size:18px;font-weight:900;margin:4px 0}.pb-chats .ctx{font-size:12px;color:#616061;margin:4px 0}
.pb-chats .sec{margin:6px 0;white-space:normal}.pb-chats .sec .acc{float:right}
.pb-chats button{border:1px solid #ccc;border-radius:4px;background:#fff;color:inherit;padding:2px 10px;font-weight:700}
.pb-chats details{border:1px solid #ddd;border-radius:8px;margin:4px 0 10px;padding:4px 10px}.pb-chats summary{cursor:pointer;color:#1264a3}
.pb-chats code{background:#f6f6f6;border:1px solid #e0e0e0;border-radius:3px;padding:0 3px;color:#e01e5a;font-size:12px}
.pb-chats a{color:#1264a3;text-decoration:none}
.pb-chats .discord{background:#313338;color:#dbdee1;padding:0 12px}.pb-chats .discord h2{color:#b5bac1}.pb-chats .discord .msg{border-color:#3f4147}
.pb-chats .embed{border-left:4px solid #b31b1b;background:#2b2d31;border-radius:4px;padding:8px 12px;margin:6px 0;max-width:520px}
.pb-chats .embed .t a{color:#00a8fc;font-weight:700}.pb-chats .embed .f{margin-top:6px}.pb-chats .embed .fn{font-weight:700;font-size:13px}
.pb-chats .embed .foot{font-size:12px;color:#b5bac1;margin-top:6px}.pb-chats .discord code{background:#1e1f22;color:#dbdee1;border:0}
.pb-chats .discord button{background:#4e5058;border-color:#4e5058}.pb-chats .discord a{color:#00a8fc}
.pb-chats .spoiler{background:#1e1f22;color:transparent;border-radius:3px}.pb-chats .spoiler:hover,.pb-chats .spoiler:focus{color:inherit;background:#3a3c42;outline:none}
@media (prefers-color-scheme:dark){.pb-chats{background:#1a1d21;color:#d1d2d3}.pb-chats h2,.pb-chats .ctx{color:#ababad}
.pb-chats .msg{border-color:#35373b}.pb-chats details{border-color:#45474b}.pb-chats summary,.pb-chats a{color:#1d9bd1}
.pb-chats button{background:#222529;border-color:#565856}.pb-chats code{background:#222529;border-color:#45474b;color:#e8912d}}`

func slackBlockHTML(b *strings.Builder, bl slack.Block) {
	switch v := bl.(type) {
	case *slack.HeaderBlock:
		b.WriteString(`<div class="hdr">` + html.EscapeString(v.Text.Text) + `</div>`)
	case *slack.ContextBlock:
		b.WriteString(`<div class="ctx">`)
		for i, e := range v.ContextElements.Elements {
			if t, ok := e.(*slack.TextBlockObject); ok {
				if i > 0 {
					b.WriteString(" ")
				}
				if t.Type == slack.PlainTextType {
					b.WriteString(html.EscapeString(t.Text))
				} else {
					b.WriteString(mrkdwnHTML(t.Text))
				}
			}
		}
		b.WriteString(`</div>`)
	case *slack.SectionBlock:
		b.WriteString(`<div class="sec">`)
		if v.Accessory != nil && v.Accessory.ButtonElement != nil {
			b.WriteString(`<span class="acc"><button>` + html.EscapeString(v.Accessory.ButtonElement.Text.Text) + `</button></span>`)
		}
		if v.Text != nil {
			b.WriteString(mrkdwnHTML(v.Text.Text))
		}
		b.WriteString(`</div>`)
	case *slack.ContainerBlock:
		b.WriteString(`<details`)
		if !v.DefaultCollapsed {
			b.WriteString(` open`)
		}
		b.WriteString(`><summary>` + html.EscapeString(v.Title.Text) + `</summary>`)
		for _, c := range v.ChildBlocks.BlockSet {
			slackBlockHTML(b, c)
		}
		b.WriteString(`</details>`)
	case *slack.RichTextBlock:
		b.WriteString(`<div class="sec">`)
		richHTML(b, v)
		b.WriteString(`</div>`)
	case *slack.ActionBlock:
		b.WriteString(`<div class="sec">`)
		for _, e := range v.Elements.ElementSet {
			if btn, ok := e.(*slack.ButtonBlockElement); ok {
				b.WriteString(`<button>` + html.EscapeString(btn.Text.Text) + `</button> `)
			}
		}
		b.WriteString(`</div>`)
	}
}

// richHTML draws a rich_text block: styled runs, links, line breaks and
// lists indented by their level.
func richHTML(b *strings.Builder, v *slack.RichTextBlock) {
	section := func(s *slack.RichTextSection) {
		for _, e := range s.Elements {
			var text, url string
			var st *slack.RichTextSectionTextStyle
			switch r := e.(type) {
			case *slack.RichTextSectionTextElement:
				text, st = r.Text, r.Style
			case *slack.RichTextSectionLinkElement:
				text, url, st = r.Text, r.URL, r.Style
			default:
				continue
			}
			open, closing := "", ""
			if st != nil {
				for _, t := range []struct {
					on  bool
					tag string
				}{{st.Bold, "b"}, {st.Italic, "i"}, {st.Strike, "s"}, {st.Code, "code"}} {
					if t.on {
						open += "<" + t.tag + ">"
						closing = "</" + t.tag + ">" + closing
					}
				}
			}
			body := strings.ReplaceAll(html.EscapeString(text), "\n", "<br>")
			if href, ok := safeHref(url); ok {
				body = `<a href="` + href + `">` + body + `</a>`
			}
			b.WriteString(open + body + closing)
		}
	}
	for _, e := range v.Elements {
		switch el := e.(type) {
		case *slack.RichTextSection:
			section(el)
		case *slack.RichTextList:
			tag := "ul"
			if el.Style == slack.RTEListOrdered {
				tag = "ol"
			}
			b.WriteString("<" + tag + ` style="margin:0 0 0 ` + strconv.Itoa(16+24*el.Indent) + `px;padding:0"`)
			if el.Style == slack.RTEListOrdered {
				b.WriteString(` start="` + strconv.Itoa(el.Offset+1) + `"`)
			}
			b.WriteString(">")
			for _, it := range el.Elements {
				if s, ok := it.(*slack.RichTextSection); ok {
					b.WriteString("<li>")
					section(s)
					b.WriteString("</li>")
				}
			}
			b.WriteString("</" + tag + ">")
		}
	}
}

// safeHref keeps http(s) links only (bot.WebURL); anything else is not a
// link.
func safeHref(u string) (string, bool) {
	if u = bot.WebURL(u); u == "" {
		return "", false
	}
	return html.EscapeString(u), true
}

// mrkdwnHTML converts Slack mrkdwn as the renderers write it: links
// <url|label>, `code`, *bold*, _italic_, entities, line breaks.
func mrkdwnHTML(s string) string {
	var b strings.Builder
	var f flanks
	for len(s) > 0 {
		switch s[0] {
		case '<':
			end := strings.IndexByte(s, '>')
			if end < 0 {
				f.text(&b, s, '*', '_')
				s = ""
				continue
			}
			url, label, _ := strings.Cut(s[1:end], "|")
			url = html.UnescapeString(url)
			if label == "" {
				label = url
			}
			if href, ok := safeHref(url); ok {
				b.WriteString(`<a href="` + href + `">`)
				f.text(&b, label, '*', '_')
				b.WriteString(`</a>`)
			} else {
				f.text(&b, label, '*', '_')
			}
			s = s[end+1:]
		case '`':
			end := strings.IndexByte(s[1:], '`')
			if end < 0 {
				f.text(&b, s, '*', '_')
				s = ""
				continue
			}
			b.WriteString(`<code>` + html.EscapeString(html.UnescapeString(s[1:end+1])) + `</code>`)
			s = s[end+2:]
		default:
			i := strings.IndexAny(s, "<`")
			if i < 0 {
				i = len(s)
			}
			f.text(&b, s[:i], '*', '_')
			s = s[i:]
		}
	}
	f.close(&b)
	return b.String()
}

// flanks tracks open bold/italic markers across the pieces of a text.
type flanks struct {
	bold, ital bool
	last       byte // the last character written, across pieces; 0 at the start
}

func isWordByte(c byte) bool {
	return c >= 0x80 || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// text writes escaped text, turning a bold or italic marker into a tag
// when it opens before a non-space or closes after one (so "a * b" and
// snake_case stay literal).
func (f *flanks) text(b *strings.Builder, s string, boldMark, italMark byte) {
	s = html.UnescapeString(s)
	for i := 0; i < len(s); i++ {
		c := s[i]
		prev := f.last
		if i > 0 {
			prev = s[i-1]
		}
		f.last = c
		prevSpace := prev == 0 || prev == ' ' || prev == '\n' || prev == '('
		nextSpace := i+1 == len(s) || s[i+1] == ' ' || s[i+1] == '\n'
		switch {
		case c == boldMark && !f.bold && !nextSpace && prevSpace:
			b.WriteString("<b>")
			f.bold = true
		case c == boldMark && f.bold && !prevSpace:
			b.WriteString("</b>")
			f.bold = false
		case c == italMark && !f.ital && !nextSpace && prevSpace:
			b.WriteString("<i>")
			f.ital = true
		case c == italMark && f.ital && !prevSpace && (i+1 == len(s) || !isWordByte(s[i+1])):
			b.WriteString("</i>")
			f.ital = false
		case c == '\n':
			b.WriteString("<br>")
		default:
			b.WriteString(html.EscapeString(s[i : i+1]))
		}
	}
}

func (f *flanks) close(b *strings.Builder) {
	if f.ital {
		b.WriteString("</i>")
	}
	if f.bold {
		b.WriteString("</b>")
	}
	*f = flanks{}
}

func discordMessageHTML(b *strings.Builder, m *discordgo.MessageSend) {
	if m.Content != "" {
		b.WriteString(`<div class="sec">` + discordMarkdownHTML(m.Content) + `</div>`)
	}
	for _, e := range m.Embeds {
		b.WriteString(`<div class="embed"><div class="t">`)
		if href, ok := safeHref(e.URL); ok {
			b.WriteString(`<a href="` + href + `">` + discordMarkdownHTML(e.Title) + `</a>`)
		} else {
			b.WriteString(discordMarkdownHTML(e.Title))
		}
		b.WriteString(`</div>`)
		if e.Description != "" {
			b.WriteString(`<div>` + discordMarkdownHTML(e.Description) + `</div>`)
		}
		for _, fl := range e.Fields {
			b.WriteString(`<div class="f"><div class="fn">` + discordMarkdownHTML(fl.Name) + `</div><div>` + discordMarkdownHTML(fl.Value) + `</div></div>`)
		}
		if e.Footer != nil {
			b.WriteString(`<div class="foot">` + html.EscapeString(e.Footer.Text) + `</div>`)
		}
		b.WriteString(`</div>`)
	}
	for _, c := range m.Components {
		if row, ok := c.(discordgo.ActionsRow); ok {
			b.WriteString(`<div class="sec">`)
			for _, bc := range row.Components {
				if btn, ok := bc.(discordgo.Button); ok {
					b.WriteString(`<button>` + html.EscapeString(btn.Label) + `</button> `)
				}
			}
			b.WriteString(`</div>`)
		}
	}
}

// discordMarkdownHTML converts the Discord markdown the renderers write:
// backslash escapes, **bold**, *italic*, `code`, [label](url), ||spoiler||.
func discordMarkdownHTML(s string) string {
	var b strings.Builder
	bold, ital, spoil := false, false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteString(html.EscapeString(s[i : i+1]))
		case c == '`':
			j := i
			for j < len(s) && s[j] == '`' {
				j++
			}
			fence := s[i:j]
			k := strings.Index(s[j:], fence)
			if k < 0 {
				b.WriteString(html.EscapeString(s[i:j]))
				i = j - 1
				continue
			}
			b.WriteString(`<code>` + html.EscapeString(strings.TrimSpace(s[j:j+k])) + `</code>`)
			i = j + k + len(fence) - 1
		case strings.HasPrefix(s[i:], "||"):
			if spoil {
				b.WriteString(`</span>`)
			} else {
				// Focusable, so a click or the keyboard reveals it (no
				// scripts), as a click does in Discord.
				b.WriteString(`<span class="spoiler" tabindex="0">`)
			}
			spoil = !spoil
			i++
		case strings.HasPrefix(s[i:], "**"):
			if bold {
				b.WriteString(`</b>`)
			} else {
				b.WriteString(`<b>`)
			}
			bold = !bold
			i++
		case c == '*':
			if ital {
				b.WriteString(`</i>`)
			} else {
				b.WriteString(`<i>`)
			}
			ital = !ital
		case c == '[':
			close := strings.Index(s[i:], "](")
			end := -1
			if close > 0 {
				end = strings.IndexByte(s[i+close:], ')')
			}
			if close < 0 || end < 0 {
				b.WriteString("[")
				continue
			}
			label := s[i+1 : i+close]
			url := s[i+close+2 : i+close+end]
			if href, ok := safeHref(url); ok {
				b.WriteString(`<a href="` + href + `">` + discordMarkdownHTML(label) + `</a>`)
			} else {
				b.WriteString(discordMarkdownHTML(label))
			}
			i += close + end
		case c == '\n':
			b.WriteString("<br>")
		default:
			b.WriteString(html.EscapeString(s[i : i+1]))
		}
	}
	if ital {
		b.WriteString(`</i>`)
	}
	if bold {
		b.WriteString(`</b>`)
	}
	if spoil {
		b.WriteString(`</span>`)
	}
	return b.String()
}
