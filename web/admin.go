package web

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/store"
)

// The admin pages (/ui/admin/...) manage the signed-in administrator's own instance: users,
// security profiles, authentication profiles, hours of operation, agent statuses, queues,
// quick connects and routing profiles. The instance is always the session's: no admin URL
// names an instance, and every ID in a URL or form is looked up inside the session's
// instance, so another instance's users, profiles, hours, queues and quick connects do not
// exist here.
//
// Each request is authorized by identity.Evaluate, the authorizer of the Connect API, with
// the caller's security profiles read afresh: the Connect operation name for what the API
// also does (ListUsers, CreateUser, UpdateSecurityProfile, ...) and identity's page actions
// for the rest (identity.ActionResetUserPassword, ...). Then the session must have passed a
// second factor. Every request, allowed or refused, leaves one audit event "web.admin.{action}"
// with Operation set to the action, durable before the answer (a change and its event
// commit together). The changes themselves are store's administration transactions, the
// same ones the API runs.

// adminRequest is one admin page request: the signed-in administrator's session and the
// caller the authorizer judges.
type adminRequest struct {
	*reqSession
	caller identity.Caller
	// action is the action the route was authorized for.
	action string
}

// adminRoute is one admin page: its ServeMux pattern, the action it is authorized for, and
// the path value naming the user it acts on ("" when none; DescribeUser of oneself is the
// authorizer's one self exception).
type adminRoute struct {
	pattern, action, userParam string
	handle                     func(h *Handler, w http.ResponseWriter, r *http.Request, a *adminRequest)
}

