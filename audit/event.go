// Package audit makes every API request, page action and authentication event leave one
// tamper-evident record. It is a gate, not a log: the store appends an event in the same
// transaction as the change it describes, so an action whose event cannot be made durable
// fails and changes nothing (fail closed).
//
// Events form a hash chain: each event's Hash is SHA-256 over the previous event's hash and the
// event's canonical body (its JSON encoding with the fields in declaration order). Verify walks a
// chain and reports the first event that was changed, deleted, inserted or moved.
package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ringfence/ringfence/apierr"
)

// Outcome is how the audited action ended.
type Outcome string

// Outcomes.
const (
	OutcomeSuccess Outcome = "success"
	OutcomeFailure Outcome = "failure"
)

// Event is one audit record. The store fills Seq, PrevHash and Hash when it appends the event;
// callers fill the rest through the API edge, which stamps the common fields in one place.
type Event struct {
	// Seq is the event's position in the chain, from 1, without gaps.
	Seq int64 `json:"seq"`
	// Time is UTC with microsecond precision.
	Time time.Time `json:"time"`
	// Code is a stable event code, e.g. "api.CreateInstance", "auth.signature_failed",
	// "admin.instance_unprotect".
	Code string `json:"code"`
	// Actor is who acted: "operator:AKID...", "user:{id}", "anonymous:{claimed key id}",
	// "host" for commands run on the server's host.
	Actor string `json:"actor"`
	// InstanceID is empty for deployment-wide actions.
	InstanceID string `json:"instance_id,omitempty"`
	SourceIP   string `json:"source_ip,omitempty"`
	UserAgent  string `json:"user_agent,omitempty"`
	// Operation is the Connect operation name or page action.
	Operation string `json:"operation"`
	// Resource is the ARN or ID the action is about.
	Resource string  `json:"resource,omitempty"`
	Outcome  Outcome `json:"outcome"`
	// ErrorCode is the Connect exception code when Outcome is failure.
	ErrorCode string `json:"error_code,omitempty"`
	RequestID string `json:"request_id,omitempty"`
	// Details holds further non-sensitive fields; sensitive request fields appear only as keyed
	// hashes ("hmac-sha256:...") made with a Hasher.
	Details map[string]string `json:"details,omitempty"`
	// Severity is empty for ordinary events and SeverityHigh for those a person must look at
	// (emergency access minted, switched or used). It is last and omitted when empty, so the
	// canonical body of events written before it existed is unchanged.
	Severity Severity `json:"severity,omitempty"`
}

// Severity ranks an event for alerting.
type Severity string

// Severities.
const (
	// SeverityHigh marks an event that should page someone: break-glass access and its
	// configuration.
	SeverityHigh Severity = "high"
)

// Stamp sets the outcome from the error the audited action returned: success for nil,
// otherwise failure with the error's Connect code (apierr), or InternalServiceException for
// an error that carries none.
func (e *Event) Stamp(err error) {
	if err == nil {
		e.Outcome, e.ErrorCode = OutcomeSuccess, ""
		return
	}
	e.Outcome, e.ErrorCode = OutcomeFailure, string(apierr.CodeInternalService)
	if ae := apierr.As(err); ae != nil {
		e.ErrorCode = string(ae.Code)
	}
}

// Record is an appended event as stored: the canonical body and the chain hashes.
type Record struct {
	Seq int64
	// Body is the canonical JSON of the Event (Seq included, hashes excluded).
	Body []byte
	// PrevHash is the Hash of the event before (64 hex characters; all zeros for Seq 1).
	PrevHash string
	// Hash is hex SHA-256(PrevHash bytes || Body).
	Hash string
}

// GenesisHash is the PrevHash of the first event.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// Seal sets ev.Seq, encodes its canonical body and computes its chain hash after prev.
func Seal(ev *Event, seq int64, prevHash string) (Record, error) {
	ev.Seq = seq
	ev.Time = ev.Time.UTC().Truncate(time.Microsecond)
	body, err := json.Marshal(ev)
	if err != nil {
		return Record{}, fmt.Errorf("audit: encode event: %w", err)
	}
	return Record{Seq: seq, Body: body, PrevHash: prevHash, Hash: ChainHash(prevHash, body)}, nil
}

// ChainHash returns hex SHA-256 over the decoded previous hash followed by body. A malformed
// prevHash is hashed as its text so a damaged record still produces a (mismatching) hash.
func ChainHash(prevHash string, body []byte) string {
	h := sha256.New()
	if p, err := hex.DecodeString(prevHash); err == nil && len(p) == sha256.Size {
		h.Write(p)
	} else {
		h.Write([]byte(prevHash))
	}
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}
