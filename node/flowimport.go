package node

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ringfence/ringfence/api"
	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/flow/flowimport"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/store"
)

// FlowImportOptions are the choices of ImportFlow.
type FlowImportOptions struct {
	// Overrides maps values of the export to resources of the instance (see
	// flowimport.Options.Overrides).
	Overrides map[string]string
	// Name is the new flow's name; "" takes the export's Metadata name, then DefaultName.
	Name, DefaultName string
	// Type is the ContactFlowType; "" takes the export's Metadata type, then CONTACT_FLOW.
	// Ignored for flow modules.
	Type string
	// Publish stores the flow published (validated, and every flow and module it references
	// present and published); otherwise it is saved (SAVED) with only a structural check.
	// Flow modules are always published, as CreateContactFlowModule does.
	Publish bool
	// AllowUnmapped creates the flow even when references could not be mapped.
	AllowUnmapped bool
}

// FlowImport is the outcome of ImportFlow.
type FlowImport struct {
	// Report is the mapping report; Report.Content is the document stored.
	Report *flowimport.Result
	// Created is false when nothing was created (unmapped references).
	Created bool
	// Kind, ID, ARN, Name, Type and Status describe the created flow or module.
	Kind   flow.RecordKind
	ID     string
	ARN    string
	Name   string
	Type   string
	Status string
}

// ErrUnmappedReferences is returned by ImportFlow, with the report, when references could
// not be mapped and AllowUnmapped is off; nothing was created.
var ErrUnmappedReferences = errors.New("references could not be mapped to this instance")

// maxFlowDescription is CreateContactFlow's limit on Description (characters).
const maxFlowDescription = 500

// ImportFlow creates a flow (or flow module) of the instance from a document exported from
// Amazon Connect, mapping every resource it references to the instance's by the names the
// export records or by o.Overrides (package flow/flowimport). The creation is audited with
// actor "host". Errors: ErrUnmappedReferences (with the report, nothing created); an override
// that matches nothing; a name or type the API would refuse; *flow.InvalidFlowError when
// publishing a document that does not validate; the store's (DuplicateResourceException for a
// name in use, InvalidContactFlowException for a referenced flow that is missing or not
// published).
func (n *Node) ImportFlow(ctx context.Context, instanceID string, doc []byte, o FlowImportOptions) (*FlowImport, error) {
	instARN := instance.ARN(n.Config.Region, n.AccountID, instanceID)
	res := &storeResolver{byKind: map[flowimport.Kind][]flowimport.Resource{}}
	if err := n.Store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetInstance(ctx, instanceID); err != nil {
			return err
		}
		return res.load(ctx, tx, instanceID, instARN)
	}); err != nil {
		return nil, err
	}
	rep, err := flowimport.Import(ctx, doc, res, flowimport.Options{Overrides: o.Overrides, InstanceARN: instARN})
	if err != nil {
		return nil, err
	}
	if len(rep.UnusedOverrides) > 0 {
		return nil, fmt.Errorf("--map %s matches nothing in the flow", strings.Join(rep.UnusedOverrides, ", --map "))
	}
	out := &FlowImport{Report: rep, Kind: flow.KindFlow, Name: firstNonEmpty(o.Name, rep.Name, o.DefaultName)}
	if len(rep.Unmapped()) > 0 && !o.AllowUnmapped {
		return out, ErrUnmappedReferences
	}
	if rep.Module {
		out.Kind = flow.KindModule
	} else {
		out.Type = firstNonEmpty(o.Type, rep.FlowType, "CONTACT_FLOW")
		if !api.ValidFlowType(out.Type) {
			return nil, fmt.Errorf("flow type %q is not one of CONTACT_FLOW, CUSTOMER_QUEUE, CUSTOMER_HOLD, CUSTOMER_WHISPER, AGENT_HOLD, AGENT_WHISPER, OUTBOUND_WHISPER, AGENT_TRANSFER, QUEUE_TRANSFER, CAMPAIGN", out.Type)
		}
	}
	if c := utf8.RuneCountInString(out.Name); c < 1 || c > 512 {
		return nil, errors.New("the flow needs a name of 1-512 characters (the export records none; give one)")
	}
	content := string(rep.Content)
	publish := o.Publish || rep.Module
	f, ps := flow.Parse(rep.Content, flow.DefaultLimits())
	if f == nil {
		return nil, &flow.InvalidFlowError{Problems: ps}
	}
	if publish {
		if _, ps, err := flow.Load(rep.Content, flow.DefaultLimits()); err != nil {
			return nil, &flow.InvalidFlowError{Problems: ps}
		}
	}
	desc := rep.Description
	if utf8.RuneCountInString(desc) > maxFlowDescription {
		desc = string([]rune(desc)[:maxFlowDescription])
	}
	rec := flow.Record{
		InstanceID: instanceID, ID: api.NewID(), Kind: out.Kind, Name: out.Name, Type: out.Type, Description: desc,
		State: "ACTIVE", Status: "SAVED", SavedContent: content, Version: 1, Tags: map[string]string{},
		LastModified: time.Now().UTC().Truncate(time.Millisecond),
	}
	if publish {
		rec.Status, rec.Content = "PUBLISHED", content
	}
	if rep.Module {
		rec.Settings = string(f.Settings)
	}
	seg, op := "contact-flow", "CreateContactFlow"
	if rep.Module {
		seg, op = "flow-module", "CreateContactFlowModule"
	}
	out.ID, out.ARN, out.Status = rec.ID, instARN+"/"+seg+"/"+rec.ID, rec.Status
	ev := hostEvent("host.flow_import", op, instanceID, out.ARN)
	err = n.Store.Update(ctx, ev, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetInstance(ctx, instanceID); err != nil {
			return err
		}
		if err := api.CheckFlowContent(ctx, tx, n.Config.Region, n.AccountID, instanceID, content, publish); err != nil {
			return err
		}
		return tx.CreateFlowRecord(ctx, rec)
	})
	if err != nil {
		return nil, err
	}
	out.Created = true
	return out, nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// storeResolver is a flowimport.Resolver over a snapshot of one instance's resources: its
