package contact

import (
	"context"
	"time"

	"github.com/ringfence/ringfence/secret"
)

// ClientTokenTTL is how long a ClientToken of StartChatContact or StartTaskContact keeps
// answering with the contact it started: 7 days, as Connect documents ("The token is valid
// for 7 days after creation. If a contact is already started, the contact ID is returned").
const ClientTokenTTL = 7 * 24 * time.Hour

// MaxClientTokenLength is the longest ClientToken Connect accepts, in characters.
const MaxClientTokenLength = 500

// ClientToken records what a start operation did under a caller's ClientToken, so that a
// retry with the same token gets the same contact instead of a second one.
type ClientToken struct {
	InstanceID string
	// Operation is the API operation, "StartChatContact" or "StartTaskContact": a token is
	// scoped by instance and operation.
	Operation string
	// Token is the caller's ClientToken (1 to MaxClientTokenLength characters).
	Token     string
	ContactID string
	// ParticipantID and ParticipantToken are the customer participant of a chat ("" for a
	// task). The token is sealed at rest (AAD instance / "contact_client_tokens" /
	// Operation "/" Token / "participant_token").
	ParticipantID    string
	ParticipantToken secret.Value[string]
	// CreatedTime is UTC, millisecond precision.
	CreatedTime time.Time
}

// ClientTokenStore keeps the ClientTokens of start operations. Errors are *apierr.Error.
type ClientTokenStore interface {
	// PutClientToken stores a token. When the instance already holds the same operation and
	// token created at or after notBefore, it fails with DuplicateResourceException; an older
	// one (expired) is replaced. Tokens of the instance created before notBefore may be
	// deleted on the way.
	PutClientToken(ctx context.Context, t ClientToken, notBefore time.Time) error
	// GetClientToken returns the record of a token created at or after notBefore, or
	// ResourceNotFoundException.
	GetClientToken(ctx context.Context, instanceID, operation, token string, notBefore time.Time) (ClientToken, error)
}
