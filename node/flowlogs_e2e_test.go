package node_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestFlowLogsAccess reads flow logs with keys of different reach: an agent's key is refused,
// an administrator of another instance finds nothing.
func TestFlowLogsAccess(t *testing.T) {
	tn, instB, _, _ := twoInstances(t)
	instA := tn.boot.InstanceID
	c := tn.sdk(tn.boot.SecretAccessKey.Reveal())
	createAgentUser(t, c, instA, "agent.logs")
	agentID, agentSecret := tn.userKey(t, instA, "agent.logs")
	adminID, adminSecret := tn.userKey(t, instA, "admin")
	path := "/contact-flow-logs/" + instA + "/00000000-0000-4000-8000-00000000cccc"
	if code, typ, body := tn.do(t, agentID, agentSecret, route{"GetContactFlowLogs", "GET", path, ""}); code != 403 || typ != "AccessDeniedException" {
		t.Errorf("agent reads flow logs: %d %s %s", code, typ, body)
	}
	if code, typ, _ := tn.do(t, adminID, adminSecret, route{"GetContactFlowLogs", "GET", path, ""}); code != 404 || typ != "ResourceNotFoundException" {
		t.Errorf("administrator reads the flow logs of an unknown contact: %d %s", code, typ)
	}
	if code, typ, _ := tn.do(t, adminID, adminSecret, route{"GetContactFlowLogs", "GET", "/contact-flow-logs/" + instB + "/00000000-0000-4000-8000-00000000cccc", ""}); code != 404 || typ != "ResourceNotFoundException" {
		t.Errorf("administrator of A reads instance B's flow logs: %d %s", code, typ)
	}
}

// TestCurlFlowLogs reads flow logs with curl's own SigV4 signing, as docs/flow-logs.md shows.
func TestCurlFlowLogs(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not installed (apt-get install curl); it signs the request as docs/flow-logs.md shows")
	}
	tn := startNode(t)
	url := tn.endpoint + "/contact-flow-logs/" + tn.boot.InstanceID + "/00000000-0000-4000-8000-00000000cccc"
	out, err := exec.Command(curl, "-sS", "--cacert", tn.caPath, "--aws-sigv4", "aws:amz:us-east-1:connect",
		"--user", tn.boot.AccessKeyID+":"+tn.boot.SecretAccessKey.Reveal(), "-D", "-", url).CombinedOutput()
	if err != nil {
		t.Fatalf("curl: %v: %s", err, out)
	}
	// The signature is accepted: the answer is about the contact, not the request.
	if !strings.Contains(string(out), "ResourceNotFoundException") {
		t.Errorf("curl got %s", out)
	}
}
