package node

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/ringfence/ringfence/agentapi"
	"github.com/ringfence/ringfence/api"
	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/channel/chat"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/sso"
	"github.com/ringfence/ringfence/store"
	"github.com/ringfence/ringfence/web"
)

// The SQL-backed stores the pages need.
var (
	_ web.MFAStore          = store.Identity{}
	_ web.PasskeyStore      = store.Identity{}
	_ web.SessionLister     = store.Identity{}
	_ web.AuthProfileSource = store.Identity{}
	_ web.ProfileSource     = store.UserProfiles{}
	_ web.Recorder          = store.Store(nil)
)

// PublicOrigin is the origin of the node's pages (see Config.PublicOrigin); sign-in is at
// PublicOrigin()+"/ui/"+alias. Before Serve listens it names the configured address.
func (n *Node) PublicOrigin() string { return n.publicOrigin() }

// publicOrigin is Config.PublicOrigin, or the node's own endpoint: the bound address once
// Serve listens, "localhost" for a loopback address (a WebAuthn relying party ID must be a
// domain name, and the generated certificate covers localhost).
func (n *Node) publicOrigin() string {
	if n.Config.PublicOrigin != "" {
		return strings.TrimSuffix(n.Config.PublicOrigin, "/")
	}
	addr := n.Config.HTTPAddr
	if n.boundAddr != "" {
		addr = n.boundAddr
	}
	scheme := "https"
	if n.Config.InsecureHTTP {
		scheme = "http"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return scheme + "://" + addr
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		host = "localhost"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// lookupInstance resolves an instance by ID or alias for the sign-in pages.
func (n *Node) lookupInstance(ctx context.Context, ref string) (instance.Instance, error) {
	var in instance.Instance
	err := n.Store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		if instance.ValidID(ref) {
			if in, err = tx.GetInstance(ctx, ref); !apierr.HasCode(err, apierr.CodeResourceNotFound) {
				return err
			}
		}
		in, err = tx.GetInstanceByAlias(ctx, ref)
		return err
	})
	return in, err
}

// webHandler builds the sign-in, account and admin pages over the node's store; routing
// changes made on the admin pages refresh the instance's router in rt, as the API's do.
func (n *Node) webHandler(rt *Runtime) (*web.Handler, error) {
	ids := store.Identity{Store: n.Store}
	return web.New(web.Config{
		Instances: web.InstanceSourceFunc(n.lookupInstance), Users: ids, Credentials: ids, Attempts: ids,
		Hasher: &n.pwHasher, Sessions: ids, Profiles: store.UserProfiles{Store: n.Store}, AuthProfiles: ids,
		MFA: ids, Passkeys: ids, Secrets: n.Secrets, Audit: n.Store, AuditHasher: n.Keyring.Hasher(),
		TrustedProxies: n.Config.TrustedProxies, PublicOrigin: n.publicOrigin(), HSTS: n.Config.HSTS,
		PasswordAllowed: sso.PasswordAllowed, Logger: n.Config.Logger,
		Admin: n.Store, Region: n.Config.Region, AccountID: n.AccountID, RefreshRouting: rt.Contacts.RefreshRouting,
	})
}

// ssoHandler builds the SAML, OIDC and emergency-access sign-ins (package sso); each ends
// by starting a web session through the pages' StartSession.
func (n *Node) ssoHandler(pages *web.Handler) (*sso.Handler, error) {
	return sso.New(sso.Config{
		Store: n.Store, Secrets: n.Secrets, PublicOrigin: n.publicOrigin(),
		AuthProfiles: store.Identity{Store: n.Store}, TrustedProxies: n.Config.TrustedProxies,
		AuditHasher: n.Keyring.Hasher(), HSTS: n.Config.HSTS, Logger: n.Config.Logger,
		Sessions: sso.SessionStarterFunc(func(w http.ResponseWriter, r *http.Request, u identity.User, o sso.SessionOptions) error {
			return pages.StartSession(w, r, u, web.SessionOptions{Method: o.Method, MFASatisfied: o.MFASatisfied, MaxAge: o.MaxAge})
		}),
	})
}

