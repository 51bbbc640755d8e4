package web

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/store"
)

// The routing pages (queues, quick connects, routing profiles) change the instance's routing
// configuration with store's routing administration transactions (store/routingadmin.go),
// the ones the Connect API runs, so a page refuses exactly what the API refuses and with the
// same message. After a change the API would refresh the instance's router for
// (store.RoutingChange), the page calls Config.RefreshRouting before it answers, so the
// change takes effect at once, as after the API call.

// adminRoutingLimit bounds the queues, quick connects, routing profiles and hours one
// routing page reads (a list or a select); beyond it the page says that only the first are
// shown (in ID order) and the API lists the rest.
const adminRoutingLimit = 1000

// listUpTo reads up to limit items a page of at most 500 at a time with list (ID order,
// after the cursor), and reports whether there are more.
func listUpTo[T any](limit int, list func(after string, n int) ([]T, error), id func(T) string) ([]T, bool, error) {
	var out []T
	after := ""
	for len(out) <= limit {
		n := min(500, limit+1-len(out))
		page, err := list(after, n)
		if err != nil {
			return nil, false, err
		}
		out = append(out, page...)
		if len(page) < n {
			break
		}
		after = id(page[len(page)-1])
	}
	if len(out) > limit {
		return out[:limit], true, nil
	}
	return out, false, nil
}

// byName sorts records by name, case-insensitively.
func byName[T any](s []T, name func(T) string) {
	slices.SortStableFunc(s, func(a, b T) int { return cmp.Compare(strings.ToLower(name(a)), strings.ToLower(name(b))) })
}

// routingQueues returns the instance's queues (up to adminRoutingLimit) by name, and whether
// there are more.
func routingQueues(ctx context.Context, tx store.Tx, inst string) ([]routing.QueueRecord, bool, error) {
	qs, more, err := listUpTo(adminRoutingLimit, func(after string, n int) ([]routing.QueueRecord, error) {
		return tx.ListQueues(ctx, inst, after, n)
	}, func(q routing.QueueRecord) string { return q.ID })
	byName(qs, func(q routing.QueueRecord) string { return q.Name })
	return qs, more, err
}

// routingHours returns the instance's hours of operation (up to adminRoutingLimit) by name.
func routingHours(ctx context.Context, tx store.Tx, inst string) ([]routing.HoursRecord, bool, error) {
	hs, more, err := listUpTo(adminRoutingLimit, func(after string, n int) ([]routing.HoursRecord, error) {
		return tx.ListHours(ctx, inst, after, n)
	}, func(h routing.HoursRecord) string { return h.ID })
	byName(hs, func(h routing.HoursRecord) string { return h.Name })
	return hs, more, err
}

// routingQuickConnects returns the instance's quick connects (up to adminRoutingLimit) by
// name.
func routingQuickConnects(ctx context.Context, tx store.Tx, inst string) ([]routing.QuickConnectRecord, bool, error) {
	qs, more, err := listUpTo(adminRoutingLimit, func(after string, n int) ([]routing.QuickConnectRecord, error) {
		return tx.ListQuickConnects(ctx, inst, nil, after, n)
	}, func(q routing.QuickConnectRecord) string { return q.ID })
	byName(qs, func(q routing.QuickConnectRecord) string { return q.Name })
	return qs, more, err
}

// routingProfiles returns the instance's routing profiles (up to adminRoutingLimit) by name.
func routingProfiles(ctx context.Context, tx store.Tx, inst string) ([]routing.RoutingProfileRecord, bool, error) {
	ps, more, err := listUpTo(adminRoutingLimit, func(after string, n int) ([]routing.RoutingProfileRecord, error) {
		return tx.ListRoutingProfiles(ctx, inst, after, n)
	}, func(p routing.RoutingProfileRecord) string { return p.ID })
	byName(ps, func(p routing.RoutingProfileRecord) string { return p.Name })
	return ps, more, err
}

// publishedFlows returns the instance's active, published flows of the flow type typ (up to
// adminRoutingLimit) by name: what a quick connect may run.
func publishedFlows(ctx context.Context, tx store.Tx, inst, typ string) ([]adminChoice, error) {
	var out []adminChoice
	err := store.EachFlowRecord(ctx, tx, inst, flow.KindFlow, func(f flow.Record) (bool, error) {
		if f.Type == typ && f.State == "ACTIVE" && f.Content != "" {
			out = append(out, adminChoice{ID: f.ID, Name: f.Name})
		}
		return len(out) >= adminRoutingLimit, nil
	})
	byName(out, func(c adminChoice) string { return c.Name })
	return out, err
}

// userChoices returns up to adminMemberLimit users of the instance by username (the
// destinations of USER quick connects), and whether the instance has more.
func userChoices(ctx context.Context, tx store.Tx, inst string) ([]adminChoice, bool, error) {
	var (
		out  []adminChoice
		more bool
	)
	err := store.EachUser(ctx, tx, inst, func(u identity.User) (bool, error) {
		if len(out) == adminMemberLimit {
			more = true
			return true, nil
		}
		out = append(out, adminChoice{ID: u.ID, Name: u.Username})
		return false, nil
	})
	byName(out, func(c adminChoice) string { return c.Name })
	return out, more, err
}

