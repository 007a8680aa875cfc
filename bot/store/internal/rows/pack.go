package rows

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"sync"

	kflate "github.com/klauspost/compress/flate"

	"github.com/paperbot/paperbot/bot"
)

// A packed paper is its JSON, deflated: the SQLite store keeps each paper's
// text once, and as plain JSON that alone is 1.3 times the markdown it came
// from (measured on the real post), while deflated it is about 0.6 times.
// The first byte names the format so that a later one can be told apart.
const packFlate1 = 1

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

// Papers are deflated by github.com/klauspost/compress/flate: it writes the
// same format as compress/flate (which reads it back, and reads the papers
// it wrote before), at 2.5 times its speed and a tenth smaller on papers
// (0.64x against 0.72x the markdown, measured on the benchmark archive):
// packing was a third of a first start's CPU, most of it building a Huffman
// code per paper.
var (
	flateWriters = sync.Pool{New: func() any {
		w, err := kflate.NewWriterDict(io.Discard, kflate.BestSpeed, packDict)
		if err != nil {
			panic(err) // only for a bad level
		}
		return w
	}}
	flateReaders = sync.Pool{New: func() any { return flate.NewReaderDict(bytes.NewReader(nil), packDict) }}
	// inflated are the buffers papers are inflated into. A lookup inflates
	// one paper; a fresh buffer for each (its size guessed, then grown)
	// was a quarter of what `GET /api/papers/{id}` allocated, and at
	// 5,000 lookups a second that garbage set how often the collector ran.
	inflated = sync.Pool{New: func() any { return new(bytes.Buffer) }}
)

// packBufs hold a paper's JSON and its deflated bytes while it is packed;
// what PackPaper returns is a copy of exactly the packed size. A buffer
// per paper, sized by a guess at the ratio, was regrown (to twice the
// guess) whenever the guess fell short.
var packBufs = sync.Pool{New: func() any { return new(packBuf) }}

type packBuf struct {
	doc []byte
	out bytes.Buffer
}

// maxPooledInflate bounds the buffers kept in inflated: one huge paper
// must not pin its buffer.
const maxPooledInflate = 64 << 10

// PackPaper encodes p for storage.
func PackPaper(p *bot.Paper) ([]byte, error) {
	pb := packBufs.Get().(*packBuf)
	defer packBufs.Put(pb)
	pb.doc = AppendPaper(pb.doc[:0], p)
	pb.out.Reset()
	pb.out.WriteByte(packFlate1)
	w := flateWriters.Get().(*kflate.Writer)
	defer flateWriters.Put(w)
	w.Reset(&pb.out)
	if _, err := w.Write(pb.doc); err != nil {
		return nil, fmt.Errorf("pack paper: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("pack paper: %w", err)
	}
	return bytes.Clone(pb.out.Bytes()), nil
}

// UnpackPaper decodes what PackPaper wrote into *p.
func UnpackPaper(b []byte, p *bot.Paper) error {
	if len(b) == 0 || b[0] != packFlate1 {
		return fmt.Errorf("decode paper: unknown packing")
	}
	r := flateReaders.Get().(io.ReadCloser)
	defer flateReaders.Put(r)
	if err := r.(flate.Resetter).Reset(bytes.NewReader(b[1:]), packDict); err != nil {
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
