package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// timingFields names the Timing fields `paperbot run --timing` may set:
// the end-to-end tests run the built binary on short waits this way, the
// way in-process tests set Main.Timing.
func (t *Timing) fields() map[string]*time.Duration {
	return map[string]*time.Duration{
		"slack_pace":      &t.SlackPace,
		"retry_base":      &t.CallRetry.Base,
		"retry_max":       &t.CallRetry.Max,
		"retry_after_min": &t.CallRetry.MinRetryAfter,
		"http_timeout":    &t.CallRetry.CallTimeout,
		"delivery":        &t.Delivery,
		"redeliver_min":   &t.RedeliverMin,
		"redeliver_max":   &t.RedeliverMax,
		"lease_ttl":       &t.LeaseTTL,
		"gateway_poll":    &t.GatewayPoll,
	}
}

// Set parses NAME=DURATION[,NAME=DURATION...] into t (flag.Value).
func (t *Timing) Set(s string) error {
	fields := t.fields()
	for _, kv := range strings.Split(s, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		name, val, ok := strings.Cut(kv, "=")
		p := fields[strings.TrimSpace(name)]
		if !ok || p == nil {
			return fmt.Errorf("%q is not NAME=DURATION with NAME one of %s", kv, strings.Join(t.names(), ", "))
		}
		d, err := time.ParseDuration(strings.TrimSpace(val))
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		*p = d
	}
	return nil
}

// String lists the fields set, in name order (flag.Value).
func (t *Timing) String() string {
	if t == nil {
		return ""
	}
	fields := t.fields()
	var out []string
	for _, name := range t.names() {
		if d := *fields[name]; d != 0 {
			out = append(out, name+"="+d.String())
		}
	}
	return strings.Join(out, ",")
}

func (t *Timing) names() []string {
	var names []string
	for name := range t.fields() {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
