package contact

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/ringfence/ringfence/apierr"
)

// HistoricalMetric names a historical metric computed from stored contacts (a subset of
// Connect's GetMetricDataV2 metrics; definitions after the administrator guide's "Metrics
// definitions"). Every metric counts the contacts initiated in the interval asked for; the
// queue is the standard queue a contact waited in last.
type HistoricalMetric string

// The historical metrics Ringfence computes.
const (
	// MetricContactsCreated counts the contacts (Unit COUNT).
	MetricContactsCreated HistoricalMetric = "CONTACTS_CREATED"
	// MetricContactsQueued counts the contacts that entered a standard queue (COUNT).
	MetricContactsQueued HistoricalMetric = "CONTACTS_QUEUED"
	// MetricContactsHandled counts the contacts an agent was connected to and that have
	// disconnected (COUNT).
	MetricContactsHandled HistoricalMetric = "CONTACTS_HANDLED"
	// MetricContactsAbandoned counts the queued contacts that ended before an agent was
	// connected (COUNT).
	MetricContactsAbandoned HistoricalMetric = "CONTACTS_ABANDONED"
	// MetricAbandonmentRate is abandoned / queued, in percent (PERCENT).
	MetricAbandonmentRate HistoricalMetric = "ABANDONMENT_RATE"
	// MetricAvgHandleTime is the mean, over handled contacts, of the time from connection to
	// the end of after-contact work (to the disconnect without it), in seconds.
	MetricAvgHandleTime HistoricalMetric = "AVG_HANDLE_TIME"
	// MetricAvgQueueAnswerTime is the mean time in queue of the queued contacts an agent was
	// connected to, in seconds.
	MetricAvgQueueAnswerTime HistoricalMetric = "AVG_QUEUE_ANSWER_TIME"
	// MetricAvgAfterContactWorkTime is the mean after-contact work time of the contacts whose
	// after-contact work ended, in seconds.
	MetricAvgAfterContactWorkTime HistoricalMetric = "AVG_AFTER_CONTACT_WORK_TIME"
	// MetricAvgContactDuration is the mean time from initiation to disconnect of the
	// disconnected contacts, in seconds.
	MetricAvgContactDuration HistoricalMetric = "AVG_CONTACT_DURATION"
	// MetricMaxQueuedTime is the longest time in queue (up to now for a contact still
	// waiting), in seconds.
	MetricMaxQueuedTime HistoricalMetric = "MAX_QUEUED_TIME"
	// MetricServiceLevel is the share of queued contacts that left the queue connected to an
	// agent within the threshold, among those that left it, in percent. It needs a
	// Threshold (LT or LTE, 1–604,800 seconds).
	MetricServiceLevel HistoricalMetric = "SERVICE_LEVEL"
)

// HistoricalMetrics lists the metrics Compute knows, in name order.
func HistoricalMetrics() []HistoricalMetric {
	out := []HistoricalMetric{MetricAbandonmentRate, MetricAvgAfterContactWorkTime, MetricAvgContactDuration, MetricAvgHandleTime,
		MetricAvgQueueAnswerTime, MetricContactsAbandoned, MetricContactsCreated, MetricContactsHandled, MetricContactsQueued,
		MetricMaxQueuedTime, MetricServiceLevel}
	return out
}

// Threshold is a SERVICE_LEVEL threshold: answered in less than (LT) or at most (LTE) Seconds.
type Threshold struct {
	Comparison string
	Seconds    float64
}

// Check validates t as Connect's ThresholdV2 for SERVICE_LEVEL: Comparison LT or LTE, a whole
// number of seconds from 1 to 604,800. Errors: InvalidParameterException.
func (t Threshold) Check() error {
	if t.Comparison != "LT" && t.Comparison != "LTE" {
		return apierr.InvalidParameter(fmt.Sprintf("threshold comparison must be LT or LTE, got %q", t.Comparison))
	}
	if t.Seconds < 1 || t.Seconds > 604800 || t.Seconds != math.Trunc(t.Seconds) {
		return apierr.InvalidParameter("threshold value must be a whole number of seconds from 1 to 604800")
	}
	return nil
}

// Sample is what the historical metrics read of one contact: its dimensions and timestamps,
// nothing of its content.
type Sample struct {
	Channel          Channel
	InitiationMethod InitiationMethod
	DisconnectReason string
	// QueueID is the standard queue the contact waited in last; empty when none (an agent's
	// own queue is not a standard queue). AgentID is the agent it was connected to last.
	QueueID, AgentID string
	Initiated        time.Time
	Enqueued         time.Time
	Dequeued         time.Time
	Connected        time.Time
	ACWStart, ACWEnd time.Time
	Disconnected     time.Time
	Ended            bool
}

