package api

import (
	"slices"
	"strings"
)

// RoutingRoutes returns the operation name, method and path pattern of every routing
// operation, for the external tests.
func RoutingRoutes() [][3]string {
	var out [][3]string
	for _, op := range routingOperations() {
		method, path, _ := strings.Cut(op.pattern, " ")
		out = append(out, [3]string{op.name, method, path})
	}
	return out
}

// PromptAndFlowLogRoutes returns the operation name, method and path pattern of the prompt
// operations and of the flow-log and transcript reads, for the external tests.
func PromptAndFlowLogRoutes() [][3]string {
	var out [][3]string
	for _, op := range slices.Concat(promptOperations(), flowLogOperations(), transcriptOperations()) {
		method, path, _ := strings.Cut(op.pattern, " ")
		out = append(out, [3]string{op.name, method, path})
	}
	return out
}
