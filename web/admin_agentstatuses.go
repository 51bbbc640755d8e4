package web

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/store"
)

// adminAgentStatusRow is one agent status of the list.
type adminAgentStatusRow struct {
	ID, Name, Description, Type, State string
	// Order is the display order, 0 when unset.
	Order int
}

type adminAgentStatusesData struct {
	Statuses        []adminAgentStatusRow
	More, CanCreate bool
}

// adminAgentStatuses lists the instance's agent statuses in the order agents see them (by
// display order, those without one last, then by name) with their type and state
// (ListAgentStatuses).
func (h *Handler) adminAgentStatuses(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	inst := a.user.InstanceID
	d := adminAgentStatusesData{CanCreate: a.allowed("CreateAgentStatus")}
	err := h.adminView(r.Context(), h.adminEvent(r, a, a.action), func(ctx context.Context, tx store.Tx) error {
		ss, more, err := listUpTo(adminRoutingLimit, func(after string, n int) ([]routing.AgentStatusRecord, error) {
			return tx.ListAgentStatuses(ctx, inst, nil, after, n)
		}, func(s routing.AgentStatusRecord) string { return s.ID })
		if err != nil {
			return err
		}
		d.More = more
		slices.SortStableFunc(ss, func(x, y routing.AgentStatusRecord) int {
			ox, oy := x.DisplayOrder, y.DisplayOrder
			if ox == 0 {
				ox = routing.MaxDisplayOrder + 1
			}
			if oy == 0 {
				oy = routing.MaxDisplayOrder + 1
			}
			return cmp.Or(cmp.Compare(ox, oy), cmp.Compare(strings.ToLower(x.Name), strings.ToLower(y.Name)))
		})
		for _, s := range ss {
			d.Statuses = append(d.Statuses, adminAgentStatusRow{ID: s.ID, Name: s.Name, Description: s.Description, Type: string(s.Type),
				State: string(s.State), Order: s.DisplayOrder})
		}
		return nil
	})
	if err != nil {
		h.internalError(w, r, "list agent statuses", err)
		return
	}
	h.adminRender(w, r, a, http.StatusOK, "admin_agentstatuses", "Agent statuses", "", d)
}

// agentStatusForm is the agent status form as typed.
type agentStatusForm struct {
	Name, Description, State string
	// Order is the typed display order; empty is none.
	Order string
}

// formAgentStatus reads the agent status form from the request.
func formAgentStatus(r *http.Request) agentStatusForm {
	_ = r.ParseForm()
	return agentStatusForm{Name: strings.TrimSpace(r.PostFormValue("name")), Description: r.PostFormValue("description"),
		State: truncate(r.PostFormValue("state"), 16), Order: truncate(r.PostFormValue("display_order"), 16)}
}

// order reads the display order: nil when empty (none).
func (f agentStatusForm) order() (*int, error) {
	if strings.TrimSpace(f.Order) == "" {
		return nil, nil
	}
	n, err := wholeNumber("Display order", f.Order, 0)
	if err != nil {
		return nil, err
	}
	return &n, nil
}

// adminAgentStatusData is the data of the agent status page (new or existing).
type adminAgentStatusData struct {
	// ID is empty for a new status.
	ID       string
	Form     agentStatusForm
	Type     string
	Modified time.Time
	CanEdit  bool
}

// Custom reports whether the status is a custom one (Available and Offline cannot be
// disabled).
func (d adminAgentStatusData) Custom() bool {
	return d.Type == "" || d.Type == string(routing.StatusCustom)
}

// adminAgentStatusNew shows the new agent status form (CreateAgentStatus).
func (h *Handler) adminAgentStatusNew(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	if err := h.adminRecord(r.Context(), h.adminEvent(r, a, a.action), nil); err != nil {
		h.internalError(w, r, "audit", err)
		return
	}
	h.adminRender(w, r, a, http.StatusOK, "admin_agentstatus", "New agent status", "",
		adminAgentStatusData{Form: agentStatusForm{State: string(routing.AgentStatusEnabled)}, CanEdit: true})
}

