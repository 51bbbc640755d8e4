package sigv4

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ringfence/ringfence/secret"
)

// Defaults applied by New to zero Config fields.
const (
	// DefaultService is the SigV4 signing name of the Amazon Connect API.
	DefaultService = "connect"
	// DefaultMaxSkew is how far X-Amz-Date may be from the server clock, either way
	// (AWS services allow 5 minutes).
	DefaultMaxSkew = 5 * time.Minute
	// DefaultMaxBodyBytes is the largest body Verify reads and hashes: 2 MiB, room for
	// a 256,000-character flow JSON-escaped inside a CreateContactFlow request.
	DefaultMaxBodyBytes = 2 << 20
	// DefaultKeyCacheSize is how many derived signing keys are kept.
	DefaultKeyCacheSize = 1024
)

// amzDateLayout is the ISO 8601 basic format of X-Amz-Date (SigV4 "RequestDateTime").
const amzDateLayout = "20060102T150405Z"

// unsignedPayload and the STREAMING- prefix are payload-hash placeholders some clients
// send in X-Amz-Content-Sha256; this API requires a real payload hash.
const (
	unsignedPayload = "UNSIGNED-PAYLOAD"
	streamingPrefix = "STREAMING-"
)

// Credential is what a CredentialSource knows about an access key.
type Credential struct {
	// Secret is the secret access key, as issued to the client.
	Secret secret.Value[string]
	// Principal identifies the owner of the key for the caller of Verify (for example
	// an instance and user ID); Verify only copies it into Result.
	Principal string
}

// CredentialSource looks up access keys. The identity store implements it.
//
// LookupAccessKey returns the credential of an active key. For a key that does not
// exist it returns an error wrapping ErrUnknownAccessKey, for a revoked or deactivated
// key one wrapping ErrInactiveAccessKey, for a key whose principal may not use the API
// one wrapping ErrAccessDenied. Any other error (storage failure) makes Verify fail with
// that error wrapped, which the caller answers as an internal error. It is called once
// per request, after the Authorization header has passed every syntactic and time check,
// and must be safe for concurrent use.
type CredentialSource interface {
	LookupAccessKey(ctx context.Context, accessKeyID string) (Credential, error)
}

// CredentialSourceFunc adapts a function to CredentialSource.
type CredentialSourceFunc func(ctx context.Context, accessKeyID string) (Credential, error)

// LookupAccessKey calls f.
func (f CredentialSourceFunc) LookupAccessKey(ctx context.Context, accessKeyID string) (Credential, error) {
	return f(ctx, accessKeyID)
}

// Config configures a Verifier. Zero fields take the defaults named on each field.
type Config struct {
	// Credentials looks up access keys. Required.
	Credentials CredentialSource
	// Regions are the regions a credential scope may name, for example
	// ["us-east-1"]. Required, each 1 to 64 of [a-z0-9-].
	Regions []string
	// Service is the signing name a credential scope must name; DefaultService
	// ("connect") when empty.
	Service string
	// MaxSkew is the largest accepted difference between X-Amz-Date and Now, either
	// direction; DefaultMaxSkew (5 minutes) when zero. Must not be negative.
	MaxSkew time.Duration
	// MaxBodyBytes is the largest body, in bytes, Verify reads to hash it;
	// DefaultMaxBodyBytes (2 MiB) when zero. A larger body is refused with
	// RequestEntityTooLargeException (HTTP 413). Must not be negative.
	MaxBodyBytes int64
	// KeyCacheSize is the number of derived signing keys kept in memory;
	// DefaultKeyCacheSize when zero, no cache when negative.
	KeyCacheSize int
	// Now returns the current time; time.Now when nil.
	Now func() time.Time
}

// Verifier verifies SigV4 Authorization headers. Build it with New; it is safe for
// concurrent use.
type Verifier struct {
	creds   CredentialSource
	regions []string
	service string
	skew    time.Duration
	maxBody int64
	now     func() time.Time
	keys    *keyCache
}

