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
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ringfence/ringfence/audit"
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
	// Logger receives JSON logs.
	Logger *slog.Logger
}

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
	n := &Node{Config: cfg, Store: st, Keyring: kr, Secrets: secrets}
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
