package identity

import "maps"

// Page actions: things the web pages do that no Connect API operation names. Each is an
// action for Authorize like a Connect operation name; the "page:" prefix keeps them apart.
// Reading a sensitive value is always its own action with its own permission, separate from
// reading the record that holds it (SECURITY.md "Access").
const (
	// ActionAgentWorkspace opens the agent workspace (Connect's CCP).
	ActionAgentWorkspace = "page:AgentWorkspace"
	// ActionViewContactDetails shows a contact record (no recording, transcript or sealed value).
	ActionViewContactDetails = "page:ViewContactDetails"
	// ActionListenRecording plays a call recording.
	ActionListenRecording = "page:ListenRecording"
	// ActionDownloadRecording downloads a call recording.
	ActionDownloadRecording = "page:DownloadRecording"
	// ActionDeleteRecording deletes a call recording.
	ActionDeleteRecording = "page:DeleteRecording"
	// ActionViewRedactedTranscript shows a chat or call transcript after redaction.
	ActionViewRedactedTranscript = "page:ViewRedactedTranscript"
	// ActionViewUnredactedTranscript shows a transcript without redaction.
	ActionViewUnredactedTranscript = "page:ViewUnredactedTranscript"
	// ActionRevealDecryptedField shows a field Ringfence stores sealed, in clear.
	ActionRevealDecryptedField = "page:RevealDecryptedField"
	// ActionExportContacts exports contact records in bulk.
	ActionExportContacts = "page:ExportContacts"
	// ActionMonitorContact listens in to a live contact.
	ActionMonitorContact = "page:MonitorContact"
	// ActionRealTimeMetrics opens the real-time metrics page.
	ActionRealTimeMetrics = "page:RealTimeMetrics"
	// ActionHistoricalMetrics opens the historical metrics page.
	ActionHistoricalMetrics = "page:HistoricalMetrics"
	// ActionChatTest opens the chat test page.
	ActionChatTest = "page:ChatTest"
	// ActionViewSensitiveAttributes shows the values of contact attributes the instance marks
	// sensitive (GetContactAttributes, the agent API's contact view); without it they are
	// left out. It needs Ringfence.DecryptedFields.View: the values are sealed fields.
	ActionViewSensitiveAttributes = "page:ViewSensitiveAttributes"
	// ActionViewCardBINLast4 shows the BIN and last four digits of card numbers stored under
	// an instance's bin-last4 card policy; without it they read "[CARD]". It needs Connect's
	// UnredactedData.View ("View unredacted data"): Ringfence never keeps a card number
	// whole, so BIN and last four is the least redacted form there is.
	ActionViewCardBINLast4 = "page:ViewCardBINLast4"
	// ActionEnableDisableUser disables a user (its sessions end, its access keys are refused
	// everything) or enables it again. Connect's admin website has the same switch and no API
	// operation.
	ActionEnableDisableUser = "page:EnableDisableUser"
	// ActionResetUserPassword sets another user's password (typed or generated) and ends its
	// sessions. Connect has no API operation for it. Whoever sets a password can sign in as
	// that user, so it needs the permission to change users' permissions as well as to edit
	// them.
	ActionResetUserPassword = "page:ResetUserPassword"
	// ActionViewAuthenticationProfile shows the instance's authentication profile on the
	// admin pages.
	ActionViewAuthenticationProfile = "page:ViewAuthenticationProfile"
	// ActionUpdateAuthenticationProfile changes the instance's authentication profile (network
	// rules and session timeouts of every user) on the admin pages. The API operations stay
	// operator-only, as IAM-only in Connect; on the pages the instance administrator, who
	// can change every user's permissions, may change it.
	ActionUpdateAuthenticationProfile = "page:UpdateAuthenticationProfile"
	// ActionSearchTranscripts searches contacts by the words of their chat transcripts
	// (SearchContacts with ContactAnalysis.Transcript). A match tells which words a contact's
	// participants wrote, so it needs what reading the redacted transcript needs and Connect's
	// keyword-search permission (ContactSearchWithKeywords.Access, "Search contacts by
	// keywords").
	ActionSearchTranscripts = "page:SearchTranscripts"
)

