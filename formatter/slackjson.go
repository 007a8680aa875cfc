package formatter

import (
	"encoding/json"
	"fmt"
	"strconv"
	"sync"

	"github.com/slack-go/slack"

	"github.com/paperbot/paperbot/internal/jsonstr"
)

// The Slack payload is encoded by hand: encoding/json spent a third of
// `paperbot preview` on it (reflection, and slack-go's Blocks.MarshalJSON
// marshalling every container's children again, which the encoder then
// validates and copies once more). The blocks paperbot writes (header,
// context, rich_text, container and their elements) are appended
// directly, field by field in slack-go's struct order with its omitempty
// rules; any other block or element, or a field paperbot never sets, goes
// through encoding/json as before. The bytes are those encodeJSON writes
// (TestSlackJSONMatchesEncodingJSON): no HTML escaping, \u2028 and \u2029
// escaped, invalid UTF-8 as \ufffd.

// slackJSONBufPool holds the buffers payloads are encoded into; the caller
// gets one exact-size copy.
var slackJSONBufPool = sync.Pool{New: func() any { return new([]byte) }}

func encodeSlackJSON(msgs []slackJSONMessage) ([]byte, error) {
	bp := slackJSONBufPool.Get().(*[]byte)
	w := slackJSONWriter{b: (*bp)[:0]}
	w.messages(msgs)
	out := append([]byte(nil), w.b...)
	if cap(w.b) <= maxPooledJSON {
		*bp = w.b[:0]
		slackJSONBufPool.Put(bp)
	}
	if w.err != nil {
		return nil, fmt.Errorf("encode json: %w", w.err)
	}
	return out, nil
}

type slackJSONWriter struct {
	b   []byte
	err error
}

// key appends `"name":`, preceded by a comma unless it is the first.
func (w *slackJSONWriter) key(first bool, name string) {
	if !first {
		w.b = append(w.b, ',')
	}
	w.b = append(w.b, '"')
	w.b = append(w.b, name...)
	w.b = append(w.b, '"', ':')
}

func (w *slackJSONWriter) strField(first bool, name, v string) {
	w.key(first, name)
	w.b = jsonstr.AppendNoHTML(w.b, v)
}

func (w *slackJSONWriter) boolField(name string, v bool) {
	w.key(false, name)
	w.b = strconv.AppendBool(w.b, v)
}

func (w *slackJSONWriter) intField(name string, v int) {
	w.key(false, name)
	w.b = strconv.AppendInt(w.b, int64(v), 10)
}

// generic appends v as encoding/json writes it (slack-go's own
// MarshalJSON methods included), without HTML escaping.
func (w *slackJSONWriter) generic(v any) {
	js, err := json.Marshal(v)
	if err != nil {
		if w.err == nil {
			w.err = err
		}
		w.b = append(w.b, "null"...)
		return
	}
	w.b = append(w.b, unescapeHTML(js)...)
}

func (w *slackJSONWriter) messages(msgs []slackJSONMessage) {
	if msgs == nil {
		w.b = append(w.b, "null"...)
		return
	}
	w.b = append(w.b, '[')
	for i := range msgs {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		m := &msgs[i]
		w.b = append(w.b, '{')
		first := true
		if m.ThreadTS != "" {
			w.strField(true, "thread_ts", m.ThreadTS)
			first = false
		}
		w.strField(first, "text", m.Text)
		w.key(false, "blocks")
		w.blocks(m.Blocks)
		w.b = append(w.b, '}')
	}
	w.b = append(w.b, ']')
}

func (w *slackJSONWriter) blocks(bs []slack.Block) {
	if bs == nil {
		w.b = append(w.b, "null"...)
		return
	}
	w.b = append(w.b, '[')
	for i, b := range bs {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.block(b)
	}
	w.b = append(w.b, ']')
}

func (w *slackJSONWriter) block(b slack.Block) {
	switch v := b.(type) {
	case *slack.RichTextBlock:
		if v != nil {
			w.richText(v)
			return
		}
	case *slack.ContainerBlock:
		if v != nil {
			w.container(v)
			return
		}
	case *slack.HeaderBlock:
		if v != nil {
			w.header(v)
			return
		}
	case *slack.ContextBlock:
		if v != nil {
			w.context(v)
			return
		}
	}
	w.generic(b)
}

// textObject is a *TextBlockObject (not nil).
func (w *slackJSONWriter) textObject(t *slack.TextBlockObject) {
	w.b = append(w.b, '{')
	w.strField(true, "type", t.Type)
	w.strField(false, "text", t.Text)
	if t.Emoji != nil {
		w.boolField("emoji", *t.Emoji)
	}
	if t.Verbatim {
		w.boolField("verbatim", true)
	}
	w.b = append(w.b, '}')
}

func (w *slackJSONWriter) header(h *slack.HeaderBlock) {
	w.b = append(w.b, '{')
	w.strField(true, "type", string(h.Type))
	if h.Text != nil {
		w.key(false, "text")
		w.textObject(h.Text)
	}
	if h.BlockID != "" {
		w.strField(false, "block_id", h.BlockID)
	}
	if h.Level != 0 {
		w.intField("level", h.Level)
	}
	w.b = append(w.b, '}')
}

