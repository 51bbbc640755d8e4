package web

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/store"
)

// quickConnectTypes are the quick connect types in the order the pages offer them, with
// their labels.
var quickConnectTypes = []struct {
	t     routing.QuickConnectType
	label string
}{
	{routing.QuickConnectQueue, "Queue"},
	{routing.QuickConnectUser, "Agent (user)"},
	{routing.QuickConnectPhoneNumber, "External phone number"},
	{routing.QuickConnectFlow, "Flow"},
}

// adminQuickConnectRow is one quick connect of the list.
type adminQuickConnectRow struct {
	ID, Name, Type, Destination string
}

type adminQuickConnectsData struct {
	QuickConnects   []adminQuickConnectRow
	More, CanCreate bool
}

// destinationNames looks up the names of quick connects' destinations, each once.
type destinationNames struct {
	ctx        context.Context
	tx         store.Tx
	inst       string
	users      map[string]string
	flows      map[string]string
	queueNames map[string]string
}

func newDestinationNames(ctx context.Context, tx store.Tx, inst string, queues []routing.QueueRecord) *destinationNames {
	d := &destinationNames{ctx: ctx, tx: tx, inst: inst, users: map[string]string{}, flows: map[string]string{}, queueNames: map[string]string{}}
	for _, q := range queues {
		d.queueNames[q.ID] = q.Name
	}
	return d
}

// lookup returns a name for id with get, remembered in m; an ID that no longer resolves
// shows as itself.
func (d *destinationNames) lookup(m map[string]string, id string, get func() (string, error)) (string, error) {
	if n, ok := m[id]; ok {
		return n, nil
	}
	n, err := get()
	if apierr.HasCode(err, apierr.CodeResourceNotFound) {
		n, err = id, nil
	}
	if err != nil {
		return "", err
	}
	m[id] = n
	return n, nil
}

func (d *destinationNames) queue(id string) (string, error) {
	return d.lookup(d.queueNames, id, func() (string, error) {
		q, err := d.tx.GetQueue(d.ctx, d.inst, id)
		return q.Name, err
	})
}

func (d *destinationNames) user(id string) (string, error) {
	return d.lookup(d.users, id, func() (string, error) {
		u, err := d.tx.GetUser(d.ctx, d.inst, id)
		return u.Username, err
	})
}

func (d *destinationNames) flow(id string) (string, error) {
	return d.lookup(d.flows, id, func() (string, error) {
		f, err := d.tx.GetFlowRecord(d.ctx, d.inst, flow.KindFlow, id)
		return f.Name, err
	})
}

// describe says where q sends a contact: "queue Sales", "agent jdoe", the number, "flow
// Default queue transfer".
func (d *destinationNames) describe(q routing.QuickConnectRecord) (string, error) {
	var (
		what, name string
		err        error
	)
	switch q.Type {
	case routing.QuickConnectQueue:
		what = "queue "
		name, err = d.queue(q.QueueID)
	case routing.QuickConnectUser:
		what = "agent "
		name, err = d.user(q.UserID)
	case routing.QuickConnectPhoneNumber:
		return q.PhoneNumber, nil
	case routing.QuickConnectFlow:
		what = "flow "
		name, err = d.flow(q.ContactFlowID)
	}
	if err != nil {
		return "", err
	}
	if q.Type != routing.QuickConnectFlow && q.ContactFlowID != "" {
		f, err := d.flow(q.ContactFlowID)
		if err != nil {
			return "", err
		}
		return what + name + " through flow " + f, nil
	}
	return what + name, nil
}

