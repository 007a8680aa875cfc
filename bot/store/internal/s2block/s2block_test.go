package s2block

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/klauspost/compress/s2"
)

var testDict = []byte(`{"kind":"paragraph","inlines":[{"kind":"text","text":"` +
	`{"name":"Method","blocks":[,"url":"https://arxiv.org/abs/"확산 모델 방법 성능`)

// roundTrip encodes src and decodes it with s2's own decoder.
func roundTrip(t testing.TB, d *Dict, sd *s2.Dict, src []byte) []byte {
	t.Helper()
	enc := d.Encode(nil, src)
	got, err := sd.Decode(nil, enc)
	if err != nil {
		t.Fatalf("s2 cannot decode the block of %d bytes (%.40q…): %v", len(src), src, err)
	}
	if !bytes.Equal(got, src) {
		t.Fatalf("decoded %d bytes (%.40q…), want %d (%.40q…)", len(got), got, len(src), src)
	}
	return enc
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	d, sd := NewDict(testDict), s2.MakeDictManual(testDict, 0)
	rnd := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rnd.Uint32())
		}
		return b
	}
	para := `{"kind":"paragraph","inlines":[{"kind":"text","text":"확산 모델의 성능을 높이는 방법"}]}`
	for name, src := range map[string][]byte{
		"empty":      nil,
		"one byte":   []byte("x"),
		"seven":      []byte("abcdefg"),
		"dict only":  testDict,
		"dict twice": append(append([]byte{}, testDict...), testDict...),
		"dict tail":  testDict[len(testDict)-9:],
		"zeros":      make([]byte, 5000),
		"random":     random(3000),
		"paragraphs": []byte(strings.Repeat(para, 40)),
		// Over 64 KB: copies from the dictionary stop at 65,535 bytes in,
		// copies reach back more than 65,535 bytes (4-byte offsets), and
		// the tables share entries.
		"long": append(append(random(70000), testDict...), random(70000)[:1000]...),
		"long repeat": func() []byte {
			r := random(66000)
			return append(append(r, []byte(para)...), r[:5000]...)
		}(),
	} {
		enc := roundTrip(t, d, sd, src)
		if max := s2.MaxEncodedLen(len(src)); len(enc) > max {
			t.Errorf("%s: %d bytes encoded to %d, more than s2.MaxEncodedLen %d", name, len(src), len(enc), max)
		}
	}
}

// TestCompresses: the dictionary and repeats are used, so a paper-like
// block is far smaller than its input, and near what s2's own "better"
// level makes of it.
func TestCompresses(t *testing.T) {
	t.Parallel()
	d, sd := NewDict(testDict), s2.MakeDictManual(testDict, 0)
	src := []byte(strings.Repeat(`{"kind":"paragraph","inlines":[{"kind":"text","text":"확산 모델 방법 성능 `, 3) + `sparse attention"}]}`)
	enc := roundTrip(t, d, sd, src)
	better := sd.EncodeBetter(nil, src)
	if len(enc) > len(better)*11/10 || len(enc) > len(src)/3 {
		t.Errorf("%d bytes encoded to %d; s2's better level makes %d", len(src), len(enc), len(better))
	}
	// With no dictionary to copy from, the first occurrence is literal.
	if none := NewDict(nil).Encode(nil, src[:60]); len(none) < 40 {
		t.Errorf("60 bytes encoded to %d without a dictionary", len(none))
	}
}

// TestConcurrent: several goroutines share a Dict (its tables are made
// once, its scratch space is per call).
func TestConcurrent(t *testing.T) {
	t.Parallel()
	d, sd := NewDict(testDict), s2.MakeDictManual(testDict, 0)
	done := make(chan struct{})
	for g := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 200 {
				src := []byte(strings.Repeat("확산 모델 ", g+i%7) + string(testDict[:i%len(testDict)]))
				got, err := sd.Decode(nil, d.Encode(nil, src))
				if err != nil || !bytes.Equal(got, src) {
					t.Errorf("goroutine %d, block %d: %v", g, i, err)
					return
				}
			}
		}()
	}
	for range 4 {
		<-done
	}
}

// FuzzEncode: whatever the input and dictionary, s2's decoder reads the
// block back to the input.
func FuzzEncode(f *testing.F) {
	f.Add([]byte("hello hello hello hello"), testDict)
	f.Add([]byte(`{"kind":"text","text":"확산"}`), testDict)
	f.Add(bytes.Repeat([]byte{0}, 100), bytes.Repeat([]byte{0}, 16))
	f.Fuzz(func(t *testing.T, src, dict []byte) {
		sd := s2.MakeDictManual(dict, 0)
		if sd == nil {
			return // not a dictionary s2 accepts
		}
		roundTrip(t, NewDict(dict), sd, src)
	})
}
