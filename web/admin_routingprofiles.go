package web

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/store"
)

// adminRoutingProfileRow is one routing profile of the list.
type adminRoutingProfileRow struct {
	ID, Name, OutboundQueue, Channels string
	Queues                            int
	Default                           bool
}

type adminRoutingProfilesData struct {
	Profiles        []adminRoutingProfileRow
	More, CanCreate bool
}

// channelSummary is a profile's channels as "VOICE 1 · CHAT 3".
func channelSummary(ms []routing.MediaConcurrency) string {
	var parts []string
	for _, m := range ms {
		parts = append(parts, string(m.Channel)+" "+strconv.Itoa(m.Concurrency))
	}
	return strings.Join(parts, " · ")
}

// distinctQueues counts the queues of a profile's entries.
func distinctQueues(p routing.RoutingProfile) int {
	seen := map[string]bool{}
	for _, e := range p.Queues {
		seen[e.QueueID] = true
	}
	return len(seen)
}

// adminRoutingProfiles lists the instance's routing profiles by name with their default
// outbound queue, channels and number of queues (ListRoutingProfiles).
func (h *Handler) adminRoutingProfiles(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	inst := a.user.InstanceID
	d := adminRoutingProfilesData{CanCreate: a.allowed("CreateRoutingProfile")}
	err := h.adminView(r.Context(), h.adminEvent(r, a, a.action), func(ctx context.Context, tx store.Tx) error {
		ps, more, err := routingProfiles(ctx, tx, inst)
		if err != nil {
			return err
		}
		d.More = more
		queues, _, err := routingQueues(ctx, tx, inst)
		if err != nil {
			return err
		}
		names := newDestinationNames(ctx, tx, inst, queues)
		for _, p := range ps {
			out, err := names.queue(p.DefaultOutboundQueueID)
			if err != nil {
				return err
			}
			d.Profiles = append(d.Profiles, adminRoutingProfileRow{ID: p.ID, Name: p.Name, OutboundQueue: out,
				Channels: channelSummary(p.MediaConcurrencies), Queues: distinctQueues(p.RoutingProfile), Default: p.IsDefault})
		}
		return nil
	})
	if err != nil {
		h.internalError(w, r, "list routing profiles", err)
		return
	}
	h.adminRender(w, r, a, http.StatusOK, "admin_routingprofiles", "Routing profiles", "", d)
}

// channelForm is one channel of the routing profile's concurrency form.
type channelForm struct {
	Channel string
	// On is set when the profile takes the channel; Concurrency is the typed number of
	// contacts at once; AnyChannel is cross-channel routing (ROUTE_ANY_CHANNEL).
	On          bool
	Concurrency string
	AnyChannel  bool
	// Max is the most contacts at once the channel allows (VOICE 1, CHAT and TASK 10).
	Max int
}

// entryForm is the form that adds a queue to a routing profile on some channels.
type entryForm struct {
	QueueID         string
	Channels        []string
	Priority, Delay string
}

// On reports whether the channel is ticked.
func (f entryForm) On(ch string) bool { return slices.Contains(f.Channels, ch) }

// routingProfileForm is the routing profile form as typed: shown again after a refusal.
type routingProfileForm struct {
	Name, Description, OutboundQueueID string
	Channels                           []channelForm
	Entry                              entryForm
}

// channelMax is the most contacts of channel ch an agent handles at once (Connect's
// MediaConcurrency: VOICE 1, CHAT and TASK 1–10).
func channelMax(ch routing.Channel) int {
	if ch == routing.ChannelVoice {
		return 1
	}
	return 10
}

// formOfRoutingProfile is the form of a stored routing profile.
func formOfRoutingProfile(p routing.RoutingProfileRecord) routingProfileForm {
	f := routingProfileForm{Name: p.Name, Description: p.Description, OutboundQueueID: p.DefaultOutboundQueueID, Entry: defaultEntry()}
	for _, ch := range routingChannels {
		c := channelForm{Channel: string(ch), Max: channelMax(ch), Concurrency: "1"}
		for _, m := range p.MediaConcurrencies {
			if m.Channel == ch {
				c.On, c.Concurrency, c.AnyChannel = true, strconv.Itoa(m.Concurrency), m.CrossChannelBehavior == routing.RouteAnyChannel
			}
		}
		f.Channels = append(f.Channels, c)
	}
	return f
}

