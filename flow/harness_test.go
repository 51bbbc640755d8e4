package flow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ringfence/ringfence/secret"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// Canary values that must never appear in sessions, results or logs in clear.
const (
	canaryCard = "4111111111111111"
	testLogKey = "flow-log-test-key"
)

var testClock = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

type fakeHost struct {
	open bool
}

func (h fakeHost) HoursOpen(context.Context, string, string, time.Time) (bool, error) {
	return h.open, nil
}

func (fakeHost) QueueMetrics(_ context.Context, q, _, _ string) (QueueMetrics, error) {
	return QueueMetrics{QueueName: "Sales", QueueARN: q, ContactsInQueue: 4, OldestContactAgeSeconds: 95,
		AgentsOnline: 6, AgentsAvailable: 2, AgentsStaffed: 5, AgentsBusy: 3}, nil
}

func (fakeHost) CreateTask(context.Context, TaskRequest) (string, error) {
	return "task-contact-1", nil
}

func (fakeHost) CreateCallback(context.Context, CallbackRequest) (string, error) {
	return "callback-contact-1", nil
}

// fakeAdapter answers with the action's first condition operand and one value.
type fakeAdapter struct{}

func (fakeAdapter) Invoke(_ context.Context, c AdapterCall) (AdapterResult, error) {
	return AdapterResult{Result: "Authenticated", Values: map[string]string{"IntentName": "Sales", "Status": "ok"}}, nil
}

// fakeEncryptor stands in for the AWS Encryption SDK: the output depends on the key ID
// and the input length only, so tests can assert the plaintext is absent.
type fakeEncryptor struct{}

func (fakeEncryptor) EncryptInput(keyID, _ string, in secret.Value[string]) (string, error) {
	if keyID == "" {
		return "", errors.New("no key")
	}
	return "QUFFQ1RFWFQ=" + keyID, nil
}

// testEngine returns an engine with every capability configured, or none.
func testEngine(flows FlowSource, configured bool, host fakeHost) *Engine {
	cfg := Config{Flows: flows, Clock: testClock, LogKey: secret.New([]byte(testLogKey)), Random: func(n int) int { return 41 % n }}
	if configured {
		cfg.Host = host
		cfg.Encryptor = fakeEncryptor{}
		cfg.Adapters = map[string]Adapter{}
		for _, a := range Actions() {
			if a.Status == StatusAdapter {
				cfg.Adapters[a.Type] = fakeAdapter{}
			}
		}
	}
	return NewEngine(cfg)
}

func testSession(channel string) *Session {
	s := NewSession(Contact{ContactID: "contact-1", InitialContactID: "contact-1", Channel: channel,
		InstanceARN:      "arn:aws:connect:eu-west-2:111122223333:instance/ringfence-demo",
		CustomerEndpoint: Endpoint{Address: "+447700900123", Type: "TELEPHONE_NUMBER"},
		SystemEndpoint:   Endpoint{Address: "+442071234567", Type: "TELEPHONE_NUMBER"}})
	s.Attributes["name"] = "Ada"
	s.Attributes["amount"] = "42.00"
	return s
}

// testAnswer is the JSON form of an Answer in test data (Answer's Input is a secret).
type testAnswer struct {
	Input     string            `json:"input,omitempty"`
	Timeout   bool              `json:"timeout,omitempty"`
	ErrorType string            `json:"errorType,omitempty"`
	External  map[string]string `json:"external,omitempty"`
	JSON      json.RawMessage   `json:"json,omitempty"`
	Event     string            `json:"event,omitempty"`
}

func (a testAnswer) answer() Answer {
	return Answer{Input: secret.New(a.Input), Timeout: a.Timeout, ErrorType: a.ErrorType, External: a.External, ExternalJSON: a.JSON, Event: a.Event}
}

// run starts flowID and answers waits in order, round-tripping the session through
// JSON before every Resume (as a restart would). It returns every Result and the final
// session.
func run(t *testing.T, e *Engine, s *Session, flowID string, answers []testAnswer) ([]*Result, *Session) {
	t.Helper()
	res, err := e.Start(context.Background(), s, flowID)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	results := []*Result{res}
	for _, a := range answers {
		if !s.Waiting() {
			break
		}
		b, err := s.Marshal()
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		if s, err = UnmarshalSession(b); err != nil {
			t.Fatalf("UnmarshalSession: %v", err)
		}
		res, err = e.Resume(context.Background(), s, a.answer())
		if err != nil {
			t.Fatalf("Resume: %v", err)
		}
		results = append(results, res)
	}
	return results, s
}

// golden compares got (marshalled as indented JSON) with testdata file path, or
// rewrites it with -update.
func golden(t *testing.T, path string, got any) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	b = append(b, '\n')
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run go test -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(b)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

func mustLoad(t testing.TB, path string) *Flow {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, ps, err := Load(data, Limits{})
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	for _, p := range ps {
		t.Errorf("load %s: %s", path, p)
	}
	return f
}

func assertNoCanary(t *testing.T, what string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte(canaryCard)) {
		t.Errorf("%s contains the card number in clear: %s", what, b)
	}
}
