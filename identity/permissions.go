package identity

import (
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/ringfence/ringfence/apierr"
)

// Permission categories, named after the sections of Connect's "List of security profile
// permissions" page (Amazon Connect Administrator Guide, security-profile-list).
const (
	CategoryRouting          = "Routing"
	CategoryChannelsFlows    = "Channels and flows"
	CategoryUsers            = "Users and permissions"
	CategoryAgentApplication = "Contact Control Panel and agent application"
	CategoryAnalytics        = "Analytics and optimization"
	CategoryCustomerProfiles = "Customer Profiles"
	CategoryScheduling       = "Scheduling"
	CategoryCases            = "Cases"
	CategoryCampaigns        = "Outbound campaigns"
	CategoryContent          = "Amazon Q in Connect and content"
	// CategoryRingfence holds Ringfence's own permissions; their names start with "Ringfence.".
	CategoryRingfence = "Ringfence"
)

// PermissionCategories returns the Category* constants in the order Connect's permission
// list presents its sections, Ringfence's own last (a fresh slice each call). Admin pages
// group a security profile's permissions by them.
func PermissionCategories() []string {
	return []string{CategoryRouting, CategoryChannelsFlows, CategoryUsers, CategoryAgentApplication,
		CategoryAnalytics, CategoryCustomerProfiles, CategoryScheduling, CategoryCases, CategoryCampaigns,
		CategoryContent, CategoryRingfence}
}

// PermissionInfo describes one security-profile permission: a case-sensitive Connect API
// permission name as CreateSecurityProfile and ListSecurityProfilePermissions carry it
// (Amazon Connect API Reference), or a Ringfence extension named "Ringfence.*".
//
// The flags are Ringfence's classification, used to decide who needs MFA and a short idle
// timeout (SECURITY.md "Access"):
//   - Admin: the permission changes configuration that governs other users or every contact
//     (users, security profiles, flows, routing, numbers, rules, ...). Creating, editing and
//     deleting configuration is administrative; viewing it is not.
//   - Sensitive: the permission reaches stored customer data beyond the contact the user is
//     handling right now: recordings and transcripts (redacted or not), unredacted data,
//     contact search and contact details (customer endpoints, attributes), customer profiles,
//     cases, Voice ID results, live monitoring of other agents' contacts, exports and
//     Ringfence's decrypted fields. BasicAgentAccess alone is not sensitive: an agent sees
//     only the contact offered to them.
//   - Restrictive: granting the permission takes something away (Connect's
//     RestrictTaskCreation.Access and RestrictContactAccessByHierarchy.View). The authorizer
//     treats it as a deny for the operations it blocks; Admin does not hold it by default.
type PermissionInfo struct {
	// Name is the canonical spelling.
	Name string
	// Category is one of the Category* constants.
	Category    string
	Admin       bool
	Sensitive   bool
	Restrictive bool
}

// Sensitive Ringfence extension permissions. No default profile holds them: an administrator
// grants them explicitly, and every use is audited. (PermissionManageContacts, the third
// extension, is declared with the operation table.)
const (
	// PermissionViewDecryptedFields lets a user reveal a field that Ringfence stores sealed
	// (keyring envelope) in clear, separate from viewing the record that holds it.
	PermissionViewDecryptedFields = "Ringfence.DecryptedFields.View"
	// PermissionExportContactData lets a user export contact records and transcripts in bulk.
	PermissionExportContactData = "Ringfence.ContactData.Export"
)

// PermissionOperator is the requirement of operations that only an operator may call (in
// Connect, IAM-level operations with no security-profile permission, such as CreateInstance
// or AssociateSecurityKey). It is not a permission: no security profile can hold it and
// ValidatePermissions rejects it, so a user principal can never satisfy it.
const PermissionOperator = "Ringfence.Operator"

// permission flags used by the catalogue builders below.
type permFlags uint8

const (
	fAdmin permFlags = 1 << iota
	fSensitive
	fRestrictive
)

// permGroup lists permissions "Resource.Action" of one resource that share flags; an
// empty resource means the actions are whole names.
type permGroup struct {
	category string
	resource string
	actions  []string
	flags    permFlags
}

