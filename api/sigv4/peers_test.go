package sigv4_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"

	"github.com/ringfence/ringfence/api/sigv4"
)

// peerRecorder is a server for real clients: it verifies every request with the
// wall clock, answers "{}" or an AWS-shaped error, and keeps every outcome.
type peerRecorder struct {
	mu       sync.Mutex
	results  []sigv4.Result
	uris     []string
	failures []error
}

func (p *peerRecorder) start(t *testing.T) *httptest.Server {
	t.Helper()
	v, err := sigv4.New(sigv4.Config{Credentials: testKeys(), Regions: []string{testRegion}})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, err := v.Verify(r.Context(), r)
		if _, rerr := io.ReadAll(r.Body); rerr != nil {
			t.Errorf("handler read body: %v", rerr)
		}
		p.mu.Lock()
		if err != nil {
			p.failures = append(p.failures, fmt.Errorf("%s %s: %w", r.Method, r.RequestURI, err))
		} else {
			p.results = append(p.results, res)
			p.uris = append(p.uris, r.RequestURI)
		}
		p.mu.Unlock()
		var e *sigv4.Error
		switch {
		case err == nil:
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, "{}")
		case errors.As(err, &e):
			w.Header().Set("X-Amzn-Errortype", string(e.Code))
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(e.Status)
			_, _ = fmt.Fprintf(w, `{"Message":%q}`, e.Message)
		default:
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func (p *peerRecorder) check(t *testing.T, wantOK int) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range p.failures {
		t.Errorf("server refused a request: %v", f)
	}
	if len(p.results) != wantOK {
		t.Errorf("verified requests: got %d, want %d", len(p.results), wantOK)
	}
	// The ARN must have travelled percent-encoded, so the double encoding was exercised.
	const encodedARN = "arn%3Aaws%3Aconnect%3Aus-east-1%3A123456789012%3Ainstance%2F8f1c6a3e"
	found := false
	for _, u := range p.uris {
		found = found || strings.Contains(u, encodedARN)
	}
	if !found {
		t.Errorf("request URIs %q: want one with the encoded ARN %q", p.uris, encodedARN)
	}
	t.Logf("verified: %q", p.uris)
}

// TestPeerGoSDKConnectClient drives the real aws-sdk-go-v2 Connect client (its whole
// middleware stack, not only the signer) against the verifier.
func TestPeerGoSDKConnectClient(t *testing.T) {
	var p peerRecorder
	srv := p.start(t)
	client := connect.New(connect.Options{
		Region:       testRegion,
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider(testAKID, testSecret, ""),
		HTTPClient:   srv.Client(),
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	arn := "arn:aws:connect:us-east-1:123456789012:instance/8f1c6a3e-0000-4000-8000-000000000001"
	calls := []struct {
		name string
		call func() error
	}{
		{"DescribeUser with ARN", func() error {
			_, err := client.DescribeUser(ctx, &connect.DescribeUserInput{InstanceId: aws.String(arn), UserId: aws.String("user 1+2")})
			return err
		}},
		{"ListUsers with query", func() error {
			_, err := client.ListUsers(ctx, &connect.ListUsersInput{InstanceId: aws.String(arn), MaxResults: aws.Int32(5), NextToken: aws.String("a+b/c= é")})
			return err
		}},
		{"StartChatContact with body", func() error {
			_, err := client.StartChatContact(ctx, &connect.StartChatContactInput{
				InstanceId:         aws.String("8f1c6a3e"),
				ContactFlowId:      aws.String("f1"),
				ParticipantDetails: &types.ParticipantDetails{DisplayName: aws.String("Ana  María")},
				Attributes:         map[string]string{"k": "v"},
			})
			return err
		}},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			if err := c.call(); err != nil {
				t.Errorf("%s: got %v, want nil", c.name, err)
			}
		})
	}
	p.check(t, len(calls))
}

// TestPeerAWSCLI drives the AWS CLI (botocore) against the verifier. It skips when the
// aws command is not installed (Debian: apt-get install awscli; or pip install awscli).
func TestPeerAWSCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: the AWS CLI takes about a second per call")
	}
	bin, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("aws CLI not installed; install it with `apt-get install awscli` or `pip install awscli` to run this test")
	}
	var p peerRecorder
	srv := p.start(t)
	arn := "arn:aws:connect:us-east-1:123456789012:instance/8f1c6a3e-0000-4000-8000-000000000001"
	calls := []struct {
		name string
		args []string
	}{
		{"describe-user with ARN", []string{"connect", "describe-user", "--instance-id", arn, "--user-id", "user 1+2"}},
		{"list-users with query", []string{"connect", "list-users", "--instance-id", arn, "--max-results", "5", "--next-token", "a+b/c= é"}},
		{"start-chat-contact with body", []string{"connect", "start-chat-contact", "--instance-id", "8f1c6a3e", "--contact-flow-id", "f1",
			"--participant-details", "DisplayName=Ana  María", "--attributes", "k=v"}},
	}
	dir := t.TempDir()
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			args := append(c.args, "--endpoint-url", srv.URL, "--region", testRegion, "--no-paginate", "--output", "json")
			cmd := exec.CommandContext(ctx, bin, args...)
			cmd.Env = append(envWithoutAWS(),
				"AWS_ACCESS_KEY_ID="+testAKID,
				"AWS_SECRET_ACCESS_KEY="+testSecret,
				"AWS_CONFIG_FILE="+dir+"/config",
				"AWS_SHARED_CREDENTIALS_FILE="+dir+"/credentials",
				"AWS_EC2_METADATA_DISABLED=true",
				"AWS_MAX_ATTEMPTS=1",
			)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Errorf("aws %s: got %v, want success; output:\n%s", strings.Join(c.args[:2], " "), err, out)
			}
		})
	}
	p.check(t, len(calls))
}

// envWithoutAWS returns the environment without AWS_* variables, so the CLI uses only
// the test's key and endpoint.
func envWithoutAWS() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	return env
}
