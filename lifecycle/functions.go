package lifecycle

import (
	"context"
	"sync"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/egress"
	"github.com/ringfence/ringfence/extfn"
	"github.com/ringfence/ringfence/store"
)

// Details of the extfn.KindNotFound errors StoreFunctions returns; they reach the flow log.
const (
	detailNotAssociated = "function is not associated with this instance"
	detailNoTarget      = "function is associated but no endpoint or built-in is configured for it"
)

// StoreFunctions implements Functions over the associations stored per instance
// (extfn.Store: AssociateLambdaFunction, `ringfence functions set`). Each instance has one
// extfn.Registry and Invoker; before every call the association is read from the store and
// the registry entry is rebuilt when its Version changed, so a change made through the API,
// the host command or another node applies to the next call. Safe for concurrent use.
type StoreFunctions struct {
	st       store.Store
	base     egress.Config
	builtins []extfn.Builtin
	opts     extfn.InvokerOptions

	mu        sync.Mutex
	instances map[string]*instanceFunctions
}

// instanceFunctions is the registry of one instance and the association version each of its
// entries was built from.
type instanceFunctions struct {
	mu       sync.Mutex
	reg      *extfn.Registry
	inv      *extfn.Invoker
	versions map[string]int64
}

// NewStoreFunctions returns a StoreFunctions reading st. base is the egress configuration of
// every endpoint (root CAs, resolver; each function's allowlists replace base's); builtins
// are the built-in functions associations may name. It fails when builtins has duplicate or
// unnamed entries.
func NewStoreFunctions(st store.Store, base egress.Config, builtins []extfn.Builtin, opts extfn.InvokerOptions) (*StoreFunctions, error) {
	if _, err := extfn.NewRegistry(extfn.RegistryOptions{Builtins: builtins, Egress: base}); err != nil {
		return nil, err
	}
	return &StoreFunctions{st: st, base: base, builtins: builtins, opts: opts, instances: map[string]*instanceFunctions{}}, nil
}

// Invoke implements Functions. Errors are *extfn.Error: KindNotFound when the instance has
// not associated arn or has configured no target for it, KindInvalid when the stored target
// is refused (for example an endpoint the egress rules forbid), and Invoker.Invoke's kinds.
func (f *StoreFunctions) Invoke(ctx context.Context, instanceID, arn string, event extfn.Event, timeout time.Duration, mode extfn.ResponseMode) (extfn.Result, error) {
	var a extfn.Association
	err := f.st.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		a, err = tx.GetFunction(ctx, instanceID, arn)
		return err
	})
	inst, ierr := f.instance(instanceID)
	if ierr != nil {
		return extfn.Result{}, &extfn.Error{Kind: extfn.KindInvalid, ARN: arn, Detail: "function registry", Err: ierr}
	}
	switch {
	case apierr.HasCode(err, apierr.CodeResourceNotFound):
		inst.forget(arn)
		return extfn.Result{}, &extfn.Error{Kind: extfn.KindNotFound, ARN: arn, Detail: detailNotAssociated}
	case err != nil:
		return extfn.Result{}, &extfn.Error{Kind: extfn.KindTransport, ARN: arn, Detail: "read the function's association", Err: err}
	case a.Target == nil:
		inst.forget(arn)
		return extfn.Result{}, &extfn.Error{Kind: extfn.KindNotFound, ARN: arn, Detail: detailNoTarget}
	}
	if err := inst.sync(a); err != nil {
		return extfn.Result{}, &extfn.Error{Kind: extfn.KindInvalid, ARN: arn, Detail: "the configured target was refused", Err: err}
	}
	return inst.inv.Invoke(ctx, arn, event, timeout, mode)
}

// instance returns the registry of instanceID, creating it on first use.
func (f *StoreFunctions) instance(instanceID string) (*instanceFunctions, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if inst, ok := f.instances[instanceID]; ok {
		return inst, nil
	}
	reg, err := extfn.NewRegistry(extfn.RegistryOptions{Builtins: f.builtins, Egress: f.base})
	if err != nil {
		return nil, err
	}
	inst := &instanceFunctions{reg: reg, inv: extfn.NewInvoker(reg, f.opts), versions: map[string]int64{}}
	f.instances[instanceID] = inst
	return inst, nil
}

// sync makes the registry entry of a.ARN match the stored association.
func (i *instanceFunctions) sync(a extfn.Association) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if v, ok := i.versions[a.ARN]; ok && v == a.Version {
		return nil
	}
	cfg := *a.Target
	cfg.ARN = a.ARN
	if err := i.reg.Put(cfg); err != nil {
		i.reg.Remove(a.ARN)
		delete(i.versions, a.ARN)
		return err
	}
	i.versions[a.ARN] = a.Version
	return nil
}

// forget drops the registry entry of arn.
func (i *instanceFunctions) forget(arn string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if _, ok := i.versions[arn]; ok {
		i.reg.Remove(arn)
		delete(i.versions, arn)
	}
}
