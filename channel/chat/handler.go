package chat

import (
	"bytes"
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

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
)

// HandlerConfig configures a Handler.
type HandlerConfig struct {
	// Service does the work. Required.
	Service *Service
	// WebSocketBase is the scheme and authority of Websocket.Url, e.g.
	// "wss://chat.example.com"; "" derives it from each request (wss:// over TLS, ws://
	// otherwise). chatjs accepts only wss:// URLs and ws://127.0.0.1:port.
	WebSocketBase string
	// AllowedOrigins lists the web origins (e.g. "https://shop.example.com") whose pages may
	// call the API and open sockets; empty allows any origin, which is safe because nothing
	// here relies on cookies: every call carries its bearer token.
	AllowedOrigins []string
	// MaxBodyBytes limits request bodies (default 128 KiB; a 12,288-character interactive
	// response fits even fully \u-escaped).
	MaxBodyBytes int64
	// SocketIdle closes a WebSocket that sent nothing for this long (default 90 s; chatjs
	// beats every 10 s).
	SocketIdle time.Duration
	// Logger gets one line per request (identifiers only). Default: discard.
	Logger *slog.Logger
}

// Handler serves Amazon Connect's Participant Service at /participant/... and the WebSocket
// at WebSocketPath. Mount it at "/participant/" of the node's mux. Every request leaves one
// audit event; errors use Connect's shape (x-amzn-ErrorType header, {"Message": ...} body).
type Handler struct {
	cfg HandlerConfig
	svc *Service
	log *slog.Logger
	mux *http.ServeMux

	mu      sync.Mutex
	sockets map[string]int // open WebSockets by instance/participant
}

// WebSocketPath is where Websocket.Url points; the token is its AuthToken query parameter.
const WebSocketPath = "/participant/websocket"

// Operations that Connect's Participant Service has and Ringfence does not serve yet; they
// answer NotImplementedException rather than a 404.
var unimplemented = map[string]string{
	"POST /participant/start-attachment-upload":    "StartAttachmentUpload",
	"POST /participant/complete-attachment-upload": "CompleteAttachmentUpload",
	"POST /participant/attachment":                 "GetAttachment",
	"POST /participant/authentication-url":         "GetAuthenticationUrl",
	"POST /participant/cancel-authentication":      "CancelParticipantAuthentication",
}

