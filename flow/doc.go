// Package flow reads, validates and runs Amazon Connect Flow-language documents
// ("Version": "2019-10-30"), as exported by the Connect console or returned by
// DescribeContactFlow / DescribeContactFlowModule.
//
// The package has three layers:
//
//   - Parse reads a document under hard limits (size, nesting depth, action count) and
//     reports duplicate keys and ill-typed fields as Problems instead of failing on the first.
//   - Validate checks a parsed Flow against the action catalogue (one file per action Type,
//     each registered in registry.go) and reports every Problem with the action Identifier,
//     a JSON path and a ProblemKind.
//   - Engine runs a Flow for one contact. It is pure: it does no I/O and reads no clock or
//     randomness except what Config injects. A run stops when the flow waits (customer input,
//     external function, queue, transfer, Wait) and returns a Wait description; the caller
//     answers it with Resume. The Session is plain data that marshals to JSON, so a contact
//     can resume after a process restart.
//
// Sources: the Flow-language reference (docs.aws.amazon.com/connect/latest/APIReference/
// flow-language.html and the per-action pages cited on each action file).
package flow
