package flowimport

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ringfence/ringfence/flow"
)

const targetInstance = "arn:aws:connect:us-east-1:999988887777:instance/11111111-2222-4333-8444-555555555555"

// fakeInstance is a target instance held in memory: resources by kind.
type fakeInstance map[Kind][]Resource

func (f fakeInstance) add(k Kind, id, name string) Resource {
	seg := map[Kind]string{KindQueue: "queue", KindFlow: "contact-flow", KindModule: "flow-module", KindHours: "operating-hours",
		KindUser: "agent", KindQuickConnect: "transfer-destination", KindAgentStatus: "agent-state", KindPrompt: "prompt"}[k]
	r := Resource{ID: id, Name: name}
	if seg != "" {
		r.ARN = targetInstance + "/" + seg + "/" + id
	}
	f[k] = append(f[k], r)
	return r
}

func (f fakeInstance) Find(_ context.Context, k Kind, ref string) (Resource, bool, error) {
	for _, r := range f[k] {
		if r.ID == ref {
			return r, true, nil
		}
	}
	for _, r := range f[k] {
		if r.Name == ref || k == KindSecurityKey && strings.TrimSpace(r.PublicKey) == strings.TrimSpace(ref) {
			return r, true, nil
		}
	}
	return Resource{}, false, nil
}

// corpusFile returns a file of ../shared/corpus/flows, or skips.
func corpusFile(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(corpusDir(t), name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("corpus flow %s not found: %v", name, err)
	}
	return p
}

func corpusDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "corpus", "flows")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("public flow corpus not found at %s (it is shared test data, not part of the repository): %v", dir, err)
	}
	return dir
}

func importFile(t *testing.T, path string, res Resolver, overrides map[string]string) *Result {
	t.Helper()
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Import(context.Background(), doc, res, Options{Overrides: overrides, InstanceARN: targetInstance})
	if err != nil {
		t.Fatalf("Import(%s): %v", filepath.Base(path), err)
	}
	return r
}

// parameter returns the parameter key of the action id in the imported content.
func parameter(t *testing.T, content []byte, id, key string) any {
	t.Helper()
	f, ps := flow.Parse(content, flow.DefaultLimits())
	if f == nil {
		t.Fatalf("imported content does not parse: %v", ps)
	}
	a := f.Action(id)
	if a == nil {
		t.Fatalf("no action %q in the imported content", id)
	}
	return a.Parameters[key]
}

type refSummary struct {
	Identifier, Path string
	Kind             Kind
	Name             string
	Status           Status
	Via              string
}

func summarize(refs []Reference) []refSummary {
	out := make([]refSummary, 0, len(refs))
	for _, r := range refs {
		out = append(out, refSummary{r.Identifier, r.Path, r.Kind, r.Name, r.Status, r.Via})
	}
	return out
}

const generalFlow = "ccarrylab__terraform-aws-amazonconnect__examples__complete__flows__general_contact_flow.json"
const simpleInbound = "aws-samples__amazon-connect-data-analytics-sample__contact-flows__SimpleInboundFlow.json"