// API operations Ringfence adds where Connect has none. The "ringfence:" prefix keeps them
// apart from Connect's operation names; they are authorized, audited and signed like those.
const (
	// ActionGetContactFlowLogs reads the stored flow logs of one contact (Connect writes flow
	// logs to CloudWatch Logs instead).
	ActionGetContactFlowLogs = "ringfence:GetContactFlowLogs"
	// ActionGetContactTranscript reads the stored, redacted chat transcript of one contact
	// (Connect shows it on the Contact details page and has no API operation for
	// administrators; its participants read it with the Participant Service's GetTranscript).
	ActionGetContactTranscript = "ringfence:GetContactTranscript"
	// ActionCreateUserAccessKey issues an access key that acts as a user of the instance and
	// answers its secret once (IAM has CreateAccessKey for IAM users; Connect users have no
	// keys). Whoever holds the key acts as that user, so it needs what setting another user's
	// password needs (ActionResetUserPassword).
	ActionCreateUserAccessKey = "ringfence:CreateUserAccessKey"
	// ActionListUserAccessKeys lists a user's access keys (never their secrets). A user may
	// list its own without the permission (EvaluateOn).
	ActionListUserAccessKeys = "ringfence:ListUserAccessKeys"
	// ActionRollUserAccessKey replaces one of a user's access keys with a new one (secret
	// answered once) and revokes the old one at once, or after a grace period of up to
	// RollGraceMax during which the old key is Expiring. Like creating a key, it hands out a
	// credential of the user.
	ActionRollUserAccessKey = "ringfence:RollUserAccessKey"
	// ActionDeleteUserAccessKey revokes one of a user's access keys (kept, Inactive, so the
	// audit trail can name it). A user may revoke its own without the permission (EvaluateOn).
	ActionDeleteUserAccessKey = "ringfence:DeleteUserAccessKey"
	// ActionCreateAuthenticationProfile creates an authentication profile besides the
	// instance's default (Connect creates them through AWS Support).
	ActionCreateAuthenticationProfile = "ringfence:CreateAuthenticationProfile"
	// ActionDeleteAuthenticationProfile deletes a non-default authentication profile that no
	// user is assigned to.
	ActionDeleteAuthenticationProfile = "ringfence:DeleteAuthenticationProfile"
	// ActionListAuthenticationProfileUsers lists the users assigned to an authentication
	// profile.
	ActionListAuthenticationProfileUsers = "ringfence:ListAuthenticationProfileUsers"
	// ActionDescribeUserAuthenticationProfile reads which authentication profile applies to a
	// user.
	ActionDescribeUserAuthenticationProfile = "ringfence:DescribeUserAuthenticationProfile"
	// ActionUpdateUserAuthenticationProfile assigns a user to an authentication profile (or
	// back to the default).
	ActionUpdateUserAuthenticationProfile = "ringfence:UpdateUserAuthenticationProfile"
)

// PermissionManageContacts is a Ringfence extension: it lets an API user (typically a backend
// integration's key) start chat and email contacts and update contacts, which Connect controls
// with IAM rather than a security-profile permission. Not sensitive; Admin holds it.
const PermissionManageContacts = "Ringfence.Contacts.Manage"

