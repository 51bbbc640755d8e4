package lifecycle_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/ringfence/ringfence/egress"
	"github.com/ringfence/ringfence/extfn"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/lifecycle"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/store"
	"github.com/ringfence/ringfence/store/sqlite"
	"github.com/ringfence/ringfence/store/sqlstore"
	"github.com/ringfence/ringfence/store/storetest"
)

// TestStoreFunctions follows one ARN through the states a stored association can be in:
// not associated, associated without a target, a built-in, a refused endpoint, and back.
func TestStoreFunctions(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"), sqlstore.Options{Sealer: storetest.NewSealer(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	seed(t, st)
	fns, err := lifecycle.NewStoreFunctions(st, egress.Config{}, extfn.StandardBuiltins(), extfn.InvokerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:lookup"
	ev := extfn.Event{Details: extfn.Details{Parameters: map[string]string{"ticket": "T-1"}}}
	invoke := func() (extfn.Result, *extfn.Error) {
		t.Helper()
		res, err := fns.Invoke(ctx, instID, arn, ev, time.Second, extfn.ResponseStringMap)
		if err == nil {
			return res, nil
		}
		var fe *extfn.Error
		if !errors.As(err, &fe) {
			t.Fatalf("Invoke error %v is not an *extfn.Error", err)
		}
		return res, fe
	}
	up := func(fn func(ctx context.Context, tx store.Tx) error) {
		t.Helper()
		if err := st.Update(ctx, nil, fn); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UTC()

	tests := []struct {
		name       string
		change     func(ctx context.Context, tx store.Tx) error
		wantKind   extfn.Kind
		wantDetail string
		wantTicket string
	}{
		{"not associated", nil, extfn.KindNotFound, "function is not associated with this instance", ""},
		{"associated without a target", func(ctx context.Context, tx store.Tx) error {
			return tx.AssociateFunction(ctx, extfn.Association{InstanceID: instID, ARN: arn, CreatedTime: now, LastModifiedTime: now})
		}, extfn.KindNotFound, "function is associated but no endpoint or built-in is configured for it", ""},
		{"built-in", func(ctx context.Context, tx store.Tx) error {
			return tx.SetFunctionTarget(ctx, instID, arn, &extfn.FunctionConfig{ARN: arn, Builtin: extfn.BuiltinEcho}, now)
		}, "", "", "T-1"},
		{"endpoint the egress rules refuse", func(ctx context.Context, tx store.Tx) error {
			return tx.SetFunctionTarget(ctx, instID, arn, &extfn.FunctionConfig{ARN: arn, Endpoint: &extfn.EndpointConfig{
				URL: "https://169.254.169.254/latest", SigningSecret: secret.New("0123456789abcdef0123")}}, now)
		}, extfn.KindInvalid, "the configured target was refused", ""},
		{"built-in again", func(ctx context.Context, tx store.Tx) error {
			return tx.SetFunctionTarget(ctx, instID, arn, &extfn.FunctionConfig{ARN: arn, Builtin: extfn.BuiltinEcho}, now)
		}, "", "", "T-1"},
		{"disassociated", func(ctx context.Context, tx store.Tx) error { return tx.DisassociateFunction(ctx, instID, arn) },
			extfn.KindNotFound, "function is not associated with this instance", ""},
	}
	for _, tt := range tests {
		if tt.change != nil {
			up(tt.change)
		}
		res, fe := invoke()
		switch {
		case tt.wantKind == "" && fe != nil:
			t.Errorf("%s: Invoke failed: %v", tt.name, fe)
		case tt.wantKind != "" && (fe == nil || fe.Kind != tt.wantKind || fe.Detail != tt.wantDetail):
			t.Errorf("%s: Invoke error = %v, want kind %s detail %q", tt.name, fe, tt.wantKind, tt.wantDetail)
		case tt.wantTicket != "" && res.Values["ticket"] != tt.wantTicket:
			t.Errorf("%s: answer = %v, want ticket %q", tt.name, res.Values, tt.wantTicket)
		}
	}
}

// BenchmarkStoreFunctionsEcho measures one call of a built-in through StoreFunctions: the
// association read from SQLite plus the invocation (the cost a flow pays per function call
// on top of the function itself). Run: go test -run '^$' -bench StoreFunctionsEcho ./lifecycle
func BenchmarkStoreFunctionsEcho(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "db"), sqlstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:echo"
	now := time.Now().UTC()
	if err := st.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateInstance(ctx, instance.Instance{ID: instID, Alias: "bench", IdentityManagementType: instance.IdentityManagementConnectManaged,
			Status: instance.StatusActive, CreatedTime: now, Tags: map[string]string{}}); err != nil {
			return err
		}
		return tx.AssociateFunction(ctx, extfn.Association{InstanceID: instID, ARN: arn, CreatedTime: now, LastModifiedTime: now,
			Target: &extfn.FunctionConfig{ARN: arn, Builtin: extfn.BuiltinEcho}})
	}); err != nil {
		b.Fatal(err)
	}
	fns, err := lifecycle.NewStoreFunctions(st, egress.Config{}, extfn.StandardBuiltins(), extfn.InvokerOptions{})
	if err != nil {
		b.Fatal(err)
	}
	ev := extfn.Event{Details: extfn.Details{Parameters: map[string]string{"ticket": "T-1"}}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := fns.Invoke(ctx, instID, arn, ev, time.Second, extfn.ResponseStringMap); err != nil {
			b.Fatal(err)
		}
	}
}
