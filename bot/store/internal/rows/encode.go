package rows

import (
	"strconv"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/internal/jsonstr"
)

// AppendPaper appends to dst the JSON json.Marshal makes of *p, byte for
// byte (TestAppendPaper and FuzzAppendPaper compare them): the stores keep
// json.Marshal's bytes, and on a first start encoding/json's reflection was
// a tenth of packing a paper, and allocated a buffer per paper. The fields,
// their order and omitempty follow bot.Paper's tags; a field added there
// must be added here too (TestAppendPaperFields checks every field is set
// by its test paper).
func AppendPaper(dst []byte, p *bot.Paper) []byte {
	dst = append(dst, `{"number":`...)
	dst = strconv.AppendInt(dst, int64(p.Number), 10)
	dst = append(dst, `,"title":`...)
	dst = jsonstr.Append(dst, p.Title)
	if p.ID != "" {
		dst = append(dst, `,"id":`...)
		dst = jsonstr.Append(dst, string(p.ID))
	}
	if p.Version != "" {
		dst = append(dst, `,"version":`...)
		dst = jsonstr.Append(dst, p.Version)
	}
	if p.URL != "" {
		dst = append(dst, `,"url":`...)
		dst = jsonstr.Append(dst, p.URL)
	}
	if p.AlphaxivURL != "" {
		dst = append(dst, `,"alphaxiv_url":`...)
		dst = jsonstr.Append(dst, p.AlphaxivURL)
	}
	dst = append(dst, `,"sections":`...)
	if p.Sections == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i := range p.Sections {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendSection(dst, &p.Sections[i])
		}
		dst = append(dst, ']')
	}
	if p.Line != 0 {
		dst = append(dst, `,"line":`...)
		dst = strconv.AppendInt(dst, int64(p.Line), 10)
	}
	return append(dst, '}')
}

func appendSection(dst []byte, s *bot.Section) []byte {
	dst = append(dst, `{"name":`...)
	dst = jsonstr.Append(dst, s.Name)
	dst = append(dst, `,"blocks":`...)
	dst = appendBlocks(dst, s.Blocks)
	if s.NoInfo {
		dst = append(dst, `,"no_info":true`...)
	}
	if s.Line != 0 {
		dst = append(dst, `,"line":`...)
		dst = strconv.AppendInt(dst, int64(s.Line), 10)
	}
	return append(dst, '}')
}

// appendBlocks appends a []Block as json.Marshal does: null when nil.
func appendBlocks(dst []byte, blocks []bot.Block) []byte {
	if blocks == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i := range blocks {
		if i > 0 {
			dst = append(dst, ',')
		}
		b := &blocks[i]
		dst = append(dst, `{"kind":`...)
		dst = jsonstr.Append(dst, string(b.Kind))
		if len(b.Inlines) > 0 {
			dst = append(dst, `,"inlines":`...)
			dst = appendInlines(dst, b.Inlines)
		}
		if b.Ordered {
			dst = append(dst, `,"ordered":true`...)
		}
		if b.Start != 0 {
			dst = append(dst, `,"start":`...)
			dst = strconv.AppendInt(dst, int64(b.Start), 10)
		}
		if len(b.Items) > 0 {
			dst = append(dst, `,"items":[`...)
			for j, item := range b.Items {
				if j > 0 {
					dst = append(dst, ',')
				}
				dst = appendBlocks(dst, item)
			}
			dst = append(dst, ']')
		}
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

// appendInlines appends a non-empty []Inline.
func appendInlines(dst []byte, inlines []bot.Inline) []byte {
	dst = append(dst, '[')
	for i := range inlines {
		if i > 0 {
			dst = append(dst, ',')
		}
		in := &inlines[i]
		dst = append(dst, `{"kind":`...)
		dst = jsonstr.Append(dst, string(in.Kind))
		if in.Text != "" {
			dst = append(dst, `,"text":`...)
			dst = jsonstr.Append(dst, in.Text)
		}
		if in.URL != "" {
			dst = append(dst, `,"url":`...)
			dst = jsonstr.Append(dst, in.URL)
		}
		if len(in.Children) > 0 {
			dst = append(dst, `,"children":`...)
			dst = appendInlines(dst, in.Children)
		}
		dst = append(dst, '}')
	}
	return append(dst, ']')
}
