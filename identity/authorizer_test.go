package identity

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/google/go-cmp/cmp"

	"github.com/ringfence/ringfence/apierr"
)

// implementedOperations are the Connect operations Ringfence serves or will serve soon. Each
// must have a row in the operation table: add the row when adding an operation here.
var implementedOperations = []string{
	// instances, keys, origins
	"CreateInstance", "DeleteInstance", "DescribeInstance", "ListInstances",
	"UpdateInstanceAttribute", "DescribeInstanceAttribute", "ListInstanceAttributes",
	"AssociateSecurityKey", "DisassociateSecurityKey", "ListSecurityKeys",
	"AssociateApprovedOrigin", "DisassociateApprovedOrigin", "ListApprovedOrigins",
	"AssociateLambdaFunction", "DisassociateLambdaFunction", "ListLambdaFunctions",
	// users
	"CreateUser", "DeleteUser", "DescribeUser", "ListUsers", "SearchUsers",
	"UpdateUserIdentityInfo", "UpdateUserPhoneConfig", "UpdateUserRoutingProfile",
	"UpdateUserSecurityProfiles", "UpdateUserHierarchy", "PutUserStatus",
	"CreateUserHierarchyGroup", "DescribeUserHierarchyGroup", "ListUserHierarchyGroups",
	// security profiles
	"CreateSecurityProfile", "DeleteSecurityProfile", "DescribeSecurityProfile",
	"ListSecurityProfiles", "ListSecurityProfilePermissions", "UpdateSecurityProfile",
	"SearchSecurityProfiles",
	// routing profiles
	"CreateRoutingProfile", "DeleteRoutingProfile", "DescribeRoutingProfile", "ListRoutingProfiles",
	"ListRoutingProfileQueues", "AssociateRoutingProfileQueues", "DisassociateRoutingProfileQueues",
	"UpdateRoutingProfileConcurrency", "UpdateRoutingProfileDefaultOutboundQueue",
	"UpdateRoutingProfileName", "UpdateRoutingProfileQueues",
	// queues
	"CreateQueue", "DeleteQueue", "DescribeQueue", "ListQueues", "SearchQueues",
	"UpdateQueueHoursOfOperation", "UpdateQueueMaxContacts", "UpdateQueueName",
	"UpdateQueueOutboundCallerConfig", "UpdateQueueStatus",
	"AssociateQueueQuickConnects", "DisassociateQueueQuickConnects", "ListQueueQuickConnects",
	// hours of operation
	"CreateHoursOfOperation", "DeleteHoursOfOperation", "DescribeHoursOfOperation",
	"ListHoursOfOperations", "UpdateHoursOfOperation", "SearchHoursOfOperations",
	// agent statuses
	"CreateAgentStatus", "DescribeAgentStatus", "ListAgentStatuses", "UpdateAgentStatus",
	"SearchAgentStatuses",
	// quick connects
	"CreateQuickConnect", "DeleteQuickConnect", "DescribeQuickConnect", "ListQuickConnects",
	"UpdateQuickConnectConfig", "UpdateQuickConnectName", "SearchQuickConnects",
	// flows and modules
	"CreateContactFlow", "DeleteContactFlow", "DescribeContactFlow", "ListContactFlows",
	"UpdateContactFlowContent", "UpdateContactFlowMetadata", "UpdateContactFlowName",
	"SearchContactFlows", "CreateContactFlowVersion", "ListContactFlowVersions",
	"CreateContactFlowModule", "DeleteContactFlowModule", "DescribeContactFlowModule",
	"ListContactFlowModules", "UpdateContactFlowModuleContent", "UpdateContactFlowModuleMetadata",
	"SearchContactFlowModules",
	// prompts, phone numbers, task templates
	"CreatePrompt", "DescribePrompt", "ListPrompts", "DeletePrompt", "UpdatePrompt",
	"ClaimPhoneNumber", "ReleasePhoneNumber", "ListPhoneNumbersV2", "DescribePhoneNumber",
	"AssociatePhoneNumberContactFlow", "DisassociatePhoneNumberContactFlow",
	"CreateTaskTemplate", "GetTaskTemplate", "ListTaskTemplates", "UpdateTaskTemplate", "DeleteTaskTemplate",
	// contacts
	"StartChatContact", "StartTaskContact", "StartOutboundVoiceContact", "StopContact",
	"DescribeContact", "UpdateContactAttributes", "GetContactAttributes", "SearchContacts",
	"UpdateContact", "TransferContact", "ListContactReferences", "MonitorContact",
	"SuspendContactRecording", "ResumeContactRecording", "StartContactRecording", "StopContactRecording",
	"TagContact", "UntagContact",
	// metrics
	"GetMetricData", "GetMetricDataV2", "GetCurrentMetricData", "GetCurrentUserData",
	// tags
	"TagResource", "UntagResource", "ListTagsForResource",
}

