package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/routing"
)

// Routing configuration (routing.ConfigStore). Weekly hours, override periods, media
// concurrency and tags are JSON columns in the shapes below; routing-profile queue entries
// are rows of routing_profile_queues, kept in the order given.

type periodJSON struct {
	Day    int `json:"day"`
	StartH int `json:"start_h"`
	StartM int `json:"start_m"`
	EndH   int `json:"end_h"`
	EndM   int `json:"end_m"`
}

func encodePeriods(cfg []routing.HoursConfig) (string, error) {
	out := make([]periodJSON, 0, len(cfg))
	for _, p := range cfg {
		out = append(out, periodJSON{Day: int(p.Day), StartH: p.Start.Hours, StartM: p.Start.Minutes, EndH: p.End.Hours, EndM: p.End.Minutes})
	}
	b, err := json.Marshal(out)
	return string(b), err
}

func decodePeriods(s string) ([]routing.HoursConfig, error) {
	var in []periodJSON
	if err := json.Unmarshal([]byte(s), &in); err != nil {
		return nil, fmt.Errorf("decode hours config: %w", err)
	}
	var out []routing.HoursConfig
	for _, p := range in {
		out = append(out, routing.HoursConfig{Day: time.Weekday(p.Day),
			Start: routing.TimeOfDay{Hours: p.StartH, Minutes: p.StartM}, End: routing.TimeOfDay{Hours: p.EndH, Minutes: p.EndM}})
	}
	return out, nil
}

type concurrencyJSON struct {
	Channel     string `json:"channel"`
	Concurrency int    `json:"concurrency"`
	Cross       string `json:"cross,omitempty"`
}

func encodeTags(tags map[string]string) (string, error) {
	if tags == nil {
		tags = map[string]string{}
	}
	b, err := json.Marshal(tags)
	return string(b), err
}

func decodeTags(s string) (map[string]string, error) {
	var tags map[string]string
	if err := json.Unmarshal([]byte(s), &tags); err != nil {
		return nil, fmt.Errorf("decode tags: %w", err)
	}
	return tags, nil
}

// inList returns " AND col IN (?, ...)" and its arguments, or nothing for an empty list.
func inList[T ~string](col string, vals []T) (string, []any) {
	if len(vals) == 0 {
		return "", nil
	}
	args := make([]any, 0, len(vals))
	for _, v := range vals {
		args = append(args, string(v))
	}
	return ` AND ` + col + ` IN (?` + strings.Repeat(`, ?`, len(vals)-1) + `)`, args
}

// collect scans every row with scan.
func collect[T any](rows *rowSet, err error, what string, scan func(interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list %s: %w", what, err)
	}
	return out, nil
}

// one maps a missing row to ResourceNotFoundException.
func one[T any](v T, err error, op, kind, id string) (T, error) {
	if errors.Is(err, sql.ErrNoRows) {
		return v, apierr.NotFound(kind, id)
	}
	if err != nil {
		return v, fmt.Errorf("%s: %w", op, err)
	}
	return v, nil
}

