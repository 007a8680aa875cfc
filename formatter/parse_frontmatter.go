package formatter

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"go.abhg.dev/goldmark/frontmatter"
	"gopkg.in/yaml.v3"

	"github.com/paperbot/paperbot/bot"
)

// frontMatterLine is the file line of the front matter's first YAML line:
// line 1 is the opening "---".
const frontMatterLine = 1

// dateLayouts are the date forms Jekyll posts use. Layouts without a zone
// are read in the parser's Location.
var dateLayouts = []struct {
	layout string
	zone   bool
}{
	{"2006-01-02 15:04:05", false},
	{"2006-01-02 15:04:05 -0700", true},
	{"2006-01-02 15:04:05 -07:00", true},
	{"2006-01-02 15:04:05 -0700 MST", true},
	{"2006-01-02 15:04:05Z07:00", true},
	{time.RFC3339Nano, true},
	{"2006-01-02T15:04:05", false},
	{"2006-01-02 15:04:05.999999999", false},
	{"2006-01-02 15:04:05.999999999 -0700", true},
	{"2006-01-02 15:04", false},
	{"2006-01-02 15:04 -0700", true},
	{"2006-01-02T15:04Z07:00", true},
	{time.DateOnly, false},
}

// parseDate reads a front-matter date; the result is in loc.
func parseDate(s string, loc *time.Location) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, l := range dateLayouts {
		var t time.Time
		var err error
		if l.zone {
			t, err = time.Parse(l.layout, s)
		} else {
			t, err = time.ParseInLocation(l.layout, s, loc)
		}
		if err == nil {
			return t.In(loc), true
		}
	}
	return time.Time{}, false
}

// readFrontMatter fills d from the YAML front matter and reports whether it
// had a date.
func readFrontMatter(fm *frontmatter.Data, d *bot.Digest, loc *time.Location) (bool, *bot.PostError) {
	var doc yaml.Node
	if err := fm.Decode(&doc); err != nil {
		return false, yamlError(err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return false, nil // "---\n---": empty front matter
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return false, nil
	}
	if root.Kind != yaml.MappingNode {
		return false, &bot.PostError{Line: root.Line + frontMatterLine, Reason: "the front matter is not a YAML mapping of \"key: value\" lines"}
	}
	hasDate := false
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i], root.Content[i+1]
		if val.Kind == yaml.AliasNode && val.Alias != nil {
			val = val.Alias
		}
		line := val.Line + frontMatterLine
		switch key.Value {
		case "title":
			if val.Kind != yaml.ScalarNode {
				return false, &bot.PostError{Line: line, Reason: "the front matter's title is not a single line of text"}
			}
			if val.Tag != "!!null" {
				d.Title = strings.TrimSpace(val.Value)
			}
		case "date":
			if val.Kind != yaml.ScalarNode {
				return false, &bot.PostError{Line: line, Reason: "the front matter's date is not a date like 2025-09-30 08:15:00"}
			}
			if val.Tag == "!!null" || strings.TrimSpace(val.Value) == "" {
				continue // "date:" left empty: fall back to the file name
			}
			t, ok := parseDate(val.Value, loc)
			if !ok {
				return false, &bot.PostError{Line: line, Reason: "the front matter's date " + strconv.Quote(val.Value) + " is not a date like 2025-09-30 08:15:00"}
			}
			d.Date, hasDate = t, true
		case "tags", "categories":
			list, ok := stringList(val)
			if !ok {
				return false, &bot.PostError{Line: line, Reason: "the front matter's " + key.Value + " is not a list or a space-separated string"}
			}
			if key.Value == "tags" {
				d.Tags = list
			} else {
				d.Categories = list
			}
		case "published":
			if val.Kind == yaml.ScalarNode {
				switch strings.ToLower(strings.TrimSpace(val.Value)) {
				case "false", "no", "off":
					// Jekyll's YAML 1.1 reads no/off as false too.
					d.Draft = true
				}
			}
		}
	}
	return hasDate, nil
}

// stringList reads Jekyll's tags: a YAML list, or one string of words.
func stringList(n *yaml.Node) ([]string, bool) {
	var out []string
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil, true
		}
		out = strings.Fields(n.Value)
	case yaml.SequenceNode:
		for _, item := range n.Content {
			if item.Kind == yaml.AliasNode && item.Alias != nil {
				item = item.Alias
			}
			if item.Kind != yaml.ScalarNode {
				return nil, false
			}
			if s := strings.TrimSpace(item.Value); s != "" && item.Tag != "!!null" {
				out = append(out, s)
			}
		}
	default:
		return nil, false
	}
	if len(out) == 0 {
		return nil, true
	}
	return out, true
}

// yamlParserProblems are the messages of yaml.v3's parser (not scanner)
// errors: for those it reports a 0-based line, for scanner errors a 1-based
// one, and no line at all for the first line.
var yamlParserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// yamlError turns "yaml: line 3: mapping values are not allowed in this
// context" into a PostError at the file's line.
func yamlError(err error) *bot.PostError {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	line := 1 // no line in the message: the first YAML line
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, after, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil {
				line, msg = n, after
				if yamlParserProblems[msg] {
					line++
				}
			}
		}
	}
	if msg == "found unexpected end of stream" {
		msg += " (an unclosed quote or bracket?)"
	}
	return &bot.PostError{Line: line + frontMatterLine, Reason: "the front matter is not valid YAML: " + msg}
}