func TestEveryImplementedOperationHasPermissions(t *testing.T) {
	for _, op := range implementedOperations {
		perms, ok := RequiredPermissions(op)
		if !ok {
			t.Errorf("%s has no row in operationPermissions (operations.go)", op)
			continue
		}
		if len(perms) == 0 {
			t.Errorf("%s requires no permission: every action needs at least one", op)
		}
	}
}

// Every operation name in the table is a real Connect operation (a method of the SDK client),
// a page action or a Ringfence API operation, and every permission is in the catalogue or is PermissionOperator.
func TestOperationTableNamesAreReal(t *testing.T) {
	client := reflect.TypeOf(&connect.Client{})
	for op, perms := range OperationPermissions() {
		if !strings.HasPrefix(op, "page:") && !strings.HasPrefix(op, "ringfence:") {
			if _, ok := client.MethodByName(op); !ok {
				t.Errorf("%s is not a Connect API operation", op)
			}
		}
		if len(perms) == 0 {
			t.Errorf("%s requires no permission", op)
		}
		for _, p := range perms {
			if p == PermissionOperator {
				if len(perms) != 1 {
					t.Errorf("%s mixes PermissionOperator with permissions", op)
				}
				continue
			}
			info, ok := LookupPermission(p)
			if !ok {
				t.Errorf("%s requires unknown permission %s", op, p)
			} else if info.Name != p {
				t.Errorf("%s requires %s in an old spelling; use %s", op, p, info.Name)
			}
		}
	}
	for op, blockers := range operationBlockers {
		if _, ok := operationPermissions[op]; !ok {
			t.Errorf("blocker row for unknown action %s", op)
		}
		for _, b := range blockers {
			if info, ok := LookupPermission(b); !ok || !info.Restrictive {
				t.Errorf("%s is blocked by %s, which is not a restrictive permission", op, b)
			}
		}
	}
}

func TestSensitiveReadsNeedTheirOwnPermission(t *testing.T) {
	record, _ := RequiredPermissions(ActionViewContactDetails)
	for _, action := range []string{
		ActionListenRecording, ActionDownloadRecording, ActionViewRedactedTranscript,
		ActionViewUnredactedTranscript, ActionRevealDecryptedField, ActionExportContacts,
	} {
		t.Run(action, func(t *testing.T) {
			perms, ok := RequiredPermissions(action)
			if !ok {
				t.Fatal("no row")
			}
			extra := slices.DeleteFunc(slices.Clone(perms), func(p string) bool { return slices.Contains(record, p) })
			if len(extra) == 0 {
				t.Fatalf("%s needs only what viewing the record needs: %v", action, perms)
			}
			if !IsSensitivePermissionSet(extra) {
				t.Errorf("%s's own permissions %v are not marked sensitive", action, extra)
			}
		})
	}
}

func TestRequiredPermissionsReturnsCopy(t *testing.T) {
	p, _ := RequiredPermissions("CreateUser")
	p[0] = "changed"
	if q, _ := RequiredPermissions("CreateUser"); q[0] != "Users.Create" {
		t.Errorf("got %q after caller's change, want Users.Create", q[0])
	}
	all := OperationPermissions()
	all["CreateUser"][0] = "changed"
	delete(all, "ListUsers")
	if _, ok := RequiredPermissions("ListUsers"); !ok {
		t.Error("OperationPermissions shares the table")
	}
}

func profile(id string, allow []string, deny ...string) SecurityProfile {
	return SecurityProfile{ID: id, InstanceID: "inst-a", Name: id, Permissions: allow, DenyPermissions: deny}
}

