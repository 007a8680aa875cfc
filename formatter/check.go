package formatter

import (
	"errors"
	"fmt"

	"github.com/bwmarrin/discordgo"
	"github.com/slack-go/slack"

	"github.com/paperbot/paperbot/bot"
)

// The validators below check a payload against every limit of DESIGN.md's
// table. The renderers' tests use them, and so do the fake Slack and
// Discord servers of the adapters' tests, which see the payloads decoded
// from JSON (pointer block types) rather than built (either works).

// slackBlockCount counts a block and, for a container, its children.
func slackBlockCount(b slack.Block) int {
	if c := asContainer(b); c != nil {
		n := 1
		for _, child := range c.ChildBlocks.BlockSet {
			n += slackBlockCount(child)
		}
		return n
	}
	return 1
}

func asContainer(b slack.Block) *slack.ContainerBlock {
	switch c := b.(type) {
	case *slack.ContainerBlock:
		return c
	case slack.ContainerBlock:
		return &c
	}
	return nil
}

func textLen(t *slack.TextBlockObject) int {
	if t == nil {
		return 0
	}
	return Len16(t.Text)
}

// slackBlockText is the text a block carries, in UTF-16 units: the count
// behind Slack's msg_blocks_too_long.
func slackBlockText(b slack.Block) int {
	n := 0
	switch v := slackBlockPtr(b).(type) {
	case *slack.HeaderBlock:
		n += textLen(v.Text)
	case *slack.SectionBlock:
		n += textLen(v.Text)
		for _, f := range v.Fields {
			n += textLen(f)
		}
		if v.Accessory != nil && v.Accessory.ButtonElement != nil {
			n += textLen(v.Accessory.ButtonElement.Text)
		}
	case *slack.ContextBlock:
		for _, e := range v.ContextElements.Elements {
			if t, ok := e.(*slack.TextBlockObject); ok {
				n += textLen(t)
			}
		}
	case *slack.ActionBlock:
		if v.Elements != nil {
			for _, e := range v.Elements.ElementSet {
				if btn, ok := e.(*slack.ButtonBlockElement); ok {
					n += textLen(btn.Text)
				}
			}
		}
	case *slack.ContainerBlock:
		n += textLen(v.Title) + textLen(v.Subtitle)
		for _, c := range v.ChildBlocks.BlockSet {
			n += slackBlockText(c)
		}
	case *slack.RichTextBlock:
		n += slackRichText(v)
	}
	return n
}

// slackBlockPtr returns b as a pointer: the slack library's block types are
// Blocks both as values and as pointers, and the checks switch on the
// pointer types only. A kind not listed is returned as it is.
func slackBlockPtr(b slack.Block) slack.Block {
	switch v := b.(type) {
	case slack.HeaderBlock:
		return &v
	case slack.SectionBlock:
		return &v
	case slack.ContextBlock:
		return &v
	case slack.ActionBlock:
		return &v
	case slack.ContainerBlock:
		return &v
	case slack.DividerBlock:
		return &v
	case slack.RichTextBlock:
		return &v
	}
	return b
}

// CheckSlackMessage reports every way m breaks Slack's limits (nil if none):
// blocks (container children included), section/header/context/container
// text, fields, actions and button parts, block ids, the text fallback, and
// the total block text.
func CheckSlackMessage(m SlackMessage) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if m.Text == "" {
		bad("text fallback is empty")
	}
	if n := Len16(m.Text); n > SlackMaxFallbackText {
		bad("text fallback is %d characters, limit %d", n, SlackMaxFallbackText)
	}
	if len(m.Blocks) == 0 {
		bad("no blocks")
	}
	count, text := 0, 0
	ids := map[string]bool{}
	for i, b := range m.Blocks {
		count += slackBlockCount(b)
		text += slackBlockText(b)
		checkSlackBlock(b, fmt.Sprintf("block %d", i), 0, ids, bad)
	}
	if count > SlackMaxBlocks {
		bad("%d blocks (container children included), limit %d", count, SlackMaxBlocks)
	}
	if text > SlackMaxMessageText {
		bad("%d characters of block text, limit %d", text, SlackMaxMessageText)
	}
	return errors.Join(errs...)
}

