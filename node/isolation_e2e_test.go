package node_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/ringfence/ringfence/api"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/provision"
)

// The tests in this file probe every operation the API implements (api.Routes), so a new
// operation fails them until it has a probe here: SECURITY.md "Bad inputs" 3 (a token of
// instance A on every route of instance B) and 4 (Agent-profile credentials on every
// administrator operation).

// opProbe is how to call one operation: a query string and a JSON body, both templates
// whose {Placeholders} name resources ({InstanceId}, {QueueId}, ... as in the paths, and
// {FlowContent}, {ModuleContent}, {KeyPEM}, {FunctionArn}, {Origin}, {InstanceArn}, {Past}, {Now},
// {Future}). The bodies
// are valid requests, so a refusal cannot be blamed on the input.
type opProbe struct {
	query, body string
}

// opProbes holds a probe for every implemented operation.
var opProbes = map[string]opProbe{
	// Agent statuses.
	"CreateAgentStatus":   {body: `{"Name":"Probe Status","State":"ENABLED"}`},
	"DescribeAgentStatus": {},
	"ListAgentStatuses":   {},
	"UpdateAgentStatus":   {body: `{"Description":"probed"}`},
	"PutUserStatus":       {body: `{"AgentStatusId":"{AgentStatusId}"}`},
	// Approved origins.
	"AssociateApprovedOrigin":    {body: `{"Origin":"https://probe.example.com"}`},
	"ListApprovedOrigins":        {},
	"DisassociateApprovedOrigin": {query: `origin={Origin}`},
	// Authentication profiles.
	"DescribeAuthenticationProfile": {},
	"ListAuthenticationProfiles":    {},
	"UpdateAuthenticationProfile":   {body: `{"Description":"probed"}`},
	// Contacts.
	"StartTaskContact":        {body: `{"InstanceId":"{InstanceId}","ContactFlowId":"{ContactFlowId}","Name":"probe"}`},
	"StartChatContact":        {body: `{"InstanceId":"{InstanceId}","ContactFlowId":"{ContactFlowId}","ParticipantDetails":{"DisplayName":"probe"}}`},
	"StopContact":             {body: `{"InstanceId":"{InstanceId}","ContactId":"{ContactId}"}`},
	"DescribeContact":         {},
	"UpdateContact":           {body: `{"Description":"probed"}`},
	"GetContactAttributes":    {},
	"UpdateContactAttributes": {body: `{"InstanceId":"{InstanceId}","InitialContactId":"{InitialContactId}","Attributes":{"probe":"x"}}`},
	"UpdateContactSchedule":   {body: `{"InstanceId":"{InstanceId}","ContactId":"{ContactId}","ScheduledTime":{Future}}`},
	"TransferContact":         {body: `{"InstanceId":"{InstanceId}","ContactId":"{ContactId}","QueueId":"{QueueId}","ContactFlowId":"{ContactFlowId}"}`},
	"SearchContacts":          {body: `{"InstanceId":"{InstanceId}","TimeRange":{"Type":"INITIATION_TIMESTAMP","StartTime":{Past},"EndTime":{Future}}}`},
	"ListContactReferences":   {},
	// Metrics.
	"GetCurrentMetricData": {body: `{"Filters":{"Queues":["{QueueId}"],"Channels":["CHAT"]},"CurrentMetrics":[{"Name":"CONTACTS_IN_QUEUE","Unit":"COUNT"}]}`},
	"GetCurrentUserData":   {body: `{"Filters":{"Queues":["{QueueId}"]}}`},
	"GetMetricDataV2": {body: `{"ResourceArn":"{InstanceArn}","StartTime":{Past},"EndTime":{Now},"Filters":[{"FilterKey":"QUEUE","FilterValues":["{QueueId}"]}],` +
		`"Metrics":[{"Name":"CONTACTS_HANDLED"}]}`},
	// Flows and modules.
	"CreateContactFlow":               {body: `{"Name":"Probe Flow","Type":"CONTACT_FLOW","Content":{FlowContent}}`},
	"DescribeContactFlow":             {},
	"ListContactFlows":                {},
	"UpdateContactFlowContent":        {body: `{"Content":{FlowContent}}`},
	"UpdateContactFlowMetadata":       {body: `{"Description":"probed"}`},
	"UpdateContactFlowName":           {body: `{"Name":"Probe renamed"}`},
	"DeleteContactFlow":               {},
	"CreateContactFlowModule":         {body: `{"Name":"Probe Module","Content":{ModuleContent}}`},
	"DescribeContactFlowModule":       {},
	"ListContactFlowModules":          {},
	"UpdateContactFlowModuleContent":  {body: `{"Content":{ModuleContent}}`},
	"UpdateContactFlowModuleMetadata": {body: `{"Description":"probed"}`},
	"DeleteContactFlowModule":         {},
	// Functions.
	"AssociateLambdaFunction":    {body: `{"FunctionArn":"arn:aws:lambda:us-east-1:111122223333:function:probe"}`},
	"ListLambdaFunctions":        {},
	"DisassociateLambdaFunction": {query: `functionArn={FunctionArn}`},
	// Hours of operation.
	"CreateHoursOfOperation":         {body: `{"Name":"Probe Hours","TimeZone":"UTC","Config":[{"Day":"MONDAY","StartTime":{"Hours":9,"Minutes":0},"EndTime":{"Hours":17,"Minutes":0}}]}`},
	"DescribeHoursOfOperation":       {},
	"ListHoursOfOperations":          {},
	"UpdateHoursOfOperation":         {body: `{"Description":"probed"}`},
	"DeleteHoursOfOperation":         {},
	"CreateHoursOfOperationOverride": {body: `{"Name":"Probe Override","Config":[],"EffectiveFrom":"2031-01-01","EffectiveTill":"2031-01-02","OverrideType":"STANDARD"}`},
	"ListHoursOfOperationOverrides":  {},
	// Instances.
	"CreateInstance":   {body: `{"IdentityManagementType":"CONNECT_MANAGED","InstanceAlias":"probe","InboundCallsEnabled":true,"OutboundCallsEnabled":true}`},
	"ListInstances":    {},
	"DescribeInstance": {},
	"DeleteInstance":   {},
	// Prompts.
	"CreatePrompt":   {body: `{"Name":"Probe Prompt","S3Uri":"s3://bucket/probe.wav"}`},
	"DescribePrompt": {},
	"ListPrompts":    {},
	"UpdatePrompt":   {body: `{"Description":"probed"}`},
	"DeletePrompt":   {},
	// Queues.
	"CreateQueue":                     {body: `{"Name":"Probe Queue","HoursOfOperationId":"{HoursOfOperationId}"}`},
	"DescribeQueue":                   {},
	"ListQueues":                      {},
	"UpdateQueueName":                 {body: `{"Name":"Probe renamed"}`},
	"UpdateQueueMaxContacts":          {body: `{"MaxContacts":5}`},
	"UpdateQueueHoursOfOperation":     {body: `{"HoursOfOperationId":"{HoursOfOperationId}"}`},
	"UpdateQueueStatus":               {body: `{"Status":"ENABLED"}`},
	"UpdateQueueOutboundCallerConfig": {body: `{"OutboundCallerConfig":{"OutboundCallerIdName":"probe"}}`},
	// Quick connects.
	"CreateQuickConnect":       {body: `{"Name":"Probe QC","QuickConnectConfig":{"QuickConnectType":"QUEUE","QueueConfig":{"QueueId":"{QueueId}","ContactFlowId":"{ContactFlowId}"}}}`},
	"DescribeQuickConnect":     {},
	"ListQuickConnects":        {},
	"DeleteQuickConnect":       {},
	"UpdateQuickConnectName":   {body: `{"Name":"Probe QC name"}`},
	"UpdateQuickConnectConfig": {body: `{"QuickConnectConfig":{"QuickConnectType":"PHONE_NUMBER","PhoneConfig":{"PhoneNumber":"+14155550101"}}}`},
	// Queue quick connects.
	"AssociateQueueQuickConnects":    {body: `{"QuickConnectIds":["{QuickConnectId}"]}`},
	"DisassociateQueueQuickConnects": {body: `{"QuickConnectIds":["{QuickConnectId}"]}`},
	"ListQueueQuickConnects":         {},
	// Routing profiles.
	"CreateRoutingProfile":                     {body: `{"Name":"Probe RP","Description":"p","DefaultOutboundQueueId":"{QueueId}","MediaConcurrencies":[{"Channel":"CHAT","Concurrency":1}]}`},
	"DescribeRoutingProfile":                   {},
	"ListRoutingProfiles":                      {},
	"ListRoutingProfileQueues":                 {},
	"AssociateRoutingProfileQueues":            {body: `{"QueueConfigs":[{"QueueReference":{"QueueId":"{QueueId}","Channel":"TASK"},"Priority":1,"Delay":0}]}`},
	"UpdateRoutingProfileQueues":               {body: `{"QueueConfigs":[{"QueueReference":{"QueueId":"{QueueId}","Channel":"CHAT"},"Priority":2,"Delay":0}]}`},
	"DisassociateRoutingProfileQueues":         {body: `{"QueueReferences":[{"QueueId":"{QueueId}","Channel":"CHAT"}]}`},
	"UpdateRoutingProfileConcurrency":          {body: `{"MediaConcurrencies":[{"Channel":"CHAT","Concurrency":2}]}`},
	"UpdateRoutingProfileName":                 {body: `{"Name":"Probe renamed"}`},
	"DeleteRoutingProfile":                     {},
	"UpdateRoutingProfileDefaultOutboundQueue": {body: `{"DefaultOutboundQueueId":"{QueueId}"}`},
	// Security keys.
	"AssociateSecurityKey":    {body: `{"Key":{KeyPEM}}`},
	"ListSecurityKeys":        {},
	"DisassociateSecurityKey": {},
	// Security profiles.
	"CreateSecurityProfile":          {body: `{"SecurityProfileName":"Probe","Permissions":["Users.View"]}`},
	"DescribeSecurityProfile":        {},
	"ListSecurityProfiles":           {},
	"ListSecurityProfilePermissions": {},
	"UpdateSecurityProfile":          {body: `{"Description":"probed"}`},
	"DeleteSecurityProfile":          {},
	// Users.
	"CreateUser": {body: `{"Username":"probe","Password":"` + testPassword + `","IdentityInfo":{"FirstName":"P","LastName":"Q"},"PhoneConfig":{"PhoneType":"SOFT_PHONE"},` +
		`"SecurityProfileIds":["{SecurityProfileId}"],"RoutingProfileId":"{RoutingProfileId}"}`},
	"DescribeUser":               {},
	"ListUsers":                  {},
	"SearchUsers":                {body: `{"InstanceId":"{InstanceId}"}`},
	"UpdateUserIdentityInfo":     {body: `{"IdentityInfo":{"FirstName":"X","LastName":"Y"}}`},
	"UpdateUserSecurityProfiles": {body: `{"SecurityProfileIds":["{SecurityProfileId}"]}`},
	"UpdateUserRoutingProfile":   {body: `{"RoutingProfileId":"{RoutingProfileId}"}`},
	"UpdateUserPhoneConfig":      {body: `{"PhoneConfig":{"PhoneType":"SOFT_PHONE"}}`},
	"DeleteUser":                 {},
	// Flow logs.
	identity.ActionGetContactFlowLogs:   {},
	identity.ActionGetContactTranscript: {},
	// User access keys.
	identity.ActionCreateUserAccessKey: {body: `{"Description":"probe"}`},
	identity.ActionListUserAccessKeys:  {},
	identity.ActionRollUserAccessKey:   {},
	identity.ActionDeleteUserAccessKey: {},
	// Authentication profiles beyond Connect's three operations.
	identity.ActionCreateAuthenticationProfile:       {body: `{"Name":"Probe Profile"}`},
	identity.ActionDeleteAuthenticationProfile:       {},
	identity.ActionListAuthenticationProfileUsers:    {},
	identity.ActionDescribeUserAuthenticationProfile: {},
	identity.ActionUpdateUserAuthenticationProfile:   {body: `{"AuthenticationProfileId":"{AuthenticationProfileId}"}`},
}

