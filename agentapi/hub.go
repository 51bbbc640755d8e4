package agentapi

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/coder/websocket"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/routing"
)

// Limits of the events WebSocket.
const (
	// MaxClientFrameBytes is the largest frame a desktop may send (its frames are
	// {"type":"Heartbeat"}).
	MaxClientFrameBytes = 4 << 10
	// PingInterval is how often the server pings each connection and checks that the
	// caller is still signed in; a ping unanswered within socketWrite closes it.
	PingInterval = 30 * time.Second
	// socketWrite bounds one frame write or ping.
	socketWrite = 10 * time.Second
	// defaultQueue is how many messages may wait for a slow connection before it is closed.
	defaultQueue = 64
	// offerGrace is how long past its expiry a pending offer is remembered when no event
	// closes it (a safety net; the router always reports the end of an offer).
	offerGrace = time.Minute
)

// Message types the events WebSocket sends besides the router's event types (routing
// EventType values: OfferMade, OfferAccepted, OfferRejected, OfferExpired, OfferWithdrawn,
// ContactConnected, ContactEnded, AgentStateChanged).
const (
	// MessageHello is the first message of every connection.
	MessageHello = "Hello"
	// MessageHeartbeat answers a desktop's {"type":"Heartbeat"}.
	MessageHeartbeat = "Heartbeat"
	// MessageError answers a frame the server cannot use.
	MessageError = "Error"
)

// Message is one server → desktop message of GET /agent/v1/events: a JSON text frame with a
// "type" and the members that apply to it (see docs/agent-api.md).
type Message struct {
	Type string `json:"type"`
	// At is when the router event happened (RFC 3339 UTC, milliseconds).
	At        string          `json:",omitempty"`
	ContactId string          `json:",omitempty"`
	OfferId   string          `json:",omitempty"`
	QueueId   string          `json:",omitempty"`
	Channel   routing.Channel `json:",omitempty"`
	// ExpiresAt is when an offer lapses (OfferMade), for the desktop's countdown; compare it
	// with ServerTime, not the desktop's clock.
	ExpiresAt string `json:",omitempty"`
	// Reason is the router's short cause of a withdrawal or an end ("contact-ended",
	// "transfer", "agent-offline", ...).
	Reason string `json:",omitempty"`
	// Agent is the agent's new routing state (AgentStateChanged).
	Agent *AgentState `json:",omitempty"`
	// AgentId is set on Hello.
	AgentId string `json:",omitempty"`
	// Message explains an Error.
	Message string `json:",omitempty"`
	// ServerTime is the server's clock when the message was made.
	ServerTime string
}

// AgentState is the routing state an AgentStateChanged message carries.
type AgentState struct {
	RoutingState
	Contacts         []HeldContact
	AfterContactWork []AfterContactWorkOut
}

// HubConfig configures a Hub.
type HubConfig struct {
	// QueueLength is how many messages may wait for one connection (default 64); a
	// connection whose queue is full is closed with status 1013 (try again later).
	QueueLength int
	Clock       func() time.Time
	Logger      *slog.Logger
}

// Hub delivers router events to the agents' event WebSockets. It implements
// lifecycle.Notifier: Notify never blocks and is safe for concurrent use.
type Hub struct {
	cfg HubConfig

	mu      sync.Mutex
	conns   map[string]map[*agentConn]struct{} // "instance/agent" → open connections
	offers  map[string]routing.Offer           // "instance/offer" → pending offer
	sweepAt time.Time
}

