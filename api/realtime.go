package api

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/store"
)

// metricOperations are the metrics operations of the Connect API: real-time queue metrics and
// agent data from the instance's router (the same numbers the flow actions CheckMetricData
// and GetMetricData read), and historical metrics computed from stored contacts.
func metricOperations() []operation {
	return []operation{
		{name: "GetCurrentMetricData", pattern: "POST /metrics/current/{InstanceId}", handle: (*Server).getCurrentMetricData},
		{name: "GetCurrentUserData", pattern: "POST /metrics/userdata/{InstanceId}", handle: (*Server).getCurrentUserData},
		{name: "GetMetricDataV2", pattern: "POST /metrics/data", handle: (*Server).getMetricDataV2, bodyInstanceARN: true},
	}
}

// currentMetricDef is one real-time metric: its unit and how it is read from the router's
// queue metrics. Source: Connect API reference, GetCurrentMetricData, CurrentMetrics; the
// administrator guide's "Real-time metrics definitions".
type currentMetricDef struct {
	unit  string
	value func(routing.QueueMetrics) float64
}

// currentMetrics are the real-time metrics GetCurrentMetricData answers.
var currentMetrics = map[string]currentMetricDef{
	"AGENTS_ONLINE":             {"COUNT", func(m routing.QueueMetrics) float64 { return float64(m.AgentsOnline) }},
	"AGENTS_AVAILABLE":          {"COUNT", func(m routing.QueueMetrics) float64 { return float64(m.AgentsAvailable) }},
	"AGENTS_ON_CONTACT":         {"COUNT", func(m routing.QueueMetrics) float64 { return float64(m.AgentsOnContact) }},
	"AGENTS_ON_CALL":            {"COUNT", func(m routing.QueueMetrics) float64 { return float64(m.AgentsOnContact) }},
	"AGENTS_STAFFED":            {"COUNT", func(m routing.QueueMetrics) float64 { return float64(m.AgentsStaffed) }},
	"AGENTS_AFTER_CONTACT_WORK": {"COUNT", func(m routing.QueueMetrics) float64 { return float64(m.AgentsAfterContactWork) }},
	"AGENTS_NON_PRODUCTIVE":     {"COUNT", func(m routing.QueueMetrics) float64 { return float64(m.AgentsNonProductive) }},
	"AGENTS_ERROR":              {"COUNT", func(m routing.QueueMetrics) float64 { return float64(m.AgentsMissed) }},
	"CONTACTS_IN_QUEUE":         {"COUNT", func(m routing.QueueMetrics) float64 { return float64(m.ContactsInQueue) }},
	"OLDEST_CONTACT_AGE":        {"SECONDS", func(m routing.QueueMetrics) float64 { return float64(m.OldestContactAge.Milliseconds()) / 1000 }},
	// Scheduled tasks enter a queue only when their flow runs at the scheduled time, so no
	// queue holds a scheduled contact.
	"CONTACTS_SCHEDULED": {"COUNT", func(routing.QueueMetrics) float64 { return 0 }},
	"SLOTS_ACTIVE":       {"COUNT", func(m routing.QueueMetrics) float64 { return float64(m.SlotsActive) }},
	"SLOTS_AVAILABLE":    {"COUNT", func(m routing.QueueMetrics) float64 { return float64(m.SlotsAvailable) }},
}

