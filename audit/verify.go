package audit

import (
	"context"
	"encoding/json"
	"fmt"
)

// Reader walks stored audit records in Seq order. Implementations live in the stores.
type Reader interface {
	// ScanAudit calls fn for every record with Seq > after, in ascending Seq order, until fn
	// returns an error (which ScanAudit returns) or the records end.
	ScanAudit(ctx context.Context, after int64, fn func(Record) error) error
}

// Problem describes the first break in a chain.
type Problem struct {
	// Seq is the stored Seq of the record where the chain breaks (for a gap, the first Seq
	// after the missing ones).
	Seq int64
	// Reason is a one-line description, e.g. "hash mismatch: body changed".
	Reason string
}

// Error implements error.
func (p *Problem) Error() string {
	return fmt.Sprintf("audit chain broken at event %d: %s", p.Seq, p.Reason)
}

// Verify walks the whole chain from the first event. It returns the number of events when the
// chain is intact, or a *Problem naming the first bad event. Other errors are read failures.
//
// It detects a changed byte in any body or hash (hash mismatch), a deleted event (Seq gap or
// previous-hash mismatch), an inserted event (Seq out of order or previous-hash mismatch) and
// two swapped events (the Seq inside the body differs from the stored position, or the chain
// hashes no longer link).
func Verify(ctx context.Context, r Reader) (int64, error) {
	var (
		n        int64
		wantSeq  int64 = 1
		prevHash       = GenesisHash
	)
	err := r.ScanAudit(ctx, 0, func(rec Record) error {
		if rec.Seq != wantSeq {
			return &Problem{Seq: rec.Seq, Reason: fmt.Sprintf("sequence gap: expected event %d", wantSeq)}
		}
		if rec.PrevHash != prevHash {
			return &Problem{Seq: rec.Seq, Reason: "previous-hash mismatch: an event before it was changed, deleted or moved"}
		}
		if ChainHash(rec.PrevHash, rec.Body) != rec.Hash {
			return &Problem{Seq: rec.Seq, Reason: "hash mismatch: the event was changed"}
		}
		var ev Event
		if err := json.Unmarshal(rec.Body, &ev); err != nil {
			return &Problem{Seq: rec.Seq, Reason: "body is not a valid event"}
		}
		if ev.Seq != rec.Seq {
			return &Problem{Seq: rec.Seq, Reason: fmt.Sprintf("event body says position %d: events were moved", ev.Seq)}
		}
		prevHash = rec.Hash
		wantSeq++
		n++
		return nil
	})
	if err != nil {
		return n, err
	}
	return n, nil
}
