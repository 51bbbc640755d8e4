// Package agentapi is the agent API: the JSON and WebSocket interface an agent's desktop
// (Ringfence's agent workspace or a third-party one) uses to set its status, receive and
// answer offers, read the contacts it handles and the path their flows took, end them, finish
// after-contact work, transfer them (to the quick connects and queues it lists) and read its
// recent history. It is served under /agent/v1/ and documented, request by request and
// message by message, in docs/agent-api.md.
//
// Every request is made by a signed-in agent: Config.Authenticate resolves the caller (the
// node does it with the web sign-in session cookie) and every endpoint needs the
// BasicAgentAccess permission (identity.ActionAgentWorkspace). An agent only ever reaches its
// own instance, its own offers and the contacts it is offered or holds: anything else is
// ResourceNotFoundException, never AccessDeniedException, so IDs of other agents' contacts
// cannot be probed. Every request leaves one audit event (codes "agentapi.<Operation>"),
// committed with the change it describes where there is one. Errors use Connect's JSON shape
// (apierr.Write: the x-amzn-ErrorType header and {"Message": ...}).
//
// Router events reach desktops through a Hub, which is the lifecycle's Notifier: it fans the
// events of an instance out to the WebSocket connections of the agents they concern, without
// ever blocking the router (a connection that cannot keep up is closed; the desktop
// reconnects and reads GET /agent/v1/me).
//
// # Wiring
//
// The node creates the Hub first, hands it to the lifecycle as its Notifier, then builds the
// Server around the running Manager and mounts it:
//
//	hub := agentapi.NewHub(agentapi.HubConfig{Logger: log})
//	mgr, _ := lifecycle.New(lifecycle.Config{Store: st, Notifier: hub, ...})
//	srv, _ := agentapi.New(agentapi.Config{
//		Store: st, Contacts: mgr, Hub: hub,
//		Authenticate: func(r *http.Request) (agentapi.Caller, error) {
//			// the web session cookie → the user and its security profiles
//		},
//		Chat: agentapi.ChatFunc(func(ctx context.Context, instanceID, contactID, name string) (agentapi.Participant, error) {
//			st, err := chatService.AddParticipant(ctx, instanceID, contactID, chat.RoleAgent, name)
//			return agentapi.Participant{ID: st.ParticipantID, Token: st.ParticipantToken, Expiry: st.TokenExpiry}, err
//		}),
//	})
//	mux.Handle("/agent/v1/", srv)
//
// Authenticate must apply what the web pages apply to a session (idle and absolute timeouts,
// disabled users, the authentication profile's networks, the second factor when required)
// and, for unsafe methods, the session's CSRF token; the Server adds the stdlib
// cross-origin protection on unsafe methods and an Origin check on the WebSocket upgrade.
package agentapi
