package contact

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ringfence/ringfence/apierr"
)

func TestHistoricalMetrics(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	// handled: queued 10 s, talked 60 s, wrapped up 30 s.
	handled := Contact{ID: "h", Channel: ChannelTask, InitiationMethod: InitiationAPI, State: StateEnded, InitiationTimestamp: at(0),
		Queue:               QueueInfo{QueueID: "q", EnqueueTimestamp: at(5), DequeueTimestamp: at(15)},
		Agent:               AgentInfo{AgentID: "a", ConnectedToAgentTimestamp: at(15), AfterContactWorkStartTimestamp: at(75), AfterContactWorkEndTimestamp: at(105)},
		DisconnectTimestamp: at(75), DisconnectReason: "AGENT_DISCONNECT"}
	// abandoned after 40 s in queue.
	abandoned := Contact{ID: "x", Channel: ChannelTask, InitiationMethod: InitiationAPI, State: StateEnded, InitiationTimestamp: at(1),
		Queue: QueueInfo{QueueID: "q", EnqueueTimestamp: at(2), DequeueTimestamp: at(42)}, DisconnectTimestamp: at(42), DisconnectReason: "API"}
	// still waiting since 100 s; and one that never reached a queue.
	waiting := Contact{ID: "w", Channel: ChannelChat, InitiationMethod: InitiationAPI, State: StateQueued, InitiationTimestamp: at(99),
		Queue: QueueInfo{QueueID: "q", EnqueueTimestamp: at(100)}}
	flowOnly := Contact{ID: "f", Channel: ChannelChat, InitiationMethod: InitiationAPI, State: StateEnded, InitiationTimestamp: at(3),
		DisconnectTimestamp: at(8), DisconnectReason: "CONTACT_FLOW_DISCONNECT"}
	// transferred to an agent's own queue: not a standard queue.
	agentQueued := Contact{ID: "g", Channel: ChannelTask, State: StateQueued, InitiationTimestamp: at(4), Queue: QueueInfo{QueueID: AgentQueueID("a"), EnqueueTimestamp: at(6)}}
	var samples []Sample
	for _, c := range []Contact{handled, abandoned, waiting, flowOnly, agentQueued} {
		samples = append(samples, SampleOf(c))
	}
	now := at(160)
	tests := []struct {
		m    HistoricalMetric
		th   *Threshold
		want float64
		ok   bool
	}{
		{MetricContactsCreated, nil, 5, true},
		{MetricContactsQueued, nil, 3, true},
		{MetricContactsHandled, nil, 1, true},
		{MetricContactsAbandoned, nil, 1, true},
		{MetricAbandonmentRate, nil, 100.0 / 3, true},
		{MetricAvgHandleTime, nil, 90, true},
		{MetricAvgQueueAnswerTime, nil, 10, true},
		{MetricAvgAfterContactWorkTime, nil, 30, true},
		{MetricAvgContactDuration, nil, (75 + 41 + 5) / 3.0, true},
		{MetricMaxQueuedTime, nil, 60, true}, // the waiting one, up to now
		{MetricServiceLevel, &Threshold{Comparison: "LT", Seconds: 10}, 0, true},
		{MetricServiceLevel, &Threshold{Comparison: "LTE", Seconds: 10}, 50, true},
		{MetricServiceLevel, &Threshold{Comparison: "LT", Seconds: 20}, 50, true},
	}
	for _, tc := range tests {
		got, ok, err := Compute(tc.m, tc.th, samples, now)
		if err != nil || ok != tc.ok || math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("%s %+v = %v, %v, %v; want %v, %v", tc.m, tc.th, got, ok, err, tc.want, tc.ok)
		}
	}
	// Averages and rates over nothing have no value.
	for _, m := range []HistoricalMetric{MetricAbandonmentRate, MetricAvgHandleTime, MetricMaxQueuedTime} {
		if _, ok, err := Compute(m, nil, nil, now); ok || err != nil {
			t.Errorf("%s over no contact: ok=%v err=%v", m, ok, err)
		}
	}
	if _, _, err := Compute("AGENT_OCCUPANCY", nil, samples, now); !apierr.HasCode(err, apierr.CodeInvalidParameter) || !strings.Contains(err.Error(), "ABANDONMENT_RATE, AVG_AFTER_CONTACT_WORK_TIME") {
		t.Errorf("unknown metric: %v", err)
	}
	for _, th := range []*Threshold{nil, {Comparison: "GT", Seconds: 10}, {Comparison: "LT", Seconds: 0}, {Comparison: "LT", Seconds: 1.5}} {
		if _, _, err := Compute(MetricServiceLevel, th, samples, now); !apierr.HasCode(err, apierr.CodeInvalidParameter) {
			t.Errorf("SERVICE_LEVEL with threshold %+v: %v", th, err)
		}
	}
}
