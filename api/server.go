// Package api serves Ringfence's Connect-compatible REST API: restJson1 at Amazon Connect's own
// paths, so the AWS CLI and SDKs work with --endpoint-url. Every request is SigV4-verified
// (package sigv4), throttled per principal, authorised, and leaves exactly one audit event that
// is durable before the answer is sent (fail closed). Errors use Connect's shape: the
// x-amzn-ErrorType header and a JSON body {"Message": ...}; every answer carries
// x-amzn-RequestId.
package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ringfence/ringfence/api/sigv4"
	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/channel/chat"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/keyring"
	"github.com/ringfence/ringfence/lifecycle"
	"github.com/ringfence/ringfence/store"
)

// Config configures a Server.
type Config struct {
	// Region is the AWS region name clients sign for and ARNs carry (e.g. "us-east-1").
	Region string
	// AccountID is the 12-digit account ID in ARNs.
	AccountID string
	// Endpoint is the public base URL (https://host:port), used in instance access URLs.
	Endpoint string
	// MaxBodyBytes limits request bodies (default 1 MiB); larger bodies get 413
	// RequestEntityTooLargeException.
	MaxBodyBytes int64
	// RatePerSecond and Burst configure the token bucket of each principal (defaults 1000/s,
	// burst 2000). Over the limit a request gets 429 ThrottlingException.
	RatePerSecond float64
	Burst         int
	// Store is the database with the audit gate. Required.
	Store store.Store
	// Secrets seals and opens access-key secrets. Required.
	Secrets *keyring.Envelope
	// Logger gets one line per request (identifiers only). Default: discard.
	Logger *slog.Logger
	// Profiles looks up the security profiles of user principals; nil means users hold none
	// (every operation is then refused to them: default deny).
	Profiles ProfileSource
	// Hasher hashes the passwords CreateUser sets (argon2id); nil means
	// identity.NewPasswordHasher().
	Hasher *identity.PasswordHasher
	// Contacts runs contacts (StartTaskContact, StopContact, ...); nil makes those operations
	// answer ServiceUnavailableException.
	Contacts *lifecycle.Manager
	// Chat is the chat channel StartChatContact opens chats on; nil refuses chats.
	Chat *chat.Service
	// Registerer receives the API metrics; nil registers nothing.
	Registerer prometheus.Registerer
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// ProfileSource returns the security profiles of a user, for the authorizer.
type ProfileSource interface {
	SecurityProfilesFor(ctx context.Context, instanceID, userID string) ([]identity.SecurityProfile, error)
}

// Server is the Connect-compatible API handler.
type Server struct {
	cfg      Config
	store    store.Store
	secrets  *keyring.Envelope
	verifier *sigv4.Verifier
	throttle *throttle
	log      *slog.Logger
	mux      *http.ServeMux
	metrics  *metrics
	hasher   identity.PasswordHasher
	policy   identity.PasswordPolicy
	// protect applies instances' data protection to the contacts the API shows.
	protect *contact.Redactors
	// clientTokens serialises start calls that carry the same ClientToken.
	clientTokens keyLocks
}

// New builds a Server; it fails when a required field is missing.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Secrets == nil {
		return nil, fmt.Errorf("api: store and secrets are required")
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.RatePerSecond <= 0 {
		cfg.RatePerSecond = 1000
	}
	if cfg.Burst <= 0 {
		cfg.Burst = 2000
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, store: cfg.Store, secrets: cfg.Secrets, log: cfg.Logger,
		throttle: newThrottle(cfg.RatePerSecond, cfg.Burst, cfg.Now), metrics: newMetrics(cfg.Registerer),
		hasher: identity.NewPasswordHasher(), policy: identity.NewPasswordPolicy(false), protect: contact.NewRedactors()}
	if cfg.Hasher != nil {
		s.hasher = *cfg.Hasher
	}
	v, err := sigv4.New(sigv4.Config{
		Credentials:  sigv4.CredentialSourceFunc(s.lookupAccessKey),
		Regions:      []string{cfg.Region},
		Service:      "connect",
		MaxBodyBytes: cfg.MaxBodyBytes,
		Now:          cfg.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	s.verifier = v
	s.mux = http.NewServeMux()
	for _, op := range operations() {
		s.mux.Handle(op.pattern, s.wrap(op))
	}
	s.mux.Handle("/", s.wrap(operation{name: unknownOperationName, handle: unknownOperation}))
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// operation is one Connect API operation.
type operation struct {
	// name is the Connect operation name, e.g. "CreateInstance".
	name string
	// pattern is the ServeMux pattern: method and Connect's path.
	pattern string
	// handle does the work. It returns the response body (marshalled as JSON) or an error.
	handle func(s *Server, c *call) (any, error)
	// bodyInstance marks operations whose instance is the InstanceId member of the JSON body
	// (SearchUsers, ...) rather than a path segment; it is lifted into the InstanceId path
	// value before authorisation, so every later step sees it in one place.
	bodyInstance bool
	// bodyInstanceARN marks operations whose instance is the instance ARN in the ResourceArn
	// member of the JSON body (GetMetricDataV2); it is lifted like bodyInstance.
	bodyInstanceARN bool
}

// call is the state of one request as it passes through the API.
type call struct {
	r         *http.Request
	ctx       context.Context
	ev        *audit.Event
	principal Principal
	// caller is the principal with its security profiles, as authorize evaluated it.
	caller identity.Caller
	// audited is set once the event was handed to the store, which then records it.
	audited bool
}

// may reports whether the caller may take action (a page or data action such as
// identity.ActionViewSensitiveAttributes) on instance inst: operators may, users as their
// profiles allow. It records nothing: the call's own audit event covers it.
func (c *call) may(action, inst string) bool {
	return identity.Evaluate(c.caller, action, inst).Allowed
}

// update runs fn in a write transaction together with the call's audit event.
func (c *call) update(s *Server, fn func(ctx context.Context, tx store.Tx) error) error {
	c.audited = true
	return s.store.Update(c.ctx, c.ev, fn)
}

// view runs fn in a read transaction and records the call's audit event.
func (c *call) view(s *Server, fn func(ctx context.Context, tx store.Tx) error) error {
	c.audited = true
	return s.store.View(c.ctx, c.ev, fn)
}

// NewID returns a random lower-case UUID (RFC 9562 version 4): the shape of instance, flow,
// contact and request IDs.
func NewID() string { return uuid.NewString() }

func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// wrap turns an operation into an http.Handler: request ID, body limit, SigV4, throttling,
// authorisation, the handler, and the audit event for every outcome.
func (s *Server) wrap(op operation) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.cfg.Now()
		reqID := NewID()
		w.Header().Set("X-Amzn-RequestId", reqID)
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		c := &call{r: r, ctx: r.Context(), ev: &audit.Event{
			Code:      "api." + op.name,
			Actor:     "anonymous",
			SourceIP:  sourceIP(r),
			UserAgent: truncate(r.UserAgent(), 256),
			Operation: op.name,
			RequestID: reqID,
		}}
		out, err := s.serve(op, c)
		if !c.audited {
			// The request ended before reaching the store: record it on its own, and fail
			// closed when that is impossible.
			c.audited = true
			if err != nil {
				// A SigV4 refusal is recorded with its own code (UnrecognizedClientException for
				// a revoked or expired key, ...), not as an internal error.
				c.ev.Stamp(toAPIError(err))
			} else {
				c.ev.Stamp(nil)
			}
			if recErr := s.store.Record(c.ctx, c.ev); recErr != nil {
				err = recErr
			}
		}
		code := "OK"
		if err != nil {
			e := toAPIError(err)
			if e.Code == apierr.CodeInternalService {
				s.log.Error("api: internal error", "operation", op.name, "request_id", reqID, "error", err.Error())
			}
			code = string(e.Code)
			writeError(w, e)
		} else {
			writeJSON(w, out)
		}
		s.metrics.observe(op.name, code, s.cfg.Now().Sub(start))
		s.log.Info("api request", "operation", op.name, "request_id", reqID, "actor", c.ev.Actor,
			"instance_id", c.ev.InstanceID, "outcome", code, "duration_ms", s.cfg.Now().Sub(start).Milliseconds())
	})
}

