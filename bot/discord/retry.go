package discord

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/backoff"
)

// Discord's JSON error codes the adapter names (the "code" of an error body).
const (
	codeUnknownChannel  = 10003
	codeUnknownMessage  = 10008
	codeUnknownWebhook  = 10015
	codeBadWebhookToken = 50027
	codeMissingAccess   = 50001
	codeMissingPerms    = 50013
	codeInvalidFormBody = 50035
)

// hints say in a sentence what to fix for a permanent failure.
var hints = map[int]string{
	codeUnknownChannel:  "the channel does not exist or the bot cannot see it",
	codeUnknownMessage:  "the message to change no longer exists",
	codeUnknownWebhook:  "the webhook does not exist (check webhook_url)",
	codeBadWebhookToken: "the webhook token is wrong (check webhook_url)",
	codeMissingAccess:   "the bot cannot see the channel: add it to the server and allow View Channel",
	codeMissingPerms:    "the bot lacks a permission in the channel (Send Messages, Embed Links)",
	codeInvalidFormBody: "Discord refused the message (invalid form body)",
}

// DiscordError is a permanent failure of a Discord call: the HTTP status,
// Discord's JSON error code (0 when none) and message, and a hint. It
// never holds the token or a webhook URL.
type DiscordError struct {
	Op      string
	Status  int
	Code    int
	Message string
	Hint    string
}

func (e *DiscordError) Error() string {
	s := fmt.Sprintf("%s: discord HTTP %d", e.Op, e.Status)
	if e.Code != 0 {
		s += fmt.Sprintf(" code %d", e.Code)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Hint != "" {
		s += " (" + e.Hint + ")"
	}
	return s
}

// StatusOf returns the HTTP status of a Discord failure in err's chain, or 0.
func StatusOf(err error) int {
	if de, ok := errors.AsType[*DiscordError](err); ok {
		return de.Status
	}
	if re, ok := errors.AsType[*discordgo.RESTError](err); ok && re.Response != nil {
		return re.Response.StatusCode
	}
	return 0
}

// CodeOf returns Discord's JSON error code in err's chain, or 0.
func CodeOf(err error) int {
	if de, ok := errors.AsType[*DiscordError](err); ok {
		return de.Code
	}
	if re, ok := errors.AsType[*discordgo.RESTError](err); ok && re.Message != nil {
		return re.Message.Code
	}
	return 0
}

// Retry tunes how transient failures are retried (see backoff.Policy);
// a 429 without a usable Retry-After waits at least 100ms.
type Retry = backoff.Policy

func withDefaults(r Retry) Retry { return r.WithDefaults(100 * time.Millisecond) }

// classify decides whether err is worth another try; ctx is the caller's
// context (a per-call timeout ending is transient, the caller's is not).
func classify(ctx context.Context, err error) (backoff.Kind, time.Duration) {
	if ctx.Err() != nil {
		return backoff.Permanent, 0
	}
	var rl *discordgo.RateLimitError
	if errors.As(err, &rl) && rl.RateLimit != nil && rl.TooManyRequests != nil {
		return backoff.RateLimited, rl.RetryAfter
	}
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil {
		c := re.Response.StatusCode
		if c >= 500 || c == 408 || c == 429 {
			return backoff.Transient, 0
		}
		return backoff.Permanent, 0
	}
	if errors.Is(err, discordgo.ErrJSONUnmarshal) {
		return backoff.Permanent, 0
	}
	if strings.Contains(err.Error(), "Exceeded Max retries") { // discordgo's 502 loop
		return backoff.Transient, 0
	}
	if backoff.NetworkTransient(err) {
		return backoff.Transient, 0
	}
	return backoff.Permanent, 0
}

func sleep(ctx context.Context, d time.Duration) error { return backoff.Sleep(ctx, d) }

// permanentError turns a final error of op into a *DiscordError when it
// came from Discord, and otherwise wraps it with secrets removed.
func permanentError(op string, err error, secrets ...string) error {
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil {
		de := &DiscordError{Op: op, Status: re.Response.StatusCode}
		if re.Message != nil {
			de.Code, de.Message = re.Message.Code, redact(re.Message.Message, secrets)
		}
		de.Hint = hints[de.Code]
		if de.Hint == "" && de.Status == 401 {
			de.Hint = "the bot token is invalid (discord.bot_token)"
		}
		if refusesPost(de) {
			return bot.Permanent(de)
		}
		return de
	}
	return fmt.Errorf("%s: %s", op, redact(err.Error(), secrets))
}

// refusesPost reports whether Discord refused the message itself (a 4xx
// other than 429, such as 400 invalid form body or 413), as opposed to the
// target's setup (a bad token, a missing channel or permission: 401, 403,
// 404), which every post would hit alike. Only the first is marked
// bot.Permanent: the post fails alone and later posts go on, while a
// broken setup holds the queue until it is fixed, keeping date order.
func refusesPost(de *DiscordError) bool {
	switch de.Status {
	case 401, 403, 404, 429:
		return false
	}
	switch de.Code {
	case codeUnknownChannel, codeUnknownWebhook, codeBadWebhookToken, codeMissingAccess, codeMissingPerms:
		return false
	}
	return de.Status >= 400 && de.Status < 500
}

// redact removes secrets (a webhook token appears in the URL that
// net/http errors quote) from s.
func redact(s string, secrets []string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "***")
		}
	}
	return s
}

