package slackfake

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"

	"github.com/slack-go/slack"
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
	maxBlockID         = 255
	maxContainerTitle  = 150
	maxContextText     = 3000
	// rich_text: Slack takes list indents 0 to 8; it documents no text
	// limit for the block, so the fake holds it to a section's.
	maxRichTextIndent = 8
	maxRichText       = 3000
)

// checkError is a limit violation, answered with Slack's error code.
type checkError struct {
	code   string
	reason string
}

func (e *checkError) Error() string { return e.code + ": " + e.reason }

func units(s string) int { return len(utf16.Encode([]rune(s))) }

// checkPayload checks a message the way Slack refuses one: text or blocks
// required, blocks Slack can decode, and the limits of DESIGN.md section 6
// by the fake's own copy of the table above (never the renderer's code,
// which is what the fake is there to test). blocks is the raw JSON array.
//
// The verdict depends on the bytes alone, so it is kept per (text, blocks):
// tests send the same payloads again and again (209 checks of 69 distinct
// payloads in bot/slack's tests), and decoding each twice was a quarter of
// that package's CPU under -race.
func checkPayload(text string, blocks json.RawMessage) error {
	key := strconv.Itoa(len(text)) + ":" + text + string(blocks)
	checkedMu.Lock()
	err, ok := checked[key]
	checkedMu.Unlock()
	if ok {
		return err
	}
	err = checkPayloadOnce(text, blocks)
	checkedMu.Lock()
	if checkedBytes+len(key) <= maxCheckedBytes {
		checked[key] = err
		checkedBytes += len(key)
	}
	checkedMu.Unlock()
	return err
}

var (
	checkedMu    sync.Mutex
	checked      = map[string]error{} // len(text) ":" text blocks -> checkPayloadOnce's verdict (*checkError or nil)
	checkedBytes int
)

// maxCheckedBytes bounds the verdicts kept (a fuzz run sends endless new
// payloads); past it payloads are checked every time.
const maxCheckedBytes = 32 << 20

func checkPayloadOnce(text string, blocks json.RawMessage) error {
	if len(blocks) > 0 && string(blocks) != "null" && string(blocks) != "[]" {
		var bs slack.Blocks
		if err := json.Unmarshal(blocks, &bs); err != nil {
			return &checkError{"invalid_blocks_format", err.Error()}
		}
	}
	return localCheck(text, blocks)
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

type counter struct {
	n, text int
	ids     map[string]bool
}

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
		if id := str(b, "block_id"); id != "" {
			if units(id) > maxBlockID {
				return &checkError{"invalid_blocks", at + ": block_id too long"}
			}
			if c.ids == nil {
				c.ids = map[string]bool{}
			}
			if c.ids[id] {
				return &checkError{"invalid_blocks", fmt.Sprintf("%s: duplicate block_id %q", at, id)}
			}
			c.ids[id] = true
		}
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
				if n := units(textOf(e)); n > maxContextText {
					return &checkError{"invalid_blocks", fmt.Sprintf("%s: context text %d > %d", at, n, maxContextText)}
				}
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
			title := textOf(b["title"])
			if title == "" || units(title) > maxContainerTitle {
				return &checkError{"invalid_blocks", fmt.Sprintf("%s: container title %d units (1..%d)", at, units(title), maxContainerTitle)}
			}
			c.text += units(title)
			if err := c.blocks(kids, at+"."); err != nil {
				return err
			}
		case "rich_text":
			n, err := richText(b, at)
			if err != nil {
				return err
			}
			c.text += n
		case "markdown":
			c.text += units(str(b, "text"))
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

// richText checks a rich_text block's structure (sections of text and
// link elements, lists of sections with an indent Slack takes, nothing
// empty) and returns the units of its text, link URLs included.
func richText(b map[string]any, at string) (int, error) {
	els, _ := b["elements"].([]any)
	if len(els) == 0 {
		return 0, &checkError{"invalid_blocks", at + ": rich_text without elements"}
	}
	n := 0
	section := func(v any, where string) error {
		m, _ := v.(map[string]any)
		if str(m, "type") != "rich_text_section" {
			return &checkError{"invalid_blocks", where + ": not a rich_text_section"}
		}
		runs, _ := m["elements"].([]any)
		if len(runs) == 0 {
			return &checkError{"invalid_blocks", where + ": empty rich_text_section"}
		}
		for j, r := range runs {
			rm, _ := r.(map[string]any)
			switch str(rm, "type") {
			case "text":
				if str(rm, "text") == "" {
					return &checkError{"invalid_blocks", fmt.Sprintf("%s.elements[%d]: empty text", where, j)}
				}
				n += units(str(rm, "text"))
			case "link":
				u := strings.ToLower(str(rm, "url"))
				if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
					return &checkError{"invalid_blocks", fmt.Sprintf("%s.elements[%d]: link url is not http(s)", where, j)}
				}
				n += units(str(rm, "text")) + units(str(rm, "url"))
			default:
				return &checkError{"invalid_blocks", fmt.Sprintf("%s.elements[%d]: unexpected %q", where, j, str(rm, "type"))}
			}
		}
		return nil
	}
	for i, e := range els {
		where := fmt.Sprintf("%s.elements[%d]", at, i)
		m, _ := e.(map[string]any)
		switch str(m, "type") {
		case "rich_text_section":
			if err := section(m, where); err != nil {
				return 0, err
			}
		case "rich_text_list":
			if s := str(m, "style"); s != "bullet" && s != "ordered" {
				return 0, &checkError{"invalid_blocks", where + ": list style must be bullet or ordered"}
			}
			if ind, _ := m["indent"].(float64); ind < 0 || ind > maxRichTextIndent {
				return 0, &checkError{"invalid_blocks", fmt.Sprintf("%s: indent %v (0..%d)", where, m["indent"], maxRichTextIndent)}
			}
			items, _ := m["elements"].([]any)
			if len(items) == 0 {
				return 0, &checkError{"invalid_blocks", where + ": empty list"}
			}
			for j, it := range items {
				if err := section(it, fmt.Sprintf("%s.elements[%d]", where, j)); err != nil {
					return 0, err
				}
			}
		default:
			return 0, &checkError{"invalid_blocks", fmt.Sprintf("%s: unexpected %q", where, str(m, "type"))}
		}
	}
	if n > maxRichText {
		return 0, &checkError{"invalid_blocks", fmt.Sprintf("%s: rich_text %d units > %d", at, n, maxRichText)}
	}
	return n, nil
}