func TestImportGeneralContactFlowByName(t *testing.T) {
	path := corpusFile(t, generalFlow)
	inst := fakeInstance{}
	service := inst.add(KindQueue, "q-service", "Customer Service")
	tech := inst.add(KindQueue, "q-tech", "Techincal Support")
	sales := inst.add(KindQueue, "q-sales", "Sales")
	r := importFile(t, path, inst, nil)
	want := []refSummary{
		{"0bac08e4-3842-4ac3-9762-89cdc118b360", "$.Actions[3].Parameters.QueueId", KindQueue, "Customer Service", Mapped, ViaName},
		{"ddeaa463-1210-42f8-bf95-32adafc0297d", "$.Actions[4].Parameters.QueueId", KindQueue, "Techincal Support", Mapped, ViaName},
		{"4d8fb1ec-c100-4eff-8d5c-cd627c053ec1", "$.Actions[5].Parameters.QueueId", KindQueue, "Sales", Mapped, ViaName},
	}
	if diff := cmp.Diff(want, summarize(r.References)); diff != "" {
		t.Errorf("references (-want +got):\n%s", diff)
	}
	for id, q := range map[string]Resource{"0bac08e4-3842-4ac3-9762-89cdc118b360": service, "ddeaa463-1210-42f8-bf95-32adafc0297d": tech, "4d8fb1ec-c100-4eff-8d5c-cd627c053ec1": sales} {
		if got := parameter(t, r.Content, id, "QueueId"); got != q.ARN {
			t.Errorf("action %s QueueId = %v, want %s", id, got, q.ARN)
		}
	}
	if strings.Contains(string(r.Content), "894267811696") {
		t.Errorf("the source account remains in the imported content:\n%s", r.Content)
	}
	if !strings.Contains(string(r.Content), `"queue":{"id":"`+service.ARN+`","text":"Customer Service"}`) {
		t.Errorf("designer metadata still names the source queue:\n%s", r.Content)
	}
	if _, ps, err := flow.Load(r.Content, flow.DefaultLimits()); err != nil {
		t.Errorf("imported flow does not validate: %v", ps)
	}
	if r.Name != "" || r.FlowType != "" || r.Module {
		t.Errorf("name %q type %q module %v, want none from a file without top-level metadata", r.Name, r.FlowType, r.Module)
	}
}

func TestImportGeneralContactFlowUnmapped(t *testing.T) {
	path := corpusFile(t, generalFlow)
	orig, _ := os.ReadFile(path)
	inst := fakeInstance{}
	inst.add(KindQueue, "q-service", "Customer Service")
	r := importFile(t, path, inst, nil)
	un := r.Unmapped()
	want := []refSummary{
		{"ddeaa463-1210-42f8-bf95-32adafc0297d", "$.Actions[4].Parameters.QueueId", KindQueue, "Techincal Support", Unmapped, ""},
		{"4d8fb1ec-c100-4eff-8d5c-cd627c053ec1", "$.Actions[5].Parameters.QueueId", KindQueue, "Sales", Unmapped, ""},
	}
	if diff := cmp.Diff(want, summarize(un)); diff != "" {
		t.Errorf("unmapped (-want +got):\n%s", diff)
	}
	if un[0].Message != `no queue named "Techincal Support" in this instance` || !strings.Contains(string(orig), un[0].Value) {
		t.Errorf("unmapped[0] = %+v", un[0])
	}
	// An unmapped reference stays as written (and its designer copy is not reported twice).
	if got := parameter(t, r.Content, "4d8fb1ec-c100-4eff-8d5c-cd627c053ec1", "QueueId"); got != un[1].Value {
		t.Errorf("unmapped QueueId rewritten to %v", got)
	}
	if len(r.References) != 3 {
		t.Errorf("references = %d, want 3 (one mapped, two unmapped): %+v", len(r.References), r.References)
	}
}