func checkSlackBlock(b slack.Block, where string, depth int, ids map[string]bool, bad func(string, ...any)) {
	if b == nil {
		bad("%s: nil block", where)
		return
	}
	if id := b.ID(); id != "" {
		if Len16(id) > SlackMaxBlockID {
			bad("%s: block_id longer than %d", where, SlackMaxBlockID)
		}
		if ids[id] {
			bad("%s: duplicate block_id %q", where, id)
		}
		ids[id] = true
	}
	switch v := slackBlockPtr(b).(type) {
	case *slack.HeaderBlock:
		if v.Text == nil || v.Text.Type != slack.PlainTextType || v.Text.Text == "" {
			bad("%s: header needs non-empty plain_text", where)
		} else if n := Len16(v.Text.Text); n > SlackMaxHeaderText {
			bad("%s: header text %d characters, limit %d", where, n, SlackMaxHeaderText)
		}
	case *slack.SectionBlock:
		if v.Text == nil && len(v.Fields) == 0 {
			bad("%s: section without text or fields", where)
		}
		if v.Text != nil {
			if v.Text.Text == "" {
				bad("%s: empty section text", where)
			}
			if n := Len16(v.Text.Text); n > SlackMaxSectionText {
				bad("%s: section text %d characters, limit %d", where, n, SlackMaxSectionText)
			}
		}
		if len(v.Fields) > SlackMaxSectionFields {
			bad("%s: %d fields, limit %d", where, len(v.Fields), SlackMaxSectionFields)
		}
		for j, f := range v.Fields {
			if n := textLen(f); n > SlackMaxFieldText || n == 0 {
				bad("%s: field %d is %d characters, limit 1..%d", where, j, n, SlackMaxFieldText)
			}
		}
		if v.Accessory != nil && v.Accessory.ButtonElement != nil {
			checkSlackButton(v.Accessory.ButtonElement, where+" accessory", bad)
		}
	case *slack.ContextBlock:
		els := v.ContextElements.Elements
		if len(els) == 0 || len(els) > SlackMaxContextElements {
			bad("%s: %d context elements, limit 1..%d", where, len(els), SlackMaxContextElements)
		}
		for j, e := range els {
			if t, ok := e.(*slack.TextBlockObject); ok {
				if n := textLen(t); n == 0 || n > SlackMaxContextText {
					bad("%s: context element %d is %d characters, limit 1..%d", where, j, n, SlackMaxContextText)
				}
			}
		}
	case *slack.ActionBlock:
		if v.Elements == nil || len(v.Elements.ElementSet) == 0 || len(v.Elements.ElementSet) > SlackMaxActionElements {
			n := 0
			if v.Elements != nil {
				n = len(v.Elements.ElementSet)
			}
			bad("%s: %d actions elements, limit 1..%d", where, n, SlackMaxActionElements)
			break
		}
		actionIDs := map[string]bool{}
		for j, e := range v.Elements.ElementSet {
			if btn, ok := e.(*slack.ButtonBlockElement); ok {
				checkSlackButton(btn, fmt.Sprintf("%s button %d", where, j), bad)
				if btn.ActionID != "" && actionIDs[btn.ActionID] {
					bad("%s: duplicate action_id %q", where, btn.ActionID)
				}
				actionIDs[btn.ActionID] = true
			}
		}
	case *slack.ContainerBlock:
		if depth > 0 {
			bad("%s: container inside a container", where)
		}
		if v.Title == nil || v.Title.Type != slack.PlainTextType || v.Title.Text == "" {
			bad("%s: container needs a plain_text title", where)
		} else if n := Len16(v.Title.Text); n > SlackMaxContainerTitle {
			bad("%s: container title %d characters, limit %d", where, n, SlackMaxContainerTitle)
		}
		if n := textLen(v.Subtitle); n > SlackMaxContainerTitle {
			bad("%s: container subtitle %d characters, limit %d", where, n, SlackMaxContainerTitle)
		}
		if v.DefaultCollapsed && !v.IsCollapsible {
			bad("%s: default_collapsed without is_collapsible", where)
		}
		kids := v.ChildBlocks.BlockSet
		if len(kids) == 0 || len(kids) > SlackMaxContainerBlocks {
			bad("%s: %d child blocks, limit 1..%d", where, len(kids), SlackMaxContainerBlocks)
		}
		for j, c := range kids {
			checkSlackBlock(c, fmt.Sprintf("%s child %d", where, j), depth+1, ids, bad)
		}
	case *slack.RichTextBlock:
		checkRichText(v, where, bad)
	case *slack.DividerBlock:
	default:
		bad("%s: unexpected block type %q", where, b.BlockType())
	}
}

