package jsonstr

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// marshal is what encoding/json writes for s: HTML-escaped as json.Marshal,
// or not, as an Encoder with SetEscapeHTML(false).
func marshal(t testing.TB, s string, html bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(html)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// check compares both modes with encoding/json, appended after a prefix to
// show that dst's bytes are kept.
func check(t testing.TB, s string) {
	t.Helper()
	for _, m := range []struct {
		name   string
		html   bool
		append func([]byte, string) []byte
	}{
		{"Append", true, Append},
		{"AppendNoHTML", false, AppendNoHTML},
	} {
		want := append([]byte("x:"), marshal(t, s, m.html)...)
		if got := m.append([]byte("x:"), s); !bytes.Equal(got, want) {
			t.Errorf("%s(%q)\n got %s\nwant %s", m.name, s, got, want)
		}
	}
}

func TestAppendMatchesEncodingJSON(t *testing.T) {
	var controls strings.Builder
	for c := range 0x20 {
		controls.WriteByte(byte(c))
	}
	for _, s := range []string{
		"",
		"plain ascii",
		`quote " and backslash \ and slash /`,
		controls.String() + "\x7f",
		"\b\f\n\r\t",
		"<a href=\"x\">&amp;</a>",
		"line\u2028separator\u2029paragraph",
		"\u2028",
		"\u2029\u2029",
		"\u2027\u202a\u20ac", // neighbours of U+2028/2029 that share E2 80
		"\xe2\x80",           // a cut-off separator at the end
		"\xe2\x80\xa8\xe2",   // a separator, then a cut-off lead byte
		"\xe2\x80\xa8\xff<",  // a separator in invalid UTF-8
		"한국어 논문 요약",
		"emoji 🙂 and ünïcödé",
		"\xff",
		"bad \xc3\x28 sequence",
		"\xed\xa0\x80 surrogate half",
		"\xf4\x90\x80\x80 beyond U+10FFFF",
		"overlong \xc0\xaf and truncated \xe4\xb8",
		"invalid \xff then <html> & \n control",
		"\ufffd already a replacement",
		"\u0905 \ud7ff \u00e9 \U0010ffff", // valid E0 and ED leads, 2- and 4-byte runes
		"\xe0\x80\xaf \xed\xbf\xbf",       // E0 overlong, ED surrogate: one \ufffd a byte
		"\xc2",                            // a cut-off 2-byte rune
		"\xe2\xa8\x80 \xe2\x81\xa8",       // E2 runes that are not separators
		"end\u2029",
	} {
		check(t, s)
	}
}

func FuzzAppend(f *testing.F) {
	for _, s := range []string{
		"", "a", "<>&", "\x00\x1f\"\\", "\u2028\u2029", "\xe2\x80", "\xff", "한", "\xed\xa0\x80", "하한학\ud7ff", "\xed\x9f", "\xe0\x80\xaf",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		check(t, s)
	})
}

// BenchmarkAppend quotes prose in English and Korean, with a few escapes.
func BenchmarkAppend(b *testing.B) {
	s := strings.Repeat("A paper on \"attention\" — 주의 메커니즘에 관한 논문 <b>입니다</b>.\n", 20)
	b.SetBytes(int64(len(s)))
	buf := make([]byte, 0, 4*len(s))
	for b.Loop() {
		buf = Append(buf[:0], s)
	}
}