// defaultEntry is the add-queue form as first shown: every channel, priority 1, no delay.
func defaultEntry() entryForm {
	return entryForm{Channels: []string{"VOICE", "CHAT", "TASK"}, Priority: "1", Delay: "0"}
}

// newRoutingProfileForm is the new routing profile form as first shown: VOICE 1, CHAT 2, TASK 1.
func newRoutingProfileForm() routingProfileForm {
	return formOfRoutingProfile(routing.RoutingProfileRecord{RoutingProfile: routing.RoutingProfile{MediaConcurrencies: []routing.MediaConcurrency{
		{Channel: routing.ChannelVoice, Concurrency: 1}, {Channel: routing.ChannelChat, Concurrency: 2}, {Channel: routing.ChannelTask, Concurrency: 1}}}})
}

// formRoutingProfile reads the routing profile form's fields from the request.
func formRoutingProfile(r *http.Request) routingProfileForm {
	_ = r.ParseForm()
	f := routingProfileForm{Name: strings.TrimSpace(r.PostFormValue("name")), Description: r.PostFormValue("description"),
		OutboundQueueID: truncate(r.PostFormValue("outbound_queue"), routing.MaxResourceID+1)}
	ticked := r.PostForm["channel"]
	for _, ch := range routingChannels {
		f.Channels = append(f.Channels, channelForm{Channel: string(ch), Max: channelMax(ch), On: slices.Contains(ticked, string(ch)),
			Concurrency: truncate(r.PostFormValue("conc_"+string(ch)), 16), AnyChannel: r.PostFormValue("any_"+string(ch)) == "on"})
	}
	f.Entry = entryForm{QueueID: truncate(r.PostFormValue("queue"), routing.MaxResourceID+1),
		Priority: truncate(r.PostFormValue("priority"), 16), Delay: truncate(r.PostFormValue("delay"), 16)}
	for _, ch := range r.PostForm["entry_channel"] {
		if slices.Contains(routingChannels, routing.Channel(ch)) && !f.Entry.On(ch) {
			f.Entry.Channels = append(f.Entry.Channels, ch)
		}
	}
	return f
}

// concurrencies reads the ticked channels with their concurrency; the numbers' ranges are
// the routing administration transactions' to check.
func (f routingProfileForm) concurrencies() ([]routing.MediaConcurrency, error) {
	var out []routing.MediaConcurrency
	for _, c := range f.Channels {
		if !c.On {
			continue
		}
		n, err := wholeNumber(c.Channel+" concurrency", c.Concurrency, 0)
		if err != nil {
			return nil, err
		}
		m := routing.MediaConcurrency{Channel: routing.Channel(c.Channel), Concurrency: n, CrossChannelBehavior: routing.RouteCurrentChannelOnly}
		if c.AnyChannel {
			m.CrossChannelBehavior = routing.RouteAnyChannel
		}
		out = append(out, m)
	}
	return out, nil
}

// entries reads the add-queue form: one entry per ticked channel with the typed priority
// (empty is 1) and delay in seconds (empty is 0). No queue chosen is no entries when
// optional, else refused; a queue without a channel is refused.
func (f entryForm) entries(optional bool) ([]routing.ProfileQueue, error) {
	if f.QueueID == "" {
		if optional {
			return nil, nil
		}
		return nil, apierr.InvalidParameter("Choose the queue to add")
	}
	if len(f.Channels) == 0 {
		return nil, apierr.InvalidParameter("Tick at least one channel for the queue")
	}
	prio, err := wholeNumber("Priority", f.Priority, 1)
	if err != nil {
		return nil, err
	}
	delay, err := wholeNumber("Delay", f.Delay, 0)
	if err != nil {
		return nil, err
	}
	var out []routing.ProfileQueue
	for _, ch := range f.Channels {
		out = append(out, routing.ProfileQueue{QueueID: f.QueueID, Channel: routing.Channel(ch), Priority: prio, DelaySeconds: delay})
	}
	return out, nil
}

