//go:build linux

// Package deploy holds the deployment files (compose, Kubernetes, systemd,
// the Slack app manifest) and, in this test, a check of the Dockerfile that
// needs no container engine.
package deploy

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/paperbot/paperbot/internal/testbuild"
)

// dockerfile is what the image test reads from the Dockerfile, so it builds
// and runs what the image would hold rather than a copy of it.
type dockerfile struct {
	buildEnv  []string // CGO_ENABLED=0
	buildArgs []string // the arguments after "go build", -o and package included
	passwd    string   // the line written to /etc/passwd
	group     string   // the line written to /etc/group
	uid, gid  int      // USER
	env       []string // ENV
	workdir   string   // WORKDIR
}

func readDockerfile(t *testing.T, path, version string) dockerfile {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(raw), "\\\n", " ")
	var df dockerfile
	for _, line := range strings.Split(text, "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		switch fields[0] {
		case "RUN":
			before, after, ok := strings.Cut(line, "go build ")
			if !ok {
				continue
			}
			for _, f := range strings.Fields(strings.TrimPrefix(strings.TrimSpace(before), "RUN")) {
				if strings.Contains(f, "=") {
					df.buildEnv = append(df.buildEnv, f)
				}
			}
			cmd, _, _ := strings.Cut(after, "&&")
			df.buildArgs = shellWords(t, strings.ReplaceAll(cmd, "${VERSION}", version))
			for _, m := range regexp.MustCompile(`echo '([^']*)' > /out/etc/(passwd|group)`).FindAllStringSubmatch(line, -1) {
				if m[2] == "passwd" {
					df.passwd = m[1]
				} else {
					df.group = m[1]
				}
			}
		case "USER":
			u, g, _ := strings.Cut(fields[1], ":")
			if df.uid, err = strconv.Atoi(u); err != nil {
				t.Fatalf("Dockerfile USER %q is not numeric", fields[1])
			}
			if df.gid, err = strconv.Atoi(g); err != nil {
				df.gid = df.uid
			}
		case "ENV":
			df.env = append(df.env, fields[1:]...)
		case "WORKDIR":
			df.workdir = fields[1]
		}
	}
	if len(df.buildArgs) == 0 || df.passwd == "" || df.uid == 0 || df.workdir == "" {
		t.Fatalf("Dockerfile: could not find the go build line, the passwd entry, a non-root USER and WORKDIR: %+v", df)
	}
	return df
}

