package agentapi

import (
	"context"
	"encoding/json"
	"regexp"
	"strconv"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/store"
)

// FlowBlock is one block of the flow path an agent sees (GET
// /agent/v1/contacts/{ContactId}/flow-path): which block of which flow ran, when, and which
// branch it took. It is read from the contact's stored flow log and holds none of its values:
// no parameters, no results, no $.External answers, no stored customer input, no attribute
// values.
type FlowBlock struct {
	// Timestamp is when the block ran (RFC 3339 UTC, milliseconds).
	Timestamp string
	// ContactFlowId and ContactFlowName name the flow or module the block belongs to.
	ContactFlowId   string `json:",omitempty"`
	ContactFlowName string `json:",omitempty"`
	// Identifier is the block's identifier in its flow; Type its action type (Connect's
	// ContactFlowModuleType, e.g. "GetParticipantInput").
	Identifier string
	Type       string
	// Branch is the transition the block took: "NextAction", "Condition:<n>" (the n-th of its
	// conditions, 1-based; never the value compared), "Error:<ErrorType>", "Wait:<kind>"
	// (the contact waited here), "End:<kind>", "Flow:<flow ID>", "Module:<module ID>" or
	// "Return:<flow ID>". Absent for entries logged before branches were recorded.
	Branch string `json:",omitempty"`
}

// Page sizes of GET /agent/v1/contacts/{ContactId}/flow-path, and how far into a contact's
// flow log its pages reach.
const (
	defaultFlowPathResults = 100
	maxFlowPathResults     = 500
	// MaxFlowPathBlocks is how many blocks of one contact the flow path pages through at
	// most; a page that ends there carries no NextToken.
	MaxFlowPathBlocks = 10000
	// flowLogChunk is the page size the store reads flow logs with.
	flowLogChunk = 500
)

// flowPathBranch is the shape a stored branch must have to be shown; anything else is left
// out (a stored entry is never trusted to be value-free).
var flowPathBranch = regexp.MustCompile(`^(NextAction|Condition:[0-9]{1,4}|Error:[A-Za-z]{1,64}|(Wait|End):[A-Za-z_]{1,32}|(Flow|Module|Return):[A-Za-z0-9:/._-]{1,256})$`)

// getFlowPath implements GET /agent/v1/contacts/{ContactId}/flow-path?MaxResults=&NextToken=:
// the blocks the contact's flows ran while their logging was on, oldest first, for a
// contact the agent may read (as DescribeContact). MaxResults is 1–500 (default 100); a
// full page carries a NextToken.
func (s *Server) getFlowPath(c *call) (any, error) {
	inst, uid := c.caller.InstanceID, c.caller.UserID
	id := c.r.PathValue("ContactId")
	if err := checkID("ContactId", id); err != nil {
		return nil, err
	}
	c.ev.Resource = id
	q := c.r.URL.Query()
	limit := defaultFlowPathResults
	if v := q.Get("MaxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxFlowPathResults {
			return nil, apierr.InvalidParameter("MaxResults must be 1-500")
		}
		limit = n
	}
	// The token is the number of blocks already returned, not a stored sequence number: those
	// are shared by every instance of the deployment and would tell how busy the others are.
	skip := 0
	if tok := q.Get("NextToken"); tok != "" {
		n, err := strconv.Atoi(tok)
		if err != nil || n < 1 || n >= MaxFlowPathBlocks {
			return nil, apierr.InvalidParameter("NextToken is not valid")
		}
		skip = n
	}
	limit = min(limit, MaxFlowPathBlocks-skip)
	h, err := s.holdOf(c.ctx, inst, uid, id)
	if err != nil {
		return nil, err
	}
	var logs []contact.FlowLog
	err = c.view(s, func(ctx context.Context, tx store.Tx) error {
		ct, err := tx.GetContact(ctx, inst, id)
		if err != nil {
			return err
		}
		if !reachable(ct, uid, h) {
			return apierr.NotFound("contact", id)
		}
		logs, err = flowLogPage(ctx, tx, inst, id, skip, limit)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := struct {
		FlowPath  []FlowBlock
		NextToken string `json:",omitempty"`
	}{FlowPath: []FlowBlock{}}
	if len(logs) == limit && skip+limit < MaxFlowPathBlocks {
		out.NextToken = strconv.Itoa(skip + limit)
	}
	for _, l := range logs {
		// Only these members are read; the entry's parameters and results are not.
		var e struct {
			ContactFlowId, ContactFlowName, ContactFlowModuleType, Identifier, Timestamp, Branch string
		}
		if json.Unmarshal(l.Entry, &e) != nil {
			continue
		}
		b := FlowBlock{Timestamp: timestamp(l.At), ContactFlowId: e.ContactFlowId, ContactFlowName: e.ContactFlowName,
			Identifier: e.Identifier, Type: e.ContactFlowModuleType}
		if e.Timestamp != "" {
			b.Timestamp = e.Timestamp
		}
		if flowPathBranch.MatchString(e.Branch) {
			b.Branch = e.Branch
		}
		out.FlowPath = append(out.FlowPath, b)
	}
	return out, nil
}

// flowLogPage reads up to limit flow-log entries of a contact after its first skip ones.
func flowLogPage(ctx context.Context, tx store.Tx, instanceID, contactID string, skip, limit int) ([]contact.FlowLog, error) {
	after := int64(0)
	for skip > 0 {
		page, err := tx.ListFlowLogs(ctx, instanceID, contactID, after, min(skip, flowLogChunk))
		if err != nil || len(page) == 0 {
			return nil, err
		}
		after, skip = page[len(page)-1].Seq, skip-len(page)
	}
	var out []contact.FlowLog
	for len(out) < limit {
		want := min(limit-len(out), flowLogChunk)
		page, err := tx.ListFlowLogs(ctx, instanceID, contactID, after, want)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < want {
			break
		}
		after = page[len(page)-1].Seq
	}
	return out, nil
}
