package metrics

import (
	"errors"
	"testing"
	"time"

	"github.com/paperbot/paperbot/bot"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func gather(t *testing.T, reg *prometheus.Registry) map[string][]*dto.Metric {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]*dto.Metric{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf.GetMetric()
	}
	return out
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func TestObserver(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := New(reg)
	if err != nil {
		t.Fatal(err)
	}
	var o bot.Observer = m
	before := time.Now().Unix()
	o.Scanned(bot.ScanResult{Listed: 10, Parsed: 2, Failed: 1}, 50*time.Millisecond, nil)
	o.Scanned(bot.ScanResult{Listed: 99}, time.Second, errors.New("git pull failed"))
	o.Sent("team", time.Second, nil)
	o.Sent("team", time.Second, nil)
	o.Sent("lab", 2*time.Second, errors.New("500"))
	o.MissingPost("2025-10-02")
	m.Command("slack", "paper", 2*time.Millisecond, nil)
	m.Command("slack", "paper", 2*time.Millisecond, bot.Errorf(bot.ENOTFOUND, "none"))
	m.Command("discord", "digest", 2*time.Millisecond, errors.New("db down"))

	got := gather(t, reg)
	one := func(name string) *dto.Metric {
		t.Helper()
		if len(got[name]) != 1 {
			t.Fatalf("%s: %d series", name, len(got[name]))
		}
		return got[name][0]
	}
	if v := one("paperbot_posts").GetGauge().GetValue(); v != 10 {
		t.Errorf("posts gauge %v: a failed scan must not overwrite it", v)
	}
	if v := one("paperbot_posts_seen_total").GetCounter().GetValue(); v != 2 {
		t.Errorf("posts seen %v", v)
	}
	if v := one("paperbot_last_successful_scan_timestamp_seconds").GetGauge().GetValue(); int64(v) < before {
		t.Errorf("last scan %v", v)
	}
	if v := one("paperbot_missing_post_alerts_total").GetCounter().GetValue(); v != 1 {
		t.Errorf("alerts %v", v)
	}
	if v := one("paperbot_scan_duration_seconds").GetHistogram().GetSampleCount(); v != 2 {
		t.Errorf("scan durations %v", v)
	}
	deliveries := map[string]float64{}
	for _, s := range got["paperbot_deliveries_total"] {
		deliveries[label(s, "target")+"/"+label(s, "result")] = s.GetCounter().GetValue()
	}
	if deliveries["team/sent"] != 2 || deliveries["lab/failed"] != 1 || len(deliveries) != 2 {
		t.Errorf("deliveries %v", deliveries)
	}
	if n := len(got["paperbot_send_duration_seconds"]); n != 2 {
		t.Errorf("send latency series %d", n)
	}
	results := map[string]float64{}
	for _, s := range got["paperbot_commands_total"] {
		results[label(s, "platform")+"/"+label(s, "command")+"/"+label(s, "result")] = s.GetCounter().GetValue()
	}
	want := map[string]float64{"slack/paper/ok": 1, "slack/paper/not_found": 1, "discord/digest/error": 1}
	for k, v := range want {
		if results[k] != v {
			t.Errorf("commands %v, want %v", results, want)
		}
	}
	m.Platform("slack").Error("team", "channel_not_found")
	m.Platform("discord").Retry("lab", "ratelimited")
	got = gather(t, reg)
	if len(got["paperbot_chat_errors_total"]) != 1 || len(got["paperbot_chat_retries_total"]) != 1 {
		t.Errorf("adapter series: %v / %v", got["paperbot_chat_errors_total"], got["paperbot_chat_retries_total"])
	}
	if _, err := New(reg); err == nil {
		t.Error("a second New on the same registry should fail")
	}
	if _, err := New(nil); err != nil {
		t.Errorf("New(nil): %v", err)
	}
}

func BenchmarkSent(b *testing.B) {
	m, _ := New(nil)
	b.ReportAllocs()
	for b.Loop() {
		m.Sent("team", time.Millisecond, nil)
	}
}

func TestSenderAndFailures(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := New(reg)
	if err != nil {
		t.Fatal(err)
	}
	if v := gather(t, reg)["paperbot_sender"][0].GetGauge().GetValue(); v != 0 {
		t.Errorf("sender before wiring = %v", v)
	}
	sender := true
	m.Sender(func() bool { return sender })
	if v := gather(t, reg)["paperbot_sender"][0].GetGauge().GetValue(); v != 1 {
		t.Errorf("sender = %v, want 1", v)
	}
	m.DeliveryFailed("team", "transient")
	m.DeliveryFailed("team", "transient")
	m.DeliveryFailed("lab", "unreadable")
	got := map[string]float64{}
	for _, s := range gather(t, reg)["paperbot_delivery_failures_total"] {
		got[label(s, "target")+"/"+label(s, "kind")] = s.GetCounter().GetValue()
	}
	if got["team/transient"] != 2 || got["lab/unreadable"] != 1 || len(got) != 2 {
		t.Errorf("failures %v", got)
	}
}