func TestImportSimpleInboundFlow(t *testing.T) {
	path := corpusFile(t, simpleInbound)
	inst := fakeInstance{}
	basic := inst.add(KindQueue, "q-basic", "BasicQueue")
	r := importFile(t, path, inst, nil)
	if r.Name != "SimpleInboundFlow" || r.Description != "SimpleInboundFlow" || r.FlowType != "CONTACT_FLOW" || r.Module {
		t.Errorf("name %q description %q type %q module %v", r.Name, r.Description, r.FlowType, r.Module)
	}
	want := []refSummary{{"208f92b4-feeb-4394-b69d-086e98bbff89", "$.Actions[7].Parameters.QueueId", KindQueue, "BasicQueue", Mapped, ViaName}}
	if diff := cmp.Diff(want, summarize(r.References)); diff != "" {
		t.Errorf("references (-want +got):\n%s", diff)
	}
	if got := parameter(t, r.Content, "208f92b4-feeb-4394-b69d-086e98bbff89", "QueueId"); got != basic.ARN {
		t.Errorf("QueueId = %v, want %s", got, basic.ARN)
	}
	if strings.Contains(string(r.Content), "976576190876") {
		t.Errorf("the source account remains:\n%s", r.Content)
	}
	// The Mapped queue by override instead: a name or an ID of the target, keyed by the ARN or its ID.
	other := inst.add(KindQueue, "q-other", "Escalations")
	for _, key := range []string{
		"arn:aws:connect:us-west-2:976576190876:instance/4e3a1ac7-02cc-46f6-80ef-ca0f80affd4f/queue/1f56e765-4d77-4d45-ba47-88d974497393",
		"1f56e765-4d77-4d45-ba47-88d974497393",
	} {
		for _, val := range []string{"Escalations", "q-other"} {
			r := importFile(t, path, inst, map[string]string{key: val})
			if got := parameter(t, r.Content, "208f92b4-feeb-4394-b69d-086e98bbff89", "QueueId"); got != other.ARN || r.References[0].Via != ViaOverride || len(r.UnusedOverrides) != 0 {
				t.Errorf("--map %s=%s: QueueId = %v via %s (unused %v), want %s", key, val, got, r.References[0].Via, r.UnusedOverrides, other.ARN)
			}
		}
	}
	r = importFile(t, path, inst, map[string]string{"1f56e765-4d77-4d45-ba47-88d974497393": "Nope", "arn:unused": "BasicQueue"})
	if un := r.Unmapped(); len(un) != 1 || un[0].Message != `the override "Nope" names no queue of this instance` {
		t.Errorf("override to a missing queue: unmapped = %+v", un)
	}
	if diff := cmp.Diff([]string{"arn:unused"}, r.UnusedOverrides); diff != "" {
		t.Errorf("unused overrides (-want +got):\n%s", diff)
	}
}

const (
	sourcePEM = "-----BEGIN PUBLIC KEY-----\nSOURCE\n-----END PUBLIC KEY-----"
	otherPEM  = "-----BEGIN PUBLIC KEY-----\nOTHER\n-----END PUBLIC KEY-----"
	src       = "arn:aws:connect:eu-west-2:111122223333:instance/00000000-0000-4000-8000-000000000001"
)

