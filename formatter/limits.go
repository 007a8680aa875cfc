package formatter

import (
	"sort"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Platform limits (DESIGN.md section 6), all counted in UTF-16 code units:
// the platforms count in characters, and UTF-16 units are never fewer, so a
// text within these counts is within the platforms' own.
const (
	SlackMaxBlocks          = 50    // blocks per message, container children included
	SlackMaxSectionText     = 3000  // section text
	SlackMaxSectionFields   = 10    // fields per section
	SlackMaxFieldText       = 2000  // one section field
	SlackMaxHeaderText      = 150   // header plain_text
	SlackMaxContainerBlocks = 10    // child blocks of one container
	SlackMaxContainerTitle  = 150   // container title / subtitle
	SlackMaxContextElements = 10    // elements of a context block
	SlackMaxContextText     = 3000  // one context text element
	SlackMaxActionElements  = 25    // elements of an actions block
	SlackMaxButtonText      = 75    // button label
	SlackMaxActionID        = 255   // button action_id
	SlackMaxButtonValue     = 2000  // button value
	SlackMaxBlockID         = 255   // block_id
	SlackMaxFallbackText    = 40000 // the message's text fallback (documented)
	// SlackMaxMessageText is the total text of all blocks of one message.
	// Slack documents no such limit but has refused messages with
	// msg_blocks_too_long near 13,000 characters; 12,000 keeps clear of it.
	SlackMaxMessageText = 12000
	// slackFallbackBudget keeps the text fallback far below its limit: it is
	// a notification line, not a second copy of the digest.
	slackFallbackBudget = 3000

	DiscordMaxContent          = 2000
	DiscordMaxEmbeds           = 10
	DiscordMaxEmbedTitle       = 256
	DiscordMaxEmbedDescription = 4096
	DiscordMaxFields           = 25
	DiscordMaxFieldName        = 256
	DiscordMaxFieldValue       = 1024
	DiscordMaxFooterText       = 2048
	DiscordMaxAuthorName       = 256
	DiscordMaxEmbedTotal       = 6000 // all embeds of one message together
	DiscordMaxButtonsPerRow    = 5
	DiscordMaxRows             = 5
	DiscordMaxCustomID         = 100
	DiscordMaxButtonLabel      = 80
)

// ellipsis marks a cut title.
const ellipsis = "…"

// Len16 is the length of s in UTF-16 code units: runes outside the Basic
// Multilingual Plane (most emoji) count two.
func Len16(s string) int { return len16(s) }

// len16 is Len16 for a string or for bytes not yet made into one (a text
// still in a scratch buffer).
func len16[T string | []byte](s T) int {
	// Fast path: one unit per lead byte, one more for a 4-byte lead (a rune
	// outside the BMP), checking the shape of each sequence as it goes.
	n, want := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < 0x80:
			if want != 0 {
				return len16Slow(string(s))
			}
			n++
		case c < 0xC0: // continuation byte
			if want == 0 {
				return len16Slow(string(s))
			}
			want--
		case c < 0xC2 || c > 0xF4:
			return len16Slow(string(s))
		default:
			if want != 0 {
				return len16Slow(string(s))
			}
			switch {
			case c >= 0xF0:
				n += 2
				want = 3
			case c >= 0xE0:
				n++
				want = 2
			default:
				n++
				want = 1
			}
		}
	}
	if want != 0 {
		return len16Slow(string(s))
	}
	return n
}

// len16Slow counts malformed UTF-8 the way the JSON encoder will send it:
// one U+FFFD per bad byte. (The fast path takes overlong and surrogate
// encodings, which no editor writes, as one rune: the only undercount.)
func len16Slow(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// prefix16 returns the byte length of the longest prefix of s, ending on a
// rune boundary, that is at most max UTF-16 units long.
func prefix16(s string, max int) int {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		size, w := 1, 1
		if c >= utf8.RuneSelf {
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			if r >= 0x10000 {
				w = 2
			}
		}
		if n+w > max {
			return i
		}
		n += w
		i += size
	}
	return len(s)
}

