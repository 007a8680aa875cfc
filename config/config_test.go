package config

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/source/git"
	"github.com/paperbot/paperbot/formatter"
)

// env returns a lookupEnv over a map.
func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDefaultValidates(t *testing.T) {
	c, err := Parse(nil, "", t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	if !c.ConsoleEnabled() {
		t.Error("console should default to on without chat targets")
	}
	if c.Slack.Details != "container" || c.Discord.Details != "buttons" {
		t.Errorf("details defaults: %q %q", c.Slack.Details, c.Discord.Details)
	}
	if c.CatchUp != 24*time.Hour {
		t.Errorf("catch_up default %v", c.CatchUp)
	}
}

func TestDefaultItselfValidates(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestExampleConfigValidates(t *testing.T) {
	path := filepath.Join("..", "examples", "paperbot.yaml")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no %s: %v", path, err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(filepath.Join("..", "examples", "posts"))
	if c.Posts.Dir != abs {
		t.Errorf("posts.dir = %q, want %q", c.Posts.Dir, abs)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "bot_token")
	if err := os.WriteFile(secretFile, []byte("xoxb-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		yaml  string
		env   map[string]string
		check func(t *testing.T, c *Config)
	}{
		{"empty file is the defaults", "", nil, func(t *testing.T, c *Config) {
			if c.Posts.Dir != filepath.Join(dir, "_posts") {
				t.Errorf("posts.dir %q", c.Posts.Dir)
			}
			if c.Store != "sqlite://"+filepath.Join(dir, ".paperbot", "paperbot.db") {
				t.Errorf("store %q", c.Store)
			}
			if c.DataDir != filepath.Join(dir, ".paperbot") {
				t.Errorf("data_dir %q", c.DataDir)
			}
		}},
		{"relative paths against the config folder", "posts: {dir: posts}\nstore: sqlite://db/x.db\ndata_dir: /var/lib/pb\n", nil, func(t *testing.T, c *Config) {
			if c.Posts.Dir != filepath.Join(dir, "posts") {
				t.Errorf("posts.dir %q", c.Posts.Dir)
			}
			if c.Store != "sqlite://"+filepath.Join(dir, "db", "x.db") {
				t.Errorf("store %q", c.Store)
			}
			if c.DataDir != "/var/lib/pb" {
				t.Errorf("data_dir %q", c.DataDir)
			}
		}},
		{"sqlite: short form resolved", "store: sqlite:db/y.db\n", nil, func(t *testing.T, c *Config) {
			if p, ok := c.SQLitePath(); !ok || p != filepath.Join(dir, "db", "y.db") {
				t.Errorf("store %q", c.Store)
			}
		}},
		{"git replaces the default folder", "posts: {git: {url: 'https://example.com/blog.git', branch: main}}\n", nil, func(t *testing.T, c *Config) {
			if c.Posts.Dir != "" || c.Posts.Git.URL == "" || c.Posts.Git.Path != "_posts" {
				t.Errorf("posts %+v", c.Posts)
			}
		}},
		{"env expansion", "slack:\n  bot_token: ${TOKEN}\n  signing_secret: \"${SECRET:-dflt}\"\n  app_token: pre-${UNSET}-post\n", map[string]string{"TOKEN": "xoxb-1"}, func(t *testing.T, c *Config) {
			if c.Slack.BotToken != "xoxb-1" || c.Slack.SigningSecret != "dflt" || c.Slack.AppToken != "pre--post" {
				t.Errorf("slack %q %q %q", c.Slack.BotToken, c.Slack.SigningSecret, c.Slack.AppToken)
			}
		}},
		{"expanded plain scalars are re-typed", "console: ${C}\ncatch_up: ${D}\n", map[string]string{"C": "false", "D": "90m"}, func(t *testing.T, c *Config) {
			if c.Console == nil || *c.Console || c.CatchUp != 90*time.Minute {
				t.Errorf("console %v catch_up %v", c.Console, c.CatchUp)
			}
		}},
		{"expansion cannot inject YAML", "slack: {bot_token: '${T}'}\n", map[string]string{"T": "a\nschedule: evil"}, func(t *testing.T, c *Config) {
			if c.Slack.BotToken != "a\nschedule: evil" || c.Schedule != Default().Schedule {
				t.Errorf("bot_token %q schedule %q", c.Slack.BotToken, c.Schedule)
			}
		}},
		{"dollar escapes", "posts: {site_url: 'https://x.org/$$a/$b'}\n", nil, func(t *testing.T, c *Config) {
			if c.Posts.SiteURL != "https://x.org/$a/$b" {
				t.Errorf("site_url %q", c.Posts.SiteURL)
			}
		}},
		{"secret from a config _file, relative", "slack: {bot_token_file: bot_token}\n", nil, func(t *testing.T, c *Config) {
			if c.Slack.BotToken != "xoxb-from-file" {
				t.Errorf("bot_token %q", c.Slack.BotToken)
			}
		}},
		{"secret from PAPERBOT_*_FILE", "", map[string]string{"PAPERBOT_DISCORD_BOT_TOKEN_FILE": secretFile}, func(t *testing.T, c *Config) {
			if c.Discord.BotToken != "xoxb-from-file" {
				t.Errorf("discord.bot_token %q", c.Discord.BotToken)
			}
		}},
		{"env beats file", "http: {admin_token: fromfile, listen: ':9'}\nlog: {level: debug}\n", map[string]string{"PAPERBOT_HTTP_ADMIN_TOKEN": "fromenv", "PAPERBOT_HTTP_LISTEN": "127.0.0.1:1", "PAPERBOT_STORE": "postgres://u@h/db"}, func(t *testing.T, c *Config) {
			if c.HTTP.AdminToken != "fromenv" || c.HTTP.Listen != "127.0.0.1:1" || c.Store != "postgres://u@h/db" || c.Log.Level != "debug" {
				t.Errorf("%q %q %q %q", c.HTTP.AdminToken, c.HTTP.Listen, c.Store, c.Log.Level)
			}
		}},
		{"data_dir moves the default store", "", map[string]string{"PAPERBOT_DATA_DIR": "/var/lib/paperbot"}, func(t *testing.T, c *Config) {
			if c.DataDir != "/var/lib/paperbot" || c.Store != "sqlite:///var/lib/paperbot/paperbot.db" || c.GitDir() != "/var/lib/paperbot/git" {
				t.Errorf("data_dir %q store %q", c.DataDir, c.Store)
			}
		}},
		{"PAPERBOT_POSTS_DIR replaces git", "posts: {git: {url: 'file:///r'}}\n", map[string]string{"PAPERBOT_POSTS_DIR": "/srv/posts"}, func(t *testing.T, c *Config) {
			if c.Posts.Dir != "/srv/posts" || c.Posts.Git.URL != "" {
				t.Errorf("posts %+v", c.Posts)
			}
		}},
		{"store_file replaces the default store", "store_file: bot_token\n", nil, func(t *testing.T, c *Config) {
			if c.Store != "xoxb-from-file" {
				t.Errorf("store %q", c.Store)
			}
		}},
		{"numbers as discord ids", "discord: {bot_token: x, guilds: [1234], targets: [{name: lab, channel: 1234567890123456789}]}\n", nil, func(t *testing.T, c *Config) {
			if c.Discord.Targets[0].Channel != "1234567890123456789" || c.Discord.Guilds[0] != "1234" {
				t.Errorf("discord %+v", c.Discord)
			}
			if c.ConsoleEnabled() {
				t.Error("console should be off with a chat target")
			}
		}},
		{"anchors and merge keys", "x-common: &c {tags: [ml]}\n", nil, nil}, // unknown top-level key: see errors test
	}
	for _, tt := range tests {
		if tt.check == nil {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.yaml), "paperbot.yaml", dir, env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, yaml string
		env        map[string]string
		want       string
	}{
		{"typo at top", "schedul: x\n", nil, `config: paperbot.yaml:1: unknown key "schedul"`},
		{"typo nested", "slack:\n  targets:\n    - name: a\n      chanel: C1\n", nil, `config: paperbot.yaml:4: unknown key "chanel" in slack.targets[0]`},
		{"not a mapping", "- a\n- b\n", nil, "must be a YAML mapping"},
		{"bad yaml", "posts: [\n", nil, "config: paperbot.yaml:"},
		{"bad yaml line", "a: b\n c: d\n", nil, "config: paperbot.yaml:2: "},
		{"bad duration", "catch_up: soon\n", nil, "config: paperbot.yaml:1: catch_up must be a duration like 24h or 90m"},
		{"bad bool", "console: maybe\n", nil, "config: paperbot.yaml:1: console must be true or false"},
		{"list for string", "slack:\n  bot_token: [a, b]\n", nil, "config: paperbot.yaml:2: slack.bot_token must be a single value"},
		// Flow style puts many keys on one line: the error still names the
		// one at fault, not the last key of the line.
		{"list for string, flow", "slack: {bot_token: [x], signing_secret: s, targets: [{name: t, channel: C1}]}\n", nil, "config: paperbot.yaml:1: slack.bot_token must be a single value"},
		{"mapping for string, flow", "slack: {targets: [{name: t, channel: {id: C1}}], details: inline}\n", nil, "config: paperbot.yaml:1: slack.targets[0].channel must be a single value"},
		{"bad duration, flow", "{schedule: '@daily', catch_up: soon, console: true}\n", nil, "config: paperbot.yaml:1: catch_up must be a duration like 24h or 90m"},
		{"bad bool, flow", "{catch_up: 1h, console: maybe, alerts: a}\n", nil, "config: paperbot.yaml:1: console must be true or false"},
		{"two documents", "schedule: '@daily'\n---\nschedule: x\n", nil, "a second YAML document"},
		{"unclosed ${", "store: ${STORE\n", nil, "config: paperbot.yaml:1: store: "},
		{"bad var name", "store: ${1X}\n", nil, "config: paperbot.yaml:1: store: a ${...} whose name is not"},
		{"both value and file", "slack: {bot_token: a, bot_token_file: f}\n", nil, "both slack.bot_token and slack.bot_token_file are set"},
		{"missing secret file", "slack: {bot_token_file: nope}\n", nil, "config: slack.bot_token_file: open "},
		{"both env and env file", "", map[string]string{"PAPERBOT_STORE": "a", "PAPERBOT_STORE_FILE": "b"}, "both PAPERBOT_STORE and PAPERBOT_STORE_FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), "paperbot.yaml", dir, env(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	ok := func(c *Config) {}
	slackOK := func(c *Config) {
		c.Slack.BotToken, c.Slack.SigningSecret = "xoxb-1", "s"
		c.Slack.Targets = []SlackTarget{{Name: "team", Channel: "C1"}}
	}
	tests := []struct {
		name   string
		modify func(c *Config)
		want   string // "" = valid
	}{
		{"defaults", ok, ""},
		{"slack ok", slackOK, ""},
		{"socket mode ok", func(c *Config) {
			slackOK(c)
			c.Slack.SigningSecret, c.Slack.AppToken = "", "xapp-1"
		}, ""},
		{"no posts", func(c *Config) { c.Posts.Dir = "" }, "config: posts.dir or posts.git.url is required"},
		{"both posts", func(c *Config) { c.Posts.Git.URL = "https://x/y.git" }, "config: posts.dir and posts.git.url are both set; set one"},
		{"git path escapes", func(c *Config) { c.Posts.Dir, c.Posts.Git.URL, c.Posts.Git.Path = "", "file:///r", "../x" }, "posts.git.path"},
		{"git path absolute", func(c *Config) { c.Posts.Dir, c.Posts.Git.URL, c.Posts.Git.Path = "", "file:///r", "/etc" }, `config: posts.git.path "/etc" is not a folder inside the repository`},
		{"git branch", func(c *Config) { c.Posts.Dir, c.Posts.Git.URL, c.Posts.Git.Branch = "", "file:///r", "a..b" }, `config: posts.git.branch "a..b" is not a branch name`},
		{"site url", func(c *Config) { c.Posts.SiteURL = "team.github.io" }, `config: posts.site_url "team.github.io": want an http:// or https:// URL`},
		{"schedule", func(c *Config) { c.Schedule = "x" }, `config: schedule "x": `},
		{"schedule zone only", func(c *Config) { c.Schedule = "CRON_TZ=Asia/Seoul" }, `config: schedule "CRON_TZ=Asia/Seoul"`},
		{"timezone", func(c *Config) { c.Timezone = "Mars/Base" }, `config: timezone "Mars/Base": unknown time zone`},
		{"catch_up", func(c *Config) { c.CatchUp = -time.Hour }, "config: catch_up -1h0m0s must not be negative"},
		{"expect_by", func(c *Config) { c.ExpectBy = "25:00" }, `config: expect_by "25:00"`},
		{"expect_by ok", func(c *Config) { c.ExpectBy = "10:00 Mon-Fri" }, ""},
		{"store scheme", func(c *Config) { c.Store = "mysql://x" }, `config: store "mysql://x" must start with sqlite://, file: or postgres://`},
		{"sqlite short form", func(c *Config) { c.Store = "sqlite:x.db" }, ""},
		{"sqlite no file", func(c *Config) { c.Store = "sqlite://" }, "names no file"},
		{"store password hidden", func(c *Config) { c.Store = "mysql://u:hunter2@h/db" }, `config: store "mysql://u:[redacted]@h/db"`},
		{"listen", func(c *Config) { c.HTTP.Listen = "8080" }, `config: http.listen "8080" must be host:port`},
		{"log level", func(c *Config) { c.Log.Level = "loud" }, `config: log.level "loud"`},
		{"log format", func(c *Config) { c.Log.Format = "xml" }, `config: log.format "xml" must be text or json`},
		{"slack details", func(c *Config) { c.Slack.Details = "spoiler" }, `config: slack.details "spoiler" must be one of container, buttons, thread, inline`},
		{"discord details", func(c *Config) { c.Discord.Details = "container" }, `config: discord.details "container" must be one of spoiler, buttons, inline`},
		{"slack channel", func(c *Config) { slackOK(c); c.Slack.Targets[0].Channel = "" }, "config: slack.targets[0].channel is required"},
		{"slack name", func(c *Config) { slackOK(c); c.Slack.Targets[0].Name = "" }, "config: slack.targets[0].name is required"},
		{"slack token", func(c *Config) { slackOK(c); c.Slack.BotToken = "" }, "config: slack.bot_token is required for slack.targets"},
		{"slack secret", func(c *Config) { slackOK(c); c.Slack.SigningSecret = "" }, "config: slack.signing_secret (HTTP) or slack.app_token (Socket Mode) is required"},
		{"slack api url", func(c *Config) { c.Slack.APIURL = "::" }, `config: slack.api_url "::"`},
		{"discord api url", func(c *Config) { c.Discord.APIURL = "ftp://x" }, `config: discord.api_url "ftp://x": want an http:// or https:// URL`},
		{"public key", func(c *Config) { c.Discord.BotToken, c.Discord.PublicKey = "t", "abc" }, "config: discord.public_key must be 64 hex digits"},
		{"public key ok", func(c *Config) { c.Discord.BotToken, c.Discord.PublicKey = "t", strings.Repeat("ab", 32) }, ""},
		{"discord target", func(c *Config) { c.Discord.Targets = []DiscordTarget{{Name: "lab"}} }, "config: discord.targets[0].channel or discord.targets[0].webhook_url is required"},
		{"discord channel token", func(c *Config) { c.Discord.Targets = []DiscordTarget{{Name: "lab", Channel: "123"}} }, "config: discord.bot_token is required for discord.targets[0].channel"},
		{"discord channel id", func(c *Config) {
			c.Discord.BotToken = "t"
			c.Discord.Targets = []DiscordTarget{{Name: "lab", Channel: "#general"}}
		}, `config: discord.targets[0].channel "#general" must be a number`},
		{"webhook ok", func(c *Config) {
			c.Discord.Targets = []DiscordTarget{{Name: "hook", WebhookURL: "https://discord.com/api/webhooks/1/tok"}}
		}, ""},
		{"duplicate names", func(c *Config) {
			slackOK(c)
			c.Discord.Targets = []DiscordTarget{{Name: "team", WebhookURL: "https://discord.com/api/webhooks/1/tok"}}
		}, `config: discord.targets[0].name "team" is already used by slack.targets[0]; target names must be unique`},
		{"console reserved", func(c *Config) { slackOK(c); c.Slack.Targets[0].Name = "console" }, `config: slack.targets[0].name "console" is already used by the console target`},
		{"alerts unknown", func(c *Config) { slackOK(c); c.Alerts = "ops" }, `config: alerts "ops" names no target (targets: team)`},
		{"alerts ok", func(c *Config) { slackOK(c); c.Alerts = "team" }, ""},
		{"alerts console", func(c *Config) { c.Alerts = "console" }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(nil, "", "/tmp/pb", nil)
			if err != nil {
				t.Fatal(err)
			}
			tt.modify(c)
			err = c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("err = %v, want %q", err, tt.want)
			case err != nil && strings.Contains(err.Error(), "hunter2"):
				t.Fatalf("secret in error: %v", err)
			}
		})
	}
}

// TestSecretsNeverPrinted loads a config full of secrets and looks for them
// in every way a config gets printed.
func TestSecretsNeverPrinted(t *testing.T) {
	secrets := []string{"xoxb-SECRET1", "SIGNSECRET2", "xapp-SECRET3", "DISCORDSECRET4", "ADMINSECRET5", "PGPASSWORD6", "WEBHOOKTOKEN7", "GITTOKEN8", "GITTOKEN9"}
	y := fmt.Sprintf(`
posts: {git: {url: "https://bot:%[8]s@github.com/team/blog.git", token: %[9]s}}
store: postgres://paperbot:%[6]s@db:5432/paperbot?sslmode=disable
http: {admin_token: %[5]s}
slack:
  bot_token: %[1]s
  signing_secret: %[2]s
  app_token: %[3]s
  targets: [{name: team, channel: C1}]
discord:
  bot_token: %[4]s
  targets: [{name: hook, webhook_url: "https://discord.com/api/webhooks/123/%[7]s"}]
alerts: nowhere
`, secrets[0], secrets[1], secrets[2], secrets[3], secrets[4], secrets[5], secrets[6], secrets[7], secrets[8])
	c, err := Parse([]byte(y), "paperbot.yaml", t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	log.Info("config", "config", c, "value", *c)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("config", "config", c)
	verr := c.Validate()
	if verr == nil {
		t.Fatal("want an alerts error")
	}
	r := c.Redacted()
	outputs := map[string]string{
		"String":   c.String(),
		"%v":       fmt.Sprintf("%v", c),
		"%+v":      fmt.Sprintf("%+v", *c),
		"%#v":      fmt.Sprintf("%#v", *c),
		"Redacted": fmt.Sprintf("%s", r.String()),
		"slog":     logs.String(),
		"Validate": verr.Error(),
	}
	for name, out := range outputs {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s output contains secret %q:\n%s", name, s, out)
			}
		}
	}
	if !strings.Contains(outputs["String"], Redacted) || !strings.Contains(outputs["String"], "https://discord.com/api/webhooks/123/") {
		t.Errorf("String lost its shape:\n%s", outputs["String"])
	}
	// Redacted is a copy: the original keeps its secrets.
	if c.Slack.BotToken != secrets[0] || c.Discord.Targets[0].WebhookURL == r.Discord.Targets[0].WebhookURL {
		t.Error("Redacted changed the original")
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"":                                     "",
		"sqlite:///var/lib/paperbot.db":        "sqlite:///var/lib/paperbot.db",
		"postgres://u@h/db":                    "postgres://u@h/db",
		"postgres://u:pw@h/db?sslmode=disable": "postgres://u:[redacted]@h/db?sslmode=disable",
		"postgres://u@h/db?password=pw&x=1":    "postgres://u@h/db?password=[redacted]&x=1",
		"host=db user=u password=pw dbname=pb": "host=db user=u password=[redacted] dbname=pb",
		"git@github.com:team/blog.git":         "[redacted]",
		"https://github.com/team/blog.git":     "https://github.com/team/blog.git",
		"https://x:ghp_tok@github.com/t/b.git": "https://x:[redacted]@github.com/t/b.git",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLoadFileAndDefault(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "paperbot.yaml")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("posts: {dir: ../blog/_posts}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Posts.Dir != filepath.Join(dir, "blog", "_posts") {
		t.Errorf("posts.dir %q", c.Posts.Dir)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil || !strings.HasPrefix(err.Error(), "config: open ") {
		t.Errorf("missing file: %v", err)
	}
	t.Chdir(dir)
	c, from, err := LoadOrDefault("")
	if err != nil || from != "" || c.Posts.Dir != filepath.Join(dir, "_posts") {
		t.Errorf("LoadOrDefault without a file: %v %q %+v", err, from, c)
	}
	if err := os.WriteFile(filepath.Join(dir, DefaultFile), []byte("timezone: UTC\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, from, err = LoadOrDefault("")
	if err != nil || from != DefaultFile || c.Timezone != "UTC" {
		t.Errorf("LoadOrDefault with ./paperbot.yaml: %v %q %v", err, from, c)
	}
}

func TestExpand(t *testing.T) {
	e := env(map[string]string{"A": "1", "EMPTY": ""})
	for in, want := range map[string]string{
		"plain":       "plain",
		"${A}":        "1",
		"x${A}y${A}z": "x1y1z",
		"${B}":        "",
		"${B:-d}":     "d",
		"${EMPTY:-d}": "d",
		"${A:-d}":     "1",
		"$$A":         "$A",
		"$A":          "$A",
		"cost: 5$":    "cost: 5$",
		"${A:-x:-y}":  "1",
		"${B:-${A}":   "${A",
	} {
		got, err := Expand(in, e)
		if err != nil || got != want {
			t.Errorf("Expand(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte("posts: {dir: posts}\nschedule: '@daily'\n"))
	f.Add([]byte("slack:\n  targets: [{name: a, channel: C1}]\n  bot_token: ${X}\n"))
	f.Add([]byte("a: &x {b: 1}\nc: *x\n<<: *x\n"))
	f.Add([]byte("catch_up: ${D:-1h}\nconsole: ${C}\n"))
	f.Add([]byte("discord: {targets: [[1, 2]], guilds: {a: b}}\n"))
	f.Add([]byte("---\n---\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "fuzz.yaml", "/tmp", env(map[string]string{"X": "x", "D": "2h"}))
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("multi-line error: %q", err)
			}
			return
		}
		_ = c.Validate()
		_ = c.String()
	})
}

// TestDeployConfigsValidate keeps the configs shipped in deploy/ valid.
func TestDeployConfigsValidate(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	os.WriteFile(secret, []byte("s3cret\n"), 0o600)
	store := filepath.Join(dir, "store")
	os.WriteFile(store, []byte("postgres://paperbot:pw@postgres:5432/paperbot?sslmode=disable\n"), 0o600)
	environ := env(map[string]string{
		"PAPERBOT_STORE_FILE":                store,
		"PAPERBOT_SLACK_BOT_TOKEN_FILE":      secret,
		"PAPERBOT_SLACK_SIGNING_SECRET_FILE": secret,
		"PAPERBOT_HTTP_ADMIN_TOKEN_FILE":     secret,
		"PAPERBOT_DATA_DIR":                  "/var/lib/paperbot",
	})
	configs := map[string][]byte{}
	if b, err := os.ReadFile(filepath.Join("..", "deploy", "compose.paperbot.yaml")); err == nil {
		configs["compose.paperbot.yaml"] = b
	}
	if b, err := os.ReadFile(filepath.Join("..", "deploy", "kubernetes", "configmap.yaml")); err == nil {
		var cm struct {
			Data map[string]string `yaml:"data"`
		}
		if err := yaml.Unmarshal(b, &cm); err != nil {
			t.Fatal(err)
		}
		configs["configmap.yaml"] = []byte(cm.Data["paperbot.yaml"])
	}
	if len(configs) == 0 {
		t.Skip("no deploy configs")
	}
	for name, b := range configs {
		c, err := Parse(b, name, "/etc/paperbot", environ)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if !strings.HasPrefix(c.Store, "postgres://") {
			t.Errorf("%s: store %q", name, c.Store)
		}
	}
}

func TestNewLogger(t *testing.T) {
	var buf bytes.Buffer
	c := Default()
	c.Log = Log{Level: "warn", Format: "json"}
	log := c.NewLogger(&buf)
	log.Info("hidden")
	log.Warn("shown")
	if out := buf.String(); strings.Contains(out, "hidden") || !strings.HasPrefix(out, "{") {
		t.Errorf("logger output %q", out)
	}
}

func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("..", "examples", "paperbot.yaml"))
	if err != nil {
		b.Skip(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		c, err := Parse(data, "paperbot.yaml", "/etc/paperbot", nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}

// Settings hands cmd every value in its type, parsed by the check that
// accepted it.
func TestSettings(t *testing.T) {
	c := Default()
	c.Posts.Dir = ""
	c.Posts.Git = Git{URL: "https://example.com/blog.git", Branch: "pages", Path: "blog/_posts", Token: "tok"}
	c.DataDir = "/var/lib/paperbot"
	c.ExpectBy = "10:00 Mon-Fri"
	c.Slack.Details = "thread"
	c.Discord.Details = "inline"
	c.Discord.BotToken = "t"
	c.Discord.PublicKey = strings.Repeat("ab", 32)
	s, err := c.Settings()
	if err != nil {
		t.Fatal(err)
	}
	if s.Location.String() != "Asia/Seoul" {
		t.Errorf("Location = %v", s.Location)
	}
	if s.ExpectBy == nil {
		t.Error("ExpectBy not parsed")
	} else if want, _ := bot.ParseExpectBy("10:00 Mon-Fri"); !reflect.DeepEqual(*s.ExpectBy, want) {
		t.Errorf("ExpectBy = %+v, want %+v", *s.ExpectBy, want)
	}
	if s.SlackDetails != formatter.SlackThread || s.DiscordDetails != formatter.DiscordInline {
		t.Errorf("details = %q, %q", s.SlackDetails, s.DiscordDetails)
	}
	if len(s.DiscordPublicKey) != 32 || s.DiscordPublicKey[0] != 0xab {
		t.Errorf("DiscordPublicKey = %x", s.DiscordPublicKey)
	}
	want := git.Options{URL: "https://example.com/blog.git", Branch: "pages", Path: "blog/_posts", Dir: "/var/lib/paperbot/git", Token: "tok"}
	if s.Git == nil || *s.Git != want {
		t.Errorf("Git = %+v, want %+v", s.Git, want)
	}
	c.ExpectBy, c.Posts.Git, c.Posts.Dir, c.Discord.PublicKey = "", Git{}, "_posts", ""
	if s, err = c.Settings(); err != nil || s.ExpectBy != nil || s.Git != nil || s.DiscordPublicKey != nil {
		t.Errorf("unset settings: %+v, %v", s, err)
	}
	c.Timezone = "Mars/Olympus"
	if s, err := c.Settings(); err == nil || s != nil {
		t.Errorf("a bad timezone gave settings %+v", s)
	}
}
