package extfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ringfence/ringfence/secret"
)

func noopBuiltin(name string) Builtin {
	return Builtin{Name: name, StringMap: func(context.Context, Event) (map[string]string, error) { return nil, nil }}
}

func TestNewRegistryValidatesBuiltins(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		builtins []Builtin
		wantErr  string
	}{
		{"ok", []Builtin{noopBuiltin("a"), noopBuiltin("b")}, ""},
		{"duplicate", []Builtin{noopBuiltin("a"), noopBuiltin("a")}, `extfn: built-in "a" registered twice`},
		{"no name", []Builtin{noopBuiltin("")}, `extfn: built-in "": want a name and exactly one of StringMap, JSON`},
		{"no function", []Builtin{{Name: "x"}}, `extfn: built-in "x": want a name and exactly one of StringMap, JSON`},
		{"two functions", []Builtin{{Name: "x", StringMap: noopBuiltin("x").StringMap, JSON: func(context.Context, Event) (json.RawMessage, error) { return nil, nil }}}, `extfn: built-in "x": want a name and exactly one of StringMap, JSON`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewRegistry(RegistryOptions{Builtins: tt.builtins})
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.wantErr {
				t.Errorf("error = %q, want %q", got, tt.wantErr)
			}
		})
	}
}

func TestRegistryPutValidates(t *testing.T) {
	t.Parallel()
	reg := newTestRegistry(t, nil, noopBuiltin("echo"))
	ep := func(mut func(*EndpointConfig)) FunctionConfig {
		c := endpoint(arnEcho, "https://fn.example.com/echo")
		mut(c.Endpoint)
		return c
	}
	tests := []struct {
		name    string
		cfg     FunctionConfig
		wantErr string
	}{
		{"endpoint ok", ep(func(*EndpointConfig) {}), ""},
		{"public name, no allowlist", ep(func(e *EndpointConfig) { e.AllowHosts = nil; e.URL = "https://functions.example.com/x" }), ""},
		{"builtin ok", FunctionConfig{ARN: "arn:ringfence:builtin:echo", Builtin: "echo"}, ""},
		{"arn prefix", FunctionConfig{ARN: "lambda:echo", Builtin: "echo"}, `extfn: function "lambda:echo": ARN must start with "arn:"`},
		{"arn space", FunctionConfig{ARN: "arn:x y", Builtin: "echo"}, `extfn: function "arn:x y": ARN holds a space or control character`},
		{"arn too long", FunctionConfig{ARN: "arn:" + strings.Repeat("a", 2045), Builtin: "echo"}, "ARN longer than 2048 bytes"},
		{"both", FunctionConfig{ARN: arnEcho, Builtin: "echo", Endpoint: &EndpointConfig{}}, "both endpoint and built-in set"},
		{"neither", FunctionConfig{ARN: arnEcho}, "neither endpoint nor built-in set"},
		{"unknown builtin", FunctionConfig{ARN: arnEcho, Builtin: "nope"}, `unknown built-in "nope"`},
		{"short secret", ep(func(e *EndpointConfig) { e.SigningSecret = secret.New("short") }), "signing secret of 5 bytes, want at least 16"},
		{"http", ep(func(e *EndpointConfig) { e.URL = "http://fn.example.com/" }), `refused by rule "scheme"`},
		{"metadata literal", ep(func(e *EndpointConfig) { e.URL = "https://169.254.169.254/" }), `refused by rule "address"`},
		{"decimal host", ep(func(e *EndpointConfig) { e.URL = "https://2852039166/" }), `refused by rule "host"`},
		{"localhost", ep(func(e *EndpointConfig) { e.URL = "https://localhost./" }), `refused by rule "host"`},
		{"allowlisted localhost", ep(func(e *EndpointConfig) { e.URL = "https://localhost/"; e.AllowHosts = []string{"localhost"} }), ""},
		{"bad cidr", ep(func(e *EndpointConfig) { e.AllowCIDRs = []string{"10.0.0.0/33"} }), "allowlisted prefix"},
		{"bad allowlisted host", ep(func(e *EndpointConfig) { e.AllowHosts = []string{"0x7f.1"} }), `allowlisted host "0x7f.1"`},
		{"unparsable url", ep(func(e *EndpointConfig) { e.URL = "https://[::1" }), "endpoint URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := reg.Put(tt.cfg)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if tt.wantErr == "" && got != "" || !strings.Contains(got, tt.wantErr) {
				t.Errorf("Put error = %q, want it to contain %q", got, tt.wantErr)
			}
		})
	}
}

