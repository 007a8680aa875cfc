// Package testbuild is for tests that build the paperbot binary and run it
// as a process (cmd/paperbot/e2e, deploy): the binary is built where it is
// kept between runs, so the go command skips the link when it is up to
// date, and each run gets a copy of its own. The program never imports it.
package testbuild

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Kept is the path to give `go build -o` for the binary called name, in a
// folder kept between runs: when nothing the binary is built from changed
// (sources, flags, environment), the go command finds it up to date and
// skips the link, as `go install` does. A race link costs 3-4 s of CPU,
// and seconds of wall time, on each run of the suite.
//
// The folder is one per test package folder (the binaries of two checkouts
// differ: their paths are compiled in, without -trimpath) and name (a test
// keeps one name per set of flags). It is in os.TempDir, where the go
// command links, so the new binary is renamed into place at once: a
// concurrent build never leaves a half-written file there. Run a copy
// (Place), which a later build cannot change under the test.
func Kept(name string) (string, error) {
	here, err := filepath.Abs(".")
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(here))
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("paperbot-testbuild-%x", sum[:6]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("the kept build folder: %w", err)
	}
	return filepath.Join(dir, name), nil
}

// Place puts the binary kept (built at a Kept path) at out, creating out's
// folder: a hard link, else a copy.
func Place(out, kept string) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	if os.Link(kept, out) == nil {
		return nil
	}
	src, err := os.Open(kept)
	if err != nil {
		return err
	}
	defer src.Close()
	fi, err := src.Stat()
	if err != nil {
		return err
	}
	dst, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fi.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return fmt.Errorf("copy %s: %w", kept, err)
	}
	return dst.Close()
}