// NewHub returns a Hub with no connections.
func NewHub(cfg HubConfig) *Hub {
	if cfg.QueueLength <= 0 {
		cfg.QueueLength = defaultQueue
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Hub{cfg: cfg, conns: map[string]map[*agentConn]struct{}{}, offers: map[string]routing.Offer{}}
}

func agentKey(instanceID, agentID string) string { return instanceID + "/" + agentID }

// Notify implements lifecycle.Notifier: each event goes, as a Message, to the connections of
// the agent it concerns in instanceID. Events about no agent (queue changes) are not sent.
func (h *Hub) Notify(instanceID string, events []routing.Event) {
	now := h.cfg.Clock()
	for _, e := range events {
		h.track(instanceID, e, now)
		m, ok := messageOf(e)
		if !ok || e.AgentID == "" {
			continue
		}
		m.ServerTime = timestamp(now)
		b, err := json.Marshal(m)
		if err != nil {
			continue
		}
		h.mu.Lock()
		for c := range h.conns[agentKey(instanceID, e.AgentID)] {
			c.enqueue(b)
		}
		h.mu.Unlock()
	}
}

// track remembers pending offers, for their expiry in GET /agent/v1/me.
func (h *Hub) track(instanceID string, e routing.Event, now time.Time) {
	if e.Offer == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	key := instanceID + "/" + e.Offer.ID
	if e.Type != routing.EventOfferMade {
		delete(h.offers, key)
		return
	}
	h.offers[key] = *e.Offer
	if now.After(h.sweepAt) {
		for k, o := range h.offers {
			if o.ExpiresAt.Add(offerGrace).Before(now) {
				delete(h.offers, k)
			}
		}
		h.sweepAt = now.Add(offerGrace)
	}
}

// offer returns a pending offer of the instance that this Hub saw being made.
func (h *Hub) offer(instanceID, offerID string) (routing.Offer, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	o, ok := h.offers[instanceID+"/"+offerID]
	return o, ok
}

// messageOf turns a router event into the message its agent receives.
func messageOf(e routing.Event) (Message, bool) {
	m := Message{Type: string(e.Type), At: timestamp(e.At), ContactId: e.ContactID, QueueId: e.QueueID, Channel: e.Channel, Reason: e.Reason}
	switch e.Type {
	case routing.EventOfferMade, routing.EventOfferAccepted, routing.EventOfferRejected, routing.EventOfferExpired, routing.EventOfferWithdrawn:
		if e.Offer != nil {
			m.OfferId = e.Offer.ID
			if e.Type == routing.EventOfferMade {
				m.ExpiresAt = timestamp(e.Offer.ExpiresAt)
			}
		}
	case routing.EventContactConnected, routing.EventContactEnded:
	case routing.EventAgentStateChanged:
		m.ContactId, m.QueueId, m.Channel = "", "", ""
		if e.Agent != nil {
			m.Agent = agentState(*e.Agent, e.At)
		}
	default:
		return Message{}, false
	}
	return m, true
}

func agentState(v routing.AgentView, at time.Time) *AgentState {
	st := &AgentState{RoutingState: RoutingState{Activity: v.Activity, StatusName: v.Status.Name, StatusType: v.Status.Type, Missed: v.Missed,
		AvailableSince: timestamp(v.AvailableSince)}, Contacts: []HeldContact{}, AfterContactWork: []AfterContactWorkOut{}}
	for _, c := range v.Contacts {
		st.Contacts = append(st.Contacts, HeldContact{ContactId: c.ContactID, Channel: c.Channel, State: c.State, OfferId: c.OfferID})
	}
	for _, a := range v.AfterContactWork {
		secs := int64(a.Until.Sub(at).Seconds() + 0.999)
		if secs < 0 {
			secs = 0
		}
		st.AfterContactWork = append(st.AfterContactWork, AfterContactWorkOut{ContactId: a.ContactID, Channel: a.Channel, Until: timestamp(a.Until), RemainingSeconds: secs})
	}
	return st
}

// register adds a connection of an agent unless it already holds max; it returns false
// when it does.
func (h *Hub) register(c *agentConn, max int) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	set := h.conns[c.key]
	if len(set) >= max {
		return false
	}
	if set == nil {
		set = map[*agentConn]struct{}{}
		h.conns[c.key] = set
	}
	set[c] = struct{}{}
	return true
}

func (h *Hub) unregister(c *agentConn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if set := h.conns[c.key]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(h.conns, c.key)
		}
	}
}

// agentConn is one open events WebSocket. One goroutine reads, one writes; enqueue only
// queues.
type agentConn struct {
	key string
	ws  *websocket.Conn
	out chan []byte

	mu     sync.Mutex
	closed bool
}

// tooSlow is the close reason of a connection that could not keep up.
const tooSlow = "too slow: reconnect and read /agent/v1/me"

// enqueue queues a frame without blocking; a full queue closes the connection (the desktop
// reconnects and reads GET /agent/v1/me).
func (c *agentConn) enqueue(b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	select {
	case c.out <- b:
	default:
		c.closed = true
		if c.ws != nil { // else serveEvents closes it once accepted
			go c.ws.Close(websocket.StatusTryAgainLater, tooSlow)
		}
	}
}

// originAllowed reports whether a WebSocket upgrade with this Origin header may proceed: no
// Origin (a non-browser client), the request's own host, or a host matching one of the
// patterns (path.Match, case-insensitive, as coder/websocket's OriginPatterns).
func originAllowed(r *http.Request, patterns []string) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	for _, p := range patterns {
		if ok, err := path.Match(strings.ToLower(p), strings.ToLower(u.Host)); err == nil && ok {
			return true
		}
	}
	return false
}

