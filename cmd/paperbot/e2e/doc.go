// Package e2e tests the paperbot command from the outside, as a user runs
// it: the binary is built once per run (with -race when the tests run with
// it; the link is skipped when the binary kept from the last run is up to
// date), and each test starts `paperbot run` as a process of its own, with
// a config file, against the fake Slack and Discord servers
// (bot/slack/slackfake, bot/discord/discordfake). The process listens on
// 127.0.0.1:0 and the test reads the address from its "http listening" log
// line. Here live the tests that need whole processes: headless Chromium
// reading the status pages, and two replicas sharing one PostgreSQL with a
// real sender failover. The package has no code outside its tests.
package e2e
