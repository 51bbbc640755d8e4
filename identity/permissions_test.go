package identity

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ringfence/ringfence/apierr"
)

func TestCatalogueHasNoDuplicates(t *testing.T) {
	total := 0
	for _, grp := range permissionGroups() {
		total += len(grp.actions)
	}
	if got, want := len(permissionCatalogue), total; got != want {
		t.Errorf("catalogue has %d names, groups list %d: a name is listed twice", got, want)
	}
}

func TestLookupPermission(t *testing.T) {
	tests := []struct {
		name      string
		wantName  string
		wantOK    bool
		admin     bool
		sensitive bool
	}{
		{"Users.Create", "Users.Create", true, true, false},
		{"Users.View", "Users.View", true, false, false},
		{"BasicAgentAccess", "BasicAgentAccess", true, false, false},
		{"ListenCallRecordings", "ListenCallRecordings", true, false, true},
		{"ContactSearch.View", "ContactSearch.View", true, false, true},
		{"UnredactedData.View", "UnredactedData.View", true, false, true},
		{"DeleteCallRecordings", "DeleteCallRecordings", true, true, true},
		{"RealTimeMetrics.Access", "AccessMetrics.RealTimeMetrics.Access", true, false, false},
		{"HistoricalMetrics.Access", "AccessMetrics.HistoricalMetrics.Access", true, false, false},
		{"AgentActivityAudit.Access", "AccessMetrics.AgentActivityAudit.Access", true, false, false},
		{"AccessMetrics.RealTimeMetrics.Access", "AccessMetrics.RealTimeMetrics.Access", true, false, false},
		{PermissionViewDecryptedFields, PermissionViewDecryptedFields, true, false, true},
		{"users.create", "", false, false, false},
		{"Users.Fly", "", false, false, false},
		{PermissionOperator, "", false, false, false},
		{"", "", false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := LookupPermission(tt.name)
			if ok != tt.wantOK || got.Name != tt.wantName {
				t.Fatalf("LookupPermission(%q) = %q, %v; want %q, %v", tt.name, got.Name, ok, tt.wantName, tt.wantOK)
			}
			if got.Admin != tt.admin || got.Sensitive != tt.sensitive {
				t.Errorf("flags admin=%v sensitive=%v; want admin=%v sensitive=%v", got.Admin, got.Sensitive, tt.admin, tt.sensitive)
			}
		})
	}
}

// The 290 names of the default Admin profile of a 2025 instance (reference A25) must all be
// known: a sample of the awkward ones.
func TestCatalogueKnowsReferenceNames(t *testing.T) {
	names := []string{
		"AutomatedVoiceInteraction.Recordings.Unredacted.DownloadButton",
		"ContentManagement.MessageTemplates.Delete", "CustomerProfiles.Segments.Export",
		"DataTables.EditExpressionValues", "FileAttachments.Configurations.View",
		"ManualAssignAnyContact.Enable", "QConnectGuardrails.Delete", "ReportsAdmin.Schedule",
		"VoiceIdAttributesAndSearch.View", "Workspaces.EditVisibility", "TimeOffBalance.Edit",
		"ContactRecording.Access", "RestrictContactAccessByHierarchy.View", "ThemeDetection.Create",
		"CustomerProfiles.PredictiveInsights.View", "RestrictTaskCreation.Access",
	}
	if err := ValidatePermissions(names); err != nil {
		t.Errorf("ValidatePermissions: %v", err)
	}
}

