package api_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/ringfence/ringfence/api"
	"github.com/ringfence/ringfence/identity"
)

// TestPromptAndFlowLogRoutesAreInstanceScoped probes every prompt route and the flow-log and
// transcript reads of instance B with a key of instance A that holds every permission they need: each answers
// ResourceNotFoundException. The same key works on its own instance; bad prompts are refused
// with InvalidParameterException and store nothing.
func TestPromptAndFlowLogRoutesAreInstanceScoped(t *testing.T) {
	ps := profiles{}
	e := newEnv(t, api.Config{Profiles: ps})
	ids := map[string]string{}
	for _, alias := range []string{"a", "b"} {
		_, _, body := e.do(t, e.key, e.secret, "PUT", "/instance", create(alias))
		id := body[strings.Index(body, `"Id":"`)+6:]
		ids[alias] = id[:36]
	}
	var perms []string
	for _, r := range api.PromptAndFlowLogRoutes() {
		p, ok := identity.RequiredPermissions(r[0])
		if !ok {
			t.Fatalf("operation %s has no permission mapping", r[0])
		}
		perms = append(perms, p...)
	}
	ps[ids["a"]+"/admin"] = []identity.SecurityProfile{{InstanceID: ids["a"], Name: "PromptAdmin", Permissions: perms}}
	admin, asec := e.issue(t, identity.AccessKey{Kind: identity.KeyUser, InstanceID: ids["a"], UserID: "admin"})

	param := regexp.MustCompile(`\{[A-Za-z]+\}`)
	for _, r := range api.PromptAndFlowLogRoutes() {
		path := strings.Replace(r[2], "{InstanceId}", ids["b"], 1)
		path = param.ReplaceAllString(path, "00000000-0000-4000-8000-000000000000")
		t.Run(r[0], func(t *testing.T) {
			code, typ, body := e.do(t, admin, asec, r[1], path, `{"Name":"p","S3Uri":"s3://b/p.wav"}`)
			if code != 404 || typ != "ResourceNotFoundException" {
				t.Errorf("%s %s with instance A's key = %d %s %s; want 404 ResourceNotFoundException", r[1], path, code, typ, body)
			}
		})
	}
	bad := []string{`{"Name":"","S3Uri":"s3://b/p.wav"}`, `{"Name":"p","S3Uri":"file:///etc/passwd"}`, `{"Name":"p","S3Uri":"s3://b/a b.wav"}`,
		`{"Name":"p","S3Uri":"s3://b/p.wav","Description":"` + strings.Repeat("d", 251) + `"}`}
	for _, b := range bad {
		if code, typ, _ := e.do(t, admin, asec, "PUT", "/prompts/"+ids["a"], b); code != 400 || typ != "InvalidParameterException" {
			t.Errorf("CreatePrompt %.60s = %d %s, want 400 InvalidParameterException", b, code, typ)
		}
	}
	if code, typ, body := e.do(t, admin, asec, "PUT", "/prompts/"+ids["a"], `{"Name":"Welcome","S3Uri":"s3://b/welcome.wav"}`); code != 200 || !strings.Contains(body, `"PromptId"`) {
		t.Fatalf("CreatePrompt on its own instance = %d %s %s", code, typ, body)
	}
	if code, _, body := e.do(t, admin, asec, "GET", "/prompts-summary/"+ids["a"], ""); code != 200 || strings.Count(body, `"Id"`) != 1 {
		t.Errorf("ListPrompts = %d %s; want the one prompt", code, body)
	}
}
