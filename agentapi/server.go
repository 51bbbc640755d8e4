package agentapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/lifecycle"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/store"
)

// Caller is the signed-in agent of a request, as Config.Authenticate resolved it.
type Caller struct {
	// InstanceID and UserID identify the user; the user ID is the agent ID the router knows.
	InstanceID string
	UserID     string
	// Username is the user's sign-in name (shown back in GET /agent/v1/me).
	Username string
	// Profiles are the user's security profiles, for the permission checks (deny rules win).
	Profiles []identity.SecurityProfile
}

// Contacts is the contact runtime the agent API drives; *lifecycle.Manager implements it.
// Errors are *apierr.Error for everything a caller can act on (ResourceNotFoundException for
// an offer or contact that is not the agent's).
type Contacts interface {
	// SetAgentStatus stores the status the agent chose (write runs in the transaction with
	// ev) and then applies it in the router.
	SetAgentStatus(ctx context.Context, ev *audit.Event, instanceID, agentID string, write lifecycle.StatusWrite) (routing.AgentView, error)
	// Agent returns the router's view of the agent (ResourceNotFoundException when it never
	// set a status since the router started).
	Agent(ctx context.Context, instanceID, agentID string) (routing.AgentView, error)
	// Accept and Reject answer an offer made to agentID, storing the change with ev. Accept
	// is idempotent (Accepted.Again); both say when an offer expired, was rejected or was
	// withdrawn.
	Accept(ctx context.Context, ev *audit.Event, instanceID, agentID, offerID string) (lifecycle.Accepted, error)
	Reject(ctx context.Context, ev *audit.Event, instanceID, agentID, offerID string) (string, error)
	// EndByAgent disconnects a contact connected to agentID: it goes to after-contact work.
	EndByAgent(ctx context.Context, ev *audit.Event, instanceID, agentID, contactID string) error
	// CompleteAfterContactWork ends agentID's after-contact work on the contact.
	CompleteAfterContactWork(ctx context.Context, ev *audit.Event, instanceID, agentID, contactID string) error
	// Transfer moves a contact to a queue or an agent's queue, through a flow when the target
	// names one; it waits there afresh. The change is stored with ev before the router
	// applies it.
	Transfer(ctx context.Context, ev *audit.Event, instanceID, contactID string, target lifecycle.Target) error
}

// Participant is the chat participant an agent gets on accepting a CHAT contact: the
// participant ID and the token for Connect's participant API (CreateParticipantConnection's
// X-Amz-Bearer), valid until Expiry.
type Participant struct {
	ID     string
	Token  secret.Value[string]
	Expiry time.Time
}

// ChatParticipants adds an agent to a chat. The chat channel implements it through ChatFunc
// (chat.Service.AddParticipant with role AGENT).
type ChatParticipants interface {
	// AddAgentParticipant adds an AGENT participant named displayName to the chat of
	// contactID and returns its token. Errors: the chat channel's (ResourceNotFoundException,
	// AccessDeniedException when the chat has ended).
	AddAgentParticipant(ctx context.Context, instanceID, contactID, displayName string) (Participant, error)
}

// ChatFunc adapts a function to ChatParticipants.
type ChatFunc func(ctx context.Context, instanceID, contactID, displayName string) (Participant, error)

// AddAgentParticipant calls f.
func (f ChatFunc) AddAgentParticipant(ctx context.Context, instanceID, contactID, displayName string) (Participant, error) {
	return f(ctx, instanceID, contactID, displayName)
}

