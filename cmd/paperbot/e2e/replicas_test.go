package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/slack/slackfake"
	"github.com/paperbot/paperbot/bot/store"
	"github.com/paperbot/paperbot/bot/store/postgres/postgrestest"
	"github.com/paperbot/paperbot/cmd/paperbot/internal/chattest"
)

// ready reads the replica's /readyz.
func ready(p *proc) (ok, sender bool) {
	resp, err := http.Get("http://" + p.addr + "/readyz")
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
// the other replica sends the next post within the lease, one standby
// poll (a fifth of the lease) and 3 s. The processes run on a 2 s lease
// (--timing lease_ttl=2s) instead of the production 10 s, which cost
// every test run a 12 s wait, and send without Slack's 1 s pace, which
// spread the first three posts over three ticks; bot's
// TestDefaultFailoverBound holds the production lease and poll to the
// same sum within DESIGN's 15 s.
func TestReplicasShareOnePostgres(t *testing.T) {
	t.Parallel()
	dsn := postgrestest.Schema(t)
	if testing.Short() {
		t.Skip("takes ~5 s")
	}
	dir, posts := chattest.PostsFolder(t, "_posts")
	fake := slackfake.New("xoxb-test")
	defer fake.Close()
	writePost := func(daysAgo, n int) string {
		day := time.Now().UTC().AddDate(0, 0, -daysAgo).Format(time.DateOnly)
		name := day + "-daily.md"
		writeFile(t, filepath.Join(posts, name), fmt.Sprintf(chattest.NewPost, day, n))
		return name
	}
	names := []string{writePost(4, 1), writePost(3, 2), writePost(2, 3)}

	cfgFile := writeFile(t, filepath.Join(dir, "paperbot.yaml"), fmt.Sprintf(`posts: {dir: %q}
schedule: "@every 1s"
timezone: UTC
catch_up: 876000h
store: %q
data_dir: %q
http: {listen: "127.0.0.1:0"}
log: {level: debug, format: json}
slack:
  bot_token: xoxb-test
  signing_secret: test-signing-secret
  api_url: %q
  targets: [{name: team, channel: C0TEAM}]
`, posts, dsn, filepath.Join(dir, "data"), fake.APIURL()))
	const lease = 2 * time.Second
	timing := "slack_pace=1ms,lease_ttl=" + lease.String()
	reps := []*proc{startRun(t, "replica 0", cfgFile, "--timing", timing), startRun(t, "replica 1", cfgFile, "--timing", timing)}

	// Both become ready; exactly one says it is the sender.
	var sender, other *proc
	chattest.WaitFor(t, "both replicas ready, one sender", 30*time.Second, func() bool {
		sender, other = nil, nil
		for _, r := range reps {
			ok, s := ready(r)
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
	chattest.WaitFor(t, "the first three posts", 30*time.Second, func() bool { return len(chattest.SlackOrder(fake, "C0TEAM")) >= 3 })
	// The sender has recorded the three as sent before it is killed, so
	// the kill finds nothing in flight. No wait here for a duplicate to
	// show up: one sent later, by either replica, is still there at the
	// end, where every message must have been sent once, after the
	// survivor has waited for the lease and 2 s more.
	st, err := store.Open(context.Background(), dsn, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	chattest.WaitFor(t, "the first three posts recorded as sent", 30*time.Second, func() bool {
		ds, err := st.Deliveries(context.Background(), "")
		if err != nil {
			return false
		}
		sent := 0
		for _, d := range ds {
			if d.State == bot.DeliverySent {
				sent++
			}
		}
		return sent == 3
	})
	if got, want := chattest.SlackOrder(fake, "C0TEAM"), chattest.KeysOf("team", names); !slices.Equal(got, want) {
		t.Fatalf("before the kill: %v, want %v (each once, in date order)", got, want)
	}

	// SIGKILL the sender; the next post comes while nobody holds a live
	// lease.
	killed := sender.kill(t)
	names = append(names, writePost(1, 4))
	chattest.WaitFor(t, "the other replica to send the next post", 30*time.Second, func() bool { return len(chattest.SlackOrder(fake, "C0TEAM")) >= 4 })
	failover := time.Since(killed)
	t.Logf("failover: the surviving replica sent the next post %v after the sender was killed", failover.Round(10*time.Millisecond))
	if bound := lease + lease/5 + 3*time.Second; failover > bound {
		t.Errorf("failover took %v, want within %v (the lease, one standby poll and 3 s)", failover, bound)
	}
	if _, s := ready(other); !s {
		t.Error("the surviving replica does not say it is the sender")
	}
	time.Sleep(2 * time.Second)
	if got, want := chattest.SlackOrder(fake, "C0TEAM"), chattest.KeysOf("team", names); !slices.Equal(got, want) {
		t.Errorf("after failover: %v, want %v (each once, in date order)", got, want)
	}
	for k, n := range chattest.Deliveries(fake, "C0TEAM") {
		if n != 1 {
			t.Errorf("message %s sent %d times", k, n)
		}
	}
	other.stop(t)
}