// supportedCurrentMetrics lists the names of currentMetrics, sorted, for error messages.
func supportedCurrentMetrics() string {
	names := make([]string, 0, len(currentMetrics))
	for n := range currentMetrics {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// metricChannels are the channels metrics cover, in Connect's order.
var metricChannels = []routing.Channel{routing.ChannelVoice, routing.ChannelChat, routing.ChannelTask}

// Limits of GetCurrentMetricData and GetCurrentUserData (Connect API reference).
const (
	maxMetricQueues   = 100
	maxMetricResults  = 100
	maxUserDataAgents = 100
)

type currentMetricJSON struct {
	Name     string `json:"Name,omitempty"`
	Unit     string `json:"Unit,omitempty"`
	MetricId string `json:"MetricId,omitempty"`
}

// resolveQueues reduces queue IDs or ARNs of the instance to IDs, checking each exists.
func (s *Server) resolveQueues(ctx context.Context, tx store.Tx, inst string, refs []string) ([]string, error) {
	ids := make([]string, 0, len(refs))
	for _, ref := range refs {
		if err := checkBodyID("Queues", ref); err != nil {
			return nil, err
		}
		id, ok := s.idOf(inst, arnQueue, ref)
		if !ok {
			return nil, apierr.InvalidParameter(fmt.Sprintf("queue %q is not a queue of this instance", truncate(ref, 64)))
		}
		if _, err := tx.GetQueue(ctx, inst, id); err != nil {
			return nil, err
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// metricChannelsOf checks a Channels filter (VOICE, CHAT, TASK, each once) and returns it, or
// all three channels when it is empty.
func metricChannelsOf(in []string) ([]routing.Channel, error) {
	if len(in) == 0 {
		return metricChannels, nil
	}
	var out []routing.Channel
	for _, c := range in {
		ch := routing.Channel(c)
		if !slices.Contains(metricChannels, ch) {
			return nil, apierr.InvalidParameter(fmt.Sprintf("Channels must be VOICE, CHAT or TASK, got %q", truncate(c, 32)))
		}
		if !slices.Contains(out, ch) {
			out = append(out, ch)
		}
	}
	return out, nil
}

// offsetToken and readOffsetToken encode a position in a result list for NextToken; kind
// ties a token to one operation.
func offsetToken(kind string, offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + strconv.Itoa(offset)))
}

func readOffsetToken(kind, tok string) (int, error) {
	if tok == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	rest, ok := strings.CutPrefix(string(b), kind+":")
	n, aerr := strconv.Atoi(rest)
	if err != nil || !ok || aerr != nil || n < 0 {
		return 0, apierr.InvalidParameter("NextToken is not valid")
	}
	return n, nil
}

// maxResultsOf checks a MaxResults member (1–max, default max).
func maxResultsOf(v *int, limit int) (int, error) {
	if v == nil {
		return limit, nil
	}
	if *v < 1 || *v > limit {
		return 0, apierr.InvalidParameter(fmt.Sprintf("MaxResults must be 1-%d", limit))
	}
	return *v, nil
}

// getCurrentMetricData implements GetCurrentMetricData (POST /metrics/current/{InstanceId}).
// Filters.Queues (1–100 IDs or ARNs) is required, Filters.Channels optional; Groupings may be
// QUEUE and CHANNEL; every metric of currentMetrics may be asked for. Values come from the
// instance's router at DataSnapshotTime. As Connect documents, OLDEST_CONTACT_AGE is in
// seconds when the request has groupings and in milliseconds when it has none (its Unit says
// SECONDS either way). Results are sorted by SortCriteria (one metric, ASCENDING or
// DESCENDING; default AGENTS_ONLINE descending), ties by queue ID and channel. Unsupported
// metrics, filters and groupings are InvalidParameterException naming what is supported.
func (s *Server) getCurrentMetricData(c *call) (any, error) {
	if err := s.contacts(); err != nil {
		return nil, err
	}
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	var in struct {
		Filters *struct {
			Queues                 []string `json:"Queues"`
			Channels               []string `json:"Channels"`
			RoutingProfiles        []string `json:"RoutingProfiles"`
			RoutingStepExpressions []string `json:"RoutingStepExpressions"`
			AgentStatuses          []string `json:"AgentStatuses"`
			Subtypes               []string `json:"Subtypes"`
			ValidationTestTypes    []string `json:"ValidationTestTypes"`
		} `json:"Filters"`
		Groupings      []string            `json:"Groupings"`
		CurrentMetrics []currentMetricJSON `json:"CurrentMetrics"`
		SortCriteria   []struct {
			SortByMetric string `json:"SortByMetric"`
			SortOrder    string `json:"SortOrder"`
		} `json:"SortCriteria"`
		MaxResults *int   `json:"MaxResults"`
		NextToken  string `json:"NextToken"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	if in.Filters == nil || len(in.Filters.Queues) == 0 {
		if in.Filters != nil && len(in.Filters.RoutingProfiles) > 0 {
			return nil, apierr.InvalidParameter("filtering by RoutingProfiles is not supported; filter by Queues")
		}
		return nil, apierr.InvalidParameter("Filters.Queues is required (1-100 queue IDs or ARNs)")
	}
	f := in.Filters
	if len(f.Queues) > maxMetricQueues {
		return nil, apierr.InvalidParameter("Filters.Queues takes at most 100 queues")
	}
	if len(f.RoutingProfiles)+len(f.RoutingStepExpressions)+len(f.AgentStatuses)+len(f.Subtypes)+len(f.ValidationTestTypes) > 0 {
		return nil, apierr.InvalidParameter("only the Queues and Channels filters are supported")
	}
	chans, err := metricChannelsOf(f.Channels)
	if err != nil {
		return nil, err
	}
	byQueue, byChannel := false, false
	for _, g := range in.Groupings {
		switch g {
		case "QUEUE":
			byQueue = true
		case "CHANNEL":
			byChannel = true
		default:
			return nil, apierr.InvalidParameter(fmt.Sprintf("grouping %q is not supported; use QUEUE and CHANNEL", truncate(g, 32)))
		}
	}
	if len(in.CurrentMetrics) == 0 {
		return nil, apierr.InvalidParameter("CurrentMetrics is required; supported: " + supportedCurrentMetrics())
	}
	metrics := make([]currentMetricJSON, 0, len(in.CurrentMetrics))
	for _, m := range in.CurrentMetrics {
		if m.MetricId != "" {
			return nil, apierr.InvalidParameter("MetricId is not supported; name the metric; supported: " + supportedCurrentMetrics())
		}
		def, ok := currentMetrics[m.Name]
		if !ok {
			return nil, apierr.InvalidParameter(fmt.Sprintf("metric %q is not supported; supported: %s", truncate(m.Name, 64), supportedCurrentMetrics()))
		}
		if m.Unit != "" && m.Unit != def.unit {
			return nil, apierr.InvalidParameter(fmt.Sprintf("metric %s has unit %s, not %s", m.Name, def.unit, truncate(m.Unit, 16)))
		}
		metrics = append(metrics, currentMetricJSON{Name: m.Name, Unit: def.unit})
	}
	sortBy, descending := "AGENTS_ONLINE", true
	if len(in.SortCriteria) > 1 {
		return nil, apierr.InvalidParameter("SortCriteria takes one criterion")
	}
	if len(in.SortCriteria) == 1 {
		sc := in.SortCriteria[0]
		if _, ok := currentMetrics[sc.SortByMetric]; !ok || strings.HasPrefix(sc.SortByMetric, "SLOTS_") {
			return nil, apierr.InvalidParameter(fmt.Sprintf("cannot sort by %q", truncate(sc.SortByMetric, 64)))
		}
		switch sc.SortOrder {
		case "ASCENDING":
			descending = false
		case "DESCENDING", "":
		default:
			return nil, apierr.InvalidParameter("SortOrder must be ASCENDING or DESCENDING")
		}
		sortBy = sc.SortByMetric
	}
	limit, err := maxResultsOf(in.MaxResults, maxMetricResults)
	if err != nil {
		return nil, err
	}
	offset, err := readOffsetToken("current", in.NextToken)
	if err != nil {
		return nil, err
	}
	// The call's audit event is recorded with the outcome once the answer is known (wrap).
	var queues []string
	if err := s.store.View(c.ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		queues, err = s.resolveQueues(ctx, tx, inst, f.Queues)
		return err
	}); err != nil {
		return nil, err
	}

	// One row per (queue, channel) group the groupings ask for.
	type row struct {
		queue string
		ch    routing.Channel
		q     routing.MetricsQuery
	}
	var rows []row
	queueSets := [][]string{queues}
	if byQueue {
		queueSets = nil
		for _, q := range queues {
			queueSets = append(queueSets, []string{q})
		}
	}
	chanSets := [][]routing.Channel{chans}
	if byChannel {
		chanSets = nil
		for _, ch := range chans {
			chanSets = append(chanSets, []routing.Channel{ch})
		}
	}
	for _, qs := range queueSets {
		for _, cs := range chanSets {
			r := row{q: routing.MetricsQuery{Queues: qs, Channels: cs}}
			if byQueue {
				r.queue = qs[0]
			}
			if byChannel {
				r.ch = cs[0]
			}
			rows = append(rows, r)
		}
	}
	queries := make([]routing.MetricsQuery, len(rows))
	for i, r := range rows {
		queries[i] = r.q
	}
	values, at, err := s.cfg.Contacts.QueueMetrics(c.ctx, inst, queries...)
	if err != nil {
		return nil, err
	}
	order := make([]int, len(rows))
	for i := range order {
		order[i] = i
	}
	key := currentMetrics[sortBy].value
	sort.SliceStable(order, func(i, j int) bool {
		a, b := key(values[order[i]]), key(values[order[j]])
		if a != b {
			return (a > b) == descending
		}
		ra, rb := rows[order[i]], rows[order[j]]
		if ra.queue != rb.queue {
			return ra.queue < rb.queue
		}
		return slices.Index(metricChannels, ra.ch) < slices.Index(metricChannels, rb.ch)
	})
	grouped := byQueue || byChannel
	results := []map[string]any{}
	for _, i := range order[min(offset, len(order)):min(offset+limit, len(order))] {
		r, v := rows[i], values[i]
		coll := make([]map[string]any, 0, len(metrics))
		for _, m := range metrics {
			val := currentMetrics[m.Name].value(v)
			if m.Name == "OLDEST_CONTACT_AGE" && !grouped {
				val = float64(v.OldestContactAge.Milliseconds()) // Connect's documented quirk
			}
			coll = append(coll, map[string]any{"Metric": m, "Value": val})
		}
		res := map[string]any{"Collections": coll}
		if grouped {
			dims := map[string]any{}
			if byQueue {
				dims["Queue"] = map[string]string{"Id": r.queue, "Arn": s.resourceARN(inst, arnQueue, r.queue)}
			}
			if byChannel {
				dims["Channel"] = string(r.ch)
			}
			res["Dimensions"] = dims
		}
		results = append(results, res)
	}
	out := map[string]any{"MetricResults": results, "DataSnapshotTime": epochSeconds(at), "ApproximateTotalCount": len(rows)}
	if offset+limit < len(rows) {
		out["NextToken"] = offsetToken("current", offset+limit)
	}
	return out, nil
}

// agentContactStates maps what an agent has of a contact to Connect's ContactState in
// GetCurrentUserData: an offer is INCOMING, a connected contact CONNECTED, after-contact work
// ENDED (the customer has left).
const (
	agentContactIncoming  = "INCOMING"
	agentContactConnected = "CONNECTED"
	agentContactEnded     = "ENDED"
)

// knownContactStates are Connect's ContactState values (a ContactFilter may name any).
var knownContactStates = []string{"INCOMING", "PENDING", "CONNECTING", "CONNECTED", "CONNECTED_ONHOLD", "MISSED", "ERROR", "ENDED", "REJECTED"}

// getCurrentUserData implements GetCurrentUserData (POST /metrics/userdata/{InstanceId}): the
// agents the instance's router knows that are not offline or still hold contacts, selected
// by exactly one of Filters.Agents, Filters.Queues (agents whose routing profile serves the
// queue) or Filters.RoutingProfiles (1–100 IDs or ARNs each), and optionally by
// Filters.ContactFilter.ContactStates (agents with a contact in one of the states). Each
// UserData has the user, routing profile, status (name, ARN, start time as stored by
// PutUserStatus), slots per channel and contacts (offered: INCOMING, connected: CONNECTED,
// in after-contact work: ENDED). Sorted by user ID; MaxResults 1–100 (default 100).
func (s *Server) getCurrentUserData(c *call) (any, error) {
	if err := s.contacts(); err != nil {
		return nil, err
	}
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	var in struct {
		Filters *struct {
			Queues              []string `json:"Queues"`
			Agents              []string `json:"Agents"`
			RoutingProfiles     []string `json:"RoutingProfiles"`
			UserHierarchyGroups []string `json:"UserHierarchyGroups"`
			ContactFilter       *struct {
				ContactStates []string `json:"ContactStates"`
			} `json:"ContactFilter"`
		} `json:"Filters"`
		MaxResults *int   `json:"MaxResults"`
		NextToken  string `json:"NextToken"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	if in.Filters == nil {
		return nil, apierr.InvalidParameter("Filters is required: one of Agents, Queues and RoutingProfiles")
	}
	f := in.Filters
	if len(f.UserHierarchyGroups) > 0 {
		return nil, apierr.InvalidParameter("filtering by UserHierarchyGroups is not supported; use Agents, Queues or RoutingProfiles")
	}
	given := 0
	for _, l := range [][]string{f.Queues, f.Agents, f.RoutingProfiles} {
		if len(l) > 0 {
			given++
		}
		if len(l) > maxUserDataAgents {
			return nil, apierr.InvalidParameter("a filter takes at most 100 values")
		}
	}
	if given != 1 {
		return nil, apierr.InvalidParameter("give exactly one of Filters.Agents, Filters.Queues and Filters.RoutingProfiles")
	}
	var states []string
	if f.ContactFilter != nil {
		for _, st := range f.ContactFilter.ContactStates {
			if !slices.Contains(knownContactStates, st) {
				return nil, apierr.InvalidParameter(fmt.Sprintf("ContactStates must be among %s, got %q", strings.Join(knownContactStates, ", "), truncate(st, 32)))
			}
			states = append(states, st)
		}
	}
	limit, err := maxResultsOf(in.MaxResults, maxMetricResults)
	if err != nil {
		return nil, err
	}
	offset, err := readOffsetToken("userdata", in.NextToken)
	if err != nil {
		return nil, err
	}
	var filter routing.AgentFilter
	for _, ref := range f.Agents {
		id, ok := s.idOf(inst, "agent", ref)
		if !ok || len(ref) > maxResourceID {
			return nil, apierr.InvalidParameter(fmt.Sprintf("agent %q is not a user of this instance", truncate(ref, 64)))
		}
		filter.AgentIDs = append(filter.AgentIDs, id)
	}
	for _, ref := range f.RoutingProfiles {
		id, ok := s.idOf(inst, arnRoutingProfile, ref)
		if !ok || len(ref) > maxResourceID {
			return nil, apierr.InvalidParameter(fmt.Sprintf("routing profile %q is not a routing profile of this instance", truncate(ref, 64)))
		}
		filter.RoutingProfileIDs = append(filter.RoutingProfileIDs, id)
	}
	if len(f.Queues) > 0 {
		if err := s.store.View(c.ctx, nil, func(ctx context.Context, tx store.Tx) error {
			var err error
			filter.QueueIDs, err = s.resolveQueues(ctx, tx, inst, f.Queues)
			return err
		}); err != nil {
			return nil, err
		}
	}
	views, _, err := s.cfg.Contacts.Agents(c.ctx, inst, filter)
	if err != nil {
		return nil, err
	}
	// Online agents, or agents still holding contacts, with their contacts' states.
	type agentRow struct {
		v      routing.AgentView
		states []string
	}
	var selected []agentRow
	for _, v := range views {
		if v.Status.Type == routing.StatusOffline && len(v.Contacts) == 0 && len(v.AfterContactWork) == 0 {
			continue
		}
		var st []string
		for _, h := range v.Contacts {
			if h.State == routing.ContactConnected {
				st = append(st, agentContactConnected)
			} else {
				st = append(st, agentContactIncoming)
			}
		}
		for range v.AfterContactWork {
			st = append(st, agentContactEnded)
		}
		if len(states) > 0 && !slices.ContainsFunc(st, func(x string) bool { return slices.Contains(states, x) }) {
			continue
		}
		selected = append(selected, agentRow{v: v, states: st})
	}
	page := selected[min(offset, len(selected)):min(offset+limit, len(selected))]
	list := []map[string]any{}
	err = c.view(s, func(ctx context.Context, tx store.Tx) error {
		for _, a := range page {
			ud, err := s.userData(ctx, tx, inst, a.v)
			if err != nil {
				return err
			}
			list = append(list, ud)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := map[string]any{"UserDataList": list, "ApproximateTotalCount": len(selected)}
	if offset+limit < len(selected) {
		out["NextToken"] = offsetToken("userdata", offset+limit)
	}
	return out, nil
}

// userData is Connect's UserData for one agent: the router's view with the stored status and
// the stored contacts it holds.
func (s *Server) userData(ctx context.Context, tx store.Tx, inst string, v routing.AgentView) (map[string]any, error) {
	ud := map[string]any{
		"User":                    map[string]string{"Id": v.ID, "Arn": s.resourceARN(inst, "agent", v.ID)},
		"MaxSlotsByChannel":       map[string]int{},
		"ActiveSlotsByChannel":    map[string]int{},
		"AvailableSlotsByChannel": map[string]int{},
	}
	if v.RoutingProfileID != "" {
		ud["RoutingProfile"] = map[string]string{"Id": v.RoutingProfileID, "Arn": s.resourceARN(inst, arnRoutingProfile, v.RoutingProfileID)}
	}
	for _, sl := range v.Slots {
		ud["MaxSlotsByChannel"].(map[string]int)[string(sl.Channel)] = sl.Max
		ud["ActiveSlotsByChannel"].(map[string]int)[string(sl.Channel)] = sl.Active
		ud["AvailableSlotsByChannel"].(map[string]int)[string(sl.Channel)] = sl.Available
	}
	status := map[string]any{"StatusName": v.Status.Name}
	us, err := tx.GetUserStatus(ctx, inst, v.ID)
	switch {
	case err == nil:
		status["StatusArn"] = s.resourceARN(inst, arnAgentStatus, us.AgentStatusID)
		status["StatusStartTimestamp"] = epochSeconds(us.Since)
		if rec, err := tx.GetAgentStatus(ctx, inst, us.AgentStatusID); err == nil {
			status["StatusName"] = rec.Name
		}
	case !apierr.HasCode(err, apierr.CodeResourceNotFound):
		return nil, err
	}
	ud["Status"] = status
	contacts := []map[string]any{}
	add := func(id, state string, ch routing.Channel) error {
		ct, err := tx.GetContact(ctx, inst, id)
		if apierr.HasCode(err, apierr.CodeResourceNotFound) {
			return nil // the contact was deleted by retention
		}
		if err != nil {
			return err
		}
		ref := map[string]any{"ContactId": id, "Channel": string(ch), "InitiationMethod": string(ct.InitiationMethod), "AgentContactState": state}
		start := ct.LastUpdateTimestamp
		switch state {
		case agentContactConnected:
			start = ct.Agent.ConnectedToAgentTimestamp
		case agentContactEnded:
			start = ct.Agent.AfterContactWorkStartTimestamp
		}
		if !start.IsZero() {
			ref["StateStartTimestamp"] = epochSeconds(start)
		}
		if t := ct.Agent.ConnectedToAgentTimestamp; !t.IsZero() && ct.Agent.AgentID == v.ID {
			ref["ConnectedToAgentTimestamp"] = epochSeconds(t)
		}
		if q := ct.Queue.QueueID; q != "" && !ct.Queue.IsAgentQueue() {
			ref["Queue"] = map[string]string{"Id": q, "Arn": s.resourceARN(inst, arnQueue, q)}
		}
		contacts = append(contacts, ref)
		return nil
	}
	for _, h := range v.Contacts {
		state := agentContactIncoming
		if h.State == routing.ContactConnected {
			state = agentContactConnected
		}
		if err := add(h.ContactID, state, h.Channel); err != nil {
			return nil, err
		}
	}
	for _, a := range v.AfterContactWork {
		if err := add(a.ContactID, agentContactEnded, a.Channel); err != nil {
			return nil, err
		}
	}
	ud["Contacts"] = contacts
	return ud, nil
}
