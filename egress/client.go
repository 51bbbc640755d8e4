package egress

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	// DefaultMaxResponseBytes is the response body cap when Config.MaxResponseBytes is 0: 1 MiB.
	DefaultMaxResponseBytes = 1 << 20
	// MaxTimeout is the longest any call may take, and the default per-call timeout: 8 seconds,
	// the Amazon Connect limit for an invoked function ("Timeout (max 8 seconds)", Amazon Connect
	// Administrator Guide, "Invoke AWS Lambda function" block).
	MaxTimeout = 8 * time.Second
	// MaxRedirects is the largest number of redirects a Client follows.
	MaxRedirects = 3
	// maxHeaderBytes caps response headers.
	maxHeaderBytes = 64 << 10
)

// Resolver looks up the IP addresses of a host. *net.Resolver satisfies it; tests inject a
// fake to simulate public names that resolve to private addresses or change between lookups.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// DialFunc opens a connection to address, which is always "IP:port" for an IP that passed
// the address rules. Tests inject one to observe what is dialled; production leaves it nil.
type DialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// Config sets a Client's allowlist and limits. Zero values select the defaults. A Client
// applies one Config to every call, so give each allowlist (each instance, or each function
// with its own allowlist) its own Client: pooled connections are never shared across Configs.
type Config struct {
	// AllowHosts are host names or canonical IP literals (exact match, case-insensitive, a
	// trailing dot ignored) whose connections skip the address rules; for example the name of
	// an on-premises function server. Wildcards are not supported. Non-canonical numeric
	// hosts are refused here and by New.
	AllowHosts []string
	// AllowCIDRs admit dialled IPs inside these prefixes whatever the host.
	AllowCIDRs []netip.Prefix
	// MaxResponseBytes caps the response body; 0 means DefaultMaxResponseBytes. A larger body
	// fails the call with RuleSize.
	MaxResponseBytes int64
	// MaxRedirects is how many redirects to follow (each re-checked): 0 means MaxRedirects (3),
	// a negative value means none (a 3xx response is returned as is), more than 3 is an error.
	MaxRedirects int
	// MaxTimeout caps the per-call timeout; 0 means MaxTimeout (8 s), more than 8 s is an error.
	MaxTimeout time.Duration
	// StripOnRedirect names request headers (for example a signature) removed when a redirect
	// leads to a different host.
	StripOnRedirect []string
	// Resolver resolves host names; nil means net.DefaultResolver.
	Resolver Resolver
	// Dial connects to a checked "IP:port"; nil means a net.Dialer whose Control hook checks
	// the socket address again just before connect(2).
	Dial DialFunc
	// RootCAs verifies server certificates; nil means the system roots.
	RootCAs *x509.CertPool
	// UserAgent is sent when the request has none; empty means "ringfence-egress".
	UserAgent string
}

// Client is the guarded HTTPS client. It is safe for concurrent use. Create it with New.
type Client struct {
	allowHosts      map[string]bool
	allowCIDRs      []netip.Prefix
	maxBytes        int64
	maxRedirects    int
	maxTimeout      time.Duration
	stripOnRedirect []string
	resolver        Resolver
	dial            DialFunc
	userAgent       string
	transport       *http.Transport
	hc              *http.Client
}

// Response is a completed call: the status, headers and the whole body (at most the Config's
// MaxResponseBytes).
type Response struct {
	// StatusCode is the final HTTP status (after redirects). Non-2xx is not an error here.
	StatusCode int
	// Header holds the final response's headers.
	Header http.Header
	// Body is the complete response body.
	Body []byte
	// Redirects is how many redirects were followed.
	Redirects int
}

