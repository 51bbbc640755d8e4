package instance

import (
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// MaxApprovedOrigins is how many approved origins an instance may hold; one more is a
// ServiceQuotaExceededException.
const MaxApprovedOrigins = 100

// MaxOriginLength is the longest Origin AssociateApprovedOrigin takes, in characters (267, as
// Connect's API reference gives it).
const MaxOriginLength = 267

// ApprovedOrigin is a web origin whose pages may embed the instance's chat widgets and start
// chats through them (Connect's AssociateApprovedOrigin).
type ApprovedOrigin struct {
	InstanceID string
	// Origin is the normalised origin (NormalizeOrigin): scheme "https" or "http", lower-case
	// host, and the port only when it is not the scheme's default, e.g.
	// "https://shop.example.com" or "http://127.0.0.1:8080".
	Origin string
	// CreatedTime is UTC, millisecond precision.
	CreatedTime time.Time
}

// ApprovedOriginStore persists approved origins, scoped by instance. Errors are
// *apierr.Error: ResourceConflictException for an origin already approved,
// ResourceNotFoundException for one that is not.
type ApprovedOriginStore interface {
	// CreateApprovedOrigin approves an origin (already normalised).
	CreateApprovedOrigin(ctx context.Context, o ApprovedOrigin) error
	// ListApprovedOrigins returns up to limit origins of the instance in lexical order,
	// after the origin given ("" for the first page).
	ListApprovedOrigins(ctx context.Context, instanceID, after string, limit int) ([]ApprovedOrigin, error)
	// CountApprovedOrigins counts the instance's origins.
	CountApprovedOrigins(ctx context.Context, instanceID string) (int, error)
	// DeleteApprovedOrigin removes an origin (already normalised).
	DeleteApprovedOrigin(ctx context.Context, instanceID, origin string) error
}

// NormalizeOrigin checks that s is a web origin as a browser sends it in the Origin header
// (RFC 6454 §6.1: scheme "://" host [":" port]) and returns its normal form: scheme and host
// in lower case, the default port (443 for https, 80 for http) dropped, IPv6 hosts in
// brackets. A path (even "/"), query, fragment, user information, a wildcard, or another
// scheme is refused with an error saying what is wrong; so are origins longer than
// MaxOriginLength characters.
func NormalizeOrigin(s string) (string, error) {
	if s == "" || len(s) > MaxOriginLength {
		return "", fmt.Errorf("an origin is 1 to %d characters", MaxOriginLength)
	}
	if strings.ContainsAny(s, " \t\r\n*\\") {
		return "", fmt.Errorf("an origin has no spaces, wildcards or backslashes")
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("not a URL origin such as https://shop.example.com")
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "https" && scheme != "http" {
		return "", fmt.Errorf("an origin's scheme is https or http")
	}
	if u.Opaque != "" || u.User != nil || u.Host == "" {
		return "", fmt.Errorf("an origin is scheme://host[:port], such as https://shop.example.com")
	}
	if u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "#") {
		return "", fmt.Errorf("an origin has no path, query or fragment: give only scheme://host[:port]")
	}
	host := strings.ToLower(u.Hostname())
	if host == "" || strings.HasSuffix(host, ".") {
		return "", fmt.Errorf("an origin needs a host name without a trailing dot")
	}
	if a, err := netip.ParseAddr(host); err == nil {
		// The form a browser writes: IPv4 dotted, IPv6 compressed in brackets.
		if a.Zone() != "" || a.Is4In6() {
			return "", fmt.Errorf("an IP origin is an IPv4 address or a plain IPv6 address")
		}
		host = a.String()
		if a.Is6() {
			host = "[" + host + "]"
		}
	} else {
		labels := strings.Split(host, ".")
		if last := labels[len(labels)-1]; last != "" && strings.Trim(last, "0123456789") == "" {
			return "", fmt.Errorf("a host whose last label is a number must be an IPv4 address in dotted decimal")
		}
		for _, label := range labels {
			if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
				return "", fmt.Errorf("the host of an origin is a DNS name of labels of 1 to 63 letters, digits and hyphens")
			}
			for _, r := range label {
				if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
					return "", fmt.Errorf("the host of an origin is a DNS name of letters, digits and hyphens (use the punycode form of an internationalised name)")
				}
			}
		}
	}
	port := u.Port()
	if strings.HasSuffix(u.Host, ":") {
		return "", fmt.Errorf("an origin's port, when given, is 1 to 65535")
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
			return "", fmt.Errorf("an origin's port, when given, is 1 to 65535")
		}
		if (scheme == "https" && n == 443) || (scheme == "http" && n == 80) {
			port = ""
		}
	}
	if port != "" {
		return scheme + "://" + host + ":" + port, nil
	}
	return scheme + "://" + host, nil
}
