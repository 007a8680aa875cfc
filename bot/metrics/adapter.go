package metrics

import "github.com/prometheus/client_golang/prometheus"

// adapterMetrics count what the chat adapters report: permanent errors
// (by Slack or Discord error code) and retries (by reason).
type adapterMetrics struct {
	errors  *prometheus.CounterVec
	retries *prometheus.CounterVec
}

func newAdapterMetrics() adapterMetrics {
	return adapterMetrics{
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paperbot_chat_errors_total",
			Help: "Permanent errors from a chat platform, by platform, target and error code (channel_not_found, invalid_auth, ...).",
		}, []string{"platform", "target", "code"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paperbot_chat_retries_total",
			Help: "Retried chat API calls, by platform, target and reason (ratelimited, transient).",
		}, []string{"platform", "target", "reason"}),
	}
}

// AdapterError counts a permanent error a chat adapter reported.
func (m *Metrics) AdapterError(platform, target, code string) {
	m.adapter.errors.WithLabelValues(platform, target, code).Inc()
}

// AdapterRetry counts a retried chat API call.
func (m *Metrics) AdapterRetry(platform, target, reason string) {
	m.adapter.retries.WithLabelValues(platform, target, reason).Inc()
}
