package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/discord/discordfake"
	"github.com/paperbot/paperbot/bot/slack/slackfake"
	"github.com/paperbot/paperbot/bot/store"
	"github.com/paperbot/paperbot/cmd/paperbot/internal/chattest"
	"github.com/paperbot/paperbot/config"
)

// front stands between the bot and a fake chat server on a fixed address,
// and breaks the way chats break: "refuse" closes the listener (connections
// are refused: nothing leaves the machine), "500" answers 500 to every
// request, "up" passes everything through.
type front struct {
	t       *testing.T
	addr    string
	backend *url.URL
	mu      sync.Mutex
	srv     *http.Server
	mode    string
}

func newFront(t *testing.T, backend string) *front {
	u, err := url.Parse(backend)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &front{t: t, addr: ln.Addr().String(), backend: u}
	ln.Close()
	t.Cleanup(func() { f.set("refuse") })
	return f
}

func (f *front) URL() string { return "http://" + f.addr }

func (f *front) set(mode string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mode = mode
	if mode == "refuse" {
		if f.srv != nil {
			f.srv.Close()
			f.srv = nil
		}
		return
	}
	if f.srv != nil {
		return
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		f.t.Fatalf("front: listen again on %s: %v", f.addr, err)
	}
	proxy := httputil.NewSingleHostReverseProxy(f.backend)
	f.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		mode := f.mode
		f.mu.Unlock()
		if mode == "500" {
			http.Error(w, `{"ok":false,"error":"internal_error"}`, http.StatusInternalServerError)
			return
		}
		proxy.ServeHTTP(w, r)
	})}
	go f.srv.Serve(ln)
}