// Truncate cuts s to at most max UTF-16 units, ending with "…" when it cut.
// It prefers to cut at a space when one is near the end, and never splits a
// rune. Use it only for a unit that cannot be split (a title); text that can
// flow on is split with splitText instead.
func Truncate(s string, max int) string {
	if Len16(s) <= max {
		return s
	}
	if max <= 0 {
		return ""
	}
	cut := prefix16(s, max-Len16(ellipsis))
	head := s[:cut]
	// Back up to a space if that loses little, so no word is cut in half.
	if i := strings.LastIndexByte(head, ' '); i > 0 && Len16(head[i:]) <= 20 {
		head = head[:i]
	}
	return strings.TrimRight(head, " \t\n") + ellipsis
}

// span is a byte range [start, end) of a rendered text that must not be
// split: a link, an inline code run, an HTML entity.
type span struct{ start, end int }

// insideSpan reports whether a cut at byte offset i would fall strictly
// inside one of spans (sorted by start, not overlapping).
func insideSpan(spans []span, i int) bool {
	// The last span starting before i is the only one that can hold it.
	k := sort.Search(len(spans), func(k int) bool { return spans[k].start >= i })
	return k > 0 && i < spans[k-1].end
}

// splitText splits s into pieces of at most max UTF-16 units, cutting at the
// best boundary it finds: a blank line, a line end, a sentence end, a space,
// and only as a last resort anywhere (never inside a rune, and not inside a
// protected span if that can be helped). The whitespace at a cut is dropped;
// no other character is lost. spans may be nil. The spans are found once,
// so the work is linear in the length of s however many pieces it makes.
func splitText(s string, max int, spansOf func(string) []span) []string {
	if max < 8 {
		max = 8
	}
	var out []string
	var spans []span
	if spansOf != nil && len(s) > max {
		spans = spansOf(s)
	}
	base := 0 // offset of s in the text spans were found in
	// A text no longer in bytes than max is within it in UTF-16 units too.
	for len(s) > max && Len16(s) > max {
		lim := prefix16(s, max)
		cut, next := bestCut(s, lim, spans, base)
		piece := strings.TrimRight(s[:cut], " \t\n")
		if piece == "" {
			// Only whitespace before the cut: take the hard cut instead.
			cut, next = lim, lim
			piece = s[:cut]
		}
		out = append(out, piece)
		// Keep the indentation of a nested list line that starts the
		// next piece; drop only the line breaks.
		rest := strings.TrimLeft(s[next:], "\n")
		base += len(s) - len(rest)
		s = rest
	}
	if len(out) > 0 {
		s = strings.TrimRight(s, " \t\n")
	}
	if s != "" || len(out) == 0 {
		out = append(out, s)
	}
	return out
}

// bestCut finds where to end a piece of s that may be at most lim bytes
// long: it returns the end of the piece and where the rest starts.
func bestCut(s string, lim int, spans []span, base int) (cut, next int) {
	head := s[:lim]
	ok := func(i int) bool { return i > 0 && !insideSpan(spans, base+i) }
	// A boundary must keep at least this much in the piece, or pieces get
	// silly-short; a third of the limit reads well.
	min := lim / 3
	for i := strings.LastIndex(head, "\n\n"); i >= min; i = strings.LastIndex(head[:i], "\n\n") {
		if ok(i) {
			return i, i + 2
		}
	}
	// A piece that already fills its limit can continue on the next line
	// of a list; indentation of the next line is kept by the caller's
	// TrimLeft only for newlines, so nested items stay readable.
	for i := strings.LastIndexByte(head, '\n'); i >= min; i = strings.LastIndexByte(head[:i], '\n') {
		if ok(i) {
			return i, i + 1
		}
	}
	// Sentence ends: ". " "! " "? " and the ideographic full stop.
	for i := len(head) - 1; i >= min; i-- {
		c := head[i]
		if (c == '.' || c == '!' || c == '?') && i+1 < len(s) && s[i+1] == ' ' && ok(i+1) {
			return i + 1, i + 2
		}
		if c == 0x82 && i >= 2 && head[i-2:i+1] == "。" && ok(i+1) {
			return i + 1, i + 1
		}
	}
	for i := strings.LastIndexByte(head, ' '); i > 0; i = strings.LastIndexByte(head[:i], ' ') {
		if ok(i) {
			return i, i + 1
		}
	}
	// No boundary: cut at the limit, backing off out of a span when that
	// leaves something in the piece.
	for i := lim; i > 0; i-- {
		if utf8.RuneStart(s[i]) && !insideSpan(spans, base+i) {
			return i, i
		}
	}
	return lim, lim
}
