package flowcli

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func execute(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := NewCommand()
	var out, stderr bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&stderr)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return -1
}

func sample(name string) string { return filepath.Join("..", "samples", name) }

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"Version":"2019-10-30","StartAction":"a","Actions":[{"Identifier":"a","Type":"SetVoice","Parameters":{},"Transitions":{}}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
	}{
		{name: "valid samples", args: []string{"validate", sample("greeting_menu_queue.json"), sample("chat.json")}, wantOut: "greeting_menu_queue.json: valid"},
		{name: "invalid", args: []string{"validate", bad}, wantCode: ExitInvalid, wantOut: `unknown action Type "SetVoice"`},
		{name: "missing file", args: []string{"validate", filepath.Join(dir, "nope.json")}, wantCode: ExitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := execute(t, tt.args...)
			if got := exitCode(err); got != tt.wantCode {
				t.Errorf("exit code = %d (%v), want %d", got, err, tt.wantCode)
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("output %q does not contain %q", out, tt.wantOut)
			}
		})
	}
	out, err := execute(t, "validate", "--json", bad)
	if exitCode(err) != ExitInvalid {
		t.Fatalf("exit code = %d, want %d", exitCode(err), ExitInvalid)
	}
	var rep struct {
		Valid bool
		Files []struct {
			Problems []struct{ Kind, Identifier, Path string }
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("json output: %v\n%s", err, out)
	}
	want := []struct{ Kind, Identifier, Path string }{{"unknown_type", "a", "$.Actions[0].Type"}}
	if diff := cmp.Diff(want, rep.Files[0].Problems); rep.Valid || diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestSimulateScripted(t *testing.T) {
	dir := t.TempDir()
	resp := filepath.Join(dir, "lookup.json")
	if err := os.WriteFile(resp, []byte(`{"firstName":"Ada","tier":"gold"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := execute(t, "simulate", sample("greeting_menu_queue.json"), "--json", "--input", "2",
		"--function", "arn:aws:lambda:eu-west-2:111122223333:function:customer-lookup="+resp)
	if err != nil {
		t.Fatalf("simulate: %v\n%s", err, out)
	}
	var rep struct {
		Outcome struct{ Kind, Queue string }
		Steps   []struct{ Identifier, Type, Branch string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if rep.Outcome.Kind != "queued" || !strings.HasSuffix(rep.Outcome.Queue, "/queue/support") {
		t.Errorf("outcome = %+v, want queued in support", rep.Outcome)
	}
	var path []string
	for _, s := range rep.Steps {
		path = append(path, s.Identifier+" "+s.Branch)
	}
	want := []string{"logging NextAction", "voice NextAction", "record NextAction", "lookup Wait:function", "lookup NextAction",
		"remember NextAction", "tier? Condition:gold", "priority NextAction", "vip-hello NextAction", "hours Condition:True",
		"menu Wait:input", "menu Condition:2", "support NextAction", "transfer Wait:queue", "transfer End:queued"}
	if diff := cmp.Diff(want, path); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	// Without answers the flow stops at its first wait.
	_, err = execute(t, "simulate", sample("greeting_menu_queue.json"))
	if got := exitCode(err); got != ExitNotTerminal {
		t.Errorf("unanswered: exit code = %d, want %d", got, ExitNotTerminal)
	}
	// The module resolves with --flow; secure capture never prints the digits.
	out, err = execute(t, "simulate", sample("chat.json"), "--channel", "CHAT", "--auto",
		"--flow", "verify-customer="+sample("verify_customer_module.json"))
	if err != nil || !strings.Contains(out, "Module:verify-customer") {
		t.Errorf("chat with module: %v\n%s", err, out)
	}
	out, err = execute(t, "simulate", sample("secure_card_capture.json"), "--input", "4111111111111111", "--auto")
	if err != nil || strings.Contains(out, "4111111111111111") {
		t.Errorf("card capture: err %v; output must not contain the card number:\n%s", err, out)
	}
}

// TestSimulateCorpusAuto runs every valid public corpus flow with --auto and expects a
// terminal outcome.
func TestSimulateCorpusAuto(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "corpus", "flows")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) == 0 {
		t.Skipf("public flow corpus not found at %s (shared test data, not in the repository)", dir)
	}
	kinds := map[string]int{}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			out, err := execute(t, "validate", file)
			if exitCode(err) != 0 {
				t.Skipf("not valid as published (template placeholders): %s", firstLine(out))
			}
			out, err = execute(t, "simulate", "--auto", "--json", file)
			if err != nil {
				t.Fatalf("simulate: %v\n%s", err, out)
			}
			var rep struct{ Outcome struct{ Kind string } }
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("json: %v", err)
			}
			kinds[rep.Outcome.Kind]++
		})
	}
	t.Logf("outcomes: %v", kinds)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
