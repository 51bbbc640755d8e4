package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/store"
)

// weekdayNames are the days as the hours pages name them, Sunday first (time.Weekday order;
// Connect's HoursOfOperationDays spelling).
var weekdayNames = [...]string{"SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY"}

// adminHoursRow is one hours of operation of the list.
type adminHoursRow struct {
	ID, Name, TimeZone, Summary string
	// Queues counts the queues on these hours.
	Queues int
}

type adminHoursListData struct {
	Hours           []adminHoursRow
	More, CanCreate bool
}

// hoursSummary is a weekly schedule as "MONDAY 09:00–17:00, TUESDAY ...".
func hoursSummary(cfg []routing.HoursConfig) string {
	if len(cfg) == 0 {
		return "closed"
	}
	var parts []string
	for _, c := range cfg {
		parts = append(parts, fmt.Sprintf("%s %s–%s", weekdayNames[c.Day], clock(c.Start), clock(c.End)))
	}
	return strings.Join(parts, ", ")
}

// clock is a time of day as HH:MM.
func clock(t routing.TimeOfDay) string { return fmt.Sprintf("%02d:%02d", t.Hours, t.Minutes) }

// adminHoursList lists the instance's hours of operation by name with their time zone,
// weekly schedule and number of queues (ListHoursOfOperations).
func (h *Handler) adminHoursList(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	inst := a.user.InstanceID
	d := adminHoursListData{CanCreate: a.allowed("CreateHoursOfOperation")}
	err := h.adminView(r.Context(), h.adminEvent(r, a, a.action), func(ctx context.Context, tx store.Tx) error {
		hours, more, err := routingHours(ctx, tx, inst)
		if err != nil {
			return err
		}
		queues, moreQueues, err := routingQueues(ctx, tx, inst)
		if err != nil {
			return err
		}
		d.More = more || moreQueues
		uses := map[string]int{}
		for _, q := range queues {
			uses[q.HoursOfOperationID]++
		}
		for _, hr := range hours {
			d.Hours = append(d.Hours, adminHoursRow{ID: hr.ID, Name: hr.Name, TimeZone: hr.TimeZone, Summary: hoursSummary(hr.Config), Queues: uses[hr.ID]})
		}
		return nil
	})
	if err != nil {
		h.internalError(w, r, "list hours of operation", err)
		return
	}
	h.adminRender(w, r, a, http.StatusOK, "admin_hourslist", "Hours of operation", "", d)
}

// hoursPeriodForm is one row of the weekly schedule as typed: Day "" is an empty row.
type hoursPeriodForm struct {
	Day, Start, End string
}

// hoursForm is the hours of operation form as typed: shown again after a refusal.
type hoursForm struct {
	Name, Description, TimeZone string
	Periods                     []hoursPeriodForm
}

// blankPeriods is how many empty rows the schedule offers for new periods.
const blankPeriods = 3

// withBlankRows returns f with blankPeriods empty rows after its periods.
func (f hoursForm) withBlankRows() hoursForm {
	for range blankPeriods {
		f.Periods = append(f.Periods, hoursPeriodForm{})
	}
	return f
}

// formOfHours is the form of stored hours.
func formOfHours(hr routing.HoursRecord) hoursForm {
	f := hoursForm{Name: hr.Name, Description: hr.Description, TimeZone: hr.TimeZone}
	for _, c := range hr.Config {
		f.Periods = append(f.Periods, hoursPeriodForm{Day: weekdayNames[c.Day], Start: clock(c.Start), End: clock(c.End)})
	}
	return f
}

// newHoursForm is the new hours form as first shown: UTC, Monday to Friday 09:00–17:00.
func newHoursForm() hoursForm {
	f := hoursForm{TimeZone: "UTC"}
	for d := time.Monday; d <= time.Friday; d++ {
		f.Periods = append(f.Periods, hoursPeriodForm{Day: weekdayNames[d], Start: "09:00", End: "17:00"})
	}
	return f
}

// formHours reads the hours form: name, description, time zone and the rows of the
// schedule (fields day, start and end, repeated; at most routing.MaxHoursConfig+blankPeriods
// rows are read).
func formHours(r *http.Request) hoursForm {
	_ = r.ParseForm()
	f := hoursForm{Name: strings.TrimSpace(r.PostFormValue("name")), Description: r.PostFormValue("description"),
		TimeZone: truncate(strings.TrimSpace(r.PostFormValue("time_zone")), 64)}
	days, starts, ends := r.PostForm["day"], r.PostForm["start"], r.PostForm["end"]
	at := func(vs []string, i int) string {
		if i < len(vs) {
			return truncate(strings.TrimSpace(vs[i]), 16)
		}
		return ""
	}
	for i := range min(len(days), routing.MaxHoursConfig+blankPeriods) {
		f.Periods = append(f.Periods, hoursPeriodForm{Day: at(days, i), Start: at(starts, i), End: at(ends, i)})
	}
	return f
}

// parseClock reads an HH:MM time of day (what <input type="time"> sends); the ranges are
// routing.Compile's to check.
func parseClock(label, v string) (routing.TimeOfDay, error) {
	hh, mm, ok := strings.Cut(v, ":")
	hours, err1 := strconv.Atoi(hh)
	minutes, err2 := strconv.Atoi(mm)
	if !ok || err1 != nil || err2 != nil || len(hh) > 2 || len(mm) != 2 {
		return routing.TimeOfDay{}, apierr.InvalidParameter(label + " must be a time of day as HH:MM")
	}
	return routing.TimeOfDay{Hours: hours, Minutes: minutes}, nil
}