// operationPermissions is the table behind RequiredPermissions: a Connect API operation name
// (Amazon Connect API Reference, the operation's name as the SDKs spell it) or a page action,
// to every permission it needs (all of them). Operations that Connect controls only with IAM
// (instances, security keys, approved origins, storage, integrations) need PermissionOperator.
// Read-only: never modified.
var operationPermissions = map[string][]string{
	// Instances and instance-level settings: operator only.
	"CreateInstance":                    {PermissionOperator},
	"DeleteInstance":                    {PermissionOperator},
	"DescribeInstance":                  {PermissionOperator},
	"ListInstances":                     {PermissionOperator},
	"ReplicateInstance":                 {PermissionOperator},
	"DescribeInstanceAttribute":         {PermissionOperator},
	"ListInstanceAttributes":            {PermissionOperator},
	"UpdateInstanceAttribute":           {PermissionOperator},
	"AssociateInstanceStorageConfig":    {PermissionOperator},
	"DescribeInstanceStorageConfig":     {PermissionOperator},
	"DisassociateInstanceStorageConfig": {PermissionOperator},
	"ListInstanceStorageConfigs":        {PermissionOperator},
	"UpdateInstanceStorageConfig":       {PermissionOperator},
	"AssociateSecurityKey":              {PermissionOperator},
	"DisassociateSecurityKey":           {PermissionOperator},
	"ListSecurityKeys":                  {PermissionOperator},
	"AssociateApprovedOrigin":           {PermissionOperator},
	"DisassociateApprovedOrigin":        {PermissionOperator},
	"ListApprovedOrigins":               {PermissionOperator},
	"AssociateLambdaFunction":           {PermissionOperator},
	"DisassociateLambdaFunction":        {PermissionOperator},
	"ListLambdaFunctions":               {PermissionOperator},
	"AssociateLexBot":                   {PermissionOperator},
	"DisassociateLexBot":                {PermissionOperator},
	"ListLexBots":                       {PermissionOperator},
	"AssociateBot":                      {PermissionOperator},
	"DisassociateBot":                   {PermissionOperator},
	"ListBots":                          {PermissionOperator},
	// Authentication profiles (network rules and session timeouts of every user): Connect
	// controls them with IAM only.
	"DescribeAuthenticationProfile": {PermissionOperator},
	"ListAuthenticationProfiles":    {PermissionOperator},
	"UpdateAuthenticationProfile":   {PermissionOperator},
	// Ringfence's additions on authentication profiles, likewise operators only.
	ActionCreateAuthenticationProfile:       {PermissionOperator},
	ActionDeleteAuthenticationProfile:       {PermissionOperator},
	ActionListAuthenticationProfileUsers:    {PermissionOperator},
	ActionDescribeUserAuthenticationProfile: {PermissionOperator},
	ActionUpdateUserAuthenticationProfile:   {PermissionOperator},
	// Tags apply to every resource type; until the check is ARN-aware only operators may.
	"TagResource":         {PermissionOperator},
	"UntagResource":       {PermissionOperator},
	"ListTagsForResource": {PermissionOperator},
	"SearchResourceTags":  {PermissionOperator},

	// Users.
	"CreateUser":                    {"Users.Create"},
	"DeleteUser":                    {"Users.Delete"},
	"DescribeUser":                  {"Users.View"},
	"ListUsers":                     {"Users.View"},
	"SearchUsers":                   {"Users.View"},
	"UpdateUserIdentityInfo":        {"Users.Edit"},
	"UpdateUserPhoneConfig":         {"Users.Edit"},
	"UpdateUserConfig":              {"Users.Edit"},
	"UpdateUserRoutingProfile":      {"Users.Edit"},
	"UpdateUserHierarchy":           {"Users.Edit"},
	"UpdateUserSecurityProfiles":    {"Users.EditPermission"},
	"PutUserStatus":                 {"Users.Edit"},
	"ListUserProficiencies":         {"Users.View"},
	"AssociateUserProficiencies":    {"Users.Edit"},
	"DisassociateUserProficiencies": {"Users.Edit"},
	"UpdateUserProficiencies":       {"Users.Edit"},

	// Agent hierarchy.
	"CreateUserHierarchyGroup":       {"AgentGrouping.Create"},
	"DeleteUserHierarchyGroup":       {"AgentGrouping.Edit"},
	"DescribeUserHierarchyGroup":     {"AgentGrouping.View"},
	"ListUserHierarchyGroups":        {"AgentGrouping.View"},
	"SearchUserHierarchyGroups":      {"AgentGrouping.View"},
	"UpdateUserHierarchyGroupName":   {"AgentGrouping.Edit"},
	"DescribeUserHierarchyStructure": {"AgentGrouping.View"},
	"UpdateUserHierarchyStructure":   {"AgentGrouping.Edit"},

	// Security profiles.
	"CreateSecurityProfile":           {"SecurityProfiles.Create"},
	"DeleteSecurityProfile":           {"SecurityProfiles.Delete"},
	"DescribeSecurityProfile":         {"SecurityProfiles.View"},
	"ListSecurityProfiles":            {"SecurityProfiles.View"},
	"SearchSecurityProfiles":          {"SecurityProfiles.View"},
	"ListSecurityProfilePermissions":  {"SecurityProfiles.View"},
	"ListSecurityProfileApplications": {"SecurityProfiles.View"},
	"UpdateSecurityProfile":           {"SecurityProfiles.Edit"},

	// Routing profiles.
	"CreateRoutingProfile":                       {"RoutingPolicies.Create"},
	"DeleteRoutingProfile":                       {"RoutingPolicies.Delete"},
	"DescribeRoutingProfile":                     {"RoutingPolicies.View"},
	"ListRoutingProfiles":                        {"RoutingPolicies.View"},
	"SearchRoutingProfiles":                      {"RoutingPolicies.View"},
	"ListRoutingProfileQueues":                   {"RoutingPolicies.View"},
	"AssociateRoutingProfileQueues":              {"RoutingPolicies.Edit"},
	"DisassociateRoutingProfileQueues":           {"RoutingPolicies.Edit"},
	"UpdateRoutingProfileQueues":                 {"RoutingPolicies.Edit"},
	"UpdateRoutingProfileConcurrency":            {"RoutingPolicies.Edit"},
	"UpdateRoutingProfileDefaultOutboundQueue":   {"RoutingPolicies.Edit"},
	"UpdateRoutingProfileName":                   {"RoutingPolicies.Edit"},
	"UpdateRoutingProfileAgentAvailabilityTimer": {"RoutingPolicies.Edit"},

	// Queues.
	"CreateQueue":                     {"Queues.Create"},
	"DeleteQueue":                     {"Queues.Delete"},
	"DescribeQueue":                   {"Queues.View"},
	"ListQueues":                      {"Queues.View"},
	"SearchQueues":                    {"Queues.View"},
	"ListQueueQuickConnects":          {"Queues.View"},
	"AssociateQueueQuickConnects":     {"Queues.Edit"},
	"DisassociateQueueQuickConnects":  {"Queues.Edit"},
	"UpdateQueueHoursOfOperation":     {"Queues.Edit"},
	"UpdateQueueMaxContacts":          {"Queues.Edit"},
	"UpdateQueueName":                 {"Queues.Edit"},
	"UpdateQueueOutboundCallerConfig": {"Queues.Edit"},
	"UpdateQueueStatus":               {"Queues.EnableAndDisable"},

	// Hours of operation.
	"CreateHoursOfOperation":           {"HoursOfOperation.Create"},
	"DeleteHoursOfOperation":           {"HoursOfOperation.Delete"},
	"DescribeHoursOfOperation":         {"HoursOfOperation.View"},
	"ListHoursOfOperations":            {"HoursOfOperation.View"},
	"SearchHoursOfOperations":          {"HoursOfOperation.View"},
	"UpdateHoursOfOperation":           {"HoursOfOperation.Edit"},
	"GetEffectiveHoursOfOperations":    {"HoursOfOperation.View"},
	"CreateHoursOfOperationOverride":   {"HoursOfOperation.Edit"},
	"DeleteHoursOfOperationOverride":   {"HoursOfOperation.Edit"},
	"DescribeHoursOfOperationOverride": {"HoursOfOperation.View"},
	"ListHoursOfOperationOverrides":    {"HoursOfOperation.View"},
	"SearchHoursOfOperationOverrides":  {"HoursOfOperation.View"},
	"UpdateHoursOfOperationOverride":   {"HoursOfOperation.Edit"},

	// Agent statuses.
	"CreateAgentStatus":   {"AgentStates.Create"},
	"DescribeAgentStatus": {"AgentStates.View"},
	"ListAgentStatuses":   {"AgentStates.View"},
	"SearchAgentStatuses": {"AgentStates.View"},
	"UpdateAgentStatus":   {"AgentStates.Edit"},

	// Quick connects (Connect's permission prefix is TransferDestinations).
	"CreateQuickConnect":       {"TransferDestinations.Create"},
	"DeleteQuickConnect":       {"TransferDestinations.Delete"},
	"DescribeQuickConnect":     {"TransferDestinations.View"},
	"ListQuickConnects":        {"TransferDestinations.View"},
	"SearchQuickConnects":      {"TransferDestinations.View"},
	"UpdateQuickConnectConfig": {"TransferDestinations.Edit"},
	"UpdateQuickConnectName":   {"TransferDestinations.Edit"},

	// Flows.
	"CreateContactFlow":         {"ContactFlows.Create"},
	"DeleteContactFlow":         {"ContactFlows.Delete"},
	"DescribeContactFlow":       {"ContactFlows.View"},
	"ListContactFlows":          {"ContactFlows.View"},
	"SearchContactFlows":        {"ContactFlows.View"},
	"UpdateContactFlowContent":  {"ContactFlows.Edit"},
	"UpdateContactFlowMetadata": {"ContactFlows.Edit"},
	"UpdateContactFlowName":     {"ContactFlows.Edit"},
	"CreateContactFlowVersion":  {"ContactFlows.Publish"},
	"ListContactFlowVersions":   {"ContactFlows.View"},
	"DeleteContactFlowVersion":  {"ContactFlows.Delete"},

	// Flow modules.
	"CreateContactFlowModule":         {"ContactFlowModules.Create"},
	"DeleteContactFlowModule":         {"ContactFlowModules.Delete"},
	"DescribeContactFlowModule":       {"ContactFlowModules.View"},
	"ListContactFlowModules":          {"ContactFlowModules.View"},
	"SearchContactFlowModules":        {"ContactFlowModules.View"},
	"UpdateContactFlowModuleContent":  {"ContactFlowModules.Edit"},
	"UpdateContactFlowModuleMetadata": {"ContactFlowModules.Edit"},
	"CreateContactFlowModuleVersion":  {"ContactFlowModules.Publish"},
	"ListContactFlowModuleVersions":   {"ContactFlowModules.View"},
	"DeleteContactFlowModuleVersion":  {"ContactFlowModules.Delete"},
	"CreateContactFlowModuleAlias":    {"ContactFlowModules.Edit"},
	"DescribeContactFlowModuleAlias":  {"ContactFlowModules.View"},
	"ListContactFlowModuleAliases":    {"ContactFlowModules.View"},
	"UpdateContactFlowModuleAlias":    {"ContactFlowModules.Edit"},
	"DeleteContactFlowModuleAlias":    {"ContactFlowModules.Delete"},

	// Prompts.
	"CreatePrompt":   {"Prompts.Create"},
	"DeletePrompt":   {"Prompts.Delete"},
	"DescribePrompt": {"Prompts.View"},
	"ListPrompts":    {"Prompts.View"},
	"SearchPrompts":  {"Prompts.View"},
	"UpdatePrompt":   {"Prompts.Edit"},
	"GetPromptFile":  {"Prompts.View"},

	// Phone numbers.
	"ClaimPhoneNumber":                   {"PhoneNumbers.Claim"},
	"ImportPhoneNumber":                  {"PhoneNumbers.Claim"},
	"ReleasePhoneNumber":                 {"PhoneNumbers.Release"},
	"DescribePhoneNumber":                {"PhoneNumbers.View"},
	"ListPhoneNumbers":                   {"PhoneNumbers.View"},
	"ListPhoneNumbersV2":                 {"PhoneNumbers.View"},
	"SearchAvailablePhoneNumbers":        {"PhoneNumbers.View"},
	"UpdatePhoneNumber":                  {"PhoneNumbers.Edit"},
	"UpdatePhoneNumberMetadata":          {"PhoneNumbers.Edit"},
	"AssociatePhoneNumberContactFlow":    {"PhoneNumbers.Edit"},
	"DisassociatePhoneNumberContactFlow": {"PhoneNumbers.Edit"},

	// Task templates.
	"CreateTaskTemplate": {"TaskTemplates.Create"},
	"DeleteTaskTemplate": {"TaskTemplates.Delete"},
	"GetTaskTemplate":    {"TaskTemplates.View"},
	"ListTaskTemplates":  {"TaskTemplates.View"},
	"UpdateTaskTemplate": {"TaskTemplates.Edit"},

	// Predefined attributes.
	"CreatePredefinedAttribute":   {"PredefinedAttributes.Create"},
	"DeletePredefinedAttribute":   {"PredefinedAttributes.Delete"},
	"DescribePredefinedAttribute": {"PredefinedAttributes.View"},
	"ListPredefinedAttributes":    {"PredefinedAttributes.View"},
	"SearchPredefinedAttributes":  {"PredefinedAttributes.View"},
	"UpdatePredefinedAttribute":   {"PredefinedAttributes.Edit"},

	// Views.
	"CreateView":         {"Views.Create"},
	"CreateViewVersion":  {"Views.Edit"},
	"DeleteView":         {"Views.Remove"},
	"DeleteViewVersion":  {"Views.Remove"},
	"DescribeView":       {"Views.View"},
	"ListViews":          {"Views.View"},
	"ListViewVersions":   {"Views.View"},
	"SearchViews":        {"Views.View"},
	"UpdateViewContent":  {"Views.Edit"},
	"UpdateViewMetadata": {"Views.Edit"},

	// Rules.
	"CreateRule":   {"Rules.Create"},
	"DeleteRule":   {"Rules.Delete"},
	"DescribeRule": {"Rules.View"},
	"ListRules":    {"Rules.View"},
	"UpdateRule":   {"Rules.Edit"},

	// Email addresses.
	"CreateEmailAddress":         {"EmailAddresses.Create"},
	"DeleteEmailAddress":         {"EmailAddresses.Remove"},
	"DescribeEmailAddress":       {"EmailAddresses.View"},
	"SearchEmailAddresses":       {"EmailAddresses.View"},
	"UpdateEmailAddressMetadata": {"EmailAddresses.Edit"},

	// Contacts. Starting and updating contacts on a customer's behalf is IAM-controlled in
	// Connect; Ringfence asks for PermissionManageContacts, except where an agent permission
	// exists (tasks, outbound calls and emails, stop, transfer, reschedule).
	"StartChatContact":          {PermissionManageContacts},
	"StartOutboundChatContact":  {PermissionManageContacts},
	"StartEmailContact":         {PermissionManageContacts},
	"StartWebRTCContact":        {PermissionManageContacts},
	"CreateContact":             {PermissionManageContacts},
	"StartTaskContact":          {"BasicAgentAccess"},
	"StartOutboundVoiceContact": {"OutboundCallAccess"},
	"StartOutboundEmailContact": {"OutboundEmail.Create"},
	"SendOutboundEmail":         {"OutboundEmail.Create"},
	"StopContact":               {"StopContact.Enabled"},
	"TransferContact":           {"TransferContact.Enabled"},
	"UpdateContactSchedule":     {"UpdateContactSchedule.Enabled"},
	"PauseContact":              {"BasicAgentAccess"},
	"ResumeContact":             {"BasicAgentAccess"},
	"UpdateContact":             {PermissionManageContacts},
	"UpdateContactAttributes":   {PermissionManageContacts},
	"UpdateContactRoutingData":  {PermissionManageContacts},
	"TagContact":                {PermissionManageContacts},
	"UntagContact":              {PermissionManageContacts},
	"StartContactRecording":     {PermissionManageContacts},
	"StopContactRecording":      {PermissionManageContacts},
	"SuspendContactRecording":   {"BasicAgentAccess"},
	"ResumeContactRecording":    {"BasicAgentAccess"},
	"DescribeContact":           {"ContactSearch.View"},
	"SearchContacts":            {"ContactSearch.View"},
	"ListContactReferences":     {"ContactSearch.View"},
	"ListAssociatedContacts":    {"ContactSearch.View"},
	"GetContactAttributes":      {"ContactAttributes.View"},
	"MonitorContact":            {"ManagerListenIn"},
	// Flow logs: contact search and flow viewing together, since the entries show a contact's
	// path through the flow's actions.
	ActionGetContactFlowLogs: {"ContactSearch.View", "ContactFlows.View"},
	// Transcripts: as ActionViewRedactedTranscript (contact search and redacted data).
	ActionGetContactTranscript: {"ContactSearch.View", "RedactedData.View"},
	// User access keys: issuing one (create, roll) lets the caller act as the user, so it
	// needs what setting the user's password needs; revoking needs Users.Edit, listing
	// Users.View. Operator keys are managed only on the host (ringfence keys).
	ActionCreateUserAccessKey: {"Users.Edit", "Users.EditPermission"},
	ActionRollUserAccessKey:   {"Users.Edit", "Users.EditPermission"},
	ActionListUserAccessKeys:  {"Users.View"},
	ActionDeleteUserAccessKey: {"Users.Edit"},

	// Metrics.
	"GetMetricData":        {"AccessMetrics"},
	"GetMetricDataV2":      {"AccessMetrics"},
	"GetCurrentMetricData": {"AccessMetrics"},
	"GetCurrentUserData":   {"AccessMetrics"},
	"GetContactMetrics":    {"AccessMetrics"},

	// Evaluations.
	"CreateEvaluationForm":      {"EvaluationForms.Create"},
	"DeleteEvaluationForm":      {"EvaluationForms.Delete"},
	"DescribeEvaluationForm":    {"EvaluationForms.View"},
	"ListEvaluationForms":       {"EvaluationForms.View"},
	"UpdateEvaluationForm":      {"EvaluationForms.Edit"},
	"ActivateEvaluationForm":    {"EvaluationForms.Edit"},
	"DeactivateEvaluationForm":  {"EvaluationForms.Edit"},
	"StartContactEvaluation":    {"Evaluation.Create"},
	"SubmitContactEvaluation":   {"Evaluation.Edit"},
	"UpdateContactEvaluation":   {"Evaluation.Edit"},
	"DescribeContactEvaluation": {"Evaluation.View"},
	"ListContactEvaluations":    {"Evaluation.View"},
	"DeleteContactEvaluation":   {"Evaluation.Delete"},

	// Contact Lens vocabularies.
	"CreateVocabulary":   {"ContactLensCustomVocabulary.Edit"},
	"DeleteVocabulary":   {"ContactLensCustomVocabulary.Edit"},
	"DescribeVocabulary": {"ContactLensCustomVocabulary.View"},

	// Page actions. A sensitive value needs its own permission on top of the record's.
	ActionAgentWorkspace:           {"BasicAgentAccess"},
	ActionViewContactDetails:       {"ContactSearch.View"},
	ActionListenRecording:          {"ContactSearch.View", "ListenCallRecordings"},
	ActionDownloadRecording:        {"ContactSearch.View", "DownloadCallRecordings"},
	ActionDeleteRecording:          {"ContactSearch.View", "DeleteCallRecordings"},
	ActionViewRedactedTranscript:   {"ContactSearch.View", "RedactedData.View"},
	ActionViewUnredactedTranscript: {"ContactSearch.View", "UnredactedData.View"},
	ActionRevealDecryptedField:     {"ContactSearch.View", PermissionViewDecryptedFields},
	ActionExportContacts:           {"ContactSearch.View", PermissionExportContactData},
	ActionMonitorContact:           {"ManagerListenIn"},
	ActionRealTimeMetrics:          {"AccessMetrics", "AccessMetrics.RealTimeMetrics.Access"},
	ActionHistoricalMetrics:        {"AccessMetrics", "AccessMetrics.HistoricalMetrics.Access"},
	ActionChatTest:                 {"ChatTestMode"},
	ActionViewSensitiveAttributes:  {PermissionViewDecryptedFields},
	ActionViewCardBINLast4:         {"UnredactedData.View"},
	// Administration pages (the Connect operation names serve for the rest: CreateUser,
	// UpdateSecurityProfile, ...).
	ActionEnableDisableUser:           {"Users.EnableAndDisable"},
	ActionResetUserPassword:           {"Users.Edit", "Users.EditPermission"},
	ActionViewAuthenticationProfile:   {"SecurityProfiles.View", "Users.View"},
	ActionUpdateAuthenticationProfile: {"SecurityProfiles.Edit", "Users.EditPermission"},
	ActionSearchTranscripts:           {"ContactSearch.View", "ContactSearchWithKeywords.Access", "RedactedData.View"},
}

// operationBlockers lists, per action, the restrictive permissions that refuse it when any of
// the caller's profiles holds them (Connect: "RestrictTaskCreation.Access blocks agents from
// creating tasks"). Read-only.
var operationBlockers = map[string][]string{
	"StartTaskContact": {"RestrictTaskCreation.Access"},
}

// RequiredPermissions returns the permissions (all required) for a Connect API operation name
// ("CreateUser", as the Amazon Connect API Reference and the SDKs spell it) or a page action
// (Action* constants), and whether the action is known. An unknown action is refused by
// Authorize (default deny). A result holding PermissionOperator means operators only. The
// returned slice is a copy.
func RequiredPermissions(action string) ([]string, bool) {
	p, ok := operationPermissions[action]
	if !ok {
		return nil, false
	}
	return append([]string(nil), p...), true
}

// OperationPermissions returns a copy of the whole action → permissions table (see
// RequiredPermissions).
func OperationPermissions() map[string][]string {
	out := make(map[string][]string, len(operationPermissions))
	for k, v := range maps.All(operationPermissions) {
		out[k] = append([]string(nil), v...)
	}
	return out
}
