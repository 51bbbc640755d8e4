package routing

import (
	"sort"
	"time"
)

// waitQueue holds the waiting contacts of one queue × channel (or of one agent queue ×
// channel). Contacts are grouped by priority in buckets, ascending; inside a bucket a min-heap
// orders them by effective enqueue time, then arrival sequence. The best contact that has
// waited at least d is then found by looking at one heap top per priority: the oldest contact
// of a bucket is the one that has waited longest, so if it has not waited d, none of its
// bucket has.
type waitQueue struct {
	buckets []*bucket
	n       int
}

type bucket struct {
	priority int
	h        []*contact
}

// older reports whether a waits ahead of b within one priority.
func older(a, b *contact) bool {
	if !a.enq.Equal(b.enq) {
		return a.enq.Before(b.enq)
	}
	return a.seq < b.seq
}

func (q *waitQueue) push(c *contact) {
	i := sort.Search(len(q.buckets), func(i int) bool { return q.buckets[i].priority >= c.priority })
	if i == len(q.buckets) || q.buckets[i].priority != c.priority {
		q.buckets = append(q.buckets, nil)
		copy(q.buckets[i+1:], q.buckets[i:])
		q.buckets[i] = &bucket{priority: c.priority}
	}
	b := q.buckets[i]
	c.bucket = b
	c.heapIdx = len(b.h)
	b.h = append(b.h, c)
	b.up(c.heapIdx)
	q.n++
}

func (q *waitQueue) remove(c *contact) {
	b := c.bucket
	i := c.heapIdx
	last := len(b.h) - 1
	if i != last {
		b.swap(i, last)
	}
	b.h[last] = nil
	b.h = b.h[:last]
	if i != last {
		if !b.down(i) {
			b.up(i)
		}
	}
	c.bucket, c.heapIdx = nil, -1
	q.n--
	if len(b.h) == 0 {
		for j, x := range q.buckets {
			if x == b {
				q.buckets = append(q.buckets[:j], q.buckets[j+1:]...)
				break
			}
		}
	}
}

// best returns the first contact in queue order (priority, then age), or nil; when limited,
// only contacts whose effective enqueue time is at or before cutoff count.
func (q *waitQueue) best(cutoff time.Time, limited bool) *contact {
	for _, b := range q.buckets {
		if top := b.h[0]; !limited || !top.enq.After(cutoff) {
			return top
		}
	}
	return nil
}

// oldest returns the contact with the earliest effective enqueue time, or nil.
func (q *waitQueue) oldest() *contact {
	var o *contact
	for _, b := range q.buckets {
		if top := b.h[0]; o == nil || older(top, o) {
			o = top
		}
	}
	return o
}

func (b *bucket) swap(i, j int) {
	b.h[i], b.h[j] = b.h[j], b.h[i]
	b.h[i].heapIdx = i
	b.h[j].heapIdx = j
}

func (b *bucket) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !older(b.h[i], b.h[p]) {
			return
		}
		b.swap(i, p)
		i = p
	}
}

func (b *bucket) down(i int) bool {
	start := i
	n := len(b.h)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && older(b.h[r], b.h[l]) {
			m = r
		}
		if !older(b.h[m], b.h[i]) {
			break
		}
		b.swap(i, m)
		i = m
	}
	return i > start
}

// agentGroup indexes the agents that can take a contact now from one queue × channel with
// one delay, in a min-heap by availability (longest available first).
type agentGroup struct {
	key groupKey
	wq  *waitQueue // the contacts of key's queue × channel
	h   []*agentEntry
}

type groupKey struct {
	queue string
	ch    Channel
	delay time.Duration
}

// agentEntry is one profile queue entry of one agent; pos is its index in its group's heap,
// or -1 when the agent cannot take a contact on the entry's channel now.
type agentEntry struct {
	a        *agent
	g        *agentGroup
	priority int
	delay    time.Duration
	pos      int
}

// availableBefore reports whether agent a has been available longer than agent b.
func availableBefore(a, b *agent) bool {
	if !a.since.Equal(b.since) {
		return a.since.Before(b.since)
	}
	return a.sinceSeq < b.sinceSeq
}

func (g *agentGroup) push(e *agentEntry) {
	e.pos = len(g.h)
	g.h = append(g.h, e)
	g.up(e.pos)
}

func (g *agentGroup) remove(e *agentEntry) {
	i := e.pos
	last := len(g.h) - 1
	if i != last {
		g.swap(i, last)
	}
	g.h[last] = nil
	g.h = g.h[:last]
	if i != last {
		if !g.down(i) {
			g.up(i)
		}
	}
	e.pos = -1
}

func (g *agentGroup) fix(e *agentEntry) {
	if !g.down(e.pos) {
		g.up(e.pos)
	}
}

func (g *agentGroup) swap(i, j int) {
	g.h[i], g.h[j] = g.h[j], g.h[i]
	g.h[i].pos = i
	g.h[j].pos = j
}

func (g *agentGroup) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !availableBefore(g.h[i].a, g.h[p].a) {
			return
		}
		g.swap(i, p)
		i = p
	}
}

func (g *agentGroup) down(i int) bool {
	start := i
	n := len(g.h)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && availableBefore(g.h[r].a, g.h[l].a) {
			m = r
		}
		if !availableBefore(g.h[m].a, g.h[i].a) {
			break
		}
		g.swap(i, m)
		i = m
	}
	return i > start
}

// timer is a deadline: an offer's expiry or the end of an after-contact work period. Timers
// are checked lazily: a popped timer whose subject no longer matches is ignored.
type timer struct {
	at      time.Time
	offerID string // offer expiry when set
	agentID string // ACW end otherwise, with contactID
	contact string
}

type timerHeap []timer

func (h timerHeap) less(i, j int) bool { return h[i].at.Before(h[j].at) }

func (h *timerHeap) push(t timer) {
	*h = append(*h, t)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !s.less(i, p) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *timerHeap) pop() timer {
	s := *h
	t := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s[last] = timer{}
	s = s[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= len(s) {
			break
		}
		m := l
		if r := l + 1; r < len(s) && s.less(r, l) {
			m = r
		}
		if !s.less(m, i) {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return t
}
