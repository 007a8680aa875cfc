// Package rows holds what the SQL stores share about turning domain values
// into rows: the search text and index tokens of a paper, the search rule
// and its index queries, packing and the JSON encodings, so that SQLite and
// PostgreSQL index and search papers identically; and which of a store's
// embedded migrations a database still lacks.
package rows

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/paperbot/paperbot/bot"
)

// MaxWords caps the words of a search query: each word is one more term of
// every index query (and a level of title matches), and nobody types twenty
// words into /paper.
const MaxWords = 8

// SearchText returns the lowercase title and the lowercase search text of p:
// the title followed by every section's name and plain text. Both use
// strings.ToLower, as Words does for queries.
func SearchText(p *bot.Paper) (title, text string) {
	return strings.ToLower(p.Title), strings.ToLower(paperText(p))
}

// paperText is p's search text as written: the title, then each section's
// name and plain text, a line apart.
func paperText(p *bot.Paper) string {
	// The sections' texts first, so that the builder is allocated at its
	// final size: a guess of 2 KB a section allocated about four times the
	// text of the benchmark archive's papers (12 KB for 2.5 KB).
	var buf [8]string
	texts := buf[:0]
	n := len(p.Title)
	for i := range p.Sections {
		texts = append(texts, p.Sections[i].Text())
		n += len(p.Sections[i].Name) + 2 + len(texts[i])
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(p.Title)
	for i := range p.Sections {
		b.WriteString("\n")
		b.WriteString(p.Sections[i].Name)
		b.WriteString("\n")
		b.WriteString(texts[i])
	}
	return b.String()
}

// Words splits a query into its lowercase whitespace-separated words, without
// duplicates, at most MaxWords of them. NUL bytes and invalid UTF-8 separate
// words too: SQLite would cut a pattern at a NUL and PostgreSQL rejects both.
func Words(query string) []string {
	query = strings.ToValidUTF8(query, " ")
	query = strings.ReplaceAll(query, "\x00", " ")
	var out []string
	for _, w := range strings.Fields(strings.ToLower(query)) {
		dup := false
		for _, o := range out {
			if o == w {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, w)
		}
		if len(out) == MaxWords {
			break
		}
	}
	return out
}

// MarshalRefs encodes message refs; nil and empty both become "[]".
func MarshalRefs(refs []bot.MessageRef) (string, error) {
	if len(refs) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(refs)
	if err != nil {
		return "", fmt.Errorf("encode refs: %w", err)
	}
	return string(b), nil
}

// UnmarshalRefs decodes what MarshalRefs wrote; "[]" becomes nil.
func UnmarshalRefs(s string) ([]bot.MessageRef, error) {
	if s == "" || s == "[]" || s == "null" {
		return nil, nil
	}
	var refs []bot.MessageRef
	if err := json.Unmarshal([]byte(s), &refs); err != nil {
		return nil, fmt.Errorf("decode refs: %w", err)
	}
	return refs, nil
}

// DecodePost decodes the stored digest of the post at path. A digest that
// cannot be decoded is bot.Unreadable naming the path, so that the post
// fails alone and the reads around it go on.
func DecodePost(path, doc string) (*bot.Digest, error) {
	var d bot.Digest
	if err := DecodeDigest(doc, &d); err != nil {
		return nil, bot.Unreadable(path, fmt.Errorf("decode post: %w", err))
	}
	return &d, nil
}
