package agentapi

import (
	"context"
	"sort"
	"strings"

	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/store"
)

// maxDestinations bounds the quick connects and queues one list answers (the store is read
// 100 at a time up to it); Connect's default quotas are far below.
const maxDestinations = 1000

// QuickConnectOut is a quick connect an agent may transfer a contact to.
type QuickConnectOut struct {
	QuickConnectId string
	Name           string
	// QuickConnectType is QUEUE, USER or FLOW.
	QuickConnectType routing.QuickConnectType
	Description      string `json:",omitempty"`
}

// listQuickConnects implements GET /agent/v1/quick-connects: the quick connects an agent can
// transfer a chat or a task with, by name. Connect shows an agent the quick connects
// associated with the queues of its routing profile; Ringfence has no queue–quick connect
// association yet (AssociateQueueQuickConnects is not implemented), so this is every
// QUEUE, USER and FLOW quick connect of the instance, less those of type USER that name the
// agent itself. PHONE_NUMBER quick connects are left out: chats and tasks cannot go to a
// phone number, and calls are not handled here.
func (s *Server) listQuickConnects(c *call) (any, error) {
	inst, uid := c.caller.InstanceID, c.caller.UserID
	types := []routing.QuickConnectType{routing.QuickConnectQueue, routing.QuickConnectUser, routing.QuickConnectFlow}
	var recs []routing.QuickConnectRecord
	err := c.view(s, func(ctx context.Context, tx store.Tx) error {
		after := ""
		for len(recs) < maxDestinations {
			page, err := tx.ListQuickConnects(ctx, inst, types, after, 100)
			if err != nil {
				return err
			}
			recs = append(recs, page...)
			if len(page) < 100 {
				return nil
			}
			after = page[len(page)-1].ID
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := []QuickConnectOut{}
	for _, r := range recs {
		if r.Type == routing.QuickConnectUser && r.UserID == uid {
			continue
		}
		out = append(out, QuickConnectOut{QuickConnectId: r.ID, Name: r.Name, QuickConnectType: r.Type, Description: r.Description})
	}
	sort.SliceStable(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return struct{ QuickConnects []QuickConnectOut }{out}, nil
}

// TransferQueueOut is a queue an agent may transfer a contact to.
type TransferQueueOut struct {
	QueueId string
	Name    string
}

// listTransferQueues implements GET /agent/v1/transfer-queues: the instance's ENABLED
// standard queues by name, which POST .../transfer {"QueueId"} accepts.
func (s *Server) listTransferQueues(c *call) (any, error) {
	inst := c.caller.InstanceID
	var recs []routing.QueueRecord
	err := c.view(s, func(ctx context.Context, tx store.Tx) error {
		after := ""
		for len(recs) < maxDestinations {
			page, err := tx.ListQueues(ctx, inst, after, 100)
			if err != nil {
				return err
			}
			recs = append(recs, page...)
			if len(page) < 100 {
				return nil
			}
			after = page[len(page)-1].ID
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := []TransferQueueOut{}
	for _, r := range recs {
		if r.Status == routing.QueueEnabled || r.Status == "" {
			out = append(out, TransferQueueOut{QueueId: r.ID, Name: r.Name})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return struct{ Queues []TransferQueueOut }{out}, nil
}
