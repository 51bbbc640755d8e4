package routing

import (
	"context"
	"time"
)

// Loop runs a Router on one goroutine: the "one logical writer per instance". Commands reach
// it through Do; deadlines are handled by Tick at the Router's NextDeadline, and the events of
// those ticks go to the sink given to Run. The Router itself stays free of goroutines.
type Loop struct {
	r     *Router
	cmds  chan func(*Router)
	sink  func([]Event)
	clock func() time.Time
}

// NewLoop returns a Loop around r. sink receives the events of ticks (never nil slices); it
// runs on the loop goroutine and must not call Do. clock is the time source for ticks (nil
// means time.Now) and should be the one r was configured with.
func NewLoop(r *Router, sink func([]Event), clock func() time.Time) *Loop {
	if clock == nil {
		clock = time.Now
	}
	return &Loop{r: r, cmds: make(chan func(*Router)), sink: sink, clock: clock}
}

// Run executes commands and ticks until ctx is done, then returns ctx's error. Call it once,
// on its own goroutine.
func (l *Loop) Run(ctx context.Context) error {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		wait := time.Hour
		if next, ok := l.r.NextDeadline(); ok {
			wait = max(next.Sub(l.clock()), time.Millisecond)
		}
		t.Reset(wait)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case fn := <-l.cmds:
			fn(l.r)
		case <-t.C:
			if ev := l.r.Tick(l.clock()); len(ev) > 0 && l.sink != nil {
				l.sink(ev)
			}
		}
	}
}

// Do runs fn on the loop goroutine with exclusive access to the Router and waits for it to
// return. fn must not keep the Router. Errors: ctx's error when ctx ends before fn ran.
func (l *Loop) Do(ctx context.Context, fn func(*Router)) error {
	done := make(chan struct{})
	select {
	case l.cmds <- func(r *Router) { fn(r); close(done) }:
	case <-ctx.Done():
		return ctx.Err()
	}
	<-done
	return nil
}
