package extfn

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Association is one external function of an instance: the function ARN that Connect's
// AssociateLambdaFunction gives an instance access to, and what Ringfence invokes when a flow
// names it (the Target). An association without a target exists (the API only names ARNs);
// a flow that invokes it takes the error branch until the target is configured.
type Association struct {
	InstanceID string
	// ARN is the function ARN as flows name it in LambdaFunctionARN (ValidFunctionARN).
	ARN string
	// Target is the endpoint or built-in the ARN is invoked as; nil when none is configured.
	// Target.ARN equals ARN. The signing secret of an endpoint is sealed at rest with the
	// instance, table, ARN and column as associated data.
	Target *FunctionConfig
	// Version counts changes of the target (1 on association); caches compare it to notice
	// a change made by another process or node.
	Version int64
	// CreatedTime is when the ARN was associated, LastModifiedTime when the target last
	// changed. UTC, millisecond precision.
	CreatedTime      time.Time
	LastModifiedTime time.Time
}

// Store persists the function associations of every instance, scoped by instance ID. Errors
// are *apierr.Error: ResourceNotFoundException for an ARN the instance has not associated,
// ResourceConflictException for an ARN associated twice.
type Store interface {
	// AssociateFunction stores a new association (Version 1, no target unless a.Target is
	// set).
	AssociateFunction(ctx context.Context, a Association) error
	// GetFunction returns the association of arn, with its target's secret opened.
	GetFunction(ctx context.Context, instanceID, arn string) (Association, error)
	// ListFunctions returns at most limit associations whose ARN sorts after after, in ARN
	// order, targets included.
	ListFunctions(ctx context.Context, instanceID, after string, limit int) ([]Association, error)
	// SetFunctionTarget replaces the target of an associated ARN (nil removes it), stamps
	// LastModifiedTime with at and increments Version.
	SetFunctionTarget(ctx context.Context, instanceID, arn string, target *FunctionConfig, at time.Time) error
	// DisassociateFunction removes the association and its target.
	DisassociateFunction(ctx context.Context, instanceID, arn string) error
}

// MaxFunctionARN is the longest function ARN an instance can associate: 140 characters
// (Connect's AssociateLambdaFunction FunctionArn).
const MaxFunctionARN = 140

// MaxFunctionsPerInstance bounds the associations of one instance. Ringfence's own limit,
// chosen to keep the per-instance registry small; not a Connect quota.
const MaxFunctionsPerInstance = 500

// functionARNPattern is the shape of a Lambda function ARN, optionally qualified with a
// version or alias: arn:{partition}:lambda:{region}:{12-digit account}:function:{name}[:{qualifier}]
// (AWS Lambda API reference, "FunctionName" pattern).
var functionARNPattern = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:lambda:[a-z]{2}(-gov)?-[a-z]+-\d{1}:\d{12}:function:[a-zA-Z0-9-_]{1,64}(:(\$LATEST|[a-zA-Z0-9-_]{1,128}))?$`)

// ValidFunctionARN checks an ARN an instance may associate: a Lambda function ARN of at most
// MaxFunctionARN characters. The error message names the rule, not the value.
func ValidFunctionARN(arn string) error {
	if arn == "" || len(arn) > MaxFunctionARN {
		return fmt.Errorf("FunctionArn must be 1-%d characters", MaxFunctionARN)
	}
	if !functionARNPattern.MatchString(arn) {
		return errors.New("FunctionArn must be a Lambda function ARN like arn:aws:lambda:us-east-1:111122223333:function:name")
	}
	return nil
}

// BuiltinEcho is the name of the built-in EchoBuiltin.
const BuiltinEcho = "ringfence.echo"

// EchoBuiltin answers the invocation's Details.Parameters (the action's
// LambdaInvocationAttributes, resolved) as its STRING_MAP response: a function for trying
// flows and for tests, with no effect outside the flow.
func EchoBuiltin() Builtin {
	return Builtin{Name: BuiltinEcho, StringMap: func(_ context.Context, e Event) (map[string]string, error) {
		out := make(map[string]string, len(e.Details.Parameters))
		for k, v := range e.Details.Parameters {
			out[k] = v
		}
		return out, nil
	}}
}

// StandardBuiltins lists the built-in functions every Ringfence node offers: EchoBuiltin.
func StandardBuiltins() []Builtin { return []Builtin{EchoBuiltin()} }