// shellWords splits a command line on spaces, keeping "quoted" words whole.
func shellWords(t *testing.T, s string) []string {
	var words []string
	var cur strings.Builder
	quoted, inWord := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted, inWord = !quoted, true
		case (r == ' ' || r == '\t') && !quoted:
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quoted {
		t.Fatalf("unbalanced quotes in %q", s)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// TestImageRoot builds paperbot with the Dockerfile's exact build command
// and runs it the way the final image does: in an otherwise empty root
// (the binary, CA certificates, the passwd and group entries), as the
// image's non-root user, from its WORKDIR with its ENV. `paperbot version`
// must answer, and `paperbot run` must index and print the example posts,
// keep its SQLite database in the data folder it may write, and stop
// cleanly on SIGTERM. No container engine is needed: chroot and a switch
// of user do what the image's layers and USER do.
func TestImageRoot(t *testing.T) {
	if testing.Short() {
		t.Skip("image test: skipped in -short mode (it builds the binary)")
	}
	if os.Geteuid() != 0 {
		t.Skip("image test: needs root to chroot and switch to the image's user; run the tests as root (CI does) to include it")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("image test: no go command to build the binary with")
	}
	const version = "image-test-1"
	repo, err := filepath.Abs(filepath.Join(".."))
	if err != nil {
		t.Fatal(err)
	}
	df := readDockerfile(t, filepath.Join(repo, "Dockerfile"), version)

	root := t.TempDir()
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(root, "usr", "local", "bin", "paperbot")
	// Built where it is kept between runs (the link is skipped when it is
	// up to date), then linked into the root.
	kept, err := testbuild.Kept("paperbot-image")
	if err != nil {
		t.Fatal(err)
	}
	args := slicesReplaceOutput(t, df.buildArgs, kept)
	build := exec.Command(goBin, append([]string{"build"}, args...)...)
	build.Dir = repo
	build.Env = append(os.Environ(), df.buildEnv...)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	if err := testbuild.Place(bin, kept); err != nil {
		t.Fatal(err)
	}

	// The rest of the image: CA certificates, passwd and group, the data
	// folder owned by the user, and a config with the example posts.
	mustWrite := func(rel string, data []byte, mode os.FileMode) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, mode); err != nil {
			t.Fatal(err)
		}
	}
	certs, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt")
	if err != nil {
		certs = []byte{} // the run below makes no TLS call; the file's place is what matters
	}
	mustWrite("etc/ssl/certs/ca-certificates.crt", certs, 0o644)
	mustWrite("etc/passwd", []byte(df.passwd+"\n"), 0o644)
	mustWrite("etc/group", []byte(df.group+"\n"), 0o644)
	data := filepath.Join(root, df.workdir)
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(data, df.uid, df.gid); err != nil {
		t.Fatal(err)
	}
	examples := filepath.Join(repo, "examples", "posts")
	entries, err := os.ReadDir(examples)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(examples, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		mustWrite(filepath.Join("etc/paperbot/_posts", e.Name()), b, 0o644)
	}
	mustWrite("etc/paperbot/paperbot.yaml", []byte(`posts: {dir: _posts}
catch_up: 87600h
console: true
schedule: "0 0 1 1 *"
http: {listen: "127.0.0.1:0"}
`), 0o644)

	inImage := func(args ...string) *exec.Cmd {
		cmd := exec.Command("/usr/local/bin/paperbot", args...)
		cmd.Env = df.env
		cmd.Dir = df.workdir // entered after the chroot
		cmd.SysProcAttr = &syscall.SysProcAttr{
			Chroot:     root,
			Credential: &syscall.Credential{Uid: uint32(df.uid), Gid: uint32(df.gid)},
		}
		return cmd
	}

	out, err := inImage("version").CombinedOutput()
	if errors.Is(err, syscall.EPERM) {
		t.Skipf("image test: chroot refused here (%v)", err)
	}
	if err != nil || !strings.Contains(string(out), version) {
		t.Fatalf("paperbot version in the image root: %v\n%s", err, out)
	}

	run := inImage("run", "--config", "/etc/paperbot/paperbot.yaml")
	stdout, err := run.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	run.Stderr = &stderr
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	printed := make(chan struct{})
	var seen bytes.Buffer
	var seenMu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		once := sync.Once{}
		for sc.Scan() {
			seenMu.Lock()
			seen.WriteString(sc.Text() + "\n")
			n := strings.Count(seen.String(), "── console")
			seenMu.Unlock()
			if n >= 3 {
				once.Do(func() { close(printed) })
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case <-printed:
	case <-time.After(60 * time.Second):
		_ = run.Process.Kill()
		_ = run.Wait()
		seenMu.Lock()
		defer seenMu.Unlock()
		t.Fatalf("paperbot run printed no three digests in 60 s\nstdout: %.2000s\nstderr: %.2000s", seen.String(), stderr.String())
	}
	if err := run.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- run.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("paperbot run after SIGTERM: %v\nstderr: %.2000s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		_ = run.Process.Kill()
		t.Fatal("paperbot run did not stop within 30 s of SIGTERM")
	}
	db, err := os.Stat(filepath.Join(data, "paperbot.db"))
	if err != nil {
		t.Fatalf("no SQLite database in the data folder: %v\nstderr: %.2000s", err, stderr.String())
	}
	if st, ok := db.Sys().(*syscall.Stat_t); !ok || int(st.Uid) != df.uid {
		t.Errorf("the database is not owned by the image's user %d", df.uid)
	}
}

// slicesReplaceOutput returns args with the value of -o set to out.
func slicesReplaceOutput(t *testing.T, args []string, out string) []string {
	args = append([]string(nil), args...)
	for i, a := range args {
		if a == "-o" && i+1 < len(args) {
			args[i+1] = out
			return args
		}
	}
	t.Fatalf("the Dockerfile's go build has no -o: %q", args)
	return nil
}
