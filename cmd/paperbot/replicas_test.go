package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paperbot/paperbot/bot/slack/slackfake"
)

// envReplica makes the test binary a `paperbot run` process (the helper
// of TestReplicasShareOnePostgres).
const envReplica = "PAPERBOT_TEST_REPLICA_CONFIG"

func TestHelperReplicaProcess(t *testing.T) {
	cfg := os.Getenv(envReplica)
	if cfg == "" {
		t.Skip("helper process of TestReplicasShareOnePostgres")
	}
	os.Exit(run([]string{"run", "--config", cfg}, strings.NewReader(""), os.Stdout, os.Stderr))
}

// pgSchema makes a schema of its own on the test server (dropped at the
// end) and returns a DSN selecting it; it skips without a server.
func pgSchema(t *testing.T) string {
	server := os.Getenv("PAPERBOT_TEST_POSTGRES")
	if server == "" {
		t.Skip("PAPERBOT_TEST_POSTGRES is not set (a PostgreSQL DSN, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable): skipping the multi-process PostgreSQL test")
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "pb_replicas_" + hex.EncodeToString(b)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		t.Fatalf("connect to the test server: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, server)
		if err != nil {
			t.Errorf("drop %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop %s: %v", schema, err)
		}
	})
	u, err := url.Parse(server)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// replicaProc is one `paperbot run` process.
type replicaProc struct {
	cmd  *exec.Cmd
	addr string
	log  string
}

func (r *replicaProc) ready() (ok, sender bool) {
	resp, err := http.Get("http://" + r.addr + "/readyz")
	if err != nil {
		return false, false
	}
	defer resp.Body.Close()
	var body struct {
		Ready  bool  `json:"ready"`
		Sender *bool `json:"sender"`
	}
	if json.NewDecoder(resp.Body).Decode(&body) != nil || body.Sender == nil {
		return false, false
	}
	return body.Ready, *body.Sender
}

// TestReplicasShareOnePostgres runs two `paperbot run` processes on one
// host, with one data_dir, one PostgreSQL database and one fake Slack:
// every post goes out exactly once; when the sender is killed (SIGKILL)
// the other replica sends the next post within 15 seconds.
func TestReplicasShareOnePostgres(t *testing.T) {
	dsn := pgSchema(t)
	if testing.Short() {
		t.Skip("takes ~20 s")
	}
	dir := t.TempDir()
	posts := filepath.Join(dir, "_posts")
	if err := os.Mkdir(posts, 0o755); err != nil {
		t.Fatal(err)
	}
	fake := slackfake.New("xoxb-test")
	defer fake.Close()
	writePost := func(daysAgo, n int) string {
		day := time.Now().UTC().AddDate(0, 0, -daysAgo).Format(time.DateOnly)
		name := day + "-daily.md"
		if err := os.WriteFile(filepath.Join(posts, name), []byte(fmt.Sprintf(newPost, day, n)), 0o644); err != nil {
			t.Fatal(err)
		}
		return name
	}
	names := []string{writePost(4, 1), writePost(3, 2), writePost(2, 3)}

	start := func(i int) *replicaProc {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		cfgPath := filepath.Join(dir, fmt.Sprintf("paperbot-%d.yaml", i))
		cfg := fmt.Sprintf(`posts: {dir: %q}
schedule: "@every 1s"
timezone: UTC
catch_up: 876000h
store: %q
data_dir: %q
http: {listen: %q}
log: {level: debug, format: text}
slack:
  bot_token: xoxb-test
  signing_secret: test-signing-secret
  api_url: %q
  targets: [{name: team, channel: C0TEAM}]
`, posts, dsn, filepath.Join(dir, "data"), addr, fake.APIURL())
		if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		logPath := filepath.Join(dir, fmt.Sprintf("replica-%d.log", i))
		logf, err := os.Create(logPath)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperReplicaProcess$")
		cmd.Env = append(os.Environ(), envReplica+"="+cfgPath)
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		logf.Close()
		r := &replicaProc{cmd: cmd, addr: addr, log: logPath}
		t.Cleanup(func() {
			r.cmd.Process.Kill()
			r.cmd.Wait()
			if t.Failed() {
				b, _ := os.ReadFile(logPath)
				t.Logf("replica %d log:\n%s", i, lastLines(string(b), 40))
			}
		})
		return r
	}
	reps := []*replicaProc{start(0), start(1)}

	// Both become ready; exactly one says it is the sender.
	var sender, other *replicaProc
	waitFor(t, "both replicas ready, one sender", 30*time.Second, func() bool {
		sender, other = nil, nil
		for _, r := range reps {
			ok, s := r.ready()
			if !ok {
				return false
			}
			if s {
				if sender != nil {
					t.Fatalf("two replicas say they are the sender")
				}
				sender = r
			} else {
				other = r
			}
		}
		return sender != nil && other != nil
	})
	waitFor(t, "the first three posts", 30*time.Second, func() bool { return len(slackOrder(fake, "C0TEAM")) >= 3 })
	time.Sleep(2 * time.Second) // time for a duplicate to show up, if any
	if got, want := slackOrder(fake, "C0TEAM"), keysOf("team", names); !slices.Equal(got, want) {
		t.Fatalf("before the kill: %v, want %v (each once, in date order)", got, want)
	}

	// SIGKILL the sender; the next post comes while nobody holds a live
	// lease.
	if err := sender.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	sender.cmd.Wait()
	names = append(names, writePost(1, 4))
	waitFor(t, "the other replica to send the next post", 30*time.Second, func() bool { return len(slackOrder(fake, "C0TEAM")) >= 4 })
	failover := time.Since(killed)
	t.Logf("failover: the surviving replica sent the next post %v after the sender was killed", failover.Round(10*time.Millisecond))
	if failover > 15*time.Second {
		t.Errorf("failover took %v, want within 15 s", failover)
	}
	if _, s := other.ready(); !s {
		t.Error("the surviving replica does not say it is the sender")
	}
	time.Sleep(2 * time.Second)
	if got, want := slackOrder(fake, "C0TEAM"), keysOf("team", names); !slices.Equal(got, want) {
		t.Errorf("after failover: %v, want %v (each once, in date order)", got, want)
	}
	for k, n := range deliveries(fake, "C0TEAM") {
		if n != 1 {
			t.Errorf("message %s sent %d times", k, n)
		}
	}
	if err := other.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- other.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("the surviving replica did not stop cleanly: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Error("the surviving replica did not stop within 15 s of SIGTERM")
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
