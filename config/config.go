// Package config reads paperbot's settings: the embedded defaults
// (Default), a YAML file with ${VAR} expansion, PAPERBOT_* environment
// overrides and secrets read from files (Load), and the checks that stop
// start-up with one sentence naming the bad key (Validate). A Config never
// prints its secrets: String, GoString, LogValue and Redacted all mask them.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Redacted is what a secret is replaced with when a Config is printed.
const Redacted = "[redacted]"

// Config is paperbot's configuration, mirroring DESIGN.md section 4. After
// Load, relative paths are absolute (resolved against the config file's
// folder) and secrets from files and the environment are filled in.
type Config struct {
	Posts Posts `yaml:"posts"`
	// Schedule is a robfig/cron spec (CRON_TZ= prefix allowed); the bot also
	// scans once at start.
	Schedule string `yaml:"schedule"`
	// Timezone decides which day a post belongs to, and the zone of a
	// schedule without CRON_TZ=.
	Timezone string `yaml:"timezone"`
	// CatchUp: posts dated before (previous successful scan - CatchUp) are
	// indexed, never sent.
	CatchUp time.Duration `yaml:"catch_up"`
	// ExpectBy ("10:00 Mon-Fri"): no new post by then raises an alert.
	// Empty: no alert.
	ExpectBy string `yaml:"expect_by"`
	// Alerts names the target that receives operational notices (optional).
	Alerts string `yaml:"alerts"`
	// Store is sqlite://PATH or a postgres:// DSN. Empty (the default):
	// sqlite://DataDir/paperbot.db. After Load a SQLite path is absolute.
	Store string `yaml:"store"`
	// StoreFile reads Store from a file (for a DSN with a password).
	StoreFile string `yaml:"store_file"`
	// DataDir holds what paperbot keeps on disk: the default SQLite store
	// and the git clone of posts.git. Default .paperbot next to the config
	// file.
	DataDir string  `yaml:"data_dir"`
	HTTP    HTTP    `yaml:"http"`
	Log     Log     `yaml:"log"`
	Console *bool   `yaml:"console"`
	Slack   Slack   `yaml:"slack"`
	Discord Discord `yaml:"discord"`
}

// Posts says where the posts come from: a folder (Dir) or a git repository.
type Posts struct {
	// Dir is a folder of dated posts (default _posts). Unused when Git.URL
	// is set.
	Dir string `yaml:"dir"`
	Git Git    `yaml:"git"`
	// SiteURL is the blog's address, for a link to each post (optional).
	SiteURL string `yaml:"site_url"`
}

// Git is a repository paperbot clones into DataDir and pulls on each tick.
type Git struct {
	URL string `yaml:"url"`
	// Branch to follow (default main).
	Branch string `yaml:"branch"`
	// Path is the posts' folder inside the repository (default _posts).
	Path string `yaml:"path"`
	// Token authenticates https fetches of a private repository (an access
	// token, sent as the password of user x-access-token).
	Token     string `yaml:"token"`
	TokenFile string `yaml:"token_file"`
}

// HTTP is the one listener for the API, webhooks, health and metrics.
type HTTP struct {
	Listen string `yaml:"listen"`
	// AdminToken guards the status page and retries (loopback needs none).
	AdminToken     string `yaml:"admin_token"`
	AdminTokenFile string `yaml:"admin_token_file"`
}

// Log configures log/slog.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text, json
}

// Slack is the Slack app and its channels.
type Slack struct {
	BotToken          string `yaml:"bot_token"`
	BotTokenFile      string `yaml:"bot_token_file"`
	SigningSecret     string `yaml:"signing_secret"`
	SigningSecretFile string `yaml:"signing_secret_file"`
	// AppToken set: Socket Mode, no public URL needed.
	AppToken     string `yaml:"app_token"`
	AppTokenFile string `yaml:"app_token_file"`
	// APIURL overrides the Web API base (tests, GovSlack), e.g.
	// http://127.0.0.1:9000/api/.
	APIURL string `yaml:"api_url"`
	// Details: container (default), buttons, thread or inline.
	Details string        `yaml:"details"`
	Targets []SlackTarget `yaml:"targets"`
}

