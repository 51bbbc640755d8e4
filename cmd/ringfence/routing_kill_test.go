package main_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"

	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/node"
	"github.com/ringfence/ringfence/provision"
	"github.com/ringfence/ringfence/store"
)

// TestKill9KeepsQueuesAndAgentStates: agents in custom statuses and no agent available, so
// tasks stay queued; tasks started one by one until queued, then a burst of concurrent
// StartTaskContact calls during which the server is killed with SIGKILL. After a restart,
// every acknowledged task is queued in BasicQueue, the ones queued before the kill with their
// enqueue times unchanged; the agents' statuses and their start times are unchanged
// (GetCurrentUserData); an agent who becomes available is offered the oldest task first; and
// the audit chain verifies.
func TestKill9KeepsQueuesAndAgentStates(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped with -short")
	}
	bin := buildBinary(t)
	dataDir := t.TempDir()
	out, err := exec.Command(bin, "bootstrap", "--data-dir", dataDir).Output()
	if err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	var boot bootOut
	if err := json.Unmarshal(out, &boot); err != nil {
		t.Fatalf("bootstrap output %s: %v", out, err)
	}
	pem, err := os.ReadFile(boot.CACertPath)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, MaxIdleConnsPerHost: 64}, Timeout: 20 * time.Second}
	addr := freeAddr(t)
	srv := startServe(t, bin, dataDir, addr, client)
	defer func() { _ = srv.Process.Kill() }()
	c := connect.New(connect.Options{
		Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(boot.AccessKeyID, boot.SecretAccessKey, ""),
		BaseEndpoint: aws.String("https://" + addr), HTTPClient: client, RetryMaxAttempts: 1,
	})
	ctx := context.Background()
	inst := aws.String(boot.InstanceID)

	// Agents: two in custom statuses, one offline; none available.
	sps, err := c.ListSecurityProfiles(ctx, &connect.ListSecurityProfilesInput{InstanceId: inst})
	if err != nil {
		t.Fatal(err)
	}
	var agentProfile string
	for _, sp := range sps.SecurityProfileSummaryList {
		if aws.ToString(sp.Name) == "Agent" {
			agentProfile = aws.ToString(sp.Id)
		}
	}
	user := func(name string) string {
		t.Helper()
		u, err := c.CreateUser(ctx, &connect.CreateUserInput{InstanceId: inst, Username: aws.String(name), Password: aws.String("a long passphrase for the kill test"),
			IdentityInfo:       &types.UserIdentityInfo{FirstName: aws.String("K"), LastName: aws.String("Nine")},
			PhoneConfig:        &types.UserPhoneConfig{PhoneType: types.PhoneTypeSoftPhone},
			SecurityProfileIds: []string{agentProfile}, RoutingProfileId: aws.String(provision.BasicRoutingProfileID(boot.InstanceID))})
		if err != nil {
			t.Fatalf("CreateUser %s: %v", name, err)
		}
		return aws.ToString(u.UserId)
	}
	status := func(name string, typ types.AgentStatusType) string {
		t.Helper()
		if typ != types.AgentStatusTypeCustom {
			l, err := c.ListAgentStatuses(ctx, &connect.ListAgentStatusesInput{InstanceId: inst, AgentStatusTypes: []types.AgentStatusType{typ}})
			if err != nil || len(l.AgentStatusSummaryList) == 0 {
				t.Fatalf("ListAgentStatuses: %v", err)
			}
			return aws.ToString(l.AgentStatusSummaryList[0].Id)
		}
		s, err := c.CreateAgentStatus(ctx, &connect.CreateAgentStatusInput{InstanceId: inst, Name: aws.String(name), State: types.AgentStatusStateEnabled})
		if err != nil {
			t.Fatalf("CreateAgentStatus: %v", err)
		}
		return aws.ToString(s.AgentStatusId)
	}
	lunch, training := user("k9.lunch"), user("k9.training")
	offline := user("k9.offline")
	for u, s := range map[string]string{lunch: status("Lunch", types.AgentStatusTypeCustom), training: status("Training", types.AgentStatusTypeCustom),
		offline: status("", types.AgentStatusTypeOffline)} {
		if _, err := c.PutUserStatus(ctx, &connect.PutUserStatusInput{InstanceId: inst, UserId: aws.String(u), AgentStatusId: aws.String(s)}); err != nil {
			t.Fatalf("PutUserStatus: %v", err)
		}
	}
	userData := func() map[string]types.UserData {
		t.Helper()
		ud, err := c.GetCurrentUserData(ctx, &connect.GetCurrentUserDataInput{InstanceId: inst, Filters: &types.UserDataFilters{Agents: []string{lunch, training, offline}}})
		if err != nil {
			t.Fatalf("GetCurrentUserData: %v", err)
		}
		out := map[string]types.UserData{}
		for _, u := range ud.UserDataList {
			out[aws.ToString(u.User.Id)] = u
		}
		return out
	}
	before := userData()
	if len(before) != 2 || aws.ToString(before[lunch].Status.StatusName) != "Lunch" || aws.ToString(before[training].Status.StatusName) != "Training" {
		t.Fatalf("agents before the kill: %+v", before)
	}

	flows, err := c.ListContactFlows(ctx, &connect.ListContactFlowsInput{InstanceId: inst})
	if err != nil {
		t.Fatal(err)
	}
	var inbound string
	for _, f := range flows.ContactFlowSummaryList {
		if aws.ToString(f.Name) == provision.SampleInboundFlowName {
			inbound = aws.ToString(f.Id)
		}
	}
	start := func(ctx context.Context, name string) (string, error) {
		out, err := c.StartTaskContact(ctx, &connect.StartTaskContactInput{InstanceId: inst, ContactFlowId: aws.String(inbound), Name: aws.String(name)})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.ContactId), nil
	}
	queueInfo := func(id string) *types.QueueInfo {
		d, err := c.DescribeContact(ctx, &connect.DescribeContactInput{InstanceId: inst, ContactId: aws.String(id)})
		if err != nil || d.Contact.QueueInfo == nil || d.Contact.QueueInfo.EnqueueTimestamp == nil {
			return nil
		}
		return d.Contact.QueueInfo
	}
	waitQueued := func(id string) *types.QueueInfo {
		t.Helper()
		for range 1000 {
			if q := queueInfo(id); q != nil {
				return q
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("contact %s never queued", id)
		return nil
	}

	// Tasks started one by one, each queued before the next.
	const queuedFirst = 20
	var ordered []string
	enqueued := map[string]time.Time{}
	queueOf := ""
	for i := range queuedFirst {
		id, err := start(ctx, fmt.Sprintf("queued %02d", i))
		if err != nil {
			t.Fatalf("StartTaskContact: %v", err)
		}
		q := waitQueued(id)
		ordered = append(ordered, id)
		enqueued[id] = aws.ToTime(q.EnqueueTimestamp)
		queueOf = aws.ToString(q.Id)
	}

	// A burst, killed part way.
	const burst, workers = 200, 20
	var (
		mu    sync.Mutex
		acked []string
		next  atomic.Int64
		done  atomic.Int64
		wg    sync.WaitGroup
	)
	killed := make(chan struct{})
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > burst {
					return
				}
				cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
				id, err := start(cctx, fmt.Sprintf("burst %03d", i))
				cancel()
				if err == nil {
					mu.Lock()
					acked = append(acked, id)
					mu.Unlock()
				}
				if done.Add(1) == burst/4 {
					_ = srv.Process.Signal(syscall.SIGKILL)
					close(killed)
				}
			}
		}()
	}
	wg.Wait()
	_ = srv.Wait()
	select {
	case <-killed:
	default:
		t.Fatal("the server was never killed")
	}
	t.Logf("%d of %d burst tasks acknowledged around the kill", len(acked), burst)

	srv = startServe(t, bin, dataDir, addr, client)
	for _, id := range ordered {
		q := queueInfo(id)
		if q == nil || aws.ToString(q.Id) != queueOf || !aws.ToTime(q.EnqueueTimestamp).Equal(enqueued[id]) {
			t.Errorf("task %s after restart: %+v, want queue %s enqueued at %s", id, q, queueOf, enqueued[id])
		}
	}
	for _, id := range acked {
		if q := waitQueued(id); aws.ToString(q.Id) != queueOf {
			t.Errorf("burst task %s is in queue %s", id, aws.ToString(q.Id))
		}
	}
	after := userData()
	for _, id := range []string{lunch, training} {
		b, a := before[id], after[id]
		if aws.ToString(a.Status.StatusName) != aws.ToString(b.Status.StatusName) || aws.ToString(a.Status.StatusArn) != aws.ToString(b.Status.StatusArn) ||
			!aws.ToTime(a.Status.StatusStartTimestamp).Equal(aws.ToTime(b.Status.StatusStartTimestamp)) || len(a.Contacts) != 0 {
			t.Errorf("agent %s after restart: %+v, before %+v", id, a.Status, b.Status)
		}
	}
	if _, ok := after[offline]; ok {
		t.Errorf("the offline agent is listed after restart: %+v", after[offline])
	}
	cur, err := c.GetCurrentMetricData(ctx, &connect.GetCurrentMetricDataInput{InstanceId: inst, Filters: &types.Filters{Queues: []string{queueOf}},
		CurrentMetrics: []types.CurrentMetric{{Name: types.CurrentMetricNameContactsInQueue, Unit: types.UnitCount}, {Name: types.CurrentMetricNameAgentsNonProductive, Unit: types.UnitCount}}})
	if err != nil {
		t.Fatal(err)
	}
	// Tasks committed whose answer the kill cut off are queued too: at least the acknowledged.
	if got := cur.MetricResults[0].Collections; aws.ToFloat64(got[0].Value) < float64(queuedFirst+len(acked)) || aws.ToFloat64(got[0].Value) > queuedFirst+burst ||
		aws.ToFloat64(got[1].Value) != 2 {
		t.Errorf("after restart: CONTACTS_IN_QUEUE %v (want at least %d), AGENTS_NON_PRODUCTIVE %v (want 2)", aws.ToFloat64(got[0].Value), queuedFirst+len(acked), aws.ToFloat64(got[1].Value))
	}

	// The lunching agent comes back: the oldest task is offered first.
	if _, err := c.PutUserStatus(ctx, &connect.PutUserStatusInput{InstanceId: inst, UserId: aws.String(lunch), AgentStatusId: aws.String(status("", types.AgentStatusTypeRoutable))}); err != nil {
		t.Fatal(err)
	}
	got := userData()[lunch]
	if len(got.Contacts) != 1 || aws.ToString(got.Contacts[0].ContactId) != ordered[0] || got.Contacts[0].AgentContactState != types.ContactStateIncoming {
		t.Errorf("offered after restart: %+v, want the oldest task %s", got.Contacts, ordered[0])
	}

	_ = srv.Process.Signal(syscall.SIGTERM)
	if err := srv.Wait(); err != nil {
		t.Errorf("graceful shutdown: %v", err)
	}
	if out, err := exec.Command(bin, "audit", "verify", "--data-dir", dataDir).CombinedOutput(); err != nil {
		t.Fatalf("audit verify: %v\n%s", err, out)
	}
	// In storage: every acknowledged task is queued, but the one offered (its OFFERED state is
	// stored just after the offer; a shutdown right then leaves it QUEUED, which a restart
	// offers again).
	n, err := node.Open(ctx, node.Config{DataDir: dataDir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	err = n.Store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		for _, id := range append(append([]string(nil), ordered...), acked...) {
			ct, err := tx.GetContact(ctx, boot.InstanceID, id)
			if err != nil {
				return err
			}
			if ct.State != contact.StateQueued && !(id == ordered[0] && ct.State == contact.StateOffered) {
				t.Errorf("contact %s is %s, want QUEUED", id, ct.State)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
