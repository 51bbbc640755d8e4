// Package node assembles one Ringfence node from its configuration: the data directory, the
// store (SQLite by default, PostgreSQL for a cluster), the keyring, TLS, and the HTTP servers
// (the Connect-compatible API with /healthz and /readyz, and Prometheus /metrics on its own
// address). cmd/ringfence only parses flags and calls it.
package node

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/keyring"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/store"
	"github.com/ringfence/ringfence/store/postgres"
	"github.com/ringfence/ringfence/store/sqlite"
	"github.com/ringfence/ringfence/store/sqlstore"
)

// Config is a node's configuration. Every field has a flag and a RINGFENCE_* variable in
// cmd/ringfence.
type Config struct {
	// DataDir holds the SQLite database, the key file and the TLS files (default ./ringfence-data).
	DataDir string
	// HTTPAddr is the API and pages address (default 127.0.0.1:8443).
	HTTPAddr string
	// MetricsAddr serves Prometheus /metrics (default 127.0.0.1:9464; "" disables).
	MetricsAddr string
	// DatabaseURL selects the store: "" for SQLite in DataDir, postgres://... for PostgreSQL.
	DatabaseURL string
	// Region is the AWS region name of ARNs and SigV4 scopes (default us-east-1).
	Region string
	// AccountID is the 12-digit account in ARNs; empty means the one fixed at first start
	// (random). A value that differs from the stored one is refused.
	AccountID string
	// TLSCert and TLSKey are PEM files; empty means a generated self-signed pair in DataDir/tls.
	TLSCert, TLSKey string
	// InsecureHTTP serves plain HTTP; allowed only on a loopback HTTPAddr.
	InsecureHTTP bool
	// APIRate and APIBurst set each principal's token bucket (requests/s, bucket size).
	APIRate  float64
	APIBurst int
	// MaxBodyBytes limits API request bodies.
	MaxBodyBytes int64
	// FunctionsCAFile is a PEM file of CA certificates that external function endpoints'
	// certificates are verified with; empty means the system roots.
	FunctionsCAFile string
	// PublicOrigin is the origin people reach the pages at, "https://host[:port]" (no path):
	// the WebAuthn relying party (its host is the passkeys' RP ID, which must be a domain
	// name, not an IP address) and the one origin passkey ceremonies accept. Empty means the
	// node's own endpoint, with "localhost" for a loopback address.
	PublicOrigin string
	// TrustedProxies are the reverse proxies (CIDR ranges) whose X-Forwarded-For is believed
	// for the client address that sign-in rate limits, authentication-profile network rules
	// and audit events use. Empty means the TCP peer is the client.
	TrustedProxies []netip.Prefix
	// HSTS makes the pages send Strict-Transport-Security even on requests that reach the
	// node over plain HTTP (TLS ends at a proxy in front); over TLS they always do.
	HSTS bool
	// KeyringPoll is how often a serving node reads its key file again to pick up a KEK
	// version rotated in while it runs (keyring.Local.Watch): new values are sealed under
	// the new version at most this long after the file changed. 0 means
	// keyring.DefaultWatchInterval (10 s); at most MaxKeyringPoll.
	KeyringPoll time.Duration
	// MaxPasswordHashes bounds concurrent argon2id runs (each holds 19 MiB while it runs);
	// 0 means identity.DefaultArgon2Concurrency (twice GOMAXPROCS).
	MaxPasswordHashes int
	// Logger receives JSON logs.
	Logger *slog.Logger
}

// MaxKeyringPoll is the longest Config.KeyringPoll: a rotation reaches every node within it.
const MaxKeyringPoll = 10 * time.Minute

// Defaults fills empty fields with their defaults.
func (c *Config) Defaults() {
	if c.DataDir == "" {
		c.DataDir = "./ringfence-data"
	}
	if c.HTTPAddr == "" {
		c.HTTPAddr = "127.0.0.1:8443"
	}
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	if c.KeyringPoll == 0 {
		c.KeyringPoll = keyring.DefaultWatchInterval
	}
}

