package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// adapterMetrics count what the chat adapters report: permanent errors
// (by Slack or Discord error code) and retries (by reason).
type adapterMetrics struct {
	errors  *prometheus.CounterVec
	retries *prometheus.CounterVec
}

func newAdapterMetrics() adapterMetrics {
	return adapterMetrics{
		errors:  counterVec("paperbot_chat_errors_total", "Permanent errors from a chat platform, by platform, target and error code (channel_not_found, invalid_auth, ...).", "platform", "target", "code"),
		retries: counterVec("paperbot_chat_retries_total", "Retried chat API calls, by platform, target and reason (ratelimited, transient).", "platform", "target", "reason"),
	}
}

// Platform is the metrics of one chat platform as its adapter reports
// them (permanent errors, retries, answered commands): the one value cmd
// hands the Slack or Discord adapter as its Metrics.
type Platform struct {
	m    *Metrics
	name string
}

// Platform returns the metrics of platform "slack" or "discord".
func (m *Metrics) Platform(name string) Platform { return Platform{m: m, name: name} }

// Error counts a permanent error the adapter reported, by error code.
func (p Platform) Error(target, code string) {
	p.m.adapter.errors.WithLabelValues(p.name, target, code).Inc()
}

// Retry counts a retried chat API call, by reason.
func (p Platform) Retry(target, reason string) {
	p.m.adapter.retries.WithLabelValues(p.name, target, reason).Inc()
}

// Command records one answered chat command (see Metrics.Command).
func (p Platform) Command(command string, d time.Duration, err error) {
	p.m.Command(p.name, command, d, err)
}
