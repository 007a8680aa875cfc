package slack

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Request signing (Slack's "verifying requests from Slack"): the signature
// is "v0=" + hex(HMAC-SHA256(secret, "v0:" + timestamp + ":" + raw body)).
const (
	signatureHeader = "X-Slack-Signature"
	timestampHeader = "X-Slack-Request-Timestamp"
	// MaxSkew is how far a request's timestamp may be from now.
	MaxSkew = 5 * time.Minute
	// DefaultMaxBody caps a request body; Slack's are a few KiB.
	DefaultMaxBody = 64 << 10
)

// Verification failures; both mean 401 with no effect.
var (
	ErrBadSignature = errors.New("slack request signature missing or wrong")
	ErrStale        = errors.New("slack request timestamp missing or outside the 5-minute window")
	// ErrTooLarge means 413.
	ErrTooLarge = errors.New("slack request body too large")
)

// Sign returns the X-Slack-Signature of body sent at timestamp (Unix
// seconds, as text): what Slack computes, and what tests send.
func Sign(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:"))
	mac.Write([]byte(timestamp))
	mac.Write([]byte(":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks the signature headers of a request whose raw body is body,
// against secret, at time now. It compares in constant time.
func Verify(secret string, h http.Header, body []byte, now time.Time) error {
	ts := h.Get(timestampHeader)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrStale
	}
	if d := now.Sub(time.Unix(sec, 0)); d > MaxSkew || d < -MaxSkew {
		return ErrStale
	}
	got := h.Get(signatureHeader)
	if got == "" || secret == "" {
		return ErrBadSignature
	}
	want := Sign(secret, ts, body)
	if !hmac.Equal([]byte(got), []byte(want)) {
		return ErrBadSignature
	}
	return nil
}

// readVerified reads r's body (at most max bytes) and verifies it. On
// success r.Body is replaced by the bytes read, so form parsers can run.
func readVerified(r *http.Request, secret string, max int64, now time.Time) ([]byte, error) {
	if r.ContentLength > max {
		return nil, ErrTooLarge
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if int64(len(body)) > max {
		return nil, ErrTooLarge
	}
	if err := Verify(secret, r.Header, body, now); err != nil {
		return nil, err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	return body, nil
}

// verifyStatus maps a readVerified error to an HTTP status.
func verifyStatus(err error) int {
	switch {
	case errors.Is(err, ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrBadSignature), errors.Is(err, ErrStale):
		return http.StatusUnauthorized
	default:
		return http.StatusBadRequest
	}
}