// New validates cfg and returns a Client. It fails when an allowlisted host is not a valid
// host, a CIDR is invalid, or a limit is out of range.
func New(cfg Config) (*Client, error) {
	c := &Client{
		allowHosts:      make(map[string]bool, len(cfg.AllowHosts)),
		maxBytes:        cfg.MaxResponseBytes,
		maxRedirects:    cfg.MaxRedirects,
		maxTimeout:      cfg.MaxTimeout,
		stripOnRedirect: append([]string(nil), cfg.StripOnRedirect...),
		resolver:        cfg.Resolver,
		dial:            cfg.Dial,
		userAgent:       cfg.UserAgent,
	}
	for _, h := range cfg.AllowHosts {
		t, err := checkHost(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"))
		if err != nil {
			return nil, fmt.Errorf("egress: allowlisted host %q: %w", h, err)
		}
		c.allowHosts[t.host] = true
	}
	for _, p := range cfg.AllowCIDRs {
		if !p.IsValid() {
			return nil, fmt.Errorf("egress: invalid allowlisted prefix %q", p.String())
		}
		c.allowCIDRs = append(c.allowCIDRs, p.Masked())
	}
	switch {
	case c.maxBytes < 0:
		return nil, fmt.Errorf("egress: negative MaxResponseBytes %d", c.maxBytes)
	case c.maxBytes == 0:
		c.maxBytes = DefaultMaxResponseBytes
	}
	switch {
	case c.maxRedirects > MaxRedirects:
		return nil, fmt.Errorf("egress: MaxRedirects %d above %d", c.maxRedirects, MaxRedirects)
	case c.maxRedirects == 0:
		c.maxRedirects = MaxRedirects
	}
	switch {
	case c.maxTimeout < 0 || c.maxTimeout > MaxTimeout:
		return nil, fmt.Errorf("egress: MaxTimeout %s outside (0, %s]", c.maxTimeout, MaxTimeout)
	case c.maxTimeout == 0:
		c.maxTimeout = MaxTimeout
	}
	if c.resolver == nil {
		c.resolver = net.DefaultResolver
	}
	if c.userAgent == "" {
		c.userAgent = "ringfence-egress"
	}
	c.transport = &http.Transport{
		Proxy:                  nil, // never from the environment
		DialContext:            c.dialContext,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: cfg.RootCAs},
		TLSHandshakeTimeout:    c.maxTimeout,
		DisableCompression:     true,
		MaxIdleConnsPerHost:    16,
		IdleConnTimeout:        90 * time.Second,
		ResponseHeaderTimeout:  c.maxTimeout,
		MaxResponseHeaderBytes: maxHeaderBytes,
	}
	c.hc = &http.Client{Transport: c.transport, CheckRedirect: c.checkRedirect}
	return c, nil
}

// CloseIdleConnections closes pooled connections; call it when the Client is retired.
func (c *Client) CloseIdleConnections() { c.transport.CloseIdleConnections() }

// Do sends req and reads the whole response. timeout bounds the entire call, body included;
// a value <= 0 or above the Client's MaxTimeout is replaced by MaxTimeout. req.Body must be
// replayable (set GetBody, as http.NewRequest does for bytes.Reader) if 307/308 redirects are to
// be followed.
//
// Errors: *Error when a rule refuses the call (RuleTimeout when the time runs out, whoever
// set the deadline); an error wrapping context.Canceled when ctx is cancelled; otherwise a
// wrapped transport error. The URL's path and query never appear in errors.
func (c *Client) Do(ctx context.Context, req *http.Request, timeout time.Duration) (*Response, error) {
	t, err := c.checkTarget(req.URL)
	if err != nil {
		return nil, err
	}
	if timeout <= 0 || timeout > c.maxTimeout {
		timeout = c.maxTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req = req.WithContext(ctx)
	if req.Header.Get("User-Agent") == "" {
		req.Header = req.Header.Clone()
		if req.Header == nil {
			req.Header = http.Header{}
		}
		req.Header.Set("User-Agent", c.userAgent)
	}
	redirects := 0
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.classify(ctx, t.host, req.URL.String(), err)
	}
	defer func() { _ = resp.Body.Close() }()
	for r := resp.Request; r != nil && r.Response != nil; r = r.Response.Request {
		redirects++
	}
	if resp.ContentLength > c.maxBytes {
		return nil, &Error{Rule: RuleSize, Host: t.host, Detail: "declared length " + strconv.FormatInt(resp.ContentLength, 10) + " bytes exceeds " + strconv.FormatInt(c.maxBytes, 10)}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBytes+1))
	if err == nil && ctx.Err() != nil {
		// The transport can hand back a response, or a clean end of body, that the server
		// only produced because the cancellation closed our side of the connection: a
		// truncated answer. Once the deadline has passed nothing read is trusted.
		err = ctx.Err()
	}
	if err != nil {
		return nil, c.classify(ctx, t.host, "", err)
	}
	if int64(len(body)) > c.maxBytes {
		return nil, &Error{Rule: RuleSize, Host: t.host, Detail: "body exceeds " + strconv.FormatInt(c.maxBytes, 10) + " bytes"}
	}
	return &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: body, Redirects: redirects}, nil
}

// classify turns a transport error into the error Do returns. It drops *url.Error, whose text
// carries the full URL; when that URL is not the one asked for (origURL), the failure happened
// on a redirect target and a refusal is marked as such.
func (c *Client) classify(ctx context.Context, host, origURL string, err error) error {
	var ue *url.Error
	onRedirect := errors.As(err, &ue) && origURL != "" && ue.URL != origURL
	var refused *Error
	if errors.As(err, &refused) {
		if onRedirect {
			refused.Redirect = true
		}
		return refused
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &Error{Rule: RuleTimeout, Host: host, Detail: "call did not finish in time"}
	}
	if ue != nil {
		err = ue.Err
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return fmt.Errorf("egress: call to %q: %w", host, context.Canceled)
	}
	return fmt.Errorf("egress: call to %q: %w", host, err)
}