// adminProfileEntry is one queue × channel entry of the routing profile page.
type adminProfileEntry struct {
	QueueID, QueueName, Channel string
	Priority, Delay             int
}

// adminRoutingProfileData is the data of the routing profile page (new or existing).
type adminRoutingProfileData struct {
	// ID is empty for a new routing profile.
	ID       string
	Form     routingProfileForm
	Default  bool
	Modified time.Time
	// Queues are the outbound queue's choices, AddQueues the add-queue form's.
	Queues, AddQueues                               []adminChoice
	Entries                                         []adminProfileEntry
	More                                            bool
	CanName, CanOutbound, CanConcurrency, CanQueues bool
	// CanDelete offers DeleteRoutingProfile (never for the default profile).
	CanDelete bool
}

// loadQueues fills d's queue choices and names its entries.
func (d *adminRoutingProfileData) loadQueues(ctx context.Context, tx store.Tx, inst string, entries []routing.ProfileQueue) error {
	queues, more, err := routingQueues(ctx, tx, inst)
	if err != nil {
		return err
	}
	d.More = more
	names := newDestinationNames(ctx, tx, inst, queues)
	for _, q := range queues {
		d.Queues = append(d.Queues, adminChoice{ID: q.ID, Name: q.Name})
	}
	out, err := names.queue(d.Form.OutboundQueueID)
	if err != nil {
		return err
	}
	d.AddQueues = choose(d.Queues, d.Form.Entry.QueueID, d.Form.Entry.QueueID)
	d.Queues = choose(d.Queues, d.Form.OutboundQueueID, out)
	for _, e := range entries {
		n, err := names.queue(e.QueueID)
		if err != nil {
			return err
		}
		d.Entries = append(d.Entries, adminProfileEntry{QueueID: e.QueueID, QueueName: n, Channel: string(e.Channel), Priority: e.Priority, Delay: e.DelaySeconds})
	}
	return nil
}

// adminRoutingProfileNew shows the new routing profile form (CreateRoutingProfile).
func (h *Handler) adminRoutingProfileNew(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	h.renderRoutingProfileNew(w, r, a, h.adminEvent(r, a, a.action), http.StatusOK, "", newRoutingProfileForm())
}

func (h *Handler) renderRoutingProfileNew(w http.ResponseWriter, r *http.Request, a *adminRequest, ev *audit.Event, status int, errMsg string, f routingProfileForm) {
	d := adminRoutingProfileData{Form: f}
	if !h.routingView(w, r, ev, "routing profile", func(ctx context.Context, tx store.Tx) error {
		return d.loadQueues(ctx, tx, a.user.InstanceID, nil)
	}) {
		return
	}
	h.adminRender(w, r, a, status, "admin_routingprofile", "New routing profile", errMsg, d)
}

// adminRoutingProfileCreate creates a routing profile (CreateRoutingProfile,
// store.CreateRoutingProfile): name, description, default outbound queue, channels with
// their concurrency, and optionally a first queue on some channels.
func (h *Handler) adminRoutingProfileCreate(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	f := formRoutingProfile(r)
	id := newRequestID(h.cfg.Rand)
	conc, bad := f.concurrencies()
	var entries []routing.ProfileQueue
	if bad == nil {
		entries, bad = f.Entry.entries(true)
	}
	p := routing.RoutingProfileRecord{InstanceID: a.user.InstanceID, RoutingProfile: routing.RoutingProfile{ID: id,
		DefaultOutboundQueueID: f.OutboundQueueID, MediaConcurrencies: conc, Queues: entries},
		Name: f.Name, Description: f.Description, Tags: map[string]string{}, LastModified: h.cfg.Now().UTC().Truncate(time.Millisecond)}
	h.routingAction(w, r, a, routingChange{kind: "routing-profile", id: id, bad: bad,
		change: func(ctx context.Context, tx store.Tx) error { return store.CreateRoutingProfile(ctx, tx, p) },
		done:   "/ui/admin/routing-profiles/" + id, notice: "routing-profile-created",
		refused: func(status int, msg string) {
			h.renderRoutingProfileNew(w, r, a, nil, pageStatus(status), msg, f)
		}})
}

