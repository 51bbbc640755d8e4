package identity

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ringfence/ringfence/apierr"
)

// AuthenticationProfile holds the sign-in rules of a set of users, after Connect's
// authentication profiles (Administrator Guide, "authentication profiles": allowed and
// blocked IP address ranges, session timeout, periodic re-authentication).
type AuthenticationProfile struct {
	ID         string
	InstanceID string
	// Name (at most 128 characters) and Description (at most 250) are labels.
	Name        string
	Description string
	// Default is set on the instance's default profile, which applies to every user of the
	// instance not assigned to another profile (Connect's IsDefault: "applies to all agents
	// in an Amazon Connect instance, unless overridden by another authentication profile").
	// Every instance has exactly one default; it cannot be deleted.
	Default bool
	// AllowedIPs: when non-empty, only clients inside one of them may sign in or use a
	// session. Empty allows every address.
	AllowedIPs []netip.Prefix
	// BlockedIPs: clients inside any of them are refused; blocked wins over allowed.
	BlockedIPs []netip.Prefix
	// SessionDuration is the absolute session lifetime (default 12 h; 15 min–24 h).
	SessionDuration time.Duration
	// IdleTimeout ends a session with no request for this long (default 30 min; 1 min–12 h).
	// Sessions of users who need MFA (see RequiresMFA) use at most SensitiveIdleTimeout.
	IdleTimeout time.Duration
	// PeriodicReauthentication, when set, ends every session this long after sign-in so the
	// user authenticates again (15 min–24 h); it shortens SessionDuration, never lengthens it.
	PeriodicReauthentication time.Duration
	// CreatedTime and LastModifiedTime are UTC, millisecond precision.
	CreatedTime      time.Time
	LastModifiedTime time.Time
}

// DefaultAuthenticationProfileName is the name of the profile every instance starts with.
const DefaultAuthenticationProfileName = "Default authentication profile"