// Check applies to u the rules that need no network, as Do would: scheme, user information,
// port, host form, and the address rules when the host is an IP literal. Use it to validate a
// configured URL before storing it; names are only resolved, and checked, when called.
// It returns nil or an *Error.
func (c *Client) Check(u *url.URL) error {
	_, err := c.checkTarget(u)
	return err
}

// checkTarget applies the static URL rules and the localhost-name rule.
func (c *Client) checkTarget(u *url.URL) (target, error) {
	t, err := checkURL(u)
	if err != nil {
		return target{}, err
	}
	if isLocalName(t.host) && !c.allowHosts[t.host] {
		return target{}, &Error{Rule: RuleHost, Host: t.host, Detail: "localhost names are refused (RFC 6761 §6.3)"}
	}
	if t.ip.IsValid() {
		if err := c.checkIP(t.host, t.ip); err != nil {
			return target{}, err
		}
	}
	return t, nil
}

// checkRedirect re-applies every rule to a redirect target and enforces MaxRedirects.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if c.maxRedirects < 0 {
		return http.ErrUseLastResponse
	}
	if len(via) > c.maxRedirects {
		return &Error{Rule: RuleRedirect, Host: req.URL.Hostname(), Redirect: true, Detail: "more than " + strconv.Itoa(c.maxRedirects) + " redirects"}
	}
	if _, err := c.checkTarget(req.URL); err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Redirect = true
		}
		return err
	}
	if len(via) > 0 && !strings.EqualFold(req.URL.Host, via[0].URL.Host) {
		for _, h := range c.stripOnRedirect {
			req.Header.Del(h)
		}
	}
	return nil
}

// checkIP applies the address rules to one IP that host resolved to (or is).
func (c *Client) checkIP(host string, ip netip.Addr) error {
	if c.allowHosts[host] {
		return nil
	}
	u := ip.Unmap()
	for _, p := range c.allowCIDRs {
		if p.Contains(u) || p.Contains(ip) {
			return nil
		}
	}
	if why := CheckAddr(ip); why != "" {
		return &Error{Rule: RuleAddress, Host: host, Addr: ip, Detail: why}
	}
	return nil
}

// dialContext is the transport's dialler: resolve once, check every answer, dial only checked
// addresses. Any refused answer refuses the whole host, so the outcome does not depend on the
// order of DNS answers.
func (c *Client) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	h, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("egress: dial address %q: %w", addr, err)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("egress: dial port %q: %w", portStr, err)
	}
	t, err := checkHost(h)
	if err != nil {
		return nil, err
	}
	var ips []netip.Addr
	if t.ip.IsValid() {
		ips = []netip.Addr{t.ip}
	} else {
		ips, err = c.resolver.LookupNetIP(ctx, "ip", t.host)
		if err != nil {
			return nil, fmt.Errorf("egress: resolve %q: %w", t.host, err)
		}
		if len(ips) == 0 {
			return nil, fmt.Errorf("egress: resolve %q: no addresses", t.host)
		}
	}
	for _, ip := range ips {
		if err := c.checkIP(t.host, ip); err != nil {
			return nil, err
		}
	}
	var lastErr error
	for _, ip := range ips {
		ap := netip.AddrPortFrom(ip.Unmap(), uint16(port))
		var conn net.Conn
		if c.dial != nil {
			conn, err = c.dial(ctx, network, ap.String())
		} else {
			d := net.Dialer{Control: c.control(t.host, ap.Addr())}
			conn, err = d.DialContext(ctx, network, ap.String())
		}
		if err == nil {
			return conn, nil
		}
		var refused *Error
		if errors.As(err, &refused) {
			return nil, refused
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("egress: connect %q: %w", t.host, lastErr)
}

// control returns a net.Dialer Control hook that refuses any socket address other than want,
// and re-applies the address rules to it, just before connect(2).
func (c *Client) control(host string, want netip.Addr) func(network, address string, _ syscall.RawConn) error {
	return func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return &Error{Rule: RuleAddress, Host: host, Detail: "unparsable socket address"}
		}
		if ap.Addr().Unmap() != want {
			return &Error{Rule: RuleAddress, Host: host, Addr: ap.Addr(), Detail: "socket address differs from the checked address"}
		}
		return c.checkIP(host, ap.Addr())
	}
}
