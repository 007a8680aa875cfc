package discordfake

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf16"

	"github.com/bwmarrin/discordgo"
)

// Limits of DESIGN.md section 6 (Discord's message and embed limits): the
// fake's own copy, so it checks the renderer rather than the renderer
// checking itself.
const (
	maxContent          = 2000
	maxEmbeds           = 10
	maxEmbedTitle       = 256
	maxEmbedDescription = 4096
	maxFields           = 25
	maxFieldName        = 256
	maxFieldValue       = 1024
	maxFooterText       = 2048
	maxAuthorName       = 256
	maxEmbedTotal       = 6000
	maxButtonsPerRow    = 5
	maxRows             = 5
	maxCustomID         = 100
	maxButtonLabel      = 80
)

// units counts text as Discord's limits do, in UTF-16 code units (never
// fewer than its characters).
func units(s string) int { return len(utf16.Encode([]rune(s))) }

// checkMessage reports why Discord would refuse a message body with 50035
// Invalid Form Body, or nil.
func checkMessage(content string, embeds []*discordgo.MessageEmbed, comps []discordgo.MessageComponent) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if content == "" && len(embeds) == 0 && len(comps) == 0 {
		bad("empty message: no content, embeds or components")
	}
	if n := units(content); n > maxContent {
		bad("content: %d characters, limit %d", n, maxContent)
	}
	if len(embeds) > maxEmbeds {
		bad("embeds: %d, limit %d", len(embeds), maxEmbeds)
	}
	total := 0
	for i, e := range embeds {
		if e == nil {
			bad("embeds[%d]: null", i)
			continue
		}
		size := units(e.Title) + units(e.Description)
		check := func(what, s string, max int) {
			if n := units(s); n > max {
				bad("embeds[%d].%s: %d characters, limit %d", i, what, n, max)
			}
		}
		check("title", e.Title, maxEmbedTitle)
		check("description", e.Description, maxEmbedDescription)
		if e.URL != "" {
			// Discord refuses an embed url that is not a web address.
			if u, err := url.Parse(e.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				bad("embeds[%d].url: not a well formed http(s) URL", i)
			}
		}
		if len(e.Fields) > maxFields {
			bad("embeds[%d].fields: %d, limit %d", i, len(e.Fields), maxFields)
		}
		for j, f := range e.Fields {
			if f == nil {
				bad("embeds[%d].fields[%d]: null", i, j)
				continue
			}
			if n := units(f.Name); n == 0 || n > maxFieldName {
				bad("embeds[%d].fields[%d].name: %d characters, limit 1..%d", i, j, n, maxFieldName)
			}
			if n := units(f.Value); n == 0 || n > maxFieldValue {
				bad("embeds[%d].fields[%d].value: %d characters, limit 1..%d", i, j, n, maxFieldValue)
			}
			size += units(f.Name) + units(f.Value)
		}
		if e.Footer != nil {
			check("footer.text", e.Footer.Text, maxFooterText)
			size += units(e.Footer.Text)
		}
		if e.Author != nil {
			check("author.name", e.Author.Name, maxAuthorName)
			size += units(e.Author.Name)
		}
		if size == 0 && e.Footer == nil {
			bad("embeds[%d]: empty", i)
		}
		total += size
	}
	if total > maxEmbedTotal {
		bad("embeds: %d characters in all, limit %d", total, maxEmbedTotal)
	}
	if len(comps) > maxRows {
		bad("components: %d rows, limit %d", len(comps), maxRows)
	}
	ids := map[string]bool{}
	for i, c := range comps {
		row, ok := c.(*discordgo.ActionsRow)
		if !ok {
			if r, isRow := c.(discordgo.ActionsRow); isRow {
				row, ok = &r, true
			}
		}
		if !ok {
			bad("components[%d]: not an action row", i)
			continue
		}
		if len(row.Components) == 0 || len(row.Components) > maxButtonsPerRow {
			bad("components[%d]: %d components, limit 1..%d", i, len(row.Components), maxButtonsPerRow)
		}
		for j, bc := range row.Components {
			btn, ok := bc.(*discordgo.Button)
			if !ok {
				if b, isBtn := bc.(discordgo.Button); isBtn {
					btn, ok = &b, true
				}
			}
			if !ok {
				continue
			}
			if btn.Label == "" && btn.Emoji == nil {
				bad("components[%d][%d]: button without label or emoji", i, j)
			}
			if n := units(btn.Label); n > maxButtonLabel {
				bad("components[%d][%d].label: %d characters, limit %d", i, j, n, maxButtonLabel)
			}
			if btn.Style == discordgo.LinkButton {
				if u := strings.ToLower(btn.URL); !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
					bad("components[%d][%d].url: not http(s)", i, j)
				}
				continue
			}
			if n := units(btn.CustomID); n < 1 || n > maxCustomID {
				bad("components[%d][%d].custom_id: %d characters, limit 1..%d", i, j, n, maxCustomID)
			}
			if ids[btn.CustomID] {
				bad("components[%d][%d].custom_id: duplicate %q", i, j, btn.CustomID)
			}
			ids[btn.CustomID] = true
		}
	}
	return errors.Join(errs...)
}