// adminQuickConnects lists the instance's quick connects by name with their type and
// destination (ListQuickConnects).
func (h *Handler) adminQuickConnects(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	inst := a.user.InstanceID
	d := adminQuickConnectsData{CanCreate: a.allowed("CreateQuickConnect")}
	err := h.adminView(r.Context(), h.adminEvent(r, a, a.action), func(ctx context.Context, tx store.Tx) error {
		qcs, more, err := routingQuickConnects(ctx, tx, inst)
		if err != nil {
			return err
		}
		d.More = more
		queues, _, err := routingQueues(ctx, tx, inst)
		if err != nil {
			return err
		}
		names := newDestinationNames(ctx, tx, inst, queues)
		for _, q := range qcs {
			dest, err := names.describe(q)
			if err != nil {
				return err
			}
			d.QuickConnects = append(d.QuickConnects, adminQuickConnectRow{ID: q.ID, Name: q.Name, Type: string(q.Type), Destination: dest})
		}
		return nil
	})
	if err != nil {
		h.internalError(w, r, "list quick connects", err)
		return
	}
	h.adminRender(w, r, a, http.StatusOK, "admin_quickconnects", "Quick connects", "", d)
}

// quickConnectForm is the quick connect form as typed. Each type has its own fields: QUEUE
// a queue and a queue transfer flow, USER a user and an agent transfer flow, PHONE_NUMBER
// a number, FLOW a contact flow; the form sends them all and Type picks.
type quickConnectForm struct {
	Name, Description, Type string
	QueueID, QueueFlowID    string
	UserID, UserFlowID      string
	Phone                   string
	FlowID                  string
}

// formQuickConnect reads the quick connect form from the request.
func formQuickConnect(r *http.Request) quickConnectForm {
	_ = r.ParseForm()
	id := func(k string) string { return truncate(r.PostFormValue(k), routing.MaxResourceID+1) }
	return quickConnectForm{Name: strings.TrimSpace(r.PostFormValue("name")), Description: r.PostFormValue("description"),
		Type: truncate(r.PostFormValue("type"), 16), QueueID: id("queue"), QueueFlowID: id("queue_flow"),
		UserID: id("user"), UserFlowID: id("agent_flow"), Phone: truncate(strings.TrimSpace(r.PostFormValue("phone")), 32),
		FlowID: id("contact_flow")}
}

// formOf is the form of a stored quick connect.
func formOf(q routing.QuickConnectRecord) quickConnectForm {
	f := quickConnectForm{Name: q.Name, Description: q.Description, Type: string(q.Type), Phone: q.PhoneNumber}
	switch q.Type {
	case routing.QuickConnectQueue:
		f.QueueID, f.QueueFlowID = q.QueueID, q.ContactFlowID
	case routing.QuickConnectUser:
		f.UserID, f.UserFlowID = q.UserID, q.ContactFlowID
	case routing.QuickConnectFlow:
		f.FlowID = q.ContactFlowID
	}
	return f
}

// destination is the destination the form names for its type (fields of other types are
// ignored); store.CreateQuickConnect and store.UpdateQuickConnectConfig check it.
func (f quickConnectForm) destination() store.QuickConnectDestination {
	d := store.QuickConnectDestination{Type: routing.QuickConnectType(f.Type)}
	switch d.Type {
	case routing.QuickConnectQueue:
		d.QueueID, d.ContactFlowID = f.QueueID, f.QueueFlowID
	case routing.QuickConnectUser:
		d.UserID, d.ContactFlowID = f.UserID, f.UserFlowID
	case routing.QuickConnectPhoneNumber:
		d.PhoneNumber = f.Phone
	case routing.QuickConnectFlow:
		d.ContactFlowID = f.FlowID
	}
	return d
}

// adminQuickConnectData is the data of the quick connect page (new or existing).
type adminQuickConnectData struct {
	// ID is empty for a new quick connect.
	ID       string
	Form     quickConnectForm
	Modified time.Time
	// Types, Queues, Users and the flows are the choices of the destination, the form's
	// selected. Flows are the instance's published flows of the type Connect's console
	// offers: queue transfer flows for QUEUE, agent transfer flows for USER, contact flows
	// for FLOW.
	Types                         []adminChoice
	Queues, Users                 []adminChoice
	QueueFlows, UserFlows, Flows  []adminChoice
	More                          bool
	CanName, CanConfig, CanDelete bool
}

