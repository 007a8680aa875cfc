// Package metrics backs the engine's bot.Observer and the chat adapters'
// command timings with Prometheus series, so /metrics shows what the bot
// did: scans and the posts they saw, deliveries sent and failed per target
// with their latency, command latency per platform and command, the time of
// the last successful scan, and missing-post alerts. It only records; the
// web package serves the registry.
package metrics

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/paperbot/paperbot/bot"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics implements bot.Observer. Create it with New; the zero value is not
// usable.
type Metrics struct {
	scans         *prometheus.CounterVec
	scanDuration  prometheus.Histogram
	lastScan      prometheus.Gauge
	postsListed   prometheus.Gauge
	postsParsed   prometheus.Counter
	postsFailed   prometheus.Counter
	postsDeleted  prometheus.Counter
	deliveries    *prometheus.CounterVec
	sendDuration  *prometheus.HistogramVec
	commands      *prometheus.CounterVec
	commandTime   *prometheus.HistogramVec
	missingAlerts prometheus.Counter
	failures      *prometheus.CounterVec
	sender        prometheus.GaugeFunc
	isSender      atomic.Pointer[func() bool]
	adapter       adapterMetrics
}

var _ bot.FailureObserver = (*Metrics)(nil)

var _ bot.Observer = (*Metrics)(nil)

// New creates the series and registers them on reg (nil: a registry of
// their own, for tests). Registering twice on one registry fails.
func New(reg prometheus.Registerer) (*Metrics, error) {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &Metrics{
		scans: counterVec("paperbot_scans_total", "Scans of the posts source, by result (ok or error).", "result"),
		scanDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "paperbot_scan_duration_seconds",
			Help:    "Time a scan of the posts source took.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}),
		lastScan:     gauge("paperbot_last_successful_scan_timestamp_seconds", "Unix time of the last successful scan (0: none yet in this process)."),
		postsListed:  gauge("paperbot_posts", "Dated post files the source listed at the last scan."),
		postsParsed:  counter("paperbot_posts_seen_total", "Post files parsed and indexed because they were new or edited."),
		postsFailed:  counter("paperbot_posts_failed_total", "Post files that could not be read or parsed, counted per scan."),
		postsDeleted: counter("paperbot_posts_deleted_total", "Post files that disappeared from the source."),
		deliveries:   counterVec("paperbot_deliveries_total", "Calls to a target to post or edit a digest, by target and result (sent or failed).", "target", "result"),
		sendDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "paperbot_send_duration_seconds",
			Help: "Time one delivery call to a target took, retries included.",
			// Slack allows ~1 message/s per channel and retries back off:
			// seconds to minutes are normal here.
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120},
		}, []string{"target"}),
		commands: counterVec("paperbot_commands_total", "Chat commands answered, by platform, command and result (ok, not_found, invalid, error).", "platform", "command", "result"),
		commandTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "paperbot_command_duration_seconds",
			Help: "Time to answer a chat command, by platform and command.",
			// Slack wants an answer within 3 s.
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"platform", "command"}),
		missingAlerts: counter("paperbot_missing_post_alerts_total", "Days whose post was not there by the expect_by deadline."),
	}
	m.failures = counterVec("paperbot_delivery_failures_total", "Failed delivery attempts, by target and kind: transient (retried by itself, holds later posts), permanent (refused or unrenderable: failed alone) or unreadable (the stored post cannot be read back).", "target", "kind")
	m.sender = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "paperbot_sender",
		Help: "1 while this replica holds the sender lease (it delivers and runs the Discord gateway), else 0.",
	}, func() float64 {
		if f := m.isSender.Load(); f != nil && (*f)() {
			return 1
		}
		return 0
	})
	m.adapter = newAdapterMetrics()
	for _, c := range []prometheus.Collector{
		m.scans, m.scanDuration, m.lastScan, m.postsListed, m.postsParsed, m.postsFailed,
		m.postsDeleted, m.deliveries, m.sendDuration, m.commands, m.commandTime, m.missingAlerts,
		m.adapter.errors, m.adapter.retries, m.failures, m.sender,
	} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: register: %w", err)
		}
	}
	return m, nil
}

// Scanned implements bot.Observer.
func (m *Metrics) Scanned(r bot.ScanResult, d time.Duration, err error) {
	m.scanDuration.Observe(d.Seconds())
	m.postsParsed.Add(float64(r.Parsed))
	m.postsFailed.Add(float64(r.Failed))
	m.postsDeleted.Add(float64(r.Deleted))
	if err != nil {
		m.scans.WithLabelValues("error").Inc()
		return
	}
	m.scans.WithLabelValues("ok").Inc()
	m.postsListed.Set(float64(r.Listed))
	m.lastScan.SetToCurrentTime()
}

// Sent implements bot.Observer.
func (m *Metrics) Sent(target string, d time.Duration, err error) {
	m.sendDuration.WithLabelValues(target).Observe(d.Seconds())
	result := "sent"
	if err != nil {
		result = "failed"
	}
	m.deliveries.WithLabelValues(target, result).Inc()
}

// DeliveryFailed implements bot.FailureObserver.
func (m *Metrics) DeliveryFailed(target, kind string) {
	m.failures.WithLabelValues(target, kind).Inc()
}

// Sender makes paperbot_sender follow isSender (the engine's IsSender).
func (m *Metrics) Sender(isSender func() bool) { m.isSender.Store(&isSender) }

// MissingPost implements bot.Observer.
func (m *Metrics) MissingPost(day string) { m.missingAlerts.Inc() }

// Command records one chat command answered: platform "slack" or
// "discord", command "paper" or "digest" (keep both to a fixed set: they
// are labels). A not-found answer is a normal outcome, not an error.
func (m *Metrics) Command(platform, command string, d time.Duration, err error) {
	m.commandTime.WithLabelValues(platform, command).Observe(d.Seconds())
	m.commands.WithLabelValues(platform, command, commandResult(err)).Inc()
}

func commandResult(err error) string {
	switch code := bot.ErrorCode(err); code {
	case "":
		return "ok"
	case bot.ENOTFOUND, bot.EINVALID, bot.EUNAUTHORIZED:
		return code
	}
	var e *bot.Error
	if errors.As(err, &e) && e.Code != bot.EINTERNAL {
		return e.Code
	}
	return "error"
}

// counterVec, counter and gauge make the plain series; the histograms keep
// their own buckets where they are made.
func counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
}

func counter(name, help string) prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
}

func gauge(name, help string) prometheus.Gauge {
	return prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
}
