package sigv4

import (
	"strings"
	"time"
)

// Algorithm is the only signing algorithm Verify accepts (SigV4 with HMAC-SHA256).
const Algorithm = "AWS4-HMAC-SHA256"

// algorithmSigV4a is the asymmetric SigV4a algorithm, recognised only to refuse it clearly.
const algorithmSigV4a = "AWS4-ECDSA-P256-SHA256"

// scopeTerminator ends every SigV4 credential scope.
const scopeTerminator = "aws4_request"

// Limits on what ParseAuthorization accepts. Real clients stay far below them:
// aws-sdk-go-v2 and botocore send 5 to 15 signed headers.
const (
	// MaxAuthorizationBytes is the longest Authorization header value accepted, in bytes.
	MaxAuthorizationBytes = 8192
	// MaxSignedHeaders is the largest number of names accepted in SignedHeaders.
	MaxSignedHeaders  = 64
	maxAccessKeyIDLen = 128
	maxScopeTokenLen  = 64
	maxHeaderNameLen  = 256
	signatureHexLen   = 64
)

// Authorization is a parsed SigV4 Authorization header:
//
//	AWS4-HMAC-SHA256 Credential=AKID/20261121/us-east-1/connect/aws4_request,
//	    SignedHeaders=content-type;host;x-amz-date, Signature=<64 hex digits>
//
// Format: AWS General Reference, "Add the signature to the HTTP request" (SigV4).
type Authorization struct {
	// AccessKeyID is the key ID from the credential scope: 1 to 128 ASCII letters and digits.
	AccessKeyID string
	// Date is the scope date, yyyymmdd (UTC), a valid calendar date.
	Date string
	// Region is the scope region: 1 to 64 of [a-z0-9-].
	Region string
	// Service is the scope service name: 1 to 64 of [a-z0-9-].
	Service string
	// SignedHeaders are the signed header names: lower case, strictly ascending (so
	// unique), each an RFC 9110 token, at most MaxSignedHeaders.
	SignedHeaders []string
	// Signature is the signature, 64 lower-case hexadecimal digits.
	Signature string
}

// Scope returns the credential scope "yyyymmdd/region/service/aws4_request".
func (a Authorization) Scope() string {
	return a.Date + "/" + a.Region + "/" + a.Service + "/" + scopeTerminator
}

// ParseAuthorization parses an Authorization header value strictly. The algorithm must be
// AWS4-HMAC-SHA256, followed by exactly the three components Credential, SignedHeaders
// and Signature, in any order, separated by commas with optional spaces. Duplicate,
// unknown, empty or missing components, a credential that is not
// AKID/yyyymmdd/region/service/aws4_request, an invalid date, an unsorted or
// non-lower-case SignedHeaders list and a signature that is not 64 lower-case hex digits
// are each refused with their own message. Every error is an *Error with code
// IncompleteSignatureException. ParseAuthorization does not check the scope against any
// configuration; Verify does.
func ParseAuthorization(v string) (Authorization, error) {
	var a Authorization
	if len(v) > MaxAuthorizationBytes {
		return a, newError(CodeIncompleteSignature, "Authorization header is too long.")
	}
	alg, rest, ok := strings.Cut(v, " ")
	if !ok {
		alg, rest = v, ""
	}
	switch alg {
	case Algorithm:
	case algorithmSigV4a:
		return a, newError(CodeIncompleteSignature, "Signature Version 4A (AWS4-ECDSA-P256-SHA256) is not supported; sign with AWS4-HMAC-SHA256.")
	default:
		return a, newError(CodeIncompleteSignature, "Authorization header must use the AWS4-HMAC-SHA256 algorithm.")
	}

	var credential, signedHeaders, signature string
	var haveCredential, haveSignedHeaders, haveSignature bool
	for part := range strings.SplitSeq(rest, ",") {
		part = strings.Trim(part, " ")
		if part == "" {
			return a, newError(CodeIncompleteSignature, "Authorization header has an empty component.")
		}
		name, value, ok := strings.Cut(part, "=")
		if !ok {
			return a, newError(CodeIncompleteSignature, "Authorization header component is not of the form name=value.")
		}
		var dst *string
		var seen *bool
		switch name {
		case "Credential":
			dst, seen = &credential, &haveCredential
		case "SignedHeaders":
			dst, seen = &signedHeaders, &haveSignedHeaders
		case "Signature":
			dst, seen = &signature, &haveSignature
		default:
			return a, newError(CodeIncompleteSignature, "Authorization header has an unknown component; only Credential, SignedHeaders and Signature are allowed.")
		}
		if *seen {
			return a, newError(CodeIncompleteSignature, "Authorization header has a duplicate '"+name+"' component.")
		}
		if value == "" {
			return a, newError(CodeIncompleteSignature, "Authorization header component '"+name+"' is empty.")
		}
		*dst, *seen = value, true
	}
	switch {
	case !haveCredential:
		return a, newError(CodeIncompleteSignature, "Authorization header requires 'Credential' parameter.")
	case !haveSignedHeaders:
		return a, newError(CodeIncompleteSignature, "Authorization header requires 'SignedHeaders' parameter.")
	case !haveSignature:
		return a, newError(CodeIncompleteSignature, "Authorization header requires 'Signature' parameter.")
	}

	if err := parseCredential(credential, &a); err != nil {
		return Authorization{}, err
	}
	names, err := parseSignedHeaders(signedHeaders)
	if err != nil {
		return Authorization{}, err
	}
	a.SignedHeaders = names
	if !isLowerHex(signature, signatureHexLen) {
		return Authorization{}, newError(CodeIncompleteSignature, "Signature must be 64 lower-case hexadecimal digits.")
	}
	a.Signature = signature
	return a, nil
}

