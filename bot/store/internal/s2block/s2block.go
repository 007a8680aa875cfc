// Package s2block writes S2 blocks (github.com/klauspost/compress/s2's
// block format) of short inputs primed with a dictionary, which s2's
// Dict.Decode reads back. It exists for the SQLite store's papers: each is
// packed on its own, a few kilobytes against a kilobyte of dictionary, and
// s2's Dict.EncodeBetter clears 576 KB of hash tables for every block
// whatever its size, then probes two of them per position. Here one table
// is sized to the input and starts as a copy of the dictionary's, made
// once.
//
// The encoder is a greedy LZ77 over the dictionary and the input with one
// table of 4-byte hashes, which also remembers a few positions of each
// match. On the example posts' papers (rows' BenchmarkPaperJSON) it packs
// to 44.0% of their JSON, against 41.9% for s2's "better" level, in a fifth
// of the time; on the fixture post's longer papers, 50.9% against 48.4%
// and 55.1% for s2's fastest level, in 40% of the "better" level's time.
// Two tables like the "better" level's (8-byte and 4-byte hashes) packed to
// 46.5% but took 40% longer than one. It writes literals and the copy tags
// that Snappy and S2 share; never S2's repeat codes.
package s2block

import (
	"encoding/binary"
	"math/bits"
	"sync"
)

const (
	// maxDictOffset is how far into a block a copy from the dictionary may
	// still start: s2.MaxDictSrcOffset, which the decoder checks.
	maxDictOffset = 65535
	// minBits and maxBits bound the hash table's size (entries, as a power
	// of two). It is at most 2^maxBits int32s, 128 KB: inputs longer than
	// that share entries, and compress a little less.
	minBits = 8
	maxBits = 15
	// maxPooled bounds the buffers kept for the next block.
	maxPooled = 1 << 20
	// maxInput is the longest input searched for copies: the table holds
	// positions as int32. Longer ones (no paper is: a post is at most 16
	// MiB) are written as one literal.
	maxInput = 1 << 30
	// minMatch is the shortest copy worth writing: a copy tag is 2-5 bytes.
	minMatch = 4
	// skipShift sets how fast the search skips ahead where nothing
	// matches: one byte more per 2^skipShift bytes since the last match.
	// At 3 rather than 5, PackPaper took 16% less time on the example
	// posts' papers (rows' BenchmarkPaperJSON) and a first start on 8,000
	// posts 0.2-0.3 CPU-s less, for a store of 0.9262 times the markdown
	// instead of 0.9214; at 2 the store was 1.017 times, over the 1.0 it
	// must stay under.
	skipShift = 3
)

// A Dict is a dictionary blocks are primed with. It is safe for use by
// several goroutines at once.
type Dict struct {
	dict []byte
	// tables holds the dictionary's positions hashed into a table of each
	// size (index bits-minBits), made on first use: a block's table starts
	// as a copy.
	tables [maxBits - minBits + 1]struct {
		once  sync.Once
		table []int32
	}
	scratch sync.Pool // *scratch
}

type scratch struct {
	buf []byte
	// The table, of which a block uses the first 2^b entries. Indexing
	// an array by a hash masked to its size needs no bounds check.
	table [1 << maxBits]int32
}

// NewDict returns a dictionary of dict, which must be the bytes that the
// decoder's s2.Dict holds (s2.MakeDictManual(dict, 0) or the like). dict
// must not be changed afterwards.
func NewDict(dict []byte) *Dict {
	return &Dict{dict: dict, scratch: sync.Pool{New: func() any { return new(scratch) }}}
}

// tableOf returns the dictionary's table of 2^b entries. An entry holds a
// position plus one, so that zero is empty.
func (d *Dict) tableOf(b int) []int32 {
	t := &d.tables[b-minBits]
	t.once.Do(func() {
		t.table = make([]int32, 1<<b)
		for i := 0; i+8 <= len(d.dict); i++ {
			t.table[hash4(binary.LittleEndian.Uint64(d.dict[i:]), b)] = int32(i + 1)
		}
	})
	return t.table
}

// tableBits sizes the table for n bytes of dictionary and input: about one
// entry per byte (half as many measured slower: more candidates that do
// not match).
func tableBits(n int) int {
	return min(maxBits, max(minBits, bits.Len(uint(n))))
}

// hash4 hashes the first 4 bytes of u to b bits (at most maxBits: the
// mask tells the compiler so).
func hash4(u uint64, b int) uint32 {
	const prime4bytes = 2654435761
	return (uint32(u) * prime4bytes) >> (32 - b) & (1<<maxBits - 1)
}

