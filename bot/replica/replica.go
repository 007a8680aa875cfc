// Package replica gives a running paperbot its identity for the sender
// lease: unique per running process (two processes on one host, even with
// the same data folder, differ) and stable across restarts of the same
// replica (a replica killed while it held the lease gets it back at once
// on restart instead of waiting for the lease to expire).
//
// The identity lives in the data folder, in slot files "ROLE-N.id". A
// process takes the first slot whose file it can lock (flock, exclusive,
// non-blocking) and keeps the lock while it runs; the kernel drops the
// lock when the process ends, however it ends (SIGKILL included), so a
// restarted replica finds its slot free again and reads the same id. The
// id is the host name and random hex, made once when the slot is first used.
package replica

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// MaxSlots bounds how many processes of one role share a data folder.
const MaxSlots = 64

// Identity is a held replica identity. Release it when the process stops
// (it is released anyway when the process dies).
type Identity struct {
	// ID is the lease holder name: "HOST-RANDOMHEX".
	ID string
	// Slot is the slot number taken in the folder.
	Slot int
	f    *os.File
}

// Acquire takes the first free slot of role ("run", "send") in dir (made
// if missing) and returns its identity.
func Acquire(dir, role string) (*Identity, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("replica identity: %w", err)
	}
	for slot := range MaxSlots {
		name := filepath.Join(dir, role+"-"+strconv.Itoa(slot)+".id")
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o640)
		if err != nil {
			return nil, fmt.Errorf("replica identity: %w", err)
		}
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("replica identity: lock %s: %w", name, err)
		}
		if !ok {
			f.Close()
			continue
		}
		id, err := readOrMake(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("replica identity: %s: %w", name, err)
		}
		return &Identity{ID: id, Slot: slot, f: f}, nil
	}
	return nil, fmt.Errorf("replica identity: all %d %s slots in %s are taken by running processes", MaxSlots, role, dir)
}

// Release gives the slot back.
func (i *Identity) Release() error {
	if i == nil || i.f == nil {
		return nil
	}
	err := i.f.Close() // closing the file drops the lock
	i.f = nil
	return err
}

// readOrMake returns the id stored in f, writing a new one if it has none.
func readOrMake(f *os.File) (string, error) {
	b, err := io.ReadAll(io.LimitReader(f, 256))
	if err != nil {
		return "", err
	}
	if id := strings.TrimSpace(string(b)); id != "" {
		return id, nil
	}
	id, err := newID()
	if err != nil {
		return "", err
	}
	if _, err := f.WriteAt([]byte(id+"\n"), 0); err != nil {
		return "", err
	}
	return id, f.Sync()
}

func newID() (string, error) {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "paperbot"
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", errors.New("no randomness for a replica id")
	}
	return host + "-" + hex.EncodeToString(b[:]), nil
}