func TestImportEveryKind(t *testing.T) {
	inst := fakeInstance{}
	support := inst.add(KindQueue, "q-support", "Support")
	hours := inst.add(KindHours, "h-office", "Office hours")
	verify := inst.add(KindModule, "m-verify", "Verify caller")
	music := inst.add(KindFlow, "f-music", "Queue music")
	billing := inst.add(KindFlow, "f-billing", "Billing")
	jdoe := inst.add(KindUser, "u-jdoe", "jdoe")
	inst[KindSecurityKey] = []Resource{{ID: "target-key", PublicKey: sourcePEM}, {ID: "other-key", PublicKey: otherPEM}}

	r := importFile(t, filepath.Join("testdata", "export.json"), inst, nil)
	if r.Name != "Support line" || r.FlowType != "CONTACT_FLOW" || r.Description == "" {
		t.Errorf("name %q type %q description %q", r.Name, r.FlowType, r.Description)
	}
	want := []refSummary{
		{"welcome", "$.Actions[0].Parameters.PromptId", KindPrompt, "Welcome.wav", Unmapped, ""},
		{"greet", "$.Actions[1].Parameters.Text", KindPlaceholder, "", Unmapped, ""},
		{"set-queue", "$.Actions[2].Parameters.QueueId", KindQueue, "Support", Mapped, ViaName},
		{"remember", "$.Actions[3].Parameters.Attributes.instance", KindInstance, "", Mapped, ViaInstance},
		{"remember", "$.Actions[3].Parameters.Attributes.queue", KindQueue, "Support", Mapped, ViaName},
		{"hours", "$.Actions[4].Parameters.HoursOfOperationId", KindHours, "Office hours", Mapped, ViaName},
		{"verify", "$.Actions[5].Parameters.FlowModuleId", KindModule, "Verify caller", Mapped, ViaName},
		{"lookup", "$.Actions[6].Parameters.LambdaFunctionARN", KindFunction, "lookup-customer", External, ""},
		{"card", "$.Actions[7].Parameters.InputEncryption.EncryptionKeyId", KindSecurityKey, sourcePEM, Mapped, ViaName},
		{"hook", "$.Actions[8].Parameters.EventHooks.CustomerQueue", KindFlow, "Queue music", Mapped, ViaName},
		{"to-agent", "$.Actions[9].Parameters.AgentId", KindUser, "jdoe", Mapped, ViaName},
		{"transfer", "$.Actions[11].Parameters.ContactFlowId", KindFlow, "Billing line", Unmapped, ""},
		{"", `$.Metadata.ActionMetadata.stale.queue.id`, KindQueue, "Old queue", Cleared, ""},
	}
	if diff := cmp.Diff(want, summarize(r.References)); diff != "" {
		t.Errorf("references (-want +got):\n%s", diff)
	}
	if w := r.Warnings(); len(w) != 1 || !strings.Contains(w[0].Message, "external function mapping required") {
		t.Errorf("warnings = %+v", w)
	}
	checks := map[string][2]any{
		"set-queue": {"QueueId", support.ARN},
		"hours":     {"HoursOfOperationId", hours.ARN},
		"verify":    {"FlowModuleId", verify.ARN},
		"hook":      {"EventHooks", map[string]any{"CustomerQueue": music.ARN}},
		"to-agent":  {"AgentId", jdoe.ARN},
		"lookup":    {"LambdaFunctionARN", "arn:aws:lambda:eu-west-2:111122223333:function:lookup-customer"},
		"survey":    {"ViewResource", map[string]any{"Id": "arn:aws:connect:eu-west-2:aws:view/form:1"}},
		"greet":     {"Text", "Hello {{customer}}, <b>welcome</b>."},
		"remember":  {"Attributes", map[string]any{"queue": support.ARN, "instance": targetInstance, "caller": "$.CustomerEndpoint.Address"}},
		"card":      {"InputEncryption", map[string]any{"EncryptionKeyId": "target-key", "Key": sourcePEM}},
		"transfer":  {"ContactFlowId", src + "/contact-flow/00000000-0000-4000-8000-0000000000c1"},
		"welcome":   {"PromptId", src + "/prompt/00000000-0000-4000-8000-0000000000d1"},
	}
	for id, c := range checks {
		if diff := cmp.Diff(c[1], parameter(t, r.Content, id, c[0].(string))); diff != "" {
			t.Errorf("%s %s (-want +got):\n%s", id, c[0], diff)
		}
	}
	content := string(r.Content)
	if !strings.Contains(content, `"contactFlow":{"id":"`+music.ARN+`","text":"Queue music"}`) ||
		!strings.Contains(content, `"queue":{"id":"","text":"Old queue"}`) || !strings.Contains(content, "<b>welcome</b>") {
		t.Errorf("designer metadata not rewritten as expected:\n%s", content)
	}

	// Prompts are stored: one the instance has is mapped by its name, and an override names a
	// prompt of the instance. With overrides everything maps and no ARN of the source account
	// remains.
	greeting := inst.add(KindPrompt, "p-greeting", "Greeting prompt")
	inst.add(KindPrompt, "p-welcome", "Welcome.wav")
	r = importFile(t, filepath.Join("testdata", "export.json"), inst, nil)
	if got := parameter(t, r.Content, "welcome", "PromptId"); got != targetInstance+"/prompt/p-welcome" {
		t.Errorf("prompt mapped by name to %v", got)
	}
	inst[KindPrompt] = inst[KindPrompt][:1]
	r = importFile(t, filepath.Join("testdata", "export.json"), inst, map[string]string{
		"00000000-0000-4000-8000-0000000000d1": "Greeting prompt",
		"{{customer}}":                         "there",
		"arn:aws:lambda:eu-west-2:111122223333:function:lookup-customer": "arn:aws:lambda:us-east-1:999988887777:function:lookup",
		src + "/contact-flow/00000000-0000-4000-8000-0000000000c1":       "f-billing",
		"source-key-1": "other-key",
	})
	if un, w := r.Unmapped(), r.Warnings(); len(un) != 0 || len(w) != 0 || len(r.UnusedOverrides) != 0 {
		t.Fatalf("unmapped %+v, warnings %+v, unused %v", un, w, r.UnusedOverrides)
	}
	if strings.Contains(string(r.Content), "111122223333") {
		t.Errorf("the source account remains:\n%s", r.Content)
	}
	if got := parameter(t, r.Content, "welcome", "PromptId"); got != greeting.ARN {
		t.Errorf("PromptId = %v, want the overriding prompt %s", got, greeting.ARN)
	}
	if got := parameter(t, r.Content, "transfer", "ContactFlowId"); got != billing.ARN {
		t.Errorf("ContactFlowId = %v, want %s", got, billing.ARN)
	}
	if got := parameter(t, r.Content, "greet", "Text"); got != "Hello there, <b>welcome</b>." {
		t.Errorf("Text = %v", got)
	}
	// The key ID moved to another key of the instance: the PEM beside it follows.
	if diff := cmp.Diff(map[string]any{"EncryptionKeyId": "other-key", "Key": otherPEM}, parameter(t, r.Content, "card", "InputEncryption")); diff != "" {
		t.Errorf("InputEncryption (-want +got):\n%s", diff)
	}
}

