package rows

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"sync"
	"unsafe"

	"github.com/klauspost/compress/s2"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/store/internal/s2block"
)

// A packed paper is the paper compressed: the SQLite store keeps each
// paper's text once, and as plain JSON that alone is 1.3 times the markdown
// it came from. The first byte names the format so that a later one can be
// told apart; UnpackPaper reads every format PackPaper has ever written, so
// no row is rewritten when the format changes. An older paperbot cannot
// read a format newer than itself: the SQLite store records a schema
// version with each new format (migration 0007 for packBin), which makes
// an older paperbot refuse the file.
const (
	// packFlate1 is DEFLATE primed with packDict: what PackPaper wrote
	// until S2 replaced it. Databases written then still hold it.
	packFlate1 = 1
	// packS2 is S2 (github.com/klauspost/compress/s2, an LZ77 format
	// without entropy coding) primed with packDict, encoded at its
	// "better" level. Against packFlate1 on the benchmark archive (8,000
	// posts of 20 papers): a first start took 2 CPU-s less (24.3 ->
	// 22.2), a lookup by id 20% less time (69-74 -> 54-55 µs, most of it
	// inflating), and the store grew from 0.85 to 0.93 times the markdown,
	// inside the 1.0 the store must stay under. S2's fastest level packs
	// twice as fast again, but to 1.02 times.
	//
	// Since then the blocks are written by s2block (packEncoder), which
	// the same decoder reads: a first start took 1.1 CPU-s less again
	// (19.3-19.8 -> 18.1-18.8, two interleaved pairs), for a store of
	// 0.9393 times the markdown instead of 0.9255.
	packS2 = 2
	// packBin is a paper's binary form (binpaper.go) instead of its JSON,
	// in an S2 block primed with packBinDict, written by s2block. Against
	// packS2 on the example posts' papers (BenchmarkPaperJSON/PackPaper,
	// BenchmarkUnpackPaper): packing takes 35-40% less time, unpacking a
	// third of it (no JSON to scan); on the benchmark archive the store
	// went from 0.9401 to 0.9213 times the markdown.
	packBin = 3
)

// maxUnpacked bounds what a packed paper may claim to unpack to: a post is
// at most 16 MiB (source.MaxPostSize) and a paper's JSON or binary form at
// most a few times that, so a larger length means a damaged row, not a
// paper to allocate for. PackPaper refuses to write one.
const maxUnpacked = 256 << 20

// packDict primes the compressor with what every paper's JSON repeats (a
// paper is a few kilobytes, too short to learn it from). Packed papers in
// existing databases depend on it: never change it, add a new format.
var packDict = []byte(`{"kind":"paragraph","inlines":[{"kind":"text","text":"` +
	`{"kind":"list","items":[[{"kind":"paragraph","inlines":[{"kind":"text","text":"Goal: ` +
	`"}]}],[{"kind":"paragraph","inlines":[{"kind":"text","text":"Motivation: ` +
	`"}]}],[{"kind":"paragraph","inlines":[{"kind":"text","text":"Contribution: ` +
	`{"kind":"strong","children":[{"kind":"text","text":"{"kind":"code","text":"{"kind":"math","text":"` +
	`{"kind":"link","url":"https://","children":[{"kind":"emph","children":[` +
	`"no_info":true,"line":{"name":"Limitations","blocks":[{"name":"Conclusion","blocks":[` +
	`{"name":"Results","blocks":[{"name":"Method","blocks":[{"name":"Introduction","blocks":[` +
	`,"url":"https://arxiv.org/abs/","alphaxiv_url":"https://www.alphaxiv.org/ko/overview/","sections":[` +
	`을 를 이 가 은 는 의 에 에서 으로 와 과 한다. 하였다. 제안한다. 모델 방법 성능 결과 연구 데이터 학습 ` +
	`{"number":`)

// packBinDict primes the compressor for papers in their binary form: what
// their strings repeat (section names after their lengths, the links' and
// the Goal bullets' openings, the posts' commonest Korean words). Packed
// papers depend on it: never change it, add a new format.
var packBinDict = []byte("\x0cIntroduction\x0bLimitations\x0aConclusion\x07Results\x06Method" +
	"\x01\x00\x00\x01\x01\x00\x00Goal: \x01\x00\x00Motivation: \x01\x00\x00Contribution: \x00\x01\x00" +
	"https://arxiv.org/abs/https://www.alphaxiv.org/ko/overview/" +
	"을 를 이 가 은 는 의 에 에서 으로 와 과 한다. 하였다. 제안한다. 모델 방법 성능 결과 연구 데이터 학습 " +
	"정보 부족 LLM 언어 모델 (Large Language Model) 벤치마크 실험 기존 새로운 통해 위한 대한 있다. 없다. ")