// Config configures a Server. Store, Contacts and Authenticate are required.
type Config struct {
	Store    store.Store
	Contacts Contacts
	// Authenticate resolves the signed-in agent of a request. Its error, when it is an
	// *apierr.Error, is returned as is (AccessDeniedException for a missing or ended
	// session); any other error is refused as AccessDeniedException.
	Authenticate func(r *http.Request) (Caller, error)
	// Hub delivers router events to WebSocket connections; nil means a new Hub (which then
	// receives no events unless it is also the lifecycle's Notifier).
	Hub *Hub
	// Chat gives agents a participant token when they accept a CHAT contact; nil means
	// accepting a chat returns no token.
	Chat ChatParticipants
	// SensitiveAttributes returns names (exact, or a prefix followed by '*') of contact
	// attributes to treat as sensitive on top of those the instance's data protection marks
	// (instance.DataProtection, read from Store on every contact view); nil adds none.
	SensitiveAttributes func(instanceID string) []string
	// OriginPatterns are the extra origins (host patterns, as coder/websocket's
	// AcceptOptions.OriginPatterns) allowed to open the events WebSocket besides the
	// request's own host; for a desktop served from another origin.
	OriginPatterns []string
	// MaxBodyBytes bounds request bodies (default 64 KiB).
	MaxBodyBytes int64
	// MaxSocketsPerAgent bounds the events WebSockets one agent holds (default 4).
	MaxSocketsPerAgent int
	Clock              func() time.Time
	Logger             *slog.Logger
}

// Server serves the agent API. Create it with New; it is an http.Handler for /agent/v1/.
type Server struct {
	cfg   Config
	st    store.Store
	mgr   Contacts
	hub   *Hub
	log   *slog.Logger
	mux   *http.ServeMux
	cross *http.CrossOriginProtection
	// protect applies instances' data protection to the contacts agents see.
	protect *contact.Redactors

	// agentLocks serialises offer answers per agent, so that an accept and its repetition
	// cannot both add a chat participant.
	lockMu     sync.Mutex
	agentLocks map[string]*agentLock
}

type agentLock struct {
	mu   sync.Mutex
	refs int
}

// New returns a Server; it fails when a required field is missing.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Contacts == nil || cfg.Authenticate == nil {
		return nil, errors.New("agentapi: Store, Contacts and Authenticate are required")
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 64 << 10
	}
	if cfg.MaxSocketsPerAgent <= 0 {
		cfg.MaxSocketsPerAgent = 4
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Hub == nil {
		cfg.Hub = NewHub(HubConfig{Logger: cfg.Logger})
	}
	s := &Server{cfg: cfg, st: cfg.Store, mgr: cfg.Contacts, hub: cfg.Hub, log: cfg.Logger, mux: http.NewServeMux(),
		cross: http.NewCrossOriginProtection(), agentLocks: map[string]*agentLock{}, protect: contact.NewRedactors()}
	for _, op := range s.operations() {
		s.mux.Handle(op.pattern, s.wrap(op))
	}
	s.mux.Handle("GET /agent/v1/events", http.HandlerFunc(s.serveEvents))
	s.mux.Handle("/agent/v1/", s.wrap(operation{name: "UnknownOperation", handle: unknownOperation}))
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// operation is one endpoint of the agent API.
type operation struct {
	// name is the operation name in audit events ("agentapi.<name>").
	name    string
	pattern string
	handle  func(s *Server, c *call) (any, error)
}

func (s *Server) operations() []operation {
	return []operation{
		{name: "DescribeAgent", pattern: "GET /agent/v1/me", handle: (*Server).describeAgent},
		{name: "ListAgentStatuses", pattern: "GET /agent/v1/statuses", handle: (*Server).listStatuses},
		{name: "PutAgentStatus", pattern: "PUT /agent/v1/status", handle: (*Server).putStatus},
		{name: "AcceptOffer", pattern: "POST /agent/v1/offers/{OfferId}/accept", handle: (*Server).acceptOffer},
		{name: "RejectOffer", pattern: "POST /agent/v1/offers/{OfferId}/reject", handle: (*Server).rejectOffer},
		{name: "DescribeContact", pattern: "GET /agent/v1/contacts/{ContactId}", handle: (*Server).describeContact},
		{name: "EndContact", pattern: "POST /agent/v1/contacts/{ContactId}/end", handle: (*Server).endContact},
		{name: "CompleteAfterContactWork", pattern: "POST /agent/v1/contacts/{ContactId}/acw/complete", handle: (*Server).completeACW},
		{name: "TransferContact", pattern: "POST /agent/v1/contacts/{ContactId}/transfer", handle: (*Server).transferContact},
		{name: "GetContactFlowPath", pattern: "GET /agent/v1/contacts/{ContactId}/flow-path", handle: (*Server).getFlowPath},
		{name: "ListQuickConnects", pattern: "GET /agent/v1/quick-connects", handle: (*Server).listQuickConnects},
		{name: "ListTransferQueues", pattern: "GET /agent/v1/transfer-queues", handle: (*Server).listTransferQueues},
		{name: "ListContactHistory", pattern: "GET /agent/v1/history", handle: (*Server).listHistory},
	}
}

// call is the state of one request.
type call struct {
	r      *http.Request
	ctx    context.Context
	ev     *audit.Event
	caller Caller
	// audited is set once the event was handed to the store, which then records it.
	audited bool
}

// update runs fn in a write transaction with the call's audit event.
func (c *call) update(s *Server, fn func(ctx context.Context, tx store.Tx) error) error {
	c.audited = true
	return s.st.Update(c.ctx, c.ev, fn)
}

// view runs fn in a read transaction and records the call's audit event.
func (c *call) view(s *Server, fn func(ctx context.Context, tx store.Tx) error) error {
	c.audited = true
	return s.st.View(c.ctx, c.ev, fn)
}

// runtime runs a Contacts call that takes the audit event and commits it with its change.
// When the call failed before reaching the store (ev not appended), the event is left for
// wrap to record.
func (c *call) runtime(fn func(ev *audit.Event) error) error {
	err := fn(c.ev)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		// The job may still run and append ev: leave it alone.
		c.audited = true
		return err
	}
	c.audited = c.ev.Seq != 0
	return err
}

