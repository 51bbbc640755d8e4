package identity

import (
	"context"
	"fmt"
	"regexp"
	"time"
	"unicode/utf8"

	"github.com/ringfence/ringfence/apierr"
)

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
	// Tags: as for users (see ValidateTags).
	Tags map[string]string
	// CreatedTime and LastModifiedTime are UTC, millisecond precision.
	CreatedTime      time.Time
	LastModifiedTime time.Time
}

// SecurityProfileARN returns arn:{partition}:connect:{region}:{account}:instance/{inst}/security-profile/{id}.
func SecurityProfileARN(partition, region, account, instanceID, profileID string) string {
	return fmt.Sprintf("arn:%s:connect:%s:%s:instance/%s/security-profile/%s", partition, region, account, instanceID, profileID)
}

// Security profile limits, from the CreateSecurityProfile page of the Amazon Connect API
// Reference.
const (
	MaxSecurityProfileNameLength        = 127
	MaxSecurityProfileDescriptionLength = 250
	MaxSecurityProfilePermissions       = 500
)

// securityProfileNameChars is CreateSecurityProfile's SecurityProfileName pattern. Read-only.
var securityProfileNameChars = regexp.MustCompile(`^[ a-zA-Z0-9_@-]+$`)

// ValidateSecurityProfileName checks CreateSecurityProfile's rules: 1–127 characters of
// letters, digits, space, _ @ -. It returns InvalidParameterException.
func ValidateSecurityProfileName(name string) error {
	if name == "" || len(name) > MaxSecurityProfileNameLength || !securityProfileNameChars.MatchString(name) {
		return apierr.InvalidParameter(fmt.Sprintf("SecurityProfileName must be 1 to %d characters of letters, digits, spaces and _ @ -", MaxSecurityProfileNameLength))
	}
	return nil
}

// ValidateSecurityProfileDescription checks Description: at most 250 characters, no control
// characters other than tab, CR and LF. It returns InvalidParameterException.
func ValidateSecurityProfileDescription(d string) error {
	if !utf8.ValidString(d) || utf8.RuneCountInString(d) > MaxSecurityProfileDescriptionLength {
		return apierr.InvalidParameter(fmt.Sprintf("Description must be at most %d characters", MaxSecurityProfileDescriptionLength))
	}
	for _, r := range d {
		if (r < 0x20 && r != '\t' && r != '\r' && r != '\n') || r == 0x7f {
			return apierr.InvalidParameter("Description must not contain control characters")
		}
	}
	return nil
}

// NormalizeSecurityProfile validates p's name, description, tags and permission lists (at
// most 500 names each, every one known, see ValidatePermissions) and returns p with both
// lists in canonical spelling, deduplicated and sorted: the form a store keeps. Errors are
// InvalidParameterException.
func NormalizeSecurityProfile(p SecurityProfile) (SecurityProfile, error) {
	if err := ValidateSecurityProfileName(p.Name); err != nil {
		return p, err
	}
	if err := ValidateSecurityProfileDescription(p.Description); err != nil {
		return p, err
	}
	if err := ValidateTags(p.Tags); err != nil {
		return p, err
	}
	if len(p.Permissions) > MaxSecurityProfilePermissions || len(p.DenyPermissions) > MaxSecurityProfilePermissions {
		return p, apierr.InvalidParameter(fmt.Sprintf("Permissions must hold at most %d names", MaxSecurityProfilePermissions))
	}
	var err error
	if p.Permissions, err = CanonicalPermissions(p.Permissions); err != nil {
		return p, err
	}
	if p.DenyPermissions, err = CanonicalPermissions(p.DenyPermissions); err != nil {
		return p, err
	}
	return p, nil
}

// SecurityProfileStore persists security profiles. Every method is scoped by instance ID; a
// profile of another instance is ResourceNotFoundException. Permission lists are stored as
// given (callers pass them through NormalizeSecurityProfile).
type SecurityProfileStore interface {
	// CreateSecurityProfile stores p; a name already used in the instance is
	// DuplicateResourceException.
	CreateSecurityProfile(ctx context.Context, p SecurityProfile) error
	// GetSecurityProfile returns the profile, or ResourceNotFoundException.
	GetSecurityProfile(ctx context.Context, instanceID, profileID string) (SecurityProfile, error)
	// GetSecurityProfileByName returns the profile with that exact name, or
	// ResourceNotFoundException.
	GetSecurityProfileByName(ctx context.Context, instanceID, name string) (SecurityProfile, error)
	// ListSecurityProfiles returns at most limit profiles with ID greater than after, in ID
	// order.
	ListSecurityProfiles(ctx context.Context, instanceID, after string, limit int) ([]SecurityProfile, error)
	// UpdateSecurityProfile replaces Description, Permissions, DenyPermissions, Tags and
	// LastModifiedTime of the stored profile p.ID; ResourceNotFoundException when absent.
	UpdateSecurityProfile(ctx context.Context, p SecurityProfile) error
	// DeleteSecurityProfile deletes the profile; ResourceNotFoundException when absent. The
	// caller refuses first while CountSecurityProfileUsers is not zero; the store refuses too.
	DeleteSecurityProfile(ctx context.Context, instanceID, profileID string) error
	// CountSecurityProfileUsers returns how many users of the instance hold the profile.
	CountSecurityProfileUsers(ctx context.Context, instanceID, profileID string) (int, error)
	// UserSecurityProfiles returns the profiles of the user for the authorizer, in ID order:
	// none (and no error) for an unknown or disabled user, so such a caller is refused
	// everything (default deny).
	UserSecurityProfiles(ctx context.Context, instanceID, userID string) ([]SecurityProfile, error)
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