// New returns a Verifier for cfg, or an error naming the first invalid field.
func New(cfg Config) (*Verifier, error) {
	if cfg.Credentials == nil {
		return nil, errors.New("sigv4 config: credentials source is required")
	}
	if len(cfg.Regions) == 0 {
		return nil, errors.New("sigv4 config: at least one region is required")
	}
	for _, r := range cfg.Regions {
		if !isScopeToken(r) {
			return nil, fmt.Errorf("sigv4 config: region %q is malformed", r)
		}
	}
	v := &Verifier{
		creds:   cfg.Credentials,
		regions: slices.Clone(cfg.Regions),
		service: cfg.Service,
		skew:    cfg.MaxSkew,
		maxBody: cfg.MaxBodyBytes,
		now:     cfg.Now,
	}
	if v.service == "" {
		v.service = DefaultService
	} else if !isScopeToken(v.service) {
		return nil, fmt.Errorf("sigv4 config: service %q is malformed", v.service)
	}
	switch {
	case v.skew < 0:
		return nil, errors.New("sigv4 config: max skew must not be negative")
	case v.skew == 0:
		v.skew = DefaultMaxSkew
	}
	switch {
	case v.maxBody < 0:
		return nil, errors.New("sigv4 config: max body bytes must not be negative")
	case v.maxBody == 0:
		v.maxBody = DefaultMaxBodyBytes
	}
	if v.now == nil {
		v.now = time.Now
	}
	switch {
	case cfg.KeyCacheSize == 0:
		v.keys = newKeyCache(DefaultKeyCacheSize)
	case cfg.KeyCacheSize > 0:
		v.keys = newKeyCache(cfg.KeyCacheSize)
	}
	return v, nil
}

// Result describes a request whose signature Verify accepted.
type Result struct {
	// AccessKeyID is the key that signed the request.
	AccessKeyID string
	// Principal is Credential.Principal of that key.
	Principal string
	// Region is the region of the credential scope.
	Region string
	// SigningTime is X-Amz-Date, UTC, second precision.
	SigningTime time.Time
	// SignedHeaders are the lower-case names of the headers the signature covers, sorted.
	SignedHeaders []string
}