func (s *Server) serve(op operation, c *call) (any, error) {
	p, err := s.authenticate(c)
	if err != nil {
		return nil, err
	}
	c.principal = p
	c.ev.Actor = p.Actor()
	if !s.throttle.allow(p.AccessKeyID) {
		return nil, apierr.New(apierr.CodeThrottling, "rate exceeded")
	}
	if op.bodyInstance || op.bodyInstanceARN {
		if err := liftBodyInstance(c, op.bodyInstanceARN); err != nil {
			return nil, err
		}
	}
	if op.handle != nil && op.name != unknownOperationName {
		if err := s.authorize(c, op.name); err != nil {
			return nil, err
		}
	}
	out, err := op.handle(s, c)
	if err == nil && store.RoutingChange(op.name) && s.cfg.Contacts != nil {
		// The instance's router takes the new configuration before the caller hears back.
		if rerr := s.cfg.Contacts.RefreshRouting(c.ctx, s.pathInstanceID(c.r)); rerr != nil {
			s.log.Warn("api: router not refreshed", "operation", op.name, "error", rerr.Error())
		}
	}
	return out, err
}

// unknownOperationName names requests to a path no operation serves.
const unknownOperationName = "UnknownOperation"

// authorize asks the deny-first authorizer whether the caller may perform op on the instance
// in the path; the reason of a refusal goes to the audit event, never to the caller.
func (s *Server) authorize(c *call, op string) error {
	p := c.principal
	caller := identity.Caller{Kind: p.Kind, InstanceID: p.InstanceID, UserID: p.UserID}
	if p.Kind == identity.PrincipalUser && s.cfg.Profiles != nil {
		profiles, err := s.cfg.Profiles.SecurityProfilesFor(c.ctx, p.InstanceID, p.UserID)
		if err != nil {
			return fmt.Errorf("authorize: security profiles: %w", err)
		}
		caller.Profiles = profiles
	}
	inst := s.pathInstanceID(c.r)
	if instance.ValidID(inst) {
		// A refusal names the instance it was about; handlers set it again on success.
		c.ev.InstanceID = inst
	}
	c.caller = caller
	d := identity.EvaluateOn(caller, op, inst, s.pathUserID(c.r, inst))
	if !d.Allowed {
		c.ev.Details = map[string]string{"authz": d.Reason}
		if len(d.Permissions) > 0 {
			c.ev.Details["authz_permissions"] = strings.Join(d.Permissions, ",")
		}
		return d.Err
	}
	return nil
}