// DefaultAuthenticationProfileID is the ID of an instance's default authentication profile:
// derived from the instance ID (a version-4-shaped UUID from SHA-256 of
// "authentication-profile/default/" and the ID), so the profile has a stable ID whether or
// not a row for it was stored yet.
func DefaultAuthenticationProfileID(instanceID string) string {
	b := sha256.Sum256([]byte("authentication-profile/default/" + instanceID))
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// DefaultAuthenticationProfile returns the default profile of an instance as it starts:
// every address allowed, default timeouts, created at created (the instance's creation).
func DefaultAuthenticationProfile(instanceID string, created time.Time) AuthenticationProfile {
	return AuthenticationProfile{
		ID: DefaultAuthenticationProfileID(instanceID), InstanceID: instanceID, Name: DefaultAuthenticationProfileName,
		Description: "Applies to every user of the instance", Default: true,
		SessionDuration: DefaultSessionDuration, IdleTimeout: DefaultIdleTimeout,
		AllowedIPs: []netip.Prefix{}, BlockedIPs: []netip.Prefix{},
		CreatedTime: created, LastModifiedTime: created,
	}
}

// AuthProfileStore keeps authentication profiles and which users they apply to. Methods are
// scoped by instance; an unknown profile or user is ResourceNotFoundException.
type AuthProfileStore interface {
	// PutAuthenticationProfile creates the profile or replaces the one with its ID.
	PutAuthenticationProfile(ctx context.Context, p AuthenticationProfile) error
	// GetAuthenticationProfile returns one profile.
	GetAuthenticationProfile(ctx context.Context, instanceID, profileID string) (AuthenticationProfile, error)
	// ListAuthenticationProfiles returns up to limit profiles with IDs after after, in ID
	// order.
	ListAuthenticationProfiles(ctx context.Context, instanceID, after string, limit int) ([]AuthenticationProfile, error)
	// DeleteAuthenticationProfile deletes a profile that no user is assigned to:
	// ResourceInUseException while one is; InvalidRequestException for the default profile.
	DeleteAuthenticationProfile(ctx context.Context, instanceID, profileID string) error
	// SetUserAuthenticationProfile assigns the user to the stored, non-default profile
	// profileID, replacing any earlier assignment; profileID "" returns the user to the
	// instance's default profile. Unknown user or profile: ResourceNotFoundException.
	SetUserAuthenticationProfile(ctx context.Context, instanceID, userID, profileID string) error
	// UserAuthenticationProfileID returns the ID of the profile the user is assigned to, or ""
	// when the instance's default profile applies (also for an unknown user).
	UserAuthenticationProfileID(ctx context.Context, instanceID, userID string) (string, error)
	// ListAuthenticationProfileUsers returns up to limit IDs of the users assigned to the
	// profile with IDs after after, in ID order.
	ListAuthenticationProfileUsers(ctx context.Context, instanceID, profileID, after string, limit int) ([]string, error)
	// AssignedAuthenticationProfileIDs returns the IDs of the instance's profiles that at
	// least one user is assigned to, in ID order.
	AssignedAuthenticationProfileIDs(ctx context.Context, instanceID string) ([]string, error)
}

// MaxAuthenticationProfiles bounds the profiles of one instance, the default included.
const MaxAuthenticationProfiles = 50

// Authentication profile limits and defaults.
const (
	DefaultSessionDuration = 12 * time.Hour
	DefaultIdleTimeout     = 30 * time.Minute
	// SensitiveIdleTimeout is the idle limit for administrators and profiles that reach
	// sensitive data (PCI DSS v4.0.1 8.2.8: re-authenticate after 15 minutes idle).
	SensitiveIdleTimeout = 15 * time.Minute
	minSessionDuration   = 15 * time.Minute
	maxSessionDuration   = 24 * time.Hour
	minIdleTimeout       = time.Minute
	maxIdleTimeout       = 12 * time.Hour
	// MaxProfileCIDRs bounds each CIDR list.
	MaxProfileCIDRs = 100
)

// Validate checks durations and list sizes; zero durations mean the defaults. It returns
// InvalidParameterException naming the field.
func (p AuthenticationProfile) Validate() error {
	if utf8.RuneCountInString(p.Name) > 128 {
		return apierr.InvalidParameter("Name must be at most 128 characters")
	}
	if utf8.RuneCountInString(p.Description) > 250 {
		return apierr.InvalidParameter("Description must be at most 250 characters")
	}
	if p.SessionDuration != 0 && (p.SessionDuration < minSessionDuration || p.SessionDuration > maxSessionDuration) {
		return apierr.InvalidParameter("SessionDuration must be 15 minutes to 24 hours")
	}
	if p.IdleTimeout != 0 && (p.IdleTimeout < minIdleTimeout || p.IdleTimeout > maxIdleTimeout) {
		return apierr.InvalidParameter("IdleTimeout must be 1 minute to 12 hours")
	}
	if p.PeriodicReauthentication != 0 && (p.PeriodicReauthentication < minSessionDuration || p.PeriodicReauthentication > maxSessionDuration) {
		return apierr.InvalidParameter("PeriodicReauthentication must be 15 minutes to 24 hours")
	}
	if len(p.AllowedIPs) > MaxProfileCIDRs || len(p.BlockedIPs) > MaxProfileCIDRs {
		return apierr.InvalidParameter(fmt.Sprintf("AllowedIps and BlockedIps hold at most %d ranges each", MaxProfileCIDRs))
	}
	for _, pf := range append(append([]netip.Prefix(nil), p.AllowedIPs...), p.BlockedIPs...) {
		if !pf.IsValid() {
			return apierr.InvalidParameter("AllowedIps and BlockedIps must be valid CIDR ranges")
		}
	}
	return nil
}

// Timeouts returns the absolute lifetime and idle limit of a session under p, for a user
// who needs MFA (sensitive true) or not: defaults for zero values, the periodic
// re-authentication interval if shorter, and at most SensitiveIdleTimeout idle when sensitive.
func (p AuthenticationProfile) Timeouts(sensitive bool) (absolute, idle time.Duration) {
	absolute, idle = p.SessionDuration, p.IdleTimeout
	if absolute == 0 {
		absolute = DefaultSessionDuration
	}
	if r := p.PeriodicReauthentication; r > 0 && r < absolute {
		absolute = r
	}
	if idle == 0 {
		idle = DefaultIdleTimeout
	}
	if sensitive && idle > SensitiveIdleTimeout {
		idle = SensitiveIdleTimeout
	}
	return absolute, idle
}

// CheckIPAny is CheckIP against a set of profiles: nil when at least one of them admits ip,
// else CheckIP's refusal. With per-user profiles it is the check that can be made before the
// user is known (an SSO sign-in before the identity provider answers): a network that none of
// the instance's profiles in use admits can be refused at once. An empty set refuses.
func CheckIPAny(profiles []AuthenticationProfile, ip netip.Addr) error {
	for _, p := range profiles {
		if CheckIP(p, ip) == nil {
			return nil
		}
	}
	return apierr.AccessDenied(NetworkDeniedMessage)
}

// NetworkDeniedMessage is the message of CheckIP's refusal. The sign-in page shows the
// generic sign-in failure instead when the profile is per user, so the refusal does not
// reveal that the username exists.
const NetworkDeniedMessage = "Access from this network is not allowed."

// CheckIP reports whether a client at ip may sign in or use a session under p: refused
// (AccessDeniedException, NetworkDeniedMessage) when ip is invalid, inside any blocked range,
// or outside every allowed range while allowed ranges exist. IPv4-mapped IPv6 addresses are
// checked as IPv4. Call it with the real client address (ClientIP), before the password is
// checked.
func CheckIP(p AuthenticationProfile, ip netip.Addr) error {
	if !ip.IsValid() {
		return apierr.AccessDenied(NetworkDeniedMessage)
	}
	ip = ip.Unmap().WithZone("")
	for _, b := range p.BlockedIPs {
		if b.Contains(ip) {
			return apierr.AccessDenied(NetworkDeniedMessage)
		}
	}
	if len(p.AllowedIPs) == 0 {
		return nil
	}
	for _, a := range p.AllowedIPs {
		if a.Contains(ip) {
			return nil
		}
	}
	return apierr.AccessDenied(NetworkDeniedMessage)
}

// ParseCIDRs parses CIDR ranges ("203.0.113.0/24", "2001:db8::/32"; a bare address is a
// single host) into masked prefixes; IPv4-mapped IPv6 ranges become IPv4. It returns
// InvalidParameterException naming the first bad entry's position (not its text).
func ParseCIDRs(list []string) ([]netip.Prefix, error) {
	if len(list) > MaxProfileCIDRs {
		return nil, apierr.InvalidParameter(fmt.Sprintf("at most %d IP ranges are allowed", MaxProfileCIDRs))
	}
	out := make([]netip.Prefix, 0, len(list))
	for i, s := range list {
		s = strings.TrimSpace(s)
		var pf netip.Prefix
		var err error
		if strings.Contains(s, "/") {
			pf, err = netip.ParsePrefix(s)
		} else {
			var a netip.Addr
			a, err = netip.ParseAddr(s)
			if err == nil {
				pf = netip.PrefixFrom(a, a.BitLen())
			}
		}
		if err != nil || pf.Addr().Zone() != "" {
			return nil, apierr.InvalidParameter(fmt.Sprintf("IP range %d is not a valid CIDR range", i+1))
		}
		if a := pf.Addr(); a.Is4In6() && pf.Bits() >= 96 {
			pf = netip.PrefixFrom(a.Unmap(), pf.Bits()-96)
		}
		out = append(out, pf.Masked())
	}
	return out, nil
}

// ClientIP returns the real client address of r. The direct peer (r.RemoteAddr) is the
// client unless it lies in trustedProxies; only then is X-Forwarded-For read (every header
// line, comma-separated), walking from the right: each address that is itself a trusted
// proxy is skipped, and the first one that is not is the client. If every entry is a trusted
// proxy the leftmost is returned; an entry that does not parse stops the walk and the last
// trusted hop is returned, since nothing left of it can be believed. Addresses come back
// unmapped (IPv4-mapped IPv6 as IPv4) and without zone. An unparsable RemoteAddr is an
// error (a server misconfiguration, not client input).
func ClientIP(r *http.Request, trustedProxies []netip.Prefix) (netip.Addr, error) {
	peer, err := parseHostAddr(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("client ip: remote address: %w", err)
	}
	if !inPrefixes(peer, trustedProxies) {
		return peer, nil
	}
	var hops []string
	for _, line := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(line, ",")...)
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := parseHostAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return client, nil
		}
		client = a
		if !inPrefixes(a, trustedProxies) {
			return a, nil
		}
	}
	return client, nil
}

// parseHostAddr parses "ip", "ip:port", "[ipv6]:port" or "[ipv6]".
func parseHostAddr(s string) (netip.Addr, error) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone(""), nil
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		if a, err := netip.ParseAddr(host); err == nil {
			return a.Unmap().WithZone(""), nil
		}
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		if a, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil {
			return a.Unmap().WithZone(""), nil
		}
	}
	return netip.Addr{}, fmt.Errorf("not an IP address")
}

func inPrefixes(a netip.Addr, ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
