package node

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/ringfence/ringfence/api"
	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/extfn"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/store"
)

// FunctionSetting is what `ringfence functions set` configures for one function ARN of an
// instance: an HTTPS endpoint with its signing secret (URL, Secret, optional allowlists), or a
// built-in function by name (Builtin). Exactly one of URL and Builtin is set.
type FunctionSetting struct {
	// ARN is the Lambda function ARN flows name (extfn.ValidFunctionARN).
	ARN string
	// URL is the https:// endpoint the Connect Lambda event is POSTed to.
	URL string
	// Secret keys the request signature (extfn.MinSecretBytes or more). Stored sealed.
	Secret secret.Value[string]
	// AllowHosts and AllowCIDRs let the endpoint be reached at a private or loopback address
	// (an on-premises server); see extfn.EndpointConfig.
	AllowHosts []string
	AllowCIDRs []string
	// Builtin names a built-in function (extfn.StandardBuiltins), e.g. "ringfence.echo".
	Builtin string
}

// SetFunction configures what arn is invoked as in the instance, associating the ARN first
// when it is not associated yet (as AssociateLambdaFunction would). The target is checked as
// the node will use it (URL allowed by the egress rules, secret long enough, built-in known)
// before anything is stored. Audited with actor "host"; the audit event names the ARN and the
// kind of target, never the secret. It reports whether the ARN was newly associated. Errors:
// InvalidParameterException for a bad setting, ResourceNotFoundException for an unknown
// instance, ServiceQuotaExceededException when the instance holds too many functions.
func (n *Node) SetFunction(ctx context.Context, instanceID string, fs FunctionSetting) (bool, error) {
	if err := extfn.ValidFunctionARN(fs.ARN); err != nil {
		return false, apierr.InvalidParameter(err.Error())
	}
	target := &extfn.FunctionConfig{ARN: fs.ARN}
	kind := "builtin"
	switch {
	case (fs.URL == "") == (fs.Builtin == ""):
		return false, apierr.InvalidParameter("give either an endpoint URL (with its signing secret) or a built-in function name")
	case fs.Builtin != "":
		if len(fs.AllowHosts) > 0 || len(fs.AllowCIDRs) > 0 || fs.Secret.Reveal() != "" {
			return false, apierr.InvalidParameter("a built-in function takes no secret and no allowlist")
		}
		target.Builtin = fs.Builtin
	default:
		kind = "endpoint"
		target.Endpoint = &extfn.EndpointConfig{URL: fs.URL, SigningSecret: fs.Secret, AllowHosts: fs.AllowHosts, AllowCIDRs: fs.AllowCIDRs}
	}
	if err := n.checkFunctionTarget(*target); err != nil {
		return false, apierr.InvalidParameter(err.Error())
	}
	ev := hostEvent("host.functions_set", "SetFunctionTarget", instanceID, fs.ARN)
	ev.Details = map[string]string{"target": kind}
	if kind == "endpoint" {
		if u, err := url.Parse(fs.URL); err == nil {
			ev.Details["host"] = u.Host
		}
	} else {
		ev.Details["builtin"] = fs.Builtin
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	associated := false
	err := n.Store.Update(ctx, ev, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetInstance(ctx, instanceID); err != nil {
			return err
		}
		_, err := tx.GetFunction(ctx, instanceID, fs.ARN)
		if apierr.HasCode(err, apierr.CodeResourceNotFound) {
			associated = true
			return api.AssociateFunction(ctx, tx, extfn.Association{InstanceID: instanceID, ARN: fs.ARN, Target: target, CreatedTime: now, LastModifiedTime: now})
		}
		if err != nil {
			return err
		}
		return tx.SetFunctionTarget(ctx, instanceID, fs.ARN, target, now)
	})
	return associated, err
}

// checkFunctionTarget builds the target the way the node's function runtime will, so a
// setting that would be refused at call time is refused now.
func (n *Node) checkFunctionTarget(cfg extfn.FunctionConfig) error {
	base, err := n.functionEgress()
	if err != nil {
		return err
	}
	reg, err := extfn.NewRegistry(extfn.RegistryOptions{Builtins: extfn.StandardBuiltins(), Egress: base})
	if err != nil {
		return err
	}
	defer reg.Remove(cfg.ARN)
	return reg.Put(cfg)
}

// RemoveFunction removes what arn is invoked as, keeping the association (flows that invoke
// it take their error branch until a target is set again); with disassociate it removes the
// association too, as DisassociateLambdaFunction does (refused with ResourceInUseException
// while a published flow invokes the ARN). Audited with actor "host".
func (n *Node) RemoveFunction(ctx context.Context, instanceID, arn string, disassociate bool) error {
	code, op := "host.functions_remove", "RemoveFunctionTarget"
	if disassociate {
		code, op = "host.functions_disassociate", "DisassociateLambdaFunction"
	}
	ev := hostEvent(code, op, instanceID, arn)
	return n.Store.Update(ctx, ev, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetFunction(ctx, instanceID, arn); err != nil {
			return err
		}
		if !disassociate {
			return tx.SetFunctionTarget(ctx, instanceID, arn, nil, time.Now().UTC().Truncate(time.Millisecond))
		}
		inUse, err := api.FunctionInUse(ctx, tx, instanceID, arn)
		if err != nil {
			return err
		}
		if inUse != "" {
			return apierr.New(apierr.CodeResourceInUse, "function %s is invoked by %s; change that flow first", arn, inUse)
		}
		return tx.DisassociateFunction(ctx, instanceID, arn)
	})
}

// ListFunctions returns every function the instance has associated, in ARN order, with its
// target. Signing secrets are in the result (sealed values opened): callers print only
// whether one is set. Audited with actor "host".
func (n *Node) ListFunctions(ctx context.Context, instanceID string) ([]extfn.Association, error) {
	var out []extfn.Association
	ev := hostEvent("host.functions_list", "ListLambdaFunctions", instanceID, instance.ARN(n.Config.Region, n.AccountID, instanceID))
	err := n.Store.View(ctx, ev, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetInstance(ctx, instanceID); err != nil {
			return err
		}
		after := ""
		for {
			page, err := tx.ListFunctions(ctx, instanceID, after, 200)
			if err != nil {
				return err
			}
			out = append(out, page...)
			if len(page) < 200 {
				return nil
			}
			after = page[len(page)-1].ARN
		}
	})
	return out, err
}

// FlowLogs returns the stored flow-log entries of a contact, oldest first (at most limit;
// 0 means all). Audited with actor "host". An unknown instance or contact is
// ResourceNotFoundException.
func (n *Node) FlowLogs(ctx context.Context, instanceID, contactID string, limit int) ([]contact.FlowLog, error) {
	if contactID == "" {
		return nil, errors.New("a contact ID is required")
	}
	var out []contact.FlowLog
	ev := hostEvent("host.flow_logs", "GetContactFlowLogs", instanceID, fmt.Sprintf("%s/contact/%s", instance.ARN(n.Config.Region, n.AccountID, instanceID), contactID))
	err := n.Store.View(ctx, ev, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetContact(ctx, instanceID, contactID); err != nil {
			return err
		}
		after := int64(0)
		for {
			page, err := tx.ListFlowLogs(ctx, instanceID, contactID, after, 500)
			if err != nil {
				return err
			}
			out = append(out, page...)
			if len(page) < 500 || (limit > 0 && len(out) >= limit) {
				break
			}
			after = page[len(page)-1].Seq
		}
		if limit > 0 && len(out) > limit {
			out = out[:limit]
		}
		return nil
	})
	return out, err
}
