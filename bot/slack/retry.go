package slack

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/backoff"
)

// permanentCodes are Slack errors that no retry can fix: a person has to
// change the config, the token or the channel. They are returned at once.
var permanentCodes = map[string]string{
	"invalid_auth":            "the bot token is invalid (slack.bot_token)",
	"not_authed":              "no bot token was sent (slack.bot_token)",
	"account_inactive":        "the bot token belongs to a deactivated app or user",
	"token_revoked":           "the bot token was revoked",
	"token_expired":           "the bot token expired",
	"missing_scope":           "the app lacks an OAuth scope (see deploy/slack-app-manifest.yaml)",
	"channel_not_found":       "the channel does not exist or the bot cannot see it",
	"not_in_channel":          "the bot is not a member of the channel: /invite it",
	"is_archived":             "the channel is archived",
	"restricted_action":       "the workspace does not allow the bot to post there",
	"msg_too_long":            "the message is too long",
	"msg_blocks_too_long":     "the message's blocks are too long",
	"invalid_blocks":          "Slack refused the message's blocks",
	"invalid_blocks_format":   "Slack refused the message's blocks",
	"no_text":                 "the message has no text",
	"message_not_found":       "the message to change no longer exists",
	"cant_update_message":     "the message was not posted by this bot",
	"cant_delete_message":     "the message was not posted by this bot",
	"invalid_metadata_format": "Slack refused the message metadata",
}

// targetCodes are permanent errors of the target (its token, its channel,
// its scopes), not of the post being sent: every post would fail the same
// way until a person fixes the config. They are not marked bot.Permanent,
// so the engine holds the target's queue and retries with backoff, and the
// posts go out in date order once it is fixed, instead of each failing.
var targetCodes = map[string]bool{
	"invalid_auth": true, "not_authed": true, "account_inactive": true, "token_revoked": true,
	"token_expired": true, "missing_scope": true, "channel_not_found": true, "not_in_channel": true,
	"is_archived": true, "restricted_action": true, "http_401": true, "http_403": true, "http_404": true,
}

// transientCodes are Slack errors answered with HTTP 200 that are worth a
// retry with backoff.
var transientCodes = map[string]bool{
	"ratelimited":         true,
	"internal_error":      true,
	"fatal_error":         true,
	"service_unavailable": true,
	"request_timeout":     true,
}

// SlackError is a permanent failure of a Slack call: Code is Slack's error
// code, Hint says in a sentence what to fix. The chain holds slack-go's error.
type SlackError struct {
	Op   string
	Code string
	Hint string
	Err  error
}

func (e *SlackError) Error() string {
	if e.Hint == "" {
		return fmt.Sprintf("%s: slack error %s", e.Op, e.Code)
	}
	return fmt.Sprintf("%s: %s (%s)", e.Op, e.Hint, e.Code)
}

func (e *SlackError) Unwrap() error { return e.Err }

// ErrorCodeOf returns Slack's error code in err's chain ("channel_not_found"),
// "ratelimited" for a 429, "http_NNN" for an HTTP status, or "".
func ErrorCodeOf(err error) string {
	var se *SlackError
	if errors.As(err, &se) {
		return se.Code
	}
	var ser slack.SlackErrorResponse
	if errors.As(err, &ser) {
		return ser.Err
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return "ratelimited"
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		return fmt.Sprintf("http_%d", sc.Code)
	}
	return ""
}

// Retry tunes how transient failures are retried (see backoff.Policy);
// a 429 without a usable Retry-After waits at least 1s.
type Retry = backoff.Policy

func withDefaults(r Retry) Retry { return r.WithDefaults(time.Second) }

// classify decides whether err is worth another try; ctx is the caller's
// context (a per-call timeout ending is transient, the caller's is not).
func classify(ctx context.Context, err error) (backoff.Kind, time.Duration) {
	if ctx.Err() != nil {
		return backoff.Permanent, 0
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return backoff.RateLimited, rl.RetryAfter
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		if sc.Code >= 500 || sc.Code == 429 || sc.Code == 408 {
			return backoff.Transient, 0
		}
		return backoff.Permanent, 0
	}
	var ser slack.SlackErrorResponse
	if errors.As(err, &ser) {
		if transientCodes[ser.Err] {
			return backoff.Transient, 0
		}
		return backoff.Permanent, 0
	}
	if backoff.NetworkTransient(err) {
		return backoff.Transient, 0
	}
	return backoff.Permanent, 0
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error { return backoff.Sleep(ctx, d) }

// permanentError wraps a final error of op with its code and hint. A
// refusal of the message itself (msg_too_long, invalid_blocks, a 400...)
// is marked bot.Permanent: the post fails alone and later posts go on.
func permanentError(op string, err error) error {
	code := ErrorCodeOf(err)
	if code == "" {
		return fmt.Errorf("%s: %w", op, err)
	}
	se := &SlackError{Op: op, Code: code, Hint: permanentCodes[code], Err: err}
	if targetCodes[code] {
		return se
	}
	return bot.Permanent(se)
}
