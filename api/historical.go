package api

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/store"
)

// Limits of GetMetricDataV2 (Connect API reference): the time range per interval period,
// filter keys and values, groupings; and Ringfence's own bound on the contacts one request
// reads.
const (
	maxV2FilterKeys   = 5
	maxV2FilterValues = 100
	maxV2Groupings    = 4
	maxV2Metrics      = 50
	maxV2Contacts     = 100_000
	maxV2ClockSkew    = 5 * time.Minute
)

// intervalPeriods are the IntervalPeriod values: the length of one interval (DAY steps by
// calendar day in the TimeZone) and the longest StartTime–EndTime range it allows.
var intervalPeriods = map[string]struct{ step, maxRange time.Duration }{
	"FIFTEEN_MIN": {15 * time.Minute, 3 * 24 * time.Hour},
	"THIRTY_MIN":  {30 * time.Minute, 3 * 24 * time.Hour},
	"HOUR":        {time.Hour, 3 * 24 * time.Hour},
	"DAY":         {24 * time.Hour, 35 * 24 * time.Hour},
	"TOTAL":       {0, 35 * 24 * time.Hour},
}

// v2Dimensions are the filter keys and groupings GetMetricDataV2 supports here.
var v2Dimensions = []string{"AGENT", "CHANNEL", "QUEUE"}

type metricV2JSON struct {
	Name      string `json:"Name,omitempty"`
	MetricId  string `json:"MetricId,omitempty"`
	Threshold []struct {
		Comparison     string   `json:"Comparison"`
		ThresholdValue *float64 `json:"ThresholdValue"`
	} `json:"Threshold,omitempty"`
	MetricFilters []struct {
		MetricFilterKey    string   `json:"MetricFilterKey"`
		MetricFilterValues []string `json:"MetricFilterValues"`
		Negate             bool     `json:"Negate"`
	} `json:"MetricFilters,omitempty"`
}

// v2Metric is one requested metric, checked.
type v2Metric struct {
	echo      metricV2JSON
	name      contact.HistoricalMetric
	threshold *contact.Threshold
	// keep is the metric-level filter (INITIATION_METHOD, DISCONNECT_REASON).
	keep func(contact.Sample) bool
}

func supportedV2Metrics() string {
	var names []string
	for _, m := range contact.HistoricalMetrics() {
		names = append(names, string(m))
	}
	return strings.Join(names, ", ")
}