// packS2Dict is packDict as an S2 dictionary, its first repeat offset
// fixed at 0 (s2.MakeDict would search for one, and a dictionary must
// stay byte for byte what the papers were packed with).
var packS2Dict = s2.MakeDictManual(packDict, 0)

// packBinS2Dict is packBinDict as an S2 dictionary, as packS2Dict is.
var packBinS2Dict = s2.MakeDictManual(packBinDict, 0)

// packEncoder writes packS2 blocks, and binEncoder packBin ones: s2block,
// which sizes its table to a paper, where s2's own encoder clears 576 KB of
// tables for each.
var (
	packEncoder = s2block.NewDict(packDict)
	binEncoder  = s2block.NewDict(packBinDict)
)

var (
	// flateReaders inflate papers packed as packFlate1.
	flateReaders = sync.Pool{New: func() any { return flate.NewReaderDict(bytes.NewReader(nil), packDict) }}
	// inflated are the buffers packFlate1 papers are inflated into. A
	// lookup inflates one paper; a fresh buffer for each (its size
	// guessed, then grown) was a quarter of what `GET /api/papers/{id}`
	// allocated, and at 5,000 lookups a second that garbage set how often
	// the collector ran.
	inflated = sync.Pool{New: func() any { return new(bytes.Buffer) }}
)

// packBufs hold a paper's JSON and its packed bytes while it is packed;
// what PackPaper returns is a copy of exactly the packed size.
var packBufs = sync.Pool{New: func() any { return new(packBuf) }}

type packBuf struct {
	doc, out []byte
}

// maxPooledInflate bounds the buffers kept in inflated: one huge paper
// must not pin its buffer.
const maxPooledInflate = 64 << 10

// PackPaper encodes p for storage, in its binary form (packBin).
func PackPaper(p *bot.Paper) ([]byte, error) {
	pb := packBufs.Get().(*packBuf)
	defer packBufs.Put(pb)
	doc, ok := appendBinPaper(pb.doc[:0], p)
	if !ok {
		return nil, fmt.Errorf("pack paper: lists or inline runs nested more than %d deep", binMaxDepth)
	}
	pb.doc = doc
	if len(doc) > maxUnpacked || s2.MaxEncodedLen(len(doc)) < 0 {
		return nil, fmt.Errorf("pack paper: %d bytes, too long to pack", len(doc))
	}
	pb.out = binEncoder.Encode(append(pb.out[:0], packBin), doc)
	return bytes.Clone(pb.out), nil
}

// UnpackPaper decodes what PackPaper wrote into *p.
func UnpackPaper(b []byte, p *bot.Paper) error {
	if len(b) == 0 {
		return fmt.Errorf("decode paper: unknown packing")
	}
	switch b[0] {
	case packBin:
		return unpackBin(b[1:], p)
	case packS2:
		return unpackS2(b[1:], p)
	case packFlate1:
		return unpackFlate(b[1:], p)
	}
	return fmt.Errorf("decode paper: unknown packing %d", b[0])
}

func unpackS2(b []byte, p *bot.Paper) error {
	doc, err := decodeS2(b, packS2Dict)
	if err != nil {
		return err
	}
	return DecodePaper(doc, p)
}

func unpackBin(b []byte, p *bot.Paper) error {
	doc, err := decodeS2(b, packBinS2Dict)
	if err != nil {
		*p = bot.Paper{}
		return err
	}
	return decodeBinPaper(doc, p)
}

// decodeS2 decodes an S2 block primed with dict. The decoders keep
// substrings of what it returns, and the bytes are this call's own and
// never written again: they can be the string without a copy.
func decodeS2(b []byte, dict *s2.Dict) (string, error) {
	n, err := s2.DecodedLen(b)
	if err != nil {
		return "", fmt.Errorf("decode paper: %w", err)
	}
	if n > maxUnpacked {
		return "", fmt.Errorf("decode paper: claims %d bytes, more than a paper can have", n)
	}
	doc, err := dict.Decode(make([]byte, n), b)
	if err != nil {
		return "", fmt.Errorf("decode paper: %w", err)
	}
	return unsafe.String(unsafe.SliceData(doc), len(doc)), nil
}

func unpackFlate(b []byte, p *bot.Paper) error {
	r := flateReaders.Get().(io.ReadCloser)
	defer flateReaders.Put(r)
	if err := r.(flate.Resetter).Reset(bytes.NewReader(b), packDict); err != nil {
		return fmt.Errorf("decode paper: %w", err)
	}
	sb := inflated.Get().(*bytes.Buffer)
	defer func() {
		if sb.Cap() <= maxPooledInflate {
			inflated.Put(sb)
		}
	}()
	sb.Reset()
	sb.Grow(len(b) * 3)
	if _, err := sb.ReadFrom(r); err != nil {
		return fmt.Errorf("decode paper: %w", err)
	}
	// DecodePaper keeps substrings of its input: give it its own copy
	// (String copies), not the pooled buffer.
	return DecodePaper(sb.String(), p)
}