// loadDestinations fills d's choices from tx, selecting d.Form's.
func (d *adminQuickConnectData) loadDestinations(ctx context.Context, tx store.Tx, inst string) error {
	for _, t := range quickConnectTypes {
		d.Types = append(d.Types, adminChoice{ID: string(t.t), Name: t.label, Checked: string(t.t) == d.Form.Type})
	}
	queues, moreQueues, err := routingQueues(ctx, tx, inst)
	if err != nil {
		return err
	}
	names := newDestinationNames(ctx, tx, inst, queues)
	for _, q := range queues {
		d.Queues = append(d.Queues, adminChoice{ID: q.ID, Name: q.Name})
	}
	users, moreUsers, err := userChoices(ctx, tx, inst)
	if err != nil {
		return err
	}
	d.More = moreQueues || moreUsers
	for _, x := range []struct {
		dst      *[]adminChoice
		typ      routing.QuickConnectType
		selected string
	}{
		{&d.QueueFlows, routing.QuickConnectQueue, d.Form.QueueFlowID},
		{&d.UserFlows, routing.QuickConnectUser, d.Form.UserFlowID},
		{&d.Flows, routing.QuickConnectFlow, d.Form.FlowID},
	} {
		fs, err := publishedFlows(ctx, tx, inst, routing.FlowTypeFor(x.typ))
		if err != nil {
			return err
		}
		name := x.selected
		if x.selected != "" {
			if name, err = names.flow(x.selected); err != nil {
				return err
			}
		}
		*x.dst = choose(fs, x.selected, name)
	}
	queueName, userName := d.Form.QueueID, d.Form.UserID
	if d.Form.QueueID != "" {
		if queueName, err = names.queue(d.Form.QueueID); err != nil {
			return err
		}
	}
	if d.Form.UserID != "" {
		if userName, err = names.user(d.Form.UserID); err != nil {
			return err
		}
	}
	d.Queues = choose(d.Queues, d.Form.QueueID, queueName)
	d.Users = choose(users, d.Form.UserID, userName)
	return nil
}

// adminQuickConnectNew shows the new quick connect form (CreateQuickConnect).
func (h *Handler) adminQuickConnectNew(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	h.renderQuickConnectNew(w, r, a, h.adminEvent(r, a, a.action), http.StatusOK, "", quickConnectForm{Type: string(routing.QuickConnectQueue)})
}

func (h *Handler) renderQuickConnectNew(w http.ResponseWriter, r *http.Request, a *adminRequest, ev *audit.Event, status int, errMsg string, f quickConnectForm) {
	d := adminQuickConnectData{Form: f}
	if !h.routingView(w, r, ev, "quick connect", func(ctx context.Context, tx store.Tx) error {
		return d.loadDestinations(ctx, tx, a.user.InstanceID)
	}) {
		return
	}
	h.adminRender(w, r, a, status, "admin_quickconnect", "New quick connect", errMsg, d)
}

// adminQuickConnectCreate creates a quick connect (CreateQuickConnect,
// store.CreateQuickConnect).
func (h *Handler) adminQuickConnectCreate(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	f := formQuickConnect(r)
	id := newRequestID(h.cfg.Rand)
	q := routing.QuickConnectRecord{InstanceID: a.user.InstanceID, ID: id, Name: f.Name, Description: f.Description,
		Tags: map[string]string{}, LastModified: h.cfg.Now().UTC().Truncate(time.Millisecond)}
	h.routingAction(w, r, a, routingChange{kind: "transfer-destination", id: id, details: map[string]string{"type": f.Type},
		change: func(ctx context.Context, tx store.Tx) error {
			return store.CreateQuickConnect(ctx, tx, q, f.destination())
		},
		done: "/ui/admin/quick-connects/" + id, notice: "quick-connect-created",
		refused: func(status int, msg string) {
			h.renderQuickConnectNew(w, r, a, nil, pageStatus(status), msg, f)
		}})
}

