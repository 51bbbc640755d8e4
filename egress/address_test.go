package egress

import (
	"net/netip"
	"testing"
)

func TestCheckAddr(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ip      string
		refused bool
	}{
		{"8.8.8.8", false},
		{"93.184.215.14", false},
		{"1.1.1.1", false},
		{"2606:4700:4700::1111", false},
		{"::ffff:8.8.8.8", false},
		{"64:ff9b::808:808", false}, // NAT64 of 8.8.8.8
		{"2002:808:808::1", false},  // 6to4 of 8.8.8.8
		{"0.0.0.0", true},           // unspecified
		{"0.1.2.3", true},           // this network
		{"10.0.0.5", true},          // RFC 1918
		{"172.16.0.1", true},        // RFC 1918
		{"172.31.255.255", true},    // RFC 1918
		{"192.168.1.1", true},       // RFC 1918
		{"100.64.0.1", true},        // CGNAT
		{"100.127.255.254", true},   // CGNAT
		{"127.0.0.1", true},         // loopback
		{"127.255.255.254", true},   // loopback
		{"169.254.169.254", true},   // link-local, cloud metadata
		{"192.0.0.8", true},         // IETF protocol assignments
		{"192.0.2.1", true},         // TEST-NET-1
		{"198.51.100.7", true},      // TEST-NET-2
		{"203.0.113.9", true},       // TEST-NET-3
		{"198.18.0.1", true},        // benchmarking
		{"192.88.99.1", true},       // 6to4 relay
		{"224.0.0.1", true},         // multicast
		{"239.255.255.250", true},   // multicast (SSDP)
		{"240.0.0.1", true},         // reserved
		{"255.255.255.255", true},   // broadcast
		{"::", true},                // unspecified
		{"::1", true},               // loopback
		{"::ffff:169.254.169.254", true},
		{"::ffff:127.0.0.1", true},
		{"::ffff:10.0.0.5", true},
		{"::127.0.0.1", true},        // IPv4-compatible
		{"::a9fe:a9fe", true},        // IPv4-compatible 169.254.169.254
		{"::ffff:0:a9fe:a9fe", true}, // IPv4-translated
		{"64:ff9b::a00:5", true},     // NAT64 of 10.0.0.5
		{"64:ff9b::a9fe:a9fe", true}, // NAT64 of 169.254.169.254
		{"64:ff9b:1::808:808", true}, // local-use NAT64
		{"2002:a9fe:a9fe::1", true},  // 6to4 of 169.254.169.254
		{"2002:7f00:1::1", true},     // 6to4 of 127.0.0.1
		{"2001::1", true},            // Teredo
		{"2001:db8::1", true},        // documentation
		{"3fff::1", true},            // documentation
		{"100::1", true},             // discard
		{"fc00::1", true},            // ULA
		{"fd12:3456::1", true},       // ULA
		{"fe80::1", true},            // link-local
		{"febf::1", true},            // link-local
		{"fec0::1", true},            // site-local
		{"ff02::1", true},            // multicast
		{"4000::1", true},            // outside 2000::/3
		{"fe80::1%eth0", true},       // zone
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			t.Parallel()
			got := CheckAddr(netip.MustParseAddr(tt.ip))
			if (got != "") != tt.refused {
				t.Errorf("CheckAddr(%s) = %q, want refused=%v", tt.ip, got, tt.refused)
			}
		})
	}
	if got := CheckAddr(netip.Addr{}); got == "" {
		t.Errorf("CheckAddr(zero) = %q, want a refusal", got)
	}
}

func TestParseLegacyIPv4(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string // "" means not an IPv4 number
	}{
		{"2852039166", "169.254.169.254"},
		{"0251.0376.0251.0376", "169.254.169.254"},
		{"0xa9.0xfe.0xa9.0xfe", "169.254.169.254"},
		{"0xa9fea9fe", "169.254.169.254"},
		{"127.1", "127.0.0.1"},
		{"127.0.1", "127.0.0.1"},
		{"0x7f.1", "127.0.0.1"},
		{"017700000001", "127.0.0.1"},
		{"0", "0.0.0.0"},
		{"0x", "0.0.0.0"},
		{"10.0.0.5", "10.0.0.5"},
		{"4294967295", "255.255.255.255"},
		{"4294967296", ""},
		{"256.1.1.1", ""},
		{"1.2.3.4.5", ""},
		{"1..2", ""},
		{"08", ""},
		{"example", ""},
		{"1.2.65536", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			ip, ok := parseLegacyIPv4(tt.in)
			got := ""
			if ok {
				got = ip.String()
			}
			if got != tt.want {
				t.Errorf("parseLegacyIPv4(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
