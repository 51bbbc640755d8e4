package egress

import (
	"net/netip"
)

// blockedRange is one special-purpose range that outbound calls may not reach, with the name
// shown in errors and the document that reserves it.
type blockedRange struct {
	prefix netip.Prefix
	name   string
	source string
}

// blockedV4 lists the IPv4 ranges refused by default. Source: IANA IPv4 Special-Purpose Address
// Registry (RFC 6890 §2.2.2 and its updates); every range there that is not "globally reachable",
// plus multicast and the reserved class E block. It returns a fresh array (no shared state).
func blockedV4() [18]blockedRange {
	return [18]blockedRange{
		{p4(0, 0, 0, 0, 8), "this network", "RFC 791, RFC 6890"},
		{p4(10, 0, 0, 0, 8), "private", "RFC 1918"},
		{p4(100, 64, 0, 0, 10), "shared address space (CGNAT)", "RFC 6598"},
		{p4(127, 0, 0, 0, 8), "loopback", "RFC 1122 §3.2.1.3"},
		{p4(169, 254, 0, 0, 16), "link-local", "RFC 3927"},
		{p4(172, 16, 0, 0, 12), "private", "RFC 1918"},
		{p4(192, 0, 0, 0, 24), "IETF protocol assignments", "RFC 6890"},
		{p4(192, 0, 2, 0, 24), "documentation (TEST-NET-1)", "RFC 5737"},
		{p4(192, 31, 196, 0, 24), "AS112-v4", "RFC 7535"},
		{p4(192, 52, 193, 0, 24), "AMT", "RFC 7450"},
		{p4(192, 88, 99, 0, 24), "6to4 relay anycast (deprecated)", "RFC 7526"},
		{p4(192, 168, 0, 0, 16), "private", "RFC 1918"},
		{p4(192, 175, 48, 0, 24), "direct delegation AS112", "RFC 7534"},
		{p4(198, 18, 0, 0, 15), "benchmarking", "RFC 2544"},
		{p4(198, 51, 100, 0, 24), "documentation (TEST-NET-2)", "RFC 5737"},
		{p4(203, 0, 113, 0, 24), "documentation (TEST-NET-3)", "RFC 5737"},
		{p4(224, 0, 0, 0, 4), "multicast", "RFC 5771"},
		{p4(240, 0, 0, 0, 4), "reserved (incl. limited broadcast)", "RFC 1112 §4, RFC 919"},
	}
}

// blockedV6 lists the IPv6 ranges refused by default. Source: IANA IPv6 Special-Purpose Address
// Registry (RFC 6890 §2.2.3 and updates) and RFC 4291. Only 2000::/3 (global unicast, RFC 4291
// §2.4) is reachable at all; these entries name the holes inside it and the ranges outside it
// that have a specific meaning. IPv4-mapped addresses never reach this table (they are unmapped
// first), and NAT64 and 6to4 addresses are judged by the IPv4 address they embed.
func blockedV6() [14]blockedRange {
	return [14]blockedRange{
		{netip.MustParsePrefix("::/128"), "unspecified", "RFC 4291 §2.5.2"},
		{netip.MustParsePrefix("::1/128"), "loopback", "RFC 4291 §2.5.3"},
		{netip.MustParsePrefix("::/96"), "IPv4-compatible (deprecated)", "RFC 4291 §2.5.5.1"},
		{netip.MustParsePrefix("::ffff:0:0:0/96"), "IPv4-translated", "RFC 2765 §2.1"},
		{netip.MustParsePrefix("64:ff9b:1::/48"), "local-use NAT64", "RFC 8215"},
		{netip.MustParsePrefix("100::/64"), "discard-only", "RFC 6666"},
		{netip.MustParsePrefix("2001::/23"), "IETF protocol assignments (incl. Teredo, ORCHID)", "RFC 2928, RFC 4380"},
		{netip.MustParsePrefix("2001:db8::/32"), "documentation", "RFC 3849"},
		{netip.MustParsePrefix("3fff::/20"), "documentation", "RFC 9637"},
		{netip.MustParsePrefix("5f00::/16"), "SRv6 SIDs", "RFC 9602"},
		{netip.MustParsePrefix("fc00::/7"), "unique local (ULA)", "RFC 4193"},
		{netip.MustParsePrefix("fe80::/10"), "link-local", "RFC 4291 §2.5.6"},
		{netip.MustParsePrefix("fec0::/10"), "site-local (deprecated)", "RFC 3879"},
		{netip.MustParsePrefix("ff00::/8"), "multicast", "RFC 4291 §2.7"},
	}
}

// p4 builds the IPv4 prefix a.b.c.d/bits without parsing.
func p4(a, b, c, d byte, bits int) netip.Prefix {
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{a, b, c, d}), bits)
}

// CheckAddr reports whether ip may be dialled by default (no allowlist). It returns "" when
// the address is publicly routable, or a short reason naming the range and its source, for
// example "private (RFC 1918)". IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, RFC 4291 §2.5.5.2)
// are judged as the IPv4 address they carry; NAT64 well-known-prefix addresses (64:ff9b::/96,
// RFC 6052) and 6to4 addresses (2002::/16, RFC 3056) are judged by their embedded IPv4 address.
// Addresses with an IPv6 zone, and IPv6 addresses outside 2000::/3, are refused.
func CheckAddr(ip netip.Addr) string {
	if !ip.IsValid() {
		return "invalid address"
	}
	if ip.Zone() != "" {
		return "scoped address with zone"
	}
	ip = ip.Unmap()
	if ip.Is4() {
		for _, r := range blockedV4() {
			if r.prefix.Contains(ip) {
				return r.name + " (" + r.source + ")"
			}
		}
		return ""
	}
	if netip.MustParsePrefix("64:ff9b::/96").Contains(ip) {
		b := ip.As16()
		if why := CheckAddr(netip.AddrFrom4([4]byte(b[12:16]))); why != "" {
			return "NAT64 of " + why
		}
		return ""
	}
	if netip.MustParsePrefix("2002::/16").Contains(ip) {
		b := ip.As16()
		if why := CheckAddr(netip.AddrFrom4([4]byte(b[2:6]))); why != "" {
			return "6to4 of " + why
		}
		return ""
	}
	for _, r := range blockedV6() {
		if r.prefix.Contains(ip) {
			return r.name + " (" + r.source + ")"
		}
	}
	if !netip.MustParsePrefix("2000::/3").Contains(ip) {
		return "reserved IPv6 (outside 2000::/3, RFC 4291 §2.4)"
	}
	return ""
}
