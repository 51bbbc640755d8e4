package api

import "strings"

// Route is one implemented API operation as the server routes it.
type Route struct {
	// Operation is the Connect operation name ("CreateUser") or Ringfence's own
	// ("ringfence:GetContactFlowLogs"); identity.RequiredPermissions knows each.
	Operation string
	// Method and Path are the HTTP method and the path pattern with Connect's placeholders
	// ("/users/{InstanceId}/{UserId}").
	Method, Path string
	// InstanceInBody is set when the instance is named in the JSON body rather than a path
	// segment: its InstanceId member (SearchUsers, StartChatContact, ...) or the instance ARN
	// in ResourceArn (GetMetricDataV2).
	InstanceInBody bool
}

// Routes returns every operation the server implements, in registration order (a fresh
// slice each call). Tests that must cover every operation (tenant isolation, authorization)
// iterate it, so a new operation cannot go unprobed.
func Routes() []Route {
	ops := operations()
	out := make([]Route, 0, len(ops))
	for _, op := range ops {
		method, path, _ := strings.Cut(op.pattern, " ")
		out = append(out, Route{Operation: op.name, Method: method, Path: path, InstanceInBody: op.bodyInstance || op.bodyInstanceARN})
	}
	return out
}
