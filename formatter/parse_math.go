package formatter

import (
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// mathNode is inline TeX: $...$ or $$...$$ on one line. Its Text is the
// source between the dollars, untouched (backslashes are TeX's).
type mathNode struct {
	ast.BaseInline
	TeX string
}

var kindMath = ast.NewNodeKind("Math")

func (n *mathNode) Kind() ast.NodeKind { return kindMath }

func (n *mathNode) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"TeX": n.TeX}, nil)
}

// mathParser reads $...$ as goldmark inline syntax, so emphasis and escapes
// never reach inside a formula ("$a_1 * b_2$" stays one run). It follows
// pandoc's rule, which keeps prices apart from math: the opening $ is
// followed by a non-space, the closing $ is preceded by a non-space and not
// followed by a digit ("$5 and $10" is text).
type mathParser struct{}

func (mathParser) Trigger() []byte { return []byte{'$'} }

func (mathParser) Parse(_ ast.Node, block text.Reader, _ parser.Context) ast.Node {
	line, _ := block.PeekLine()
	delim := 1
	if len(line) > 1 && line[1] == '$' {
		delim = 2
	}
	body := line[delim:]
	if len(body) == 0 || isMathSpace(body[0]) || body[0] == '$' {
		return nil
	}
	for i := 0; i < len(body); i++ {
		switch body[i] {
		case '\n':
			return nil
		case '\\':
			i++ // \$ is a dollar inside TeX
		case '$':
			if delim == 1 && i+1 < len(body) && body[i+1] == '$' {
				i++ // "$$" never closes "$"
				continue
			}
			if isMathSpace(body[i-1]) {
				continue
			}
			if delim == 2 {
				if i+1 >= len(body) || body[i+1] != '$' {
					continue
				}
			} else if i+1 < len(body) && body[i+1] >= '0' && body[i+1] <= '9' {
				continue
			}
			block.Advance(delim + i + delim)
			return &mathNode{TeX: string(body[:i])}
		}
	}
	return nil
}

func isMathSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
