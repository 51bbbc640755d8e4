package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestWidgetCommands creates, lists and deletes a chat widget with the CLI, as the README
// shows, and checks what it refuses.
func TestWidgetCommands(t *testing.T) {
	dir := t.TempDir()
	out, err := run(t, nil, "bootstrap", "--data-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	var boot bootstrapOutput
	if err := json.Unmarshal([]byte(out), &boot); err != nil {
		t.Fatal(err)
	}
	inst := boot.InstanceID
	rec, ok := flowByName(t, dir, inst, "Sample inbound flow")
	if !ok {
		t.Fatal("no Sample inbound flow")
	}
	queueFlow, _ := flowByName(t, dir, inst, "Default customer queue")

	out, err = run(t, nil, "widget", "create", "--data-dir", dir, "--instance", inst, "--flow", rec.ID, "--name", "Support", "--json")
	if err != nil {
		t.Fatalf("widget create: %v", err)
	}
	var w widgetJSON
	if err := json.Unmarshal([]byte(out), &w); err != nil || w.ID == "" || w.Name != "Support" || w.ContactFlowID != rec.ID ||
		!strings.Contains(w.Snippet, "/widget/"+w.ID+"/loader.js") || w.DisplayNamePrompt != "Your name" {
		t.Fatalf("widget create printed %s (%v)", out, err)
	}
	out, err = run(t, nil, "widget", "create", "--data-dir", dir, "--instance", inst, "--flow", rec.ID)
	if err != nil || !strings.Contains(out, `<script src="https://127.0.0.1:8443/widget/`) {
		t.Errorf("widget create (text): %v\n%s", err, out)
	}
	for _, bad := range [][]string{
		{"--instance", inst, "--flow", rec.ID, "--name", "Support"},   // the name is taken
		{"--instance", inst, "--flow", queueFlow.ID},                  // not a contact flow
		{"--instance", inst, "--flow", "no-such-flow", "--name", "x"}, // no such flow
		{"--instance", inst}, // no flow
	} {
		if _, err := run(t, nil, append([]string{"widget", "create", "--data-dir", dir}, bad...)...); err == nil {
			t.Errorf("widget create %v succeeded", bad)
		}
	}
	out, err = run(t, nil, "widget", "list", "--data-dir", dir, "--instance", inst)
	if err != nil || !strings.Contains(out, w.ID) || !strings.Contains(out, "Support") || strings.Count(out, "\n") != 3 {
		t.Errorf("widget list: %v\n%s", err, out)
	}
	if _, err := run(t, nil, "widget", "delete", w.ID, "--data-dir", dir, "--instance", inst); err != nil {
		t.Fatalf("widget delete: %v", err)
	}
	if _, err := run(t, nil, "widget", "delete", w.ID, "--data-dir", dir, "--instance", inst); err == nil {
		t.Error("deleting twice succeeded")
	}
	out, _ = run(t, nil, "widget", "list", "--data-dir", dir, "--instance", inst, "--json")
	if strings.Contains(out, w.ID) {
		t.Errorf("deleted widget still listed: %s", out)
	}
}
