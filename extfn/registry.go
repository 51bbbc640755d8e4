package extfn

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/ringfence/ringfence/egress"
	"github.com/ringfence/ringfence/secret"
)

// StringMapFunc is a built-in function that answers like a STRING_MAP function. It must honour
// ctx: it is given the invocation's deadline.
type StringMapFunc func(ctx context.Context, e Event) (map[string]string, error)

// JSONFunc is a built-in function that answers any JSON document (for ResponseValidation
// JSON). It must honour ctx.
type JSONFunc func(ctx context.Context, e Event) (json.RawMessage, error)

// Builtin is a Go function an instance can map an ARN to. Exactly one of StringMap and JSON
// is set. A StringMap built-in invoked in JSON mode answers its map as a JSON object; a JSON
// built-in invoked in STRING_MAP mode must answer a flat string map (ParseStringMap).
type Builtin struct {
	// Name identifies the built-in in FunctionConfig.Builtin, for example "ringfence.echo".
	Name      string
	StringMap StringMapFunc
	JSON      JSONFunc
}

// FunctionConfig is what the store persists for one function of one instance: an ARN mapped to
// an HTTPS endpoint or to a built-in, by name. Exactly one of Endpoint and Builtin is set.
type FunctionConfig struct {
	// ARN is the function ARN flows name in LambdaFunctionARN, for example
	// "arn:aws:lambda:us-east-1:123456789012:function:lookup". It must start with "arn:", hold
	// no spaces or control characters, and be at most 2,048 bytes.
	ARN string `json:"arn"`
	// Endpoint is set for functions served over HTTPS.
	Endpoint *EndpointConfig `json:"endpoint,omitempty"`
	// Builtin is the Name of a Builtin given to NewRegistry.
	Builtin string `json:"builtin,omitempty"`
}

// EndpointConfig is an HTTPS function endpoint. The signing secret is not marshalled (it
// prints as [REDACTED]); the store keeps it encrypted on its own.
type EndpointConfig struct {
	// URL is the https URL the event is POSTed to. It is checked by the egress rules when the
	// function is registered and on every call.
	URL string `json:"url"`
	// SigningSecret keys the request signature; at least MinSecretBytes bytes.
	SigningSecret secret.Value[string] `json:"-"`
	// AllowHosts lists hosts (exact names or canonical IP literals) this function may reach
	// even at private or loopback addresses, for example an on-premises server.
	AllowHosts []string `json:"allowHosts,omitempty"`
	// AllowCIDRs lists prefixes, such as "10.20.0.0/16", whose addresses this function may
	// reach whatever the host name.
	AllowCIDRs []string `json:"allowCidrs,omitempty"`
}

// RegistryOptions configure a Registry.
type RegistryOptions struct {
	// Builtins is the explicit list of built-in functions FunctionConfig.Builtin may name.
	Builtins []Builtin
	// Egress is the base egress configuration of every endpoint (resolver, dialler, root CAs,
	// user agent). Its allowlists are replaced by each function's; its response cap by
	// MaxResponseBytes.
	Egress egress.Config
}

// Registry holds one instance's functions. It is safe for concurrent use; Put, Remove and Load
// take effect for invocations that start afterwards.
type Registry struct {
	builtins map[string]Builtin
	base     egress.Config

	mu  sync.RWMutex
	fns map[string]*function
}

// function is a registered function, ready to call.
type function struct {
	cfg     FunctionConfig
	url     *url.URL
	client  *egress.Client
	builtin Builtin
}

// NewRegistry returns an empty registry. It fails when two built-ins share a name, or a
// built-in has no name or not exactly one function.
func NewRegistry(opts RegistryOptions) (*Registry, error) {
	r := &Registry{builtins: map[string]Builtin{}, base: opts.Egress, fns: map[string]*function{}}
	for _, b := range opts.Builtins {
		if b.Name == "" || (b.StringMap == nil) == (b.JSON == nil) {
			return nil, fmt.Errorf("extfn: built-in %q: want a name and exactly one of StringMap, JSON", b.Name)
		}
		if _, dup := r.builtins[b.Name]; dup {
			return nil, fmt.Errorf("extfn: built-in %q registered twice", b.Name)
		}
		r.builtins[b.Name] = b
	}
	return r, nil
}

// Put validates cfg and registers it, replacing any function with the same ARN. Errors name
// the ARN and the field at fault; the registry is unchanged on error.
func (r *Registry) Put(cfg FunctionConfig) error {
	fn, err := r.build(cfg)
	if err != nil {
		return err
	}
	r.mu.Lock()
	old := r.fns[cfg.ARN]
	r.fns[cfg.ARN] = fn
	r.mu.Unlock()
	if old != nil && old.client != nil {
		old.client.CloseIdleConnections()
	}
	return nil
}

