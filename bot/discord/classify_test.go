package discord

import (
	"testing"

	"github.com/paperbot/paperbot/bot/bottest"
	"github.com/paperbot/paperbot/bot/discord/discordfake"
)

// TestPostFailureKinds checks what a failed Post tells the engine: whether
// the post failed alone (permanent), sent nothing, or may have gone out.
func TestPostFailureKinds(t *testing.T) {
	t.Parallel()
	d := exampleDigest("2025-01-02", 1, false)
	tests := []struct {
		name               string
		target             func(f *discordfake.Server) *Target
		permanent, notSent bool
	}{{
		name: "refused connection",
		target: func(f *discordfake.Server) *Target {
			s, err := NewSession(testToken, "http://"+bottest.FreeAddr(t))
			if err != nil {
				t.Fatal(err)
			}
			tg, err := NewTarget(s, TargetConfig{Name: "lab", Channel: testChannel, Retry: fastRetry}, nil)
			if err != nil {
				t.Fatal(err)
			}
			return tg
		},
		notSent: true,
	}, {
		name:      "payload refused (400)",
		target:    func(f *discordfake.Server) *Target { f.FailNext(1000, 400); return newTarget(t, f, TargetConfig{}) },
		permanent: true,
	}, {
		name:    "missing permission (403): the target, not the post",
		target:  func(f *discordfake.Server) *Target { f.FailNext(1000, 403); return newTarget(t, f, TargetConfig{}) },
		notSent: false,
	}, {
		name:   "500 to everything: unknown outcome",
		target: func(f *discordfake.Server) *Target { f.FailNext(1000, 500); return newTarget(t, f, TargetConfig{}) },
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bottest.PostFails(t, tt.target(newFake(t)), d, tt.permanent, tt.notSent)
		})
	}
}