func TestAuthorize(t *testing.T) {
	defaults := DefaultSecurityProfiles()
	adminP := profile("admin", defaults[0].Permissions)
	agentP := profile("agent", defaults[1].Permissions)
	qaP := profile("qa", defaults[3].Permissions)
	user := func(ps ...SecurityProfile) Caller {
		return Caller{Kind: PrincipalUser, InstanceID: "inst-a", UserID: "u1", Profiles: ps}
	}
	tests := []struct {
		name       string
		caller     Caller
		action     string
		instance   string
		wantCode   apierr.Code // "" means allowed
		wantReason string
		wantPerms  []string
	}{
		{"operator anything", Caller{Kind: PrincipalOperator}, "DeleteInstance", "inst-b", "", "operator", nil},
		{"operator unknown action", Caller{Kind: PrincipalOperator}, "Frobnicate", "", "", "operator", nil},
		{"empty kind", Caller{InstanceID: "inst-a"}, "ListQueues", "inst-a", apierr.CodeAccessDenied, "not a user", nil},
		{"user without instance", Caller{Kind: PrincipalUser}, "ListQueues", "inst-a", apierr.CodeAccessDenied, "not a user", nil},
		{"admin creates user", user(adminP), "CreateUser", "inst-a", "", "allowed", nil},
		{"admin cannot create instance", user(adminP), "CreateInstance", "", apierr.CodeAccessDenied, "operator only", []string{PermissionOperator}},
		{"admin cannot list security keys", user(adminP), "ListSecurityKeys", "inst-a", apierr.CodeAccessDenied, "operator only", []string{PermissionOperator}},
		{"user other instance", user(adminP), "ListQueues", "inst-b", apierr.CodeResourceNotFound, "other instance", nil},
		{"unknown action", user(adminP), "Frobnicate", "inst-a", apierr.CodeAccessDenied, "unknown action", nil},
		{"user action without instance", user(adminP), "ListQueues", "", apierr.CodeAccessDenied, "operator only", nil},
		{"agent cannot create user", user(agentP), "CreateUser", "inst-a", apierr.CodeAccessDenied, "missing permission", []string{"Users.Create"}},
		{"agent cannot update security profile", user(agentP), "UpdateSecurityProfile", "inst-a", apierr.CodeAccessDenied, "missing permission", []string{"SecurityProfiles.Edit"}},
		{"agent starts task", user(agentP), "StartTaskContact", "inst-a", "", "allowed", nil},
		{"agent workspace", user(agentP), ActionAgentWorkspace, "inst-a", "", "allowed", nil},
		{"agent cannot search contacts", user(agentP), "SearchContacts", "inst-a", apierr.CodeAccessDenied, "missing permission", []string{"ContactSearch.View"}},
		{"qa views contact", user(qaP), ActionViewContactDetails, "inst-a", "", "allowed", nil},
		{"qa cannot listen", user(qaP), ActionListenRecording, "inst-a", apierr.CodeAccessDenied, "missing permission", []string{"ListenCallRecordings"}},
		{"admin cannot reveal decrypted field by default", user(adminP), ActionRevealDecryptedField, "inst-a", apierr.CodeAccessDenied, "missing permission", []string{PermissionViewDecryptedFields}},
		{"union of profiles", user(qaP, profile("l", []string{"ListenCallRecordings"})), ActionListenRecording, "inst-a", "", "allowed", nil},
		{"deny wins over allow in another profile", user(adminP, profile("d", nil, "Users.Create")), "CreateUser", "inst-a", apierr.CodeAccessDenied, "denied by profile", []string{"Users.Create"}},
		{"deny wins in the same profile", user(profile("s", []string{"Users.Create"}, "Users.Create")), "CreateUser", "inst-a", apierr.CodeAccessDenied, "denied by profile", []string{"Users.Create"}},
		{"deny in old spelling", user(profile("m", []string{"AccessMetrics", "AccessMetrics.RealTimeMetrics.Access"}, "RealTimeMetrics.Access")), ActionRealTimeMetrics, "inst-a", apierr.CodeAccessDenied, "denied by profile", []string{"AccessMetrics.RealTimeMetrics.Access"}},
		{"allow in old spelling", user(profile("m", []string{"AccessMetrics", "RealTimeMetrics.Access"})), ActionRealTimeMetrics, "inst-a", "", "allowed", nil},
		{"restrictive permission blocks tasks", user(agentP, profile("r", []string{"RestrictTaskCreation.Access"})), "StartTaskContact", "inst-a", apierr.CodeAccessDenied, "blocked by restrictive permission", []string{"RestrictTaskCreation.Access"}},
		{"restrictive permission leaves calls", user(agentP, profile("r", []string{"RestrictTaskCreation.Access"})), "StartOutboundVoiceContact", "inst-a", "", "allowed", nil},
		{"profile of another instance ignored", user(SecurityProfile{ID: "x", InstanceID: "inst-b", Permissions: []string{"Users.Create"}}), "CreateUser", "inst-a", apierr.CodeAccessDenied, "missing permission", []string{"Users.Create"}},
		{"unknown permission in profile grants nothing", user(profile("u", []string{"users.create"})), "CreateUser", "inst-a", apierr.CodeAccessDenied, "missing permission", []string{"Users.Create"}},
		{"no profiles", user(), "ListQueues", "inst-a", apierr.CodeAccessDenied, "missing permission", []string{"Queues.View"}},
		{"all of several needed", user(profile("p", []string{"ContactSearch.View"})), ActionDownloadRecording, "inst-a", apierr.CodeAccessDenied, "missing permission", []string{"DownloadCallRecordings"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Evaluate(tt.caller, tt.action, tt.instance)
			if d.Reason != tt.wantReason {
				t.Errorf("reason = %q, want %q", d.Reason, tt.wantReason)
			}
			if diff := cmp.Diff(tt.wantPerms, d.Permissions); diff != "" {
				t.Errorf("permissions (-want +got):\n%s", diff)
			}
			err := Authorize(tt.caller, tt.action, tt.instance)
			if tt.wantCode == "" {
				if err != nil || !d.Allowed {
					t.Fatalf("got %v (allowed %v), want allowed", err, d.Allowed)
				}
				return
			}
			if d.Allowed {
				t.Fatal("Decision.Allowed is true for a refusal")
			}
			e := apierr.As(err)
			if e == nil || e.Code != tt.wantCode {
				t.Fatalf("got %v, want %s", err, tt.wantCode)
			}
			if tt.wantCode == apierr.CodeAccessDenied && e.Message != DeniedMessage {
				t.Errorf("message = %q, want %q", e.Message, DeniedMessage)
			}
		})
	}
}

