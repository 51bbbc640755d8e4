package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ringfence/ringfence/api"
	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/flow/flowcli"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/node"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/store"
)

// corpusFlow returns a flow of the public corpus (../shared/corpus/flows), or skips.
func corpusFlow(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join("..", "..", "..", "shared", "corpus", "flows", name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("public flow corpus not found (%v): it is shared test data, not part of the repository", err)
	}
	return p
}

// openTestNode opens the node of a data directory for direct store access.
func openTestNode(t *testing.T, dir string) *node.Node {
	t.Helper()
	n, err := node.Open(context.Background(), node.Config{DataDir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// flowByName returns the instance's flow of that name.
func flowByName(t *testing.T, dir, inst, name string) (flow.Record, bool) {
	t.Helper()
	n := openTestNode(t, dir)
	defer n.Close()
	var rec flow.Record
	found := false
	err := n.Store.View(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		return store.EachFlowRecord(ctx, tx, inst, flow.KindFlow, func(r flow.Record) (bool, error) {
			if r.Name == name {
				rec, found = r, true
			}
			return found, nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return rec, found
}

func TestFlowImport(t *testing.T) {
	general := corpusFlow(t, "ccarrylab__terraform-aws-amazonconnect__examples__complete__flows__general_contact_flow.json")
	simple := corpusFlow(t, "aws-samples__amazon-connect-data-analytics-sample__contact-flows__SimpleInboundFlow.json")
	const salesARN = "arn:aws:connect:us-east-1:894267811696:instance/cb032931-8fa6-4418-a9d8-8b0dafae229b/queue/a6fb2850-0938-4fba-93ff-6b9d4caae3a7"

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

	// The instance has two of the export's queues by name; Sales is mapped to BasicQueue.
	n := openTestNode(t, dir)
	queueARN := map[string]string{}
	err = n.Store.Update(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		qs, err := tx.ListQueues(ctx, inst, "", 100)
		if err != nil || len(qs) != 1 {
			return fmt.Errorf("queues of a new instance: %v %v", qs, err)
		}
		queueARN[qs[0].Name] = instance.ARN(n.Config.Region, n.AccountID, inst) + "/queue/" + qs[0].ID
		for _, name := range []string{"Customer Service", "Techincal Support"} {
			q := routing.QueueRecord{InstanceID: inst, Queue: routing.Queue{ID: api.NewID(), HoursOfOperationID: qs[0].HoursOfOperationID, Status: routing.QueueEnabled},
				Name: name, Tags: map[string]string{}, LastModified: time.Now().UTC().Truncate(time.Millisecond)}
			if err := tx.CreateQueue(ctx, q); err != nil {
				return err
			}
			queueARN[name] = instance.ARN(n.Config.Region, n.AccountID, inst) + "/queue/" + q.ID
		}
		return nil
	})
	n.Close()
	if err != nil {
		t.Fatal(err)
	}

	// Without a mapping for Sales: exit 1, the reference listed, nothing created.
	out, err = run(t, nil, "flow", "import", general, "--data-dir", dir, "--instance", inst, "--publish", "--name", "General")
	var ee *flowcli.ExitError
	if !errors.As(err, &ee) || ee.Code != flowcli.ExitInvalid || !strings.Contains(err.Error(), "1 reference(s) could not be mapped") {
		t.Fatalf("unmapped import: err = %v, want exit 1 naming one unmapped reference\n%s", err, out)
	}
	if !hasLine(out, "unmapped", "queue", "$.Actions[5].Parameters.QueueId", salesARN, `"Sales"`, `no queue named "Sales" in this instance`) {
		t.Errorf("unmapped import output does not list the Sales reference:\n%s", out)
	}
	if _, found := flowByName(t, dir, inst, "General"); found {
		t.Errorf("an unmapped import created the flow")
	}

	// --allow-unmapped creates it anyway (saved), the reference left as written.
	if out, err := run(t, nil, "flow", "import", general, "--data-dir", dir, "--instance", inst, "--name", "Partial", "--allow-unmapped"); err != nil {
		t.Fatalf("import --allow-unmapped: %v\n%s", err, out)
	}
	if rec, _ := flowByName(t, dir, inst, "Partial"); rec.Status != "SAVED" || !strings.Contains(rec.SavedContent, salesARN) {
		t.Errorf("--allow-unmapped import = %+v", rec)
	}

	// With --map: created, published, pointing at this instance's queues.
	out, err = run(t, nil, "flow", "import", general, "--data-dir", dir, "--instance", inst, "--publish", "--name", "General",
		"--map", salesARN+"=BasicQueue")
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	rec, found := flowByName(t, dir, inst, "General")
	if !found || rec.Status != "PUBLISHED" || rec.Type != "CONTACT_FLOW" || rec.Content == "" || rec.Content != rec.SavedContent {
		t.Fatalf("imported flow = %+v (found %v), want it published", rec, found)
	}
	for _, name := range []string{"Customer Service", "Techincal Support", "BasicQueue"} {
		if !strings.Contains(rec.Content, `"QueueId":"`+queueARN[name]+`"`) {
			t.Errorf("imported content does not point at queue %s (%s):\n%s", name, queueARN[name], rec.Content)
		}
	}
	if strings.Contains(rec.Content, "894267811696") {
		t.Errorf("the source account remains in the stored content")
	}
	if !strings.Contains(out, "created contact flow \"General\" (CONTACT_FLOW) PUBLISHED") || !strings.Contains(out, "(by override)") {
		t.Errorf("import output:\n%s", out)
	}

	// The export's own name and type; BasicQueue maps by name; JSON report.
	out, err = run(t, nil, "flow", "import", simple, "--data-dir", dir, "--instance", inst, "--publish", "--json")
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	var rep flowImportOutput
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("json output: %v\n%s", err, out)
	}
	if !rep.Created || rep.Name != "SimpleInboundFlow" || rep.Status != "PUBLISHED" || rep.Unmapped != 0 || len(rep.References) != 1 ||
		rep.References[0].Target != queueARN["BasicQueue"] || rep.References[0].Via != "name" {
		t.Errorf("json report = %+v", rep)
	}
	rec, found = flowByName(t, dir, inst, "SimpleInboundFlow")
	if !found || rec.ID != rep.ID || rec.Status != "PUBLISHED" || !strings.Contains(rec.Content, queueARN["BasicQueue"]) {
		t.Errorf("SimpleInboundFlow = %+v (found %v)", rec, found)
	}

	// Saved rather than published; a second import under the same name is refused.
	out, err = run(t, nil, "flow", "import", simple, "--data-dir", dir, "--instance", inst, "--name", "Draft", "--type", "CUSTOMER_QUEUE")
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	if rec, _ := flowByName(t, dir, inst, "Draft"); rec.Status != "SAVED" || rec.Content != "" || rec.SavedContent == "" || rec.Type != "CUSTOMER_QUEUE" {
		t.Errorf("saved import = %+v", rec)
	}
	if _, err := run(t, nil, "flow", "import", simple, "--data-dir", dir, "--instance", inst); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("duplicate name: err = %v", err)
	}

	// Usage errors.
	for _, args := range [][]string{
		{"--map", "no-equals"},
		{},
	} {
		full := append([]string{"flow", "import", simple, "--data-dir", dir}, args...)
		if len(args) > 0 {
			full = append(full, "--instance", inst)
		}
		if _, err := run(t, nil, full...); !errors.As(err, &ee) || ee.Code != flowcli.ExitUsage {
			t.Errorf("%v: err = %v, want a usage error", args, err)
		}
	}
	if _, err := run(t, nil, "flow", "import", simple, "--data-dir", dir, "--instance", inst, "--name", "X", "--map", "arn:nothing=BasicQueue"); err == nil ||
		!strings.Contains(err.Error(), "matches nothing") {
		t.Errorf("unused --map: err = %v", err)
	}

	// Every import is in the intact audit chain.
	if out, err := run(t, nil, "audit", "verify", "--data-dir", dir); err != nil || !strings.Contains(out, "intact") {
		t.Errorf("audit verify: %v %s", err, out)
	}
}

// hasLine reports whether a line of out holds every part, in order.
func hasLine(out string, parts ...string) bool {
	for _, line := range strings.Split(out, "\n") {
		rest, ok := line, true
		for _, p := range parts {
			i := strings.Index(rest, p)
			if i < 0 {
				ok = false
				break
			}
			rest = rest[i+len(p):]
		}
		if ok {
			return true
		}
	}
	return false
}
