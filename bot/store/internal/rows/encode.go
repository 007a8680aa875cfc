package rows

import (
	"strconv"
	"unicode/utf8"

	"github.com/paperbot/paperbot/bot"
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
	dst = appendString(dst, p.Title)
	if p.ID != "" {
		dst = append(dst, `,"id":`...)
		dst = appendString(dst, string(p.ID))
	}
	if p.Version != "" {
		dst = append(dst, `,"version":`...)
		dst = appendString(dst, p.Version)
	}
	if p.URL != "" {
		dst = append(dst, `,"url":`...)
		dst = appendString(dst, p.URL)
	}
	if p.AlphaxivURL != "" {
		dst = append(dst, `,"alphaxiv_url":`...)
		dst = appendString(dst, p.AlphaxivURL)
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
	dst = appendString(dst, s.Name)
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
		dst = appendString(dst, string(b.Kind))
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
		dst = appendString(dst, string(in.Kind))
		if in.Text != "" {
			dst = append(dst, `,"text":`...)
			dst = appendString(dst, in.Text)
		}
		if in.URL != "" {
			dst = append(dst, `,"url":`...)
			dst = appendString(dst, in.URL)
		}
		if len(in.Children) > 0 {
			dst = append(dst, `,"children":`...)
			dst = appendInlines(dst, in.Children)
		}
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

// jsonSafe marks the ASCII bytes json.Marshal writes as they are (it
// escapes control characters, the quote, the backslash and, for HTML, <, >
// and &).
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// appendString appends s quoted as json.Marshal quotes a string: the
// escapes above, invalid UTF-8 as \ufffd, and U+2028 and U+2029 escaped.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	// In valid UTF-8 (all the parser makes) only U+2028 and U+2029
	// (E2 80 A8, E2 80 A9) need looking at among the multi-byte runes:
	// decoding every Korean syllable was most of the time here.
	valid := utf8.ValidString(s)
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		if valid {
			if s[i] == 0xE2 && i+2 < len(s) && s[i+1] == 0x80 && s[i+2]&^1 == 0xA8 {
				dst = append(dst, s[start:i]...)
				dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[8+s[i+2]&1])
				i += 3
				start = i
				continue
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