// checkRichText checks a rich_text block: elements present, lists of
// sections with an indent Slack takes, no empty section, no link that is
// not http(s), and its text within SlackMaxRichText.
func checkRichText(b *slack.RichTextBlock, where string, bad func(string, ...any)) {
	if len(b.Elements) == 0 {
		bad("%s: rich_text without elements", where)
	}
	section := func(s *slack.RichTextSection, at string) {
		if len(s.Elements) == 0 {
			bad("%s: empty rich_text_section", at)
		}
		for _, e := range s.Elements {
			switch v := e.(type) {
			case *slack.RichTextSectionTextElement:
				if v.Text == "" {
					bad("%s: empty text element", at)
				}
			case *slack.RichTextSectionLinkElement:
				if bot.WebURL(v.URL) == "" {
					bad("%s: link to %q is not http(s)", at, v.URL)
				}
			}
		}
	}
	for i, e := range b.Elements {
		at := fmt.Sprintf("%s element %d", where, i)
		switch v := e.(type) {
		case *slack.RichTextSection:
			section(v, at)
		case *slack.RichTextList:
			if v.Indent < 0 || v.Indent > SlackMaxRichTextIndent {
				bad("%s: list indent %d, limit 0..%d", at, v.Indent, SlackMaxRichTextIndent)
			}
			if v.Style != slack.RTEListBullet && v.Style != slack.RTEListOrdered {
				bad("%s: list style %q", at, v.Style)
			}
			if len(v.Elements) == 0 {
				bad("%s: empty list", at)
			}
			for j, it := range v.Elements {
				s, ok := it.(*slack.RichTextSection)
				if !ok {
					bad("%s item %d: not a rich_text_section", at, j)
					continue
				}
				section(s, fmt.Sprintf("%s item %d", at, j))
			}
		default:
			bad("%s: unexpected rich text element %q", at, e.RichTextElementType())
		}
	}
	if n := slackRichText(b); n > SlackMaxRichText {
		bad("%s: rich_text %d characters, limit %d", where, n, SlackMaxRichText)
	}
}

func checkSlackButton(btn *slack.ButtonBlockElement, where string, bad func(string, ...any)) {
	if btn.Text == nil || btn.Text.Type != slack.PlainTextType || btn.Text.Text == "" {
		bad("%s: button needs plain_text", where)
	} else if n := Len16(btn.Text.Text); n > SlackMaxButtonText {
		bad("%s: button text %d characters, limit %d", where, n, SlackMaxButtonText)
	}
	if n := Len16(btn.ActionID); n > SlackMaxActionID {
		bad("%s: action_id %d characters, limit %d", where, n, SlackMaxActionID)
	}
	if n := Len16(btn.Value); n > SlackMaxButtonValue {
		bad("%s: value %d characters, limit %d", where, n, SlackMaxButtonValue)
	}
}

// DiscordEmbedChars is the count Discord holds against the 6000 limit of a
// message: titles, descriptions, field names and values, footers, authors.
func DiscordEmbedChars(e *discordgo.MessageEmbed) int {
	if e == nil {
		return 0
	}
	n := Len16(e.Title) + Len16(e.Description)
	for _, f := range e.Fields {
		if f != nil {
			n += Len16(f.Name) + Len16(f.Value)
		}
	}
	if e.Footer != nil {
		n += Len16(e.Footer.Text)
	}
	if e.Author != nil {
		n += Len16(e.Author.Name)
	}
	return n
}

