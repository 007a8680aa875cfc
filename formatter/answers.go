package formatter

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/slack-go/slack"

	"github.com/paperbot/paperbot/bot"
)

// The answers to /paper and /digest and the bot's own sentences, for every
// chat and the console. The adapters only send what these return, so a
// title reads the same in a digest, a card and a search result.

// searchTitleMax cuts a title in a search result list.
const searchTitleMax = 300

// SlackNotice is a one-section message of plain text (an error, a help
// text, "Working on it…"): plain_text shows it exactly as written, so a
// query echoed back ("No paper matches “*x*”") is not formatted.
func SlackNotice(text string) SlackMessage {
	text = Truncate(strings.TrimSpace(text), SlackMaxSectionText)
	if text == "" {
		text = "…"
	}
	return SlackMessage{Text: slackEscape(text), Blocks: []slack.Block{slack.NewSectionBlock(plain(text), nil, nil)}}
}

// SlackSearch lists search hits: each title bold and linked as in the
// digest, with its post's date and arXiv id, in one rich_text list.
func SlackSearch(ans *bot.PaperAnswer) SlackMessage {
	head := Truncate(fmt.Sprintf("Best matches for “%s”:", ans.Query.Words), 300)
	var text strings.Builder
	text.WriteString(slackEscape(head))
	b := newRTBuilder(SlackMaxRichText)
	for i := range ans.Results {
		hit := &ans.Results[i]
		b.item(false, 0, i+1)
		b.run(Truncate(hit.Paper.Title, searchTitleMax), rtBold, hit.Paper.Link())
		if !hit.Post.Date.IsZero() {
			b.run(" · "+hit.Post.Date.Format(time.DateOnly), nil, "")
		}
		if hit.Paper.ID != "" {
			b.run(" · ", nil, "")
			b.run(string(hit.Paper.ID), rtCode, "")
		}
		text.WriteString("\n• ")
		text.WriteString(slackEscape(Truncate(hit.Paper.Title, searchTitleMax)))
	}
	blocks := []slack.Block{slack.NewContextBlock("", plain(head))}
	rich, _ := b.done()
	for _, r := range rich {
		blocks = append(blocks, r)
	}
	return SlackMessage{Text: text.String(), Blocks: blocks}
}

// SlackWithPermalink adds "Posted in this channel: open the message" to a
// /paper card when the card stays within the limits.
func SlackWithPermalink(m SlackMessage, url string) SlackMessage {
	if bot.WebURL(url) == "" {
		return m
	}
	return slackWithContext(m, "Posted in this channel: "+slackLink(url, "open the message"))
}

// SlackWithSharedBy adds "Shared by @user" to a shared message.
func SlackWithSharedBy(m SlackMessage, userID string) SlackMessage {
	if userID == "" {
		return m
	}
	return slackWithContext(m, "Shared by <@"+slackEscape(userID)+">")
}

// slackWithContext adds a context line before m's trailing actions block
// (or at the end) when m stays within the limits; otherwise m is returned
// as is.
func slackWithContext(m SlackMessage, text string) SlackMessage {
	ctxBlock := slack.NewContextBlock("", mrkdwn(text))
	blocks := make([]slack.Block, 0, len(m.Blocks)+1)
	at := len(m.Blocks)
	if at > 0 && m.Blocks[at-1].BlockType() == slack.MBTAction {
		at--
	}
	blocks = append(blocks, m.Blocks[:at]...)
	blocks = append(blocks, ctxBlock)
	blocks = append(blocks, m.Blocks[at:]...)
	out := SlackMessage{Text: m.Text, Blocks: blocks, ThreadReply: m.ThreadReply}
	if CheckSlackMessage(out) != nil {
		return m
	}
	return out
}