// SlackTarget is one Slack channel that receives digests.
type SlackTarget struct {
	Name    string `yaml:"name"`
	Channel string `yaml:"channel"`
	// Tags and Keywords filter the posts this target takes (empty: all).
	Tags     []string `yaml:"tags"`
	Keywords []string `yaml:"keywords"`
}

// Discord is the Discord application and its channels and webhooks.
type Discord struct {
	BotToken      string `yaml:"bot_token"`
	BotTokenFile  string `yaml:"bot_token_file"`
	ApplicationID string `yaml:"application_id"`
	// PublicKey set (64 hex digits): interactions arrive at
	// POST /discord/interactions and no gateway is opened.
	PublicKey string `yaml:"public_key"`
	// APIURL overrides scheme and host, e.g. http://127.0.0.1:9001.
	APIURL string `yaml:"api_url"`
	// Details: buttons (default; webhook targets use spoiler), spoiler or inline.
	Details string `yaml:"details"`
	// Guilds get the commands at once; empty: registered globally.
	Guilds  []string        `yaml:"guilds"`
	Targets []DiscordTarget `yaml:"targets"`
}

// DiscordTarget is a channel (with the bot token) or a webhook.
type DiscordTarget struct {
	Name       string   `yaml:"name"`
	Channel    string   `yaml:"channel"`
	WebhookURL string   `yaml:"webhook_url"`
	Tags       []string `yaml:"tags"`
	Keywords   []string `yaml:"keywords"`
}

// ConsoleTarget is the name of the console target, reserved among target
// names.
const ConsoleTarget = "console"

// Default returns the embedded defaults: a folder of posts in ./_posts,
// SQLite in ./.paperbot (Store is empty until Load fills it from DataDir),
// the console target, a 09:30 Seoul schedule. Paths are relative; Load
// resolves them against the config file's folder and LoadOrDefault against
// the working directory.
func Default() *Config {
	return &Config{
		Posts:    Posts{Dir: "_posts", Git: Git{Branch: "main", Path: "_posts"}},
		Schedule: "CRON_TZ=Asia/Seoul 30 9 * * *",
		Timezone: "Asia/Seoul",
		CatchUp:  24 * time.Hour,
		DataDir:  ".paperbot",
		HTTP:     HTTP{Listen: ":8080"},
		Log:      Log{Level: "info", Format: "text"},
		Slack:    Slack{Details: "container"},
		Discord:  Discord{Details: "buttons"},
	}
}

// DefaultFile is the config file `paperbot run` and `check` read when no
// --config is given.
const DefaultFile = "paperbot.yaml"

// Load reads the YAML file at path over Default(), expands ${VAR} from the
// environment, applies the PAPERBOT_* overrides, reads *_file secrets and
// resolves relative paths against the file's folder. It does not Validate.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(data, path, filepath.Dir(abs), os.LookupEnv)
}

// LoadOrDefault is what a command does when given a --config flag value
// that may be empty: a path loads that file; "" loads ./paperbot.yaml if it
// exists and otherwise returns the embedded defaults (with the environment
// overrides) resolved against the working directory. from is the file read,
// or "" for the embedded defaults.
func LoadOrDefault(path string) (cfg *Config, from string, err error) {
	if path != "" {
		cfg, err = Load(path)
		return cfg, path, err
	}
	if _, err := os.Stat(DefaultFile); err == nil {
		cfg, err = Load(DefaultFile)
		return cfg, DefaultFile, err
	}
	wd, err := os.Getwd()
	if err != nil {
		return nil, "", fmt.Errorf("config: %w", err)
	}
	cfg, err = Parse(nil, "", wd, os.LookupEnv)
	return cfg, "", err
}

