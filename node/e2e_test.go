package node_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/smithy-go"

	"github.com/ringfence/ringfence/node"
)

// testNode is a bootstrapped node serving on a free loopback port.
type testNode struct {
	n        *node.Node
	endpoint string
	boot     node.BootstrapResult
	client   *http.Client
	caPath   string
	dataDir  string
	// stop shuts the node down and closes it (also run at cleanup; safe to call twice).
	stop func()
}

func startNode(t *testing.T) *testNode { return startNodeAt(t, t.TempDir(), nil) }

// startNodeLogging is startNode with the node logging to log.
func startNodeLogging(t *testing.T, log *slog.Logger) *testNode {
	t.Helper()
	return startNodeAt(t, t.TempDir(), func(c *node.Config) { c.Logger = log })
}

// startNodeAt opens the node of the data directory dir (configure may change its
// configuration), bootstraps the instance "demo" (created on first use, a new operator key
// each time) and serves it on a free loopback port.
func startNodeAt(t *testing.T, dir string, configure func(*node.Config)) *testNode {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cfg := node.Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler)}
	if configure != nil {
		configure(&cfg)
	}
	n, err := node.Open(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatalf("open node: %v", err)
	}
	boot, err := n.Bootstrap(ctx, "demo")
	if err != nil {
		cancel()
		n.Close()
		t.Fatalf("bootstrap: %v", err)
	}
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- n.Serve(ctx, func(addr string) { addrc <- addr }) }()
	var addr string
	select {
	case addr = <-addrc:
	case err := <-done:
		cancel()
		n.Close()
		t.Fatalf("serve: %v", err)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			<-done
			n.Close()
		})
	}
	t.Cleanup(stop)
	pem, err := os.ReadFile(boot.CACertPath)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
	return &testNode{n: n, endpoint: "https://" + addr, boot: boot, client: client, caPath: boot.CACertPath, dataDir: dir, stop: stop}
}

func (tn *testNode) sdk(secret string) *connect.Client {
	return connect.New(connect.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(tn.boot.AccessKeyID, secret, ""),
		BaseEndpoint: aws.String(tn.endpoint),
		HTTPClient:   tn.client,
	})
}

func TestSDKInstances(t *testing.T) {
	tn := startNode(t)
	ctx := context.Background()
	c := tn.sdk(tn.boot.SecretAccessKey.Reveal())

	created, err := c.CreateInstance(ctx, &connect.CreateInstanceInput{
		IdentityManagementType: types.DirectoryTypeConnectManaged, InstanceAlias: aws.String("sales"),
		InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(false),
		Tags: map[string]string{"team": "sales"},
	})
	if err != nil {
		t.Fatalf("CreateInstance: %v", err)
	}
	if !strings.HasPrefix(aws.ToString(created.Arn), "arn:aws:connect:us-east-1:") || !strings.HasSuffix(aws.ToString(created.Arn), ":instance/"+aws.ToString(created.Id)) {
		t.Errorf("Arn = %s, want Connect's instance ARN shape", aws.ToString(created.Arn))
	}
	desc, err := c.DescribeInstance(ctx, &connect.DescribeInstanceInput{InstanceId: created.Id})
	if err != nil {
		t.Fatalf("DescribeInstance: %v", err)
	}
	in := desc.Instance
	if aws.ToString(in.InstanceAlias) != "sales" || in.InstanceStatus != types.InstanceStatusActive ||
		!aws.ToBool(in.InboundCallsEnabled) || aws.ToBool(in.OutboundCallsEnabled) || in.Tags["team"] != "sales" || in.CreatedTime == nil {
		t.Errorf("DescribeInstance = %+v", in)
	}
	var ids []string
	p := connect.NewListInstancesPaginator(c, &connect.ListInstancesInput{MaxResults: aws.Int32(1)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListInstances: %v", err)
		}
		for _, s := range page.InstanceSummaryList {
			ids = append(ids, aws.ToString(s.Id))
		}
	}
	if len(ids) != 2 || ids[0] != tn.boot.InstanceID || ids[1] != aws.ToString(created.Id) {
		t.Errorf("ListInstances ids = %v, want [%s %s]", ids, tn.boot.InstanceID, aws.ToString(created.Id))
	}
	_, err = c.CreateInstance(ctx, &connect.CreateInstanceInput{
		IdentityManagementType: types.DirectoryTypeConnectManaged, InstanceAlias: aws.String("sales"),
		InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(false),
	})
	wantAPIError(t, err, "DuplicateResourceException")
	_, err = c.DeleteInstance(ctx, &connect.DeleteInstanceInput{InstanceId: created.Id})
	wantAPIError(t, err, "InvalidRequestException")
	if err := tn.n.SetInstanceProtection(ctx, aws.ToString(created.Id), false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteInstance(ctx, &connect.DeleteInstanceInput{InstanceId: created.Id}); err != nil {
		t.Fatalf("DeleteInstance: %v", err)
	}
	_, err = c.DescribeInstance(ctx, &connect.DescribeInstanceInput{InstanceId: created.Id})
	wantAPIError(t, err, "ResourceNotFoundException")

	// A wrong secret is refused in Connect's error shape.
	_, err = tn.sdk("wrong-secret-wrong-secret-wrong-secret00").ListInstances(ctx, &connect.ListInstancesInput{})
	wantAPIError(t, err, "InvalidSignatureException")
}

func wantAPIError(t *testing.T, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Fatalf("error = %v, want API error %s", err, code)
	}
}

