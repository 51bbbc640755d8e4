package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/store"
)

// adminQueueRow is one queue of the queue list.
type adminQueueRow struct {
	ID, Name, Status, Hours string
	// MaxContacts is 0 for no limit.
	MaxContacts int
	// QuickConnects counts the queue's quick connects, up to adminRoutingLimit
	// (QuickConnectsMore set beyond).
	QuickConnects     int
	QuickConnectsMore bool
}

type adminQueuesData struct {
	Queues []adminQueueRow
	// More is set when the instance has more queues than the list shows.
	More      bool
	CanCreate bool
}

// adminQueues lists the instance's standard queues by name with their status, hours,
// capacity and number of quick connects (ListQueues).
func (h *Handler) adminQueues(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	inst := a.user.InstanceID
	d := adminQueuesData{CanCreate: a.allowed("CreateQueue")}
	err := h.adminView(r.Context(), h.adminEvent(r, a, a.action), func(ctx context.Context, tx store.Tx) error {
		qs, more, err := routingQueues(ctx, tx, inst)
		if err != nil {
			return err
		}
		d.More = more
		hours, _, err := routingHours(ctx, tx, inst)
		if err != nil {
			return err
		}
		hourNames := map[string]string{}
		for _, h := range hours {
			hourNames[h.ID] = h.Name
		}
		for _, q := range qs {
			qcs, qcMore, err := listUpTo(adminRoutingLimit, func(after string, n int) ([]routing.QuickConnectRecord, error) {
				return tx.ListQueueQuickConnects(ctx, inst, q.ID, after, n)
			}, func(q routing.QuickConnectRecord) string { return q.ID })
			if err != nil {
				return err
			}
			d.Queues = append(d.Queues, adminQueueRow{ID: q.ID, Name: q.Name, Status: string(q.Status), Hours: hourNames[q.HoursOfOperationID],
				MaxContacts: q.MaxContacts, QuickConnects: len(qcs), QuickConnectsMore: qcMore})
		}
		return nil
	})
	if err != nil {
		h.internalError(w, r, "list queues", err)
		return
	}
	h.adminRender(w, r, a, http.StatusOK, "admin_queues", "Queues", "", d)
}

// queueForm is the queue form as typed: shown again after a refusal.
type queueForm struct {
	Name, Description, HoursID string
	// MaxContacts is the typed capacity; "" or "0" is no limit.
	MaxContacts string
}

// formQueue reads the queue form's fields from the request.
func formQueue(r *http.Request) queueForm {
	_ = r.ParseForm()
	return queueForm{Name: strings.TrimSpace(r.PostFormValue("name")), Description: r.PostFormValue("description"),
		HoursID: truncate(r.PostFormValue("hours"), routing.MaxResourceID+1), MaxContacts: truncate(r.PostFormValue("max_contacts"), 16)}
}

// overlay replaces f's fields with those the request posted.
func (f *queueForm) overlay(r *http.Request) {
	posted := formQueue(r)
	for key, x := range map[string]struct{ dst, src *string }{
		"name": {&f.Name, &posted.Name}, "description": {&f.Description, &posted.Description},
		"hours": {&f.HoursID, &posted.HoursID}, "max_contacts": {&f.MaxContacts, &posted.MaxContacts},
	} {
		if _, ok := r.PostForm[key]; ok {
			*x.dst = *x.src
		}
	}
}

// maxContacts reads the typed capacity: empty is 0 (no limit).
func (f queueForm) maxContacts() (int, error) {
	return wholeNumber("Maximum contacts", f.MaxContacts, 0)
}

// adminQuickConnectRef names a quick connect on the queue page.
type adminQuickConnectRef struct{ ID, Name, Type string }

// adminQueueData is the data of the queue page (new or existing).
type adminQueueData struct {
	// ID is empty for a new queue.
	ID   string
	Form queueForm
	// Status is ENABLED or DISABLED.
	Status   string
	Modified time.Time
	Hours    []adminChoice
	// QuickConnects are the queue's quick connects; Candidates the instance's others.
	QuickConnects []adminQuickConnectRef
	Candidates    []adminChoice
	// More is set when a list was cut at adminRoutingLimit.
	More                                                           bool
	CanName, CanHours, CanMaxContacts, CanStatus, CanQuickConnects bool
}

// Disabled reports whether the queue refuses new contacts.
func (d adminQueueData) Disabled() bool { return d.Status == string(routing.QueueDisabled) }

// adminQueueNew shows the new-queue form (CreateQueue): name, description, hours of
// operation, maximum contacts.
func (h *Handler) adminQueueNew(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	h.renderQueueNew(w, r, a, h.adminEvent(r, a, a.action), http.StatusOK, "", queueForm{})
}

