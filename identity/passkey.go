package identity

import (
	"context"
	"time"
)

// Passkey is a WebAuthn credential a user registered as a second factor (WebAuthn Level 3).
type Passkey struct {
	// ID is the credential ID the authenticator chose (1–1023 bytes, WebAuthn Level 3 §5.1
	// "credential ID").
	ID []byte
	// Name is the label the user gave it (1–64 characters, shown as text).
	Name string
	// Credential is the JSON encoding of github.com/go-webauthn/webauthn's Credential: public
	// key (COSE), AAGUID, flags and signature counter. It holds no secret.
	Credential []byte
	// Created and LastUsed are UTC, millisecond precision; LastUsed is zero until first use.
	Created  time.Time
	LastUsed time.Time
}

// PasskeyStore keeps users' passkeys. Methods are scoped by instance; an unknown user or
// passkey is ResourceNotFoundException.
type PasskeyStore interface {
	// ListPasskeys returns the user's passkeys, oldest first (none is an empty list).
	ListPasskeys(ctx context.Context, instanceID, userID string) ([]Passkey, error)
	// AddPasskey stores a new passkey; DuplicateResourceException when the user already has
	// one with the same ID, ResourceNotFoundException when the user does not exist.
	AddPasskey(ctx context.Context, instanceID, userID string, p Passkey) error
	// UpdatePasskeyUse replaces the stored credential (new signature counter and flags) and
	// sets LastUsed after a successful assertion.
	UpdatePasskeyUse(ctx context.Context, instanceID, userID string, id, credential []byte, lastUsed time.Time) error
	// DeletePasskey removes one passkey.
	DeletePasskey(ctx context.Context, instanceID, userID string, id []byte) error
}