// getMetricDataV2 implements GetMetricDataV2 (POST /metrics/data) for the metrics of
// contact.HistoricalMetrics, computed from the instance's stored contacts initiated between
// StartTime and EndTime: filters QUEUE and AGENT (at least one of them, IDs or ARNs) and
// CHANNEL; groupings QUEUE, CHANNEL and AGENT; interval periods TOTAL (default),
// FIFTEEN_MIN, THIRTY_MIN, HOUR and DAY (intervals start at StartTime; DAY steps by calendar
// day in Interval.TimeZone); metric-level filters INITIATION_METHOD and DISCONNECT_REASON
// (with Negate). Rows exist for groups and intervals with at least one contact; averages and
// rates over no contact have no Value. Dimensions name QUEUE/QUEUE_ARN, CHANNEL and
// AGENT/AGENT_ARN. Anything else is InvalidParameterException naming what is supported. One
// request reads at most 100,000 contacts (LimitExceededException beyond: narrow the range or
// the filters).
func (s *Server) getMetricDataV2(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	var in struct {
		ResourceArn string   `json:"ResourceArn"`
		StartTime   *float64 `json:"StartTime"`
		EndTime     *float64 `json:"EndTime"`
		Interval    *struct {
			IntervalPeriod string `json:"IntervalPeriod"`
			TimeZone       string `json:"TimeZone"`
		} `json:"Interval"`
		Filters []struct {
			FilterKey       string   `json:"FilterKey"`
			FilterValues    []string `json:"FilterValues"`
			StringCondition any      `json:"StringCondition"`
		} `json:"Filters"`
		Groupings  []string       `json:"Groupings"`
		Metrics    []metricV2JSON `json:"Metrics"`
		MaxResults *int           `json:"MaxResults"`
		NextToken  string         `json:"NextToken"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	if in.StartTime == nil || in.EndTime == nil {
		return nil, apierr.InvalidParameter("StartTime and EndTime are required")
	}
	start, end := fromEpoch(*in.StartTime), fromEpoch(*in.EndTime)
	now := s.cfg.Now().UTC()
	if !end.After(start) {
		return nil, apierr.InvalidParameter("EndTime must be after StartTime")
	}
	if end.After(now.Add(maxV2ClockSkew)) {
		return nil, apierr.InvalidParameter("EndTime must not be later than the current time")
	}
	period, loc := "TOTAL", time.UTC
	if in.Interval != nil {
		if in.Interval.IntervalPeriod != "" {
			period = in.Interval.IntervalPeriod
		}
		if tz := in.Interval.TimeZone; tz != "" {
			if loc, err = time.LoadLocation(tz); err != nil || strings.Contains(tz, "..") {
				return nil, apierr.InvalidParameter(fmt.Sprintf("TimeZone %q is not an IANA time zone", truncate(tz, 64)))
			}
		}
	}
	ip, ok := intervalPeriods[period]
	if !ok {
		return nil, apierr.InvalidParameter(fmt.Sprintf("IntervalPeriod %q is not supported; use TOTAL, FIFTEEN_MIN, THIRTY_MIN, HOUR or DAY", truncate(period, 32)))
	}
	if end.Sub(start) > ip.maxRange {
		return nil, apierr.InvalidParameter(fmt.Sprintf("with IntervalPeriod %s, EndTime must be within %d days of StartTime", period, int(ip.maxRange.Hours()/24)))
	}

	// Filters.
	if len(in.Filters) == 0 || len(in.Filters) > maxV2FilterKeys {
		return nil, apierr.InvalidParameter("Filters takes 1-5 filter keys, among them QUEUE or AGENT")
	}
	var q contact.Query
	values := 0
	for _, f := range in.Filters {
		if f.StringCondition != nil {
			return nil, apierr.InvalidParameter("StringCondition is not supported")
		}
		if len(f.FilterValues) == 0 {
			return nil, apierr.InvalidParameter(fmt.Sprintf("filter %s needs FilterValues", truncate(f.FilterKey, 32)))
		}
		switch f.FilterKey {
		case "QUEUE":
			for _, v := range f.FilterValues {
				id, ok := s.idOf(inst, arnQueue, v)
				if !ok || len(v) > maxResourceID {
					return nil, apierr.InvalidParameter(fmt.Sprintf("queue %q is not a queue of this instance", truncate(v, 64)))
				}
				q.QueueIDs = append(q.QueueIDs, id)
			}
			values += len(f.FilterValues)
		case "AGENT":
			for _, v := range f.FilterValues {
				id, ok := s.idOf(inst, "agent", v)
				if !ok || len(v) > maxResourceID {
					return nil, apierr.InvalidParameter(fmt.Sprintf("agent %q is not a user of this instance", truncate(v, 64)))
				}
				q.AgentIDs = append(q.AgentIDs, id)
			}
			values += len(f.FilterValues)
		case "CHANNEL":
			for _, v := range f.FilterValues {
				if v != "VOICE" && v != "CHAT" && v != "TASK" && v != "EMAIL" {
					return nil, apierr.InvalidParameter(fmt.Sprintf("CHANNEL values must be VOICE, CHAT, TASK or EMAIL, got %q", truncate(v, 32)))
				}
				q.Channels = append(q.Channels, contact.Channel(v))
			}
		default:
			return nil, apierr.InvalidParameter(fmt.Sprintf("filter key %q is not supported; use %s", truncate(f.FilterKey, 64), strings.Join(v2Dimensions, ", ")))
		}
	}
	if values > maxV2FilterValues {
		return nil, apierr.InvalidParameter("Filters take at most 100 values (CHANNEL values not counted)")
	}
	if len(q.QueueIDs) == 0 && len(q.AgentIDs) == 0 {
		return nil, apierr.InvalidParameter("Filters need a QUEUE or an AGENT filter")
	}

	// Groupings and metrics.
	if len(in.Groupings) > maxV2Groupings {
		return nil, apierr.InvalidParameter("Groupings takes at most 4 keys")
	}
	for _, g := range in.Groupings {
		if !slices.Contains(v2Dimensions, g) {
			return nil, apierr.InvalidParameter(fmt.Sprintf("grouping %q is not supported; use %s", truncate(g, 64), strings.Join(v2Dimensions, ", ")))
		}
	}
	if len(in.Metrics) == 0 || len(in.Metrics) > maxV2Metrics {
		return nil, apierr.InvalidParameter("Metrics takes 1-50 metrics; supported: " + supportedV2Metrics())
	}
	metrics := make([]v2Metric, 0, len(in.Metrics))
	for _, m := range in.Metrics {
		vm, err := checkV2Metric(m)
		if err != nil {
			return nil, err
		}
		metrics = append(metrics, vm)
	}
	limit, err := maxResultsOf(in.MaxResults, maxMetricResults)
	if err != nil {
		return nil, err
	}
	offset, err := readOffsetToken("metricsv2", in.NextToken)
	if err != nil {
		return nil, err
	}

	// Read the contacts, a page at a time.
	q.Start, q.End, q.Limit = start, end, 100
	var samples []contact.Sample
	err = c.view(s, func(ctx context.Context, tx store.Tx) error {
		if err := requireInstance(ctx, tx, inst); err != nil {
			return err
		}
		// Filters name resources of this instance, as GetCurrentMetricData's do: an ID of
		// another instance is not found rather than an empty answer.
		for _, id := range q.QueueIDs {
			if _, err := tx.GetQueue(ctx, inst, id); err != nil {
				return err
			}
		}
		for _, id := range q.AgentIDs {
			if _, err := tx.GetUser(ctx, inst, id); err != nil {
				return err
			}
		}
		for {
			page, err := tx.SearchContacts(ctx, inst, q)
			if err != nil {
				return err
			}
			for _, ct := range page {
				samples = append(samples, contact.SampleOf(ct))
			}
			if len(samples) > maxV2Contacts {
				return apierr.New(apierr.CodeLimitExceeded, "more than %d contacts in the range; narrow the time range or the filters", maxV2Contacts)
			}
			if len(page) < q.Limit {
				return nil
			}
			last := page[len(page)-1]
			q.AfterTime, q.AfterID = last.InitiationTimestamp, last.ID
		}
	})
	if err != nil {
		return nil, err
	}

	// Group by the grouping keys and the interval.
	type bucket struct {
		dims    map[string]string
		from    time.Time
		to      time.Time
		samples []contact.Sample
	}
	buckets := map[string]*bucket{}
	for _, smp := range samples {
		dims := map[string]string{}
		var key strings.Builder
		skip := false
		for _, g := range in.Groupings {
			switch g {
			case "QUEUE":
				if smp.QueueID == "" {
					skip = true
				}
				dims["QUEUE"], dims["QUEUE_ARN"] = smp.QueueID, s.resourceARN(inst, arnQueue, smp.QueueID)
			case "CHANNEL":
				dims["CHANNEL"] = string(smp.Channel)
			case "AGENT":
				if smp.AgentID == "" {
					skip = true
				}
				dims["AGENT"], dims["AGENT_ARN"] = smp.AgentID, s.resourceARN(inst, "agent", smp.AgentID)
			}
			key.WriteString(dims[g] + "\x00")
		}
		if skip {
			continue // no queue or no agent to group it under
		}
		from, to := intervalOf(smp.Initiated, start, end, period, ip.step, loc)
		k := key.String() + from.Format(time.RFC3339Nano)
		b := buckets[k]
		if b == nil {
			b = &bucket{dims: dims, from: from, to: to}
			buckets[k] = b
		}
		b.samples = append(b.samples, smp)
	}
	keys := make([]string, 0, len(buckets))
	for k := range buckets {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	results := []map[string]any{}
	for _, k := range keys[min(offset, len(keys)):min(offset+limit, len(keys))] {
		b := buckets[k]
		coll := make([]map[string]any, 0, len(metrics))
		for _, m := range metrics {
			var kept []contact.Sample
			for _, smp := range b.samples {
				if m.keep == nil || m.keep(smp) {
					kept = append(kept, smp)
				}
			}
			v, ok, err := contact.Compute(m.name, m.threshold, kept, now)
			if err != nil {
				return nil, err
			}
			item := map[string]any{"Metric": m.echo}
			if ok {
				item["Value"] = v
			}
			coll = append(coll, item)
		}
		res := map[string]any{"Collections": coll,
			"MetricInterval": map[string]any{"Interval": period, "StartTime": epochSeconds(b.from), "EndTime": epochSeconds(b.to)}}
		if len(b.dims) > 0 {
			res["Dimensions"] = b.dims
		}
		results = append(results, res)
	}
	out := map[string]any{"MetricResults": results}
	if offset+limit < len(keys) {
		out["NextToken"] = offsetToken("metricsv2", offset+limit)
	}
	return out, nil
}

// checkV2Metric checks one requested metric.
func checkV2Metric(m metricV2JSON) (v2Metric, error) {
	if m.MetricId != "" {
		return v2Metric{}, apierr.InvalidParameter("MetricId is not supported; name the metric; supported: " + supportedV2Metrics())
	}
	name := contact.HistoricalMetric(m.Name)
	if !slices.Contains(contact.HistoricalMetrics(), name) {
		return v2Metric{}, apierr.InvalidParameter(fmt.Sprintf("metric %q is not supported; supported: %s", truncate(m.Name, 64), supportedV2Metrics()))
	}
	vm := v2Metric{echo: m, name: name}
	if len(m.Threshold) > 1 {
		return v2Metric{}, apierr.InvalidParameter("a metric takes at most one Threshold")
	}
	if len(m.Threshold) == 1 {
		if name != contact.MetricServiceLevel {
			return v2Metric{}, apierr.InvalidParameter(fmt.Sprintf("metric %s takes no Threshold", name))
		}
		t := m.Threshold[0]
		if t.ThresholdValue == nil {
			return v2Metric{}, apierr.InvalidParameter("Threshold needs a ThresholdValue")
		}
		vm.threshold = &contact.Threshold{Comparison: t.Comparison, Seconds: *t.ThresholdValue}
		if err := vm.threshold.Check(); err != nil {
			return v2Metric{}, err
		}
	} else if name == contact.MetricServiceLevel {
		return v2Metric{}, apierr.InvalidParameter("SERVICE_LEVEL needs a Threshold (Comparison LT or LTE, ThresholdValue 1-604800 seconds)")
	}
	var keeps []func(contact.Sample) bool
	for _, f := range m.MetricFilters {
		vals := f.MetricFilterValues
		negate := f.Negate
		var field func(contact.Sample) string
		switch f.MetricFilterKey {
		case "INITIATION_METHOD":
			field = func(s contact.Sample) string { return string(s.InitiationMethod) }
		case "DISCONNECT_REASON":
			field = func(s contact.Sample) string { return s.DisconnectReason }
		default:
			return v2Metric{}, apierr.InvalidParameter(fmt.Sprintf("metric filter key %q is not supported; use INITIATION_METHOD or DISCONNECT_REASON", truncate(f.MetricFilterKey, 64)))
		}
		if len(vals) == 0 || len(vals) > maxV2FilterValues {
			return v2Metric{}, apierr.InvalidParameter("MetricFilterValues takes 1-100 values")
		}
		keeps = append(keeps, func(s contact.Sample) bool { return slices.Contains(vals, field(s)) != negate })
	}
	if len(keeps) > 0 {
		vm.keep = func(s contact.Sample) bool {
			for _, k := range keeps {
				if !k(s) {
					return false
				}
			}
			return true
		}
	}
	return vm, nil
}

// intervalOf returns the interval of [start, end) that t falls in: the whole range for
// TOTAL, else the step-long interval counted from start (DAY by calendar day in loc), cut at
// end.
func intervalOf(t, start, end time.Time, period string, step time.Duration, loc *time.Location) (time.Time, time.Time) {
	if period == "TOTAL" {
		return start, end
	}
	var from, to time.Time
	if period == "DAY" {
		ls := start.In(loc)
		days := 0
		for {
			next := ls.AddDate(0, 0, days+1)
			if t.Before(next) {
				from, to = ls.AddDate(0, 0, days), next
				break
			}
			days++
		}
	} else {
		n := t.Sub(start) / step
		from = start.Add(n * step)
		to = from.Add(step)
	}
	if to.After(end) {
		to = end
	}
	return from.UTC(), to.UTC()
}