// TestDeadTargetDelaysNoOther: two targets, one broken (refusing
// connections, or answering 500 to everything). The healthy one receives
// every post at once, in date order; the broken one, once it recovers,
// receives every post exactly once, in date order.
func TestDeadTargetDelaysNoOther(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		broken string // "slack" or "discord"
		mode   string
	}{
		{"slack refuses connections", "slack", "refuse"},
		{"discord answers 500", "discord", "500"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir, posts := chattest.PostsFolder(t, "_posts")
			sfake, dfake := chattest.Chats(t)
			slackURL, discordURL := sfake.APIURL(), dfake.URL
			var fr *front
			if tc.broken == "slack" {
				fr = newFront(t, sfake.URL)
				slackURL = fr.URL() + "/api/"
			} else {
				fr = newFront(t, dfake.URL)
				discordURL = fr.URL()
			}
			fr.set(tc.mode)

			cfg := chatConfig(dir, posts, slackURL, discordURL)
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			timing := fastTiming
			timing.Delivery = 300 * time.Millisecond // a call to a dead chat gives up soon
			if tc.mode == "refuse" {
				// Refused connections fail at once anyway; what the long
				// bound saves is a call to the recovered chat, slow under
				// -race on a busy machine, being cut after its request went
				// out: that outcome is unknown and rightly ends in a
				// history search, which this case asserts never happens.
				timing.Delivery = 2 * time.Second
			}
			timing.RedeliverMin, timing.RedeliverMax = 50*time.Millisecond, 200*time.Millisecond
			b := startBotWith(t, cfg, nil, timing, nil)
			chattest.WaitFor(t, "the first scan", 10*time.Second, b.m.Engine.Ready)

			healthyKeys := func() []string {
				if tc.broken == "slack" {
					return discordOrder(dfake, "111")
				}
				return chattest.SlackOrder(sfake, "C0TEAM")
			}
			brokenKeys := func() []string {
				if tc.broken == "slack" {
					return chattest.SlackOrder(sfake, "C0TEAM")
				}
				return discordOrder(dfake, "111")
			}
			healthy, broken := "lab", "team"
			if tc.broken == "discord" {
				healthy, broken = "team", "lab"
			}

			// Four posts arrive one by one, a tick each, oldest first.
			var names []string
			var worst time.Duration
			for i := 4; i >= 1; i-- {
				day := time.Now().AddDate(0, 0, -i).Format(time.DateOnly)
				name := day + "-daily.md"
				names = append(names, name)
				if err := os.WriteFile(filepath.Join(posts, name), []byte(fmt.Sprintf(chattest.NewPost, day, 10+i)), 0o644); err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				b.m.Engine.Trigger()
				chattest.WaitFor(t, "the healthy target to get "+name, 5*time.Second, func() bool { return len(healthyKeys()) == len(names) })
				worst = max(worst, time.Since(start))
			}
			t.Logf("healthy target %s: longest wait from tick to delivery while %s was down: %v", healthy, broken, worst)
			if got, want := healthyKeys(), chattest.KeysOf(healthy, names); !slices.Equal(got, want) {
				t.Fatalf("healthy target order %v, want %v", got, want)
			}
			if got := brokenKeys(); len(got) != 0 {
				t.Fatalf("the broken target received %v while down", got)
			}
			// The broken target holds its queue: the oldest retries, the
			// rest wait behind it.
			st := b.m.Store
			chattest.WaitFor(t, "the held queue", 5*time.Second, func() bool {
				r, err := st.Delivery(context.Background(), names[0], broken)
				if err != nil || r.State != bot.DeliveryRetrying {
					return false
				}
				for _, n := range names[1:] {
					if r, err := st.Delivery(context.Background(), n, broken); err != nil || r.State != bot.DeliveryQueued {
						return false
					}
				}
				return true
			})
			if h := b.m.Engine.Health(); h[0].Failures == 0 && h[1].Failures == 0 {
				t.Errorf("health says nothing failed: %+v", h)
			}

			// Recovery: every post once, in date order.
			recovered := time.Now()
			fr.set("up")
			chattest.WaitFor(t, "the recovered target to catch up", 20*time.Second, func() bool { return len(brokenKeys()) >= len(names) })
			t.Logf("recovered target %s caught up %d posts in %v", broken, len(names), time.Since(recovered))
			time.Sleep(300 * time.Millisecond) // would a duplicate follow?
			if got, want := brokenKeys(), chattest.KeysOf(broken, names); !slices.Equal(got, want) {
				t.Errorf("recovered target got %v, want %v (each once, in date order)", got, want)
			}
			if _, dup := discordPosts(dfake, "111"); dup != "" {
				t.Errorf("discord nonce %s twice", dup)
			}
			for k, n := range chattest.Deliveries(sfake, "C0TEAM") {
				if n != 1 {
					t.Errorf("slack message %s sent %d times", k, n)
				}
			}
			if tc.mode == "refuse" {
				// Nothing can have gone out through a refused connection:
				// the chat was never searched.
				if n := len(sfake.Calls("conversations.history")); n != 0 {
					t.Errorf("%d history searches after refused connections, want 0", n)
				}
			}
		})
	}
}

// discordOrder is the delivery keys of the messages, in the order they
// were created, each key once per first part.
func discordOrder(fake *discordfake.Server, channel string) []string {
	var out []string
	for _, m := range fake.Messages(channel) {
		if strings.HasSuffix(m.Nonce, "-0") {
			out = append(out, strings.TrimSuffix(m.Nonce, "-0"))
		}
	}
	return out
}

