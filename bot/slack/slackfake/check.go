package slackfake

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf16"

	"github.com/slack-go/slack"

	"github.com/paperbot/paperbot/formatter"
)

// Limits of DESIGN.md section 6, counted in UTF-16 code units as Slack does.
const (
	maxBlocks          = 50
	maxSectionText     = 3000
	maxFieldText       = 2000
	maxFields          = 10
	maxHeaderText      = 150
	maxContainerBlocks = 10
	maxContextElements = 10
	maxActionsElements = 25
	maxButtonText      = 75
	maxActionID        = 255
	maxButtonValue     = 2000
	maxFallbackText    = 40000
	maxBlockText       = 12000
)

// checkError is a limit violation, answered with Slack's error code.
type checkError struct {
	code   string
	reason string
}

func (e *checkError) Error() string { return e.code + ": " + e.reason }

func units(s string) int { return len(utf16.Encode([]rune(s))) }

// checkPayload checks a message the way Slack refuses one: text or blocks
// required, and the limits of DESIGN.md (formatter.CheckSlackMessage, the
// same rules the renderer keeps). blocks is the raw JSON array.
func checkPayload(text string, blocks json.RawMessage) error {
	if err := localCheck(text, blocks); err != nil {
		return err
	}
	if len(blocks) == 0 || string(blocks) == "null" || string(blocks) == "[]" {
		return nil
	}
	var bs slack.Blocks
	if err := json.Unmarshal(blocks, &bs); err != nil {
		return &checkError{"invalid_blocks_format", err.Error()}
	}
	if err := formatter.CheckSlackMessage(formatter.SlackMessage{Text: text, Blocks: bs.BlockSet}); err != nil {
		code := "invalid_blocks"
		if strings.Contains(err.Error(), "block text") || strings.Contains(err.Error(), "total") {
			code = "msg_blocks_too_long"
		}
		return &checkError{code, err.Error()}
	}
	return nil
}

// localCheck is the fake's own reading of the limits, on the raw JSON
// (so it also sees what slack-go's types would drop).
func localCheck(text string, blocks json.RawMessage) error {
	if text == "" && (len(blocks) == 0 || string(blocks) == "null" || string(blocks) == "[]") {
		return &checkError{"no_text", "text or blocks is required"}
	}
	if units(text) > maxFallbackText {
		return &checkError{"msg_too_long", fmt.Sprintf("text is %d units", units(text))}
	}
	if len(blocks) == 0 || string(blocks) == "null" {
		return nil
	}
	var bs []map[string]any
	if err := json.Unmarshal(blocks, &bs); err != nil {
		return &checkError{"invalid_blocks_format", err.Error()}
	}
	c := &counter{}
	if err := c.blocks(bs, ""); err != nil {
		return err
	}
	if c.n > maxBlocks {
		return &checkError{"invalid_blocks", fmt.Sprintf("%d blocks (container children counted), max %d", c.n, maxBlocks)}
	}
	if c.text > maxBlockText {
		return &checkError{"msg_blocks_too_long", fmt.Sprintf("%d units of block text, keep <= %d", c.text, maxBlockText)}
	}
	return nil
}

type counter struct{ n, text int }

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func textOf(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	return str(m, "text")
}

func (c *counter) blocks(bs []map[string]any, where string) error {
	for i, b := range bs {
		c.n++
		at := fmt.Sprintf("%sblocks[%d]", where, i)
		typ := str(b, "type")
		switch typ {
		case "":
			return &checkError{"invalid_blocks", at + ": missing type"}
		case "section":
			t := textOf(b["text"])
			fields, _ := b["fields"].([]any)
			if t == "" && len(fields) == 0 {
				return &checkError{"invalid_blocks", at + ": section without text or fields"}
			}
			if units(t) > maxSectionText {
				return &checkError{"invalid_blocks", fmt.Sprintf("%s: section text %d > %d", at, units(t), maxSectionText)}
			}
			c.text += units(t)
			if len(fields) > maxFields {
				return &checkError{"invalid_blocks", fmt.Sprintf("%s: %d fields > %d", at, len(fields), maxFields)}
			}
			for _, f := range fields {
				ft := textOf(f)
				if units(ft) > maxFieldText {
					return &checkError{"invalid_blocks", fmt.Sprintf("%s: field text %d > %d", at, units(ft), maxFieldText)}
				}
				c.text += units(ft)
			}
			if acc, ok := b["accessory"].(map[string]any); ok {
				if err := c.element(acc, at+".accessory"); err != nil {
					return err
				}
			}
		case "header":
			t := textOf(b["text"])
			if t == "" || units(t) > maxHeaderText {
				return &checkError{"invalid_blocks", fmt.Sprintf("%s: header text %d units (1..%d)", at, units(t), maxHeaderText)}
			}
			c.text += units(t)
		case "context":
			els, _ := b["elements"].([]any)
			if len(els) == 0 || len(els) > maxContextElements {
				return &checkError{"invalid_blocks", fmt.Sprintf("%s: %d context elements (1..%d)", at, len(els), maxContextElements)}
			}
			for _, e := range els {
				c.text += units(textOf(e))
			}
		case "actions":
			els, _ := b["elements"].([]any)
			if len(els) == 0 || len(els) > maxActionsElements {
				return &checkError{"invalid_blocks", fmt.Sprintf("%s: %d actions elements (1..%d)", at, len(els), maxActionsElements)}
			}
			for j, e := range els {
				m, _ := e.(map[string]any)
				if err := c.element(m, fmt.Sprintf("%s.elements[%d]", at, j)); err != nil {
					return err
				}
			}
		case "container":
			var kids []map[string]any
			raw, _ := json.Marshal(b["child_blocks"])
			_ = json.Unmarshal(raw, &kids)
			if len(kids) == 0 {
				// Older drafts name the children "blocks".
				raw, _ = json.Marshal(b["blocks"])
				_ = json.Unmarshal(raw, &kids)
			}
			if len(kids) > maxContainerBlocks {
				return &checkError{"invalid_blocks", fmt.Sprintf("%s: %d child blocks > %d", at, len(kids), maxContainerBlocks)}
			}
			c.text += units(textOf(b["title"]))
			if err := c.blocks(kids, at+"."); err != nil {
				return err
			}
		case "rich_text", "markdown":
			raw, _ := json.Marshal(b)
			c.text += units(string(raw)) / 2 // rough: markup is not text
		default:
			// divider, image, ...: counted as blocks only.
		}
	}
	return nil
}

func (c *counter) element(m map[string]any, at string) error {
	if m == nil {
		return &checkError{"invalid_blocks", at + ": not an object"}
	}
	if str(m, "type") != "button" {
		return nil
	}
	t := textOf(m["text"])
	if t == "" || units(t) > maxButtonText {
		return &checkError{"invalid_blocks", fmt.Sprintf("%s: button text %d units (1..%d)", at, units(t), maxButtonText)}
	}
	if units(str(m, "action_id")) > maxActionID {
		return &checkError{"invalid_blocks", at + ": action_id too long"}
	}
	if units(str(m, "value")) > maxButtonValue {
		return &checkError{"invalid_blocks", at + ": value too long"}
	}
	return nil
}