// adminRoutingProfile shows a routing profile: name, default outbound queue, channels and
// its queue entries, each editable when the caller may (DescribeRoutingProfile).
func (h *Handler) adminRoutingProfile(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	id := r.PathValue("routingprofile")
	ev := h.adminEvent(r, a, a.action)
	ev.Resource = h.arn(a.user.InstanceID, "routing-profile", id)
	h.renderRoutingProfile(w, r, a, ev, id, http.StatusOK, "")
}

// renderRoutingProfile renders routing profile id (ev, when not nil, is the page view's
// event); after a refusal the posted form replaces the stored fields it holds.
func (h *Handler) renderRoutingProfile(w http.ResponseWriter, r *http.Request, a *adminRequest, ev *audit.Event, id string, status int, errMsg string) {
	inst := a.user.InstanceID
	d := adminRoutingProfileData{ID: id, CanName: a.allowed("UpdateRoutingProfileName"),
		CanOutbound: a.allowed("UpdateRoutingProfileDefaultOutboundQueue"), CanConcurrency: a.allowed("UpdateRoutingProfileConcurrency"),
		CanQueues: a.allowed("AssociateRoutingProfileQueues"), CanDelete: a.allowed("DeleteRoutingProfile")}
	if !h.routingView(w, r, ev, "routing profile", func(ctx context.Context, tx store.Tx) error {
		p, err := tx.GetRoutingProfile(ctx, inst, id)
		if err != nil {
			return err
		}
		d.Form, d.Default, d.Modified = formOfRoutingProfile(p), p.IsDefault, p.LastModified
		if r.Method == http.MethodPost {
			posted := formRoutingProfile(r)
			has := func(k string) bool { _, ok := r.PostForm[k]; return ok }
			if has("name") {
				d.Form.Name, d.Form.Description = posted.Name, posted.Description
			}
			if has("outbound_queue") {
				d.Form.OutboundQueueID = posted.OutboundQueueID
			}
			if has("concurrency_form") {
				d.Form.Channels = posted.Channels
			}
			if has("entry_form") {
				d.Form.Entry = posted.Entry
			}
		}
		return d.loadQueues(ctx, tx, inst, p.Queues)
	}) {
		return
	}
	h.adminRender(w, r, a, status, "admin_routingprofile", "Routing profile "+d.Form.Name, errMsg, d)
}

// routingProfileChange runs change on the path's routing profile and answers: back to its
// page with notice, or the page again with the refusal.
func (h *Handler) routingProfileChange(w http.ResponseWriter, r *http.Request, a *adminRequest, details map[string]string, bad error,
	change func(ctx context.Context, tx store.Tx, inst, id string, now time.Time) error) {
	inst, id := a.user.InstanceID, r.PathValue("routingprofile")
	h.routingAction(w, r, a, routingChange{kind: "routing-profile", id: id, details: details, bad: bad,
		change: func(ctx context.Context, tx store.Tx) error { return change(ctx, tx, inst, id, h.cfg.Now()) },
		done:   "/ui/admin/routing-profiles/" + id, notice: "routing-profile-updated",
		refused: func(status int, msg string) {
			h.renderRoutingProfile(w, r, a, nil, id, pageStatus(status), msg)
		}})
}

// adminRoutingProfileName changes the profile's name and description
// (UpdateRoutingProfileName).
func (h *Handler) adminRoutingProfileName(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	f := formRoutingProfile(r)
	h.routingProfileChange(w, r, a, nil, nil, func(ctx context.Context, tx store.Tx, inst, id string, now time.Time) error {
		return store.UpdateRoutingProfileName(ctx, tx, inst, id, now, &f.Name, &f.Description)
	})
}

