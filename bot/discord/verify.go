package discord

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"time"
)

// MaxSignatureAge is how old (or how far in the future) an interaction's
// X-Signature-Timestamp may be. discordgo.VerifyInteraction checks only the
// signature, so a captured request could be replayed forever without this.
const MaxSignatureAge = 5 * time.Minute

var (
	errNoSignature  = errors.New("missing X-Signature-Ed25519 or X-Signature-Timestamp")
	errBadSignature = errors.New("invalid request signature")
	errStale        = errors.New("request timestamp outside the 5-minute window")
)

// verifyRequest checks the Ed25519 signature over timestamp+body and the
// timestamp's age (Unix seconds) against now.
func verifyRequest(h http.Header, body []byte, key ed25519.PublicKey, now time.Time) error {
	sigHex, ts := h.Get("X-Signature-Ed25519"), h.Get("X-Signature-Timestamp")
	if sigHex == "" || ts == "" {
		return errNoSignature
	}
	sig, err := hex.DecodeString(sigHex)
	if err != nil || len(sig) != ed25519.SignatureSize || len(key) != ed25519.PublicKeySize {
		return errBadSignature
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errStale
	}
	age := now.Sub(time.Unix(secs, 0))
	if age > MaxSignatureAge || age < -MaxSignatureAge {
		return errStale
	}
	msg := make([]byte, 0, len(ts)+len(body))
	msg = append(append(msg, ts...), body...)
	if !ed25519.Verify(key, msg, sig) {
		return errBadSignature
	}
	return nil
}