func TestImportRejectsNonFlow(t *testing.T) {
	for _, doc := range []string{`not json`, `[1,2]`} {
		if _, err := Import(context.Background(), []byte(doc), fakeInstance{}, Options{}); err == nil || !strings.Contains(err.Error(), ErrNotAFlow.Error()) {
			t.Errorf("Import(%q) err = %v, want ErrNotAFlow", doc, err)
		}
	}
}

// everything is a target instance that has a resource for every ID or name asked for.
type everything struct{}

func (everything) Find(_ context.Context, k Kind, ref string) (Resource, bool, error) {
	h := sha256.Sum256([]byte(string(k) + "\x00" + ref))
	id := hex.EncodeToString(h[:8])
	return Resource{ID: id, ARN: targetInstance + "/" + string(k) + "/" + id, Name: ref, PublicKey: "-----BEGIN PUBLIC KEY-----\n" + id + "\n-----END PUBLIC KEY-----"}, true, nil
}

var (
	corpusARN         = regexp.MustCompile(`arn:[a-z0-9-]+:[a-z0-9-]+:[a-z0-9-]*:([0-9]{12}):`)
	corpusPlaceholder = regexp.MustCompile(`\$\{[^{}\s"]*\}|\{\{[^{}"]*\}\}|%[A-Za-z_][A-Za-z0-9_]*%`)
)

// TestImportCorpus imports every public flow twice. Into an empty instance, every value that
// holds an ARN or a template placeholder, and every literal at a resource parameter, is
// reported at its path. Into an instance that has everything, with an override for each
// reference that still needs one, nothing is unmapped and no ARN of the source accounts
// remains anywhere in the document.
func TestImportCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(corpusDir(t), "*.json"))
	if err != nil || len(files) == 0 {
		t.Skipf("no corpus flows: %v", err)
	}
	resourceParams := map[string]bool{"QueueId": true, "ContactFlowId": true, "FlowModuleId": true, "HoursOfOperationId": true,
		"AgentId": true, "PromptId": true, "LambdaFunctionARN": true}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			doc, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			first := importFile(t, file, fakeInstance{}, nil)
			reported := map[string]bool{}
			for _, r := range first.References {
				reported[r.Path] = true
			}
			var raw struct {
				Actions []struct {
					Parameters map[string]any
				}
			}
			if err := json.Unmarshal(doc, &raw); err != nil {
				t.Fatal(err)
			}
			for i, a := range raw.Actions {
				base := fmt.Sprintf("$.Actions[%d].Parameters", i)
				walkStrings(a.Parameters, base, func(path, s string, top string) {
					foreign := false
					for _, m := range corpusARN.FindAllStringSubmatch(s, -1) {
						foreign = foreign || m[1] != ""
					}
					literal := resourceParams[top] && path == base+"."+top && s != "" && !strings.HasPrefix(s, "$.")
					if (foreign || corpusPlaceholder.MatchString(s) || literal) && !reported[path] {
						t.Errorf("%s = %q is not reported", path, s)
					}
				})
			}

			overrides := map[string]string{}
			for _, r := range first.References {
				if r.Status == Unmapped || r.Status == External {
					overrides[r.Value] = "mapped-" + string(r.Kind)
				}
			}
			second := importFile(t, file, everything{}, overrides)
			if un := second.Unmapped(); len(un) > 0 {
				t.Errorf("unmapped with every resource present and overrides: %+v", un)
			}
			if w := second.Warnings(); len(w) > 0 {
				t.Errorf("warnings with overrides: %+v", w)
			}
			sources := map[string]bool{}
			for _, m := range corpusARN.FindAllStringSubmatch(string(doc), -1) {
				sources[m[1]] = true
			}
			for _, m := range corpusARN.FindAllStringSubmatch(string(second.Content), -1) {
				if sources[m[1]] && m[1] != "999988887777" {
					t.Errorf("an ARN of source account %s remains: %s", m[1], m[0])
				}
			}
			if f, ps := flow.Parse(second.Content, flow.DefaultLimits()); f == nil {
				t.Errorf("imported content does not parse: %v", ps)
			}
		})
	}
}