// Read-only tables: built from literals, never modified after package initialisation.
var (
	permissionCatalogue = buildCatalogue(permissionGroups())
	// permissionAliases maps older spellings to the canonical names (D23 names renamed under
	// AccessMetrics, as the default Admin profile of a 2025 instance lists them).
	permissionAliases = map[string]string{
		"RealTimeMetrics.Access":    "AccessMetrics.RealTimeMetrics.Access",
		"HistoricalMetrics.Access":  "AccessMetrics.HistoricalMetrics.Access",
		"AgentActivityAudit.Access": "AccessMetrics.AgentActivityAudit.Access",
	}
)

func g(category, resource string, flags permFlags, actions ...string) permGroup {
	return permGroup{category: category, resource: resource, actions: actions, flags: flags}
}

// permissionGroups is the catalogue, after reference/SECURITY_PROFILE_PERMISSIONS.md (the
// Administrator Guide list of June 2023 and the default Admin profile of a 2025 instance).
func permissionGroups() []permGroup {
	const (
		cud  = "Create"
		edit = "Edit"
		del  = "Delete"
		view = "View"
	)
	return []permGroup{
		// 1. Routing.
		g(CategoryRouting, "RoutingPolicies", fAdmin, cud, edit, del),
		g(CategoryRouting, "RoutingPolicies", 0, view),
		g(CategoryRouting, "TransferDestinations", fAdmin, cud, edit, del),
		g(CategoryRouting, "TransferDestinations", 0, view),
		g(CategoryRouting, "HoursOfOperation", fAdmin, cud, edit, del),
		g(CategoryRouting, "HoursOfOperation", 0, view),
		g(CategoryRouting, "Queues", fAdmin, cud, edit, del, "EnableAndDisable", "Purge", "EditExpressions"),
		g(CategoryRouting, "Queues", 0, view),
		g(CategoryRouting, "TaskTemplates", fAdmin, cud, edit, del),
		g(CategoryRouting, "TaskTemplates", 0, view),
		g(CategoryRouting, "PredefinedAttributes", fAdmin, cud, edit, del),
		g(CategoryRouting, "PredefinedAttributes", 0, view),
		g(CategoryRouting, "DataTables", fAdmin, cud, edit, del, "ManageValues", "EditExpressionValues"),
		g(CategoryRouting, "DataTables", 0, view),

		// 2. Channels and flows.
		g(CategoryChannelsFlows, "Prompts", fAdmin, cud, edit, del),
		g(CategoryChannelsFlows, "Prompts", 0, view),
		g(CategoryChannelsFlows, "ContactFlows", fAdmin, cud, edit, del, "Publish"),
		g(CategoryChannelsFlows, "ContactFlows", 0, view),
		g(CategoryChannelsFlows, "ContactFlowModules", fAdmin, cud, edit, del, "Publish"),
		g(CategoryChannelsFlows, "ContactFlowModules", 0, view, "Execute"),
		g(CategoryChannelsFlows, "PhoneNumbers", fAdmin, "Claim", edit, "Release"),
		g(CategoryChannelsFlows, "PhoneNumbers", 0, view),
		g(CategoryChannelsFlows, "", 0, "ChatTestMode"),
		g(CategoryChannelsFlows, "Views", fAdmin, cud, edit, "Remove"),
		g(CategoryChannelsFlows, "Views", 0, view),
		g(CategoryChannelsFlows, "Bots", fAdmin, cud, edit),
		g(CategoryChannelsFlows, "Bots", 0, view),
		g(CategoryChannelsFlows, "EmailAddresses", fAdmin, cud, edit, "Remove"),
		g(CategoryChannelsFlows, "EmailAddresses", 0, view),
		g(CategoryChannelsFlows, "FileAttachments.Configurations", fAdmin, edit),
		g(CategoryChannelsFlows, "FileAttachments.Configurations", 0, view),
		g(CategoryChannelsFlows, "TestCases", fAdmin, cud, edit, del, "Publish"),
		g(CategoryChannelsFlows, "TestCases", 0, view, "Execute"),

		// 3. Users and permissions.
		g(CategoryUsers, "Users", fAdmin, cud, edit, del, "EditPermission", "EnableAndDisable"),
		g(CategoryUsers, "Users", 0, view),
		g(CategoryUsers, "AgentGrouping", fAdmin, cud, edit, "EnableAndDisable"),
		g(CategoryUsers, "AgentGrouping", 0, view),
		g(CategoryUsers, "SecurityProfiles", fAdmin, cud, edit, del),
		g(CategoryUsers, "SecurityProfiles", 0, view),
		g(CategoryUsers, "AgentStates", fAdmin, cud, edit, "EnableAndDisable"),
		g(CategoryUsers, "AgentStates", 0, view),
		g(CategoryUsers, "HistoricalChanges", 0, view),
		g(CategoryUsers, "Workspaces", fAdmin, "Assign", cud, del, edit, "EditVisibility"),
		g(CategoryUsers, "Workspaces", 0, view),

		// 4. Contact Control Panel and agent application.
		g(CategoryAgentApplication, "", 0, "BasicAgentAccess", "OutboundCallAccess"),
		g(CategoryAgentApplication, "", 0,
			"RealtimeContactLens.View", "VoiceId.Access", "VoiceIdUpdateSpeakerId.Access",
			"AudioDeviceSettings.Access", "VideoContact.Access", "Cobrowse.Access",
			"OutboundEmail.Create", "StopContact.Enabled", "TransferContact.Enabled",
			"UpdateContactSchedule.Enabled", "SelfAssignContacts.Access",
			"ManualAssignMyContacts.Enable", "CustomViews.Access", "Wisdom.View",
			"StaffCalendar.View", "StaffCalendar.Edit"),
		g(CategoryAgentApplication, "", fAdmin, "ManualAssignAnyContact.Enable"),
		g(CategoryAgentApplication, "", fRestrictive, "RestrictTaskCreation.Access"),

		// 5. Analytics and optimization.
		g(CategoryAnalytics, "", 0, "AccessMetrics"),
		g(CategoryAnalytics, "AccessMetrics", 0,
			"RealTimeMetrics.Access", "HistoricalMetrics.Access", "AgentActivityAudit.Access",
			"Dashboards.Access", "DashboardsWithMyData.View"),
		g(CategoryAnalytics, "", 0, "Analytics.PerformanceMetrics.Access", "AgentTimeCard.View", "GraphTrends.View"),
		// Contact search and details show customer endpoints, attributes and summaries.
		g(CategoryAnalytics, "", fSensitive,
			"ContactSearch.View", "MyContacts.View",
			"ContactSearchWithCharacteristics.Access", "ContactSearchWithCharacteristics.View",
			"ContactSearchWithKeywords.Access", "ContactSearchWithKeywords.View",
			"ContactSearchSampleContacts.View", "ContactAttributes.View",
			"ContactLensPostContactSummary.View", "VoiceIdAttributesAndSearch.View"),
		g(CategoryAnalytics, "ContactSearchQuickViewWidget", 0, cud, del, edit, view),
		g(CategoryAnalytics, "", fAdmin, "ConfigureContactAttributes.View"),
		g(CategoryAnalytics, "", fRestrictive, "RestrictContactAccessByHierarchy.View"),
		g(CategoryAnalytics, "ContactLensCustomVocabulary", fAdmin, edit),
		g(CategoryAnalytics, "ContactLensCustomVocabulary", 0, view),
		g(CategoryAnalytics, "Rules", fAdmin, cud, del, edit),
		g(CategoryAnalytics, "Rules", 0, view),
		g(CategoryAnalytics, "RulesGenerativeAI", fAdmin, cud, del, edit),
		g(CategoryAnalytics, "RulesGenerativeAI", 0, view),
		g(CategoryAnalytics, "ThemeDetection", fAdmin, cud, del),
		g(CategoryAnalytics, "ThemeDetection", 0, view),
		// Recordings and transcripts, redacted or not, are customer content.
		g(CategoryAnalytics, "", fSensitive,
			"RedactedData.View", "UnredactedData.View",
			"ListenCallRecordings", "DownloadCallRecordings", "ContactRecording.Access",
			"CallRecordings.Redacted.Access", "CallRecordings.Redacted.DownloadButton",
			"CallRecordings.Unredacted.Access", "CallRecordings.Unredacted.DownloadButton",
			"ContactTranscripts.Redacted.Access", "ContactTranscripts.Unredacted.Access",
			"ContactTranscripts.Unredacted.DownloadButton",
			"AutomatedVoiceInteraction.Recordings.Redacted.Access",
			"AutomatedVoiceInteraction.Recordings.Redacted.DownloadButton",
			"AutomatedVoiceInteraction.Recordings.Unredacted.Access",
			"AutomatedVoiceInteraction.Recordings.Unredacted.DownloadButton",
			"AutomatedVoiceInteraction.Transcripts.Redacted.Access",
			"AutomatedVoiceInteraction.Transcripts.Unredacted.Access",
			"Audio.View", "Transcript.View",
			"ScreenRecording.Access", "ScreenRecording.Download",
			"ManagerListenIn", "ManagerBargeIn"),
		g(CategoryAnalytics, "", fAdmin|fSensitive, "DeleteCallRecordings", "ScreenRecording.Delete"),
		g(CategoryAnalytics, "MetricsReports", 0, view, cud, "Share", edit, del, "Publish", "Schedule"),
		g(CategoryAnalytics, "ReportSchedules", 0, cud, del, edit, view),
		g(CategoryAnalytics, "ReportsAdmin", fAdmin, "Access", del, "Publish", "Schedule", view),
		g(CategoryAnalytics, "CustomMetrics", fAdmin, cud, del, edit, "Publish"),
		g(CategoryAnalytics, "CustomMetrics", 0, view),
		g(CategoryAnalytics, "Evaluation", fSensitive, cud, view, edit, del),
		g(CategoryAnalytics, "EvaluationForms", fAdmin, cud, edit, del),
		g(CategoryAnalytics, "EvaluationForms", 0, view),
		g(CategoryAnalytics, "", 0, "EvaluationAssistant.Access"),
		g(CategoryAnalytics, "EvaluationCalibrationSessions", 0, cud, del, edit, view),
		g(CategoryAnalytics, "EvaluationReviewRequest", 0, cud, del, view),
		g(CategoryAnalytics, "EvaluationReviews", 0, cud, view),
		g(CategoryAnalytics, "CoachingSessions", 0, cud, del, edit, view),
		g(CategoryAnalytics, "MyCoachingSessions", 0, cud, del, edit, view),
		g(CategoryAnalytics, "Forecasting", 0, view, edit, "Publish"),
		g(CategoryAnalytics, "ForecastScheduleInterval", 0, view, edit),
		g(CategoryAnalytics, "Capacity", 0, view, edit, "Publish"),

		// 6. Customer Profiles: customer data.
		g(CategoryCustomerProfiles, "CustomerProfiles", fSensitive, cud, edit, view),
		g(CategoryCustomerProfiles, "CustomerProfiles.CalculatedAttributes", fAdmin, cud, del, edit),
		g(CategoryCustomerProfiles, "CustomerProfiles.CalculatedAttributes", 0, view),
		g(CategoryCustomerProfiles, "CustomerProfiles.ProfileExplorer", fAdmin, cud, del, edit),
		g(CategoryCustomerProfiles, "CustomerProfiles.ProfileExplorer", 0, view),
		g(CategoryCustomerProfiles, "CustomerProfiles.Segments", fAdmin, cud, del),
		g(CategoryCustomerProfiles, "CustomerProfiles.Segments", 0, view),
		g(CategoryCustomerProfiles, "CustomerProfiles.Segments", fSensitive, "Export"),
		g(CategoryCustomerProfiles, "CustomerProfiles.PredictiveInsights", fAdmin, cud, del, edit),
		g(CategoryCustomerProfiles, "CustomerProfiles.PredictiveInsights", 0, view),

		// 7. Scheduling.
		g(CategoryScheduling, "Scheduling", 0, view, edit, "Publish"),
		g(CategoryScheduling, "TeamCalendar", 0, view, edit),
		g(CategoryScheduling, "TimeOff", 0, "Approve", edit, view),
		g(CategoryScheduling, "TimeOffBalance", 0, edit, view),

		// 8. Cases: customer data.
		g(CategoryCases, "Cases", fSensitive, cud, view, edit),
		g(CategoryCases, "CaseHistory", fSensitive, view),
		g(CategoryCases, "CaseFields", fAdmin, cud, edit),
		g(CategoryCases, "CaseFields", 0, view),
		g(CategoryCases, "CaseTemplates", fAdmin, cud, edit),
		g(CategoryCases, "CaseTemplates", 0, view),

		// 9. Outbound campaigns.
		g(CategoryCampaigns, "Campaigns", fAdmin, cud, del, edit, "Manage"),
		g(CategoryCampaigns, "Campaigns", 0, view),

		// 10. Amazon Q in Connect and content.
		g(CategoryContent, "QConnectAIAgents", fAdmin, cud, del, edit),
		g(CategoryContent, "QConnectAIAgents", 0, view),
		g(CategoryContent, "QConnectAIPrompts", fAdmin, cud, del, edit),
		g(CategoryContent, "QConnectAIPrompts", 0, view),
		g(CategoryContent, "QConnectGuardrails", fAdmin, cud, del, edit),
		g(CategoryContent, "QConnectGuardrails", 0, view),
		g(CategoryContent, "ContentManagement", fAdmin, cud, del, edit),
		g(CategoryContent, "ContentManagement", 0, view),
		g(CategoryContent, "ContentManagement.MessageTemplates", fAdmin, cud, del, edit),
		g(CategoryContent, "ContentManagement.MessageTemplates", 0, view),

		// Ringfence extensions.
		g(CategoryRingfence, "", fSensitive, PermissionViewDecryptedFields, PermissionExportContactData),
		g(CategoryRingfence, "", 0, PermissionManageContacts),
	}
}