// NewHandler returns a Handler; it fails without a Service.
func NewHandler(cfg HandlerConfig) (*Handler, error) {
	if cfg.Service == nil {
		return nil, errors.New("chat: handler needs a service")
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 128 << 10
	}
	if cfg.SocketIdle <= 0 {
		cfg.SocketIdle = socketIdle
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{cfg: cfg, svc: cfg.Service, log: cfg.Logger, mux: http.NewServeMux(), sockets: map[string]int{}}
	h.mux.Handle("POST /participant/connection", h.op("CreateParticipantConnection", h.createParticipantConnection))
	h.mux.Handle("POST /participant/message", h.op("SendMessage", h.sendMessage))
	h.mux.Handle("POST /participant/event", h.op("SendEvent", h.sendEvent))
	h.mux.Handle("POST /participant/transcript", h.op("GetTranscript", h.getTranscript))
	h.mux.Handle("POST /participant/disconnect", h.op("DisconnectParticipant", h.disconnectParticipant))
	h.mux.Handle("GET /participant/views/{ViewToken}", h.op("DescribeView", h.notImplemented("DescribeView")))
	for pattern, name := range unimplemented {
		h.mux.Handle(pattern, h.op(name, h.notImplemented(name)))
	}
	h.mux.HandleFunc("GET "+WebSocketPath, h.serveWebSocket)
	h.mux.HandleFunc("OPTIONS /participant/", h.preflight)
	h.mux.Handle("/participant/", h.op("UnknownOperation", func(c *request) (any, error) {
		return nil, apierr.New(apierr.CodeUnknownOperation, "no participant operation is served at %s %s", c.r.Method, truncate(c.r.URL.Path, 200))
	}))
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.cors(w, r)
	w.Header().Set("Cache-Control", "no-store")
	h.mux.ServeHTTP(w, r)
}

// ---- CORS ----

// corsHeaders are the request headers chatjs sends: the bearer, and a SigV4 Authorization
// made with empty credentials that is ignored here. A "*" would not cover Authorization.
const corsHeaders = "authorization, content-type, x-amz-bearer, x-amz-content-sha256, x-amz-date, x-amz-user-agent, x-amz-security-token, amz-sdk-invocation-id, amz-sdk-request"

// cors sets the CORS headers of every answer.
func (h *Handler) cors(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	hd := w.Header()
	switch {
	case len(h.cfg.AllowedOrigins) == 0:
		hd.Set("Access-Control-Allow-Origin", "*")
	case origin != "" && h.originAllowed(origin):
		hd.Set("Access-Control-Allow-Origin", origin)
		hd.Add("Vary", "Origin")
	default:
		hd.Add("Vary", "Origin")
		return
	}
	hd.Set("Access-Control-Expose-Headers", "x-amzn-RequestId, x-amzn-ErrorType, x-amzn-ErrorMessage, Date")
}

func (h *Handler) originAllowed(origin string) bool {
	if len(h.cfg.AllowedOrigins) == 0 {
		return true
	}
	for _, o := range h.cfg.AllowedOrigins {
		if strings.EqualFold(o, origin) {
			return true
		}
	}
	return false
}

// preflight answers a CORS preflight. It is not audited: it carries no token and does
// nothing.
func (h *Handler) preflight(w http.ResponseWriter, r *http.Request) {
	if w.Header().Get("Access-Control-Allow-Origin") == "" {
		w.WriteHeader(http.StatusForbidden)
		return
	}
	hd := w.Header()
	hd.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
	hd.Set("Access-Control-Allow-Headers", corsHeaders)
	hd.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

// ---- requests ----

// request is one participant API call.
type request struct {
	r  *http.Request
	ev *audit.Event
}

// bearer returns the X-Amz-Bearer header.
func (c *request) bearer() string { return c.r.Header.Get("X-Amz-Bearer") }

// op wraps an operation: request ID, body limit, audit event, Connect's error shape. The
// operation itself makes its audit event durable (with its change, or alone on failure).
func (h *Handler) op(name string, fn func(c *request) (any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqID := h.svc.cfg.NewID()
		w.Header().Set("X-Amzn-RequestId", reqID)
		r.Body = http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes)
		c := &request{r: r, ev: h.event(r, name, reqID)}
		out, err := fn(c)
		if c.ev.Outcome == "" {
			// Failed before the Service saw it (unreadable body, unknown path): record it on
			// its own, failing closed.
			if rerr := h.svc.record(r.Context(), c.ev, err); rerr != nil {
				err = rerr
			}
		}
		code := "OK"
		if err != nil {
			e := participantError(err)
			if e.Code == apierr.CodeInternalServer {
				h.log.Error("chat: internal error", "operation", name, "request_id", reqID, "error", err.Error())
			}
			code = string(e.Code)
			apierr.Write(w, e.Status(), e)
		} else {
			writeJSON(w, out)
		}
		h.log.Info("participant request", "operation", name, "request_id", reqID, "actor", c.ev.Actor,
			"instance_id", c.ev.InstanceID, "outcome", code)
	})
}

func (h *Handler) event(r *http.Request, op, reqID string) *audit.Event {
	return &audit.Event{Code: "participant." + op, Actor: "anonymous", SourceIP: sourceIP(r),
		UserAgent: truncate(r.UserAgent(), 256), Operation: op, RequestID: reqID}
}

