package discord

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/discord/discordfake"
)

// TestPostFailureKinds checks what a failed Post tells the engine: whether
// the post failed alone (permanent), sent nothing, or may have gone out.
func TestPostFailureKinds(t *testing.T) {
	d := exampleDigest("2025-01-02", 1, false)
	tests := []struct {
		name               string
		target             func(f *discordfake.Server) *Target
		permanent, notSent bool
	}{{
		name: "refused connection",
		target: func(f *discordfake.Server) *Target {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			url := "http://" + ln.Addr().String()
			ln.Close()
			s, err := NewSession(testToken, url)
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
			f := newFake(t)
			tg := tt.target(f)
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			_, err := tg.Post(ctx, d, "pb-0123456789abcdef")
			if err == nil {
				t.Fatal("Post succeeded")
			}
			if bot.IsPermanent(err) != tt.permanent || bot.IsNotSent(err) != tt.notSent {
				t.Errorf("err %v: permanent %v notSent %v, want %v %v", err, bot.IsPermanent(err), bot.IsNotSent(err), tt.permanent, tt.notSent)
			}
		})
	}
}