// request performs one REST call with retries: 429s wait Retry-After (the
// JSON retry_after), transient failures back off; permanent ones return at
// once. discordgo's own limiter still paces the buckets from the
// X-RateLimit headers; its blind 429 sleep is turned off per call so the
// wait honours ctx.
func request(ctx context.Context, s *discordgo.Session, r Retry, op, method, url, bucket string, body any, onRetry func(reason string), secrets ...string) ([]byte, error) {
	// unknown: an attempt failed in a way that may have reached Discord (a
	// timeout, a 5xx, a reset). Without one, a final failure sent nothing.
	unknown := false
	unsent := 0 // attempts in a row that never left the machine
	for attempt := 0; ; attempt++ {
		cctx, cancel := context.WithTimeout(ctx, r.CallTimeout)
		out, err := s.RequestWithBucketID(method, url, body, bucket,
			discordgo.WithContext(cctx), discordgo.WithRetryOnRatelimit(false))
		cancel()
		if err == nil {
			return out, nil
		}
		unknown = unknown || !refusedBeforeSending(err)
		if unsent++; !backoff.NotSent(err) {
			unsent = 0
		}
		kind, wait := classify(ctx, err)
		if ctx.Err() != nil {
			return nil, settled(fmt.Errorf("%s: %w (last error: %s)", op, ctx.Err(), redact(err.Error(), secrets)), unknown)
		}
		switch kind {
		case backoff.RateLimited:
			wait = max(wait, r.MinRetryAfter)
			if onRetry != nil {
				onRetry("ratelimited")
			}
		case backoff.Transient:
			if unsent >= backoff.MaxUnsent {
				return nil, settled(fmt.Errorf("%s: %s", op, redact(err.Error(), secrets)), unknown)
			}
			wait = r.Delay(attempt)
			if onRetry != nil {
				onRetry("transient")
			}
		default:
			return nil, permanentError(op, err, secrets...)
		}
		if serr := sleep(ctx, wait); serr != nil {
			return nil, settled(fmt.Errorf("%s: gave up after %d attempts: %s", op, attempt+1, redact(err.Error(), secrets)), unknown)
		}
	}
}

// settled marks a final transient error as having sent nothing when no
// attempt could have reached Discord.
func settled(err error, unknown bool) error {
	if unknown {
		return err
	}
	return bot.NotSent(err)
}

// refusedBeforeSending reports whether a failed call surely changed
// nothing: Discord answered with a 4xx (429 included), or the request
// never left the machine (a refused connection, DNS).
func refusedBeforeSending(err error) bool {
	if st := StatusOf(err); st != 0 {
		return st < 500
	}
	var rl *discordgo.RateLimitError
	if errors.As(err, &rl) {
		return true
	}
	return backoff.NotSent(err)
}
