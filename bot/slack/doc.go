// Package slack is paperbot's Slack adapter, built on slack-go: a Target
// that delivers digests to a channel exactly once (chat.postMessage with
// delivery metadata, Recover through conversations.history, Edit with
// chat.update; 429s and 5xx retried, permanent errors reported at once), a
// Handler that answers /paper and /digest and the Details/Hide/Share
// buttons over HTTP (requests verified with the signing secret on the raw
// body) and SocketMode, which serves the same Handler over Slack's Socket
// Mode websocket. slackfake holds a local fake of the Slack API for tests.
package slack
