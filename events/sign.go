package events

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/truce-project/truce"
)

// Headers of a webhook delivery.
const (
	HeaderSignature = "X-Truce-Signature"
	HeaderTimestamp = "X-Truce-Timestamp"
	HeaderEventID   = "X-Truce-Event-Id"
	HeaderDelivery  = "X-Truce-Delivery"
)

// Sign returns the X-Truce-Signature value for a body sent at timestamp
// (Unix seconds, as sent in X-Truce-Timestamp): "sha256=" and the hex
// HMAC-SHA256, keyed with the webhook secret, of timestamp "." body.
func Sign(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a delivery as a receiver should: the signature matches
// (compared in constant time) and the timestamp is within tolerance of
// now, so a captured delivery cannot be replayed later.
func Verify(secret, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return truce.Errorf(truce.EUNAUTHORIZED, "%s is not a Unix time.", HeaderTimestamp)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return truce.Errorf(truce.EUNAUTHORIZED, "%s is %s from now, beyond the %s tolerance.", HeaderTimestamp, d.Round(time.Second), tolerance)
	}
	want := Sign(secret, timestamp, body)
	if !strings.HasPrefix(signature, "sha256=") || !hmac.Equal([]byte(signature), []byte(want)) {
		return truce.Errorf(truce.EUNAUTHORIZED, "%s does not match the body.", HeaderSignature)
	}
	return nil
}