// signed builds a request signed by the Go SDK signer at signTime.
func (tn *testNode) signed(t *testing.T, method, path, body string, signTime time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, tn.endpoint+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	sum := sha256Hex(body)
	req.Header.Set("X-Amz-Content-Sha256", sum)
	creds := aws.Credentials{AccessKeyID: tn.boot.AccessKeyID, SecretAccessKey: tn.boot.SecretAccessKey.Reveal()}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, sum, "connect", "us-east-1", signTime); err != nil {
		t.Fatal(err)
	}
	return req
}

func TestSignatureFailures(t *testing.T) {
	tn := startNode(t)
	body := `{"IdentityManagementType":"CONNECT_MANAGED","InstanceAlias":"tampered","InboundCallsEnabled":true,"OutboundCallsEnabled":true}`
	tests := []struct {
		name     string
		req      func() *http.Request
		wantCode string
	}{
		{"body changed after signing", func() *http.Request {
			r := tn.signed(t, "PUT", "/instance", body, time.Now())
			changed := strings.Replace(body, "tampered", "tampere2", 1)
			r.Body = io.NopCloser(strings.NewReader(changed))
			return r
		}, "InvalidSignatureException"},
		{"stale date", func() *http.Request {
			return tn.signed(t, "PUT", "/instance", body, time.Now().Add(-6*time.Minute))
		}, "InvalidSignatureException"},
		{"no signature", func() *http.Request {
			r, _ := http.NewRequest("GET", tn.endpoint+"/instance", nil)
			return r
		}, "MissingAuthenticationTokenException"},
		{"header changed after signing", func() *http.Request {
			r := tn.signed(t, "GET", "/instance", "", time.Now())
			r.Header.Set("X-Amz-Date", time.Now().Add(time.Second).UTC().Format("20060102T150405Z"))
			return r
		}, "InvalidSignatureException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := tn.client.Do(tc.req())
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var msg struct{ Message string }
			b, _ := io.ReadAll(resp.Body)
			if err := json.Unmarshal(b, &msg); err != nil || msg.Message == "" {
				t.Errorf("body = %s, want {\"Message\": ...}", b)
			}
			if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Amzn-ErrorType") != tc.wantCode || resp.Header.Get("X-Amzn-RequestId") == "" {
				t.Errorf("status %d type %q request id %q; want 403 %s and a request id", resp.StatusCode,
					resp.Header.Get("X-Amzn-ErrorType"), resp.Header.Get("X-Amzn-RequestId"), tc.wantCode)
			}
		})
	}
	// Nothing was created by the refused requests.
	out, err := tn.sdk(tn.boot.SecretAccessKey.Reveal()).ListInstances(context.Background(), &connect.ListInstancesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.InstanceSummaryList) != 1 {
		t.Errorf("instances = %d, want only the bootstrap one", len(out.InstanceSummaryList))
	}
}