// choose marks the choice with ID id as Checked (selected) and returns the list; an id the
// list lacks is added as name so that a stored value outside the offered ones still shows.
func choose(list []adminChoice, id, name string) []adminChoice {
	out := slices.Clone(list)
	for i := range out {
		out[i].Checked = out[i].ID == id
	}
	if id != "" && !slices.ContainsFunc(out, func(c adminChoice) bool { return c.ID == id }) {
		out = append(out, adminChoice{ID: id, Name: name, Checked: true})
	}
	return out
}

// routingChannels are the channels of routing profiles, in the order the pages show them.
var routingChannels = []routing.Channel{routing.ChannelVoice, routing.ChannelChat, routing.ChannelTask}

// wholeNumber parses a form field holding a whole number: empty gives empty, anything but
// an integer of at most 10 characters InvalidParameterException naming label. Ranges are
// the routing administration transactions' to check.
func wholeNumber(label, v string, empty int) (int, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return empty, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || len(v) > 10 {
		return 0, apierr.InvalidParameter(label + " must be a whole number")
	}
	return n, nil
}

// routingChange is one change of a routing page.
type routingChange struct {
	// kind and id name the changed resource in the audit event (its ARN segment and ID).
	kind, id string
	// details go to the audit event.
	details map[string]string
	// bad is input refused before the store (a field that is not a number): recorded, and
	// nothing runs.
	bad error
	// change is the store transaction.
	change func(ctx context.Context, tx store.Tx) error
	// done and notice are where a success goes and the notice it shows there.
	done, notice string
	// refused renders the page again after a refusal with its status and message.
	refused func(status int, msg string)
}

// routingAction runs c for an admin request: the change and the action's audit event in one
// transaction (or, for bad input, the event alone); then, when the action is one after which
// the API refreshes the instance's router (store.RoutingChange), Config.RefreshRouting
// before the answer; then the redirect to c.done. A refusal re-renders the page with
// Connect's message (404 becomes 400 when the page's own resource still exists: the form
// named something the instance lacks).
func (h *Handler) routingAction(w http.ResponseWriter, r *http.Request, a *adminRequest, c routingChange) {
	ctx := r.Context()
	inst := a.user.InstanceID
	ev := h.adminEvent(r, a, a.action)
	if c.id != "" {
		ev.Resource = h.arn(inst, c.kind, c.id)
	}
	ev.Details = c.details
	err := c.bad
	if err != nil {
		if recErr := h.adminRecord(ctx, ev, err); recErr != nil {
			err = recErr
		}
	} else {
		err = h.adminUpdate(ctx, ev, c.change)
	}
	if err == nil {
		h.refreshRouting(r, a)
		adminDone(w, r, c.done, c.notice)
		return
	}
	status, msg, ok := clientError(err)
	if !ok {
		h.internalError(w, r, adminEventCode(a.action), err)
		return
	}
	c.refused(status, msg)
}

// refreshRouting hands the instance's new routing configuration to its router
// (Config.RefreshRouting) after a committed change of an operation store.RoutingChange
// names. A failure is logged, not shown: the change is stored, and the router takes it at
// the next refresh or start.
func (h *Handler) refreshRouting(r *http.Request, a *adminRequest) {
	if h.cfg.RefreshRouting == nil || !store.RoutingChange(a.action) {
		return
	}
	if err := h.cfg.RefreshRouting(r.Context(), a.user.InstanceID); err != nil {
		h.log.Warn("web: router not refreshed", "action", a.action, "instance_id", a.user.InstanceID,
			"request_id", requestID(r.Context()), "error", err.Error())
	}
}

// pageStatus is the status of a form shown again after a refusal, on a page whose own
// resource exists (or a new one's form): a ResourceNotFoundException was about something
// the form named (hours, a queue, a flow of another instance), so the answer is 400. When
// the page's own resource is gone, rendering it answers 404 instead.
func pageStatus(status int) int {
	if status == http.StatusNotFound {
		return http.StatusBadRequest
	}
	return status
}

// routingView runs read in a read transaction with ev (nil records nothing) and answers
// 404 when the page's resource (what) is not in the instance, or the internal error page;
// it reports whether the page may be rendered.
func (h *Handler) routingView(w http.ResponseWriter, r *http.Request, ev *audit.Event, what string, read func(ctx context.Context, tx store.Tx) error) bool {
	err := h.adminView(r.Context(), ev, read)
	if apierr.HasCode(err, apierr.CodeResourceNotFound) {
		h.adminNotFound(w, r, what)
		return false
	}
	if err != nil {
		h.internalError(w, r, what+" page", err)
		return false
	}
	return true
}