func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// participantError turns any error into what the caller sees, in the Participant Service's
// vocabulary: invalid input is ValidationException, unknown failures are
// InternalServerException with a fixed message (the detail goes to the log only).
func participantError(err error) *apierr.Error {
	e := apierr.As(err)
	if e == nil {
		return apierr.New(apierr.CodeInternalServer, "internal error")
	}
	switch e.Code {
	case apierr.CodeInvalidParameter, apierr.CodeInvalidRequest:
		return &apierr.Error{Code: apierr.CodeValidation, Message: e.Message}
	case apierr.CodeInternalService:
		return &apierr.Error{Code: apierr.CodeInternalServer, Message: e.Message}
	}
	return e
}

// decodeBody reads one JSON object into v. An empty body decodes as {}. Unknown members are
// ignored, as AWS services do.
func decodeBody(r *http.Request, v any) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return apierr.New(apierr.CodeRequestEntityTooLarge, "request body exceeds %d bytes", mbe.Limit)
		}
		return apierr.New(apierr.CodeValidation, "could not read the request body")
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	if err := decodeStrict(b, v); err != nil {
		return apierr.New(apierr.CodeValidation, "request body is not a JSON object of the expected shape: %s", err.Error())
	}
	return nil
}

// decodeStrict decodes exactly one JSON object from b.
func decodeStrict(b []byte, v any) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return errors.New("want a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return fmt.Errorf("member %s has the wrong type", te.Field)
		}
		return errors.New("invalid JSON")
	}
	if dec.More() {
		return errors.New("more than one JSON value")
	}
	return nil
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		apierr.Write(w, http.StatusInternalServerError, apierr.New(apierr.CodeInternalServer, "internal error"))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

func (h *Handler) notImplemented(name string) func(c *request) (any, error) {
	return func(c *request) (any, error) {
		return nil, apierr.New(apierr.CodeNotImplemented, "%s is not supported by this server", name)
	}
}

// ---- operations ----

type websocketOut struct {
	URL              string `json:"Url"`
	ConnectionExpiry string `json:"ConnectionExpiry"`
}

type credentialsOut struct {
	ConnectionToken string `json:"ConnectionToken"`
	Expiry          string `json:"Expiry"`
}

type connectionOut struct {
	Websocket             *websocketOut   `json:"Websocket,omitempty"`
	ConnectionCredentials *credentialsOut `json:"ConnectionCredentials,omitempty"`
}