// An Agent-profile user is refused every administrative operation (SECURITY.md bad input 4).
func TestAgentRefusedEveryAdminOperation(t *testing.T) {
	agent := Caller{Kind: PrincipalUser, InstanceID: "inst-a", Profiles: []SecurityProfile{profile("agent", DefaultSecurityProfiles()[1].Permissions)}}
	checked := 0
	for op, perms := range OperationPermissions() {
		if !IsAdminPermissionSet(perms) && !slices.Contains(perms, PermissionOperator) {
			continue
		}
		checked++
		if !apierr.HasCode(Authorize(agent, op, "inst-a"), apierr.CodeAccessDenied) {
			t.Errorf("agent allowed administrative %s", op)
		}
	}
	if checked < 100 {
		t.Errorf("checked %d administrative operations, want at least 100", checked)
	}
}

func TestEffectivePermissions(t *testing.T) {
	got := EffectivePermissions([]SecurityProfile{
		profile("a", []string{"Users.View", "RealTimeMetrics.Access", "Bogus"}),
		profile("b", []string{"Queues.View", "Users.Create"}, "Users.Create"),
	})
	want := []string{"AccessMetrics.RealTimeMetrics.Access", "Queues.View", "Users.View"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("EffectivePermissions (-want +got):\n%s", diff)
	}
}

func BenchmarkAuthorizeAdmin(b *testing.B) {
	c := Caller{Kind: PrincipalUser, InstanceID: "inst-a", Profiles: []SecurityProfile{profile("admin", DefaultSecurityProfiles()[0].Permissions)}}
	for b.Loop() {
		if err := Authorize(c, "CreateUser", "inst-a"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAuthorizeAgent(b *testing.B) {
	c := Caller{Kind: PrincipalUser, InstanceID: "inst-a", Profiles: []SecurityProfile{profile("agent", DefaultSecurityProfiles()[1].Permissions)}}
	for b.Loop() {
		if err := Authorize(c, "StartTaskContact", "inst-a"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestEvaluateOnSelf(t *testing.T) {
	agent := SecurityProfile{InstanceID: "inst-a", Name: "Agent", Permissions: []string{"BasicAgentAccess"}}
	denyView := SecurityProfile{InstanceID: "inst-a", Name: "NoUsers", DenyPermissions: []string{"Users.View"}}
	me := Caller{Kind: PrincipalUser, InstanceID: "inst-a", UserID: "u-me", Profiles: []SecurityProfile{agent}}
	tests := []struct {
		name       string
		c          Caller
		action     string
		inst       string
		target     string
		wantReason string
		wantCode   apierr.Code
	}{
		{"describes itself", me, "DescribeUser", "inst-a", "u-me", "self", ""},
		{"describes another user", me, "DescribeUser", "inst-a", "u-other", "missing permission", apierr.CodeAccessDenied},
		{"no target", me, "DescribeUser", "inst-a", "", "missing permission", apierr.CodeAccessDenied},
		{"not a self action", me, "UpdateUserIdentityInfo", "inst-a", "u-me", "missing permission", apierr.CodeAccessDenied},
		{"its ID in another instance", me, "DescribeUser", "inst-b", "u-me", "other instance", apierr.CodeResourceNotFound},
		{"a deny rule still wins", Caller{Kind: PrincipalUser, InstanceID: "inst-a", UserID: "u-me", Profiles: []SecurityProfile{agent, denyView}},
			"DescribeUser", "inst-a", "u-me", "denied by profile", apierr.CodeAccessDenied},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := EvaluateOn(tc.c, tc.action, tc.inst, tc.target)
			if d.Reason != tc.wantReason || d.Allowed != (tc.wantCode == "") {
				t.Errorf("EvaluateOn = %+v, want reason %q", d, tc.wantReason)
			}
			if tc.wantCode != "" && !apierr.HasCode(d.Err, tc.wantCode) {
				t.Errorf("error = %v, want %s", d.Err, tc.wantCode)
			}
		})
	}
}