func buildCatalogue(groups []permGroup) map[string]PermissionInfo {
	m := make(map[string]PermissionInfo, 320)
	for _, grp := range groups {
		for _, a := range grp.actions {
			name := a
			if grp.resource != "" {
				name = grp.resource + "." + a
			}
			m[name] = PermissionInfo{
				Name:        name,
				Category:    grp.category,
				Admin:       grp.flags&fAdmin != 0,
				Sensitive:   grp.flags&fSensitive != 0,
				Restrictive: grp.flags&fRestrictive != 0,
			}
		}
	}
	return m
}

// Permissions returns the whole catalogue sorted by name (a fresh slice each call). It holds
// every Connect permission name Ringfence knows, in canonical spelling, and the Ringfence.*
// extensions; older spellings (see CanonicalPermission) are not listed.
func Permissions() []PermissionInfo {
	out := make([]PermissionInfo, 0, len(permissionCatalogue))
	for _, p := range permissionCatalogue {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// LookupPermission returns the catalogue entry for name, accepting older spellings
// (RealTimeMetrics.Access, HistoricalMetrics.Access, AgentActivityAudit.Access). Names are
// case-sensitive, as in Connect. ok is false for an unknown name.
func LookupPermission(name string) (PermissionInfo, bool) {
	if c, ok := permissionAliases[name]; ok {
		name = c
	}
	p, ok := permissionCatalogue[name]
	return p, ok
}

// CanonicalPermission returns the canonical spelling of name ("RealTimeMetrics.Access" becomes
// "AccessMetrics.RealTimeMetrics.Access"); ok is false for an unknown name.
func CanonicalPermission(name string) (string, bool) {
	p, ok := LookupPermission(name)
	return p.Name, ok
}

// maxListedUnknown caps how many unknown names one error message lists.
const maxListedUnknown = 10

// ValidatePermissions checks that every name is a known permission (either spelling). It
// returns nil, or an *apierr.Error InvalidParameterException whose message lists the unknown
// names in input order (at most 10, then "and N more"), each name quoted and cut to 64
// characters, for example: `unknown security profile permissions: "Users.Fly", "x"`.
// PermissionOperator is unknown here: no profile may hold it.
func ValidatePermissions(perms []string) error {
	var unknown []string
	seen := make(map[string]bool)
	for _, p := range perms {
		if _, ok := LookupPermission(p); ok || seen[p] {
			continue
		}
		seen[p] = true
		unknown = append(unknown, p)
	}
	if len(unknown) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("unknown security profile permissions: ")
	for i, u := range unknown {
		if i == maxListedUnknown {
			b.WriteString(", and ")
			b.WriteString(strconv.Itoa(len(unknown) - maxListedUnknown))
			b.WriteString(" more")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		if len(u) > 64 {
			u = u[:64]
		}
		b.WriteString(strconv.Quote(u))
	}
	return apierr.InvalidParameter(b.String())
}

// CanonicalPermissions validates perms (see ValidatePermissions) and returns them in canonical
// spelling, deduplicated and sorted: the form a store keeps and ListSecurityProfilePermissions
// returns.
func CanonicalPermissions(perms []string) ([]string, error) {
	if err := ValidatePermissions(perms); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(perms))
	for _, p := range perms {
		c, _ := CanonicalPermission(p)
		out = append(out, c)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// IsAdminPermissionSet reports whether any of perms is administrative (see PermissionInfo).
// Unknown names are ignored.
func IsAdminPermissionSet(perms []string) bool {
	for _, p := range perms {
		if info, ok := LookupPermission(p); ok && info.Admin {
			return true
		}
	}
	return false
}

// IsSensitivePermissionSet reports whether any of perms reaches sensitive data (see
// PermissionInfo). Unknown names are ignored.
func IsSensitivePermissionSet(perms []string) bool {
	for _, p := range perms {
		if info, ok := LookupPermission(p); ok && info.Sensitive {
			return true
		}
	}
	return false
}
