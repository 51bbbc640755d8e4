package chat

import (
	"encoding/json"
	"sync"
)

// CloseScope says which sockets a Delivery closes after its frame.
type CloseScope int

// Close scopes.
const (
	// CloseNone closes nothing.
	CloseNone CloseScope = iota
	// CloseContact closes every socket of the contact (the chat ended).
	CloseContact
	// CloseParticipant closes the sockets of Delivery.ParticipantID (it left).
	CloseParticipant
)

// Delivery is one thing to push to the WebSockets of a contact.
type Delivery struct {
	InstanceID string
	ContactID  string
	// Seq is the item's transcript position; 0 for items that are not stored (typing,
	// receipts) and for a bare close.
	Seq int64
	// Frame is the complete WebSocket text frame ({"topic":"aws/chat",...}); nil for a bare
	// close.
	Frame []byte
	// Close asks subscribers to close after Frame; ParticipantID names who for
	// CloseParticipant.
	Close         CloseScope
	ParticipantID string
}

// Subscriber receives the deliveries of one contact: one WebSocket.
type Subscriber interface {
	// Deliver hands d over without blocking; a subscriber that cannot keep up drops its
	// socket (its client reconnects and catches up with GetTranscript).
	Deliver(d Delivery)
}

// Fanout carries each item from where it was stored to the WebSockets of the contact's
// participants. Hub is the in-process implementation; a cluster implementation (NATS) carries
// deliveries between nodes behind the same interface.
type Fanout interface {
	// Publish delivers d to every current subscriber of d's contact. The Service publishes
	// a contact's stored items in Seq order, one at a time; an implementation keeps that
	// order per contact. It must not block on slow subscribers.
	Publish(d Delivery)
	// Subscribe registers sub for the contact's deliveries until unsubscribe is called.
	Subscribe(instanceID, contactID string, sub Subscriber) (unsubscribe func())
}

// Hub is the in-process Fanout: a map from contact to its subscribers. The zero value is not
// usable; call NewHub.
type Hub struct {
	mu   sync.RWMutex
	subs map[string]map[Subscriber]struct{}
}

// NewHub returns an empty Hub.
func NewHub() *Hub { return &Hub{subs: map[string]map[Subscriber]struct{}{}} }

// Publish implements Fanout.
func (h *Hub) Publish(d Delivery) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for sub := range h.subs[contactKey(d.InstanceID, d.ContactID)] {
		sub.Deliver(d)
	}
}

// Subscribe implements Fanout.
func (h *Hub) Subscribe(instanceID, contactID string, sub Subscriber) func() {
	key := contactKey(instanceID, contactID)
	h.mu.Lock()
	m := h.subs[key]
	if m == nil {
		m = map[Subscriber]struct{}{}
		h.subs[key] = m
	}
	m[sub] = struct{}{}
	h.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			if m := h.subs[key]; m != nil {
				delete(m, sub)
				if len(m) == 0 {
					delete(h.subs, key)
				}
			}
		})
	}
}

// Subscribers returns how many subscribers a contact has (for tests and metrics).
func (h *Hub) Subscribers(instanceID, contactID string) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.subs[contactKey(instanceID, contactID)])
}

// chatFrame encodes an item as the aws/chat frame chatjs expects: content is the item's JSON
// as a string, the frame says it is application/json.
func chatFrame(it Item) []byte {
	inner, err := json.Marshal(it)
	if err != nil {
		// Item holds only strings and slices of strings: Marshal cannot fail.
		panic("chat: encode item: " + err.Error())
	}
	b, _ := json.Marshal(struct {
		Topic       string `json:"topic"`
		ContentType string `json:"contentType"`
		Content     string `json:"content"`
	}{"aws/chat", "application/json", string(inner)})
	return b
}