// TestPathologicalPostFailsAlone is the first report end to end: a
// post whose Method is a list nested 3,400 levels deep (7 KB), between two
// good ones. The parser flattens it, so it is stored and read back: the
// digest API answers for its day, check finds no problem, and it is sent
// like the good posts around it, in date order.
func TestPathologicalPostFailsAlone(t *testing.T) {
	t.Parallel()
	dir, posts := chattest.PostsFolder(t, "_posts")
	var names []string
	for i := 3; i >= 1; i-- {
		day := time.Now().AddDate(0, 0, -i).Format(time.DateOnly)
		body := fmt.Sprintf(chattest.NewPost, day, 20+i)
		if i == 2 {
			// "- - - ... deep": one line, a list in a list 3,400 times.
			deep := strings.Repeat("- ", 3400) + "deep"
			body = strings.Replace(body, "Write the file, trigger a tick, count the messages.", deep, 1)
		}
		name := day + "-daily.md"
		names = append(names, name)
		if err := os.WriteFile(filepath.Join(posts, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fake := slackfake.New("xoxb-test")
	defer fake.Close()
	cfg := chatConfig(dir, posts, fake.APIURL(), "")
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	b := startBot(t, cfg, nil)
	ctx := context.Background()
	var deep *bot.Delivery
	chattest.WaitFor(t, "every post done", 20*time.Second, func() bool {
		r, err := b.m.Store.Delivery(ctx, names[1], "team")
		if err != nil || (r.State != bot.DeliverySent && r.State != bot.DeliveryFailed) {
			return false
		}
		deep = r
		last, err := b.m.Store.Delivery(ctx, names[2], "team")
		return err == nil && last.State == bot.DeliverySent
	})
	// The flattened list has no empty item for Slack to refuse
	// (invalid_blocks): the deep post is sent like the others.
	if deep.State != bot.DeliverySent {
		t.Errorf("the deep post is %s (%s), want sent", deep.State, deep.LastError)
	}
	want := chattest.KeysOf("team", names)
	if got := chattest.SlackOrder(fake, "C0TEAM"); !slices.Equal(got, want) {
		t.Errorf("chat got %v, want %v", got, want)
	}
	resp, err := http.Get("http://" + b.m.Addr() + "/api/digests/" + strings.TrimSuffix(names[1], "-daily.md"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("digest API for the deep post's day: %d", resp.StatusCode)
	}
	if code, out, errOut := paperbot(t, "check", "--posts", posts); code != 0 {
		t.Errorf("check: exit %d\n%s%s", code, out, errOut)
	}
}

// TestGatewayOnlyOnTheSender: a replica that is not the sender keeps the
// Discord gateway closed (every open session would answer each command);
// it opens it when it becomes the sender.
func TestGatewayOnlyOnTheSender(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir, posts := chattest.PostsFolder(t, "_posts")
	dfake := discordfake.New("discord-test-token")
	defer dfake.Close()
	dfake.AddChannel("111")
	dbPath := filepath.Join(dir, "paperbot.db")
	other, err := store.Open(ctx, "sqlite://"+dbPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if ok, err := other.Lease(ctx, bot.SenderLease, "another-replica", time.Hour); err != nil || !ok {
		t.Fatalf("lease: %v %v", ok, err)
	}
	cfg := config.Default()
	cfg.Posts.Dir = posts
	cfg.Store = "sqlite://" + dbPath
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Schedule = "0 0 1 1 *"
	cfg.HTTP.Listen = "127.0.0.1:0"
	cfg.Discord.BotToken = "discord-test-token"
	cfg.Discord.APIURL = dfake.URL
	cfg.Discord.ApplicationID = "999"
	cfg.Discord.Targets = []config.DiscordTarget{{Name: "lab", Channel: "111"}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	timing := fastTiming
	timing.LeaseTTL = time.Second // the standby looks at the lease every 200 ms
	timing.GatewayPoll = 5 * time.Millisecond
	// Each time the gateway loop decides to keep the gateway closed.
	closed := make(chan struct{}, 1)
	b := startBotWith(t, cfg, nil, timing, func(m *Main) {
		m.gatewayPolled = func() {
			select {
			case closed <- struct{}{}:
			default:
			}
		}
	})
	chattest.WaitFor(t, "the first scan", 10*time.Second, b.m.Engine.Ready)
	// The loop looks at the role every few milliseconds: after several
	// looks that kept it closed, it has not been opened.
	for range 10 {
		select {
		case <-closed:
		case <-time.After(10 * time.Second):
			t.Fatal("the gateway loop stopped looking at the sender role")
		}
	}
	select {
	case <-dfake.GatewayReady():
		t.Fatal("a replica that is not the sender opened the gateway")
	default:
	}
	if b.m.Engine.IsSender() {
		t.Fatal("sender while another replica holds the lease")
	}
	// The other replica goes away: this one takes over and opens it.
	if err := other.ReleaseLease(ctx, bot.SenderLease, "another-replica"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-dfake.GatewayReady():
	case <-time.After(10 * time.Second):
		t.Fatal("the new sender did not open the gateway")
	}
	if !b.m.Engine.IsSender() {
		t.Error("gateway open but not the sender")
	}
}
