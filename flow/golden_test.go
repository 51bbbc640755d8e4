package flow

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// actionGolden is one testdata/golden/<Type>.json file: the inputs (an action, the
// channel, the answers to its waits) and the outputs with every capability configured
// and with none (go test -update rewrites the outputs).
type actionGolden struct {
	Action     json.RawMessage `json:"action"`
	Channel    string          `json:"channel"`
	Answers    []testAnswer    `json:"answers"`
	Configured *goldenRun      `json:"configured,omitempty"`
	Bare       *goldenRun      `json:"bare,omitempty"`
}

type goldenRun struct {
	Results []*Result `json:"results"`
	Session *Session  `json:"session"`
}

// flowAround wraps one action in a flow whose every transition target is an
// EndFlowExecution stub.
func flowAround(t *testing.T, raw json.RawMessage) *Flow {
	t.Helper()
	var a Action
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatalf("decode action: %v", err)
	}
	doc := map[string]any{"Version": SupportedVersion, "StartAction": a.Identifier}
	actions := []any{json.RawMessage(raw)}
	seen := map[string]bool{a.Identifier: true}
	targets := []string{a.Transitions.NextAction}
	for _, e := range a.Transitions.Errors {
		targets = append(targets, e.NextAction)
	}
	for _, c := range a.Transitions.Conditions {
		targets = append(targets, c.NextAction)
	}
	for _, id := range targets {
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		actions = append(actions, map[string]any{"Identifier": id, "Type": "EndFlowExecution", "Parameters": map[string]any{}, "Transitions": map[string]any{}})
	}
	doc["Actions"] = actions
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	f, ps, err := Load(data, Limits{})
	if err != nil {
		t.Fatalf("golden action does not validate: %v", err)
	}
	for _, p := range ps {
		t.Errorf("golden action problem: %s", p)
	}
	return f
}

func goldenFlowSet(t *testing.T, f *Flow) FlowSet {
	main := mustParse(t, `{"Version":"2019-10-30","StartAction":"m","Actions":[
		{"Identifier":"m","Type":"MessageParticipant","Parameters":{"Text":"main flow"},"Transitions":{"NextAction":"end"}},
		{"Identifier":"end","Type":"EndFlowExecution","Parameters":{},"Transitions":{}}]}`)
	auth := mustParse(t, `{"Version":"2019-10-30","StartAction":"set","Settings":{"Transitions":[]},"Actions":[
		{"Identifier":"set","Type":"UpdateFlowAttributes","Parameters":{"FlowAttributes":{"step":{"Value":"auth"}}},"Transitions":{"NextAction":"r"}},
		{"Identifier":"r","Type":"EndFlowModuleExecution","Parameters":{},"Transitions":{}}]}`)
	return FlowSet{"under-test": {ID: "under-test", Name: "under test", Flow: f},
		"main": {ID: "main", Name: "main", Flow: main}, "auth": {ID: "auth", Name: "auth", Module: true, Flow: auth}}
}

func mustParse(t *testing.T, s string) *Flow {
	t.Helper()
	f, ps, err := Load([]byte(s), Limits{})
	if err != nil || len(ps) > 0 {
		t.Fatalf("load: %v %v", err, ps)
	}
	return f
}

// TestActionGolden runs every action Type's golden example configured and bare.
func TestActionGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".json"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var g actionGolden
			if err := json.Unmarshal(data, &g); err != nil {
				t.Fatalf("decode %s: %v", file, err)
			}
			f := flowAround(t, g.Action)
			fs := goldenFlowSet(t, f)
			for _, configured := range []bool{true, false} {
				s := testSession(g.Channel)
				s.Logging = true
				s.Contact.PreviousContactID = "contact-0"
				s.Behaviour.TargetQueue = "arn:aws:connect:eu-west-2:111122223333:instance/ringfence-demo/queue/sales"
				results, s := run(t, testEngine(fs, configured, fakeHost{open: true}), s, "under-test", g.Answers)
				assertNoCanary(t, "results", results)
				assertNoCanary(t, "session", s)
				gr := &goldenRun{Results: results, Session: s}
				if configured {
					g.Configured = gr
				} else {
					g.Bare = gr
				}
			}
			golden(t, file, g)
		})
	}
}

// TestRegistryComplete fails when a registered Type has no golden file, a golden file
// names no registered Type, or a Type used by the public corpus has no action.
func TestRegistryComplete(t *testing.T) {
	registered := map[string]bool{}
	for _, a := range Actions() {
		registered[a.Type] = true
		if _, err := os.Stat(filepath.Join("testdata", "golden", a.Type+".json")); err != nil {
			t.Errorf("action %s has no golden file testdata/golden/%s.json", a.Type, a.Type)
		}
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.json"))
	for _, f := range files {
		if typ := strings.TrimSuffix(filepath.Base(f), ".json"); !registered[typ] {
			t.Errorf("golden file %s names no registered action", f)
		}
	}
	if got := len(specIndex()); got != len(builtinSpecs()) {
		t.Errorf("registry has %d unique Types for %d entries; a Type is registered twice", got, len(builtinSpecs()))
	}
	corpus := map[string]bool{}
	for _, file := range corpusFiles(t, "flows") {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct{ Actions []struct{ Type string } }
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, a := range doc.Actions {
			corpus[a.Type] = true
		}
	}
	var missing []string
	for typ := range corpus {
		if !registered[typ] {
			missing = append(missing, typ)
		}
	}
	sort.Strings(missing)
	if diff := cmp.Diff([]string(nil), missing); diff != "" {
		t.Errorf("corpus Types without an action (-want +got):\n%s", diff)
	}
	// The frequency table covers the 208 flows of the full survey (46 Types).
	freq, err := os.ReadFile(filepath.Join("..", "..", "shared", "reference", "ACTION_FREQUENCY.md"))
	if err != nil {
		t.Skipf("ACTION_FREQUENCY.md not found (shared reference, not in the repository): %v", err)
	}
	n := 0
	for _, line := range strings.Split(string(freq), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || !strings.HasPrefix(strings.TrimSpace(cells[2]), "`") {
			continue
		}
		typ := strings.Trim(strings.TrimSpace(cells[2]), "`")
		if strings.Trim(strings.TrimSpace(cells[1]), "0123456789") != "" {
			continue
		}
		n++
		if !registered[typ] {
			t.Errorf("ACTION_FREQUENCY.md Type %s has no action", typ)
		}
	}
	if n != 46 {
		t.Errorf("read %d Types from ACTION_FREQUENCY.md, want 46", n)
	}
}