// walkStrings calls fn for every string in v with its JSON path and the top-level parameter.
func walkStrings(v any, path string, fn func(path, s, top string)) {
	var walk func(v any, path, top string)
	walk = func(v any, path, top string) {
		switch x := v.(type) {
		case string:
			fn(path, x, top)
		case map[string]any:
			for k, e := range x {
				t := top
				if t == "" {
					t = k
				}
				walk(e, path+pathKey(k), t)
			}
		case []any:
			for i, e := range x {
				walk(e, fmt.Sprintf("%s[%d]", path, i), top)
			}
		}
	}
	walk(v, path, "")
}

func TestImportOverrideByPath(t *testing.T) {
	doc := `{"Version":"2019-10-30","StartAction":"q","Actions":[
	 {"Identifier":"q","Type":"UpdateContactTargetQueue","Parameters":{"QueueId":"${REF}"},"Transitions":{"NextAction":"w","Errors":[{"ErrorType":"NoMatchingError","NextAction":"end"}]}},
	 {"Identifier":"w","Type":"UpdateContactEventHooks","Parameters":{"EventHooks":{"AgentWhisper":"${REF}"}},"Transitions":{"NextAction":"end","Errors":[{"ErrorType":"NoMatchingError","NextAction":"end"}]}},
	 {"Identifier":"end","Type":"DisconnectParticipant","Parameters":{},"Transitions":{}}]}`
	inst := fakeInstance{}
	q := inst.add(KindQueue, "q1", "Support")
	w := inst.add(KindFlow, "f1", "Whisper")
	r, err := Import(context.Background(), []byte(doc), inst, Options{Overrides: map[string]string{
		"$.Actions[0].Parameters.QueueId":                 "Support",
		"$.Actions[1].Parameters.EventHooks.AgentWhisper": "f1",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if un := r.Unmapped(); len(un) != 0 || len(r.UnusedOverrides) != 0 {
		t.Fatalf("unmapped %+v, unused %v", un, r.UnusedOverrides)
	}
	if got := parameter(t, r.Content, "q", "QueueId"); got != q.ARN {
		t.Errorf("QueueId = %v, want %s", got, q.ARN)
	}
	if diff := cmp.Diff(map[string]any{"AgentWhisper": w.ARN}, parameter(t, r.Content, "w", "EventHooks")); diff != "" {
		t.Errorf("EventHooks (-want +got):\n%s", diff)
	}
	// Without them, the shared placeholder is reported at both paths.
	r, _ = Import(context.Background(), []byte(doc), inst, Options{})
	if diff := cmp.Diff([]refSummary{
		{"q", "$.Actions[0].Parameters.QueueId", KindQueue, "", Unmapped, ""},
		{"w", "$.Actions[1].Parameters.EventHooks.AgentWhisper", KindFlow, "", Unmapped, ""},
	}, summarize(r.References)); diff != "" {
		t.Errorf("references (-want +got):\n%s", diff)
	}
}