// SlackWithShare appends a "Share in channel" button with value to the
// last message when it fits, else as a message of its own.
func SlackWithShare(msgs []SlackMessage, value string) []SlackMessage {
	actions := slack.NewActionBlock("", slackButton("Share in channel", SlackActionShare, value))
	if n := len(msgs); n > 0 {
		last := msgs[n-1]
		cand := SlackMessage{Text: last.Text, Blocks: append(append([]slack.Block{}, last.Blocks...), actions)}
		if CheckSlackMessage(cand) == nil {
			out := append([]SlackMessage{}, msgs...)
			out[n-1] = cand
			return out
		}
	}
	return append(msgs, SlackMessage{Text: "Share this digest in the channel", Blocks: []slack.Block{actions}})
}

// DiscordNotice is a plain sentence as a message: escaped, so an echoed
// query is shown as typed, and cut to the content limit.
func DiscordNotice(text string) *discordgo.MessageSend {
	return &discordgo.MessageSend{
		Content:         Truncate(discordEscape(text, true), DiscordMaxContent),
		AllowedMentions: noMentions(),
	}
}

// DiscordSearch lists search hits, one linked title a line (escaped and
// linked as in the digest), as many as fit one message's content.
func DiscordSearch(ans *bot.PaperAnswer) *discordgo.MessageSend {
	var b strings.Builder
	b.WriteString("Papers matching “" + discordEscape(Truncate(ans.Query.Words, 200), false) + "”:")
	foot := "\n-# /paper query:<id> shows one of them."
	for i := range ans.Results {
		hit := &ans.Results[i]
		p := &hit.Paper
		// <url> keeps Discord from unfurling every result.
		line := "\n" + strconv.Itoa(i+1) + ". " + discordLinkQuiet(p.Link(), Truncate(p.Title, searchTitleMax))
		if !hit.Post.Date.IsZero() {
			line += " · " + hit.Post.Date.Format(time.DateOnly)
		}
		if p.ID != "" {
			line += " · " + discordCode(string(p.ID))
		}
		if Len16(b.String())+Len16(line)+Len16(foot) > DiscordMaxContent {
			break
		}
		b.WriteString(line)
	}
	b.WriteString(foot)
	return &discordgo.MessageSend{Content: b.String(), AllowedMentions: noMentions()}
}

// discordLinkQuiet is discordLink with the URL in <…>, which Discord does
// not unfurl into a preview.
func discordLinkQuiet(url, label string) string {
	url = bot.WebURL(url)
	if url == "" {
		return discordEscape(label, false)
	}
	return "[" + discordEscape(strings.ReplaceAll(label, "\n", " "), false) + "](<" + discordURLEscaper.Replace(url) + ">)"
}

// DiscordDigestReply is the answer to /digest: the digest's first message,
// saying so when the digest has more (the rest is in its channel).
func DiscordDigestReply(d *bot.Digest, opt DiscordOptions) *discordgo.MessageSend {
	msgs := Discord(d, opt)
	m := *msgs[0]
	if len(msgs) > 1 {
		note := fmt.Sprintf("\n-# Showing part 1 of %d; the whole digest is in the channel it was posted to.", len(msgs))
		if Len16(m.Content+note) <= DiscordMaxContent {
			m.Content += note
		}
	}
	return &m
}

// SearchText lists search hits for the console (paperbot lookup): the
// title as written, then the arXiv id, the post's date and paper number,
// and the link.
func SearchText(hits []bot.PaperHit) string {
	var b strings.Builder
	for i := range hits {
		h := &hits[i]
		fmt.Fprintf(&b, "%d. %s\n", i+1, h.Paper.Title)
		var meta []string
		if h.Paper.ID != "" {
			meta = append(meta, "arXiv "+string(h.Paper.ID))
		}
		meta = append(meta, h.Post.Date.Format(time.DateOnly)+" paper "+strconv.Itoa(h.Paper.Number))
		if link := h.Paper.Link(); link != "" {
			meta = append(meta, link)
		}
		b.WriteString("   " + strings.Join(meta, " · ") + "\n")
	}
	return b.String()
}
