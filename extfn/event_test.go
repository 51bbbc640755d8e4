package extfn

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/golden")

// fullEvent uses every field; values are the project's own test data.
func fullEvent() Event {
	return Event{
		Name: EventName,
		Details: Details{
			ContactData: ContactData{
				Attributes:       map[string]string{"accountTier": "gold"},
				Channel:          "VOICE",
				ContactID:        "6f1d7c1e-0a43-4b7e-9a35-5b0c2f7d8e11",
				CustomerEndpoint: &Endpoint{Address: "+15555550123", Type: "TELEPHONE_NUMBER"},
				CustomerID:       "cust-0042",
				Description:      "callback requested",
				InitialContactID: "6f1d7c1e-0a43-4b7e-9a35-5b0c2f7d8e11",
				InitiationMethod: "INBOUND",
				InstanceARN:      "arn:aws:connect:eu-west-2:000000000000:instance/0b9e1c55-8a7e-4d1e-b0d6-2b8a6c1f0f00",
				LanguageCode:     "en-GB",
				MediaStreams: &MediaStreams{Customer: CustomerMedia{Audio: &AudioStream{
					StartFragmentNumber: "91343852333181432392682062607743920146264440573",
					StartTimestamp:      "1764000000000",
					StopFragmentNumber:  "91343852333181432392682062607743920146264440999",
					StopTimestamp:       "1764000042000",
					StreamARN:           "arn:aws:kinesisvideo:eu-west-2:000000000000:stream/ringfence-contact-6f1d7c1e/1764000000000",
				}}},
				Name:              "Callback for order 1001",
				PreviousContactID: "6f1d7c1e-0a43-4b7e-9a35-5b0c2f7d8e11",
				Queue: &Queue{
					ARN:              "arn:aws:connect:eu-west-2:000000000000:instance/0b9e1c55-8a7e-4d1e-b0d6-2b8a6c1f0f00/queue/7d0c6a4e-5b1f-4e3a-9c2d-1e0f3a4b5c6d",
					Name:             "Billing",
					OutboundCallerID: &Endpoint{Address: "+15555550199", Type: "TELEPHONE_NUMBER"},
				},
				References:     map[string]Reference{"order": {Type: "URL", Value: "https://orders.example.com/1001"}},
				SystemEndpoint: &Endpoint{Address: "+15555550100", Type: "TELEPHONE_NUMBER"},
			},
			Parameters: map[string]string{"orderId": "1001", "static": "x"},
		},
	}
}

// minimalEvent is a first-leg voice contact, not queued, no media streaming, no parameters.
func minimalEvent() Event {
	return Event{Details: Details{ContactData: ContactData{
		Channel:           "VOICE",
		ContactID:         "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f",
		CustomerEndpoint:  &Endpoint{Address: "+15555550123", Type: "TELEPHONE_NUMBER"},
		InitialContactID:  "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f",
		InitiationMethod:  "INBOUND",
		InstanceARN:       "arn:aws:connect:us-east-1:000000000000:instance/11111111-2222-4333-8444-555555555555",
		PreviousContactID: "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f",
	}}}
}

// taskEvent is a task: no customer or system endpoint, media streaming never started.
func taskEvent() Event {
	e := minimalEvent()
	e.Details.ContactData.Channel = "TASK"
	e.Details.ContactData.InitiationMethod = "API"
	e.Details.ContactData.CustomerEndpoint = nil
	e.Details.ContactData.MediaStreams = &MediaStreams{}
	e.Details.ContactData.Name = "Review refund"
	return e
}

func TestEventGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		event Event
	}{
		{"event_full", fullEvent()},
		{"event_minimal", minimalEvent()},
		{"event_task", taskEvent()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := json.MarshalIndent(tt.event.normalized(), "", "  ")
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "golden", tt.name+".json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatalf("update golden: %v", err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden (run go test -update to create): %v", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("event JSON (-want +got):\n%s", diff)
			}
			var back Event
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatalf("unmarshal: %v", err)
			}
			if diff := cmp.Diff(tt.event.normalized(), back); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEventMatchesReference decodes the JSON examples of the project's Lambda event reference
// (../shared/reference/LAMBDA_EVENT.md, taken from the Connect Administrator Guide) and checks
// that re-encoding gives the same document: every field name, and every null, round-trips.
func TestEventMatchesReference(t *testing.T) {
	t.Parallel()
	path := filepath.Join("..", "..", "shared", "reference", "LAMBDA_EVENT.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("reference %s not available (it lives outside the module, next to it): %v", path, err)
	}
	blocks := regexp.MustCompile("(?s)```json\n(.*?)```").FindAllSubmatch(doc, -1)
	var events [][]byte
	for _, b := range blocks {
		if bytes.Contains(b[1], []byte(`"ContactFlowEvent"`)) && bytes.Contains(b[1], []byte(`"Details"`)) {
			events = append(events, b[1])
		}
	}
	if len(events) < 2 {
		t.Fatalf("found %d event examples in %s, want at least 2", len(events), path)
	}
	for i, raw := range events {
		t.Run("example"+string(rune('1'+i)), func(t *testing.T) {
			t.Parallel()
			var e Event
			if err := json.Unmarshal(raw, &e); err != nil {
				t.Fatalf("unmarshal: %v", err)
			}
			again, err := json.Marshal(e)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			var want, got any
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatalf("unmarshal reference: %v", err)
			}
			if err := json.Unmarshal(again, &got); err != nil {
				t.Fatalf("unmarshal ours: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("re-encoded event differs from the reference (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEventIgnoresUnknownFields(t *testing.T) {
	t.Parallel()
	raw := `{"Details":{"ContactData":{"Channel":"CHAT","Tags":{"a":"b"},"SegmentAttributes":{},"Queue":null},"Parameters":{"k":"v"}},"Name":"ContactFlowEvent","Extra":1}`
	var e Event
	if err := json.Unmarshal([]byte(raw), &e); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	if e.Details.ContactData.Channel != "CHAT" || e.Details.Parameters["k"] != "v" || e.Details.ContactData.Queue != nil {
		t.Errorf("got %+v, want channel CHAT, parameter k=v, no queue", e)
	}
}
