package web

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// appendJSON appends p exactly as json.Marshal encodes it (HTML-escaped),
// and reports false where it cannot vouch for that (a date json.Marshal
// refuses), leaving the caller to fall back to encoding/json. A paper
// lookup is the API's hottest answer: built by hand it costs a fraction of
// reflection-driven encoding, and TestPaperJSONMatchesEncodingJSON and
// FuzzPaperJSON hold it to encoding/json's bytes.
func (p *paperJSON) appendJSON(b []byte) ([]byte, bool) {
	date, err := p.Post.Date.MarshalJSON()
	if err != nil {
		return b, false
	}
	b = append(b, `{"id":`...)
	b = appendJSONString(b, p.ID)
	b = append(b, `,"title":`...)
	b = appendJSONString(b, p.Title)
	b = append(b, `,"url":`...)
	b = appendJSONString(b, p.URL)
	b = append(b, `,"alphaxiv_url":`...)
	b = appendJSONString(b, p.AlphaxivURL)
	b = append(b, `,"number":`...)
	b = strconv.AppendInt(b, int64(p.Number), 10)
	b = append(b, `,"sections":`...)
	if p.Sections == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range p.Sections {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"name":`...)
			b = appendJSONString(b, p.Sections[i].Name)
			b = append(b, `,"text":`...)
			b = appendJSONString(b, p.Sections[i].Text)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"post":{"date":`...)
	b = append(b, date...)
	b = append(b, `,"title":`...)
	b = appendJSONString(b, p.Post.Title)
	b = append(b, `,"path":`...)
	b = appendJSONString(b, p.Post.Path)
	b = append(b, "}}"...)
	return b, true
}

const hexDigits = "0123456789abcdef"

// jsonSafe marks the bytes a JSON string can carry as they are, once the
// string is known to be valid UTF-8 without U+2028 or U+2029: all but
// control characters, quote, backslash and the HTML-sensitive <, > and &.
var jsonSafe = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendJSONString is encoding/json's string encoding with HTML escaping:
// quotes, backslashes, control characters, <, > and & escaped, invalid
// UTF-8 as \ufffd, and U+2028 and U+2029 escaped for JSONP's sake.
func appendJSONString(b []byte, s string) []byte {
	if !utf8.ValidString(s) || strings.Contains(s, "\u2028") || strings.Contains(s, "\u2029") {
		return appendJSONStringRunes(b, s)
	}
	// The common case: a byte table decides, with no rune decoding.
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; !jsonSafe[c] {
			b = append(b, s[start:i]...)
			b = appendJSONEscape(b, c)
			start = i + 1
		}
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendJSONStringRunes is appendJSONString for strings with invalid UTF-8
// or a line or paragraph separator: rune by rune, as encoding/json does.
func appendJSONStringRunes(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if !jsonSafe[c] {
				b = append(b, s[start:i]...)
				b = appendJSONEscape(b, c)
				start = i + 1
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			start = i + size
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			start = i + size
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendJSONEscape appends the escape of an ASCII byte jsonSafe refuses.
func appendJSONEscape(b []byte, c byte) []byte {
	switch c {
	case '\\', '"':
		return append(b, '\\', c)
	case '\b':
		return append(b, '\\', 'b')
	case '\f':
		return append(b, '\\', 'f')
	case '\n':
		return append(b, '\\', 'n')
	case '\r':
		return append(b, '\\', 'r')
	case '\t':
		return append(b, '\\', 't')
	}
	return append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
}
