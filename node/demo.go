package node

import (
	"context"
	"fmt"
	"time"

	"github.com/ringfence/ringfence/api"
	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/extfn"
	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/flow/samples"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/store"
)

// SeedDemo loads Ringfence's sample flows and modules (package flow/samples) into the
// instance, published, unless a flow or module of the same name is already there. Each is
// validated as publishing would validate it and audited with actor "host". The function ARNs
// the samples invoke are associated with the built-in echo function.
func (n *Node) SeedDemo(ctx context.Context, instanceID string) error {
	instARN := instance.ARN(n.Config.Region, n.AccountID, instanceID)
	ids := map[string]string{}
	for _, smp := range samples.All() {
		kind, seg := flow.KindFlow, "contact-flow"
		if smp.Module {
			kind, seg = flow.KindModule, "flow-module"
		}
		existing, err := n.findFlowByName(ctx, instanceID, kind, smp.Name)
		if err != nil {
			return err
		}
		if existing != "" {
			ids[seg+"/"+smp.Ref] = existing
			continue
		}
		raw, err := samples.Content(smp.File)
		if err != nil {
			return err
		}
		content := samples.Instantiate(raw, instARN, ids)
		f, _, err := flow.Load([]byte(content), flow.DefaultLimits())
		if err != nil {
			return fmt.Errorf("demo flow %s: %w", smp.File, err)
		}
		settings := ""
		if smp.Module {
			settings = string(f.Settings)
		}
		rec := flow.Record{
			InstanceID: instanceID, ID: api.NewID(), Kind: kind, Name: smp.Name, Type: smp.Type,
			Description: "Ringfence sample", State: "ACTIVE", Status: "PUBLISHED", Content: content, SavedContent: content,
			Settings: settings, Version: 1, Tags: map[string]string{"sample": "true"},
			LastModified: time.Now().UTC().Truncate(time.Millisecond),
		}
		ev := hostEvent("host.seed_demo", "CreateContactFlow", instanceID, instARN+"/"+seg+"/"+rec.ID)
		if err := n.Store.Update(ctx, ev, func(ctx context.Context, tx store.Tx) error { return tx.CreateFlowRecord(ctx, rec) }); err != nil {
			return fmt.Errorf("demo flow %s: %w", smp.File, err)
		}
		ids[seg+"/"+smp.Ref] = rec.ID
	}
	return n.seedDemoFunctions(ctx, instanceID)
}

// seedDemoFunctions associates the function ARNs the sample flows invoke with the instance,
// each answered by the built-in echo function (extfn.BuiltinEcho), unless already
// associated: the samples then run end to end without an external endpoint.
func (n *Node) seedDemoFunctions(ctx context.Context, instanceID string) error {
	arns := map[string]bool{}
	for _, smp := range samples.All() {
		raw, err := samples.Content(smp.File)
		if err != nil {
			return err
		}
		f, _ := flow.Parse([]byte(raw), flow.DefaultLimits())
		if f == nil {
			continue
		}
		for _, arn := range flow.ListResources(f).Functions {
			arns[arn] = true
		}
	}
	for arn := range arns {
		ev := hostEvent("host.seed_demo", "AssociateLambdaFunction", instanceID, arn)
		ev.Details = map[string]string{"target": "builtin", "builtin": extfn.BuiltinEcho}
		now := time.Now().UTC().Truncate(time.Millisecond)
		err := n.Store.Update(ctx, ev, func(ctx context.Context, tx store.Tx) error {
			if _, err := tx.GetFunction(ctx, instanceID, arn); err == nil || !apierr.HasCode(err, apierr.CodeResourceNotFound) {
				return err
			}
			return api.AssociateFunction(ctx, tx, extfn.Association{InstanceID: instanceID, ARN: arn, CreatedTime: now, LastModifiedTime: now,
				Target: &extfn.FunctionConfig{ARN: arn, Builtin: extfn.BuiltinEcho}})
		})
		if err != nil {
			return fmt.Errorf("demo function %s: %w", arn, err)
		}
	}
	return nil
}

// findFlowByName returns the ID of the instance's flow or module with that name, or "".
func (n *Node) findFlowByName(ctx context.Context, instanceID string, kind flow.RecordKind, name string) (string, error) {
	var id string
	err := n.Store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		return store.EachFlowRecord(ctx, tx, instanceID, kind, func(r flow.Record) (bool, error) {
			if r.Name == name {
				id = r.ID
			}
			return id != "", nil
		})
	})
	return id, err
}
