package node

import (
	"context"
	"fmt"
	"time"

	"github.com/ringfence/ringfence/api"
	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/flow/samples"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/provision"
	"github.com/ringfence/ringfence/store"
)

// SeedDemo loads Ringfence's sample flows and modules (package flow/samples) into the
// instance, published, unless a flow or module of the same name is already there. Each is
// validated as publishing would validate it and audited with actor "host".
func (n *Node) SeedDemo(ctx context.Context, instanceID string) error {
	instARN := instance.ARN(n.Config.Region, n.AccountID, instanceID)
	ids := map[string]string{}
	// The samples' topic queues (orders, billing, general) are BasicQueue in the demo, which
	// the Basic Routing Profile serves on every channel: any demo agent takes the chats.
	basic, err := n.basicQueueID(ctx, instanceID)
	if err != nil {
		return err
	}
	if basic != "" {
		for _, q := range []string{"orders", "billing", "general"} {
			ids["queue/"+q] = basic
		}
	}
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

// basicQueueID returns the ID of the instance's BasicQueue, or "" when it has none.
func (n *Node) basicQueueID(ctx context.Context, instanceID string) (string, error) {
	id := ""
	err := n.Store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		qs, err := tx.ListQueues(ctx, instanceID, "", 1000)
		for _, q := range qs {
			if q.Name == provision.BasicQueueName {
				id = q.ID
			}
		}
		return err
	})
	return id, err
}
