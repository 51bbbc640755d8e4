package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/channel/chat"
	"github.com/ringfence/ringfence/node"
	"github.com/ringfence/ringfence/routing"
)

// desk plays the agents of an in-process node, as their desktops would through the agent
// API: it receives the router's offers (a lifecycle Notifier), accepts each, adds the agent to
// the chat as an AGENT participant and hands the participant token to the run, which connects
// it like any participant (CreateParticipantConnection and a WebSocket over loopback).
type desk struct {
	r      *run
	rt     *node.Runtime
	inst   string
	offers chan routing.Event
	errors atomic.Int64

	once sync.Once
	done chan struct{}
	wg   sync.WaitGroup
}

// newDesk returns the desk of the instance's agents; capacity bounds the offers waiting to be
// taken. Register it with rt.AddNotifier.
func newDesk(r *run, rt *node.Runtime, instanceID string, capacity int) *desk {
	return &desk{r: r, rt: rt, inst: instanceID, offers: make(chan routing.Event, capacity+64), done: make(chan struct{})}
}

// Notify implements lifecycle.Notifier. It never blocks: an offer that finds the queue full
// is left to expire and be made again.
func (d *desk) Notify(instanceID string, evs []routing.Event) {
	if instanceID != d.inst {
		return
	}
	for _, e := range evs {
		if e.Type != routing.EventOfferMade || e.Offer == nil {
			continue
		}
		select {
		case d.offers <- e:
		default:
		}
	}
}

// run answers offers with width workers until stop.
func (d *desk) run(ctx context.Context, width int) {
	for range width {
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			for {
				select {
				case <-d.done:
					return
				case <-ctx.Done():
					return
				case e := <-d.offers:
					if err := d.take(ctx, e); err != nil {
						d.errors.Add(1)
						d.r.logf("agent %s, contact %s: %v", e.AgentID, e.ContactID, err)
					}
				}
			}
		}()
	}
}

func (d *desk) stop() {
	d.once.Do(func() { close(d.done) })
	d.wg.Wait()
}

// take accepts an offer and joins the agent to the chat.
func (d *desk) take(ctx context.Context, e routing.Event) error {
	ev := &audit.Event{Code: "chatload.AcceptOffer", Actor: "user:" + d.inst + "/" + e.AgentID, Operation: "AcceptOffer", InstanceID: d.inst}
	if _, err := d.rt.Contacts.Accept(ctx, ev, d.inst, e.AgentID, e.Offer.ID); err != nil {
		return fmt.Errorf("accept: %w", err)
	}
	st, err := d.rt.Chat.AddParticipant(ctx, d.inst, e.ContactID, chat.RoleAgent, "Agent")
	if err != nil {
		return fmt.Errorf("add agent participant: %w", err)
	}
	return d.r.join(ctx, d.r.chat(e.ContactID), 'a', st.ParticipantToken.Reveal())
}
