// Package bench holds Ringfence's load benchmarks. They live in _test.go files and run with
// `go test -run '^$' -bench . ./bench/`; bench/README.md lists each benchmark, the budget it
// chases (DESIGN.md "Performance budgets") and the figures last measured. The chat load
// generator is the command in bench/chatload.
package bench
