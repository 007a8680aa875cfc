// Package golden compares test output with golden files, and rewrites them
// when the test runs with -update. It is for tests only.
package golden

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite golden files instead of comparing with them")

// Updating reports whether this run rewrites golden files (-update).
func Updating() bool { return *update }

// Check compares got with the golden file at path and reports the first
// difference; with -update it writes got there instead (and its folder).
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs; run the test with -update if the change is meant. %s", path, Diff(got, want))
	}
}

// Diff names the first line where got and want differ and shows both from
// a little before the first byte that differs: golden files may be one long
// line of JSON.
func Diff(got, want []byte) string {
	g, w := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl []byte
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if bytes.Equal(gl, wl) {
			continue
		}
		c := 0
		for c < len(gl) && c < len(wl) && gl[c] == wl[c] {
			c++
		}
		from := max(0, c-40)
		return fmt.Sprintf("Line %d, column %d:\n got: %s\nwant: %s", i+1, c+1, excerpt(gl, from), excerpt(wl, from))
	}
	return "The only difference is the final newline."
}

// excerpt is up to 120 bytes of line from byte from, both ends moved back
// to the start of a character.
func excerpt(line []byte, from int) string {
	from = runeStart(line, min(from, len(line)))
	out := string(line[from:])
	if len(line)-from > 120 {
		out = string(line[from:runeStart(line, from+120)]) + "…"
	}
	if from > 0 {
		out = "…" + out
	}
	return out
}

func runeStart(b []byte, i int) int {
	for i > 0 && i < len(b) && !utf8.RuneStart(b[i]) {
		i--
	}
	return i
}
