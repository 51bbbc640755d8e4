package chat

import (
	"crypto/sha256"
	"sync"
	"time"
)

// Bounds of the connection-token cache.
const (
	// authCacheTTL is how long a ConnectionToken's binding is reused after the read that
	// checked it. Since SendMessage checks the token again in its write transaction
	// (AppendSentChatItem), the TTL bounds only memory and how stale the display name and
	// content types of the chat may be; both never change.
	authCacheTTL = 2 * time.Minute
	// authCacheMax bounds the bindings held (about 0.5 KiB each); past it new tokens are not
	// cached until expired entries are swept.
	authCacheMax = 1 << 15
)

// authCache remembers, per ConnectionToken (by SHA-256), the participant and chat it was
// found to speak for, so that SendMessage does not read the token, the participant and the
// chat again, and open the display name, on every message of a conversation.
//
// It never decides whether a message is stored: SendMessage's write transaction checks the
// token, its expiry and the chat again in the statement that appends the message
// (Tx.AppendSentChatItem), so a token revoked by DisconnectParticipant or EndChat — on this
// node or another — is refused from the next message on, cache or not. What the cache lets a
// revoked token still do is fail later: its request is refused by the write transaction
// (AccessDeniedException, audited as a failure of the participant it belonged to) instead of
// by the read before it. The other operations (SendEvent, GetTranscript,
// DisconnectParticipant, CreateParticipantConnection, the WebSocket) do not use it: their
// checks are the reads themselves.
type authCache struct {
	mu    sync.Mutex
	m     map[[sha256.Size]byte]authEntry
	swept time.Time
}

type authEntry struct {
	b binding
	// until is when the entry stops being used: authCacheTTL after the read, or the token's
	// expiry if that comes first.
	until time.Time
}

// tokenKey is the cache key of a token: its SHA-256, as the store keeps it.
func tokenKey(token string) [sha256.Size]byte { return sha256.Sum256([]byte(token)) }

// get returns the binding cached for the token key at now.
func (c *authCache) get(key [sha256.Size]byte, now time.Time) (binding, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || !now.Before(e.until) {
		return binding{}, false
	}
	return e.b, true
}

// put caches b for the token key until min(now+authCacheTTL, tokenExpiry). Only what
// SendMessage needs is kept: the sealed display name and the token hashes are left out.
func (c *authCache) put(key [sha256.Size]byte, b binding, now, tokenExpiry time.Time) {
	until := now.Add(authCacheTTL)
	if tokenExpiry.Before(until) {
		until = tokenExpiry
	}
	if !now.Before(until) {
		return
	}
	b.part.DisplayNameCiphertext, b.part.TokenHash = nil, nil
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[[sha256.Size]byte]authEntry{}
	}
	if now.Sub(c.swept) > authCacheTTL/4 || len(c.m) >= authCacheMax {
		c.swept = now
		for k, e := range c.m {
			if !now.Before(e.until) {
				delete(c.m, k)
			}
		}
	}
	if len(c.m) >= authCacheMax {
		return
	}
	c.m[key] = authEntry{b: b, until: until}
}

// drop forgets the token key (its request was refused).
func (c *authCache) drop(key [sha256.Size]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, key)
}

// len returns how many bindings are cached (for tests).
func (c *authCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