// TestEveryOperationHasAProbe fails when an operation is served without a probe above, so
// the isolation tests below cannot miss it.
func TestEveryOperationHasAProbe(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range api.Routes() {
		seen[r.Operation] = true
		if _, ok := opProbes[r.Operation]; !ok {
			t.Errorf("operation %s (%s %s) has no probe in opProbes: add one so the tenant-isolation and authorization tests cover it", r.Operation, r.Method, r.Path)
		}
	}
	for op := range opProbes {
		if !seen[op] {
			t.Errorf("opProbes has %s, which the API does not serve", op)
		}
	}
}

// probeFlow is a minimal published flow; probeModule a minimal module.
const (
	probeFlow   = `{"Version":"2019-10-30","StartAction":"end","Actions":[{"Identifier":"end","Type":"DisconnectParticipant","Parameters":{},"Transitions":{}}]}`
	probeModule = `{"Version":"2019-10-30","StartAction":"end","Actions":[{"Identifier":"end","Type":"EndFlowModuleExecution","Parameters":{},"Transitions":{}}]}`
)

// tenant is one instance with one resource of every kind, by placeholder.
type tenant map[string]string

var placeholder = regexp.MustCompile(`\{[A-Za-z]+\}`)

// fill replaces the placeholders of s with t's values; it fails the test on one it lacks.
func (tn tenant) fill(t *testing.T, s string) string {
	t.Helper()
	return placeholder.ReplaceAllStringFunc(s, func(p string) string {
		v, ok := tn[strings.Trim(p, "{}")]
		if !ok {
			t.Fatalf("no value for %s in %q", p, s)
		}
		return v
	})
}

