// Package jsonstr appends a Go string quoted exactly as encoding/json quotes
// it. The hot paths — paper lookups (bot/web), packing papers on a first
// start (bot/store/internal/rows) and Slack payloads (formatter) — write
// their JSON by hand to avoid reflection, and their output must stay byte
// for byte what encoding/json makes: the stores keep json.Marshal's bytes,
// and tests compare each payload with encoding/json's. Those three once
// carried a copy each of this quoting; this is the one left.
//
// The escapes are encoding/json's: the quote, the backslash and control
// characters (\b \f \n \r \t by name, the rest as \u00XX), invalid UTF-8 as
// \ufffd, U+2028 and U+2029 as \u2028 and \u2029, and, for Append only, the
// HTML-sensitive <, > and & as \u003c, \u003e and \u0026.
package jsonstr

import "unicode/utf8"

// Append appends s to dst as json.Marshal quotes a string (HTML-escaped).
func Append(dst []byte, s string) []byte {
	return appendString(dst, s, &safeHTML)
}

// AppendNoHTML appends s to dst as a json.Encoder with SetEscapeHTML(false)
// quotes a string: <, > and & are written as they are.
func AppendNoHTML(dst []byte, s string) []byte {
	return appendString(dst, s, &safeNoHTML)
}

// safeHTML and safeNoHTML mark the ASCII bytes written as they are. Every
// byte from 0x80 up is marked unsafe: appendString checks the common 2- and
// 3-byte runes inline, without decoding them, and in the same pass spots
// U+2028 and U+2029 (E2 80 A8, E2 80 A9). A first pass of utf8.ValidString
// followed by a byte loop cost as much as decoding every rune; decoding
// every Korean syllable was most of the time of packing a paper.
var safeHTML, safeNoHTML = func() (html, noHTML [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		noHTML[c] = c != '"' && c != '\\'
		html[c] = noHTML[c] && c != '<' && c != '>' && c != '&'
	}
	return html, noHTML
}()

const hexDigits = "0123456789abcdef"

func appendString(dst []byte, s string, safe *[256]bool) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if safe[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			dst = appendEscape(dst, c)
			i++
			start = i
			continue
		}
		// A well-formed 2-byte rune, or a 3-byte one whose lead byte
		// allows any continuation bytes (not E0 or ED, which restrict the
		// second byte): written as it is, unless it is U+2028 or U+2029.
		if c >= 0xC2 && c <= 0xDF {
			if i+1 < len(s) && s[i+1]&0xC0 == 0x80 {
				i += 2
				continue
			}
		} else if c >= 0xE1 && c <= 0xEF && c != 0xED {
			if i+2 < len(s) && s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80 {
				if c == 0xE2 && s[i+1] == 0x80 && s[i+2]&^1 == 0xA8 {
					dst = append(dst, s[start:i]...)
					dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[8+s[i+2]&1])
					i += 3
					start = i
					continue
				}
				i += 3
				continue
			}
		}
		// Anything else (4-byte runes, E0 and ED leads, invalid UTF-8) is
		// decoded as encoding/json does, so that each invalid byte becomes
		// one \ufffd.
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			start = i + 1
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendEscape appends the escape of an ASCII byte the tables refuse.
func appendEscape(dst []byte, c byte) []byte {
	switch c {
	case '\\', '"':
		return append(dst, '\\', c)
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	return append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
}
