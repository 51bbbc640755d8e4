package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// This file builds the SigV4 canonical request and string to sign from a request as
// received. Source: AWS General Reference, "Create a canonical request for Signature
// Version 4" and "Create a string to sign for Signature Version 4".

// emptySHA256 is the hex SHA-256 of the empty string, the payload hash of a request
// without a body.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

const upperHex = "0123456789ABCDEF"

// isUnreserved reports whether c is an RFC 3986 §2.3 unreserved character, the only
// bytes SigV4's UriEncode leaves as they are.
func isUnreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// appendURIEncode appends s with every byte except the unreserved ones (and '/' when
// keepSlash) percent-encoded with upper-case hex digits: SigV4's UriEncode.
func appendURIEncode(dst []byte, s string, keepSlash bool) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) || keepSlash && c == '/' {
			dst = append(dst, c)
			continue
		}
		dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
	}
	return dst
}

// requestPath returns the request path exactly as the client sent it (still
// percent-encoded), "/" when empty. It prefers the raw request line (RequestURI) because
// that is what the client signed; requests that were not received by a server (tests,
// clients) fall back to the URL's escaped path.
func requestPath(r *http.Request) string {
	if u := r.RequestURI; strings.HasPrefix(u, "/") {
		if i := strings.IndexByte(u, '?'); i >= 0 {
			u = u[:i]
		}
		return u
	}
	if p := r.URL.EscapedPath(); p != "" {
		return p
	}
	return "/"
}

// appendCanonicalURI appends the canonical URI of a raw (as sent, percent-encoded) path.
// For every service except S3, SigV4 URI-encodes each path segment once more, so an
// ARN segment sent as "arn%3Aaws%3Aconnect%3A...%2Finstance" is signed as
// "arn%253Aaws%253Aconnect%253A...%252Finstance". The path is not normalised: dot
// segments and repeated slashes are signed as sent.
func appendCanonicalURI(dst []byte, rawPath string) []byte {
	if rawPath == "" {
		return append(dst, '/')
	}
	return appendURIEncode(dst, rawPath, true)
}

// errMalformedQuery is returned by canonicalQuery for a query it cannot decode.
var errMalformedQuery = errors.New("malformed query string")

// queryParam is one decoded query parameter.
type queryParam struct{ key, value string }

// parseQuery decodes a raw query string the way net/url does for handlers ('+' is a
// space, empty pieces are skipped, a piece without '=' has an empty value), but refuses
// what net/url would silently drop (bad percent escapes, ';'), so that the signed
// parameters are exactly the ones a handler will see.
func parseQuery(raw string) ([]queryParam, error) {
	if raw == "" {
		return nil, nil
	}
	params := make([]queryParam, 0, strings.Count(raw, "&")+1)
	for piece := range strings.SplitSeq(raw, "&") {
		if piece == "" {
			continue
		}
		if strings.IndexByte(piece, ';') >= 0 {
			return nil, errMalformedQuery
		}
		k, v, _ := strings.Cut(piece, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return nil, errMalformedQuery
		}
		value, err := url.QueryUnescape(v)
		if err != nil {
			return nil, errMalformedQuery
		}
		params = append(params, queryParam{key, value})
	}
	return params, nil
}

// appendCanonicalQuery appends the canonical query string of decoded parameters: each
// name and value UriEncoded (RFC 3986, '/' encoded too), pairs sorted by encoded name
// then encoded value, joined by '&', every pair with '=' even when the value is empty.
func appendCanonicalQuery(dst []byte, params []queryParam) []byte {
	if len(params) == 0 {
		return dst
	}
	enc := make([]queryParam, len(params))
	var buf []byte
	for i, p := range params {
		buf = appendURIEncode(buf[:0], p.key, false)
		k := string(buf)
		buf = appendURIEncode(buf[:0], p.value, false)
		enc[i] = queryParam{k, string(buf)}
	}
	slices.SortFunc(enc, func(a, b queryParam) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return strings.Compare(a.value, b.value)
	})
	for i, p := range enc {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = append(dst, p.key...)
		dst = append(dst, '=')
		dst = append(dst, p.value...)
	}
	return dst
}