// agentHandler builds the agent API (package agentapi) on the runtime. A request is made
// by the person of its web sign-in session cookie (web.Handler.SessionUser), or, when it
// carries a SigV4 Authorization header, by the user whose access key signed it
// (api.Server.VerifyRequest; operator keys are refused: the agent API acts for a user).
func (n *Node) agentHandler(rt *Runtime, a *api.Server, pages *web.Handler) (http.Handler, error) {
	origin, err := url.Parse(n.publicOrigin())
	if err != nil {
		return nil, err
	}
	auth := agentAuth{pages: pages, api: a, st: n.Store}
	srv, err := agentapi.New(agentapi.Config{
		Store: n.Store, Contacts: rt.Contacts, Hub: rt.Agents, Authenticate: auth.authenticate,
		Chat: agentapi.ChatFunc(func(ctx context.Context, instanceID, contactID, name string) (agentapi.Participant, error) {
			st, err := rt.Chat.AddParticipant(ctx, instanceID, contactID, chat.RoleAgent, name)
			return agentapi.Participant{ID: st.ParticipantID, Token: st.ParticipantToken, Expiry: st.TokenExpiry}, err
		}),
		OriginPatterns: []string{origin.Host},
		Logger:         n.Config.Logger,
	})
	if err != nil {
		return nil, err
	}
	return auth.middleware(srv), nil
}

// agentAuth resolves the callers of the agent API.
type agentAuth struct {
	pages *web.Handler
	api   *api.Server
	st    store.Store
}

// agentRequest is the authentication state of one agent API request, kept in its context:
// the events WebSocket re-checks the request that opened it every ping, and those re-checks
// must neither re-verify a signature (its date ages out) nor count as the person's activity.
type agentRequest struct {
	mu       sync.Mutex
	admitted bool
	// signed is set when the request carried an Authorization header; principal and err are
	// then the outcome of its verification.
	signed    bool
	principal api.Principal
	err       error
}

type agentRequestKey struct{}

// middleware verifies a SigV4 signature before the agent API sees the request (the body is
// read and put back) and attaches the request's authentication state.
func (x agentAuth) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &agentRequest{}
		if r.Header.Get("Authorization") != "" {
			st.signed = true
			st.principal, st.err = x.api.VerifyRequest(r)
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), agentRequestKey{}, st)))
	})
}

// authenticate is agentapi.Config.Authenticate. The first call for a request admits it;
// later calls for the same request are re-checks of a long-lived connection: the session is
// re-checked without counting as activity, an access key for still being active.
func (x agentAuth) authenticate(r *http.Request) (agentapi.Caller, error) {
	ctx := r.Context()
	st, _ := ctx.Value(agentRequestKey{}).(*agentRequest)
	if st == nil {
		return agentapi.Caller{}, apierr.AccessDenied("sign in first")
	}
	st.mu.Lock()
	recheck := st.admitted
	st.admitted = true
	st.mu.Unlock()

	var instanceID, userID string
	if st.signed {
		if st.err != nil {
			return agentapi.Caller{}, st.err
		}
		p := st.principal
		if p.Kind != identity.PrincipalUser {
			return agentapi.Caller{}, apierr.AccessDenied("the agent API acts for a user: sign in, or sign with an access key of a user")
		}
		if recheck {
			if err := x.api.CheckAccessKey(ctx, p.AccessKeyID); err != nil {
				return agentapi.Caller{}, err
			}
		}
		instanceID, userID = p.InstanceID, p.UserID
	} else {
		check := x.pages.SessionUser
		if recheck {
			check = x.pages.RecheckSession
		}
		_, u, err := check(r)
		if err != nil {
			return agentapi.Caller{}, err
		}
		instanceID, userID = u.InstanceID, u.ID
	}
	var (
		u        identity.User
		profiles []identity.SecurityProfile
	)
	err := x.st.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		if u, err = tx.GetUser(ctx, instanceID, userID); err != nil {
			return err
		}
		profiles, err = tx.UserSecurityProfiles(ctx, instanceID, userID)
		return err
	})
	if apierr.HasCode(err, apierr.CodeResourceNotFound) || err == nil && u.Disabled {
		return agentapi.Caller{}, apierr.AccessDenied(identity.SessionEndedMessage)
	}
	if err != nil {
		return agentapi.Caller{}, err
	}
	return agentapi.Caller{InstanceID: u.InstanceID, UserID: u.ID, Username: u.Username, Profiles: profiles}, nil
}