// Parse is Load on bytes: name is used in errors, dir resolves relative
// paths, lookupEnv reads the environment (nil: none). Empty data gives the
// defaults.
func Parse(data []byte, name, dir string, lookupEnv func(string) (string, bool)) (*Config, error) {
	if lookupEnv == nil {
		lookupEnv = func(string) (string, bool) { return "", false }
	}
	if name == "" {
		name = "config"
	}
	cfg := Default()
	if len(bytes.TrimSpace(data)) > 0 {
		if err := decode(cfg, data, name, lookupEnv); err != nil {
			return nil, err
		}
	}
	if err := cfg.applyEnv(lookupEnv); err != nil {
		return nil, err
	}
	if err := cfg.readSecretFiles(dir); err != nil {
		return nil, err
	}
	cfg.resolvePaths(dir)
	return cfg, nil
}

// decode reads data over cfg: unknown keys are errors naming the key path
// and line, ${VAR} is expanded inside scalar values only (so a secret with
// YAML syntax in it cannot change the document's shape).
func decode(cfg *Config, data []byte, name string, lookupEnv func(string) (string, bool)) error {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return fmt.Errorf("config: %s", syntaxError(name, err))
	}
	// A second document is almost always a stray "---" pasted from a post.
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return fmt.Errorf("config: %s:%d: a second YAML document; a config file holds one", name, extra.Line)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil
		}
		root = root.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil
	}
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("config: %s:%d: the file must be a YAML mapping of keys (posts:, schedule:, ...)", name, root.Line)
	}
	if err := expandNode(root, lookupEnv, name, ""); err != nil {
		return err
	}
	lines := keyLines{key: map[int]string{}, misfit: map[int]string{}}
	if err := checkKeys(root, reflect.TypeFor[Config](), "", name, lines); err != nil {
		return err
	}
	// posts.git without posts.dir: the folder default gives way to git.
	if has(root, "posts", "git") && !has(root, "posts", "dir") {
		cfg.Posts.Dir = ""
	}
	if err := root.Decode(cfg); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) && len(te.Errors) > 0 {
			return fmt.Errorf("config: %s", typeError(te.Errors[0], name, lines))
		}
		return fmt.Errorf("config: %s: %s", name, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	return nil
}

// syntaxError turns yaml.v3's "yaml: line 3: did not find ..." into
// "paperbot.yaml:3: did not find ...".
func syntaxError(name string, err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	if _, serr := fmt.Sscanf(msg, "line %d:", &line); serr == nil {
		_, rest, _ := strings.Cut(msg, ":")
		return fmt.Sprintf("%s:%d:%s", name, line, rest)
	}
	return name + ": " + msg
}

// keyLines maps a line of the file to the key path a type error on it
// names. yaml.v3 gives a type error's line, not its column, and a flow
// mapping ({bot_token: [x], targets: [...]}) puts many keys on one line,
// so checkKeys records, per line, the first key whose value cannot fit its
// field (misfit) besides the key the line belongs to (key).
type keyLines struct {
	key, misfit map[int]string
}

func (l keyLines) at(line int) string {
	if k, ok := l.misfit[line]; ok {
		return k
	}
	return l.key[line]
}

// typeError rewrites a yaml.v3 "line N: cannot unmarshal ..." message so it
// names the key; the value itself is left out, as it may be a secret.
func typeError(msg, name string, lines keyLines) string {
	var line int
	if _, err := fmt.Sscanf(msg, "line %d:", &line); err != nil {
		return fmt.Sprintf("%s: %s", name, msg)
	}
	key := lines.at(line)
	want := "a different kind of value"
	if _, into, ok := strings.Cut(msg, " into "); ok {
		switch into {
		case "time.Duration":
			want = "a duration like 24h or 90m"
		case "bool":
			want = "true or false"
		case "string":
			want = "a single value, not a list or mapping"
		case "[]string":
			want = "a list like [a, b]"
		default:
			if strings.HasPrefix(into, "[]config.") {
				want = "a list of mappings like [{name: ..., channel: ...}]"
			} else if strings.HasPrefix(into, "config.") {
				want = "a mapping of keys"
			}
		}
	}
	if key == "" {
		return fmt.Sprintf("%s:%d: wrong kind of value, want %s", name, line, want)
	}
	return fmt.Sprintf("%s:%d: %s must be %s", name, line, key, want)
}