// written maps a unique violation to DuplicateResourceException naming the kind and name.
func (t *txn) written(err error, op, kind, name string) error {
	if err != nil && t.s.dialect.IsUniqueViolation(err) {
		return apierr.New(apierr.CodeDuplicateResource, "a %s named %q already exists", kind, name)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// deleteRoutingConfig removes the routing configuration of an instance, dependents first. The
// references between these tables do not cascade (a queue in use must not vanish with its
// hours), so the instance's ON DELETE CASCADE alone would trip them on PostgreSQL.
func (t *txn) deleteRoutingConfig(ctx context.Context, instanceID string) error {
	for _, table := range []string{"queue_quick_connects", "quick_connects", "user_statuses", "agent_statuses", "routing_profile_queues", "routing_profiles",
		"queues", "hours_of_operation_overrides", "hours_of_operation"} {
		if _, err := t.exec(ctx, `DELETE FROM `+table+` WHERE instance_id = ?`, instanceID); err != nil {
			return fmt.Errorf("delete %s: %w", table, err)
		}
	}
	return nil
}

// ---- hours of operation ----

const hoursCols = `instance_id, id, name, description, time_zone, config, tags, last_modified_ms`

func (t *txn) CreateHours(ctx context.Context, h routing.HoursRecord) error {
	cfg, err := encodePeriods(h.Config)
	if err != nil {
		return fmt.Errorf("create hours: %w", err)
	}
	tags, err := encodeTags(h.Tags)
	if err != nil {
		return fmt.Errorf("create hours: %w", err)
	}
	_, err = t.exec(ctx, `INSERT INTO hours_of_operation (`+hoursCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		h.InstanceID, h.ID, h.Name, h.Description, h.TimeZone, cfg, tags, ms(h.LastModified))
	return t.written(err, "create hours", "hours of operation", h.Name)
}

func scanHours(sc interface{ Scan(...any) error }) (routing.HoursRecord, error) {
	var (
		h         routing.HoursRecord
		cfg, tags string
		modified  int64
	)
	if err := sc.Scan(&h.InstanceID, &h.ID, &h.Name, &h.Description, &h.TimeZone, &cfg, &tags, &modified); err != nil {
		return h, err
	}
	var err error
	if h.Config, err = decodePeriods(cfg); err != nil {
		return h, err
	}
	if h.Tags, err = decodeTags(tags); err != nil {
		return h, err
	}
	h.LastModified = fromMS(modified)
	return h, nil
}

func (t *txn) GetHours(ctx context.Context, instanceID, id string) (routing.HoursRecord, error) {
	h, err := scanHours(t.row(ctx, `SELECT `+hoursCols+` FROM hours_of_operation WHERE instance_id = ? AND id = ?`, instanceID, id))
	return one(h, err, "get hours", "hours of operation", id)
}

func (t *txn) ListHours(ctx context.Context, instanceID, after string, limit int) ([]routing.HoursRecord, error) {
	rows, err := t.rows(ctx, `SELECT `+hoursCols+` FROM hours_of_operation WHERE instance_id = ? AND id > ? ORDER BY id LIMIT ?`, instanceID, after, limit)
	return collect(rows, err, "hours", scanHours)
}

func (t *txn) UpdateHours(ctx context.Context, h routing.HoursRecord) error {
	cfg, err := encodePeriods(h.Config)
	if err != nil {
		return fmt.Errorf("update hours: %w", err)
	}
	tags, err := encodeTags(h.Tags)
	if err != nil {
		return fmt.Errorf("update hours: %w", err)
	}
	res, err := t.exec(ctx, `UPDATE hours_of_operation SET name = ?, description = ?, time_zone = ?, config = ?, tags = ?, last_modified_ms = ?
		WHERE instance_id = ? AND id = ?`, h.Name, h.Description, h.TimeZone, cfg, tags, ms(h.LastModified), h.InstanceID, h.ID)
	if err := t.written(err, "update hours", "hours of operation", h.Name); err != nil {
		return err
	}
	if err := mustAffect(res, nil, "hours of operation", h.ID); err != nil {
		return fmt.Errorf("update hours: %w", err)
	}
	return nil
}

const overrideCols = `instance_id, hours_id, id, name, description, effective_from, effective_till, config`

func (t *txn) CreateHoursOverride(ctx context.Context, o routing.HoursOverrideRecord) error {
	cfg, err := encodePeriods(o.Config)
	if err != nil {
		return fmt.Errorf("create hours override: %w", err)
	}
	_, err = t.exec(ctx, `INSERT INTO hours_of_operation_overrides (`+overrideCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		o.InstanceID, o.HoursID, o.ID, o.Name, o.Description, o.EffectiveFrom, o.EffectiveTill, cfg)
	return t.written(err, "create hours override", "hours of operation override", o.Name)
}

func scanOverride(sc interface{ Scan(...any) error }) (routing.HoursOverrideRecord, error) {
	var (
		o   routing.HoursOverrideRecord
		cfg string
	)
	if err := sc.Scan(&o.InstanceID, &o.HoursID, &o.ID, &o.Name, &o.Description, &o.EffectiveFrom, &o.EffectiveTill, &cfg); err != nil {
		return o, err
	}
	var err error
	o.Config, err = decodePeriods(cfg)
	return o, err
}

func (t *txn) ListHoursOverrides(ctx context.Context, instanceID, hoursID, after string, limit int) ([]routing.HoursOverrideRecord, error) {
	rows, err := t.rows(ctx, `SELECT `+overrideCols+` FROM hours_of_operation_overrides WHERE instance_id = ? AND hours_id = ? AND id > ? ORDER BY id LIMIT ?`,
		instanceID, hoursID, after, limit)
	return collect(rows, err, "hours overrides", scanOverride)
}

// ---- queues ----

const queueCols = `instance_id, id, name, description, hours_id, max_contacts, status, outbound_caller_id_name,
	outbound_caller_id_number_id, outbound_flow_id, tags, last_modified_ms`

func (t *txn) CreateQueue(ctx context.Context, q routing.QueueRecord) error {
	tags, err := encodeTags(q.Tags)
	if err != nil {
		return fmt.Errorf("create queue: %w", err)
	}
	_, err = t.exec(ctx, `INSERT INTO queues (`+queueCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		q.InstanceID, q.ID, q.Name, q.Description, q.HoursOfOperationID, q.MaxContacts, string(q.Status), q.OutboundCallerIDName,
		q.OutboundCallerIDNumberID, q.OutboundFlowID, tags, ms(q.LastModified))
	return t.written(err, "create queue", "queue", q.Name)
}

func scanQueue(sc interface{ Scan(...any) error }) (routing.QueueRecord, error) {
	var (
		q            routing.QueueRecord
		status, tags string
		modified     int64
	)
	if err := sc.Scan(&q.InstanceID, &q.ID, &q.Name, &q.Description, &q.HoursOfOperationID, &q.MaxContacts, &status,
		&q.OutboundCallerIDName, &q.OutboundCallerIDNumberID, &q.OutboundFlowID, &tags, &modified); err != nil {
		return q, err
	}
	q.Status, q.LastModified = routing.QueueStatus(status), fromMS(modified)
	var err error
	q.Tags, err = decodeTags(tags)
	return q, err
}

func (t *txn) GetQueue(ctx context.Context, instanceID, id string) (routing.QueueRecord, error) {
	q, err := scanQueue(t.row(ctx, `SELECT `+queueCols+` FROM queues WHERE instance_id = ? AND id = ?`, instanceID, id))
	return one(q, err, "get queue", "queue", id)
}

func (t *txn) ListQueues(ctx context.Context, instanceID, after string, limit int) ([]routing.QueueRecord, error) {
	rows, err := t.rows(ctx, `SELECT `+queueCols+` FROM queues WHERE instance_id = ? AND id > ? ORDER BY id LIMIT ?`, instanceID, after, limit)
	return collect(rows, err, "queues", scanQueue)
}

func (t *txn) UpdateQueue(ctx context.Context, q routing.QueueRecord) error {
	tags, err := encodeTags(q.Tags)
	if err != nil {
		return fmt.Errorf("update queue: %w", err)
	}
	res, err := t.exec(ctx, `UPDATE queues SET name = ?, description = ?, hours_id = ?, max_contacts = ?, status = ?, outbound_caller_id_name = ?,
		outbound_caller_id_number_id = ?, outbound_flow_id = ?, tags = ?, last_modified_ms = ? WHERE instance_id = ? AND id = ?`,
		q.Name, q.Description, q.HoursOfOperationID, q.MaxContacts, string(q.Status), q.OutboundCallerIDName,
		q.OutboundCallerIDNumberID, q.OutboundFlowID, tags, ms(q.LastModified), q.InstanceID, q.ID)
	if err := t.written(err, "update queue", "queue", q.Name); err != nil {
		return err
	}
	if err := mustAffect(res, nil, "queue", q.ID); err != nil {
		return fmt.Errorf("update queue: %w", err)
	}
	return nil
}

// ---- routing profiles ----

const profileCols = `instance_id, id, name, description, default_outbound_queue_id, media_concurrencies, agent_availability_timer,
	is_default, tags, last_modified_ms`

func encodeConcurrency(ms []routing.MediaConcurrency) (string, error) {
	out := make([]concurrencyJSON, 0, len(ms))
	for _, m := range ms {
		out = append(out, concurrencyJSON{Channel: string(m.Channel), Concurrency: m.Concurrency, Cross: string(m.CrossChannelBehavior)})
	}
	b, err := json.Marshal(out)
	return string(b), err
}

func (t *txn) CreateRoutingProfile(ctx context.Context, p routing.RoutingProfileRecord) error {
	conc, err := encodeConcurrency(p.MediaConcurrencies)
	if err != nil {
		return fmt.Errorf("create routing profile: %w", err)
	}
	tags, err := encodeTags(p.Tags)
	if err != nil {
		return fmt.Errorf("create routing profile: %w", err)
	}
	_, err = t.exec(ctx, `INSERT INTO routing_profiles (`+profileCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.InstanceID, p.ID, p.Name, p.Description, p.DefaultOutboundQueueID, conc, string(p.AgentAvailabilityTimer), p.IsDefault,
		tags, ms(p.LastModified))
	if err := t.written(err, "create routing profile", "routing profile", p.Name); err != nil {
		return err
	}
	return t.putProfileQueues(ctx, p)
}

// putProfileQueues replaces the queue entries of profile p.
func (t *txn) putProfileQueues(ctx context.Context, p routing.RoutingProfileRecord) error {
	if _, err := t.exec(ctx, `DELETE FROM routing_profile_queues WHERE instance_id = ? AND profile_id = ?`, p.InstanceID, p.ID); err != nil {
		return fmt.Errorf("put routing profile queues: %w", err)
	}
	for i, e := range p.Queues {
		_, err := t.exec(ctx, `INSERT INTO routing_profile_queues (instance_id, profile_id, queue_id, channel, priority, delay_seconds, entry_order)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, p.InstanceID, p.ID, e.QueueID, string(e.Channel), e.Priority, e.DelaySeconds, i)
		if err != nil && t.s.dialect.IsUniqueViolation(err) {
			return apierr.InvalidParameter(fmt.Sprintf("routing profile: queue %q channel %s listed twice", e.QueueID, e.Channel))
		}
		if err != nil {
			return fmt.Errorf("put routing profile queues: %w", err)
		}
	}
	return nil
}

func scanProfile(sc interface{ Scan(...any) error }) (routing.RoutingProfileRecord, error) {
	var (
		p                 routing.RoutingProfileRecord
		conc, timer, tags string
		modified          int64
	)
	if err := sc.Scan(&p.InstanceID, &p.ID, &p.Name, &p.Description, &p.DefaultOutboundQueueID, &conc, &timer, &p.IsDefault,
		&tags, &modified); err != nil {
		return p, err
	}
	p.AgentAvailabilityTimer, p.LastModified = routing.AgentAvailabilityTimer(timer), fromMS(modified)
	var cs []concurrencyJSON
	if err := json.Unmarshal([]byte(conc), &cs); err != nil {
		return p, fmt.Errorf("decode media concurrency: %w", err)
	}
	for _, c := range cs {
		p.MediaConcurrencies = append(p.MediaConcurrencies, routing.MediaConcurrency{Channel: routing.Channel(c.Channel),
			Concurrency: c.Concurrency, CrossChannelBehavior: routing.CrossChannelBehavior(c.Cross)})
	}
	var err error
	p.Tags, err = decodeTags(tags)
	return p, err
}

// loadProfileQueues fills the queue entries of the given profiles of one instance.
func (t *txn) loadProfileQueues(ctx context.Context, instanceID string, ps []routing.RoutingProfileRecord) error {
	if len(ps) == 0 {
		return nil
	}
	byID := make(map[string]*routing.RoutingProfileRecord, len(ps))
	ids := make([]string, 0, len(ps))
	for i := range ps {
		byID[ps[i].ID] = &ps[i]
		ids = append(ids, ps[i].ID)
	}
	in, args := inList("profile_id", ids)
	rows, err := t.rows(ctx, `SELECT profile_id, queue_id, channel, priority, delay_seconds FROM routing_profile_queues
		WHERE instance_id = ?`+in+` ORDER BY profile_id, entry_order`, append([]any{instanceID}, args...)...)
	type entry struct {
		profile string
		routing.ProfileQueue
	}
	entries, err := collect(rows, err, "routing profile queues", func(sc interface{ Scan(...any) error }) (entry, error) {
		var (
			e  entry
			ch string
		)
		err := sc.Scan(&e.profile, &e.QueueID, &ch, &e.Priority, &e.DelaySeconds)
		e.Channel = routing.Channel(ch)
		return e, err
	})
	if err != nil {
		return err
	}
	for _, e := range entries {
		p := byID[e.profile]
		p.Queues = append(p.Queues, e.ProfileQueue)
	}
	return nil
}

func (t *txn) GetRoutingProfile(ctx context.Context, instanceID, id string) (routing.RoutingProfileRecord, error) {
	p, err := scanProfile(t.row(ctx, `SELECT `+profileCols+` FROM routing_profiles WHERE instance_id = ? AND id = ?`, instanceID, id))
	if p, err = one(p, err, "get routing profile", "routing profile", id); err != nil {
		return p, err
	}
	ps := []routing.RoutingProfileRecord{p}
	if err := t.loadProfileQueues(ctx, instanceID, ps); err != nil {
		return p, fmt.Errorf("get routing profile: %w", err)
	}
	return ps[0], nil
}

func (t *txn) ListRoutingProfiles(ctx context.Context, instanceID, after string, limit int) ([]routing.RoutingProfileRecord, error) {
	rows, err := t.rows(ctx, `SELECT `+profileCols+` FROM routing_profiles WHERE instance_id = ? AND id > ? ORDER BY id LIMIT ?`, instanceID, after, limit)
	ps, err := collect(rows, err, "routing profiles", scanProfile)
	if err != nil {
		return nil, err
	}
	if err := t.loadProfileQueues(ctx, instanceID, ps); err != nil {
		return nil, fmt.Errorf("list routing profiles: %w", err)
	}
	return ps, nil
}

func (t *txn) UpdateRoutingProfile(ctx context.Context, p routing.RoutingProfileRecord) error {
	conc, err := encodeConcurrency(p.MediaConcurrencies)
	if err != nil {
		return fmt.Errorf("update routing profile: %w", err)
	}
	tags, err := encodeTags(p.Tags)
	if err != nil {
		return fmt.Errorf("update routing profile: %w", err)
	}
	res, err := t.exec(ctx, `UPDATE routing_profiles SET name = ?, description = ?, default_outbound_queue_id = ?, media_concurrencies = ?,
		agent_availability_timer = ?, is_default = ?, tags = ?, last_modified_ms = ? WHERE instance_id = ? AND id = ?`,
		p.Name, p.Description, p.DefaultOutboundQueueID, conc, string(p.AgentAvailabilityTimer), p.IsDefault, tags, ms(p.LastModified),
		p.InstanceID, p.ID)
	if err := t.written(err, "update routing profile", "routing profile", p.Name); err != nil {
		return err
	}
	if err := mustAffect(res, nil, "routing profile", p.ID); err != nil {
		return fmt.Errorf("update routing profile: %w", err)
	}
	return t.putProfileQueues(ctx, p)
}

// ---- agent statuses ----

const statusCols = `instance_id, id, name, description, type, state, display_order, tags, last_modified_ms`

func (t *txn) CreateAgentStatus(ctx context.Context, s routing.AgentStatusRecord) error {
	tags, err := encodeTags(s.Tags)
	if err != nil {
		return fmt.Errorf("create agent status: %w", err)
	}
	_, err = t.exec(ctx, `INSERT INTO agent_statuses (`+statusCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.InstanceID, s.ID, s.Name, s.Description, string(s.Type), string(s.State), s.DisplayOrder, tags, ms(s.LastModified))
	return t.written(err, "create agent status", "agent status", s.Name)
}

func scanStatus(sc interface{ Scan(...any) error }) (routing.AgentStatusRecord, error) {
	var (
		s                routing.AgentStatusRecord
		typ, state, tags string
		modified         int64
	)
	if err := sc.Scan(&s.InstanceID, &s.ID, &s.Name, &s.Description, &typ, &state, &s.DisplayOrder, &tags, &modified); err != nil {
		return s, err
	}
	s.Type, s.State = routing.StatusType(typ), routing.AgentStatusState(state)
	s.LastModified = fromMS(modified)
	var err error
	s.Tags, err = decodeTags(tags)
	return s, err
}

func (t *txn) GetAgentStatus(ctx context.Context, instanceID, id string) (routing.AgentStatusRecord, error) {
	s, err := scanStatus(t.row(ctx, `SELECT `+statusCols+` FROM agent_statuses WHERE instance_id = ? AND id = ?`, instanceID, id))
	return one(s, err, "get agent status", "agent status", id)
}

func (t *txn) ListAgentStatuses(ctx context.Context, instanceID string, types []routing.StatusType, after string, limit int) ([]routing.AgentStatusRecord, error) {
	in, args := inList("type", types)
	rows, err := t.rows(ctx, `SELECT `+statusCols+` FROM agent_statuses WHERE instance_id = ? AND id > ?`+in+` ORDER BY id LIMIT ?`,
		append(append([]any{instanceID, after}, args...), limit)...)
	return collect(rows, err, "agent statuses", scanStatus)
}

func (t *txn) UpdateAgentStatus(ctx context.Context, s routing.AgentStatusRecord) error {
	tags, err := encodeTags(s.Tags)
	if err != nil {
		return fmt.Errorf("update agent status: %w", err)
	}
	res, err := t.exec(ctx, `UPDATE agent_statuses SET name = ?, description = ?, type = ?, state = ?, display_order = ?, tags = ?, last_modified_ms = ?
		WHERE instance_id = ? AND id = ?`, s.Name, s.Description, string(s.Type), string(s.State), s.DisplayOrder, tags, ms(s.LastModified),
		s.InstanceID, s.ID)
	if err := t.written(err, "update agent status", "agent status", s.Name); err != nil {
		return err
	}
	if err := mustAffect(res, nil, "agent status", s.ID); err != nil {
		return fmt.Errorf("update agent status: %w", err)
	}
	return nil
}

func (t *txn) SetUserStatus(ctx context.Context, s routing.UserStatus) error {
	_, err := t.exec(ctx, `INSERT INTO user_statuses (instance_id, user_id, agent_status_id, since_ms) VALUES (?, ?, ?, ?)
		ON CONFLICT (instance_id, user_id) DO UPDATE SET agent_status_id = excluded.agent_status_id, since_ms = excluded.since_ms`,
		s.InstanceID, s.UserID, s.AgentStatusID, ms(s.Since))
	if err != nil {
		return fmt.Errorf("set user status: %w", err)
	}
	return nil
}

func (t *txn) GetUserStatus(ctx context.Context, instanceID, userID string) (routing.UserStatus, error) {
	s := routing.UserStatus{InstanceID: instanceID, UserID: userID}
	var since int64
	err := t.row(ctx, `SELECT agent_status_id, since_ms FROM user_statuses WHERE instance_id = ? AND user_id = ?`, instanceID, userID).
		Scan(&s.AgentStatusID, &since)
	s.Since = fromMS(since)
	return one(s, err, "get user status", "status of user", userID)
}

// ---- quick connects ----

const quickConnectCols = `instance_id, id, name, description, type, user_id, queue_id, contact_flow_id, phone_number, tags, last_modified_ms`

func (t *txn) CreateQuickConnect(ctx context.Context, q routing.QuickConnectRecord) error {
	tags, err := encodeTags(q.Tags)
	if err != nil {
		return fmt.Errorf("create quick connect: %w", err)
	}
	_, err = t.exec(ctx, `INSERT INTO quick_connects (`+quickConnectCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		q.InstanceID, q.ID, q.Name, q.Description, string(q.Type), q.UserID, q.QueueID, q.ContactFlowID, q.PhoneNumber, tags, ms(q.LastModified))
	return t.written(err, "create quick connect", "quick connect", q.Name)
}

func scanQuickConnect(sc interface{ Scan(...any) error }) (routing.QuickConnectRecord, error) {
	var (
		q         routing.QuickConnectRecord
		typ, tags string
		modified  int64
	)
	if err := sc.Scan(&q.InstanceID, &q.ID, &q.Name, &q.Description, &typ, &q.UserID, &q.QueueID, &q.ContactFlowID, &q.PhoneNumber,
		&tags, &modified); err != nil {
		return q, err
	}
	q.Type, q.LastModified = routing.QuickConnectType(typ), fromMS(modified)
	var err error
	q.Tags, err = decodeTags(tags)
	return q, err
}

func (t *txn) GetQuickConnect(ctx context.Context, instanceID, id string) (routing.QuickConnectRecord, error) {
	q, err := scanQuickConnect(t.row(ctx, `SELECT `+quickConnectCols+` FROM quick_connects WHERE instance_id = ? AND id = ?`, instanceID, id))
	return one(q, err, "get quick connect", "quick connect", id)
}

func (t *txn) ListQuickConnects(ctx context.Context, instanceID string, types []routing.QuickConnectType, after string, limit int) ([]routing.QuickConnectRecord, error) {
	in, args := inList("type", types)
	rows, err := t.rows(ctx, `SELECT `+quickConnectCols+` FROM quick_connects WHERE instance_id = ? AND id > ?`+in+` ORDER BY id LIMIT ?`,
		append(append([]any{instanceID, after}, args...), limit)...)
	return collect(rows, err, "quick connects", scanQuickConnect)
}

func (t *txn) DeleteQuickConnect(ctx context.Context, instanceID, id string) error {
	res, err := t.exec(ctx, `DELETE FROM quick_connects WHERE instance_id = ? AND id = ?`, instanceID, id)
	if err := mustAffect(res, err, "quick connect", id); err != nil {
		return fmt.Errorf("delete quick connect: %w", err)
	}
	return nil
}

func (t *txn) UpdateQuickConnect(ctx context.Context, q routing.QuickConnectRecord) error {
	tags, err := encodeTags(q.Tags)
	if err != nil {
		return fmt.Errorf("update quick connect: %w", err)
	}
	res, err := t.exec(ctx, `UPDATE quick_connects SET name = ?, description = ?, type = ?, user_id = ?, queue_id = ?, contact_flow_id = ?,
		phone_number = ?, tags = ?, last_modified_ms = ? WHERE instance_id = ? AND id = ?`,
		q.Name, q.Description, string(q.Type), q.UserID, q.QueueID, q.ContactFlowID, q.PhoneNumber, tags, ms(q.LastModified), q.InstanceID, q.ID)
	if err := t.written(err, "update quick connect", "quick connect", q.Name); err != nil {
		return err
	}
	return mustAffect(res, nil, "quick connect", q.ID)
}

// requireQueue answers ResourceNotFoundException for a queue the instance does not have.
func (t *txn) requireQueue(ctx context.Context, instanceID, queueID string) error {
	var one int
	err := t.row(ctx, `SELECT 1 FROM queues WHERE instance_id = ? AND id = ?`, instanceID, queueID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return apierr.NotFound("queue", queueID)
	}
	return err
}

func (t *txn) AssociateQueueQuickConnects(ctx context.Context, instanceID, queueID string, ids []string) error {
	if err := t.requireQueue(ctx, instanceID, queueID); err != nil {
		return fmt.Errorf("associate queue quick connects: %w", err)
	}
	for _, id := range ids {
		var one int
		err := t.row(ctx, `SELECT 1 FROM quick_connects WHERE instance_id = ? AND id = ?`, instanceID, id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return apierr.NotFound("quick connect", id)
		}
		if err != nil {
			return fmt.Errorf("associate queue quick connects: %w", err)
		}
		if _, err := t.exec(ctx, `INSERT INTO queue_quick_connects (instance_id, queue_id, quick_connect_id) VALUES (?, ?, ?)
			ON CONFLICT (instance_id, queue_id, quick_connect_id) DO NOTHING`, instanceID, queueID, id); err != nil {
			return fmt.Errorf("associate queue quick connects: %w", err)
		}
	}
	return nil
}

func (t *txn) DisassociateQueueQuickConnects(ctx context.Context, instanceID, queueID string, ids []string) error {
	if err := t.requireQueue(ctx, instanceID, queueID); err != nil {
		return fmt.Errorf("disassociate queue quick connects: %w", err)
	}
	for _, id := range ids {
		if _, err := t.exec(ctx, `DELETE FROM queue_quick_connects WHERE instance_id = ? AND queue_id = ? AND quick_connect_id = ?`,
			instanceID, queueID, id); err != nil {
			return fmt.Errorf("disassociate queue quick connects: %w", err)
		}
	}
	return nil
}

func (t *txn) ListQueueQuickConnects(ctx context.Context, instanceID, queueID, after string, limit int) ([]routing.QuickConnectRecord, error) {
	if err := t.requireQueue(ctx, instanceID, queueID); err != nil {
		return nil, fmt.Errorf("list queue quick connects: %w", err)
	}
	rows, err := t.rows(ctx, `SELECT `+qualified("q.", quickConnectCols)+` FROM queue_quick_connects a
		JOIN quick_connects q ON q.instance_id = a.instance_id AND q.id = a.quick_connect_id
		WHERE a.instance_id = ? AND a.queue_id = ? AND a.quick_connect_id > ? ORDER BY a.quick_connect_id LIMIT ?`, instanceID, queueID, after, limit)
	return collect(rows, err, "queue quick connects", scanQuickConnect)
}

// qualified prefixes every column of a comma-separated column list with prefix ("q.").
func qualified(prefix, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

func (t *txn) DeleteHours(ctx context.Context, instanceID, id string) error {
	if _, err := t.GetHours(ctx, instanceID, id); err != nil {
		return err
	}
	var one int
	err := t.row(ctx, `SELECT 1 FROM queues WHERE instance_id = ? AND hours_id = ? LIMIT 1`, instanceID, id).Scan(&one)
	switch {
	case err == nil:
		return apierr.New(apierr.CodeResourceInUse, "hours of operation %s are used by a queue; give the queue other hours first", id)
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("delete hours: %w", err)
	}
	if _, err := t.exec(ctx, `DELETE FROM hours_of_operation_overrides WHERE instance_id = ? AND hours_id = ?`, instanceID, id); err != nil {
		return fmt.Errorf("delete hours: overrides: %w", err)
	}
	res, err := t.exec(ctx, `DELETE FROM hours_of_operation WHERE instance_id = ? AND id = ?`, instanceID, id)
	if err := mustAffect(res, err, "hours of operation", id); err != nil {
		return fmt.Errorf("delete hours: %w", err)
	}
	return nil
}

func (t *txn) DeleteRoutingProfile(ctx context.Context, instanceID, id string) error {
	p, err := t.GetRoutingProfile(ctx, instanceID, id)
	if err != nil {
		return err
	}
	if p.IsDefault {
		return apierr.New(apierr.CodeResourceInUse, "the instance's default routing profile cannot be deleted")
	}
	var one int
	err = t.row(ctx, `SELECT 1 FROM users WHERE instance_id = ? AND routing_profile_id = ? LIMIT 1`, instanceID, id).Scan(&one)
	switch {
	case err == nil:
		return apierr.New(apierr.CodeResourceInUse, "routing profile %s is assigned to users; give them another routing profile first", id)
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("delete routing profile: %w", err)
	}
	if _, err := t.exec(ctx, `DELETE FROM routing_profile_queues WHERE instance_id = ? AND profile_id = ?`, instanceID, id); err != nil {
		return fmt.Errorf("delete routing profile: queues: %w", err)
	}
	res, err := t.exec(ctx, `DELETE FROM routing_profiles WHERE instance_id = ? AND id = ?`, instanceID, id)
	if err := mustAffect(res, err, "routing profile", id); err != nil {
		return fmt.Errorf("delete routing profile: %w", err)
	}
	return nil
}