// with returns a copy of tn with the given placeholders taken from other.
func (tn tenant) with(other tenant, keys ...string) tenant {
	out := tenant{}
	for k, v := range tn {
		out[k] = v
	}
	for _, k := range keys {
		out[k] = other[k]
	}
	return out
}

// resourceKeys are the placeholders that name a resource inside an instance (all but the
// instance itself and the non-resource values).
func resourceKeys(tn tenant) []string {
	var out []string
	for k := range tn {
		switch k {
		case "InstanceId", "InstanceArn", "FlowContent", "ModuleContent", "KeyPEM", "Past", "Now", "Future":
		default:
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// result is the answer to one signed request.
type result struct {
	status          int
	errType, body   string
	requestID       string
	method, pathURL string
}

// call sends a signed request of operation r filled from tn, signed with the key.
func (tn *testNode) call(t *testing.T, keyID, secret string, r api.Route, values tenant) result {
	t.Helper()
	p := opProbes[r.Operation]
	path := values.fill(t, r.Path)
	if p.query != "" {
		q := values.fill(t, p.query)
		k, v, _ := strings.Cut(q, "=")
		path += "?" + k + "=" + urlQueryEscape(v)
	}
	body := ""
	if p.body != "" {
		body = values.fill(t, p.body)
	} else if r.Method == http.MethodPut || r.Method == http.MethodPost {
		body = "{}"
	}
	req, err := http.NewRequest(r.Method, tn.endpoint+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	sum := sha256Hex(body)
	req.Header.Set("X-Amz-Content-Sha256", sum)
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}, req, sum, "connect", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := tn.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return result{status: resp.StatusCode, errType: resp.Header.Get("X-Amzn-ErrorType"), body: string(b),
		requestID: resp.Header.Get("X-Amzn-RequestId"), method: r.Method, pathURL: path}
}

func urlQueryEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// seedTenant creates, with the operator key, one resource of every kind in instance inst,
// each named with label ("B Secret Queue", ...), and returns them by placeholder.
func seedTenant(t *testing.T, tn *testNode, inst, label string) tenant {
	t.Helper()
	op := func(method, path, body, field string) string {
		t.Helper()
		code, typ, out := tn.do(t, tn.boot.AccessKeyID, tn.boot.SecretAccessKey.Reveal(), route{"seed", method, path, body})
		if code != 200 {
			t.Fatalf("seed %s %s: %d %s %s", method, path, code, typ, out)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatalf("seed %s: %v", path, err)
		}
		id, _ := m[field].(string)
		if field != "" && id == "" {
			t.Fatalf("seed %s: no %s in %s", path, field, out)
		}
		return id
	}
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	v := tenant{"InstanceId": inst, "FlowContent": q(probeFlow), "ModuleContent": q(probeModule),
		"KeyPEM":                  q(publicKeyPEM(t, &key.PublicKey)),
		"Past":                    strconv.FormatInt(time.Now().Add(-24*time.Hour).Unix(), 10),
		"Now":                     strconv.FormatInt(time.Now().Add(-time.Second).Unix(), 10),
		"Future":                  strconv.FormatInt(time.Now().Add(24*time.Hour).Unix(), 10),
		"AuthenticationProfileId": identity.DefaultAuthenticationProfileID(inst),
	}
	v["HoursOfOperationId"] = op("PUT", "/hours-of-operations/"+inst, `{"Name":"`+label+` Secret Hours","TimeZone":"UTC","Config":[{"Day":"MONDAY","StartTime":{"Hours":9,"Minutes":0},"EndTime":{"Hours":17,"Minutes":0}}]}`, "HoursOfOperationId")
	op("PUT", "/hours-of-operations/"+inst+"/"+v["HoursOfOperationId"]+"/overrides", `{"Name":"`+label+` Secret Override","Config":[],"EffectiveFrom":"2030-01-01","EffectiveTill":"2030-01-02","OverrideType":"STANDARD"}`, "")
	v["QueueId"] = op("PUT", "/queues/"+inst, `{"Name":"`+label+` Secret Queue","HoursOfOperationId":"`+v["HoursOfOperationId"]+`"}`, "QueueId")
	v["RoutingProfileId"] = op("PUT", "/routing-profiles/"+inst, `{"Name":"`+label+` Secret Routing","Description":"secret","DefaultOutboundQueueId":"`+v["QueueId"]+
		`","MediaConcurrencies":[{"Channel":"CHAT","Concurrency":2}],"QueueConfigs":[{"QueueReference":{"QueueId":"`+v["QueueId"]+`","Channel":"CHAT"},"Priority":1,"Delay":0}]}`, "RoutingProfileId")
	v["AgentStatusId"] = op("PUT", "/agent-status/"+inst, `{"Name":"`+label+` Secret Status","State":"ENABLED"}`, "AgentStatusId")
	v["SecurityProfileId"] = op("PUT", "/security-profiles/"+inst, `{"SecurityProfileName":"`+label+` Secret Role","Permissions":["Users.View"]}`, "SecurityProfileId")
	v["UserId"] = op("PUT", "/users/"+inst, `{"Username":"`+strings.ToLower(label)+`.secret.user","Password":"`+testPassword+`","IdentityInfo":{"FirstName":"`+label+` Secret","LastName":"Person"},`+
		`"PhoneConfig":{"PhoneType":"SOFT_PHONE"},"SecurityProfileIds":["`+v["SecurityProfileId"]+`"],"RoutingProfileId":"`+provision.BasicRoutingProfileID(inst)+`"}`, "UserId")
	userKey, _, err := tn.n.IssueUserKey(context.Background(), inst, strings.ToLower(label)+".secret.user", label+" Secret Key")
	if err != nil {
		t.Fatalf("seed access key: %v", err)
	}
	v["AccessKeyId"] = userKey.ID
	v["ContactFlowId"] = op("PUT", "/contact-flows/"+inst, `{"Name":"`+label+` Secret Flow","Type":"CONTACT_FLOW","Content":`+v["FlowContent"]+`}`, "ContactFlowId")
	v["ContactFlowModuleId"] = op("PUT", "/contact-flow-modules/"+inst, `{"Name":"`+label+` Secret Module","Content":`+v["ModuleContent"]+`}`, "Id")
	v["PromptId"] = op("PUT", "/prompts/"+inst, `{"Name":"`+label+` Secret Prompt","S3Uri":"s3://bucket/secret.wav"}`, "PromptId")
	v["QuickConnectId"] = op("PUT", "/quick-connects/"+inst, `{"Name":"`+label+` Secret QC","QuickConnectConfig":{"QuickConnectType":"PHONE_NUMBER","PhoneConfig":{"PhoneNumber":"+14155550100"}}}`, "QuickConnectId")
	v["ContactId"] = op("PUT", "/contact/task", `{"InstanceId":"`+inst+`","ContactFlowId":"`+v["ContactFlowId"]+`","Name":"`+label+` Secret Task","ScheduledTime":`+v["Future"]+`}`, "ContactId")
	v["InitialContactId"] = v["ContactId"]
	v["AssociationId"] = op("PUT", "/instance/"+inst+"/security-key", `{"Key":`+v["KeyPEM"]+`}`, "AssociationId")
	v["FunctionArn"] = "arn:aws:lambda:us-east-1:111122223333:function:" + strings.ToLower(label) + "-secret-fn"
	op("PUT", "/instance/"+inst+"/lambda-function", `{"FunctionArn":"`+v["FunctionArn"]+`"}`, "")
	v["Origin"] = "https://" + strings.ToLower(label) + "-secret.example.com"
	op("PUT", "/instance/"+inst+"/approved-origin", `{"Origin":"`+v["Origin"]+`"}`, "")
	v["InstanceArn"] = "arn:aws:connect:us-east-1:" + tn.n.AccountID + ":instance/" + inst
	return v
}

// operatorOnly reports whether the authorizer keeps op to operators (Connect's IAM-only
// operations: instances, security keys, functions, authentication profiles).
func operatorOnly(op string) bool {
	perms, _ := identity.RequiredPermissions(op)
	return slices.Contains(perms, identity.PermissionOperator)
}

// TestEveryRouteTenantIsolation: instance A's administrator (an access key acting as the
// Admin user of A, which may do everything in A) calls every implemented operation
//   - with instance B's ID and B's real resource IDs: each answers 404
//     ResourceNotFoundException, as for an instance that does not exist, except the two
//     operations that name no instance (CreateInstance, ListInstances), which are
//     operator-only and answer 403 AccessDeniedException;
//   - with its own instance's ID and B's resource IDs wherever the path or body names a
//     resource: each answers 404 ResourceNotFoundException (operator-only operations 403);
//
// no answer names anything of B, and nothing of B changes. As a control, the same requests
// with A's own resources succeed, so the refusals come from B's IDs and not from the input.
func TestEveryRouteTenantIsolation(t *testing.T) {
	tn, instB, _, _ := twoInstances(t)
	instA := tn.boot.InstanceID
	a := seedTenant(t, tn, instA, "A")
	b := seedTenant(t, tn, instB, "B")
	keyID, secret := tn.userKey(t, instA, "admin")
	leaks := []string{"B Secret", "b.secret.user", "b-secret-fn", "tenant-b", "b.agent", "B Secret Profile"}
	checkLeaks := func(t *testing.T, res result) {
		t.Helper()
		for _, s := range leaks {
			if strings.Contains(res.body, s) {
				t.Errorf("%s %s: the answer names %q: %s", res.method, res.pathURL, s, res.body)
			}
		}
	}
	var crossProbed []api.Route
	for _, r := range api.Routes() {
		t.Run(r.Operation, func(t *testing.T) {
			// B's instance, B's resources.
			res := tn.call(t, keyID, secret, r, b)
			wantStatus, wantType := 404, "ResourceNotFoundException"
			if !strings.Contains(r.Path, "{InstanceId}") && !r.InstanceInBody {
				wantStatus, wantType = 403, "AccessDeniedException"
			}
			if res.status != wantStatus || res.errType != wantType {
				t.Errorf("%s %s with B's IDs: %d %s %s; want %d %s", res.method, res.pathURL, res.status, res.errType, res.body, wantStatus, wantType)
			}
			checkLeaks(t, res)

			// A's instance, B's resources wherever the request names one.
			p := opProbes[r.Operation]
			var keys []string
			for _, k := range resourceKeys(b) {
				if strings.Contains(r.Path+p.query+p.body, "{"+k+"}") {
					keys = append(keys, k)
				}
			}
			if len(keys) == 0 || (!strings.Contains(r.Path, "{InstanceId}") && !r.InstanceInBody) {
				return
			}
			crossProbed = append(crossProbed, r)
			res = tn.call(t, keyID, secret, r, a.with(b, keys...))
			wantStatus, wantType = 404, "ResourceNotFoundException"
			if operatorOnly(r.Operation) {
				wantStatus, wantType = 403, "AccessDeniedException"
			}
			if res.status != wantStatus || res.errType != wantType {
				t.Errorf("%s %s with A's instance and B's %v: %d %s %s; want %d %s", res.method, res.pathURL, keys, res.status, res.errType, res.body, wantStatus, wantType)
			}
			checkLeaks(t, res)
		})
	}
	if len(crossProbed) < 50 {
		t.Errorf("only %d operations were probed with B's resource IDs in instance A", len(crossProbed))
	}
	t.Logf("%d operations probed with B's IDs, %d of them also with B's resource IDs in instance A", len(api.Routes()), len(crossProbed))

	// Nothing of B changed or went: the operator reads each resource as it was.
	opKey, opSecret := tn.boot.AccessKeyID, tn.boot.SecretAccessKey.Reveal()
	for _, check := range []struct{ op, want string }{
		{"DescribeUser", `"FirstName":"B Secret"`}, {"DescribeQueue", `"Name":"B Secret Queue"`},
		{"DescribeHoursOfOperation", `"Name":"B Secret Hours"`}, {"DescribeRoutingProfile", `"Name":"B Secret Routing"`},
		{"DescribeAgentStatus", `"Name":"B Secret Status"`}, {"DescribeSecurityProfile", `"Description":""`},
		{"DescribeContactFlow", `"Name":"B Secret Flow"`}, {"DescribeContactFlowModule", `"Name":"B Secret Module"`},
		{"DescribePrompt", `"Name":"B Secret Prompt"`}, {"DescribeQuickConnect", `"Name":"B Secret QC"`},
		{"DescribeContact", `"Name":"B Secret Task"`}, {"ListSecurityKeys", b["AssociationId"]}, {"ListLambdaFunctions", b["FunctionArn"]},
		{"DescribeAuthenticationProfile", `"Description":"Applies to every user of the instance"`},
	} {
		r := routeOf(t, check.op)
		if res := tn.call(t, opKey, opSecret, r, b); res.status != 200 || !strings.Contains(res.body, check.want) {
			t.Errorf("instance B's %s after the probes: %d %s; want %s", check.op, res.status, res.body, check.want)
		}
	}
	positiveControl(t, tn, keyID, secret, a, crossProbed)
}

// positiveControl sends the cross-instance probes again with instance A's own resources:
// they succeed (or fail only on the resource's state), so the 404s above came from B's IDs,
// not from a request the handler would have refused anyway. Deletions and StopContact go
// last.
func positiveControl(t *testing.T, tn *testNode, keyID, secret string, a tenant, routes []api.Route) {
	t.Helper()
	last := func(r api.Route) bool { return r.Method == http.MethodDelete || r.Operation == "StopContact" }
	ordered := slices.Concat(slices.DeleteFunc(slices.Clone(routes), last), slices.DeleteFunc(slices.Clone(routes), func(r api.Route) bool { return !last(r) }))
	// Refusals that come after the resource was found: the seeded contact is a scheduled
	// task, which cannot be transferred and has no transcript; the seeded security profile is
	// held by the seeded user, the seeded hours by the seeded queue, and the seeded routing
	// profile is a user's.
	stateRefusals := map[string]string{"TransferContact": "InvalidRequestException", "DeleteSecurityProfile": "ResourceInUseException",
		identity.ActionGetContactTranscript: "InvalidRequestException", "DeleteHoursOfOperation": "ResourceInUseException",
		"DeleteRoutingProfile": "ResourceInUseException"}
	for _, r := range ordered {
		if operatorOnly(r.Operation) {
			continue
		}
		res := tn.call(t, keyID, secret, r, a)
		if res.status != 200 && res.errType != stateRefusals[r.Operation] {
			t.Errorf("control: %s %s with A's own resources: %d %s %s; want success", res.method, res.pathURL, res.status, res.errType, res.body)
		}
	}
}

// routeOf returns the route of operation op.
func routeOf(t *testing.T, op string) api.Route {
	t.Helper()
	for _, r := range api.Routes() {
		if r.Operation == op {
			return r
		}
	}
	t.Fatalf("no route for %s", op)
	return api.Route{}
}

// TestAgentKeyDeniedEveryAdministrativeOperation: an access key acting as a user with only
// the Agent profile calls, in its own instance with its real resource IDs, every operation
// the Agent profile does not grant (every administrative one among them): each answers 403
// AccessDeniedException, and the audit trail holds one refusal for each request (same
// request ID) naming the user, the operation and the authorizer's reason.
func TestAgentKeyDeniedEveryAdministrativeOperation(t *testing.T) {
	tn := startNode(t)
	inst := tn.boot.InstanceID
	a := seedTenant(t, tn, inst, "A")
	ids := profileIDs(t, tn.sdk(tn.boot.SecretAccessKey.Reveal()), inst)
	agent, err := tn.sdk(tn.boot.SecretAccessKey.Reveal()).CreateUser(context.Background(), createUserInput(inst, "agent.only", ids["Agent"]))
	if err != nil {
		t.Fatal(err)
	}
	keyID, secret := tn.userKey(t, inst, "agent.only")
	agentPerms := identity.DefaultSecurityProfiles()[1].Permissions // Agent
	grants := func(op string) bool {
		perms, _ := identity.RequiredPermissions(op)
		for _, p := range perms {
			if !slices.Contains(agentPerms, p) {
				return false
			}
		}
		return true
	}
	type sent struct {
		op  string
		res result
	}
	var probes []sent
	admin := 0
	for _, r := range api.Routes() {
		perms, _ := identity.RequiredPermissions(r.Operation)
		isAdmin := operatorOnly(r.Operation) || identity.IsAdminPermissionSet(perms)
		if grants(r.Operation) {
			if isAdmin {
				t.Errorf("the Agent profile grants the administrative operation %s", r.Operation)
			}
			continue
		}
		if isAdmin {
			admin++
		}
		res := tn.call(t, keyID, secret, r, a)
		if res.status != 403 || res.errType != "AccessDeniedException" {
			t.Errorf("%s %s with an Agent key: %d %s %s; want 403 AccessDeniedException", res.method, res.pathURL, res.status, res.errType, res.body)
		}
		probes = append(probes, sent{r.Operation, res})
	}
	if admin < 50 {
		t.Errorf("only %d administrative operations probed", admin)
	}
	t.Logf("%d operations refused to the Agent key, %d of them administrative", len(probes), admin)
	events := map[string]audit.Event{}
	err = tn.n.Store.ScanAudit(context.Background(), 0, func(r audit.Record) error {
		var ev audit.Event
		if err := json.Unmarshal(r.Body, &ev); err != nil {
			return err
		}
		if ev.RequestID != "" {
			events[ev.RequestID] = ev
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	actor := "user:" + inst + "/" + aws.ToString(agent.UserId)
	for _, p := range probes {
		ev, ok := events[p.res.requestID]
		switch {
		case !ok:
			t.Errorf("%s: no audit event for request %s", p.op, p.res.requestID)
		case ev.Operation != p.op || ev.Outcome != audit.OutcomeFailure || ev.ErrorCode != "AccessDeniedException" ||
			!strings.HasPrefix(ev.Actor, actor) || ev.Details["authz"] == "":
			t.Errorf("%s: audit event %+v", p.op, ev)
		}
	}
	// Nothing was changed by the refused calls.
	opKey, opSecret := tn.boot.AccessKeyID, tn.boot.SecretAccessKey.Reveal()
	if res := tn.call(t, opKey, opSecret, routeOf(t, "DescribeQueue"), a); res.status != 200 || !strings.Contains(res.body, `"Name":"A Secret Queue"`) {
		t.Errorf("the queue after the refused calls: %d %s", res.status, res.body)
	}
	if res := tn.call(t, opKey, opSecret, routeOf(t, "DescribeUser"), a); res.status != 200 || !strings.Contains(res.body, `"FirstName":"A Secret"`) {
		t.Errorf("the user after the refused calls: %d %s", res.status, res.body)
	}
}
