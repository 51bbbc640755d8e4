package identity

import (
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringfence/ringfence/apierr"
)

func mustCIDRs(t *testing.T, s ...string) []netip.Prefix {
	t.Helper()
	p, err := ParseCIDRs(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheckIP(t *testing.T) {
	office := AuthenticationProfile{
		AllowedIPs: mustCIDRs(t, "203.0.113.0/24", "2001:db8:10::/48"),
		BlockedIPs: mustCIDRs(t, "203.0.113.66", "2001:db8:10:bad::/64"),
	}
	blockOnly := AuthenticationProfile{BlockedIPs: mustCIDRs(t, "198.51.100.0/24")}
	tests := []struct {
		name    string
		p       AuthenticationProfile
		ip      string
		allowed bool
	}{
		{"allowed v4", office, "203.0.113.10", true},
		{"blocked wins over allowed", office, "203.0.113.66", false},
		{"outside allowed", office, "192.0.2.1", false},
		{"allowed v6", office, "2001:db8:10:1::5", true},
		{"blocked v6 inside allowed", office, "2001:db8:10:bad::5", false},
		{"mapped v4 allowed", office, "::ffff:203.0.113.10", true},
		{"mapped v4 blocked", office, "::ffff:203.0.113.66", false},
		{"no lists allows all", AuthenticationProfile{}, "192.0.2.1", true},
		{"block only: blocked", blockOnly, "198.51.100.9", false},
		{"block only: other", blockOnly, "192.0.2.1", true},
		{"zoned v6", office, "2001:db8:10:1::5%eth0", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckIP(tt.p, netip.MustParseAddr(tt.ip))
			if tt.allowed {
				if err != nil {
					t.Fatalf("got %v, want allowed", err)
				}
				return
			}
			if e := apierr.As(err); e == nil || e.Code != apierr.CodeAccessDenied || e.Message != NetworkDeniedMessage {
				t.Fatalf("got %v, want AccessDenied %q", err, NetworkDeniedMessage)
			}
		})
	}
	if err := CheckIP(AuthenticationProfile{}, netip.Addr{}); err == nil {
		t.Error("invalid address allowed")
	}
}

func TestParseCIDRs(t *testing.T) {
	got, err := ParseCIDRs([]string{"203.0.113.7/24", " 192.0.2.1 ", "2001:db8::1/32", "::ffff:10.0.0.0/104"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"203.0.113.0/24", "192.0.2.1/32", "2001:db8::/32", "10.0.0.0/8"}
	var gs []string
	for _, p := range got {
		gs = append(gs, p.String())
	}
	if diff := cmp.Diff(want, gs); diff != "" {
		t.Errorf("ParseCIDRs (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"10.0.0.0/33", "example.com", "", "fe80::1%eth0/64", "10.0.0.1/8/1"} {
		if _, err := ParseCIDRs([]string{"10.0.0.0/8", bad}); !apierr.HasCode(err, apierr.CodeInvalidParameter) {
			t.Errorf("ParseCIDRs(%q): got %v, want InvalidParameterException", bad, err)
		} else if e := apierr.As(err); e.Message != "IP range 2 is not a valid CIDR range" {
			t.Errorf("message = %q", e.Message)
		}
	}
}

func TestClientIP(t *testing.T) {
	trusted := mustCIDRs(t, "10.0.0.0/8", "2001:db8:ffff::/48")
	tests := []struct {
		name   string
		remote string
		xff    []string
		want   string
	}{
		{"no proxy", "198.51.100.7:5555", nil, "198.51.100.7"},
		{"spoofed XFF from untrusted peer", "198.51.100.7:5555", []string{"203.0.113.1"}, "198.51.100.7"},
		{"trusted proxy", "10.0.0.2:443", []string{"203.0.113.1"}, "203.0.113.1"},
		{"client-supplied prefix ignored", "10.0.0.2:443", []string{"1.2.3.4, 203.0.113.1"}, "203.0.113.1"},
		{"two trusted hops", "10.0.0.2:443", []string{"203.0.113.1, 10.0.0.3"}, "203.0.113.1"},
		{"several header lines", "10.0.0.2:443", []string{"1.2.3.4", "203.0.113.1, 10.0.0.9"}, "203.0.113.1"},
		{"all trusted", "10.0.0.2:443", []string{"10.1.1.1, 10.0.0.3"}, "10.1.1.1"},
		{"trusted without XFF", "10.0.0.2:443", nil, "10.0.0.2"},
		{"garbage entry stops the walk", "10.0.0.2:443", []string{"203.0.113.1, garbage, 10.0.0.3"}, "10.0.0.3"},
		{"garbage right after peer", "10.0.0.2:443", []string{"203.0.113.1, not-an-ip"}, "10.0.0.2"},
		{"v6 peer and hop", "[2001:db8:ffff::1]:443", []string{"2001:db8:1::5"}, "2001:db8:1::5"},
		{"hop with port", "10.0.0.2:443", []string{"[2001:db8:1::5]:1234"}, "2001:db8:1::5"},
		{"mapped peer", "[::ffff:198.51.100.7]:80", []string{"203.0.113.1"}, "198.51.100.7"},
		{"mapped trusted peer", "[::ffff:10.0.0.2]:80", []string{"203.0.113.1"}, "203.0.113.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/login", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			got, err := ClientIP(r, trusted)
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tt.want {
				t.Errorf("ClientIP = %s, want %s", got, tt.want)
			}
		})
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "pipe"
	if _, err := ClientIP(r, trusted); err == nil {
		t.Error("unparsable RemoteAddr: got nil error")
	}
}

func TestAuthenticationProfileTimeouts(t *testing.T) {
	tests := []struct {
		name              string
		p                 AuthenticationProfile
		sensitive         bool
		wantAbs, wantIdle time.Duration
	}{
		{"defaults", AuthenticationProfile{}, false, 12 * time.Hour, 30 * time.Minute},
		{"defaults sensitive", AuthenticationProfile{}, true, 12 * time.Hour, 15 * time.Minute},
		{"short idle kept", AuthenticationProfile{IdleTimeout: 5 * time.Minute}, true, 12 * time.Hour, 5 * time.Minute},
		{"reauth shortens", AuthenticationProfile{SessionDuration: 8 * time.Hour, PeriodicReauthentication: time.Hour}, false, time.Hour, 30 * time.Minute},
		{"reauth never lengthens", AuthenticationProfile{SessionDuration: time.Hour, PeriodicReauthentication: 2 * time.Hour}, false, time.Hour, 30 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			abs, idle := tt.p.Timeouts(tt.sensitive)
			if abs != tt.wantAbs || idle != tt.wantIdle {
				t.Errorf("Timeouts = %v, %v; want %v, %v", abs, idle, tt.wantAbs, tt.wantIdle)
			}
		})
	}
}

func TestAuthenticationProfileValidate(t *testing.T) {
	tests := []struct {
		name    string
		p       AuthenticationProfile
		wantMsg string
	}{
		{"zero", AuthenticationProfile{}, ""},
		{"session too short", AuthenticationProfile{SessionDuration: time.Minute}, "SessionDuration must be 15 minutes to 24 hours"},
		{"session too long", AuthenticationProfile{SessionDuration: 25 * time.Hour}, "SessionDuration must be 15 minutes to 24 hours"},
		{"idle too short", AuthenticationProfile{IdleTimeout: time.Second}, "IdleTimeout must be 1 minute to 12 hours"},
		{"reauth", AuthenticationProfile{PeriodicReauthentication: time.Minute}, "PeriodicReauthentication must be 15 minutes to 24 hours"},
		{"invalid prefix", AuthenticationProfile{AllowedIPs: []netip.Prefix{{}}}, "AllowedIps and BlockedIps must be valid CIDR ranges"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Validate()
			if tt.wantMsg == "" {
				if err != nil {
					t.Fatalf("got %v", err)
				}
				return
			}
			if e := apierr.As(err); e == nil || e.Code != apierr.CodeInvalidParameter || e.Message != tt.wantMsg {
				t.Fatalf("got %v, want InvalidParameterException %q", err, tt.wantMsg)
			}
		})
	}
}
