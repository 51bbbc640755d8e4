package api_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/ringfence/ringfence/api"
	"github.com/ringfence/ringfence/identity"
)

// TestRoutingRoutesAreInstanceScoped probes every routing route of instance B with a key of
// instance A that holds every routing permission: each answers ResourceNotFoundException, as
// for an instance that does not exist. The same key works on its own instance, and a key
// without the permission is refused.
func TestRoutingRoutesAreInstanceScoped(t *testing.T) {
	ps := profiles{}
	e := newEnv(t, api.Config{Profiles: ps})
	ids := map[string]string{}
	for _, alias := range []string{"a", "b"} {
		_, _, body := e.do(t, e.key, e.secret, "PUT", "/instance", create(alias))
		id := body[strings.Index(body, `"Id":"`)+6:]
		ids[alias] = id[:36]
	}
	var perms []string
	for _, r := range api.RoutingRoutes() {
		p, ok := identity.RequiredPermissions(r[0])
		if !ok {
			t.Fatalf("operation %s has no permission mapping", r[0])
		}
		perms = append(perms, p...)
	}
	ps[ids["a"]+"/admin"] = []identity.SecurityProfile{{InstanceID: ids["a"], Name: "RoutingAdmin", Permissions: perms}}
	ps[ids["a"]+"/viewer"] = []identity.SecurityProfile{{InstanceID: ids["a"], Name: "QueueViewer", Permissions: []string{"Queues.View"}}}
	admin, asec := e.issue(t, identity.AccessKey{Kind: identity.KeyUser, InstanceID: ids["a"], UserID: "admin"})
	viewer, vsec := e.issue(t, identity.AccessKey{Kind: identity.KeyUser, InstanceID: ids["a"], UserID: "viewer"})

	param := regexp.MustCompile(`\{[A-Za-z]+\}`)
	for _, r := range api.RoutingRoutes() {
		path := strings.Replace(r[2], "{InstanceId}", ids["b"], 1)
		path = param.ReplaceAllString(path, "00000000-0000-4000-8000-000000000000")
		t.Run(r[0], func(t *testing.T) {
			code, typ, body := e.do(t, admin, asec, r[1], path, "{}")
			if code != 404 || typ != "ResourceNotFoundException" {
				t.Errorf("%s %s with instance A's key = %d %s %s; want 404 ResourceNotFoundException", r[1], path, code, typ, body)
			}
		})
	}
	if code, typ, body := e.do(t, admin, asec, "GET", "/queues-summary/"+ids["a"], ""); code != 200 || !strings.Contains(body, "BasicQueue") {
		t.Errorf("ListQueues on its own instance = %d %s %s; want 200 listing BasicQueue", code, typ, body)
	}
	if code, _, _ := e.do(t, viewer, vsec, "GET", "/queues-summary/"+ids["a"], ""); code != 200 {
		t.Errorf("queue viewer ListQueues = %d, want 200", code)
	}
	if code, typ, _ := e.do(t, viewer, vsec, "PUT", "/queues/"+ids["a"], `{"Name":"x","HoursOfOperationId":"y"}`); code != 403 || typ != "AccessDeniedException" {
		t.Errorf("queue viewer CreateQueue = %d %s, want 403 AccessDeniedException", code, typ)
	}
	if code, typ, _ := e.do(t, viewer, vsec, "GET", "/routing-profiles-summary/"+ids["a"], ""); code != 403 || typ != "AccessDeniedException" {
		t.Errorf("queue viewer ListRoutingProfiles = %d %s, want 403 AccessDeniedException", code, typ)
	}
}

