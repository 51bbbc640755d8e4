// Package routing is Ringfence's contact router: queues, hours of operation, routing profiles,
// agent status and the decision of which agent is offered which queued contact.
//
// The Router is a pure, in-memory state machine. It does no I/O, starts no goroutine and reads
// time only from the injected clock (Config.Clock) or from Tick's argument. Every command
// returns the events it caused ([]Event); nothing is delivered by callback. One logical writer
// per instance calls it: either the caller serialises calls itself, or it uses Loop, a thin
// goroutine fed by a command channel. Persistence is the caller's: Snapshot returns the state
// to store, Restore rebuilds a Router from it, Reconcile corrects it against live contacts.
//
// The model and the rules follow Amazon Connect's administrator guide ("How routing works",
// "Routing profiles", "Queues: standard and agent", "Set up hours of operation", "About agent
// status", "Set up queue-based routing: priority and delay", "Cross-channel concurrency"); see
// README.md in this directory for the rules with their sources, the state tables and the
// command and event shapes.
package routing
