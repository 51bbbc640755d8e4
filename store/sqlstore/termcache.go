package sqlstore

import (
	"hash/maphash"
	"sync"
	"time"
)

// Bounds of the transcript term cache.
const (
	// termCacheMaxWords bounds the word fingerprints the cache holds in all (8 bytes each plus
	// the map's overhead: about 4 MiB when full). Past it, sets idle for a while are dropped,
	// and if that is not enough, all of them.
	termCacheMaxWords = 1 << 18
	// termSetMaxWords bounds the words remembered for one contact and role; the words after
	// them are written (and found present) as if nothing were cached.
	termSetMaxWords = 4096
	// termSetIdle is how long a contact and role's set is kept after it was last used: a chat
	// that sent nothing for that long costs no memory here.
	termSetIdle = 2 * time.Minute
)

// termCache remembers which words of a chat's transcript this store has already committed to
// the transcript index, per instance, contact and participant role, so that a message's words
// that the index holds already cost neither a keyed hash nor an index probe on the writer. It
// is an optimisation only, and it is sound because of three facts:
//
//   - a word is remembered only after the transaction that wrote its row committed (rows of
//     a savepoint that rolled back, or of a batch that failed, are never remembered);
//   - index rows are never deleted on their own: they go only with their chat, and a deleted
//     chat takes no new items or words (the index refers to it);
//   - a word the cache does not know is written as before (INSERT ... ON CONFLICT DO
//     NOTHING), so another node writing the same contact, or a forgotten set, only costs a
//     probe.
//
// Words are remembered by a 64-bit fingerprint (hash/maphash with a seed drawn at random when
// the store opens, so the fingerprints cannot be predicted from outside). Two different words
// of the same contact and role with the same fingerprint would leave the second unindexed;
// for a contact with n distinct words the chance is about n²/2⁶⁵ (below 10⁻¹¹ at 10,000
// words). A change of the index key (the store's Hasher) must start a new cache: the store
// holds one Hasher for its lifetime.
//
// Only the writer goroutine uses it, but it locks anyway so that it stays correct if that
// changes.
type termCache struct {
	seed maphash.Seed

	mu    sync.Mutex
	sets  map[string]*termSet // by instance, contact and role (termSetKey)
	words int
	swept time.Time
}

// termSet is the fingerprints of one contact and role's indexed words.
type termSet struct {
	words map[uint64]struct{}
	used  time.Time
}

// termRef names one word of one contact and role: what a transaction remembers until it
// commits.
type termRef struct {
	set  string
	word uint64
}

func newTermCache() *termCache {
	return &termCache{seed: maphash.MakeSeed(), sets: map[string]*termSet{}}
}

// termSetKey is the cache's key of a contact and role; NUL cannot occur in IDs or roles.
func termSetKey(instanceID, contactID, role string) string {
	return instanceID + "\x00" + contactID + "\x00" + role
}

// fingerprint returns the word's fingerprint.
func (c *termCache) fingerprint(word string) uint64 { return maphash.String(c.seed, word) }

// known reports whether the word is remembered as indexed for the set, and marks the set
// used at now.
func (c *termCache) known(set string, word uint64, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sets[set]
	if s == nil {
		return false
	}
	s.used = now
	_, ok := s.words[word]
	return ok
}

// add remembers words whose rows a transaction has committed.
func (c *termCache) add(refs []termRef, now time.Time) {
	if len(refs) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if now.Sub(c.swept) > termSetIdle/4 || c.words+len(refs) > termCacheMaxWords {
		c.sweep(now)
	}
	for _, r := range refs {
		s := c.sets[r.set]
		if s == nil {
			s = &termSet{words: map[uint64]struct{}{}}
			c.sets[r.set] = s
		}
		s.used = now
		if len(s.words) >= termSetMaxWords || c.words >= termCacheMaxWords {
			continue
		}
		if _, ok := s.words[r.word]; !ok {
			s.words[r.word] = struct{}{}
			c.words++
		}
	}
}

// sweep drops the sets idle for termSetIdle, and every set when the cache is still nearly
// full. The caller holds c.mu.
func (c *termCache) sweep(now time.Time) {
	c.swept = now
	for k, s := range c.sets {
		if now.Sub(s.used) > termSetIdle {
			c.words -= len(s.words)
			delete(c.sets, k)
		}
	}
	if c.words > termCacheMaxWords*3/4 {
		clear(c.sets)
		c.words = 0
	}
}

// size returns how many sets and fingerprints the cache holds (for tests).
func (c *termCache) size() (sets, words int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.sets), c.words
}
