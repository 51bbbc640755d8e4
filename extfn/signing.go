package extfn

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ringfence/ringfence/secret"
)

const (
	// HeaderTimestamp carries the signing time in Unix seconds, as a decimal integer.
	HeaderTimestamp = "X-Ringfence-Timestamp"
	// HeaderSignature carries one or more comma-separated signatures "v1=<hex>", where <hex> is
	// the lower-case hexadecimal HMAC-SHA256 (RFC 2104, FIPS 180-4) keyed with the signing
	// secret over the bytes of: the HeaderTimestamp value, ".", the request body.
	HeaderSignature = "X-Ringfence-Signature"
	// SignatureScheme is the prefix of a signature entry in HeaderSignature.
	SignatureScheme = "v1"
	// DefaultTolerance is the accepted clock difference used by VerifyRequest when its
	// tolerance argument is zero or negative: 5 minutes.
	DefaultTolerance = 5 * time.Minute
	// MinSecretBytes is the shortest signing secret a Registry accepts.
	MinSecretBytes = 16
	// maxSignatureHeader bounds the work VerifyRequest does on a hostile header.
	maxSignatureHeader = 1024
)

// Sign returns the HeaderSignature value ("v1=<64 hex digits>") for body signed at timestamp
// (Unix seconds) with key.
func Sign(key secret.Value[string], timestamp int64, body []byte) string {
	return SignatureScheme + "=" + hex.EncodeToString(mac(key, strconv.FormatInt(timestamp, 10), body))
}

func mac(key secret.Value[string], ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(key.Reveal()))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// VerifyCode says why VerifyRequest rejected a request.
type VerifyCode string

const (
	// VerifyMissing: no timestamp or no v1 signature header.
	VerifyMissing VerifyCode = "missing_signature"
	// VerifyMalformed: the timestamp is not a decimal integer, or the header is unparsable or
	// too long.
	VerifyMalformed VerifyCode = "malformed_signature"
	// VerifyStale: the timestamp is outside the tolerance window (replay or clock skew).
	VerifyStale VerifyCode = "stale_timestamp"
	// VerifyMismatch: no v1 signature matches the body and key.
	VerifyMismatch VerifyCode = "signature_mismatch"
)

// VerifyError is the error VerifyRequest returns.
type VerifyError struct {
	Code VerifyCode
}

// Error returns "verify request: " and the code.
func (e *VerifyError) Error() string { return "verify request: " + string(e.Code) }

// VerifyRequest is for receivers of Ringfence function calls: it checks that h carries a
// HeaderTimestamp within tolerance of now (DefaultTolerance when tolerance <= 0) and a
// HeaderSignature with at least one v1 entry that matches body under key. Comparison is in
// constant time. Entries with other schemes are ignored, so a future scheme can be added
// alongside v1. body must be the exact bytes received, before any JSON decoding. Receivers
// should also remember recently seen signatures for the tolerance window to refuse replays.
//
// It returns nil or a *VerifyError.
func VerifyRequest(h http.Header, body []byte, key secret.Value[string], now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	tsText := h.Get(HeaderTimestamp)
	sigText := h.Get(HeaderSignature)
	if tsText == "" || sigText == "" {
		return &VerifyError{Code: VerifyMissing}
	}
	if len(sigText) > maxSignatureHeader || len(tsText) > 20 {
		return &VerifyError{Code: VerifyMalformed}
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil || strconv.FormatInt(ts, 10) != tsText {
		return &VerifyError{Code: VerifyMalformed}
	}
	skew := now.Sub(time.Unix(ts, 0))
	if skew > tolerance || skew < -tolerance {
		return &VerifyError{Code: VerifyStale}
	}
	want := mac(key, tsText, body)
	found := false
	for _, entry := range strings.Split(sigText, ",") {
		scheme, value, ok := strings.Cut(strings.TrimSpace(entry), "=")
		if !ok || scheme != SignatureScheme {
			continue
		}
		found = true
		got, err := hex.DecodeString(value)
		if err != nil {
			continue
		}
		if hmac.Equal(got, want) {
			return nil
		}
	}
	if !found {
		return &VerifyError{Code: VerifyMissing}
	}
	return &VerifyError{Code: VerifyMismatch}
}
