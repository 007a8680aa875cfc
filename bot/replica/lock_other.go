//go:build !unix

package replica

import "os"

// tryLock without flock: a "NAME.pid" file made exclusively. It is not
// released by a crash, so on these systems a killed replica takes the next
// slot (a new identity) until the stale file is removed.
func tryLock(f *os.File) (bool, error) {
	p, err := os.OpenFile(f.Name()+".pid", os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if os.IsExist(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, p.Close()
}
