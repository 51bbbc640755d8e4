package sigv4

import (
	"container/list"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"sync"

	"github.com/ringfence/ringfence/secret"
)

// deriveSigningKey derives the SigV4 signing key (AWS General Reference, "Calculate the
// signature for AWS Signature Version 4"):
//
//	kDate    = HMAC-SHA256("AWS4" + secret, yyyymmdd)
//	kRegion  = HMAC-SHA256(kDate, region)
//	kService = HMAC-SHA256(kRegion, service)
//	kSigning = HMAC-SHA256(kService, "aws4_request")
func deriveSigningKey(secretKey secret.Value[string], date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secretKey.Reveal()), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, scopeTerminator)
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// keyCache is a bounded least-recently-used cache of derived signing keys. Entries are
// found by a SHA-256 over (secret, date, region, service), so a rotated secret never
// meets the key of its predecessor, and the map holds no secret in clear. A signing key
// is valid for one scope date only, so at most a few entries per active access key are
// live at a time. Safe for concurrent use.
type keyCache struct {
	mu    sync.Mutex
	max   int
	items map[[sha256.Size]byte]*list.Element
	order list.List // front = most recently used; values are *keyEntry
}

type keyEntry struct {
	id  [sha256.Size]byte
	key secret.Value[[]byte]
}

func newKeyCache(maxEntries int) *keyCache {
	return &keyCache{max: maxEntries, items: make(map[[sha256.Size]byte]*list.Element, maxEntries)}
}

// cacheID identifies a signing key: SHA-256 over the length-prefixed secret, date,
// region and service.
func cacheID(secretKey secret.Value[string], date, region, service string) [sha256.Size]byte {
	h := sha256.New()
	var n [4]byte
	for _, s := range [...]string{secretKey.Reveal(), date, region, service} {
		binary.BigEndian.PutUint32(n[:], uint32(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	var id [sha256.Size]byte
	h.Sum(id[:0])
	return id
}

// signingKey returns the signing key for the scope, from the cache when present.
func (c *keyCache) signingKey(secretKey secret.Value[string], date, region, service string) []byte {
	if c == nil || c.max <= 0 {
		return deriveSigningKey(secretKey, date, region, service)
	}
	id := cacheID(secretKey, date, region, service)
	c.mu.Lock()
	if el, ok := c.items[id]; ok {
		c.order.MoveToFront(el)
		k := el.Value.(*keyEntry).key
		c.mu.Unlock()
		return k.Reveal()
	}
	c.mu.Unlock()

	k := deriveSigningKey(secretKey, date, region, service)

	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[id]; ok { // derived concurrently
		c.order.MoveToFront(el)
		return k
	}
	c.items[id] = c.order.PushFront(&keyEntry{id: id, key: secret.New(k)})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*keyEntry).id)
	}
	return k
}

// len returns the number of cached keys.
func (c *keyCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