// TestRoutingBadInput checks that malformed requests get a clear InvalidParameterException
// or InvalidRequestException and change nothing.
func TestRoutingBadInput(t *testing.T) {
	e := newEnv(t, api.Config{})
	_, _, body := e.do(t, e.key, e.secret, "PUT", "/instance", create("bad"))
	inst := body[strings.Index(body, `"Id":"`)+6:][:36]
	tests := []struct {
		name, method, path, body string
		wantType, wantMessage    string
	}{
		{"hours without a name", "PUT", "/hours-of-operations/" + inst, `{"TimeZone":"UTC","Config":[]}`, "InvalidParameterException", "Name is required"},
		{"hours with a bad day", "PUT", "/hours-of-operations/" + inst, `{"Name":"h","TimeZone":"UTC","Config":[{"Day":"FUNDAY","StartTime":{"Hours":1,"Minutes":0},"EndTime":{"Hours":2,"Minutes":0}}]}`, "InvalidParameterException", "Day must be one of"},
		{"hours without end time", "PUT", "/hours-of-operations/" + inst, `{"Name":"h","TimeZone":"UTC","Config":[{"Day":"MONDAY","StartTime":{"Hours":1,"Minutes":0}}]}`, "InvalidParameterException", "StartTime and EndTime"},
		{"hours with minute 60", "PUT", "/hours-of-operations/" + inst, `{"Name":"h","TimeZone":"UTC","Config":[{"Day":"MONDAY","StartTime":{"Hours":1,"Minutes":60},"EndTime":{"Hours":2,"Minutes":0}}]}`, "InvalidParameterException", "out of range"},
		{"hours name with a control character", "PUT", "/hours-of-operations/" + inst, `{"Name":"a\u0007b","TimeZone":"UTC","Config":[]}`, "InvalidParameterException", "control"},
		{"hours with parents", "PUT", "/hours-of-operations/" + inst, `{"Name":"h","TimeZone":"UTC","Config":[],"ParentHoursOfOperationConfigs":[{"HoursOfOperationId":"x"}]}`, "InvalidParameterException", "not supported"},
		{"queue with negative max contacts", "PUT", "/queues/" + inst, `{"Name":"q","HoursOfOperationId":"h","MaxContacts":-1}`, "InvalidParameterException", "MaxContacts"},
		{"queue with quick connects", "PUT", "/queues/" + inst, `{"Name":"q","HoursOfOperationId":"h","QuickConnectIds":["` + strings.Repeat(`x","`, 50) + `x"]}`, "InvalidParameterException", "QuickConnectIds"},
		{"queue name as a number", "PUT", "/queues/" + inst, `{"Name":5,"HoursOfOperationId":"h"}`, "InvalidRequestException", "Name"},
		{"profile without description", "PUT", "/routing-profiles/" + inst, `{"Name":"p","DefaultOutboundQueueId":"q","MediaConcurrencies":[{"Channel":"CHAT","Concurrency":1}]}`, "InvalidParameterException", "Description"},
		{"profile without channels", "PUT", "/routing-profiles/" + inst, `{"Name":"p","Description":"d","DefaultOutboundQueueId":"q","MediaConcurrencies":[]}`, "InvalidParameterException", "MediaConcurrencies"},
		{"profile with 11 queue configs", "PUT", "/routing-profiles/" + inst, `{"Name":"p","Description":"d","DefaultOutboundQueueId":"q","MediaConcurrencies":[{"Channel":"CHAT","Concurrency":1}],"QueueConfigs":[` +
			strings.Repeat(`{"QueueReference":{"QueueId":"q","Channel":"CHAT"},"Priority":1,"Delay":0},`, 10) + `{"QueueReference":{"QueueId":"q","Channel":"CHAT"},"Priority":1,"Delay":0}]}`, "InvalidParameterException", "at most 10"},
		{"profile with a bad timer", "PUT", "/routing-profiles/" + inst, `{"Name":"p","Description":"d","DefaultOutboundQueueId":"q","MediaConcurrencies":[{"Channel":"CHAT","Concurrency":1}],"AgentAvailabilityTimer":"SOMETIMES"}`, "InvalidParameterException", "AgentAvailabilityTimer"},
		{"status with a bad state", "PUT", "/agent-status/" + inst, `{"Name":"s","State":"MAYBE"}`, "InvalidParameterException", "State"},
		{"user status without status", "PUT", "/users/" + inst + "/u1/status", `{}`, "InvalidParameterException", "AgentStatusId"},
		{"quick connect of unknown type", "PUT", "/quick-connects/" + inst, `{"Name":"c","QuickConnectConfig":{"QuickConnectType":"FAX"}}`, "InvalidParameterException", "QuickConnectType"},
		{"queue quick connect with phone config", "PUT", "/quick-connects/" + inst, `{"Name":"c","QuickConnectConfig":{"QuickConnectType":"QUEUE","PhoneConfig":{"PhoneNumber":"+15555550100"}}}`, "InvalidParameterException", "QueueConfig"},
		{"list with maxResults 0", "GET", "/queues-summary/" + inst + "?maxResults=0", "", "InvalidParameterException", "maxResults"},
		{"list with a forged token", "GET", "/queues-summary/" + inst + "?nextToken=Zm9v", "", "InvalidParameterException", "nextToken"},
		{"list with a token of another list", "GET", "/queues-summary/" + inst + "?nextToken=aG91cnM6eA", "", "InvalidParameterException", "nextToken"},
		{"list of an unknown queue type", "GET", "/queues-summary/" + inst + "?queueTypes=VIP", "", "InvalidParameterException", "queueTypes"},
		{"statuses of an unknown type", "GET", "/agent-status/" + inst + "?AgentStatusTypes=BUSY", "", "InvalidParameterException", "AgentStatusTypes"},
		{"an ID of 600 characters", "GET", "/queues/" + inst + "/" + strings.Repeat("q", 600), "", "ResourceNotFoundException", "queue"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, typ, body := e.do(t, e.key, e.secret, tc.method, tc.path, tc.body)
			if typ != tc.wantType || !strings.Contains(body, tc.wantMessage) || code < 400 {
				t.Errorf("got %d %s %s; want %s mentioning %q", code, typ, body, tc.wantType, tc.wantMessage)
			}
		})
	}
	// Nothing was created.
	if _, _, body := e.do(t, e.key, e.secret, "GET", "/queues-summary/"+inst, ""); strings.Count(body, `"Id"`) != 1 {
		t.Errorf("queues after bad input = %s, want only BasicQueue", body)
	}
}
