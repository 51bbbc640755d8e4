package main

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/env/v2"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/providers/posflag"
	"github.com/knadh/koanf/v2"
	"github.com/spf13/pflag"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/keyring"
	"github.com/ringfence/ringfence/node"
)

// secretKeys are settings that may also come from a file named by RINGFENCE_<KEY>_FILE, so
// secrets need not sit in the environment.
var secretKeys = []string{"database-url"}

// addNodeFlags defines the flags every command that opens a node shares.
func addNodeFlags(fs *pflag.FlagSet) {
	fs.String("config", "", "YAML configuration file (keys as the flag names)")
	fs.String("data-dir", "./ringfence-data", "data directory: SQLite database, key file, TLS files")
	fs.String("http-addr", "127.0.0.1:8443", "address of the API and pages")
	fs.String("metrics-addr", "127.0.0.1:9464", "address of Prometheus /metrics (empty disables)")
	fs.String("database-url", "", "postgres://... to use PostgreSQL (default: SQLite in the data directory)")
	fs.String("region", "us-east-1", "AWS region name in ARNs and SigV4 scopes")
	fs.String("account-id", "", "12-digit account ID in ARNs (default: random, fixed at first start)")
	fs.String("tls-cert", "", "PEM certificate chain (default: generated in <data-dir>/tls)")
	fs.String("tls-key", "", "PEM private key for --tls-cert")
	fs.Bool("insecure-http", false, "serve plain HTTP (refused unless --http-addr is loopback)")
	fs.Float64("api-rate", 1000, "API requests per second allowed to each access key")
	fs.Int("api-burst", 2000, "API token bucket size of each access key")
	fs.Int64("max-body-bytes", 1<<20, "largest API request body in bytes")
	fs.String("log-level", "info", "log level: debug, info, warn, error")
	fs.String("functions-ca-file", "", "PEM file of the CA certificates external function endpoints are verified with (default: the system roots)")
	fs.String("public-origin", "", "origin people open the pages at, https://host[:port] (default: the node's address, localhost for loopback)")
	fs.StringSlice("trusted-proxies", nil, "CIDR ranges of reverse proxies whose X-Forwarded-For is believed (comma-separated)")
	fs.Bool("hsts", false, "send HSTS from the pages even over plain HTTP (TLS ends at a proxy in front)")
	fs.Int("max-password-hashes", 0, "most argon2id password hashes run at once, 19 MiB each (default: twice the CPUs)")
	fs.Duration("keyring-poll", keyring.DefaultWatchInterval, "how often a serving node reads its key file again to seal under a KEK version rotated in while it runs (at most 10m)")
}

// listSetting returns a list setting however it was given: a flag's list, a YAML list, or a
// comma-separated string (an environment variable); entries are trimmed, empty ones dropped.
func listSetting(k *koanf.Koanf, name string) []string {
	var raw []string
	switch v := k.Get(name).(type) {
	case string:
		raw = []string{v}
	case []string:
		raw = v
	case []any:
		for _, x := range v {
			raw = append(raw, fmt.Sprint(x))
		}
	}
	var out []string
	for _, r := range raw {
		for _, part := range strings.Split(r, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// durationSetting returns a duration setting however it was given: a flag, a YAML value or a
// variable ("30s", "2m"). A value that is not a duration is an error naming the setting.
func durationSetting(k *koanf.Koanf, name string) (time.Duration, error) {
	switch v := k.Get(name).(type) {
	case nil:
		return 0, nil
	case time.Duration:
		return v, nil
	default:
		d, err := time.ParseDuration(strings.TrimSpace(fmt.Sprint(v)))
		if err != nil {
			return 0, fmt.Errorf("--%s: %q is not a duration such as 30s", name, fmt.Sprint(v))
		}
		return d, nil
	}
}

// loadConfig merges, lowest first: flag defaults, the --config file, RINGFENCE_* variables
// (RINGFENCE_DATA_DIR for --data-dir; RINGFENCE_DATABASE_URL_FILE reads the value from a
// file), then flags given on the command line.
func loadConfig(fs *pflag.FlagSet, environ []string) (node.Config, error) {
	k := koanf.New(".")
	if err := k.Load(posflag.Provider(fs, ".", k), nil); err != nil {
		return node.Config{}, err
	}
	cfgFile, _ := fs.GetString("config")
	if cfgFile == "" {
		for _, kv := range environ {
			if v, ok := strings.CutPrefix(kv, "RINGFENCE_CONFIG="); ok {
				cfgFile = v
			}
		}
	}
	if cfgFile != "" {
		if err := k.Load(file.Provider(cfgFile), yaml.Parser()); err != nil {
			return node.Config{}, fmt.Errorf("config file %s: %w", cfgFile, err)
		}
	}
	envErr := error(nil)
	err := k.Load(env.Provider(".", env.Opt{
		Prefix:      "RINGFENCE_",
		EnvironFunc: func() []string { return environ },
		TransformFunc: func(key, v string) (string, any) {
			name := strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(key, "RINGFENCE_")), "_", "-")
			if base, ok := strings.CutSuffix(name, "-file"); ok {
				for _, s := range secretKeys {
					if s == base {
						b, err := os.ReadFile(v)
						if err != nil {
							envErr = fmt.Errorf("%s: %w", key, err)
							return "", nil
						}
						return base, strings.TrimSpace(string(b))
					}
				}
			}
			return name, v
		},
	}), nil)
	if err != nil {
		return node.Config{}, err
	}
	if envErr != nil {
		return node.Config{}, envErr
	}
	changed := map[string]any{}
	fs.Visit(func(f *pflag.Flag) { changed[f.Name] = posflag.FlagVal(fs, f) })
	for name, v := range changed {
		if err := k.Set(name, v); err != nil {
			return node.Config{}, err
		}
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(k.String("log-level"))); err != nil {
		return node.Config{}, fmt.Errorf("--log-level: %w", err)
	}
	proxies, err := identity.ParseCIDRs(listSetting(k, "trusted-proxies"))
	if err != nil {
		return node.Config{}, fmt.Errorf("--trusted-proxies: %s", apierr.As(err).Message)
	}
	poll, err := durationSetting(k, "keyring-poll")
	if err != nil {
		return node.Config{}, err
	}
	return node.Config{
		PublicOrigin: k.String("public-origin"), TrustedProxies: proxies, HSTS: k.Bool("hsts"),
		MaxPasswordHashes: k.Int("max-password-hashes"),
		KeyringPoll:       poll,
		DataDir:           k.String("data-dir"), HTTPAddr: k.String("http-addr"), MetricsAddr: k.String("metrics-addr"),
		DatabaseURL: k.String("database-url"), Region: k.String("region"), AccountID: k.String("account-id"),
		TLSCert: k.String("tls-cert"), TLSKey: k.String("tls-key"), InsecureHTTP: k.Bool("insecure-http"),
		APIRate: k.Float64("api-rate"), APIBurst: k.Int("api-burst"), MaxBodyBytes: k.Int64("max-body-bytes"),
		FunctionsCAFile: k.String("functions-ca-file"),
		Logger:          slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level})),
	}, nil
}
