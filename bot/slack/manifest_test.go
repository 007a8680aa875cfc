package slack

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestManifests keeps deploy/'s app manifests in step with the routes and
// the Web API methods this package uses.
func TestManifests(t *testing.T) {
	t.Parallel()
	type manifest struct {
		Features struct {
			SlashCommands []struct {
				Command string `yaml:"command"`
				URL     string `yaml:"url"`
			} `yaml:"slash_commands"`
		} `yaml:"features"`
		OAuth struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
		Settings struct {
			Interactivity struct {
				Enabled    bool   `yaml:"is_enabled"`
				RequestURL string `yaml:"request_url"`
			} `yaml:"interactivity"`
			SocketMode bool `yaml:"socket_mode_enabled"`
		} `yaml:"settings"`
	}
	for _, tc := range []struct {
		file   string
		socket bool
	}{{"slack-app-manifest.yaml", false}, {"slack-app-manifest.socket-mode.yaml", true}} {
		raw, err := os.ReadFile(filepath.Join("..", "..", "deploy", tc.file))
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		var m manifest
		if err := yaml.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		var cmds []string
		for _, c := range m.Features.SlashCommands {
			cmds = append(cmds, c.Command)
			if !tc.socket && !strings.HasSuffix(c.URL, "/slack/commands") {
				t.Errorf("%s: %s url %q", tc.file, c.Command, c.URL)
			}
		}
		if !slices.Contains(cmds, "/paper") || !slices.Contains(cmds, "/digest") {
			t.Errorf("%s: commands %v", tc.file, cmds)
		}
		for _, s := range []string{"chat:write", "commands", "channels:history"} {
			if !slices.Contains(m.OAuth.Scopes.Bot, s) {
				t.Errorf("%s: missing scope %s", tc.file, s)
			}
		}
		if !m.Settings.Interactivity.Enabled || m.Settings.SocketMode != tc.socket {
			t.Errorf("%s: settings %+v", tc.file, m.Settings)
		}
		if !tc.socket && !strings.HasSuffix(m.Settings.Interactivity.RequestURL, "/slack/interactions") {
			t.Errorf("%s: interactivity url %q", tc.file, m.Settings.Interactivity.RequestURL)
		}
	}
}