// awsCLI returns the path of the AWS CLI or skips the test.
func awsCLI(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/aws", "/usr/local/bin/aws"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("aws"); err == nil {
		if exec.Command(p, "--version").Run() == nil {
			return p
		}
	}
	t.Skip("AWS CLI not installed: install it with `apt-get install awscli` (Debian) to run this test")
	return ""
}

func TestAWSCLI(t *testing.T) {
	bin := awsCLI(t)
	tn := startNode(t)
	run := func(secret string, args ...string) ([]byte, error) {
		return awsRunAs(t, bin, tn, secret, args...)
	}
	secret := tn.boot.SecretAccessKey.Reveal()
	out, err := run(secret, "create-instance", "--identity-management-type", "CONNECT_MANAGED", "--instance-alias", "cli-made",
		"--inbound-calls-enabled", "--no-outbound-calls-enabled")
	if err != nil {
		t.Fatalf("create-instance: %v: %s", err, out)
	}
	var created struct{ Id, Arn string }
	if err := json.Unmarshal(out, &created); err != nil || created.Id == "" {
		t.Fatalf("create-instance output %s: %v", out, err)
	}
	out, err = run(secret, "describe-instance", "--instance-id", created.Id)
	if err != nil {
		t.Fatalf("describe-instance: %v: %s", err, out)
	}
	var desc struct {
		Instance struct{ Id, InstanceAlias string }
	}
	if err := json.Unmarshal(out, &desc); err != nil || desc.Instance.InstanceAlias != "cli-made" {
		t.Errorf("describe-instance = %s (%v)", out, err)
	}
	out, err = run(secret, "list-instances")
	if err != nil {
		t.Fatalf("list-instances: %v: %s", err, out)
	}
	var list struct{ InstanceSummaryList []struct{ Id string } }
	if err := json.Unmarshal(out, &list); err != nil || len(list.InstanceSummaryList) != 2 {
		t.Errorf("list-instances = %s (%v)", out, err)
	}
	out, err = run("not-the-secret-not-the-secret-not-the-se", "list-instances")
	if err == nil || !strings.Contains(string(out), "InvalidSignatureException") {
		t.Errorf("list-instances with a wrong secret: err=%v output=%s; want InvalidSignatureException", err, out)
	}
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// awsRun runs `aws connect ARGS` against the node with the bootstrap key.
func awsRun(t *testing.T, bin string, tn *testNode, args ...string) ([]byte, error) {
	return awsRunAs(t, bin, tn, tn.boot.SecretAccessKey.Reveal(), args...)
}

// awsRunAs runs `aws connect ARGS` with the given secret, returning stdout, or stderr on failure.
func awsRunAs(t *testing.T, bin string, tn *testNode, secret string, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command(bin, append(append([]string{"connect"}, args...), "--endpoint-url", tn.endpoint, "--output", "json")...)
	cmd.Env = []string{
		"AWS_ACCESS_KEY_ID=" + tn.boot.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + secret,
		"AWS_DEFAULT_REGION=us-east-1", "AWS_CA_BUNDLE=" + tn.caPath, "HOME=" + t.TempDir(),
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_MAX_ATTEMPTS=1",
		"PATH=" + os.Getenv("PATH"),
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return stderr.Bytes(), err
	}
	return out, nil
}