// Encode appends the S2 block of src to dst and returns the result. The
// block is what s2's Dict.Decode, with this dictionary, decodes to src.
func (d *Dict) Encode(dst, src []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(src)))
	if len(src) == 0 {
		return dst
	}
	if len(src) < 2*minMatch || len(src) > maxInput {
		return emitLiteral(dst, src)
	}
	sc := d.scratch.Get().(*scratch)
	defer func() {
		// One huge input must not pin its buffer.
		if cap(sc.buf) <= maxPooled {
			d.scratch.Put(sc)
		}
	}()

	// The block is encoded as if the dictionary came first: buf holds
	// both, and a copy's offset is the distance in buf, whether it reaches
	// back into src or into the dictionary (the decoder counts a copy from
	// the dictionary the same way).
	base := len(d.dict)
	buf := append(append(sc.buf[:0], d.dict...), src...)
	sc.buf = buf
	b := tableBits(len(buf))
	table := &sc.table
	copy(table[:], d.tableOf(b))

	start := len(dst)
	// limit: the last position a 8-byte load can start at.
	limit := len(buf) - 8
	s, nextEmit := base, base
	for s <= limit {
		cv := binary.LittleEndian.Uint64(buf[s:])
		h := hash4(cv, b)
		cand := int(table[h]) - 1
		table[h] = int32(s + 1)
		if cand < 0 || binary.LittleEndian.Uint32(buf[cand:]) != uint32(cv) {
			// The further from the last match, the faster it skips:
			// text that does not repeat is not searched byte by byte.
			s += 1 + (s-nextEmit)>>skipShift
			continue
		}
		n := d.match(buf, base, s, cand)
		if n < minMatch {
			s += 1 + (s-nextEmit)>>skipShift
			continue
		}
		// Extend backwards over what the literals would repeat.
		lowest := base // a copy from src must not reach into the dictionary
		if cand < base {
			lowest = 0
		}
		for cand > lowest && s > nextEmit && buf[cand-1] == buf[s-1] {
			cand--
			s--
			n++
		}
		dst = emitLiteral(dst, buf[nextEmit:s])
		dst = emitCopy(dst, s-cand, n)
		end := s + n
		// A few positions of the match are remembered too (every one
		// measured worse: a later position overwrites a better one).
		for _, i := range [...]int{s + 1, s + 2, end - 2, end - 1} {
			if i > s && i <= limit {
				table[hash4(binary.LittleEndian.Uint64(buf[i:]), b)] = int32(i + 1)
			}
		}
		s, nextEmit = end, end
	}
	dst = emitLiteral(dst, buf[nextEmit:])
	if len(dst)-start > literalLen(len(src)) {
		// Nothing repeated enough to pay for the tags: one literal.
		dst = emitLiteral(dst[:start], src)
	}
	return dst
}

// match returns how many bytes at s match those at cand, or 0 if the
// decoder would not take a copy from cand at s.
func (d *Dict) match(buf []byte, base, s, cand int) int {
	end := len(buf)
	if cand < base {
		// A copy from the dictionary ends inside it, and starts within
		// maxDictOffset bytes of the block's start (the decoder's rules).
		if s-base > maxDictOffset {
			return 0
		}
		end = s + (base - cand)
		if end > len(buf) {
			end = len(buf)
		}
	}
	n := 0
	for s+n+8 <= end {
		x := binary.LittleEndian.Uint64(buf[s+n:]) ^ binary.LittleEndian.Uint64(buf[cand+n:])
		if x != 0 {
			n += bits.TrailingZeros64(x) >> 3
			return n
		}
		n += 8
	}
	for s+n < end && buf[s+n] == buf[cand+n] {
		n++
	}
	return n
}

// literalLen is the length of a literal of n bytes, tag included.
func literalLen(n int) int {
	switch {
	case n <= 60:
		return 1 + n
	case n <= 1<<8:
		return 2 + n
	case n <= 1<<16:
		return 3 + n
	case n <= 1<<24:
		return 4 + n
	}
	return 5 + n
}

// Tags of the block format.
const (
	tagLiteral = 0x00
	tagCopy1   = 0x01
	tagCopy2   = 0x02
	tagCopy4   = 0x03
)

func emitLiteral(dst, lit []byte) []byte {
	if len(lit) == 0 {
		return dst
	}
	n := uint32(len(lit) - 1)
	switch {
	case n < 60:
		dst = append(dst, byte(n)<<2|tagLiteral)
	case n < 1<<8:
		dst = append(dst, 60<<2|tagLiteral, byte(n))
	case n < 1<<16:
		dst = append(dst, 61<<2|tagLiteral, byte(n), byte(n>>8))
	case n < 1<<24:
		dst = append(dst, 62<<2|tagLiteral, byte(n), byte(n>>8), byte(n>>16))
	default:
		dst = append(dst, 63<<2|tagLiteral, byte(n), byte(n>>8), byte(n>>16), byte(n>>24))
	}
	return append(dst, lit...)
}

// emitCopy writes a copy of n bytes from offset back, in pieces of at most
// 64 bytes (a piece of 60, then the rest, so that no piece is shorter than
// 4 and a short last piece can take the 2-byte tag).
func emitCopy(dst []byte, offset, n int) []byte {
	for n > 0 {
		l := n
		switch {
		case n >= 68:
			l = 64
		case n > 64:
			l = 60
		}
		n -= l
		switch {
		case offset < 2048 && l >= 4 && l <= 11:
			dst = append(dst, byte(offset>>8)<<5|byte(l-4)<<2|tagCopy1, byte(offset))
		case offset < 1<<16:
			dst = append(dst, byte(l-1)<<2|tagCopy2, byte(offset), byte(offset>>8))
		default:
			dst = append(dst, byte(l-1)<<2|tagCopy4, byte(offset), byte(offset>>8), byte(offset>>16), byte(offset>>24))
		}
	}
	return dst
}