// has reports whether the mapping m holds the key path.
func has(m *yaml.Node, path ...string) bool {
	for _, k := range path {
		if m == nil || m.Kind != yaml.MappingNode {
			return false
		}
		var next *yaml.Node
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == k {
				next = m.Content[i+1]
			}
		}
		if next == nil {
			return false
		}
		m = next
	}
	return true
}

// checkKeys walks the node against the struct type t and fails on the first
// key t does not have, naming it as a path (slack.targets[0].chanel). It
// records the key path of every line it sees, for type errors.
func checkKeys(n *yaml.Node, t reflect.Type, path, name string, lines keyLines) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode {
		// Aliases point at nodes checked where they were defined.
		return nil
	}
	if path != "" {
		if _, ok := lines.key[n.Line]; !ok {
			lines.key[n.Line] = path
		}
		if _, ok := lines.misfit[n.Line]; !ok && !fits(n, t) {
			lines.misfit[n.Line] = path
		}
	}
	switch t.Kind() {
	case reflect.Struct:
		if t == reflect.TypeFor[time.Duration]() || n.Kind != yaml.MappingNode {
			return nil
		}
		fields := map[string]reflect.Type{}
		for i := range t.NumField() {
			f := t.Field(i)
			tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if tag != "" && tag != "-" {
				fields[tag] = f.Type
			}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.ScalarNode && k.Value == "<<" {
				continue // a merge key; yaml.v3 checks what it merges
			}
			key := join(path, k.Value)
			ft, ok := fields[k.Value]
			if !ok {
				if path == "" {
					return fmt.Errorf("config: %s:%d: unknown key %q", name, k.Line, k.Value)
				}
				return fmt.Errorf("config: %s:%d: unknown key %q in %s", name, k.Line, k.Value, path)
			}
			lines.key[k.Line] = key
			if err := checkKeys(v, ft, key, name, lines); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return nil
		}
		for i, item := range n.Content {
			if err := checkKeys(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), name, lines); err != nil {
				return err
			}
		}
	}
	return nil
}

// fits reports whether yaml.v3 can decode n into a value of type t: the
// node kind a struct or slice needs, or a scalar that decodes (a duration,
// a bool). A null fits anything.
func fits(n *yaml.Node, t reflect.Type) bool {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return true
	}
	switch {
	case t.Kind() == reflect.Struct && t != reflect.TypeFor[time.Duration]():
		return n.Kind == yaml.MappingNode
	case t.Kind() == reflect.Slice:
		return n.Kind == yaml.SequenceNode
	case n.Kind != yaml.ScalarNode:
		return false
	}
	return n.Decode(reflect.New(t).Interface()) == nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// expandNode replaces ${VAR} and ${VAR:-default} in every scalar value
// (keys are left alone); $$ is a literal $. An unset VAR is empty, so an
// optional secret can be left out of the environment; a required one is
// then reported by Validate under its key.
func expandNode(n *yaml.Node, lookupEnv func(string) (string, bool), name, path string) error {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			if err := expandNode(c, lookupEnv, name, path); err != nil {
				return err
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if err := expandNode(n.Content[i+1], lookupEnv, name, join(path, n.Content[i].Value)); err != nil {
				return err
			}
		}
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "$") {
			return nil
		}
		v, err := Expand(n.Value, lookupEnv)
		if err != nil {
			return fmt.Errorf("config: %s:%d: %s: %w", name, n.Line, path, err)
		}
		n.Value = v
		// A plain scalar is re-typed from its new text, so
		// `console: ${CONSOLE}` can be a bool and `catch_up: ${X}` a duration.
		if n.Style&(yaml.TaggedStyle|yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
			n.Tag = ""
		}
	}
	return nil
}

