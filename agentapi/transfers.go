package agentapi

import (
	"context"
	"slices"
	"sort"
	"strings"

	"github.com/ringfence/ringfence/apierr"
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
// transfer a chat or a task with, by name. As in Connect, these are the quick connects
// associated with the queues of the agent's routing profile, its default outbound queue
// included (AssociateQueueQuickConnects; Administrator Guide, "Transfer calls to a quick
// connect"), each once, less those of type USER that name the agent itself. PHONE_NUMBER
// quick connects are left out: chats and tasks cannot go to a phone number, and calls are
// not handled here. An agent without a routing profile sees none.
func (s *Server) listQuickConnects(c *call) (any, error) {
	inst, uid := c.caller.InstanceID, c.caller.UserID
	var recs []routing.QuickConnectRecord
	err := c.view(s, func(ctx context.Context, tx store.Tx) error {
		u, err := tx.GetUser(ctx, inst, uid)
		if err != nil {
			return err
		}
		if u.RoutingProfileID == "" {
			return nil
		}
		rp, err := tx.GetRoutingProfile(ctx, inst, u.RoutingProfileID)
		if apierr.HasCode(err, apierr.CodeResourceNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		queues := []string{}
		if rp.DefaultOutboundQueueID != "" {
			queues = append(queues, rp.DefaultOutboundQueueID)
		}
		for _, pq := range rp.Queues {
			if !slices.Contains(queues, pq.QueueID) {
				queues = append(queues, pq.QueueID)
			}
		}
		seen := map[string]bool{}
		for _, q := range queues {
			after := ""
			for len(recs) < maxDestinations {
				page, err := tx.ListQueueQuickConnects(ctx, inst, q, after, 100)
				if apierr.HasCode(err, apierr.CodeResourceNotFound) {
					break
				}
				if err != nil {
					return err
				}
				for _, r := range page {
					if !seen[r.ID] && r.Type != routing.QuickConnectPhoneNumber {
						seen[r.ID] = true
						recs = append(recs, r)
					}
				}
				if len(page) < 100 {
					break
				}
				after = page[len(page)-1].ID
			}
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