// SampleOf is c's Sample.
func SampleOf(c Contact) Sample {
	s := Sample{Channel: c.Channel, InitiationMethod: c.InitiationMethod, DisconnectReason: c.DisconnectReason, AgentID: c.Agent.AgentID,
		Initiated: c.InitiationTimestamp, Connected: c.Agent.ConnectedToAgentTimestamp, ACWStart: c.Agent.AfterContactWorkStartTimestamp,
		ACWEnd: c.Agent.AfterContactWorkEndTimestamp, Disconnected: c.DisconnectTimestamp, Ended: c.State == StateEnded}
	if !c.Queue.IsAgentQueue() && c.Queue.QueueID != "" {
		s.QueueID, s.Enqueued, s.Dequeued = c.Queue.QueueID, c.Queue.EnqueueTimestamp, c.Queue.DequeueTimestamp
	}
	return s
}

func (s Sample) queued() bool { return s.QueueID != "" && !s.Enqueued.IsZero() }

// answerTime is the time the contact waited before an agent was connected; ok is false when
// it was not queued or not connected.
func (s Sample) answerTime() (time.Duration, bool) {
	if !s.queued() || s.Connected.IsZero() || s.Connected.Before(s.Enqueued) {
		return 0, false
	}
	return s.Connected.Sub(s.Enqueued), true
}

// Compute returns metric m over samples at time now, and ok=false when it has no value (an
// average or a rate over no contact). Errors: InvalidParameterException for an unknown
// metric or a SERVICE_LEVEL without a valid threshold.
func Compute(m HistoricalMetric, th *Threshold, samples []Sample, now time.Time) (float64, bool, error) {
	count := func(pred func(Sample) bool) float64 {
		n := 0
		for _, s := range samples {
			if pred(s) {
				n++
			}
		}
		return float64(n)
	}
	avg := func(val func(Sample) (time.Duration, bool)) (float64, bool, error) {
		var sum time.Duration
		n := 0
		for _, s := range samples {
			if d, ok := val(s); ok {
				sum += d
				n++
			}
		}
		if n == 0 {
			return 0, false, nil
		}
		return sum.Seconds() / float64(n), true, nil
	}
	handled := func(s Sample) bool { return !s.Connected.IsZero() && !s.Disconnected.IsZero() }
	abandoned := func(s Sample) bool { return s.queued() && s.Connected.IsZero() && s.Ended }
	switch m {
	case MetricContactsCreated:
		return float64(len(samples)), true, nil
	case MetricContactsQueued:
		return count(Sample.queued), true, nil
	case MetricContactsHandled:
		return count(handled), true, nil
	case MetricContactsAbandoned:
		return count(abandoned), true, nil
	case MetricAbandonmentRate:
		q := count(Sample.queued)
		if q == 0 {
			return 0, false, nil
		}
		return 100 * count(abandoned) / q, true, nil
	case MetricAvgHandleTime:
		return avg(func(s Sample) (time.Duration, bool) {
			if !handled(s) {
				return 0, false
			}
			end := s.Disconnected
			if !s.ACWEnd.IsZero() {
				end = s.ACWEnd
			}
			return end.Sub(s.Connected), !end.Before(s.Connected)
		})
	case MetricAvgQueueAnswerTime:
		return avg(Sample.answerTime)
	case MetricAvgAfterContactWorkTime:
		return avg(func(s Sample) (time.Duration, bool) {
			if s.ACWStart.IsZero() || s.ACWEnd.IsZero() || s.ACWEnd.Before(s.ACWStart) {
				return 0, false
			}
			return s.ACWEnd.Sub(s.ACWStart), true
		})
	case MetricAvgContactDuration:
		return avg(func(s Sample) (time.Duration, bool) {
			if s.Disconnected.IsZero() || s.Disconnected.Before(s.Initiated) {
				return 0, false
			}
			return s.Disconnected.Sub(s.Initiated), true
		})
	case MetricMaxQueuedTime:
		longest, any := time.Duration(0), false
		for _, s := range samples {
			if !s.queued() {
				continue
			}
			end := s.Dequeued
			if end.IsZero() {
				end = now
			}
			if d := end.Sub(s.Enqueued); d >= longest {
				longest, any = d, true
			}
		}
		return longest.Seconds(), any, nil
	case MetricServiceLevel:
		if th == nil {
			return 0, false, apierr.InvalidParameter("SERVICE_LEVEL needs a Threshold")
		}
		if err := th.Check(); err != nil {
			return 0, false, err
		}
		limit := time.Duration(th.Seconds) * time.Second
		left, within := 0, 0
		for _, s := range samples {
			if !s.queued() || (s.Dequeued.IsZero() && s.Connected.IsZero()) {
				continue // still waiting
			}
			left++
			if d, ok := s.answerTime(); ok && (d < limit || (th.Comparison == "LTE" && d == limit)) {
				within++
			}
		}
		if left == 0 {
			return 0, false, nil
		}
		return 100 * float64(within) / float64(left), true, nil
	}
	names := make([]string, 0, 16)
	for _, h := range HistoricalMetrics() {
		names = append(names, string(h))
	}
	slices.Sort(names)
	return 0, false, apierr.InvalidParameter(fmt.Sprintf("metric %q is not supported; supported: %s", m, strings.Join(names, ", ")))
}
