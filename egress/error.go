package egress

import (
	"net/netip"
	"strconv"
)

// Rule names the check that refused an outbound call. Its values are stable codes, safe to log
// and to show an administrator.
type Rule string

const (
	// RuleURL: the URL is malformed, carries user information, or has a bad port.
	RuleURL Rule = "url"
	// RuleScheme: the scheme is not https (http, file, gopher, ftp, data, ... are refused).
	RuleScheme Rule = "scheme"
	// RuleHost: the host is not a DNS name or a canonical IP literal (for example
	// "2852039166", "127.1", "0x7f.1"), or is a localhost name that is not allowlisted.
	RuleHost Rule = "host"
	// RuleAddress: the host is, or resolves to, an address in a refused range (CheckAddr) that
	// no allowlist entry admits.
	RuleAddress Rule = "address"
	// RuleRedirect: more redirects than the Config allows.
	RuleRedirect Rule = "redirect"
	// RuleSize: the response body is larger than MaxResponseBytes.
	RuleSize Rule = "size"
	// RuleTimeout: the call (connect, TLS, request, response headers and body) did not finish
	// within its timeout.
	RuleTimeout Rule = "timeout"
)

// Error is returned, unwrapped, by Client.Do when a rule refuses a call. Use errors.As to read
// it. Other failures (connection refused, TLS verification, resolver errors) are returned as
// ordinary wrapped errors.
type Error struct {
	// Rule is the check that refused the call.
	Rule Rule
	// Host is the URL host concerned (for a redirect, the host redirected to), when known.
	Host string
	// Addr is the IP address concerned, for RuleAddress and for numeric hosts.
	Addr netip.Addr
	// Redirect is true when the refusal concerns a redirect target.
	Redirect bool
	// Detail says why, in lower case, without secrets (no paths, queries or bodies).
	Detail string
}

// Error formats the refusal as `egress: refused by rule "address": host "h" (10.0.0.5): why`.
func (e *Error) Error() string {
	s := "egress: refused by rule " + strconv.Quote(string(e.Rule))
	if e.Redirect {
		s += " on redirect"
	}
	if e.Host != "" {
		s += ": host " + strconv.Quote(e.Host)
	}
	if e.Addr.IsValid() {
		s += " (" + e.Addr.String() + ")"
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}
