package flow

import (
	"path/filepath"
	"testing"
)

func sampleFlows(t testing.TB) FlowSet {
	t.Helper()
	fs := FlowSet{}
	for id, file := range map[string]string{
		"greeting": "greeting_menu_queue.json", "card": "secure_card_capture.json", "chat": "chat.json",
		"verify-customer": "verify_customer_module.json",
	} {
		f := mustLoad(t, filepath.Join("samples", file))
		fs[id] = FlowRef{ID: id, Name: file, Module: f.IsModule(), Flow: f}
	}
	return fs
}

// TestSampleFlowTraces runs the sample flows through scenarios and compares the whole
// trace (every Result and the final Session) with testdata/flows/*.golden.json. The
// session goes through JSON before every Resume, as after a restart.
func TestSampleFlowTraces(t *testing.T) {
	fs := sampleFlows(t)
	tests := []struct {
		name, flow, channel string
		configured, open    bool
		answers             []testAnswer
	}{
		{name: "greeting_sales_queued", flow: "greeting", channel: "VOICE", configured: true, open: true, answers: []testAnswer{
			{External: map[string]string{"firstName": "Ada", "tier": "gold"}}, {Input: "1"}, {}}},
		{name: "greeting_closed", flow: "greeting", channel: "VOICE", configured: true, open: false, answers: []testAnswer{
			{External: map[string]string{"firstName": "Ada", "tier": "silver"}}}},
		{name: "greeting_no_input", flow: "greeting", channel: "VOICE", configured: true, open: true, answers: []testAnswer{
			{ErrorType: "NoMatchingError"}, {Timeout: true}, {Input: "7"}, {Timeout: true}}},
		{name: "greeting_queue_full", flow: "greeting", channel: "VOICE", configured: true, open: true, answers: []testAnswer{
			{External: map[string]string{}}, {Input: "2"}, {ErrorType: "QueueAtCapacity"}}},
		{name: "card_approved", flow: "card", channel: "VOICE", configured: true, answers: []testAnswer{
			{Input: canaryCard}, {External: map[string]string{"status": "approved"}}}},
		{name: "card_timeout_then_declined", flow: "card", channel: "VOICE", configured: true, answers: []testAnswer{
			{Timeout: true}, {Input: canaryCard}, {External: map[string]string{"status": "declined"}}}},
		{name: "card_without_encryptor", flow: "card", channel: "VOICE", configured: false, answers: []testAnswer{
			{Input: canaryCard}, {Input: canaryCard}, {Input: canaryCard}}},
		{name: "chat_orders", flow: "chat", channel: "CHAT", configured: true, answers: []testAnswer{
			{JSON: []byte(`{"customer":{"verified":true,"segment":"retail"}}`)}, {Input: "1"}, {}}},
		{name: "chat_busy_customer_returns", flow: "chat", channel: "CHAT", configured: true, answers: []testAnswer{
			{ErrorType: "NoMatchingError"}, {Input: "2"}, {ErrorType: "QueueAtCapacity"}, {Event: "CustomerReturned"}, {}}},
		{name: "chat_idle", flow: "chat", channel: "CHAT", configured: true, answers: []testAnswer{
			{JSON: []byte(`{"customer":{"verified":false}}`)}, {Timeout: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := testEngine(fs, tt.configured, fakeHost{open: tt.open})
			results, s := run(t, e, testSession(tt.channel), tt.flow, tt.answers)
			if !s.Ended() {
				t.Errorf("flow did not end; waiting for %+v", s.Wait)
			}
			assertNoCanary(t, "results", results)
			assertNoCanary(t, "session", s)
			golden(t, filepath.Join("testdata", "flows", tt.name+".golden.json"), map[string]any{"results": results, "session": s})
		})
	}
}
