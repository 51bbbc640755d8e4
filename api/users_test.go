package api_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ringfence/ringfence/api"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/provision"
)

// cheapHasher keeps argon2id's shape with small parameters so tests run quickly.
var cheapHasher = &identity.PasswordHasher{Params: identity.Argon2Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1, SaltBytes: 16, KeyBytes: 32}}

func TestUserRequestsRefused(t *testing.T) {
	e := newEnv(t, api.Config{Hasher: cheapHasher})
	_, _, body := e.do(t, e.key, e.secret, "PUT", "/instance", create("users"))
	inst := body[strings.Index(body, `"Id":"`)+6:][:36]
	_, _, body = e.do(t, e.key, e.secret, "GET", "/security-profiles-summary/"+inst, "")
	var list struct{ SecurityProfileSummaryList []struct{ Id, Name string } }
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatalf("ListSecurityProfiles = %s: %v", body, err)
	}
	agent := ""
	for _, p := range list.SecurityProfileSummaryList {
		if p.Name == "Agent" {
			agent = p.Id
		}
	}
	user := func(username, password string) string {
		return `{"Username":"` + username + `","Password":"` + password + `","IdentityInfo":{"FirstName":"A","LastName":"B"},` +
			`"SecurityProfileIds":["` + agent + `"],"RoutingProfileId":"` + provision.BasicRoutingProfileID(inst) + `"}`
	}
	tests := []struct {
		name, method, path, body string
		wantStatus               int
		wantType, wantMessage    string
	}{
		{"search without an instance", "POST", "/search-users", `{}`, 400, "InvalidParameterException", "InstanceId is required"},
		{"search with a body that is not JSON", "POST", "/search-users", `[1]`, 400, "InvalidRequestException", "JSON object"},
		{"search an unknown instance", "POST", "/search-users", `{"InstanceId":"00000000-0000-4000-8000-000000000000"}`, 404, "ResourceNotFoundException", "instance"},
		{"nested conditions", "POST", "/search-users", `{"InstanceId":"` + inst + `","SearchCriteria":{"OrConditions":[{"AndConditions":[{"StringCondition":{"FieldName":"Username","Value":"a","ComparisonType":"EXACT"}}]}]}}`,
			400, "InvalidParameterException", "nested"},
		{"hierarchy condition", "POST", "/search-users", `{"InstanceId":"` + inst + `","SearchCriteria":{"HierarchyGroupCondition":{"Value":"x"}}}`, 400, "InvalidParameterException", "StringCondition"},
		{"tag filter", "POST", "/search-users", `{"InstanceId":"` + inst + `","SearchFilter":{"TagFilter":{}}}`, 400, "InvalidParameterException", "SearchFilter"},
		{"MaxResults too large", "POST", "/search-users", `{"InstanceId":"` + inst + `","MaxResults":501}`, 400, "InvalidParameterException", "MaxResults"},
		{"bad next token", "GET", "/users-summary/" + inst + "?nextToken=zz", "", 400, "InvalidParameterException", "nextToken"},
		{"short password", "PUT", "/users/" + inst, user("short", "tooshort"), 400, "InvalidParameterException", "at least 12"},
		{"no password on a managed instance", "PUT", "/users/" + inst, strings.Replace(user("nopw", "x"), `"Password":"x",`, "", 1), 400, "InvalidParameterException", "Password is required"},
		{"password containing the username", "PUT", "/users/" + inst, user("margaret", "margaret-is-my-name-99"), 400, "InvalidParameterException", "too common"},
		{"bad username", "PUT", "/users/" + inst, user("bad name", "a perfectly fine passphrase"), 400, "InvalidParameterException", "Username"},
		{"profile of another shape", "PUT", "/users/" + inst, strings.Replace(user("ok", "a perfectly fine passphrase"), agent, "arn:aws:connect:us-east-1:123456789012:instance/00000000-0000-4000-8000-000000000000/security-profile/"+agent, 1),
			404, "ResourceNotFoundException", "security profile"},
		{"bad routing profile ID", "PUT", "/users/" + inst, strings.Replace(user("ok", "a perfectly fine passphrase"), provision.BasicRoutingProfileID(inst), "no/slashes", 1), 400, "InvalidParameterException", "RoutingProfileId"},
		{"restricted profile", "PUT", "/security-profiles/" + inst, `{"SecurityProfileName":"R","TagRestrictedResources":["User"]}`, 400, "InvalidParameterException", "TagRestrictedResources"},
		{"operator-only permission", "PUT", "/security-profiles/" + inst, `{"SecurityProfileName":"R","Permissions":["Ringfence.Operator"]}`, 400, "InvalidParameterException", "Ringfence.Operator"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, typ, body := e.do(t, e.key, e.secret, tc.method, tc.path, tc.body)
			if code != tc.wantStatus || typ != tc.wantType || !strings.Contains(body, tc.wantMessage) {
				t.Errorf("got %d %s %s; want %d %s containing %q", code, typ, body, tc.wantStatus, tc.wantType, tc.wantMessage)
			}
		})
	}
	// A well-formed request passes with the same fixture, and an ARN of the instance works as an ID.
	ok := strings.Replace(user("ok", "a perfectly fine passphrase"), agent, "arn:aws:connect:us-east-1:123456789012:instance/"+inst+"/security-profile/"+agent, 1)
	if code, typ, body := e.do(t, e.key, e.secret, "PUT", "/users/"+inst, ok); code != 200 {
		t.Errorf("CreateUser with a profile ARN = %d %s %s", code, typ, body)
	}
}