// Verify checks the SigV4 signature of r (Authorization header form) and returns who
// signed it. Checks, in order, each with its own message:
//
//   - the request carries an Authorization header (exactly one) and no pre-signed
//     query-string parameters (X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature);
//     query-string authentication is refused with AccessDeniedException;
//   - the header parses (ParseAuthorization); the scope names an accepted region and
//     the configured service;
//   - host and x-amz-date are signed, and x-amz-content-sha256 and every other x-amz-*
//     header present are signed; no X-Amz-Security-Token is present (this API issues no
//     session tokens);
//   - X-Amz-Date is one value in ISO 8601 basic format, its date equals the scope date,
//     and it lies within MaxSkew of Now;
//   - the CredentialSource knows the key (see CredentialSource for the codes);
//   - the body, read fully up to MaxBodyBytes, hashes to X-Amz-Content-Sha256 when that
//     header is present (UNSIGNED-PAYLOAD and STREAMING-* are refused);
//   - the signature recomputed from the canonical request equals the one sent,
//     compared in constant time.
//
// Verify reads r.Body and replaces it with an in-memory reader over the same bytes (and
// sets r.GetBody), so handlers can read the body afterwards; it modifies r in no other
// way. Every refusal is an *Error (use errors.As) whose Code, Message and Status can be
// sent to the client. Other errors (reading the body, the CredentialSource failing) are
// returned wrapped and should be answered as internal errors.
func (v *Verifier) Verify(ctx context.Context, r *http.Request) (Result, error) {
	authz := r.Header.Values("Authorization")
	query, qerr := parseQuery(r.URL.RawQuery)
	presigned := qerr == nil && hasPresignParams(query)
	switch {
	case len(authz) == 0 && presigned:
		return Result{}, newError(CodeAccessDenied, "Query-string (pre-signed URL) authentication is not accepted by this API; sign the request with the Authorization header.")
	case len(authz) == 0:
		return Result{}, newError(CodeMissingAuthenticationToken, "Missing Authentication Token")
	case len(authz) > 1:
		return Result{}, newError(CodeIncompleteSignature, "Request has more than one Authorization header.")
	case presigned:
		return Result{}, newError(CodeIncompleteSignature, "Only one authentication mechanism is allowed: the Authorization header or X-Amz-* query parameters, not both.")
	case qerr != nil:
		return Result{}, newError(CodeInvalidSignature, "The query string is malformed: it has an invalid percent-encoding or a ';'.")
	}

	a, err := ParseAuthorization(authz[0])
	if err != nil {
		return Result{}, err
	}
	if !slices.Contains(v.regions, a.Region) {
		return Result{}, newError(CodeInvalidSignature, "Credential should be scoped to a valid region.")
	}
	if a.Service != v.service {
		return Result{}, newError(CodeInvalidSignature, "Credential should be scoped to correct service: '"+v.service+"'.")
	}
	if err := checkSignedHeaderSet(r, a.SignedHeaders); err != nil {
		return Result{}, err
	}
	if _, ok := headerValues(r, "x-amz-security-token"); ok {
		return Result{}, newError(CodeUnrecognizedClient, msgInvalidToken)
	}

	amzDate, signingTime, err := v.checkDate(r, a.Date)
	if err != nil {
		return Result{}, err
	}

	claimedHash, err := claimedPayloadHash(r)
	if err != nil {
		return Result{}, err
	}

	cred, err := v.creds.LookupAccessKey(ctx, a.AccessKeyID)
	switch {
	case err == nil:
	case errors.Is(err, ErrUnknownAccessKey), errors.Is(err, ErrInactiveAccessKey):
		e := newError(CodeUnrecognizedClient, msgInvalidToken)
		e.err = err
		return Result{}, e
	case errors.Is(err, ErrAccessDenied):
		e := newError(CodeAccessDenied, "The access key is not authorized to use this API.")
		e.err = err
		return Result{}, e
	default:
		return Result{}, fmt.Errorf("look up access key: %w", err)
	}

	payloadHash, err := v.hashBody(r)
	if err != nil {
		return Result{}, err
	}
	if claimedHash != "" && !hmac.Equal([]byte(claimedHash), []byte(payloadHash)) {
		return Result{}, newError(CodeInvalidSignature, "The provided 'x-amz-content-sha256' header does not match what was computed.")
	}

	canonical, err := canonicalRequest(r, query, a.SignedHeaders, payloadHash)
	if err != nil {
		var missing *missingHeaderError
		if errors.As(err, &missing) {
			return Result{}, newError(CodeInvalidSignature, "Header '"+missing.name+"' is listed in SignedHeaders but absent from the request.")
		}
		return Result{}, fmt.Errorf("canonical request: %w", err)
	}
	sts := stringToSign(amzDate, a.Scope(), canonical)
	key := v.keys.signingKey(cred.Secret, a.Date, a.Region, a.Service)
	mac := hmac.New(sha256.New, key)
	mac.Write(sts)
	var want [2 * sha256.Size]byte
	hex.Encode(want[:], mac.Sum(nil))
	if !hmac.Equal(want[:], []byte(a.Signature)) {
		return Result{}, newError(CodeInvalidSignature, msgSignatureMismatch)
	}
	return Result{
		AccessKeyID:   a.AccessKeyID,
		Principal:     cred.Principal,
		Region:        a.Region,
		SigningTime:   signingTime,
		SignedHeaders: a.SignedHeaders,
	}, nil
}

// hasPresignParams reports whether the query carries SigV4 query-string authentication.
func hasPresignParams(query []queryParam) bool {
	for _, p := range query {
		switch p.key {
		case "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders":
			return true
		}
	}
	return false
}

// checkSignedHeaderSet checks that host and x-amz-date are signed and that every
// x-amz-* header present in r is signed.
func checkSignedHeaderSet(r *http.Request, signed []string) error {
	if _, ok := slices.BinarySearch(signed, "host"); !ok {
		return newError(CodeIncompleteSignature, "'Host' must be a 'SignedHeader' in the AWS Authorization.")
	}
	if _, ok := slices.BinarySearch(signed, "x-amz-date"); !ok {
		return newError(CodeIncompleteSignature, "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.")
	}
	for k := range r.Header {
		if len(k) < 6 || !strings.EqualFold(k[:6], "x-amz-") {
			continue
		}
		lk := strings.ToLower(k)
		if lk == "x-amz-security-token" {
			continue // refused on its own, with the code AWS uses for it
		}
		if _, ok := slices.BinarySearch(signed, lk); !ok {
			if isLowerToken(lk) {
				return newError(CodeIncompleteSignature, "Header '"+lk+"' is present in the request but not listed in SignedHeaders.")
			}
			return newError(CodeIncompleteSignature, "An X-Amz-* header is present in the request but not listed in SignedHeaders.")
		}
	}
	return nil
}