// Load replaces every function with cfgs, all or nothing: on error the registry is unchanged.
func (r *Registry) Load(cfgs []FunctionConfig) error {
	next := make(map[string]*function, len(cfgs))
	for _, cfg := range cfgs {
		if _, dup := next[cfg.ARN]; dup {
			return fmt.Errorf("extfn: function %q listed twice", cfg.ARN)
		}
		fn, err := r.build(cfg)
		if err != nil {
			return err
		}
		next[cfg.ARN] = fn
	}
	r.mu.Lock()
	old := r.fns
	r.fns = next
	r.mu.Unlock()
	for _, fn := range old {
		if fn.client != nil {
			fn.client.CloseIdleConnections()
		}
	}
	return nil
}

// Remove unregisters arn and reports whether it was registered.
func (r *Registry) Remove(arn string) bool {
	r.mu.Lock()
	fn, ok := r.fns[arn]
	delete(r.fns, arn)
	r.mu.Unlock()
	if ok && fn.client != nil {
		fn.client.CloseIdleConnections()
	}
	return ok
}

// Configs returns the registered configurations sorted by ARN.
func (r *Registry) Configs() []FunctionConfig {
	r.mu.RLock()
	out := make([]FunctionConfig, 0, len(r.fns))
	for _, fn := range r.fns {
		out = append(out, fn.cfg)
	}
	r.mu.RUnlock()
	slices.SortFunc(out, func(a, b FunctionConfig) int { return strings.Compare(a.ARN, b.ARN) })
	return out
}

func (r *Registry) lookup(arn string) (*function, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	fn, ok := r.fns[arn]
	return fn, ok
}

// build validates one configuration and prepares its egress client.
func (r *Registry) build(cfg FunctionConfig) (*function, error) {
	if err := checkARN(cfg.ARN); err != nil {
		return nil, fmt.Errorf("extfn: function %q: %w", cfg.ARN, err)
	}
	switch {
	case cfg.Endpoint != nil && cfg.Builtin != "":
		return nil, fmt.Errorf("extfn: function %q: both endpoint and built-in set", cfg.ARN)
	case cfg.Builtin != "":
		b, ok := r.builtins[cfg.Builtin]
		if !ok {
			return nil, fmt.Errorf("extfn: function %q: unknown built-in %q", cfg.ARN, cfg.Builtin)
		}
		return &function{cfg: cfg, builtin: b}, nil
	case cfg.Endpoint == nil:
		return nil, fmt.Errorf("extfn: function %q: neither endpoint nor built-in set", cfg.ARN)
	}
	ep := cfg.Endpoint
	if n := len(ep.SigningSecret.Reveal()); n < MinSecretBytes {
		return nil, fmt.Errorf("extfn: function %q: signing secret of %d bytes, want at least %d", cfg.ARN, n, MinSecretBytes)
	}
	u, err := url.Parse(ep.URL)
	if err != nil {
		return nil, fmt.Errorf("extfn: function %q: endpoint URL: %w", cfg.ARN, err)
	}
	ec := r.base
	ec.AllowHosts = ep.AllowHosts
	ec.AllowCIDRs = nil
	for _, s := range ep.AllowCIDRs {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("extfn: function %q: allowlisted prefix: %w", cfg.ARN, err)
		}
		ec.AllowCIDRs = append(ec.AllowCIDRs, p)
	}
	ec.MaxResponseBytes = MaxResponseBytes
	ec.StripOnRedirect = []string{HeaderSignature, HeaderTimestamp}
	client, err := egress.New(ec)
	if err != nil {
		return nil, fmt.Errorf("extfn: function %q: %w", cfg.ARN, err)
	}
	if err := client.Check(u); err != nil {
		return nil, fmt.Errorf("extfn: function %q: endpoint URL: %w", cfg.ARN, err)
	}
	cp := *ep
	cp.AllowHosts = slices.Clone(ep.AllowHosts)
	cp.AllowCIDRs = slices.Clone(ep.AllowCIDRs)
	cfg.Endpoint = &cp
	return &function{cfg: cfg, url: u, client: client}, nil
}

// checkARN applies the ARN shape rules documented on FunctionConfig.ARN.
func checkARN(arn string) error {
	if !strings.HasPrefix(arn, "arn:") {
		return fmt.Errorf("ARN must start with \"arn:\"")
	}
	if len(arn) > 2048 {
		return fmt.Errorf("ARN longer than 2048 bytes")
	}
	if strings.IndexFunc(arn, func(c rune) bool { return unicode.IsSpace(c) || unicode.IsControl(c) }) >= 0 {
		return fmt.Errorf("ARN holds a space or control character")
	}
	return nil
}