// adminRoutes lists every admin page. A test walks it to check refusals, CSRF and the CSP on
// each.
func adminRoutes() []adminRoute {
	return []adminRoute{
		{"GET /ui/admin/{$}", "", "", (*Handler).adminIndex},
		{"GET /ui/admin/users", "ListUsers", "", (*Handler).adminUsers},
		{"GET /ui/admin/users/new", "CreateUser", "", (*Handler).adminUserNew},
		{"POST /ui/admin/users", "CreateUser", "", (*Handler).adminUserCreate},
		{"GET /ui/admin/users/{user}", "DescribeUser", "user", (*Handler).adminUser},
		{"POST /ui/admin/users/{user}/identity-info", "UpdateUserIdentityInfo", "user", (*Handler).adminUserIdentityInfo},
		{"POST /ui/admin/users/{user}/phone-config", "UpdateUserPhoneConfig", "user", (*Handler).adminUserPhoneConfig},
		{"POST /ui/admin/users/{user}/routing-profile", "UpdateUserRoutingProfile", "user", (*Handler).adminUserRoutingProfile},
		{"POST /ui/admin/users/{user}/security-profiles", "UpdateUserSecurityProfiles", "user", (*Handler).adminUserSecurityProfiles},
		{"POST /ui/admin/users/{user}/status", identity.ActionEnableDisableUser, "user", (*Handler).adminUserStatus},
		{"POST /ui/admin/users/{user}/password", identity.ActionResetUserPassword, "user", (*Handler).adminUserPassword},
		{"POST /ui/admin/users/{user}/delete", "DeleteUser", "user", (*Handler).adminUserDelete},
		{"GET /ui/admin/security-profiles", "ListSecurityProfiles", "", (*Handler).adminProfiles},
		{"GET /ui/admin/security-profiles/new", "CreateSecurityProfile", "", (*Handler).adminProfileNew},
		{"POST /ui/admin/security-profiles", "CreateSecurityProfile", "", (*Handler).adminProfileCreate},
		{"GET /ui/admin/security-profiles/{profile}", "DescribeSecurityProfile", "", (*Handler).adminProfile},
		{"POST /ui/admin/security-profiles/{profile}", "UpdateSecurityProfile", "", (*Handler).adminProfileUpdate},
		{"POST /ui/admin/security-profiles/{profile}/delete", "DeleteSecurityProfile", "", (*Handler).adminProfileDelete},
		{"GET /ui/admin/authentication-profile", identity.ActionViewAuthenticationProfile, "", (*Handler).adminAuthProfileLegacy},
		{"GET /ui/admin/authentication-profiles", identity.ActionViewAuthenticationProfile, "", (*Handler).adminAuthProfiles},
		{"POST /ui/admin/authentication-profiles", identity.ActionUpdateAuthenticationProfile, "", (*Handler).adminAuthProfileCreate},
		{"GET /ui/admin/authentication-profiles/{profile}", identity.ActionViewAuthenticationProfile, "", (*Handler).adminAuthProfile},
		{"POST /ui/admin/authentication-profiles/{profile}", identity.ActionUpdateAuthenticationProfile, "", (*Handler).adminAuthProfileUpdate},
		{"POST /ui/admin/authentication-profiles/{profile}/users", identity.ActionUpdateAuthenticationProfile, "", (*Handler).adminAuthProfileAssign},
		{"POST /ui/admin/authentication-profiles/{profile}/users/{user}/remove", identity.ActionUpdateAuthenticationProfile, "", (*Handler).adminAuthProfileRemove},
		{"POST /ui/admin/authentication-profiles/{profile}/delete", identity.ActionUpdateAuthenticationProfile, "", (*Handler).adminAuthProfileDelete},
		{"GET /ui/admin/hours", "ListHoursOfOperations", "", (*Handler).adminHoursList},
		{"GET /ui/admin/hours/new", "CreateHoursOfOperation", "", (*Handler).adminHoursNew},
		{"POST /ui/admin/hours", "CreateHoursOfOperation", "", (*Handler).adminHoursCreate},
		{"GET /ui/admin/hours/{hours}", "DescribeHoursOfOperation", "", (*Handler).adminHours},
		{"POST /ui/admin/hours/{hours}", "UpdateHoursOfOperation", "", (*Handler).adminHoursUpdate},
		{"POST /ui/admin/hours/{hours}/delete", "DeleteHoursOfOperation", "", (*Handler).adminHoursDelete},
		{"GET /ui/admin/agent-statuses", "ListAgentStatuses", "", (*Handler).adminAgentStatuses},
		{"GET /ui/admin/agent-statuses/new", "CreateAgentStatus", "", (*Handler).adminAgentStatusNew},
		{"POST /ui/admin/agent-statuses", "CreateAgentStatus", "", (*Handler).adminAgentStatusCreate},
		{"GET /ui/admin/agent-statuses/{agentstatus}", "DescribeAgentStatus", "", (*Handler).adminAgentStatus},
		{"POST /ui/admin/agent-statuses/{agentstatus}", "UpdateAgentStatus", "", (*Handler).adminAgentStatusUpdate},
		{"GET /ui/admin/queues", "ListQueues", "", (*Handler).adminQueues},
		{"GET /ui/admin/queues/new", "CreateQueue", "", (*Handler).adminQueueNew},
		{"POST /ui/admin/queues", "CreateQueue", "", (*Handler).adminQueueCreate},
		{"GET /ui/admin/queues/{queue}", "DescribeQueue", "", (*Handler).adminQueue},
		{"POST /ui/admin/queues/{queue}/name", "UpdateQueueName", "", (*Handler).adminQueueName},
		{"POST /ui/admin/queues/{queue}/hours", "UpdateQueueHoursOfOperation", "", (*Handler).adminQueueHours},
		{"POST /ui/admin/queues/{queue}/max-contacts", "UpdateQueueMaxContacts", "", (*Handler).adminQueueMaxContacts},
		{"POST /ui/admin/queues/{queue}/status", "UpdateQueueStatus", "", (*Handler).adminQueueStatus},
		{"POST /ui/admin/queues/{queue}/quick-connects", "AssociateQueueQuickConnects", "", (*Handler).adminQueueAssociate},
		{"POST /ui/admin/queues/{queue}/quick-connects/{quickconnect}/remove", "DisassociateQueueQuickConnects", "", (*Handler).adminQueueDisassociate},
		{"GET /ui/admin/quick-connects", "ListQuickConnects", "", (*Handler).adminQuickConnects},
		{"GET /ui/admin/quick-connects/new", "CreateQuickConnect", "", (*Handler).adminQuickConnectNew},
		{"POST /ui/admin/quick-connects", "CreateQuickConnect", "", (*Handler).adminQuickConnectCreate},
		{"GET /ui/admin/quick-connects/{quickconnect}", "DescribeQuickConnect", "", (*Handler).adminQuickConnect},
		{"POST /ui/admin/quick-connects/{quickconnect}/name", "UpdateQuickConnectName", "", (*Handler).adminQuickConnectName},
		{"POST /ui/admin/quick-connects/{quickconnect}/config", "UpdateQuickConnectConfig", "", (*Handler).adminQuickConnectConfig},
		{"POST /ui/admin/quick-connects/{quickconnect}/delete", "DeleteQuickConnect", "", (*Handler).adminQuickConnectDelete},
		{"GET /ui/admin/routing-profiles", "ListRoutingProfiles", "", (*Handler).adminRoutingProfiles},
		{"GET /ui/admin/routing-profiles/new", "CreateRoutingProfile", "", (*Handler).adminRoutingProfileNew},
		{"POST /ui/admin/routing-profiles", "CreateRoutingProfile", "", (*Handler).adminRoutingProfileCreate},
		{"GET /ui/admin/routing-profiles/{routingprofile}", "DescribeRoutingProfile", "", (*Handler).adminRoutingProfile},
		{"POST /ui/admin/routing-profiles/{routingprofile}/name", "UpdateRoutingProfileName", "", (*Handler).adminRoutingProfileName},
		{"POST /ui/admin/routing-profiles/{routingprofile}/default-outbound-queue", "UpdateRoutingProfileDefaultOutboundQueue", "", (*Handler).adminRoutingProfileOutbound},
		{"POST /ui/admin/routing-profiles/{routingprofile}/concurrency", "UpdateRoutingProfileConcurrency", "", (*Handler).adminRoutingProfileConcurrency},
		{"POST /ui/admin/routing-profiles/{routingprofile}/queues", "AssociateRoutingProfileQueues", "", (*Handler).adminRoutingProfileAddQueues},
		{"POST /ui/admin/routing-profiles/{routingprofile}/queues/update", "UpdateRoutingProfileQueues", "", (*Handler).adminRoutingProfileUpdateQueue},
		{"POST /ui/admin/routing-profiles/{routingprofile}/queues/remove", "DisassociateRoutingProfileQueues", "", (*Handler).adminRoutingProfileRemoveQueue},
		{"POST /ui/admin/routing-profiles/{routingprofile}/delete", "DeleteRoutingProfile", "", (*Handler).adminRoutingProfileDelete},
	}
}