// config reads the schedule's rows into periods, skipping rows without a day; start equal
// to end is a whole day, end before start runs past midnight (routing.HoursConfig).
func (f hoursForm) config() ([]routing.HoursConfig, error) {
	out := []routing.HoursConfig{}
	for _, p := range f.Periods {
		if p.Day == "" {
			continue
		}
		day := -1
		for i, n := range weekdayNames {
			if n == p.Day {
				day = i
			}
		}
		if day < 0 {
			return nil, apierr.InvalidParameter("Day must be one of SUNDAY, MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY")
		}
		start, err := parseClock(p.Day+" start", p.Start)
		if err != nil {
			return nil, err
		}
		end, err := parseClock(p.Day+" end", p.End)
		if err != nil {
			return nil, err
		}
		out = append(out, routing.HoursConfig{Day: time.Weekday(day), Start: start, End: end})
	}
	return out, nil
}

// adminHoursData is the data of the hours of operation page (new or existing).
type adminHoursData struct {
	// ID is empty for new hours.
	ID       string
	Form     hoursForm
	Days     []string
	Modified time.Time
	CanEdit  bool
	// CanDelete offers DeleteHoursOfOperation.
	CanDelete bool
}

// adminHoursNew shows the new hours of operation form (CreateHoursOfOperation).
func (h *Handler) adminHoursNew(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	if err := h.adminRecord(r.Context(), h.adminEvent(r, a, a.action), nil); err != nil {
		h.internalError(w, r, "audit", err)
		return
	}
	h.adminRender(w, r, a, http.StatusOK, "admin_hours", "New hours of operation", "",
		adminHoursData{Form: newHoursForm().withBlankRows(), Days: weekdayNames[:], CanEdit: true})
}

// adminHoursCreate creates hours of operation (CreateHoursOfOperation,
// store.CreateHoursOfOperation).
func (h *Handler) adminHoursCreate(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	f := formHours(r)
	id := newRequestID(h.cfg.Rand)
	cfg, bad := f.config()
	hr := routing.HoursRecord{InstanceID: a.user.InstanceID, ID: id, Name: f.Name, Description: f.Description, TimeZone: f.TimeZone,
		Config: cfg, Tags: map[string]string{}, LastModified: h.cfg.Now().UTC().Truncate(time.Millisecond)}
	h.routingAction(w, r, a, routingChange{kind: "operating-hours", id: id, bad: bad,
		change: func(ctx context.Context, tx store.Tx) error { return store.CreateHoursOfOperation(ctx, tx, hr) },
		done:   "/ui/admin/hours/" + id, notice: "hours-created",
		refused: func(status int, msg string) {
			h.adminRender(w, r, a, pageStatus(status), "admin_hours", "New hours of operation", msg,
				adminHoursData{Form: f.withBlankRows(), Days: weekdayNames[:], CanEdit: true})
		}})
}

// adminHours shows hours of operation with their schedule, editable when the caller may
// (DescribeHoursOfOperation).
func (h *Handler) adminHours(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	id := r.PathValue("hours")
	ev := h.adminEvent(r, a, a.action)
	ev.Resource = h.arn(a.user.InstanceID, "operating-hours", id)
	h.renderHours(w, r, a, ev, id, http.StatusOK, "")
}

// renderHours renders hours id (ev, when not nil, is the page view's event); after a
// refusal the posted form replaces the stored one.
func (h *Handler) renderHours(w http.ResponseWriter, r *http.Request, a *adminRequest, ev *audit.Event, id string, status int, errMsg string) {
	d := adminHoursData{ID: id, Days: weekdayNames[:], CanEdit: a.allowed("UpdateHoursOfOperation"), CanDelete: a.allowed("DeleteHoursOfOperation")}
	if !h.routingView(w, r, ev, "hours of operation", func(ctx context.Context, tx store.Tx) error {
		hr, err := tx.GetHours(ctx, a.user.InstanceID, id)
		d.Form, d.Modified = formOfHours(hr), hr.LastModified
		return err
	}) {
		return
	}
	if r.Method == http.MethodPost {
		d.Form = formHours(r)
	}
	d.Form = d.Form.withBlankRows()
	h.adminRender(w, r, a, status, "admin_hours", "Hours of operation "+d.Form.Name, errMsg, d)
}

// adminHoursUpdate replaces the name, description, time zone and weekly schedule of hours
// of operation (UpdateHoursOfOperation). The instance's router takes the new schedule at
// once.
func (h *Handler) adminHoursUpdate(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	inst, id := a.user.InstanceID, r.PathValue("hours")
	f := formHours(r)
	cfg, bad := f.config()
	h.routingAction(w, r, a, routingChange{kind: "operating-hours", id: id, bad: bad,
		details: map[string]string{"periods": strconv.Itoa(len(cfg))},
		change: func(ctx context.Context, tx store.Tx) error {
			return store.UpdateHoursOfOperation(ctx, tx, inst, id, h.cfg.Now(), &f.Name, &f.Description, &f.TimeZone, cfg)
		},
		done: "/ui/admin/hours/" + id, notice: "hours-updated",
		refused: func(status int, msg string) {
			h.renderHours(w, r, a, nil, id, pageStatus(status), msg)
		}})
}

// adminHoursDelete deletes the hours of operation with their overrides
// (DeleteHoursOfOperation); hours a queue uses are refused on the page.
func (h *Handler) adminHoursDelete(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	inst, id := a.user.InstanceID, r.PathValue("hours")
	h.routingAction(w, r, a, routingChange{kind: "operating-hours", id: id,
		change: func(ctx context.Context, tx store.Tx) error { return store.DeleteHoursOfOperation(ctx, tx, inst, id) },
		done:   "/ui/admin/hours", notice: "hours-deleted",
		refused: func(status int, msg string) {
			h.renderHours(w, r, a, nil, id, pageStatus(status), msg)
		}})
}