// adminRoutingProfileOutbound changes the profile's default outbound queue
// (UpdateRoutingProfileDefaultOutboundQueue).
func (h *Handler) adminRoutingProfileOutbound(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	f := formRoutingProfile(r)
	h.routingProfileChange(w, r, a, nil, nil, func(ctx context.Context, tx store.Tx, inst, id string, now time.Time) error {
		return store.UpdateRoutingProfileDefaultOutboundQueue(ctx, tx, inst, id, now, f.OutboundQueueID)
	})
}

// adminRoutingProfileConcurrency replaces the profile's channels and their concurrency
// (UpdateRoutingProfileConcurrency).
func (h *Handler) adminRoutingProfileConcurrency(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	conc, bad := formRoutingProfile(r).concurrencies()
	h.routingProfileChange(w, r, a, map[string]string{"channels": strconv.Itoa(len(conc))}, bad,
		func(ctx context.Context, tx store.Tx, inst, id string, now time.Time) error {
			return store.UpdateRoutingProfileConcurrency(ctx, tx, inst, id, now, conc)
		})
}

// adminRoutingProfileAddQueues adds a queue to the profile on the ticked channels with a
// priority and delay (AssociateRoutingProfileQueues).
func (h *Handler) adminRoutingProfileAddQueues(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	add, bad := formRoutingProfile(r).Entry.entries(false)
	h.routingProfileChange(w, r, a, map[string]string{"queue_configs": strconv.Itoa(len(add))}, bad,
		func(ctx context.Context, tx store.Tx, inst, id string, now time.Time) error {
			return store.AssociateRoutingProfileQueues(ctx, tx, inst, id, now, add)
		})
}

// postedEntry reads the queue × channel of an entry form (fields queue and channel), with
// its priority and delay when withValues.
func postedEntry(r *http.Request, withValues bool) (routing.ProfileQueue, error) {
	_ = r.ParseForm()
	e := routing.ProfileQueue{QueueID: truncate(r.PostFormValue("queue"), routing.MaxResourceID+1), Channel: routing.Channel(truncate(r.PostFormValue("channel"), 16))}
	if !withValues {
		return e, nil
	}
	var err error
	if e.Priority, err = wholeNumber("Priority", r.PostFormValue("priority"), 1); err != nil {
		return e, err
	}
	e.DelaySeconds, err = wholeNumber("Delay", r.PostFormValue("delay"), 0)
	return e, err
}

// adminRoutingProfileUpdateQueue sets a new priority and delay on one of the profile's
// entries (UpdateRoutingProfileQueues).
func (h *Handler) adminRoutingProfileUpdateQueue(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	e, bad := postedEntry(r, true)
	h.routingProfileChange(w, r, a, map[string]string{"queue_configs": "1", "channel": string(e.Channel)}, bad,
		func(ctx context.Context, tx store.Tx, inst, id string, now time.Time) error {
			return store.UpdateRoutingProfileQueues(ctx, tx, inst, id, now, []routing.ProfileQueue{e})
		})
}

// adminRoutingProfileRemoveQueue removes one queue × channel entry from the profile
// (DisassociateRoutingProfileQueues).
func (h *Handler) adminRoutingProfileRemoveQueue(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	e, _ := postedEntry(r, false)
	h.routingProfileChange(w, r, a, map[string]string{"queue_configs": "1", "channel": string(e.Channel)}, nil,
		func(ctx context.Context, tx store.Tx, inst, id string, now time.Time) error {
			return store.DisassociateRoutingProfileQueues(ctx, tx, inst, id, now, []routing.ProfileQueue{e})
		})
}

// adminRoutingProfileDelete deletes the routing profile with its queue entries
// (DeleteRoutingProfile); the default profile and one that users have are refused on the
// page.
func (h *Handler) adminRoutingProfileDelete(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	inst, id := a.user.InstanceID, r.PathValue("routingprofile")
	h.routingAction(w, r, a, routingChange{kind: "routing-profile", id: id,
		change: func(ctx context.Context, tx store.Tx) error { return store.DeleteRoutingProfile(ctx, tx, inst, id) },
		done:   "/ui/admin/routing-profiles", notice: "routing-profile-deleted",
		refused: func(status int, msg string) {
			h.renderRoutingProfile(w, r, a, nil, id, pageStatus(status), msg)
		}})
}