// wrap turns an operation into an http.Handler: request ID, body limit, cross-origin
// protection, authentication, authorisation, the handler and the audit event for every
// outcome.
func (s *Server) wrap(op operation) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqID := uuid.NewString()
		h := w.Header()
		h.Set("X-Amzn-RequestId", reqID)
		h.Set("Cache-Control", "no-store")
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		c := &call{r: r, ctx: r.Context(), ev: s.event(r, op.name, reqID)}
		out, err := s.serve(op, c)
		if !c.audited {
			c.audited = true
			c.ev.Stamp(err)
			if rerr := s.st.Record(c.ctx, c.ev); rerr != nil {
				err = rerr
			}
		}
		if err != nil {
			e := toAPIError(err)
			if e.Code == apierr.CodeInternalService {
				s.log.Error("agentapi: internal error", "operation", op.name, "request_id", reqID, "error", err.Error())
			}
			apierr.Write(w, e.Status(), e)
			return
		}
		writeJSON(w, out)
	})
}

// event is the audit event of a request, before authentication.
func (s *Server) event(r *http.Request, op, reqID string) *audit.Event {
	return &audit.Event{Code: "agentapi." + op, Actor: "anonymous", SourceIP: sourceIP(r), UserAgent: truncate(r.UserAgent(), 256),
		Operation: op, RequestID: reqID}
}

func (s *Server) serve(op operation, c *call) (any, error) {
	if err := s.cross.Check(c.r); err != nil {
		c.ev.Details = map[string]string{"refused": "cross-origin request"}
		return nil, apierr.AccessDenied("cross-origin requests are refused")
	}
	if err := s.admit(c); err != nil {
		return nil, err
	}
	return op.handle(s, c)
}

// admit authenticates the request and checks BasicAgentAccess; the refusal reason goes to
// the audit event.
func (s *Server) admit(c *call) error {
	caller, err := s.cfg.Authenticate(c.r)
	if err != nil {
		if e := apierr.As(err); e != nil {
			return e
		}
		return apierr.AccessDenied("sign in first")
	}
	if caller.InstanceID == "" || caller.UserID == "" {
		return apierr.AccessDenied("sign in first")
	}
	c.caller = caller
	c.ev.Actor = "user:" + caller.InstanceID + "/" + caller.UserID
	c.ev.InstanceID = caller.InstanceID
	d := identity.Evaluate(identity.Caller{Kind: identity.PrincipalUser, InstanceID: caller.InstanceID, UserID: caller.UserID, Profiles: caller.Profiles},
		identity.ActionAgentWorkspace, caller.InstanceID)
	if !d.Allowed {
		c.ev.Details = map[string]string{"authz": d.Reason}
		if len(d.Permissions) > 0 {
			c.ev.Details["authz_permissions"] = strings.Join(d.Permissions, ",")
		}
		return d.Err
	}
	return nil
}