// checkDate validates X-Amz-Date against the scope date and the clock. It returns the
// header value and the time it names.
func (v *Verifier) checkDate(r *http.Request, scopeDate string) (string, time.Time, error) {
	vals, ok := headerValues(r, "x-amz-date")
	if !ok {
		return "", time.Time{}, newError(CodeIncompleteSignature, "Authorization header requires existence of a 'X-Amz-Date' header.")
	}
	if len(vals) != 1 {
		return "", time.Time{}, newError(CodeIncompleteSignature, "Request has more than one X-Amz-Date header.")
	}
	amzDate := vals[0]
	t, err := time.Parse(amzDateLayout, amzDate)
	if err != nil || len(amzDate) != len(amzDateLayout) {
		return "", time.Time{}, newError(CodeIncompleteSignature, "X-Amz-Date must be in ISO 8601 basic format, yyyymmddThhmmssZ.")
	}
	if amzDate[:8] != scopeDate {
		return "", time.Time{}, newError(CodeInvalidSignature, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '"+
			scopeDate+"' != '"+amzDate[:8]+"', from '"+amzDate+"'.")
	}
	now := v.now().UTC()
	if earliest := now.Add(-v.skew); t.Before(earliest) {
		return "", time.Time{}, newError(CodeInvalidSignature, "Signature expired: "+amzDate+" is now earlier than "+
			earliest.Format(amzDateLayout)+" ("+now.Format(amzDateLayout)+" - "+skewText(v.skew)+").")
	}
	if latest := now.Add(v.skew); t.After(latest) {
		return "", time.Time{}, newError(CodeInvalidSignature, "Signature not yet current: "+amzDate+" is still later than "+
			latest.Format(amzDateLayout)+" ("+now.Format(amzDateLayout)+" + "+skewText(v.skew)+").")
	}
	return amzDate, t, nil
}

func skewText(d time.Duration) string {
	if d%time.Minute == 0 {
		return strconv.FormatInt(int64(d/time.Minute), 10) + " min."
	}
	return d.String()
}

// claimedPayloadHash returns X-Amz-Content-Sha256 when present ("" when absent), after
// checking it is a single lower-case hex SHA-256.
func claimedPayloadHash(r *http.Request) (string, error) {
	vals, ok := headerValues(r, "x-amz-content-sha256")
	if !ok {
		return "", nil
	}
	if len(vals) != 1 {
		return "", newError(CodeIncompleteSignature, "Request has more than one X-Amz-Content-Sha256 header.")
	}
	h := strings.TrimSpace(vals[0])
	switch {
	case h == unsignedPayload, strings.HasPrefix(h, streamingPrefix):
		return "", newError(CodeInvalidSignature, "Unsigned and streaming payloads are not accepted by this API; X-Amz-Content-Sha256 must be the SHA-256 of the body.")
	case !isLowerHex(h, 2*sha256.Size):
		return "", newError(CodeInvalidSignature, "X-Amz-Content-Sha256 must be 64 lower-case hexadecimal digits.")
	}
	return h, nil
}

// hashBody reads the whole body (at most maxBody bytes), puts it back on r and returns
// its lower-case hex SHA-256.
func (v *Verifier) hashBody(r *http.Request) (string, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return emptySHA256, nil
	}
	if r.ContentLength > v.maxBody {
		return "", v.tooLarge()
	}
	buf := bytes.NewBuffer(make([]byte, 0, min(max(r.ContentLength, 0)+1, v.maxBody+1)))
	_, err := buf.ReadFrom(io.LimitReader(r.Body, v.maxBody+1))
	if err != nil {
		return "", fmt.Errorf("read body: %w", err)
	}
	if int64(buf.Len()) > v.maxBody {
		return "", v.tooLarge()
	}
	body := buf.Bytes()
	_ = r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:]), nil
}

func (v *Verifier) tooLarge() *Error {
	e := newError(CodeRequestEntityTooLarge, "The request body is larger than "+strconv.FormatInt(v.maxBody, 10)+" bytes.")
	e.Status = http.StatusRequestEntityTooLarge
	return e
}