// flows, flow modules, queues, hours of operation, quick connects, agent statuses, routing
// profiles, prompts, security keys and users, read in one transaction.
type storeResolver struct {
	byKind map[flowimport.Kind][]flowimport.Resource
}

// importPage is the page size the snapshot is read with.
const importPage = 200

// pages calls list with growing cursors until a short page.
func pages[T any](list func(after string) ([]T, error), id func(T) string, fn func(T)) error {
	after := ""
	for {
		page, err := list(after)
		if err != nil {
			return err
		}
		for _, v := range page {
			fn(v)
		}
		if len(page) < importPage {
			return nil
		}
		after = id(page[len(page)-1])
	}
}

func (r *storeResolver) load(ctx context.Context, tx store.Tx, inst, instARN string) error {
	add := func(k flowimport.Kind, seg, id, name string) {
		res := flowimport.Resource{ID: id, Name: name}
		if seg != "" {
			res.ARN = instARN + "/" + seg + "/" + id
		}
		r.byKind[k] = append(r.byKind[k], res)
	}
	for _, k := range []struct {
		rk   flow.RecordKind
		kind flowimport.Kind
		seg  string
	}{{flow.KindFlow, flowimport.KindFlow, "contact-flow"}, {flow.KindModule, flowimport.KindModule, "flow-module"}} {
		err := store.EachFlowRecord(ctx, tx, inst, k.rk, func(rec flow.Record) (bool, error) {
			add(k.kind, k.seg, rec.ID, rec.Name)
			return false, nil
		})
		if err != nil {
			return err
		}
	}
	steps := []func() error{
		func() error {
			return pages(func(after string) ([]routing.QueueRecord, error) { return tx.ListQueues(ctx, inst, after, importPage) },
				func(q routing.QueueRecord) string { return q.ID },
				func(q routing.QueueRecord) { add(flowimport.KindQueue, "queue", q.ID, q.Name) })
		},
		func() error {
			return pages(func(after string) ([]routing.HoursRecord, error) { return tx.ListHours(ctx, inst, after, importPage) },
				func(h routing.HoursRecord) string { return h.ID },
				func(h routing.HoursRecord) { add(flowimport.KindHours, "operating-hours", h.ID, h.Name) })
		},
		func() error {
			return pages(func(after string) ([]routing.QuickConnectRecord, error) {
				return tx.ListQuickConnects(ctx, inst, nil, after, importPage)
			}, func(q routing.QuickConnectRecord) string { return q.ID },
				func(q routing.QuickConnectRecord) {
					add(flowimport.KindQuickConnect, "transfer-destination", q.ID, q.Name)
				})
		},
		func() error {
			return pages(func(after string) ([]routing.AgentStatusRecord, error) {
				return tx.ListAgentStatuses(ctx, inst, nil, after, importPage)
			}, func(s routing.AgentStatusRecord) string { return s.ID },
				func(s routing.AgentStatusRecord) { add(flowimport.KindAgentStatus, "agent-state", s.ID, s.Name) })
		},
		func() error {
			return pages(func(after string) ([]routing.RoutingProfileRecord, error) {
				return tx.ListRoutingProfiles(ctx, inst, after, importPage)
			}, func(p routing.RoutingProfileRecord) string { return p.ID },
				func(p routing.RoutingProfileRecord) {
					add(flowimport.KindRoutingProfile, "routing-profile", p.ID, p.Name)
				})
		},
		func() error {
			return pages(func(after string) ([]instance.Prompt, error) { return tx.ListPrompts(ctx, inst, after, importPage) },
				func(p instance.Prompt) string { return p.ID },
				func(p instance.Prompt) { add(flowimport.KindPrompt, "prompt", p.ID, p.Name) })
		},
		func() error {
			return pages(func(after string) ([]identity.User, error) { return tx.ListUsers(ctx, inst, after, importPage) },
				func(u identity.User) string { return u.ID },
				func(u identity.User) { add(flowimport.KindUser, "agent", u.ID, u.Username) })
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	keys, err := tx.ListSecurityKeys(ctx, inst)
	if err != nil {
		return err
	}
	for _, k := range keys {
		r.byKind[flowimport.KindSecurityKey] = append(r.byKind[flowimport.KindSecurityKey],
			flowimport.Resource{ID: k.AssociationID, PublicKey: k.Key})
	}
	return nil
}

// Find implements flowimport.Resolver: the ID first, then the name (usernames compared as
// identity.NormalizeUsername does, a security key by its PEM text).
func (r *storeResolver) Find(_ context.Context, k flowimport.Kind, ref string) (flowimport.Resource, bool, error) {
	for _, res := range r.byKind[k] {
		if res.ID == ref {
			return res, true, nil
		}
	}
	for _, res := range r.byKind[k] {
		switch {
		case k == flowimport.KindSecurityKey && strings.TrimSpace(res.PublicKey) == strings.TrimSpace(ref),
			k == flowimport.KindUser && identity.NormalizeUsername(res.Name) == identity.NormalizeUsername(ref),
			k != flowimport.KindUser && res.Name != "" && res.Name == ref:
			return res, true, nil
		}
	}
	return flowimport.Resource{}, false, nil
}
