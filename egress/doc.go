// Package egress is the guarded outbound HTTPS client that every call a contact flow makes to
// the outside world goes through (external functions first of all).
//
// A Client refuses, with an *Error naming the rule:
//
//   - any scheme but https, URLs with user information, and malformed ports (RuleURL, RuleScheme);
//   - host names that are not plain LDH names or canonical IP literals: "localhost" and
//     "*.localhost" (RFC 6761 §6.3), and every numeric spelling that a WHATWG URL parser or
//     inet_aton(3) would read as an IPv4 address ("2852039166", "0251.0376.0251.0376",
//     "127.1", "0x7f.1"); such hosts are refused outright, even when allowlisted (RuleHost);
//   - dialled addresses in special-purpose ranges (RFC 6890 and the IANA IPv4/IPv6
//     special-purpose address registries): loopback, RFC 1918 private, CGNAT, link-local,
//     multicast, unspecified, broadcast, documentation, benchmarking, reserved, IPv6 ULA,
//     site-local, and the IPv4-mapped, IPv4-compatible, NAT64 and 6to4 spellings of any of
//     them (RuleAddress), unless the Config allowlists the URL's host by exact name or the
//     dialled IP by CIDR;
//   - more than MaxRedirects redirects, and redirects to anything the rules above refuse
//     (RuleRedirect, or the rule the new URL breaks);
//   - response bodies over MaxResponseBytes (RuleSize: an error, never a truncated body);
//   - calls that take longer than the caller's timeout, itself capped at MaxTimeout (8 s, the
//     Amazon Connect limit for an invoked function) (RuleTimeout).
//
// The address check runs where the connection is made: the dialler resolves the host once,
// checks every answer, dials only the checked IPs, and a net.Dialer Control hook checks the
// socket address again just before connect(2). A name that resolves to a public address for a
// check and to a private one for the connection (DNS rebinding) therefore cannot get through:
// there is no second lookup.
//
// The client ignores HTTP(S)_PROXY from the environment, keeps no cookies, asks for no
// compression, and speaks TLS 1.2 or later with certificate verification against the URL's
// host name.
package egress
