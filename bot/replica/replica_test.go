package replica

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestIdentityUniqueAndStable(t *testing.T) {
	dir := t.TempDir()
	a, err := Acquire(dir, "run")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Acquire(dir, "run")
	if err != nil {
		t.Fatal(err)
	}
	if a.ID == b.ID || a.Slot == b.Slot {
		t.Fatalf("two live identities alike: %+v %+v", a, b)
	}
	s, err := Acquire(dir, "send")
	if err != nil {
		t.Fatal(err)
	}
	if s.ID == a.ID || s.ID == b.ID {
		t.Errorf("send identity %q repeats a run identity", s.ID)
	}
	// a "restarts": it gets its slot and id back, b keeps its own.
	idA := a.ID
	if err := a.Release(); err != nil {
		t.Fatal(err)
	}
	a2, err := Acquire(dir, "run")
	if err != nil {
		t.Fatal(err)
	}
	if a2.ID != idA || a2.Slot != 0 {
		t.Errorf("after restart: %+v, want id %s in slot 0", a2, idA)
	}
	for _, i := range []*Identity{a2, b, s} {
		i.Release()
	}
}

// TestLockDiesWithProcess: a process killed while holding a slot leaves it
// free for its restart.
func TestLockDiesWithProcess(t *testing.T) {
	if os.Getenv("REPLICA_HOLD_DIR") != "" {
		id, err := Acquire(os.Getenv("REPLICA_HOLD_DIR"), "run")
		if err != nil {
			os.Exit(2)
		}
		os.Stdout.WriteString(id.ID + "\n")
		select {} // hold until killed
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockDiesWithProcess$")
	cmd.Env = append(os.Environ(), "REPLICA_HOLD_DIR="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 128)
	n, _ := out.Read(buf)
	held := strings.TrimSpace(string(buf[:n]))
	mine, err := Acquire(dir, "run")
	if err != nil {
		t.Fatal(err)
	}
	if mine.ID == held || mine.Slot != 1 {
		t.Fatalf("took %+v while the child holds %q", mine, held)
	}
	mine.Release()
	cmd.Process.Kill()
	cmd.Wait()
	again, err := Acquire(dir, "run")
	if err != nil {
		t.Fatal(err)
	}
	defer again.Release()
	if again.ID != held || again.Slot != 0 {
		t.Errorf("after SIGKILL: %+v, want the child's id %q back", again, held)
	}
}