// serveEvents implements GET /agent/v1/events: the WebSocket of router events for the
// signed-in agent. The upgrade is authenticated, authorised (BasicAgentAccess), checked
// against the Origin and the per-agent connection limit, and audited before it happens.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	reqID := uuid.NewString()
	w.Header().Set("X-Amzn-RequestId", reqID)
	w.Header().Set("Cache-Control", "no-store")
	c := &call{r: r, ctx: r.Context(), ev: s.event(r, "ConnectEvents", reqID)}
	var conn *agentConn
	err := s.admit(c)
	if err == nil && !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		err = apierr.InvalidRequest("this endpoint is a WebSocket: send an upgrade request")
	}
	if err == nil && !originAllowed(r, s.cfg.OriginPatterns) {
		c.ev.Details = map[string]string{"refused": "origin"}
		err = apierr.AccessDenied("this origin may not open the agent events socket")
	}
	if err == nil {
		c.ev.Resource = c.caller.UserID
		conn = &agentConn{key: agentKey(c.caller.InstanceID, c.caller.UserID), out: make(chan []byte, s.hub.cfg.QueueLength)}
		if !s.hub.register(conn, s.cfg.MaxSocketsPerAgent) {
			conn = nil
			err = apierr.New(apierr.CodeThrottling, "an agent may hold at most %d event sockets", s.cfg.MaxSocketsPerAgent)
		}
	}
	c.ev.Stamp(err)
	if rerr := s.st.Record(c.ctx, c.ev); rerr != nil && err == nil {
		err = rerr
	}
	if err != nil {
		if conn != nil {
			s.hub.unregister(conn)
		}
		e := toAPIError(err)
		apierr.Write(w, e.Status(), e)
		return
	}
	defer s.hub.unregister(conn)
	// The origin was checked above, against the request host and the configured patterns.
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return // Accept has answered
	}
	ws.SetReadLimit(MaxClientFrameBytes)
	conn.mu.Lock()
	conn.ws = ws
	slow := conn.closed
	conn.mu.Unlock()
	if slow {
		_ = ws.Close(websocket.StatusTryAgainLater, tooSlow)
		return
	}
	s.runEvents(context.WithoutCancel(r.Context()), r, conn, c.caller)
}

// runEvents serves an accepted events connection until it ends: the writer drains the queue,
// the pinger checks the peer and the caller's sign-in, the reader answers heartbeats.
func (s *Server) runEvents(ctx context.Context, r *http.Request, c *agentConn, caller Caller) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer c.ws.CloseNow()
	hello, _ := json.Marshal(Message{Type: MessageHello, AgentId: caller.UserID, ServerTime: timestamp(s.cfg.Clock())})
	c.enqueue(hello)
	go func() {
		defer cancel()
		for {
			select {
			case b := <-c.out:
				wctx, wcancel := context.WithTimeout(ctx, socketWrite)
				err := c.ws.Write(wctx, websocket.MessageText, b)
				wcancel()
				if err != nil {
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		defer cancel()
		t := time.NewTicker(PingInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if again, err := s.cfg.Authenticate(r); err != nil || again.UserID != caller.UserID || again.InstanceID != caller.InstanceID {
				_ = c.ws.Close(websocket.StatusPolicyViolation, "signed out")
				return
			}
			pctx, pcancel := context.WithTimeout(ctx, socketWrite)
			err := c.ws.Ping(pctx)
			pcancel()
			if err != nil {
				return
			}
		}
	}()
	for {
		typ, data, err := c.ws.Read(ctx)
		if err != nil {
			return
		}
		var in struct {
			Type string `json:"type"`
		}
		if typ != websocket.MessageText || json.Unmarshal(data, &in) != nil {
			c.enqueue(errorMessage(s, "frames must be JSON text objects"))
			continue
		}
		switch in.Type {
		case MessageHeartbeat:
			b, _ := json.Marshal(Message{Type: MessageHeartbeat, ServerTime: timestamp(s.cfg.Clock())})
			c.enqueue(b)
		default:
			c.enqueue(errorMessage(s, "unsupported message type"))
		}
	}
}

func errorMessage(s *Server, msg string) []byte {
	b, _ := json.Marshal(Message{Type: MessageError, Message: msg, ServerTime: timestamp(s.cfg.Clock())})
	return b
}
