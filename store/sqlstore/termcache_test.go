package sqlstore

import (
	"fmt"
	"testing"
	"time"
)

// TestTermCache: words are known only once added, per contact and role; a set idle past
// termSetIdle is dropped at the next sweep; the cache never holds more than its bounds.
func TestTermCache(t *testing.T) {
	c := newTermCache()
	t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	cust, agent := termSetKey("i", "c1", "CUSTOMER"), termSetKey("i", "c1", "AGENT")
	refund := c.fingerprint("refund")
	if c.known(cust, refund, t0) {
		t.Fatal("a word is known before it was added")
	}
	c.add([]termRef{{cust, refund}}, t0)
	if !c.known(cust, refund, t0) || c.known(agent, refund, t0) || c.known(cust, c.fingerprint("parcel"), t0) {
		t.Error("known() does not answer per contact, role and word")
	}
	// An idle set goes at the next sweep; a used one stays.
	c.add([]termRef{{agent, refund}}, t0.Add(time.Minute))
	c.known(agent, refund, t0.Add(2*time.Minute))
	c.add([]termRef{{termSetKey("i", "c2", "CUSTOMER"), refund}}, t0.Add(termSetIdle+time.Minute))
	if c.known(cust, refund, t0.Add(termSetIdle+time.Minute)) || !c.known(agent, refund, t0.Add(termSetIdle+time.Minute)) {
		t.Error("the sweep did not drop the idle set only")
	}
	// Bounds: per set, and in all.
	var refs []termRef
	for i := range termSetMaxWords + 10 {
		refs = append(refs, termRef{cust, c.fingerprint(fmt.Sprint("w", i))})
	}
	c.add(refs, t0.Add(termSetIdle+time.Minute))
	if _, words := c.size(); words > termSetMaxWords+2 {
		t.Errorf("%d words after a set overflowed, want at most %d", words, termSetMaxWords+2)
	}
	now := t0.Add(termSetIdle + 2*time.Minute)
	for set := 0; set*termSetMaxWords < 2*termCacheMaxWords; set++ {
		refs = refs[:0]
		for i := range termSetMaxWords {
			refs = append(refs, termRef{termSetKey("i", fmt.Sprint("bulk", set), "AGENT"), uint64(i)})
		}
		c.add(refs, now)
		if _, words := c.size(); words > termCacheMaxWords {
			t.Fatalf("%d words cached, over the bound of %d", words, termCacheMaxWords)
		}
	}
}