// adminSections are the admin index's sections, each shown when its action is allowed.
var adminSections = []struct{ action, path, label, id string }{
	{"ListUsers", "/ui/admin/users", "Users", "link-admin-users"},
	{"ListSecurityProfiles", "/ui/admin/security-profiles", "Security profiles", "link-admin-profiles"},
	{identity.ActionViewAuthenticationProfile, "/ui/admin/authentication-profiles", "Authentication profiles", "link-admin-authprofile"},
	{"ListQueues", "/ui/admin/queues", "Queues", "link-admin-queues"},
	{"ListHoursOfOperations", "/ui/admin/hours", "Hours of operation", "link-admin-hours"},
	{"ListRoutingProfiles", "/ui/admin/routing-profiles", "Routing profiles", "link-admin-routing-profiles"},
	{"ListQuickConnects", "/ui/admin/quick-connects", "Quick connects", "link-admin-quick-connects"},
	{"ListAgentStatuses", "/ui/admin/agent-statuses", "Agent statuses", "link-admin-agent-statuses"},
}

func (h *Handler) adminRoutesOn(m *http.ServeMux) {
	for _, rt := range adminRoutes() {
		m.Handle(rt.pattern, h.withAdmin(rt))
	}
}

// AdminDeniedMessage is shown when the caller's security profiles do not allow an admin
// page or action (identity.DeniedMessage, as the API says it).
const AdminDeniedMessage = identity.DeniedMessage

// AdminMFAMessage refuses the admin pages to a session that did not pass a second factor.
const AdminMFAMessage = "The administration pages need a sign-in with a second factor, which your security profiles do not require. Ask your administrator."

// adminEventCode is the audit code of an admin page action: "web.admin." and the action
// without its "page:" prefix ("web.admin.CreateUser", "web.admin.ResetUserPassword").
func adminEventCode(action string) string {
	return "web.admin." + strings.TrimPrefix(action, "page:")
}