// pathInstanceID returns the {InstanceId} of the request path (an instance ARN of this
// deployment reduced to its ID), or "" for deployment-wide operations.
func (s *Server) pathInstanceID(r *http.Request) string {
	id := r.PathValue("InstanceId")
	if arnID, ok := strings.CutPrefix(id, "arn:aws:connect:"+s.cfg.Region+":"+s.cfg.AccountID+":instance/"); ok {
		return arnID
	}
	return id
}

// liftBodyInstance reads the request body (within the size limit), sets the InstanceId path
// value from its InstanceId member (or, with fromARN, its ResourceArn member: an instance
// ARN, which pathInstanceID reduces to the ID), and puts the body back for the handler.
func liftBodyInstance(c *call, fromARN bool) error {
	b, err := io.ReadAll(c.r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return apierr.New(apierr.CodeRequestEntityTooLarge, "request body exceeds %d bytes", mbe.Limit)
		}
		return apierr.InvalidRequest("could not read the request body")
	}
	c.r.Body = io.NopCloser(bytes.NewReader(b))
	var in struct {
		InstanceId  string `json:"InstanceId"`
		ResourceArn string `json:"ResourceArn"`
	}
	if err := decodeJSON(b, &in); err != nil {
		return err
	}
	if fromARN {
		if in.ResourceArn == "" {
			return apierr.InvalidParameter("ResourceArn (the instance ARN) is required")
		}
		c.r.SetPathValue("InstanceId", in.ResourceArn)
		return nil
	}
	if in.InstanceId == "" {
		return apierr.InvalidParameter("InstanceId is required")
	}
	c.r.SetPathValue("InstanceId", in.InstanceId)
	return nil
}

func unknownOperation(_ *Server, c *call) (any, error) {
	return nil, apierr.New(apierr.CodeUnknownOperation, "no operation is implemented at %s %s", c.r.Method, truncate(c.r.URL.Path, 200))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
