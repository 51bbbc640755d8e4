package identity

// SecurityProfile is a named set of permissions in one instance, in the shape of Connect's
// SecurityProfile (DescribeSecurityProfile, Amazon Connect API Reference) with Ringfence's
// deny list added.
type SecurityProfile struct {
	// ID is the security profile ID (a UUID), unique within the instance.
	ID string
	// InstanceID is the instance the profile belongs to.
	InstanceID string
	// Name is SecurityProfileName: 1–127 characters, unique within the instance.
	Name        string
	Description string
	// Permissions are the allowed permission names, canonical spelling (see CanonicalPermissions).
	Permissions []string
	// DenyPermissions is a Ringfence extension: permissions this profile refuses even when
	// another of the user's profiles allows them (deny wins, see Authorize). Empty in Connect.
	DenyPermissions []string
}

// Default security profile names, as every new Connect instance has them (Administrator Guide,
// "Default security profiles").
const (
	ProfileAdmin             = "Admin"
	ProfileAgent             = "Agent"
	ProfileCallCenterManager = "CallCenterManager"
	ProfileQualityAnalyst    = "QualityAnalyst"
)

// DefaultSecurityProfile is the template of one default profile; the instance bootstrap gives
// it an ID and stores it.
type DefaultSecurityProfile struct {
	Name        string
	Description string
	// Permissions are canonical and sorted.
	Permissions []string
}

// DefaultSecurityProfiles returns the four profiles every new instance gets, in the order
// Admin, Agent, CallCenterManager, QualityAnalyst (fresh slices each call). Names and
// descriptions are Connect's default texts (including the two spaces in Agent's); the
// permission sets follow reference/SECURITY_PROFILE_PERMISSIONS.md:
//   - Admin: every Connect permission in the catalogue except the restrictive ones
//     (RestrictTaskCreation.Access, RestrictContactAccessByHierarchy.View, which would take
//     rights away), plus PermissionManageContacts; the sensitive Ringfence.* extensions
//     (decrypted fields, bulk export) are left out: an administrator grants them explicitly.
//   - Agent: BasicAgentAccess and OutboundCallAccess ("By default, agents assigned to the
//     Agent security profile can access the CCP and make outbound calls").
//   - CallCenterManager: the 2025 export of the default profile (user management, metrics,
//     routing, flows, recordings).
//   - QualityAnalyst: AccessMetrics, AgentTimeCard.View, ContactAttributes.View,
//     ContactSearch.View (two independent exports agree).
func DefaultSecurityProfiles() []DefaultSecurityProfile {
	var admin []string
	for _, p := range Permissions() { // sorted
		if p.Restrictive || (p.Category == CategoryRingfence && p.Sensitive) {
			continue
		}
		admin = append(admin, p.Name)
	}
	return []DefaultSecurityProfile{
		{
			Name:        ProfileAdmin,
			Description: "An administrator can perform all actions available.",
			Permissions: admin,
		},
		{
			Name:        ProfileAgent,
			Description: "An agent is a user of the system that is focused on customer care and/or sales.  Their role is unlikely to be technical.",
			Permissions: []string{"BasicAgentAccess", "OutboundCallAccess"},
		},
		{
			Name:        ProfileCallCenterManager,
			Description: "A call center manager (or call center admin) manages the day-to-day aspects of the call center.",
			Permissions: []string{
				"AccessMetrics",
				"AgentStates.Create", "AgentStates.Edit", "AgentStates.EnableAndDisable", "AgentStates.View",
				"AgentTimeCard.View",
				"ContactAttributes.View",
				"ContactFlowModules.Create", "ContactFlowModules.Delete", "ContactFlowModules.Edit", "ContactFlowModules.Publish", "ContactFlowModules.View",
				"ContactFlows.Create", "ContactFlows.Delete", "ContactFlows.Edit", "ContactFlows.Publish", "ContactFlows.View",
				"ContactSearch.View",
				"CustomerProfiles.CalculatedAttributes.Create", "CustomerProfiles.CalculatedAttributes.Delete",
				"CustomerProfiles.CalculatedAttributes.Edit", "CustomerProfiles.CalculatedAttributes.View",
				"DeleteCallRecordings", "DownloadCallRecordings",
				"HoursOfOperation.Create", "HoursOfOperation.Edit", "HoursOfOperation.View",
				"ListenCallRecordings", "ManagerListenIn",
				"MetricsReports.Create", "MetricsReports.Delete", "MetricsReports.Edit", "MetricsReports.Publish",
				"MetricsReports.Schedule", "MetricsReports.Share", "MetricsReports.View",
				"PhoneNumbers.Claim", "PhoneNumbers.Edit", "PhoneNumbers.Release", "PhoneNumbers.View",
				"Prompts.Create", "Prompts.Delete", "Prompts.Edit", "Prompts.View",
				"Queues.Create", "Queues.Edit", "Queues.EnableAndDisable", "Queues.View",
				"ReportSchedules.Create", "ReportSchedules.Delete", "ReportSchedules.Edit", "ReportSchedules.View",
				"RoutingPolicies.Create", "RoutingPolicies.Edit", "RoutingPolicies.View",
				"TaskTemplates.Create", "TaskTemplates.Delete", "TaskTemplates.Edit", "TaskTemplates.View",
				"TransferDestinations.Create", "TransferDestinations.Edit", "TransferDestinations.View",
				"Users.EnableAndDisable", "Users.View",
			},
		},
		{
			Name:        ProfileQualityAnalyst,
			Description: "A quality analyst works to improve the customer experience and keeps track of live service metrics.",
			Permissions: []string{"AccessMetrics", "AgentTimeCard.View", "ContactAttributes.View", "ContactSearch.View"},
		},
	}
}