// appendTrimmed appends v with leading and trailing white space removed and every run
// of spaces inside it collapsed to one space (SigV4's Trimall).
func appendTrimmed(dst []byte, v string) []byte {
	v = strings.TrimSpace(v)
	space := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		dst = append(dst, c)
	}
	return dst
}

// headerValues returns the values of the header named by the lower-case name as
// received, in order. Host, Content-Length and Transfer-Encoding are taken from where
// net/http moves them. ok is false when the request has no such header.
func headerValues(r *http.Request, name string) (values []string, ok bool) {
	switch name {
	case "host":
		h := r.Host
		if h == "" && r.URL != nil {
			h = r.URL.Host
		}
		return []string{h}, h != ""
	case "content-length":
		if v := r.Header.Values("Content-Length"); len(v) > 0 {
			return v, true
		}
		if r.ContentLength > 0 {
			return []string{strconv.FormatInt(r.ContentLength, 10)}, true
		}
		return nil, false
	case "transfer-encoding":
		if len(r.TransferEncoding) > 0 {
			return r.TransferEncoding, true
		}
	}
	if v, ok := r.Header[textproto.CanonicalMIMEHeaderKey(name)]; ok {
		return v, true
	}
	// A header map built by hand may hold non-canonical keys.
	keys := make([]string, 0, 1)
	for k := range r.Header {
		if strings.EqualFold(k, name) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil, false
	}
	slices.Sort(keys)
	for _, k := range keys {
		values = append(values, r.Header[k]...)
	}
	return values, true
}

// missingHeaderError reports a signed header the request does not carry.
type missingHeaderError struct{ name string }

func (e *missingHeaderError) Error() string { return "signed header " + e.name + " is absent" }

// appendCanonicalHeaders appends "name:value\n" for every signed header, values of a
// repeated header comma-joined in the order received, each value trimmed.
func appendCanonicalHeaders(dst []byte, r *http.Request, signed []string) ([]byte, error) {
	for _, name := range signed {
		values, ok := headerValues(r, name)
		if !ok {
			return dst, &missingHeaderError{name: name}
		}
		dst = append(dst, name...)
		dst = append(dst, ':')
		for i, v := range values {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendTrimmed(dst, v)
		}
		dst = append(dst, '\n')
	}
	return dst, nil
}

// canonicalRequest returns the canonical request of r:
//
//	Method \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n PayloadHash
//
// query is the decoded query (from parseQuery), signed the lower-case sorted signed
// header names, payloadHash the lower-case hex SHA-256 of the body. The error is a
// *missingHeaderError when a signed header is absent.
func canonicalRequest(r *http.Request, query []queryParam, signed []string, payloadHash string) ([]byte, error) {
	dst := make([]byte, 0, 512)
	dst = append(dst, r.Method...)
	dst = append(dst, '\n')
	dst = appendCanonicalURI(dst, requestPath(r))
	dst = append(dst, '\n')
	dst = appendCanonicalQuery(dst, query)
	dst = append(dst, '\n')
	dst, err := appendCanonicalHeaders(dst, r, signed)
	if err != nil {
		return nil, err
	}
	dst = append(dst, '\n')
	for i, name := range signed {
		if i > 0 {
			dst = append(dst, ';')
		}
		dst = append(dst, name...)
	}
	dst = append(dst, '\n')
	dst = append(dst, payloadHash...)
	return dst, nil
}

// stringToSign returns "AWS4-HMAC-SHA256\n<amzDate>\n<scope>\n<hex sha256(canonical)>".
func stringToSign(amzDate, scope string, canonical []byte) []byte {
	sum := sha256.Sum256(canonical)
	dst := make([]byte, 0, len(Algorithm)+len(amzDate)+len(scope)+3+2*sha256.Size)
	dst = append(dst, Algorithm...)
	dst = append(dst, '\n')
	dst = append(dst, amzDate...)
	dst = append(dst, '\n')
	dst = append(dst, scope...)
	dst = append(dst, '\n')
	return hex.AppendEncode(dst, sum[:])
}