// CheckDiscordMessage reports every way m breaks Discord's limits (nil if
// none): content, embeds and their parts, the 6000-character total, action
// rows, buttons and custom ids.
func CheckDiscordMessage(m *discordgo.MessageSend) error {
	if m == nil {
		return errors.New("nil message")
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if m.Content == "" && len(m.Embeds) == 0 && len(m.Components) == 0 {
		bad("empty message: no content, embeds or components")
	}
	if n := Len16(m.Content); n > DiscordMaxContent {
		bad("content %d characters, limit %d", n, DiscordMaxContent)
	}
	if len(m.Embeds) > DiscordMaxEmbeds {
		bad("%d embeds, limit %d", len(m.Embeds), DiscordMaxEmbeds)
	}
	total := 0
	for i, e := range m.Embeds {
		if e == nil {
			bad("embed %d is nil", i)
			continue
		}
		total += DiscordEmbedChars(e)
		if n := Len16(e.Title); n > DiscordMaxEmbedTitle {
			bad("embed %d: title %d characters, limit %d", i, n, DiscordMaxEmbedTitle)
		}
		if n := Len16(e.Description); n > DiscordMaxEmbedDescription {
			bad("embed %d: description %d characters, limit %d", i, n, DiscordMaxEmbedDescription)
		}
		if len(e.Fields) > DiscordMaxFields {
			bad("embed %d: %d fields, limit %d", i, len(e.Fields), DiscordMaxFields)
		}
		for j, f := range e.Fields {
			if f == nil {
				bad("embed %d field %d is nil", i, j)
				continue
			}
			if n := Len16(f.Name); n == 0 || n > DiscordMaxFieldName {
				bad("embed %d field %d: name %d characters, limit 1..%d", i, j, n, DiscordMaxFieldName)
			}
			if n := Len16(f.Value); n == 0 || n > DiscordMaxFieldValue {
				bad("embed %d field %d: value %d characters, limit 1..%d", i, j, n, DiscordMaxFieldValue)
			}
		}
		if e.Footer != nil {
			if n := Len16(e.Footer.Text); n > DiscordMaxFooterText {
				bad("embed %d: footer %d characters, limit %d", i, n, DiscordMaxFooterText)
			}
		}
		if e.Author != nil {
			if n := Len16(e.Author.Name); n > DiscordMaxAuthorName {
				bad("embed %d: author %d characters, limit %d", i, n, DiscordMaxAuthorName)
			}
		}
		if e.Title == "" && e.Description == "" && len(e.Fields) == 0 && e.Footer == nil {
			bad("embed %d is empty", i)
		}
	}
	if total > DiscordMaxEmbedTotal {
		bad("embeds total %d characters, limit %d", total, DiscordMaxEmbedTotal)
	}
	if len(m.Components) > DiscordMaxRows {
		bad("%d action rows, limit %d", len(m.Components), DiscordMaxRows)
	}
	ids := map[string]bool{}
	for i, c := range m.Components {
		var row *discordgo.ActionsRow
		switch v := c.(type) {
		case discordgo.ActionsRow:
			row = &v
		case *discordgo.ActionsRow:
			row = v
		default:
			bad("component %d is not an action row", i)
			continue
		}
		if len(row.Components) == 0 || len(row.Components) > DiscordMaxButtonsPerRow {
			bad("row %d: %d components, limit 1..%d", i, len(row.Components), DiscordMaxButtonsPerRow)
		}
		for j, bc := range row.Components {
			var btn *discordgo.Button
			switch v := bc.(type) {
			case discordgo.Button:
				btn = &v
			case *discordgo.Button:
				btn = v
			default:
				continue
			}
			if n := Len16(btn.Label); n > DiscordMaxButtonLabel {
				bad("row %d button %d: label %d characters, limit %d", i, j, n, DiscordMaxButtonLabel)
			}
			if btn.Label == "" && btn.Emoji == nil {
				bad("row %d button %d: no label or emoji", i, j)
			}
			if btn.Style == discordgo.LinkButton {
				if btn.URL == "" {
					bad("row %d button %d: link button without url", i, j)
				}
				continue
			}
			if n := Len16(btn.CustomID); n < 1 || n > DiscordMaxCustomID {
				bad("row %d button %d: custom_id %d characters, limit 1..%d", i, j, n, DiscordMaxCustomID)
			}
			if ids[btn.CustomID] {
				bad("row %d button %d: duplicate custom_id %q", i, j, btn.CustomID)
			}
			ids[btn.CustomID] = true
		}
	}
	return errors.Join(errs...)
}