// withAdmin serves an admin route: the session checks of every page (withSession, CSRF for
// POST), then the authorizer, then the second factor, then the page. A refusal is audited
// and answered 403; so is a session without a passed second factor.
func (h *Handler) withAdmin(rt adminRoute) http.Handler {
	return h.withSession(mfaDone, func(w http.ResponseWriter, r *http.Request, s *reqSession) {
		ctx := r.Context()
		if h.cfg.Admin == nil {
			h.notFound(w, r)
			return
		}
		profiles, err := h.cfg.Profiles.SecurityProfilesFor(ctx, s.user.InstanceID, s.user.ID)
		if err != nil {
			h.internalError(w, r, "security profiles", err)
			return
		}
		a := &adminRequest{reqSession: s, action: rt.action, caller: identity.Caller{
			Kind: identity.PrincipalUser, InstanceID: s.user.InstanceID, UserID: s.user.ID, Profiles: profiles}}
		if d := a.decide(rt, r); !d.Allowed {
			ev := h.adminEvent(r, a, cmp.Or(rt.action, actionAdminIndex))
			ev.Details = map[string]string{"authz": d.Reason}
			if len(d.Permissions) > 0 {
				ev.Details["authz_permissions"] = strings.Join(d.Permissions, ",")
			}
			h.adminRefuse(w, r, ev, d.Err, AdminDeniedMessage)
			return
		}
		if !s.sess.MFARequired || !s.sess.MFASatisfied {
			ev := h.adminEvent(r, a, cmp.Or(rt.action, actionAdminIndex))
			ev.Details = map[string]string{"reason": "second factor not passed"}
			h.adminRefuse(w, r, ev, apierr.AccessDenied(AdminMFAMessage), AdminMFAMessage)
			return
		}
		rt.handle(h, w, r, a)
	})
}

// actionAdminIndex names the admin index in audit events. It is no authorizer action: the
// index is allowed to whoever may open any of its sections.
const actionAdminIndex = "page:Administration"

// decide asks the authorizer about the route's action for the request: about the path's
// user when the route names one (DescribeUser of oneself is allowed without Users.View).
// The index (no action) is allowed when any section is.
func (a *adminRequest) decide(rt adminRoute, r *http.Request) identity.Decision {
	if rt.action == "" {
		if len(a.adminLinks()) > 0 {
			return identity.Decision{Allowed: true, Reason: "allowed"}
		}
		return identity.Decision{Reason: "no administration section allowed", Err: apierr.AccessDenied(identity.DeniedMessage)}
	}
	target := ""
	if rt.userParam != "" {
		target = r.PathValue(rt.userParam)
	}
	return identity.EvaluateOn(a.caller, rt.action, a.user.InstanceID, target)
}

// adminRefuse records a refused admin request (fail closed: when the event cannot be
// recorded the answer is the internal error page) and shows the refusal.
func (h *Handler) adminRefuse(w http.ResponseWriter, r *http.Request, ev *audit.Event, err error, msg string) {
	ev.Stamp(err)
	if recErr := h.cfg.Admin.Record(r.Context(), ev); recErr != nil {
		h.internalError(w, r, "audit", recErr)
		return
	}
	h.render(w, r, http.StatusForbidden, "message", view{Title: "Refused", Data: messageData{
		Heading: "Not allowed", Text: msg, Link: "/ui/", LinkText: "Back to your account",
	}})
}

// allowed reports whether the caller may perform action in its instance (for showing links
// and forms; the action's own request is authorized again).
func (a *adminRequest) allowed(action string) bool {
	return identity.Evaluate(a.caller, action, a.user.InstanceID).Allowed
}

// allowedOn is allowed for an action about the user targetUserID.
func (a *adminRequest) allowedOn(action, targetUserID string) bool {
	return identity.EvaluateOn(a.caller, action, a.user.InstanceID, targetUserID).Allowed
}

// adminEvent returns the audit event of an admin request for action, with the common fields
// stamped (see event).
func (h *Handler) adminEvent(r *http.Request, a *adminRequest, action string) *audit.Event {
	ev := h.event(r, a.ip, adminEventCode(action), action)
	ev.Actor, ev.InstanceID = a.actor(), a.user.InstanceID
	return ev
}

// arn names a resource of the instance in audit events: the Connect ARN
// (arn:aws:connect:{region}:{account}:instance/{instance}/{kind}/{id}) when Config.Region
// and Config.AccountID are set, else "{kind}/{id}".
func (h *Handler) arn(instanceID, kind, id string) string {
	if h.cfg.Region == "" || h.cfg.AccountID == "" {
		return kind + "/" + id
	}
	return fmt.Sprintf("arn:aws:connect:%s:%s:instance/%s/%s/%s", h.cfg.Region, h.cfg.AccountID, instanceID, kind, id)
}