// Expand replaces ${VAR}, ${VAR:-default} and $$ in s. An unset or empty
// VAR gives "" (or the default); a "${" without its "}" or with a name that
// is not [A-Za-z_][A-Za-z0-9_]* is an error. A "$" not followed by "{" or
// "$" is kept as is.
func Expand(s string, lookupEnv func(string) (string, bool)) (string, error) {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 || i+1 == len(s) {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			s = s[i+2:]
			continue
		case '{':
		default:
			b.WriteByte('$')
			s = s[i+1:]
			continue
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			// The value is not repeated: it may be a secret.
			return "", errors.New("a ${ without its closing }; write $$ for a literal $")
		}
		expr := s[i+2 : i+end]
		name, def, hasDef := strings.Cut(expr, ":-")
		if !validVarName(name) {
			return "", errors.New("a ${...} whose name is not an environment variable name (letters, digits, _); write $$ for a literal $")
		}
		v, _ := lookupEnv(name)
		if v == "" && hasDef {
			v = def
		}
		b.WriteString(v)
		s = s[i+end+1:]
	}
}

func validVarName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9' {
			continue
		}
		return false
	}
	return true
}

// secret is one setting that may come from a file or the environment.
type secret struct {
	key  string // config key, e.g. slack.bot_token
	env  string // PAPERBOT_SLACK_BOT_TOKEN (and _FILE)
	val  func(c *Config) *string
	file func(c *Config) *string
}

var secrets = []secret{
	{"posts.git.token", "PAPERBOT_POSTS_GIT_TOKEN", func(c *Config) *string { return &c.Posts.Git.Token }, func(c *Config) *string { return &c.Posts.Git.TokenFile }},
	{"slack.bot_token", "PAPERBOT_SLACK_BOT_TOKEN", func(c *Config) *string { return &c.Slack.BotToken }, func(c *Config) *string { return &c.Slack.BotTokenFile }},
	{"slack.signing_secret", "PAPERBOT_SLACK_SIGNING_SECRET", func(c *Config) *string { return &c.Slack.SigningSecret }, func(c *Config) *string { return &c.Slack.SigningSecretFile }},
	{"slack.app_token", "PAPERBOT_SLACK_APP_TOKEN", func(c *Config) *string { return &c.Slack.AppToken }, func(c *Config) *string { return &c.Slack.AppTokenFile }},
	{"discord.bot_token", "PAPERBOT_DISCORD_BOT_TOKEN", func(c *Config) *string { return &c.Discord.BotToken }, func(c *Config) *string { return &c.Discord.BotTokenFile }},
	{"http.admin_token", "PAPERBOT_HTTP_ADMIN_TOKEN", func(c *Config) *string { return &c.HTTP.AdminToken }, func(c *Config) *string { return &c.HTTP.AdminTokenFile }},
	{"store", "PAPERBOT_STORE", func(c *Config) *string { return &c.Store }, func(c *Config) *string { return &c.StoreFile }},
}

// plainEnv are the other settings the environment may override. Paths
// from the environment are relative to the working directory, like any
// path typed in a shell.
var plainEnv = []struct {
	env  string
	path bool
	val  func(c *Config) *string
}{
	{"PAPERBOT_HTTP_LISTEN", false, func(c *Config) *string { return &c.HTTP.Listen }},
	{"PAPERBOT_LOG_LEVEL", false, func(c *Config) *string { return &c.Log.Level }},
	{"PAPERBOT_LOG_FORMAT", false, func(c *Config) *string { return &c.Log.Format }},
	{"PAPERBOT_POSTS_DIR", true, func(c *Config) *string { return &c.Posts.Dir }},
	{"PAPERBOT_DATA_DIR", true, func(c *Config) *string { return &c.DataDir }},
}

