package main

import (
	"strings"
	"testing"
	"time"

	"github.com/paperbot/paperbot/bot/backoff"
)

func TestTimingFlag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Timing
		err  string
	}{
		{"", Timing{}, ""},
		{"delivery=2s", Timing{Delivery: 2 * time.Second}, ""},
		{" slack_pace=1ms , retry_base=200ms,retry_max=400ms,retry_after_min=1ms,http_timeout=10s,redeliver_min=2m,redeliver_max=4m,lease_ttl=300ms,gateway_poll=5ms,",
			Timing{
				SlackPace:    time.Millisecond,
				CallRetry:    backoff.Policy{Base: 200 * time.Millisecond, Max: 400 * time.Millisecond, MinRetryAfter: time.Millisecond, CallTimeout: 10 * time.Second},
				RedeliverMin: 2 * time.Minute, RedeliverMax: 4 * time.Minute,
				LeaseTTL: 300 * time.Millisecond, GatewayPoll: 5 * time.Millisecond,
			}, ""},
		{"pace=1ms", Timing{}, `"pace=1ms" is not NAME=DURATION with NAME one of delivery, gateway_poll,`},
		{"delivery", Timing{}, `"delivery" is not NAME=DURATION`},
		{"delivery=soon", Timing{}, `delivery: time: invalid duration "soon"`},
	}
	for _, tt := range tests {
		var got Timing
		err := got.Set(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Set(%q) = %v, want an error with %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Set(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			continue
		}
		// String gives back what Set reads.
		var again Timing
		if err := again.Set(got.String()); err != nil || again != got {
			t.Errorf("Set(String()) = %+v, %v; want %+v (String %q)", again, err, got, got.String())
		}
	}
	// The flag on the command line: a bad list is a usage error.
	if code, _, errs := paperbot(t, "run", "--timing", "nope=1s"); code != 2 || !strings.Contains(errs, "invalid value") {
		t.Errorf("run --timing nope=1s: exit %d, %q", code, errs)
	}
}