func TestRegistryLoadRemoveConfigs(t *testing.T) {
	t.Parallel()
	reg := newTestRegistry(t, nil, noopBuiltin("echo"))
	b := FunctionConfig{ARN: "arn:ringfence:b-builtin", Builtin: "echo"}
	a := endpoint("arn:ringfence:a-endpoint", "https://fn.example.com/a")
	if err := reg.Load([]FunctionConfig{b, a}); err != nil {
		t.Fatalf("Load: %v", err)
	}
	got := reg.Configs()
	if len(got) != 2 || got[0].ARN != a.ARN || got[1].ARN != b.ARN {
		t.Fatalf("Configs ARNs = %v, want [%s %s]", arns(got), a.ARN, b.ARN)
	}
	if got[0].Endpoint.SigningSecret.Reveal() != testSecret {
		t.Errorf("stored secret lost")
	}

	// A failing Load changes nothing.
	err := reg.Load([]FunctionConfig{b, {ARN: "arn:ringfence:x", Builtin: "missing"}})
	if err == nil || !strings.Contains(err.Error(), `unknown built-in "missing"`) {
		t.Fatalf("Load error = %v, want unknown built-in", err)
	}
	if diff := cmp.Diff([]string{a.ARN, b.ARN}, arns(reg.Configs())); diff != "" {
		t.Errorf("after failed Load (-want +got):\n%s", diff)
	}
	if err := reg.Load([]FunctionConfig{b, b}); err == nil || !strings.Contains(err.Error(), "listed twice") {
		t.Errorf("Load duplicate error = %v, want listed twice", err)
	}

	if !reg.Remove(a.ARN) || reg.Remove(a.ARN) {
		t.Errorf("Remove: want true then false")
	}
	if diff := cmp.Diff([]string{b.ARN}, arns(reg.Configs())); diff != "" {
		t.Errorf("after Remove (-want +got):\n%s", diff)
	}
}

func arns(cfgs []FunctionConfig) []string {
	var out []string
	for _, c := range cfgs {
		out = append(out, c.ARN)
	}
	return out
}

// TestSecretNeverPrinted checks that a function's signing secret cannot leak through the
// configuration's JSON, fmt, or the errors Put returns.
func TestSecretNeverPrinted(t *testing.T) {
	t.Parallel()
	const canary = "canary-signing-secret-4111111111111111"
	reg := newTestRegistry(t, nil)
	cfg := endpoint(arnEcho, "http://fn.example.com/") // refused: http
	cfg.Endpoint.SigningSecret = secret.New(canary)
	putErr := reg.Put(cfg)
	js, err := json.Marshal(cfg)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	outs := []string{string(js), fmt.Sprintf("%v %+v %#v", cfg, *cfg.Endpoint, cfg.Endpoint), fmt.Sprint(putErr)}
	for _, out := range outs {
		if strings.Contains(out, canary) {
			t.Errorf("output leaks the secret: %s", out)
		}
	}
	if strings.Contains(string(js), "SigningSecret") || strings.Contains(string(js), "signingSecret") {
		t.Errorf("json = %s, want no secret field", js)
	}
}

// TestRegistryConcurrentUse changes the registry while invocations run (meaningful under -race).
func TestRegistryConcurrentUse(t *testing.T) {
	t.Parallel()
	reg := newTestRegistry(t, nil, noopBuiltin("echo"))
	inv := NewInvoker(reg, InvokerOptions{})
	const arn = "arn:ringfence:builtin:echo"
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 200 {
			if i%2 == 0 {
				_ = reg.Put(FunctionConfig{ARN: arn, Builtin: "echo"})
			} else {
				reg.Remove(arn)
			}
			_ = reg.Configs()
		}
	}()
	for range 200 {
		_, err := inv.Invoke(context.Background(), arn, Event{}, time.Second, "")
		var e *Error
		if err != nil && (!errors.As(err, &e) || e.Kind != KindNotFound) {
			t.Fatalf("Invoke error = %v, want nil or not_found", err)
		}
	}
	<-done
}
