package bot

import "fmt"

// MaxNesting bounds how deep lists and inline runs (bold in a link in a
// list item...) may nest in a stored post, counting both together. Real
// posts nest a few levels; the bound keeps every stored document readable
// back (the stores' decoders, and encoding/json with its 10,000-level
// limit, stay far from their limits) and the recursion of every reader
// and renderer shallow.
const MaxNesting = 64

// Check reports why d cannot be stored and read back, as a PostError
// naming the line of the section at fault (`file:line: reason`), or nil.
// The engine runs it on every parsed post before indexing it, so that a
// post the store could not decode again fails at scan time, alone, instead
// of at every later read.
func (d *Digest) Check() error {
	for i := range d.Papers {
		p := &d.Papers[i]
		for j := range p.Sections {
			s := &p.Sections[j]
			if n := blocksDepth(s.Blocks, 0); n > MaxNesting {
				line := s.Line
				if line == 0 {
					line = p.Line
				}
				return &PostError{Path: d.Path, Line: line, Reason: fmt.Sprintf(
					"paper %d, section %q: lists and markup nested more than %d levels deep cannot be stored; flatten them",
					p.Number, s.Name, MaxNesting)}
			}
		}
	}
	return nil
}

// blocksDepth is the deepest nesting under blocks, which sit at depth; it
// stops counting once past MaxNesting so a pathological post costs no more
// than a normal one.
func blocksDepth(blocks []Block, depth int) int {
	if depth > MaxNesting {
		return depth
	}
	deepest := depth
	for i := range blocks {
		b := &blocks[i]
		deepest = max(deepest, inlinesDepth(b.Inlines, depth+1))
		for _, item := range b.Items {
			deepest = max(deepest, blocksDepth(item, depth+1))
			if deepest > MaxNesting {
				return deepest
			}
		}
	}
	return deepest
}

func inlinesDepth(in []Inline, depth int) int {
	if len(in) == 0 {
		return depth - 1
	}
	if depth > MaxNesting {
		return depth
	}
	deepest := depth
	for i := range in {
		if len(in[i].Children) > 0 {
			deepest = max(deepest, inlinesDepth(in[i].Children, depth+1))
			if deepest > MaxNesting {
				return deepest
			}
		}
	}
	return deepest
}