// Validate checks the configuration before anything is opened.
func (c *Config) Validate() error {
	if c.InsecureHTTP && !isLoopback(c.HTTPAddr) {
		return fmt.Errorf("--insecure-http is allowed only on a loopback address, not %q", c.HTTPAddr)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("--tls-cert and --tls-key must be given together")
	}
	if c.AccountID != "" && !isAccountID(c.AccountID) {
		return fmt.Errorf("--account-id must be 12 digits, not %q", c.AccountID)
	}
	if c.PublicOrigin != "" {
		u, err := url.Parse(c.PublicOrigin)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return fmt.Errorf("--public-origin must be an origin such as https://cc.example.com:8443, not %q", c.PublicOrigin)
		}
	}
	if c.KeyringPoll < 0 || c.KeyringPoll > MaxKeyringPoll {
		return fmt.Errorf("--keyring-poll must be between 0 (the default, %s) and %s, not %s", keyring.DefaultWatchInterval, MaxKeyringPoll, c.KeyringPoll)
	}
	if c.MaxPasswordHashes < 0 {
		return errors.New("--max-password-hashes must not be negative")
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		return errors.New("--database-url must be a postgres:// URL (leave it empty for SQLite in the data directory)")
	}
	return nil
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// isLoopback reports whether the host of addr is a loopback IP or "localhost".
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Node is an opened node: store, keyring and deployment identity.
type Node struct {
	Config    Config
	Store     store.Store
	Keyring   *keyring.Local
	Secrets   *keyring.Envelope
	AccountID string

	// db is Store as the SQL store it is, for what only it offers (RewrapSealed).
	db *sqlstore.Store
	// pwHasher is the one argon2id hasher of the node: its limiter bounds every password
	// hash and verification the node runs.
	pwHasher identity.PasswordHasher
	// boundAddr is the API listener's address once Serve opened it.
	boundAddr string

	rtOnce sync.Once
	rt     *Runtime
	rtErr  error
}

// Open prepares the data directory (mode 0700), opens the keyring and the store, and fixes
// the account ID. The caller must Close the node.
func Open(ctx context.Context, cfg Config) (*Node, error) {
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	kr, err := keyring.OpenLocal(keyring.DefaultPath(cfg.DataDir), keyring.LocalOptions{})
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	secrets := keyring.NewEnvelope(kr, nil)
	// The contact-attribute search index is keyed with a key derived from the keyring's
	// keyed-hash key, apart from the flow-log key.
	indexKey := kr.Hasher().Sum(secret.New([]byte("ringfence contact attribute index v1")))
	opts := sqlstore.Options{Logger: cfg.Logger, Sealer: secrets, Hasher: keyring.NewHasher(secret.New([]byte(indexKey)))}
	var st *sqlstore.Store
	if cfg.DatabaseURL == "" {
		st, err = sqlite.Open(ctx, filepath.Join(cfg.DataDir, "ringfence.db"), opts)
	} else {
		st, err = postgres.Open(ctx, cfg.DatabaseURL, opts)
	}
	if err != nil {
		return nil, err
	}
	n := &Node{Config: cfg, Store: st, db: st, Keyring: kr, Secrets: secrets, pwHasher: identity.NewPasswordHasher()}
	if cfg.MaxPasswordHashes > 0 {
		n.pwHasher.Limiter = identity.NewArgon2Limiter(cfg.MaxPasswordHashes)
	}
	want := cfg.AccountID
	if want == "" {
		d, _ := rand.Int(rand.Reader, big.NewInt(1e12))
		want = fmt.Sprintf("%012d", d)
	}
	err = st.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		got, err := tx.SetSettingOnce(ctx, "account_id", want)
		n.AccountID = got
		return err
	})
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("account id: %w", err)
	}
	if cfg.AccountID != "" && cfg.AccountID != n.AccountID {
		st.Close()
		return nil, fmt.Errorf("--account-id %s differs from the account %s this deployment was created with", cfg.AccountID, n.AccountID)
	}
	return n, nil
}

// PasswordHasher returns the node's argon2id hasher; every component that hashes or
// verifies passwords uses it, so they share its concurrency bound.
func (n *Node) PasswordHasher() *identity.PasswordHasher { return &n.pwHasher }

// Close closes the store.
func (n *Node) Close() error { return n.Store.Close() }

// Endpoint is the base URL clients use: https://{HTTPAddr} (http:// with InsecureHTTP).
func (n *Node) Endpoint() string {
	scheme := "https"
	if n.Config.InsecureHTTP {
		scheme = "http"
	}
	return scheme + "://" + n.Config.HTTPAddr
}

// hostEvent is the audit event of a command run on the server's host.
func hostEvent(code, op, instanceID, resource string) *audit.Event {
	return &audit.Event{Code: code, Actor: "host", Operation: op, InstanceID: instanceID, Resource: resource, Time: time.Now()}
}