// adminAgentStatusCreate creates a custom agent status (CreateAgentStatus,
// store.CreateAgentStatus).
func (h *Handler) adminAgentStatusCreate(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	f := formAgentStatus(r)
	order, bad := f.order()
	id := newRequestID(h.cfg.Rand)
	rec := routing.AgentStatusRecord{InstanceID: a.user.InstanceID, ID: id, AgentStatus: routing.AgentStatus{Name: f.Name, Type: routing.StatusCustom},
		Description: f.Description, State: routing.AgentStatusState(f.State), Tags: map[string]string{},
		LastModified: h.cfg.Now().UTC().Truncate(time.Millisecond)}
	h.routingAction(w, r, a, routingChange{kind: "agent-state", id: id, bad: bad,
		change: func(ctx context.Context, tx store.Tx) error { return store.CreateAgentStatus(ctx, tx, rec, order) },
		done:   "/ui/admin/agent-statuses/" + id, notice: "agent-status-created",
		refused: func(status int, msg string) {
			h.adminRender(w, r, a, pageStatus(status), "admin_agentstatus", "New agent status", msg, adminAgentStatusData{Form: f, CanEdit: true})
		}})
}

// adminAgentStatus shows an agent status, editable when the caller may
// (DescribeAgentStatus).
func (h *Handler) adminAgentStatus(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	id := r.PathValue("agentstatus")
	ev := h.adminEvent(r, a, a.action)
	ev.Resource = h.arn(a.user.InstanceID, "agent-state", id)
	h.renderAgentStatus(w, r, a, ev, id, http.StatusOK, "")
}

// renderAgentStatus renders agent status id (ev, when not nil, is the page view's event);
// after a refusal the posted form replaces the stored one.
func (h *Handler) renderAgentStatus(w http.ResponseWriter, r *http.Request, a *adminRequest, ev *audit.Event, id string, status int, errMsg string) {
	d := adminAgentStatusData{ID: id, CanEdit: a.allowed("UpdateAgentStatus")}
	if !h.routingView(w, r, ev, "agent status", func(ctx context.Context, tx store.Tx) error {
		s, err := tx.GetAgentStatus(ctx, a.user.InstanceID, id)
		d.Form = agentStatusForm{Name: s.Name, Description: s.Description, State: string(s.State)}
		if s.DisplayOrder > 0 {
			d.Form.Order = strconv.Itoa(s.DisplayOrder)
		}
		d.Type, d.Modified = string(s.Type), s.LastModified
		return err
	}) {
		return
	}
	if r.Method == http.MethodPost {
		d.Form = formAgentStatus(r)
	}
	h.adminRender(w, r, a, status, "admin_agentstatus", "Agent status "+d.Form.Name, errMsg, d)
}

// adminAgentStatusUpdate changes an agent status's name, description, state and display
// order (UpdateAgentStatus; an empty order clears it). Available and Offline cannot be
// disabled.
func (h *Handler) adminAgentStatusUpdate(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	inst, id := a.user.InstanceID, r.PathValue("agentstatus")
	f := formAgentStatus(r)
	order, bad := f.order()
	state := routing.AgentStatusState(f.State)
	ch := store.AgentStatusChange{Name: &f.Name, Description: &f.Description, State: &state, DisplayOrder: order, ResetOrder: order == nil}
	h.routingAction(w, r, a, routingChange{kind: "agent-state", id: id, bad: bad, details: map[string]string{"state": string(state)},
		change: func(ctx context.Context, tx store.Tx) error {
			return store.UpdateAgentStatus(ctx, tx, inst, id, h.cfg.Now(), ch)
		},
		done: "/ui/admin/agent-statuses/" + id, notice: "agent-status-updated",
		refused: func(status int, msg string) {
			h.renderAgentStatus(w, r, a, nil, id, pageStatus(status), msg)
		}})
}