func (w *slackJSONWriter) context(c *slack.ContextBlock) {
	w.b = append(w.b, '{')
	w.strField(true, "type", string(c.Type))
	if c.BlockID != "" {
		w.strField(false, "block_id", c.BlockID)
	}
	w.key(false, "elements")
	if c.ContextElements.Elements == nil {
		w.b = append(w.b, "null"...)
	} else {
		w.b = append(w.b, '[')
		for i, e := range c.ContextElements.Elements {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			if t, ok := e.(*slack.TextBlockObject); ok && t != nil {
				w.textObject(t)
			} else {
				w.generic(e)
			}
		}
		w.b = append(w.b, ']')
	}
	w.b = append(w.b, '}')
}

func (w *slackJSONWriter) container(c *slack.ContainerBlock) {
	w.b = append(w.b, '{')
	w.strField(true, "type", string(c.Type))
	if c.BlockID != "" {
		w.strField(false, "block_id", c.BlockID)
	}
	if c.Title != nil {
		w.key(false, "title")
		w.textObject(c.Title)
	}
	if c.RichTextTitle != nil {
		w.key(false, "rich_text_title")
		w.richText(c.RichTextTitle)
	}
	if c.Subtitle != nil {
		w.key(false, "subtitle")
		w.textObject(c.Subtitle)
	}
	if c.Icon != nil {
		w.key(false, "icon")
		w.generic(c.Icon)
	}
	if c.Width != "" {
		w.strField(false, "width", string(c.Width))
	}
	if c.IsCollapsible {
		w.boolField("is_collapsible", true)
	}
	if c.DefaultCollapsed {
		w.boolField("default_collapsed", true)
	}
	if c.HasHeaderDivider {
		w.boolField("has_header_divider", true)
	}
	w.key(false, "child_blocks")
	w.blocks(c.ChildBlocks.BlockSet)
	w.b = append(w.b, '}')
}

func (w *slackJSONWriter) richText(r *slack.RichTextBlock) {
	w.b = append(w.b, '{')
	w.strField(true, "type", string(r.Type))
	if r.BlockID != "" {
		w.strField(false, "block_id", r.BlockID)
	}
	w.key(false, "elements")
	w.richElements(r.Elements)
	w.b = append(w.b, '}')
}

func (w *slackJSONWriter) richElements(es []slack.RichTextElement) {
	if es == nil {
		w.b = append(w.b, "null"...)
		return
	}
	w.b = append(w.b, '[')
	for i, e := range es {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		switch v := e.(type) {
		case *slack.RichTextSection:
			if v != nil {
				w.richSection(v)
				continue
			}
		case *slack.RichTextList:
			if v != nil {
				w.b = append(w.b, '{')
				w.strField(true, "type", string(v.Type))
				w.key(false, "elements")
				w.richElements(v.Elements)
				w.strField(false, "style", string(v.Style))
				w.intField("indent", v.Indent)
				w.intField("border", v.Border)
				w.intField("offset", v.Offset)
				w.b = append(w.b, '}')
				continue
			}
		}
		w.generic(e)
	}
	w.b = append(w.b, ']')
}

func (w *slackJSONWriter) richSection(s *slack.RichTextSection) {
	w.b = append(w.b, '{')
	w.strField(true, "type", string(s.Type))
	w.key(false, "elements")
	if s.Elements == nil {
		w.b = append(w.b, "null"...)
	} else {
		w.b = append(w.b, '[')
		for i, e := range s.Elements {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			switch v := e.(type) {
			case *slack.RichTextSectionTextElement:
				if v != nil {
					w.b = append(w.b, '{')
					w.strField(true, "type", string(v.Type))
					w.strField(false, "text", v.Text)
					w.style(v.Style)
					w.b = append(w.b, '}')
					continue
				}
			case *slack.RichTextSectionLinkElement:
				if v != nil && v.Unsafe == nil && v.FromLLM == nil && v.IsSlackURL == nil && v.Truncated == nil {
					w.b = append(w.b, '{')
					w.strField(true, "type", string(v.Type))
					w.strField(false, "url", v.URL)
					if v.Text != "" {
						w.strField(false, "text", v.Text)
					}
					w.style(v.Style)
					w.b = append(w.b, '}')
					continue
				}
			}
			w.generic(e)
		}
		w.b = append(w.b, ']')
	}
	w.b = append(w.b, '}')
}

// style appends a run's ,"style":{...} when it has one.
func (w *slackJSONWriter) style(s *slack.RichTextSectionTextStyle) {
	if s == nil {
		return
	}
	w.key(false, "style")
	w.b = append(w.b, '{')
	first := true
	flag := func(name string, on bool) {
		if on {
			w.key(first, name)
			w.b = append(w.b, "true"...)
			first = false
		}
	}
	flag("bold", s.Bold)
	flag("italic", s.Italic)
	flag("strike", s.Strike)
	flag("code", s.Code)
	flag("underline", s.Underline)
	flag("highlight", s.Highlight)
	flag("client_highlight", s.ClientHighlight)
	flag("unlink", s.Unlink)
	w.b = append(w.b, '}')
}