// parseCredential parses AKID/yyyymmdd/region/service/aws4_request into a.
func parseCredential(c string, a *Authorization) *Error {
	parts := strings.Split(c, "/")
	if len(parts) != 5 {
		return newError(CodeIncompleteSignature, "Credential must have the form <access key ID>/<yyyymmdd>/<region>/<service>/aws4_request.")
	}
	akid, date, region, service, term := parts[0], parts[1], parts[2], parts[3], parts[4]
	if !isAccessKeyID(akid) {
		return newError(CodeIncompleteSignature, "Credential access key ID is malformed.")
	}
	if !isScopeDate(date) {
		return newError(CodeIncompleteSignature, "Credential date must be a valid date in yyyymmdd form.")
	}
	if !isScopeToken(region) {
		return newError(CodeIncompleteSignature, "Credential region is malformed.")
	}
	if !isScopeToken(service) {
		return newError(CodeIncompleteSignature, "Credential service is malformed.")
	}
	if term != scopeTerminator {
		return newError(CodeIncompleteSignature, "Credential should be scoped with a valid terminator: 'aws4_request'.")
	}
	a.AccessKeyID, a.Date, a.Region, a.Service = akid, date, region, service
	return nil
}

// parseSignedHeaders splits and validates the SignedHeaders list.
func parseSignedHeaders(s string) ([]string, *Error) {
	n := strings.Count(s, ";") + 1
	if n > MaxSignedHeaders {
		return nil, newError(CodeIncompleteSignature, "SignedHeaders lists too many headers.")
	}
	names := make([]string, 0, n)
	prev := ""
	for name := range strings.SplitSeq(s, ";") {
		if !isLowerToken(name) {
			return nil, newError(CodeIncompleteSignature, "SignedHeaders must be lower-case header names separated by ';'.")
		}
		if prev != "" && name <= prev {
			return nil, newError(CodeIncompleteSignature, "SignedHeaders must be sorted and free of duplicates.")
		}
		names = append(names, name)
		prev = name
	}
	return names, nil
}

func isAccessKeyID(s string) bool {
	if len(s) == 0 || len(s) > maxAccessKeyIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

func isScopeDate(s string) bool {
	if len(s) != 8 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	_, err := time.Parse("20060102", s)
	return err == nil
}

func isScopeToken(s string) bool {
	if len(s) == 0 || len(s) > maxScopeTokenLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// isLowerToken reports whether s is a lower-case RFC 9110 §5.6.2 token (a header name).
func isLowerToken(s string) bool {
	if len(s) == 0 || len(s) > maxHeaderNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