// createParticipantConnection: POST /participant/connection, X-Amz-Bearer = participant
// token, {"Type": ["WEBSOCKET", "CONNECTION_CREDENTIALS"], "ConnectParticipant": bool}.
func (h *Handler) createParticipantConnection(c *request) (any, error) {
	var in struct {
		Type               []string `json:"Type"`
		ConnectParticipant *bool    `json:"ConnectParticipant"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	req := ConnectRequest{ParticipantToken: c.bearer()}
	for _, t := range in.Type {
		switch ConnectionKind(t) {
		case ConnectionWebSocket:
			req.WebSocket = true
		case ConnectionCredentials:
			req.Credentials = true
		default:
			return nil, apierr.New(apierr.CodeValidation, "Type members must be WEBSOCKET or CONNECTION_CREDENTIALS")
		}
	}
	if len(in.Type) == 0 && (in.ConnectParticipant == nil || !*in.ConnectParticipant) {
		return nil, apierr.New(apierr.CodeValidation, "Type must list WEBSOCKET and/or CONNECTION_CREDENTIALS")
	}
	res, err := h.svc.Connect(c.r.Context(), c.ev, req)
	if err != nil {
		return nil, err
	}
	var out connectionOut
	if req.WebSocket {
		out.Websocket = &websocketOut{
			URL:              h.webSocketBase(c.r) + WebSocketPath + "?AuthToken=" + res.WebSocketToken.Reveal(),
			ConnectionExpiry: FormatTime(res.WebSocketExpiry),
		}
	}
	if req.Credentials {
		out.ConnectionCredentials = &credentialsOut{ConnectionToken: res.ConnectionToken.Reveal(), Expiry: FormatTime(res.ConnectionExpiry)}
	}
	return out, nil
}

// webSocketBase returns the scheme and authority of Websocket.Url.
func (h *Handler) webSocketBase(r *http.Request) string {
	if h.cfg.WebSocketBase != "" {
		return strings.TrimSuffix(h.cfg.WebSocketBase, "/")
	}
	if r.TLS != nil {
		return "wss://" + r.Host
	}
	return "ws://" + r.Host
}

type sentOut struct {
	ID           string `json:"Id"`
	AbsoluteTime string `json:"AbsoluteTime"`
}

type sendIn struct {
	ContentType string `json:"ContentType"`
	Content     string `json:"Content"`
	ClientToken string `json:"ClientToken"`
}

// sendMessage: POST /participant/message {"ContentType","Content","ClientToken"}.
func (h *Handler) sendMessage(c *request) (any, error) {
	var in sendIn
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	sent, err := h.svc.SendMessage(c.r.Context(), c.ev, SendRequest{ConnectionToken: c.bearer(),
		ContentType: in.ContentType, Content: in.Content, ClientToken: in.ClientToken})
	if err != nil {
		return nil, err
	}
	return sentOut{ID: sent.ID, AbsoluteTime: FormatTime(sent.AbsoluteTime)}, nil
}

// sendEvent: POST /participant/event {"ContentType","Content"?,"ClientToken"}.
func (h *Handler) sendEvent(c *request) (any, error) {
	var in sendIn
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	sent, err := h.svc.SendEvent(c.r.Context(), c.ev, SendRequest{ConnectionToken: c.bearer(),
		ContentType: in.ContentType, Content: in.Content, ClientToken: in.ClientToken})
	if err != nil {
		return nil, err
	}
	return sentOut{ID: sent.ID, AbsoluteTime: FormatTime(sent.AbsoluteTime)}, nil
}

type transcriptOut struct {
	InitialContactID string `json:"InitialContactId"`
	Transcript       []Item `json:"Transcript"`
	NextToken        string `json:"NextToken,omitempty"`
}

// getTranscript: POST /participant/transcript {"ContactId","MaxResults","NextToken",
// "ScanDirection","SortOrder","StartPosition":{"Id","AbsoluteTime","MostRecent"}}.
func (h *Handler) getTranscript(c *request) (any, error) {
	var in struct {
		ContactID     string `json:"ContactId"`
		MaxResults    *int   `json:"MaxResults"`
		NextToken     string `json:"NextToken"`
		ScanDirection string `json:"ScanDirection"`
		SortOrder     string `json:"SortOrder"`
		StartPosition *struct {
			ID           string `json:"Id"`
			AbsoluteTime string `json:"AbsoluteTime"`
			MostRecent   *int   `json:"MostRecent"`
		} `json:"StartPosition"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	req := TranscriptRequest{ConnectionToken: c.bearer(), ContactID: in.ContactID, NextToken: in.NextToken,
		ScanDirection: in.ScanDirection, SortOrder: in.SortOrder}
	if in.MaxResults != nil {
		req.MaxResults = *in.MaxResults
	}
	if sp := in.StartPosition; sp != nil {
		req.StartID, req.StartTime, req.StartMostRecent = sp.ID, sp.AbsoluteTime, sp.MostRecent
	}
	t, err := h.svc.GetTranscript(c.r.Context(), c.ev, req)
	if err != nil {
		return nil, err
	}
	return transcriptOut{InitialContactID: t.InitialContactID, Transcript: t.Items, NextToken: t.NextToken}, nil
}

// disconnectParticipant: POST /participant/disconnect {"ClientToken"}.
func (h *Handler) disconnectParticipant(c *request) (any, error) {
	var in struct {
		ClientToken string `json:"ClientToken"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	if err := h.svc.DisconnectParticipant(c.r.Context(), c.ev, c.bearer(), in.ClientToken); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}
