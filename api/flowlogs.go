package api

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/store"
)

// flowLogOperations is Ringfence's flow-log read operation (identity.ActionGetContactFlowLogs).
// Amazon Connect writes flow logs to CloudWatch Logs and has no API operation for them;
// Ringfence stores them per contact and serves them at GET /contact-flow-logs/{InstanceId}/{ContactId}
// with the same SigV4 signing, audit and authorization as Connect's operations
// (docs/flow-logs.md).
func flowLogOperations() []operation {
	return []operation{
		{name: identity.ActionGetContactFlowLogs, pattern: "GET /contact-flow-logs/{InstanceId}/{ContactId}", handle: (*Server).getContactFlowLogs},
	}
}

// getContactFlowLogs answers the stored flow-log entries of one contact, oldest first:
// {"FlowLogs": [{"Seq": n, "Entry": {...}}], "NextToken": "..."}. Each Entry is the record
// Connect writes to CloudWatch for an executed block (ContactId, ContactFlowId,
// ContactFlowName, ContactFlowModuleType, Identifier, Timestamp, Parameters, Results,
// ExternalResults), with values read from $.External and stored customer input as keyed
// hashes and card numbers redacted. maxResults is 1–500 (default 100). A contact of another
// instance is a ResourceNotFoundException.
func (s *Server) getContactFlowLogs(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	id := c.r.PathValue("ContactId")
	if err := contactID("ContactId", id); err != nil {
		return nil, err
	}
	c.ev.Resource = instance.ARN(s.cfg.Region, s.cfg.AccountID, inst) + "/contact/" + id
	p, err := readPage(c, "log", 100, 500)
	if err != nil {
		return nil, err
	}
	after := int64(0)
	if p.after != "" {
		if after, err = strconv.ParseInt(p.after, 10, 64); err != nil || after < 0 {
			return nil, apierr.InvalidParameter("nextToken is not valid")
		}
	}
	var logs []contact.FlowLog
	err = c.view(s, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetContact(ctx, inst, id); err != nil {
			return err
		}
		var err error
		logs, err = tx.ListFlowLogs(ctx, inst, id, after, p.limit+1)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	if len(logs) > p.limit {
		logs = logs[:p.limit]
		out["NextToken"] = pageToken("log", strconv.FormatInt(logs[p.limit-1].Seq, 10))
	}
	items := []map[string]any{}
	for _, l := range logs {
		entry := json.RawMessage(l.Entry)
		if !json.Valid(entry) {
			entry = json.RawMessage(`{}`)
		}
		items = append(items, map[string]any{"Seq": l.Seq, "Entry": entry})
	}
	out["FlowLogs"] = items
	return out, nil
}