// applyEnv lets the environment win over the file: PAPERBOT_<KEY> sets a
// value, PAPERBOT_<KEY>_FILE names a file holding it (secrets and store
// only). An empty variable counts as unset.
func (c *Config) applyEnv(lookupEnv func(string) (string, bool)) error {
	get := func(k string) string { v, _ := lookupEnv(k); return v }
	for _, s := range secrets {
		v, f := get(s.env), get(s.env+"_FILE")
		switch {
		case v != "" && f != "":
			return fmt.Errorf("config: both %s and %s_FILE are set; set one", s.env, s.env)
		case v != "":
			*s.val(c), *s.file(c) = v, ""
		case f != "":
			*s.val(c), *s.file(c) = "", f
		}
	}
	for _, p := range plainEnv {
		v := get(p.env)
		if v == "" {
			continue
		}
		if p.path && !filepath.IsAbs(v) {
			if abs, err := filepath.Abs(v); err == nil {
				v = abs
			}
		}
		*p.val(c) = v
	}
	// A posts folder from the environment replaces a git source.
	if get("PAPERBOT_POSTS_DIR") != "" {
		c.Posts.Git.URL = ""
	}
	return nil
}

// readSecretFiles fills each secret whose <key>_file is set, with the
// file's content minus trailing newlines (an empty file leaves it unset). Both set is an error: which one
// wins would be a guess.
func (c *Config) readSecretFiles(dir string) error {
	for _, s := range secrets {
		file := *s.file(c)
		if file == "" {
			continue
		}
		if *s.val(c) != "" {
			return fmt.Errorf("config: both %s and %s_file are set; set one", s.key, s.key)
		}
		if !filepath.IsAbs(file) && dir != "" {
			file = filepath.Join(dir, file)
		}
		data, err := os.ReadFile(file)
		if err != nil {
			// The *PathError names the file, never its content.
			return fmt.Errorf("config: %s_file: %w", s.key, err)
		}
		// An empty file is an unset secret: Validate names it if required.
		v := strings.TrimRight(string(data), "\r\n")
		*s.file(c) = file
		*s.val(c) = v
	}
	return nil
}

// resolvePaths makes posts.dir, data_dir and a SQLite store path absolute,
// relative to dir, and puts the default store in data_dir.
func (c *Config) resolvePaths(dir string) {
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) || dir == "" {
			return p
		}
		return filepath.Join(dir, p)
	}
	c.Posts.Dir = abs(c.Posts.Dir)
	c.DataDir = abs(c.DataDir)
	if c.Store == "" && c.DataDir != "" {
		c.Store = "sqlite://" + filepath.Join(c.DataDir, "paperbot.db")
	}
	if p, ok := c.SQLitePath(); ok && p != "" && p != ":memory:" {
		c.Store = "sqlite://" + abs(p)
	}
}