func TestValidatePermissions(t *testing.T) {
	many := make([]string, 12)
	for i := range many {
		many[i] = "Bad" + string(rune('A'+i))
	}
	tests := []struct {
		name    string
		perms   []string
		wantMsg string
	}{
		{"empty", nil, ""},
		{"known", []string{"Users.View", "RealTimeMetrics.Access"}, ""},
		{"one unknown", []string{"Users.View", "Users.Fly"}, `unknown security profile permissions: "Users.Fly"`},
		{"duplicates listed once", []string{"x", "Users.View", "x", "y"}, `unknown security profile permissions: "x", "y"`},
		{"operator sentinel", []string{PermissionOperator}, `unknown security profile permissions: "Ringfence.Operator"`},
		{"capped", many, `unknown security profile permissions: "BadA", "BadB", "BadC", "BadD", "BadE", "BadF", "BadG", "BadH", "BadI", "BadJ", and 2 more`},
		{"long name cut", []string{strings.Repeat("a", 100)}, `unknown security profile permissions: "` + strings.Repeat("a", 64) + `"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidatePermissions(tt.perms)
			if tt.wantMsg == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			e := apierr.As(err)
			if e == nil || e.Code != apierr.CodeInvalidParameter {
				t.Fatalf("got %v, want InvalidParameterException", err)
			}
			if e.Message != tt.wantMsg {
				t.Errorf("message:\n got %s\nwant %s", e.Message, tt.wantMsg)
			}
		})
	}
}

func TestCanonicalPermissions(t *testing.T) {
	got, err := CanonicalPermissions([]string{"Users.View", "RealTimeMetrics.Access", "AccessMetrics.RealTimeMetrics.Access", "AccessMetrics"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"AccessMetrics", "AccessMetrics.RealTimeMetrics.Access", "Users.View"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CanonicalPermissions (-want +got):\n%s", diff)
	}
	if _, err := CanonicalPermissions([]string{"Nope"}); !apierr.HasCode(err, apierr.CodeInvalidParameter) {
		t.Errorf("got %v, want InvalidParameterException", err)
	}
}

func TestPermissionSetClasses(t *testing.T) {
	tests := []struct {
		perms           []string
		admin, sensitve bool
	}{
		{[]string{"BasicAgentAccess", "OutboundCallAccess"}, false, false},
		{[]string{"AccessMetrics", "ContactSearch.View"}, false, true},
		{[]string{"Users.Create"}, true, false},
		{[]string{"Unknown.Thing"}, false, false},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.perms, ","), func(t *testing.T) {
			if got := IsAdminPermissionSet(tt.perms); got != tt.admin {
				t.Errorf("IsAdminPermissionSet = %v, want %v", got, tt.admin)
			}
			if got := IsSensitivePermissionSet(tt.perms); got != tt.sensitve {
				t.Errorf("IsSensitivePermissionSet = %v, want %v", got, tt.sensitve)
			}
		})
	}
}

func TestPermissionsSortedCopy(t *testing.T) {
	a := Permissions()
	if !slices.IsSortedFunc(a, func(x, y PermissionInfo) int { return strings.Compare(x.Name, y.Name) }) {
		t.Error("Permissions() is not sorted by name")
	}
	a[0].Name = "changed"
	if b := Permissions(); b[0].Name == "changed" {
		t.Error("Permissions() shares its backing array")
	}
	for _, p := range a[1:] {
		if p.Category == "" {
			t.Errorf("%s has no category", p.Name)
		}
	}
}

func TestDefaultSecurityProfiles(t *testing.T) {
	profiles := DefaultSecurityProfiles()
	var names []string
	for _, p := range profiles {
		names = append(names, p.Name)
		if err := ValidatePermissions(p.Permissions); err != nil {
			t.Errorf("%s: %v", p.Name, err)
		}
		if canon, _ := CanonicalPermissions(p.Permissions); !slices.Equal(canon, p.Permissions) {
			t.Errorf("%s: permissions are not canonical and sorted", p.Name)
		}
	}
	if diff := cmp.Diff([]string{"Admin", "Agent", "CallCenterManager", "QualityAnalyst"}, names); diff != "" {
		t.Fatalf("profile names (-want +got):\n%s", diff)
	}
	admin, agent, ccm, qa := profiles[0], profiles[1], profiles[2], profiles[3]

	t.Run("admin holds every Connect permission but restrictive and sensitive extensions", func(t *testing.T) {
		for _, p := range Permissions() {
			held := slices.Contains(admin.Permissions, p.Name)
			want := !p.Restrictive && !(p.Category == CategoryRingfence && p.Sensitive)
			if held != want {
				t.Errorf("Admin holds %s = %v, want %v", p.Name, held, want)
			}
		}
		if len(admin.Permissions) < 290 {
			t.Errorf("Admin has %d permissions, want at least the reference's 290", len(admin.Permissions))
		}
	})
	t.Run("agent", func(t *testing.T) {
		if diff := cmp.Diff([]string{"BasicAgentAccess", "OutboundCallAccess"}, agent.Permissions); diff != "" {
			t.Errorf("Agent (-want +got):\n%s", diff)
		}
		if IsSensitivePermissionSet(agent.Permissions) || IsAdminPermissionSet(agent.Permissions) {
			t.Error("Agent profile is admin or sensitive")
		}
		if !strings.Contains(agent.Description, "sales.  Their") {
			t.Error("Agent description lost Connect's two spaces")
		}
	})
	t.Run("manager and analyst", func(t *testing.T) {
		if got := len(ccm.Permissions); got != 64 {
			t.Errorf("CallCenterManager has %d permissions, want 64", got)
		}
		if diff := cmp.Diff([]string{"AccessMetrics", "AgentTimeCard.View", "ContactAttributes.View", "ContactSearch.View"}, qa.Permissions); diff != "" {
			t.Errorf("QualityAnalyst (-want +got):\n%s", diff)
		}
	})
	t.Run("fresh copies", func(t *testing.T) {
		profiles[1].Permissions[0] = "changed"
		if DefaultSecurityProfiles()[1].Permissions[0] != "BasicAgentAccess" {
			t.Error("DefaultSecurityProfiles shares slices between calls")
		}
	})
}

// referenceAdminPermissions reads the default Admin profile's permission list (a JSON array
// after the "### Admin" heading) from the project's reference notes.
func referenceAdminPermissions(t *testing.T) []string {
	t.Helper()
	path := filepath.Join("..", "..", "shared", "reference", "SECURITY_PROFILE_PERMISSIONS.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("reference notes not present at %s: %v", path, err)
	}
	_, rest, ok := strings.Cut(string(b), "### Admin")
	if !ok {
		t.Fatal("reference notes have no \"### Admin\" section")
	}
	_, rest, _ = strings.Cut(rest, "```json")
	block, _, _ := strings.Cut(rest, "```")
	var names []string
	if err := json.Unmarshal([]byte(block), &names); err != nil {
		t.Fatalf("parse Admin list: %v", err)
	}
	return names
}

func TestCatalogueCoversReferenceAdminProfile(t *testing.T) {
	names := referenceAdminPermissions(t)
	if len(names) != 290 {
		t.Errorf("reference Admin list has %d names, want 290", len(names))
	}
	if err := ValidatePermissions(names); err != nil {
		t.Errorf("catalogue misses reference names: %v", err)
	}
	admin := DefaultSecurityProfiles()[0].Permissions
	for _, n := range names {
		if !slices.Contains(admin, n) {
			t.Errorf("default Admin lacks %s", n)
		}
	}
}

func TestPermissionAliases(t *testing.T) {
	targets := map[string]bool{}
	for old, canon := range permissionAliases {
		if _, ok := permissionCatalogue[old]; ok {
			t.Errorf("old spelling %s is also a catalogue name", old)
		}
		if _, ok := permissionCatalogue[canon]; !ok {
			t.Errorf("alias %s points to unknown %s", old, canon)
		}
		if targets[canon] {
			t.Errorf("%s has two old spellings; holds() assumes one", canon)
		}
		targets[canon] = true
	}
}

// Every permission's category is one PermissionCategories lists, and each is listed once.
func TestPermissionCategoriesCoverCatalogue(t *testing.T) {
	cats := map[string]bool{}
	for _, c := range PermissionCategories() {
		if cats[c] {
			t.Errorf("category %q listed twice", c)
		}
		cats[c] = true
	}
	used := map[string]bool{}
	for _, p := range Permissions() {
		if !cats[p.Category] {
			t.Errorf("%s is in category %q, which PermissionCategories does not list", p.Name, p.Category)
		}
		used[p.Category] = true
	}
	for c := range cats {
		if !used[c] {
			t.Errorf("category %q holds no permission", c)
		}
	}
}
