package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/paperbot/paperbot/internal/testbuild"
)

// buildDir holds the binary TestMain's tests build; removed at the end.
var buildDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "paperbot-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buildDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var (
	buildOnce sync.Once
	built     string
	buildErr  error
)

// binary builds ./cmd/paperbot once per test run, with -race when this
// test binary has it, and returns its path. It is built where it is kept
// between runs (testbuild.Kept: the link is skipped when the binary is up
// to date) and run from a hard link in buildDir.
func binary(t *testing.T) string {
	t.Helper()
	out, err := build()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// build is binary without a test, for a test to start the build early.
func build() (string, error) {
	buildOnce.Do(func() {
		goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, err := os.Stat(goTool); err != nil {
			goTool = "go"
		}
		name := "paperbot"
		if raceEnabled {
			name = "paperbot-race"
		}
		kept, err := testbuild.Kept(name)
		if err != nil {
			buildErr = err
			return
		}
		// No DWARF: the link is a fifth faster, stack traces stay whole.
		args := []string{"build", "-ldflags=-w", "-o", kept}
		if raceEnabled {
			args = append(args, "-race")
		}
		cmd := exec.Command(goTool, append(args, "github.com/paperbot/paperbot/cmd/paperbot")...)
		if msg, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go %s: %w\n%s", strings.Join(cmd.Args[1:], " "), err, msg)
			return
		}
		out := filepath.Join(buildDir, "paperbot")
		if err := testbuild.Place(out, kept); err != nil {
			buildErr = fmt.Errorf("place the built binary: %w", err)
			return
		}
		built = out
	})
	return built, buildErr
}

// proc is one paperbot process. Its stdout and stderr (JSON log lines:
// the configs here set log.format json) are kept and shown when the test
// fails, or streamed to stderr under -v.
type proc struct {
	name   string
	cmd    *exec.Cmd
	addr   string        // the HTTP address from its "http listening" line
	exited chan struct{} // closed once it has exited; err is then its Wait error
	err    error

	mu  sync.Mutex
	out bytes.Buffer
}

// startRun starts `paperbot run --config cfgFile extra...` in cfgFile's
// folder and returns once it listens. The test's end kills it.
func startRun(t *testing.T, name, cfgFile string, extra ...string) *proc {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary(t), append([]string{"run", "--config", cfgFile}, extra...)...)
	cmd.Dir = filepath.Dir(cfgFile)
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		t.Fatal(err)
	}
	w.Close()
	p := &proc{name: name, cmd: cmd, exited: make(chan struct{})}
	listening := make(chan string, 1)
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		defer r.Close()
		sc := bufio.NewScanner(r)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			p.mu.Lock()
			p.out.Write(line)
			p.out.WriteByte('\n')
			p.mu.Unlock()
			if testing.Verbose() {
				fmt.Fprintf(os.Stderr, "[%s] %s\n", name, line)
			}
			var rec struct{ Msg, Addr string }
			if json.Unmarshal(line, &rec) == nil && rec.Msg == "http listening" && rec.Addr != "" {
				select {
				case listening <- rec.Addr:
				default:
				}
			}
		}
	}()
	go func() {
		err := cmd.Wait()
		<-copied
		p.err = err
		close(p.exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("%s output (last lines):\n%s", name, p.tail(60))
		}
	})
	select {
	case p.addr = <-listening:
	case <-p.exited:
		t.Fatalf("%s exited before listening: %v\n%s", name, p.err, p.tail(40))
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not report its HTTP address within 60 s", name)
	}
	return p
}

// tail is the last n lines of the process's output.
func (p *proc) tail(n int) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	lines := strings.Split(strings.TrimRight(p.out.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// kill ends the process at once (SIGKILL) and waits for it; it returns
// when the signal was sent.
func (p *proc) kill(t *testing.T) time.Time {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	<-p.exited
	return at
}

// stop sends SIGTERM and checks that the process stops cleanly (exit 0:
// Run and Close returned no error, and under -race no race was reported)
// within 15 s.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
		if p.err != nil {
			t.Errorf("%s did not stop cleanly: %v", p.name, p.err)
		}
	case <-time.After(15 * time.Second):
		t.Errorf("%s did not stop within 15 s of SIGTERM", p.name)
	}
}

// writeFile writes a file for a test and returns its path.
func writeFile(t *testing.T, path, body string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
