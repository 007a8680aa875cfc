package formatter

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLen16(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"abc", 3},
		{"한국어", 3},
		{"🚀", 2},       // outside the BMP: a surrogate pair
		{"a🚀b✨", 5},    // ✨ is in the BMP
		{"é", 1},       // precomposed
		{"e\u0301", 2}, // combining accent counts on its own
		{"\xff", 1},    // invalid UTF-8 counts as one replacement character
	}
	for _, tt := range tests {
		if got := Len16(tt.in); got != tt.want {
			t.Errorf("Len16(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestTruncate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"one two three four", 10, "one two…"},
		{"abcdefghijklmnop", 6, "abcde…"},
		{"🚀🚀🚀🚀", 5, "🚀🚀…"},       // never half a surrogate pair
		{"한국어 제목입니다", 6, "한국어…"}, // backs up to the space
		{"x", 0, ""},
	}
	for _, tt := range tests {
		got := Truncate(tt.in, tt.max)
		if got != tt.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
		if Len16(got) > tt.max {
			t.Errorf("Truncate(%q, %d) is %d units", tt.in, tt.max, Len16(got))
		}
	}
}

func TestSplitText(t *testing.T) {
	t.Parallel()
	para := strings.Repeat("word ", 30) // 150
	tests := []struct {
		name string
		in   string
		max  int
		want []string
	}{
		{"fits", "hello world", 20, []string{"hello world"}},
		{"paragraphs", "aaaa aaaa.\n\nbbbb bbbb.", 12, []string{"aaaa aaaa.", "bbbb bbbb."}},
		{"lines keep indentation", "- one item here\n    - nested item", 20, []string{"- one item here", "    - nested item"}},
		{"sentences", "First one here. Second one here.", 20, []string{"First one here.", "Second one here."}},
		{"words", "alpha beta gamma delta", 12, []string{"alpha beta", "gamma delta"}},
		{"hard", "abcdefghijklmnopqrstuvwxyz", 10, []string{"abcdefghij", "klmnopqrst", "uvwxyz"}},
		{"emoji hard", "🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀", 9, []string{"🚀🚀🚀🚀", "🚀🚀🚀🚀", "🚀🚀"}},
		{"long paragraph", para + "\n\n" + para, 200, []string{strings.TrimSpace(para), strings.TrimSpace(para)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := splitText(tt.in, tt.max, nil)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("splitText(%q, %d) =\n%q\nwant\n%q", tt.in, tt.max, got, tt.want)
			}
		})
	}
}

func TestSplitTextKeepsSpans(t *testing.T) {
	t.Parallel()
	// The cut would fall inside the link; it must move before it.
	s := "some words [a long link label](https://example.com/a) tail"
	got := splitText(s, 45, discordSpans)
	for _, p := range got {
		if strings.Count(p, "[") != strings.Count(p, ")") {
			t.Errorf("link split across pieces: %q", got)
		}
	}
	// A code span is never cut in half.
	s = strings.Repeat("`a b` ", 20)
	for _, p := range splitText(s, 12, discordSpans) {
		if strings.Count(p, "`")%2 != 0 {
			t.Errorf("code span split: %q", p)
		}
	}
}

// FuzzSplitText: pieces are within the limit, valid UTF-8 when the input
// is, and lose nothing but whitespace.
func FuzzSplitText(f *testing.F) {
	f.Add("hello world. this is a test\n\nwith paragraphs", 10)
	f.Add("🚀🚀🚀 한국어 & <b> `code`", 5)
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 8 || max > 5000 || !utf8.ValidString(s) {
			return
		}
		pieces := splitText(s, max, discordSpans)
		for _, p := range pieces {
			if Len16(p) > max {
				t.Fatalf("piece %q is %d units, max %d", p, Len16(p), max)
			}
			if !utf8.ValidString(p) {
				t.Fatalf("invalid UTF-8 piece %q", p)
			}
		}
		strip := func(s string) string { return strings.Join(strings.Fields(s), "") }
		if strip(strings.Join(pieces, "")) != strip(s) {
			t.Fatalf("text lost: %q -> %q", s, pieces)
		}
	})
}