// may reports whether the caller holds permission p after deny rules, through profiles of
// its own instance only.
func (c *call) may(p string) bool {
	var own []identity.SecurityProfile
	for _, sp := range c.caller.Profiles {
		if sp.InstanceID == "" || sp.InstanceID == c.caller.InstanceID {
			own = append(own, sp)
		}
	}
	for _, have := range identity.EffectivePermissions(own) {
		if have == p {
			return true
		}
	}
	return false
}

// allowed reports whether the caller may take a page or data action in its own instance
// (identity.Evaluate, deny rules first).
func (c *call) allowed(action string) bool {
	return identity.Evaluate(identity.Caller{Kind: identity.PrincipalUser, InstanceID: c.caller.InstanceID, UserID: c.caller.UserID, Profiles: c.caller.Profiles},
		action, c.caller.InstanceID).Allowed
}

func unknownOperation(_ *Server, c *call) (any, error) {
	return nil, apierr.New(apierr.CodeUnknownOperation, "no agent API operation at %s %s", c.r.Method, truncate(c.r.URL.Path, 200))
}

// lockAgent serialises offer answers of one agent; call the returned function to unlock.
func (s *Server) lockAgent(instanceID, agentID string) func() {
	key := instanceID + "/" + agentID
	s.lockMu.Lock()
	l := s.agentLocks[key]
	if l == nil {
		l = &agentLock{}
		s.agentLocks[key] = l
	}
	l.refs++
	s.lockMu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		s.lockMu.Lock()
		if l.refs--; l.refs == 0 {
			delete(s.agentLocks, key)
		}
		s.lockMu.Unlock()
	}
}

// toAPIError turns any error into the *apierr.Error the client sees; errors without a code
// become InternalServiceException "internal error" (their text goes to the log only).
func toAPIError(err error) *apierr.Error {
	if e := apierr.As(err); e != nil {
		return e
	}
	return apierr.New(apierr.CodeInternalService, "internal error")
}

// maxJSONDepth bounds the nesting of a request body.
const maxJSONDepth = 16

// decodeBody reads one JSON object (an empty body is {}) into v within the size limit.
// Unknown members are ignored. Errors: InvalidRequestException,
// RequestEntityTooLargeException.
func decodeBody(r *http.Request, v any) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return apierr.New(apierr.CodeRequestEntityTooLarge, "request body exceeds %d bytes", mbe.Limit)
		}
		return apierr.InvalidRequest("could not read the request body")
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	if b[0] != '{' {
		return apierr.InvalidRequest("request body must be a JSON object")
	}
	depth, inString, escaped := 0, false, false
	for _, ch := range b {
		switch {
		case escaped:
			escaped = false
		case inString && ch == '\\':
			escaped = true
		case ch == '"':
			inString = !inString
		case inString:
		case ch == '{' || ch == '[':
			if depth++; depth > maxJSONDepth {
				return apierr.InvalidRequest(fmt.Sprintf("request body nests deeper than %d levels", maxJSONDepth))
			}
		case ch == '}' || ch == ']':
			depth--
		}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return apierr.InvalidRequest(fmt.Sprintf("request body member %s has the wrong type: want %s", te.Field, te.Type))
		}
		return apierr.InvalidRequest("request body is not valid JSON")
	}
	if dec.More() {
		return apierr.InvalidRequest("request body must hold exactly one JSON object")
	}
	return nil
}

// writeJSON answers 200 with v as JSON.
func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		e := apierr.New(apierr.CodeInternalService, "internal error")
		apierr.Write(w, e.Status(), e)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// checkID refuses a path or body ID that cannot be one of ours: 1–256 characters without
// control characters or '/'. Errors: InvalidParameterException naming the member.
func checkID(member, id string) error {
	if id == "" || len(id) > 256 {
		return apierr.InvalidParameter(member + " must be 1-256 characters")
	}
	for _, r := range id {
		if r < 0x20 || r == 0x7f || r == '/' {
			return apierr.InvalidParameter(member + " holds a character IDs never hold")
		}
	}
	return nil
}

func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// timestamp formats t as RFC 3339 UTC with milliseconds; "" for the zero time.
func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}