func (h *Handler) renderQueueNew(w http.ResponseWriter, r *http.Request, a *adminRequest, ev *audit.Event, status int, errMsg string, f queueForm) {
	d := adminQueueData{Form: f}
	if !h.routingView(w, r, ev, "queue", func(ctx context.Context, tx store.Tx) error {
		hours, more, err := routingHours(ctx, tx, a.user.InstanceID)
		for _, hr := range hours {
			d.Hours = append(d.Hours, adminChoice{ID: hr.ID, Name: hr.Name, Checked: hr.ID == f.HoursID})
		}
		d.More = more
		return err
	}) {
		return
	}
	h.adminRender(w, r, a, status, "admin_queue", "New queue", errMsg, d)
}

// adminQueueCreate creates a standard queue (CreateQueue, store.CreateQueue): enabled, on
// the chosen hours, with the typed capacity.
func (h *Handler) adminQueueCreate(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	inst := a.user.InstanceID
	f := formQueue(r)
	n, bad := f.maxContacts()
	id := newRequestID(h.cfg.Rand)
	q := routing.QueueRecord{InstanceID: inst, Queue: routing.Queue{ID: id, HoursOfOperationID: f.HoursID, MaxContacts: n},
		Name: f.Name, Description: f.Description, Tags: map[string]string{}, LastModified: h.cfg.Now().UTC().Truncate(time.Millisecond)}
	h.routingAction(w, r, a, routingChange{kind: "queue", id: id, bad: bad,
		change: func(ctx context.Context, tx store.Tx) error { return store.CreateQueue(ctx, tx, q, nil) },
		done:   "/ui/admin/queues/" + id, notice: "queue-created",
		refused: func(status int, msg string) {
			h.renderQueueNew(w, r, a, nil, pageStatus(status), msg, f)
		}})
}

// adminQueue shows a queue: its name and description, hours, capacity, status and quick
// connects, each editable when the caller may (DescribeQueue).
func (h *Handler) adminQueue(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	id := r.PathValue("queue")
	ev := h.adminEvent(r, a, a.action)
	ev.Resource = h.arn(a.user.InstanceID, "queue", id)
	h.renderQueue(w, r, a, ev, id, http.StatusOK, "")
}

// renderQueue renders queue id (ev, when not nil, is the page view's event); after a
// refusal the fields the request posted replace the stored ones.
func (h *Handler) renderQueue(w http.ResponseWriter, r *http.Request, a *adminRequest, ev *audit.Event, id string, status int, errMsg string) {
	inst := a.user.InstanceID
	d := adminQueueData{ID: id, CanName: a.allowed("UpdateQueueName"), CanHours: a.allowed("UpdateQueueHoursOfOperation"),
		CanMaxContacts: a.allowed("UpdateQueueMaxContacts"), CanStatus: a.allowed("UpdateQueueStatus"),
		CanQuickConnects: a.allowed("AssociateQueueQuickConnects")}
	if !h.routingView(w, r, ev, "queue", func(ctx context.Context, tx store.Tx) error {
		q, err := tx.GetQueue(ctx, inst, id)
		if err != nil {
			return err
		}
		d.Status, d.Modified = string(q.Status), q.LastModified
		d.Form = queueForm{Name: q.Name, Description: q.Description, HoursID: q.HoursOfOperationID}
		if q.MaxContacts > 0 {
			d.Form.MaxContacts = strconv.Itoa(q.MaxContacts)
		}
		if r.Method == http.MethodPost {
			d.Form.overlay(r)
		}
		hours, moreHours, err := routingHours(ctx, tx, inst)
		if err != nil {
			return err
		}
		for _, hr := range hours {
			d.Hours = append(d.Hours, adminChoice{ID: hr.ID, Name: hr.Name})
		}
		d.Hours = choose(d.Hours, d.Form.HoursID, d.Form.HoursID)
		mine, moreMine, err := listUpTo(adminRoutingLimit, func(after string, n int) ([]routing.QuickConnectRecord, error) {
			return tx.ListQueueQuickConnects(ctx, inst, id, after, n)
		}, func(q routing.QuickConnectRecord) string { return q.ID })
		if err != nil {
			return err
		}
		byName(mine, func(q routing.QuickConnectRecord) string { return q.Name })
		associated := map[string]bool{}
		for _, qc := range mine {
			associated[qc.ID] = true
			d.QuickConnects = append(d.QuickConnects, adminQuickConnectRef{ID: qc.ID, Name: qc.Name, Type: string(qc.Type)})
		}
		all, moreAll, err := routingQuickConnects(ctx, tx, inst)
		if err != nil {
			return err
		}
		for _, qc := range all {
			if !associated[qc.ID] {
				d.Candidates = append(d.Candidates, adminChoice{ID: qc.ID, Name: qc.Name + " (" + string(qc.Type) + ")"})
			}
		}
		d.More = moreHours || moreMine || moreAll
		return nil
	}) {
		return
	}
	h.adminRender(w, r, a, status, "admin_queue", "Queue "+d.Form.Name, errMsg, d)
}