// adminQuickConnect shows a quick connect with its name and destination, editable when
// the caller may (DescribeQuickConnect).
func (h *Handler) adminQuickConnect(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	id := r.PathValue("quickconnect")
	ev := h.adminEvent(r, a, a.action)
	ev.Resource = h.arn(a.user.InstanceID, "transfer-destination", id)
	h.renderQuickConnect(w, r, a, ev, id, http.StatusOK, "")
}

// renderQuickConnect renders quick connect id (ev, when not nil, is the page view's
// event); after a refusal the posted form replaces the stored fields it holds.
func (h *Handler) renderQuickConnect(w http.ResponseWriter, r *http.Request, a *adminRequest, ev *audit.Event, id string, status int, errMsg string) {
	inst := a.user.InstanceID
	d := adminQuickConnectData{ID: id, CanName: a.allowed("UpdateQuickConnectName"), CanConfig: a.allowed("UpdateQuickConnectConfig"),
		CanDelete: a.allowed("DeleteQuickConnect")}
	if !h.routingView(w, r, ev, "quick connect", func(ctx context.Context, tx store.Tx) error {
		q, err := tx.GetQuickConnect(ctx, inst, id)
		if err != nil {
			return err
		}
		d.Form, d.Modified = formOf(q), q.LastModified
		if r.Method == http.MethodPost {
			posted := formQuickConnect(r)
			if _, ok := r.PostForm["name"]; ok {
				d.Form.Name, d.Form.Description = posted.Name, posted.Description
			}
			if _, ok := r.PostForm["type"]; ok {
				posted.Name, posted.Description = d.Form.Name, d.Form.Description
				d.Form = posted
			}
		}
		return d.loadDestinations(ctx, tx, inst)
	}) {
		return
	}
	h.adminRender(w, r, a, status, "admin_quickconnect", "Quick connect "+d.Form.Name, errMsg, d)
}

// quickConnectChange runs change on the path's quick connect and answers: back to its page
// (or done) with notice, or the page again with the refusal.
func (h *Handler) quickConnectChange(w http.ResponseWriter, r *http.Request, a *adminRequest, done, notice string,
	change func(ctx context.Context, tx store.Tx, inst, id string, now time.Time) error) {
	inst, id := a.user.InstanceID, r.PathValue("quickconnect")
	if done == "" {
		done = "/ui/admin/quick-connects/" + id
	}
	h.routingAction(w, r, a, routingChange{kind: "transfer-destination", id: id,
		change: func(ctx context.Context, tx store.Tx) error { return change(ctx, tx, inst, id, h.cfg.Now()) },
		done:   done, notice: notice,
		refused: func(status int, msg string) {
			h.renderQuickConnect(w, r, a, nil, id, pageStatus(status), msg)
		}})
}

// adminQuickConnectName changes the quick connect's name and description
// (UpdateQuickConnectName).
func (h *Handler) adminQuickConnectName(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	f := formQuickConnect(r)
	h.quickConnectChange(w, r, a, "", "quick-connect-updated", func(ctx context.Context, tx store.Tx, inst, id string, now time.Time) error {
		return store.UpdateQuickConnectName(ctx, tx, inst, id, now, &f.Name, &f.Description)
	})
}

// adminQuickConnectConfig replaces the quick connect's type and destination
// (UpdateQuickConnectConfig).
func (h *Handler) adminQuickConnectConfig(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	f := formQuickConnect(r)
	h.quickConnectChange(w, r, a, "", "quick-connect-updated", func(ctx context.Context, tx store.Tx, inst, id string, now time.Time) error {
		return store.UpdateQuickConnectConfig(ctx, tx, inst, id, now, f.destination())
	})
}

// adminQuickConnectDelete deletes the quick connect and its queue associations
// (DeleteQuickConnect): agents are no longer offered it.
func (h *Handler) adminQuickConnectDelete(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	h.quickConnectChange(w, r, a, "/ui/admin/quick-connects", "quick-connect-deleted", func(ctx context.Context, tx store.Tx, inst, id string, _ time.Time) error {
		return store.DeleteQuickConnect(ctx, tx, inst, id)
	})
}
