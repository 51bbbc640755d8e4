package api

import (
	"context"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/extfn"
	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/store"
)

// functionOperations are AssociateLambdaFunction, ListLambdaFunctions and
// DisassociateLambdaFunction (Amazon Connect API reference): the function ARNs an instance's
// flows may invoke. The API names ARNs only; what an ARN is invoked as (an HTTPS endpoint with
// a signing secret, or a built-in) is configured on the host with `ringfence functions set`.
func functionOperations() []operation {
	return []operation{
		{name: "AssociateLambdaFunction", pattern: "PUT /instance/{InstanceId}/lambda-function", handle: (*Server).associateFunction},
		{name: "ListLambdaFunctions", pattern: "GET /instance/{InstanceId}/lambda-functions", handle: (*Server).listFunctions},
		{name: "DisassociateLambdaFunction", pattern: "DELETE /instance/{InstanceId}/lambda-function", handle: (*Server).disassociateFunction},
	}
}

// associateFunction implements AssociateLambdaFunction: FunctionArn must be a Lambda function
// ARN of at most 140 characters. An ARN already associated is a ResourceConflictException; an
// instance holds at most extfn.MaxFunctionsPerInstance (ServiceQuotaExceededException).
func (s *Server) associateFunction(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	var in struct {
		FunctionArn string `json:"FunctionArn"`
		ClientToken string `json:"ClientToken"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	if err := extfn.ValidFunctionARN(in.FunctionArn); err != nil {
		return nil, apierr.InvalidParameter(err.Error())
	}
	c.ev.Resource = in.FunctionArn
	now := s.now()
	err = c.update(s, func(ctx context.Context, tx store.Tx) error {
		if err := requireInstance(ctx, tx, inst); err != nil {
			return err
		}
		return AssociateFunction(ctx, tx, extfn.Association{InstanceID: inst, ARN: in.FunctionArn, CreatedTime: now, LastModifiedTime: now})
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// AssociateFunction stores a new association inside tx after checking the instance's quota
// (extfn.MaxFunctionsPerInstance, ServiceQuotaExceededException); an ARN already associated is
// the store's ResourceConflictException. The caller has validated the ARN. The API's AssociateLambdaFunction and the host's `ringfence functions set` share it.
func AssociateFunction(ctx context.Context, tx store.Tx, a extfn.Association) error {
	existing, err := tx.ListFunctions(ctx, a.InstanceID, "", extfn.MaxFunctionsPerInstance)
	if err != nil {
		return err
	}
	if len(existing) >= extfn.MaxFunctionsPerInstance {
		return apierr.New(apierr.CodeServiceQuotaExceeded, "an instance associates at most %d functions; disassociate one first", extfn.MaxFunctionsPerInstance)
	}
	if a.CreatedTime.IsZero() {
		a.CreatedTime = time.Now().UTC().Truncate(time.Millisecond)
	}
	if a.LastModifiedTime.IsZero() {
		a.LastModifiedTime = a.CreatedTime
	}
	return tx.AssociateFunction(ctx, a)
}

// listFunctions implements ListLambdaFunctions (maxResults 1–25, default 25, as Connect).
func (s *Server) listFunctions(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	p, err := readPage(c, "fn", 25, 25)
	if err != nil {
		return nil, err
	}
	var page []extfn.Association
	err = c.view(s, func(ctx context.Context, tx store.Tx) error {
		if err := requireInstance(ctx, tx, inst); err != nil {
			return err
		}
		var err error
		page, err = tx.ListFunctions(ctx, inst, p.after, p.limit+1)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	if len(page) > p.limit {
		page = page[:p.limit]
		out["NextToken"] = pageToken("fn", page[p.limit-1].ARN)
	}
	arns := []string{}
	for _, a := range page {
		arns = append(arns, a.ARN)
	}
	out["LambdaFunctions"] = arns
	return out, nil
}

// disassociateFunction implements DisassociateLambdaFunction (functionArn query parameter). It
// refuses with ResourceInUseException while a published flow or module of the instance invokes
// the ARN, since that flow would then always take its error branch.
func (s *Server) disassociateFunction(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	arn := c.r.URL.Query().Get("functionArn")
	if arn == "" || len(arn) > extfn.MaxFunctionARN {
		return nil, apierr.InvalidParameter("functionArn must be 1-140 characters")
	}
	c.ev.Resource = arn
	err = c.update(s, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetFunction(ctx, inst, arn); err != nil {
			return err
		}
		by, err := FunctionInUse(ctx, tx, inst, arn)
		if err != nil {
			return err
		}
		if by != "" {
			return apierr.New(apierr.CodeResourceInUse, "function %s is invoked by %s; change that flow first", arn, by)
		}
		return tx.DisassociateFunction(ctx, inst, arn)
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// FunctionInUse names the first published flow or module of the instance whose content
// invokes arn (a static LambdaFunctionARN), or "" when none does.
func FunctionInUse(ctx context.Context, tx store.Tx, instanceID, arn string) (string, error) {
	return publishedReference(ctx, tx, instanceID, func(r flow.Resources) []string { return r.Functions }, func(ref string) bool { return ref == arn })
}

// publishedReference names the first published flow or module of the instance whose content
// has a resource (listed by pick from flow.ListResources) that matches; "" when none does.
func publishedReference(ctx context.Context, tx store.Tx, inst string, pick func(flow.Resources) []string, match func(ref string) bool) (string, error) {
	by := ""
	for _, kind := range []flow.RecordKind{flow.KindFlow, flow.KindModule} {
		err := store.EachFlowRecord(ctx, tx, inst, kind, func(r flow.Record) (bool, error) {
			f, _ := flow.Parse([]byte(r.Content), flow.DefaultLimits())
			if f == nil {
				return false, nil
			}
			for _, ref := range pick(flow.ListResources(f)) {
				if match(ref) {
					by = kind.Noun() + " " + r.ID
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil || by != "" {
			return by, err
		}
	}
	return "", nil
}