// adminUpdate runs fn in a write transaction with ev (the change and its event commit
// together; a failure is recorded with its code).
func (h *Handler) adminUpdate(ctx context.Context, ev *audit.Event, fn func(ctx context.Context, tx store.Tx) error) error {
	return h.cfg.Admin.Update(ctx, ev, fn)
}

// adminView runs fn in a read transaction and records ev (nil records nothing: a page
// re-rendered after its action's event).
func (h *Handler) adminView(ctx context.Context, ev *audit.Event, fn func(ctx context.Context, tx store.Tx) error) error {
	return h.cfg.Admin.View(ctx, ev, fn)
}

// adminRecord records the event of an action refused before it reached the store (bad
// input), stamped with err.
func (h *Handler) adminRecord(ctx context.Context, ev *audit.Event, err error) error {
	ev.Stamp(err)
	return h.cfg.Admin.Record(ctx, ev)
}

// clientError is the text to show for a refused admin action: the message of an
// InvalidParameter, DuplicateResource, ResourceInUse or ResourceNotFound error (messages
// name only what the administrator typed or picked) with its status; ok is false for any
// other error (internal, or audit unavailable).
func clientError(err error) (status int, msg string, ok bool) {
	ae := apierr.As(err)
	if ae == nil {
		return 0, "", false
	}
	switch ae.Code {
	case apierr.CodeInvalidParameter, apierr.CodeInvalidRequest:
		return http.StatusBadRequest, ae.Message, true
	case apierr.CodeDuplicateResource, apierr.CodeResourceInUse, apierr.CodeServiceQuotaExceeded:
		return http.StatusConflict, ae.Message, true
	case apierr.CodeResourceNotFound:
		return http.StatusNotFound, "It does not exist (any more) in your instance: " + ae.Message, true
	}
	return 0, "", false
}

// adminNotFound answers a request for a user or profile the instance does not have.
func (h *Handler) adminNotFound(w http.ResponseWriter, r *http.Request, what string) {
	h.render(w, r, http.StatusNotFound, "message", view{Title: "Not found", Data: messageData{
		Heading: "Not found", Text: "Your instance has no such " + what + ".", Link: "/ui/admin/", LinkText: "Administration",
	}})
}

// adminDone redirects after a successful action to path with a fixed notice.
func adminDone(w http.ResponseWriter, r *http.Request, path, notice string) {
	http.Redirect(w, r, path+"?notice="+url.QueryEscape(notice), http.StatusSeeOther)
}

// adminIndexData is the data of the admin index.
type adminIndexData struct {
	Sections []adminLink
}

// adminLink is one link to an admin section.
type adminLink struct{ Path, Label, ID string }

// adminLinks returns the admin sections the caller may open.
func (a *adminRequest) adminLinks() []adminLink {
	var out []adminLink
	for _, sec := range adminSections {
		if a.allowed(sec.action) {
			out = append(out, adminLink{Path: sec.path, Label: sec.label, ID: sec.id})
		}
	}
	return out
}

// adminIndex lists the admin sections the caller may open.
func (h *Handler) adminIndex(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	h.adminRender(w, r, a, http.StatusOK, "admin_index", "Administration", "", adminIndexData{Sections: a.adminLinks()})
}

// adminRender renders an admin page with the layout's common fields.
func (h *Handler) adminRender(w http.ResponseWriter, r *http.Request, a *adminRequest, status int, page, title, errMsg string, data any) {
	h.render(w, r, status, page, view{Title: title, CSRF: a.csrf, Username: a.user.Username,
		Notice: noticeText(r), Error: errMsg, Data: data})
}

// adminLinksFor returns the admin sections a signed-in user may open from the account
// page: none unless the admin pages are served and the session passed a second factor.
func (h *Handler) adminLinksFor(ctx context.Context, s *reqSession) ([]adminLink, error) {
	if h.cfg.Admin == nil || !s.sess.MFARequired || !s.sess.MFASatisfied {
		return nil, nil
	}
	profiles, err := h.cfg.Profiles.SecurityProfilesFor(ctx, s.user.InstanceID, s.user.ID)
	if err != nil {
		return nil, err
	}
	a := &adminRequest{reqSession: s, caller: identity.Caller{Kind: identity.PrincipalUser,
		InstanceID: s.user.InstanceID, UserID: s.user.ID, Profiles: profiles}}
	return a.adminLinks(), nil
}