// NewLogger returns the slog logger log.level and log.format describe,
// writing to w. Unknown values (Validate rejects them) fall back to info
// and text.
func (c *Config) NewLogger(w io.Writer) *slog.Logger {
	var level slog.Level
	switch strings.ToLower(c.Log.Level) {
	case "debug":
		level = slog.LevelDebug
	case "warn", "warning":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if strings.EqualFold(c.Log.Format, "json") {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// GitDir is where the clone of posts.git lives: data_dir/git.
func (c *Config) GitDir() string { return filepath.Join(c.DataDir, "git") }

// ConsoleEnabled reports whether digests are printed to stdout: the console
// setting, or when unset, true exactly when no chat target is configured.
func (c *Config) ConsoleEnabled() bool {
	if c.Console != nil {
		return *c.Console
	}
	return len(c.Slack.Targets) == 0 && len(c.Discord.Targets) == 0
}

// Location returns the Timezone's location (UTC when empty).
func (c *Config) Location() (*time.Location, error) {
	if c.Timezone == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return nil, fmt.Errorf("config: timezone %q: unknown time zone", c.Timezone)
	}
	return loc, nil
}

// SQLitePath returns the file of a sqlite://FILE (or sqlite:FILE) store,
// and false for any other store. After Load the file is absolute.
func (c *Config) SQLitePath() (string, bool) {
	for _, prefix := range []string{"sqlite://", "sqlite3://", "sqlite:", "sqlite3:"} {
		if p, ok := strings.CutPrefix(c.Store, prefix); ok {
			return p, true
		}
	}
	return "", false
}

// Redacted returns a copy of c with every secret replaced by "[redacted]":
// the tokens, the signing secret, a password in the store DSN or the git
// URL, and the token part of Discord webhook URLs.
func (c *Config) Redacted() Config {
	r := *c
	mask := func(s *string) {
		if *s != "" {
			*s = Redacted
		}
	}
	mask(&r.Slack.BotToken)
	mask(&r.Slack.SigningSecret)
	mask(&r.Slack.AppToken)
	mask(&r.Discord.BotToken)
	mask(&r.HTTP.AdminToken)
	mask(&r.Posts.Git.Token)
	r.Store = redactURL(r.Store)
	r.Posts.Git.URL = redactURL(r.Posts.Git.URL)
	r.Slack.Targets = append([]SlackTarget(nil), c.Slack.Targets...)
	r.Discord.Targets = append([]DiscordTarget(nil), c.Discord.Targets...)
	for i := range r.Discord.Targets {
		r.Discord.Targets[i].WebhookURL = redactWebhook(r.Discord.Targets[i].WebhookURL)
	}
	if c.Console != nil {
		v := *c.Console
		r.Console = &v
	}
	return r
}

// redactURL masks the password of a URL with userinfo. A postgres DSN in
// key=value form has its password=... masked; anything unparsable that
// contains "@" is masked whole rather than risk printing a password.
func redactURL(s string) string {
	if s == "" {
		return s
	}
	if strings.Contains(s, "password=") && !strings.Contains(s, "://") {
		f := strings.Fields(s)
		for i, kv := range f {
			if strings.HasPrefix(kv, "password=") {
				f[i] = "password=" + Redacted
			}
		}
		return strings.Join(f, " ")
	}
	u, err := url.Parse(s)
	if err != nil {
		if strings.Contains(s, "@") || strings.Contains(s, "password") {
			return Redacted
		}
		return s
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "REDACTED")
			s = strings.Replace(u.String(), "REDACTED", Redacted, 1)
		}
	}
	if q := u.Query(); q.Has("password") {
		i := strings.Index(s, "password=")
		end := strings.IndexByte(s[i:], '&')
		if end < 0 {
			s = s[:i] + "password=" + Redacted
		} else {
			s = s[:i] + "password=" + Redacted + s[i+end:]
		}
	}
	return s
}

// redactWebhook masks the token, the last path element of a Discord webhook
// URL (/api/webhooks/ID/TOKEN).
func redactWebhook(s string) string {
	if s == "" {
		return s
	}
	u, err := url.Parse(s)
	if err != nil || u.Path == "" {
		return Redacted
	}
	i := strings.LastIndexByte(strings.TrimSuffix(u.Path, "/"), '/')
	if i < 0 {
		return Redacted
	}
	u.Path = u.Path[:i+1] + "REDACTED"
	u.RawPath = ""
	u.RawQuery = ""
	u.User = nil
	return strings.Replace(u.String(), "REDACTED", Redacted, 1)
}

// String prints the redacted config as YAML.
func (c Config) String() string {
	r := c.Redacted()
	out, err := yaml.Marshal(&r)
	if err != nil {
		return "config: " + err.Error()
	}
	return string(out)
}

// GoString keeps %#v from printing secrets.
func (c Config) GoString() string { return c.String() }

// LogValue keeps slog from printing secrets: the redacted settings that
// matter when reading a log.
func (c Config) LogValue() slog.Value {
	r := c.Redacted()
	var targets []string
	for _, t := range r.Slack.Targets {
		targets = append(targets, "slack:"+t.Name)
	}
	for _, t := range r.Discord.Targets {
		targets = append(targets, "discord:"+t.Name)
	}
	if c.ConsoleEnabled() {
		targets = append(targets, ConsoleTarget)
	}
	posts := r.Posts.Dir
	if r.Posts.Git.URL != "" {
		posts = r.Posts.Git.URL
	}
	return slog.GroupValue(
		slog.String("posts", posts),
		slog.String("store", r.Store),
		slog.String("schedule", r.Schedule),
		slog.String("timezone", r.Timezone),
		slog.Duration("catch_up", r.CatchUp),
		slog.String("listen", r.HTTP.Listen),
		slog.Any("targets", targets),
	)
}