// queueChange runs change on the path's queue and answers: back to the queue's page with
// notice, or the page again with the refusal.
func (h *Handler) queueChange(w http.ResponseWriter, r *http.Request, a *adminRequest, notice string, details map[string]string, bad error,
	change func(ctx context.Context, tx store.Tx, inst, id string, now time.Time) error) {
	inst, id := a.user.InstanceID, r.PathValue("queue")
	h.routingAction(w, r, a, routingChange{kind: "queue", id: id, details: details, bad: bad,
		change: func(ctx context.Context, tx store.Tx) error { return change(ctx, tx, inst, id, h.cfg.Now()) },
		done:   "/ui/admin/queues/" + id, notice: notice,
		refused: func(status int, msg string) {
			h.renderQueue(w, r, a, nil, id, pageStatus(status), msg)
		}})
}

// adminQueueName changes the queue's name and description (UpdateQueueName).
func (h *Handler) adminQueueName(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	f := formQueue(r)
	h.queueChange(w, r, a, "queue-updated", nil, nil, func(ctx context.Context, tx store.Tx, inst, id string, now time.Time) error {
		return store.UpdateQueueName(ctx, tx, inst, id, now, &f.Name, &f.Description)
	})
}

// adminQueueHours gives the queue other hours of operation (UpdateQueueHoursOfOperation).
func (h *Handler) adminQueueHours(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	f := formQueue(r)
	h.queueChange(w, r, a, "queue-updated", nil, nil, func(ctx context.Context, tx store.Tx, inst, id string, now time.Time) error {
		return store.UpdateQueueHoursOfOperation(ctx, tx, inst, id, now, f.HoursID)
	})
}

// adminQueueMaxContacts sets the queue's capacity; empty or 0 is no limit
// (UpdateQueueMaxContacts).
func (h *Handler) adminQueueMaxContacts(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	f := formQueue(r)
	n, bad := f.maxContacts()
	h.queueChange(w, r, a, "queue-updated", nil, bad, func(ctx context.Context, tx store.Tx, inst, id string, now time.Time) error {
		return store.UpdateQueueMaxContacts(ctx, tx, inst, id, now, n)
	})
}

// adminQueueStatus enables (status=ENABLED) or disables (status=DISABLED) the queue
// (UpdateQueueStatus). A disabled queue refuses new contacts at once (the instance's router
// is refreshed); those already in it are still routed.
func (h *Handler) adminQueueStatus(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	st := routing.QueueStatus(truncate(r.PostFormValue("status"), 16))
	notice := "queue-enabled"
	if st == routing.QueueDisabled {
		notice = "queue-disabled"
	}
	h.queueChange(w, r, a, notice, map[string]string{"status": string(st)}, nil, func(ctx context.Context, tx store.Tx, inst, id string, now time.Time) error {
		return store.UpdateQueueStatus(ctx, tx, inst, id, now, st)
	})
}

// postedIDs reads up to routing.MaxQuickConnectIDs+1 values of the form field key, each cut
// just beyond the longest ID allowed (so the check refuses, not the cut).
func postedIDs(r *http.Request, key string) []string {
	_ = r.ParseForm()
	var out []string
	for _, v := range r.PostForm[key] {
		if v == "" {
			continue
		}
		if len(out) > routing.MaxQuickConnectIDs {
			break
		}
		out = append(out, truncate(v, routing.MaxResourceID+1))
	}
	return out
}

// adminQueueAssociate adds quick connects of the instance to the queue (field
// quick_connect, 1–50; AssociateQueueQuickConnects): agents whose routing profile holds the
// queue are offered them.
func (h *Handler) adminQueueAssociate(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	ids := postedIDs(r, "quick_connect")
	h.queueChange(w, r, a, "queue-quick-connects-updated", map[string]string{"quick_connects": strconv.Itoa(len(ids))}, nil,
		func(ctx context.Context, tx store.Tx, inst, id string, now time.Time) error {
			return store.AssociateQueueQuickConnects(ctx, tx, inst, id, ids, now)
		})
}

// adminQueueDisassociate removes the path's quick connect from the queue
// (DisassociateQueueQuickConnects). A quick connect the instance lacks is 404, as a queue it
// lacks.
func (h *Handler) adminQueueDisassociate(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	inst, id := a.user.InstanceID, r.PathValue("queue")
	qc := truncate(r.PathValue("quickconnect"), routing.MaxResourceID+1)
	h.routingAction(w, r, a, routingChange{kind: "queue", id: id, details: map[string]string{"quick_connects": "1"},
		change: func(ctx context.Context, tx store.Tx) error {
			if _, err := tx.GetQuickConnect(ctx, inst, qc); err != nil {
				return err
			}
			return store.DisassociateQueueQuickConnects(ctx, tx, inst, id, []string{qc}, h.cfg.Now())
		},
		done: "/ui/admin/queues/" + id, notice: "queue-quick-connects-updated",
		refused: func(status int, msg string) {
			h.renderQueue(w, r, a, nil, id, status, msg)
		}})
}
