package egress

import (
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// target is a URL that passed the static checks: its host in canonical form and, when the host
// is an IP literal, that address.
type target struct {
	host string     // lower case, without a trailing dot, without brackets
	ip   netip.Addr // valid only for IP-literal hosts
}

// checkURL applies the rules that need no network: scheme, user information, port and host
// form. It returns the canonical host for allowlist matching and dialling.
func checkURL(u *url.URL) (target, error) {
	if u == nil {
		return target{}, &Error{Rule: RuleURL, Detail: "no URL"}
	}
	if !strings.EqualFold(u.Scheme, "https") {
		return target{}, &Error{Rule: RuleScheme, Host: u.Host, Detail: "scheme " + strconv.Quote(u.Scheme) + " is not https"}
	}
	if u.Opaque != "" {
		return target{}, &Error{Rule: RuleURL, Detail: "opaque URL"}
	}
	if u.User != nil {
		return target{}, &Error{Rule: RuleURL, Host: u.Hostname(), Detail: "user information in URL"}
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 || p[0] == '0' {
			return target{}, &Error{Rule: RuleURL, Host: u.Hostname(), Detail: "bad port " + strconv.Quote(p)}
		}
	}
	return checkHost(u.Hostname())
}

// checkHost classifies a URL host (brackets already removed). Canonical IP literals are parsed
// (IPv4 dotted-quad without leading zeros, RFC 3986 §3.2.2; IPv6 per RFC 4291 §2.2, no zone).
// Every other host must be an LDH name (RFC 1123 §2.1, underscores tolerated) whose last label
// is not numeric: a name ending in a number is read as IPv4 by the WHATWG URL Standard (§3.5
// "ends in a number") and by inet_aton(3), so "127.1", "2852039166", "0x7f.1" and
// "0251.0376.0251.0376" are refused here, with the address they denote in the error.
// Localhost names pass here; the Client refuses them unless allowlisted (isLocalName).
func checkHost(h string) (target, error) {
	if h == "" {
		return target{}, &Error{Rule: RuleURL, Detail: "empty host"}
	}
	if strings.ContainsRune(h, ':') || strings.ContainsRune(h, '%') {
		ip, err := netip.ParseAddr(h)
		if err != nil || ip.Zone() != "" || !ip.Is6() {
			return target{}, &Error{Rule: RuleHost, Host: h, Detail: "malformed IPv6 literal"}
		}
		return target{host: ip.String(), ip: ip}, nil
	}
	lower := strings.ToLower(strings.TrimSuffix(h, "."))
	if lower == "" {
		return target{}, &Error{Rule: RuleHost, Host: h, Detail: "empty host"}
	}
	if ip, err := netip.ParseAddr(lower); err == nil && ip.Is4() {
		return target{host: lower, ip: ip}, nil
	}
	if ip, ok := parseLegacyIPv4(lower); ok {
		return target{}, &Error{Rule: RuleHost, Host: h, Addr: ip, Detail: "non-canonical numeric host (reads as " + ip.String() + ")"}
	}
	if len(lower) > 253 {
		return target{}, &Error{Rule: RuleHost, Host: h, Detail: "host name longer than 253 characters"}
	}
	labels := strings.Split(lower, ".")
	for _, l := range labels {
		if !validLabel(l) {
			return target{}, &Error{Rule: RuleHost, Host: h, Detail: "host is not a valid DNS name (use its A-label form for non-ASCII names)"}
		}
	}
	if last := labels[len(labels)-1]; isNumericLabel(last) {
		return target{}, &Error{Rule: RuleHost, Host: h, Detail: "non-canonical numeric host"}
	}
	return target{host: lower}, nil
}

// isLocalName reports whether a canonical host is "localhost" or under ".localhost", names
// that resolve to loopback by definition (RFC 6761 §6.3).
func isLocalName(host string) bool {
	return host == "localhost" || strings.HasSuffix(host, ".localhost")
}

// validLabel reports whether l is 1-63 characters of letters, digits, hyphen and underscore,
// not starting or ending with a hyphen.
func validLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// isNumericLabel reports whether l is all decimal digits, or "0x"/"0X" followed by hex digits
// (possibly none), the WHATWG URL Standard's test for a label that makes a host IPv4.
func isNumericLabel(l string) bool {
	if l == "" {
		return false
	}
	if len(l) >= 2 && l[0] == '0' && (l[1] == 'x' || l[1] == 'X') {
		for i := 2; i < len(l); i++ {
			if !isHex(l[i]) {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(l); i++ {
		if l[i] < '0' || l[i] > '9' {
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// parseLegacyIPv4 reads h as inet_aton(3) and the WHATWG URL Standard's IPv4 parser (§3.5) do:
// one to four parts, each decimal, octal (leading 0) or hexadecimal (leading 0x); the last part
// fills the remaining bytes. It returns false when h is not such a number or overflows.
func parseLegacyIPv4(h string) (netip.Addr, bool) {
	parts := strings.Split(h, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	nums := make([]uint64, len(parts))
	for i, p := range parts {
		if p == "" {
			return netip.Addr{}, false
		}
		base := 10
		switch {
		case len(p) >= 2 && (p[:2] == "0x" || p[:2] == "0X"):
			base, p = 16, p[2:]
			if p == "" {
				p = "0"
			}
		case len(p) >= 2 && p[0] == '0':
			base, p = 8, p[1:]
		}
		n, err := strconv.ParseUint(p, base, 64)
		if err != nil || n > 0xffffffff {
			return netip.Addr{}, false
		}
		nums[i] = n
	}
	var v uint64
	for i, n := range nums[:len(nums)-1] {
		if n > 255 {
			return netip.Addr{}, false
		}
		v |= n << (8 * (3 - i))
	}
	last := nums[len(nums)-1]
	if last >= 1<<(8*(5-len(nums))) {
		return netip.Addr{}, false
	}
	v |= last
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}
