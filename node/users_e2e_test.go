package node_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"

	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/provision"
	"github.com/ringfence/ringfence/store"
)

// sdkAs is a Connect client signing with the given key.
func (tn *testNode) sdkAs(keyID, secret string) *connect.Client {
	return connect.New(connect.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(keyID, secret, ""),
		BaseEndpoint: aws.String(tn.endpoint),
		HTTPClient:   tn.client,
	})
}

// userKey issues an access key acting as username in the instance.
func (tn *testNode) userKey(t *testing.T, instanceID, username string) (string, string) {
	t.Helper()
	k, sec, err := tn.n.IssueUserKey(context.Background(), instanceID, username, "test")
	if err != nil {
		t.Fatalf("IssueUserKey %s: %v", username, err)
	}
	return k.ID, sec.Reveal()
}

// profileIDs returns the instance's security profile IDs by name.
func profileIDs(t *testing.T, c *connect.Client, instanceID string) map[string]string {
	t.Helper()
	out := map[string]string{}
	p := connect.NewListSecurityProfilesPaginator(c, &connect.ListSecurityProfilesInput{InstanceId: aws.String(instanceID), MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("ListSecurityProfiles: %v", err)
		}
		for _, s := range page.SecurityProfileSummaryList {
			out[aws.ToString(s.Name)] = aws.ToString(s.Id)
		}
	}
	return out
}

const testPassword = "correct horse battery staple 42"

var localhost = netip.MustParseAddr("127.0.0.1")

// storeIdentity is the node's identity store for the sign-in code.
func storeIdentity(tn *testNode) store.Identity { return store.Identity{Store: tn.n.Store} }

func createUserInput(instanceID, username string, profiles ...string) *connect.CreateUserInput {
	return &connect.CreateUserInput{
		InstanceId: aws.String(instanceID), Username: aws.String(username), Password: aws.String(testPassword),
		IdentityInfo:       &types.UserIdentityInfo{FirstName: aws.String("Jane"), LastName: aws.String("Doe"), Email: aws.String("jane@example.com")},
		PhoneConfig:        &types.UserPhoneConfig{PhoneType: types.PhoneTypeSoftPhone, AfterContactWorkTimeLimit: 30},
		SecurityProfileIds: profiles, RoutingProfileId: aws.String(provision.BasicRoutingProfileID(instanceID)),
		Tags: map[string]string{"team": "blue"},
	}
}

func TestCreateInstanceSeedsDefaultProfiles(t *testing.T) {
	tn := startNode(t)
	ctx := context.Background()
	c := tn.sdk(tn.boot.SecretAccessKey.Reveal())
	created, err := c.CreateInstance(ctx, &connect.CreateInstanceInput{
		IdentityManagementType: types.DirectoryTypeConnectManaged, InstanceAlias: aws.String("seeded"),
		InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("CreateInstance: %v", err)
	}
	for _, inst := range []string{tn.boot.InstanceID, aws.ToString(created.Id)} {
		ids := profileIDs(t, c, inst)
		var names []string
		for n := range ids {
			names = append(names, n)
		}
		slices.Sort(names)
		if want := []string{"Admin", "Agent", "CallCenterManager", "QualityAnalyst"}; !slices.Equal(names, want) {
			t.Errorf("instance %s profiles = %v, want %v", inst, names, want)
		}
		perms, err := c.ListSecurityProfilePermissions(ctx, &connect.ListSecurityProfilePermissionsInput{
			InstanceId: aws.String(inst), SecurityProfileId: aws.String(ids["Agent"])})
		if err != nil || !slices.Equal(perms.Permissions, []string{"BasicAgentAccess", "OutboundCallAccess"}) {
			t.Errorf("Agent permissions = %v, %v", perms, err)
		}
	}
}

func TestSDKUsersAndSecurityProfiles(t *testing.T) {
	tn := startNode(t)
	ctx := context.Background()
	c := tn.sdk(tn.boot.SecretAccessKey.Reveal())
	inst := aws.String(tn.boot.InstanceID)
	ids := profileIDs(t, c, tn.boot.InstanceID)

	// Security profiles: create with an older permission spelling, stored canonical.
	sp, err := c.CreateSecurityProfile(ctx, &connect.CreateSecurityProfileInput{
		InstanceId: inst, SecurityProfileName: aws.String("Tier 2"), Description: aws.String("second line"),
		Permissions: []string{"Users.View", "RealTimeMetrics.Access", "Users.View"}, Tags: map[string]string{"k": "v"},
	})
	if err != nil {
		t.Fatalf("CreateSecurityProfile: %v", err)
	}
	if !strings.HasSuffix(aws.ToString(sp.SecurityProfileArn), "/security-profile/"+aws.ToString(sp.SecurityProfileId)) {
		t.Errorf("SecurityProfileArn = %s", aws.ToString(sp.SecurityProfileArn))
	}
	desc, err := c.DescribeSecurityProfile(ctx, &connect.DescribeSecurityProfileInput{InstanceId: inst, SecurityProfileId: sp.SecurityProfileId})
	if err != nil || aws.ToString(desc.SecurityProfile.SecurityProfileName) != "Tier 2" || aws.ToString(desc.SecurityProfile.Description) != "second line" ||
		desc.SecurityProfile.Tags["k"] != "v" || desc.SecurityProfile.LastModifiedTime == nil {
		t.Fatalf("DescribeSecurityProfile = %+v, %v", desc, err)
	}
	var perms []string
	pp := connect.NewListSecurityProfilePermissionsPaginator(c, &connect.ListSecurityProfilePermissionsInput{InstanceId: inst, SecurityProfileId: sp.SecurityProfileId, MaxResults: aws.Int32(1)})
	for pp.HasMorePages() {
		page, err := pp.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListSecurityProfilePermissions: %v", err)
		}
		perms = append(perms, page.Permissions...)
	}
	if want := []string{"AccessMetrics.RealTimeMetrics.Access", "Users.View"}; !slices.Equal(perms, want) {
		t.Errorf("permissions = %v, want %v", perms, want)
	}
	for _, bad := range []*connect.CreateSecurityProfileInput{
		{InstanceId: inst, SecurityProfileName: aws.String("Bad"), Permissions: []string{"Users.Fly"}},
		{InstanceId: inst, SecurityProfileName: aws.String("bad/name")},
		{InstanceId: inst, SecurityProfileName: aws.String("Tagged"), AllowedAccessControlTags: map[string]string{"dept": "x"}},
	} {
		_, err = c.CreateSecurityProfile(ctx, bad)
		wantAPIError(t, err, "InvalidParameterException")
	}
	_, err = c.CreateSecurityProfile(ctx, &connect.CreateSecurityProfileInput{InstanceId: inst, SecurityProfileName: aws.String("Tier 2")})
	wantAPIError(t, err, "DuplicateResourceException")
	if _, err := c.UpdateSecurityProfile(ctx, &connect.UpdateSecurityProfileInput{InstanceId: inst, SecurityProfileId: sp.SecurityProfileId,
		Description: aws.String("changed"), Permissions: []string{"Users.View", "Users.Edit"}}); err != nil {
		t.Fatalf("UpdateSecurityProfile: %v", err)
	}
	got, _ := c.ListSecurityProfilePermissions(ctx, &connect.ListSecurityProfilePermissionsInput{InstanceId: inst, SecurityProfileId: sp.SecurityProfileId})
	if got == nil || !slices.Equal(got.Permissions, []string{"Users.Edit", "Users.View"}) {
		t.Errorf("permissions after update = %v", got)
	}
	_, err = c.UpdateSecurityProfile(ctx, &connect.UpdateSecurityProfileInput{InstanceId: inst, SecurityProfileId: sp.SecurityProfileId, Permissions: []string{"Nope"}})
	wantAPIError(t, err, "InvalidParameterException")
	if n := len(profileIDs(t, c, tn.boot.InstanceID)); n != 5 {
		t.Errorf("ListSecurityProfiles = %d profiles, want 5", n)
	}

	// Users.
	u, err := c.CreateUser(ctx, createUserInput(tn.boot.InstanceID, "jdoe", ids["Agent"], aws.ToString(sp.SecurityProfileId)))
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if !strings.HasSuffix(aws.ToString(u.UserArn), "/agent/"+aws.ToString(u.UserId)) {
		t.Errorf("UserArn = %s", aws.ToString(u.UserArn))
	}
	weak := createUserInput(tn.boot.InstanceID, "weak", ids["Agent"])
	weak.Password = aws.String("Password123!")
	noProfile := createUserInput(tn.boot.InstanceID, "ghost", "00000000-0000-4000-8000-000000000000")
	badPhone := createUserInput(tn.boot.InstanceID, "desk", ids["Agent"])
	badPhone.PhoneConfig = &types.UserPhoneConfig{PhoneType: types.PhoneTypeDeskPhone}
	for _, tc := range []struct {
		name string
		in   *connect.CreateUserInput
		code string
	}{
		{"common password", weak, "InvalidParameterException"},
		{"unknown profile", noProfile, "ResourceNotFoundException"},
		{"desk phone without a number", badPhone, "InvalidParameterException"},
		{"username taken in another case", createUserInput(tn.boot.InstanceID, "JDoe", ids["Agent"]), "DuplicateResourceException"},
	} {
		_, err := c.CreateUser(ctx, tc.in)
		if err == nil {
			t.Errorf("%s: CreateUser succeeded", tc.name)
			continue
		}
		wantAPIError(t, err, tc.code)
	}
	du, err := c.DescribeUser(ctx, &connect.DescribeUserInput{InstanceId: inst, UserId: u.UserId})
	if err != nil {
		t.Fatalf("DescribeUser: %v", err)
	}
	want := []string{ids["Agent"], aws.ToString(sp.SecurityProfileId)}
	slices.Sort(want)
	if usr := du.User; aws.ToString(usr.Username) != "jdoe" || aws.ToString(usr.IdentityInfo.FirstName) != "Jane" ||
		aws.ToString(usr.IdentityInfo.Email) != "jane@example.com" || usr.PhoneConfig.PhoneType != types.PhoneTypeSoftPhone ||
		usr.PhoneConfig.AfterContactWorkTimeLimit != 30 || !slices.Equal(usr.SecurityProfileIds, want) ||
		aws.ToString(usr.RoutingProfileId) != provision.BasicRoutingProfileID(tn.boot.InstanceID) || usr.Tags["team"] != "blue" ||
		usr.LastModifiedTime == nil || aws.ToString(usr.LastModifiedRegion) != "us-east-1" {
		t.Errorf("DescribeUser = %+v", usr)
	}

	// Updates.
	if _, err := c.UpdateUserIdentityInfo(ctx, &connect.UpdateUserIdentityInfoInput{InstanceId: inst, UserId: u.UserId,
		IdentityInfo: &types.UserIdentityInfo{FirstName: aws.String("Janet"), LastName: aws.String("Roe"), Mobile: aws.String("+14155550100")}}); err != nil {
		t.Fatalf("UpdateUserIdentityInfo: %v", err)
	}
	if _, err := c.UpdateUserPhoneConfig(ctx, &connect.UpdateUserPhoneConfigInput{InstanceId: inst, UserId: u.UserId,
		PhoneConfig: &types.UserPhoneConfig{PhoneType: types.PhoneTypeDeskPhone, DeskPhoneNumber: aws.String("+14155550101"), AutoAccept: true}}); err != nil {
		t.Fatalf("UpdateUserPhoneConfig: %v", err)
	}
	_, err = c.UpdateUserRoutingProfile(ctx, &connect.UpdateUserRoutingProfileInput{InstanceId: inst, UserId: u.UserId,
		RoutingProfileId: aws.String("11111111-2222-4333-8444-555555555555")})
	wantAPIError(t, err, "ResourceNotFoundException")
	if _, err := c.UpdateUserRoutingProfile(ctx, &connect.UpdateUserRoutingProfileInput{InstanceId: inst, UserId: u.UserId,
		RoutingProfileId: aws.String(provision.BasicRoutingProfileID(*inst))}); err != nil {
		t.Fatalf("UpdateUserRoutingProfile: %v", err)
	}
	_, err = c.UpdateUserSecurityProfiles(ctx, &connect.UpdateUserSecurityProfilesInput{InstanceId: inst, UserId: u.UserId, SecurityProfileIds: []string{"00000000-0000-4000-8000-000000000000"}})
	wantAPIError(t, err, "ResourceNotFoundException")
	if _, err := c.UpdateUserSecurityProfiles(ctx, &connect.UpdateUserSecurityProfilesInput{InstanceId: inst, UserId: u.UserId,
		SecurityProfileIds: []string{aws.ToString(sp.SecurityProfileId)}}); err != nil {
		t.Fatalf("UpdateUserSecurityProfiles: %v", err)
	}
	du, _ = c.DescribeUser(ctx, &connect.DescribeUserInput{InstanceId: inst, UserId: u.UserId})
	if usr := du.User; aws.ToString(usr.IdentityInfo.FirstName) != "Janet" || aws.ToString(usr.IdentityInfo.Email) != "" ||
		usr.PhoneConfig.PhoneType != types.PhoneTypeDeskPhone || !usr.PhoneConfig.AutoAccept ||
		aws.ToString(usr.RoutingProfileId) != provision.BasicRoutingProfileID(*inst) ||
		!slices.Equal(usr.SecurityProfileIds, []string{aws.ToString(sp.SecurityProfileId)}) {
		t.Errorf("DescribeUser after updates = %+v", usr)
	}

	// Listing and searching.
	for _, name := range []string{"agent.alpha", "agent.beta", "Supervisor.Gamma"} {
		in := createUserInput(tn.boot.InstanceID, name, ids["Agent"])
		in.IdentityInfo.LastName = aws.String(strings.ToUpper(name[:1]) + "lpha")
		if _, err := c.CreateUser(ctx, in); err != nil {
			t.Fatalf("CreateUser %s: %v", name, err)
		}
	}
	var listed []string
	lp := connect.NewListUsersPaginator(c, &connect.ListUsersInput{InstanceId: inst, MaxResults: aws.Int32(2)})
	for lp.HasMorePages() {
		page, err := lp.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListUsers: %v", err)
		}
		for _, s := range page.UserSummaryList {
			listed = append(listed, aws.ToString(s.Username))
		}
	}
	slices.Sort(listed)
	if want := []string{"Supervisor.Gamma", "admin", "agent.alpha", "agent.beta", "jdoe"}; !slices.Equal(listed, want) {
		t.Errorf("ListUsers = %v, want %v", listed, want)
	}
	str := func(field, value string, cmp types.StringComparisonType) types.UserSearchCriteria {
		return types.UserSearchCriteria{StringCondition: &types.StringCondition{FieldName: aws.String(field), Value: aws.String(value), ComparisonType: cmp}}
	}
	search := func(crit *types.UserSearchCriteria, pageSize int32) ([]string, int64) {
		t.Helper()
		var names []string
		var total int64
		sp := connect.NewSearchUsersPaginator(c, &connect.SearchUsersInput{InstanceId: inst, SearchCriteria: crit, MaxResults: aws.Int32(pageSize)})
		for sp.HasMorePages() {
			page, err := sp.NextPage(ctx)
			if err != nil {
				t.Fatalf("SearchUsers: %v", err)
			}
			total = aws.ToInt64(page.ApproximateTotalCount)
			for _, u := range page.Users {
				names = append(names, aws.ToString(u.Username))
			}
		}
		slices.Sort(names)
		return names, total
	}
	agentPrefix := str("Username", "AGENT.", types.StringComparisonTypeStartsWith)
	byID := str("ResourceId", aws.ToString(u.UserId), types.StringComparisonTypeExact)
	for _, tc := range []struct {
		name  string
		crit  *types.UserSearchCriteria
		want  []string
		total int64
	}{
		{"no criteria", nil, []string{"Supervisor.Gamma", "admin", "agent.alpha", "agent.beta", "jdoe"}, 5},
		{"username prefix, any case", &agentPrefix, []string{"agent.alpha", "agent.beta"}, 2},
		{"exact ID", &byID, []string{"jdoe"}, 1},
		{"or", &types.UserSearchCriteria{OrConditions: []types.UserSearchCriteria{byID, str("Username", "gamma", types.StringComparisonTypeContains)}},
			[]string{"Supervisor.Gamma", "jdoe"}, 2},
		{"and", &types.UserSearchCriteria{AndConditions: []types.UserSearchCriteria{agentPrefix, str("Username", "beta", types.StringComparisonTypeContains)}},
			[]string{"agent.beta"}, 1},
		{"first name", func() *types.UserSearchCriteria {
			c := str("FirstName", "jan", types.StringComparisonTypeStartsWith)
			return &c
		}(),
			[]string{"Supervisor.Gamma", "agent.alpha", "agent.beta", "jdoe"}, 4},
	} {
		t.Run("SearchUsers "+tc.name, func(t *testing.T) {
			got, total := search(tc.crit, 1)
			if !slices.Equal(got, tc.want) || total != tc.total {
				t.Errorf("SearchUsers = %v (total %d), want %v (total %d)", got, total, tc.want, tc.total)
			}
		})
	}
	_, err = c.SearchUsers(ctx, &connect.SearchUsersInput{InstanceId: inst, SearchCriteria: &types.UserSearchCriteria{
		StringCondition: &types.StringCondition{FieldName: aws.String("Password"), Value: aws.String("x"), ComparisonType: types.StringComparisonTypeExact}}})
	wantAPIError(t, err, "InvalidParameterException")

	// A held profile cannot be deleted; DeleteUser revokes the user's keys.
	_, err = c.DeleteSecurityProfile(ctx, &connect.DeleteSecurityProfileInput{InstanceId: inst, SecurityProfileId: sp.SecurityProfileId})
	wantAPIError(t, err, "ResourceInUseException")
	keyID, keySecret := tn.userKey(t, tn.boot.InstanceID, "jdoe")
	if _, err := tn.sdkAs(keyID, keySecret).DescribeUser(ctx, &connect.DescribeUserInput{InstanceId: inst, UserId: u.UserId}); err != nil {
		t.Fatalf("DescribeUser with the user's own key: %v", err)
	}
	if _, err := c.DeleteUser(ctx, &connect.DeleteUserInput{InstanceId: inst, UserId: u.UserId}); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	_, err = tn.sdkAs(keyID, keySecret).DescribeUser(ctx, &connect.DescribeUserInput{InstanceId: inst, UserId: u.UserId})
	wantAPIError(t, err, "UnrecognizedClientException")
	_, err = c.DescribeUser(ctx, &connect.DescribeUserInput{InstanceId: inst, UserId: u.UserId})
	wantAPIError(t, err, "ResourceNotFoundException")
	_, err = c.DeleteUser(ctx, &connect.DeleteUserInput{InstanceId: inst, UserId: u.UserId})
	wantAPIError(t, err, "ResourceNotFoundException")
	_, err = c.DeleteUser(ctx, &connect.DeleteUserInput{InstanceId: inst, UserId: aws.String("00000000-0000-4000-8000-000000000000")})
	wantAPIError(t, err, "ResourceNotFoundException")
	if _, err := c.DeleteSecurityProfile(ctx, &connect.DeleteSecurityProfileInput{InstanceId: inst, SecurityProfileId: sp.SecurityProfileId}); err != nil {
		t.Fatalf("DeleteSecurityProfile once unused: %v", err)
	}
	_, err = c.DescribeSecurityProfile(ctx, &connect.DescribeSecurityProfileInput{InstanceId: inst, SecurityProfileId: sp.SecurityProfileId})
	wantAPIError(t, err, "ResourceNotFoundException")
}

// awsRunKey runs `aws connect ARGS` against the node signing with the given key.
func awsRunKey(t *testing.T, bin string, tn *testNode, keyID, secret string, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command(bin, append(append([]string{"connect"}, args...), "--endpoint-url", tn.endpoint, "--output", "json")...)
	cmd.Env = []string{
		"AWS_ACCESS_KEY_ID=" + keyID, "AWS_SECRET_ACCESS_KEY=" + secret,
		"AWS_DEFAULT_REGION=us-east-1", "AWS_CA_BUNDLE=" + tn.caPath, "HOME=" + t.TempDir(),
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_MAX_ATTEMPTS=1",
		"PATH=" + os.Getenv("PATH"),
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return stderr.Bytes(), err
	}
	return out, nil
}

func TestAWSCLIUserKey(t *testing.T) {
	bin := awsCLI(t)
	tn := startNode(t)
	inst := tn.boot.InstanceID
	ids := profileIDs(t, tn.sdk(tn.boot.SecretAccessKey.Reveal()), inst)
	out, err := awsRun(t, bin, tn, "create-user", "--instance-id", inst, "--username", "cli.agent",
		"--password", testPassword, "--identity-info", "FirstName=Cli,LastName=Agent",
		"--phone-config", "PhoneType=SOFT_PHONE,AfterContactWorkTimeLimit=0",
		"--security-profile-ids", ids["Agent"], "--routing-profile-id", provision.BasicRoutingProfileID(inst))
	if err != nil {
		t.Fatalf("create-user: %v: %s", err, out)
	}
	var created struct{ UserId, UserArn string }
	if err := json.Unmarshal(out, &created); err != nil || created.UserId == "" {
		t.Fatalf("create-user output %s: %v", out, err)
	}
	keyID, secret := tn.userKey(t, inst, "cli.agent")

	out, err = awsRunKey(t, bin, tn, keyID, secret, "describe-user", "--instance-id", inst, "--user-id", created.UserId)
	if err != nil {
		t.Fatalf("describe-user of itself: %v: %s", err, out)
	}
	var desc struct {
		User struct {
			Username           string
			SecurityProfileIds []string
		}
	}
	if err := json.Unmarshal(out, &desc); err != nil || desc.User.Username != "cli.agent" || !slices.Equal(desc.User.SecurityProfileIds, []string{ids["Agent"]}) {
		t.Errorf("describe-user = %s (%v)", out, err)
	}
	out, err = awsRunKey(t, bin, tn, keyID, secret, "create-user", "--instance-id", inst, "--username", "sneaky",
		"--password", testPassword, "--identity-info", "FirstName=Sne,LastName=Aky",
		"--phone-config", "PhoneType=SOFT_PHONE,AfterContactWorkTimeLimit=0",
		"--security-profile-ids", ids["Admin"], "--routing-profile-id", provision.BasicRoutingProfileID(inst))
	if err == nil || !strings.Contains(string(out), "AccessDeniedException") {
		t.Fatalf("create-user with an Agent key: err=%v output=%s; want AccessDeniedException", err, out)
	}
	// The refusal is audited, naming the user and the missing permission.
	found := false
	err = tn.n.Store.ScanAudit(context.Background(), 0, func(r audit.Record) error {
		var ev audit.Event
		if err := json.Unmarshal(r.Body, &ev); err != nil {
			return err
		}
		if ev.Operation == "CreateUser" && ev.Outcome == audit.OutcomeFailure && ev.ErrorCode == "AccessDeniedException" &&
			strings.Contains(ev.Actor, created.UserId) && ev.InstanceID == inst && ev.Details["authz_permissions"] == "Users.Create" {
			found = true
		}
		return nil
	})
	if err != nil || !found {
		t.Errorf("no audit event for the refused create-user (scan error %v)", err)
	}
	// Nothing was created.
	if _, err := awsRun(t, bin, tn, "describe-user", "--instance-id", inst, "--user-id", "sneaky"); err == nil {
		t.Error("the refused user exists")
	}
}

// route is one users / security-profiles operation as a raw request.
type route struct {
	op, method, path, body string
}

// userRoutes lists every users and security-profiles route for instance inst, user user and
// profile profile.
func userRoutes(inst, user, profile string) []route {
	createUser := fmt.Sprintf(`{"Username":"probe","Password":%q,"IdentityInfo":{"FirstName":"P","LastName":"Q"},"PhoneConfig":{"PhoneType":"SOFT_PHONE"},"SecurityProfileIds":[%q],"RoutingProfileId":%q}`,
		testPassword, profile, provision.BasicRoutingProfileID(inst))
	return []route{
		{"CreateUser", "PUT", "/users/" + inst, createUser},
		{"DescribeUser", "GET", "/users/" + inst + "/" + user, ""},
		{"ListUsers", "GET", "/users-summary/" + inst, ""},
		{"SearchUsers", "POST", "/search-users", fmt.Sprintf(`{"InstanceId":%q}`, inst)},
		{"UpdateUserIdentityInfo", "POST", "/users/" + inst + "/" + user + "/identity-info", `{"IdentityInfo":{"FirstName":"X","LastName":"Y"}}`},
		{"UpdateUserSecurityProfiles", "POST", "/users/" + inst + "/" + user + "/security-profiles", fmt.Sprintf(`{"SecurityProfileIds":[%q]}`, profile)},
		{"UpdateUserRoutingProfile", "POST", "/users/" + inst + "/" + user + "/routing-profile", `{"RoutingProfileId":"11111111-2222-4333-8444-555555555555"}`},
		{"UpdateUserPhoneConfig", "POST", "/users/" + inst + "/" + user + "/phone-config", `{"PhoneConfig":{"PhoneType":"SOFT_PHONE"}}`},
		{"DeleteUser", "DELETE", "/users/" + inst + "/" + user, ""},
		{"CreateSecurityProfile", "PUT", "/security-profiles/" + inst, `{"SecurityProfileName":"Probe","Permissions":["Users.View"]}`},
		{"DescribeSecurityProfile", "GET", "/security-profiles/" + inst + "/" + profile, ""},
		{"ListSecurityProfiles", "GET", "/security-profiles-summary/" + inst, ""},
		{"ListSecurityProfilePermissions", "GET", "/security-profiles-permissions/" + inst + "/" + profile, ""},
		{"UpdateSecurityProfile", "POST", "/security-profiles/" + inst + "/" + profile, `{"Description":"probed"}`},
		{"DeleteSecurityProfile", "DELETE", "/security-profiles/" + inst + "/" + profile, ""},
	}
}

// do sends a request signed with the given key and returns status, error type and body.
func (tn *testNode) do(t *testing.T, keyID, secret string, r route) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(r.method, tn.endpoint+r.path, strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	sum := sha256Hex(r.body)
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
	return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), string(b)
}

// twoInstances starts a node with instance A (bootstrap, with admin) and instance B holding a
// user "b.agent" and a profile "B Secret Profile".
func twoInstances(t *testing.T) (tn *testNode, instB, userB, profileB string) {
	t.Helper()
	tn = startNode(t)
	ctx := context.Background()
	c := tn.sdk(tn.boot.SecretAccessKey.Reveal())
	b, err := c.CreateInstance(ctx, &connect.CreateInstanceInput{IdentityManagementType: types.DirectoryTypeConnectManaged,
		InstanceAlias: aws.String("tenant-b"), InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	instB = aws.ToString(b.Id)
	sp, err := c.CreateSecurityProfile(ctx, &connect.CreateSecurityProfileInput{InstanceId: b.Id, SecurityProfileName: aws.String("B Secret Profile"),
		Permissions: []string{"Users.View"}})
	if err != nil {
		t.Fatal(err)
	}
	u, err := c.CreateUser(ctx, createUserInput(instB, "b.agent", aws.ToString(sp.SecurityProfileId)))
	if err != nil {
		t.Fatal(err)
	}
	return tn, instB, aws.ToString(u.UserId), aws.ToString(sp.SecurityProfileId)
}

func TestUsersTenantIsolation(t *testing.T) {
	tn, instB, userB, profileB := twoInstances(t)
	instA := tn.boot.InstanceID
	keyID, secret := tn.userKey(t, instA, "admin") // instance A's administrator
	// Sanity: the key works in its own instance.
	if code, typ, body := tn.do(t, keyID, secret, route{"ListUsers", "GET", "/users-summary/" + instA, ""}); code != 200 {
		t.Fatalf("admin of A lists A's users: %d %s %s", code, typ, body)
	}
	// Every route of instance B, and every route of instance A that names B's user or
	// profile (CreateUser names B's profile in its body).
	routes := userRoutes(instB, userB, profileB)
	for _, r := range userRoutes(instA, userB, profileB) {
		if strings.Contains(r.path+r.body, userB) || strings.Contains(r.path+r.body, profileB) {
			routes = append(routes, r)
		}
	}
	if len(routes) != 15+11 {
		t.Fatalf("%d routes probed, want 26", len(routes))
	}
	for _, r := range routes {
		t.Run(r.op+" "+r.path, func(t *testing.T) {
			code, typ, body := tn.do(t, keyID, secret, r)
			if code != 404 || typ != "ResourceNotFoundException" {
				t.Errorf("got %d %s %s; want 404 ResourceNotFoundException", code, typ, body)
			}
			for _, secretText := range []string{"b.agent", "B Secret Profile", "Users.View"} {
				if strings.Contains(body, secretText) {
					t.Errorf("response %s leaks %q", body, secretText)
				}
			}
		})
	}
	// Nothing of B changed.
	c := tn.sdk(tn.boot.SecretAccessKey.Reveal())
	du, err := c.DescribeUser(context.Background(), &connect.DescribeUserInput{InstanceId: aws.String(instB), UserId: aws.String(userB)})
	if err != nil || aws.ToString(du.User.IdentityInfo.FirstName) != "Jane" {
		t.Errorf("instance B's user after the probes = %+v, %v", du, err)
	}
}

func TestAgentKeyDeniedAdministration(t *testing.T) {
	tn := startNode(t)
	inst := tn.boot.InstanceID
	c := tn.sdk(tn.boot.SecretAccessKey.Reveal())
	ids := profileIDs(t, c, inst)
	agent, err := c.CreateUser(context.Background(), createUserInput(inst, "agent.only", ids["Agent"]))
	if err != nil {
		t.Fatal(err)
	}
	other, err := c.CreateUser(context.Background(), createUserInput(inst, "someone.else", ids["Agent"]))
	if err != nil {
		t.Fatal(err)
	}
	keyID, secret := tn.userKey(t, inst, "agent.only")
	for _, r := range userRoutes(inst, aws.ToString(other.UserId), ids["Agent"]) {
		t.Run(r.op, func(t *testing.T) {
			code, typ, body := tn.do(t, keyID, secret, r)
			if code != 403 || typ != "AccessDeniedException" {
				t.Errorf("got %d %s %s; want 403 AccessDeniedException", code, typ, body)
			}
		})
	}
	// Its own record is the one exception, and only for reading.
	self := userRoutes(inst, aws.ToString(agent.UserId), ids["Agent"])
	for _, r := range self {
		code, typ, _ := tn.do(t, keyID, secret, r)
		switch {
		case r.op == "DescribeUser" && code != 200:
			t.Errorf("DescribeUser of itself = %d %s, want 200", code, typ)
		case r.op != "DescribeUser" && typ != "AccessDeniedException":
			t.Errorf("%s on itself = %d %s, want AccessDeniedException", r.op, code, typ)
		}
	}
	// The administrator of the instance may do all of it.
	adminID, adminSecret := tn.userKey(t, inst, "admin")
	if code, typ, body := tn.do(t, adminID, adminSecret, userRoutes(inst, aws.ToString(other.UserId), ids["Agent"])[4]); code != 200 {
		t.Errorf("admin UpdateUserIdentityInfo = %d %s %s", code, typ, body)
	}
	if !identity.RequiresMFA([]identity.SecurityProfile{{Permissions: identity.DefaultSecurityProfiles()[0].Permissions}}) {
		t.Error("the Admin profile does not require MFA")
	}
}

func TestBootstrapAdminAndDemoUsers(t *testing.T) {
	tn := startNode(t)
	ctx := context.Background()
	if tn.boot.AdminUsername != "admin" || len(tn.boot.AdminPassword.Reveal()) < identity.MinPasswordLength {
		t.Fatalf("bootstrap admin = %q, password of %d characters", tn.boot.AdminUsername, len(tn.boot.AdminPassword.Reveal()))
	}
	again, err := tn.n.Bootstrap(ctx, "demo")
	if err != nil || again.AdminUsername != "" || again.AdminPassword.Reveal() != "" {
		t.Errorf("second bootstrap admin = %q, %v; want none", again.AdminUsername, err)
	}
	people, err := tn.n.SeedDemoUsers(ctx, tn.boot.InstanceID)
	if err != nil || len(people) != 3 {
		t.Fatalf("SeedDemoUsers = %v, %v", people, err)
	}
	if again, err := tn.n.SeedDemoUsers(ctx, tn.boot.InstanceID); err != nil || len(again) != 0 {
		t.Errorf("second SeedDemoUsers = %d users, %v; want none", len(again), err)
	}
	// The stored users sign in with the printed passwords, and the admin must enrol MFA.
	st := storeIdentity(tn)
	auth, err := identity.NewAuthenticator(identity.AuthenticatorConfig{Users: st, Credentials: st, Attempts: st})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := auth.Authenticate(ctx, tn.boot.InstanceID, "admin", tn.boot.AdminPassword, localhost)
	if err != nil || !admin.MFAEnrollmentRequired {
		t.Errorf("admin sign-in = %+v, %v; want success with MFA enrolment due", admin.Username, err)
	}
	wantProfile := map[string]string{"agent1": "Agent", "agent2": "Agent", "supervisor": "CallCenterManager"}
	c := tn.sdk(tn.boot.SecretAccessKey.Reveal())
	ids := profileIDs(t, c, tn.boot.InstanceID)
	for _, p := range people {
		u, err := auth.Authenticate(ctx, tn.boot.InstanceID, p.Username, p.Password, localhost)
		if err != nil {
			t.Errorf("%s sign-in: %v", p.Username, err)
			continue
		}
		if p.MFAEnrollmentRequired != (p.Username == "supervisor") || u.MFAEnrollmentRequired != p.MFAEnrollmentRequired {
			t.Errorf("%s MFA enrolment due = %v (stored %v); want it for the supervisor only", p.Username, p.MFAEnrollmentRequired, u.MFAEnrollmentRequired)
		}
		if p.SecurityProfile != wantProfile[p.Username] || !slices.Equal(u.SecurityProfileIDs, []string{ids[wantProfile[p.Username]]}) {
			t.Errorf("%s holds %v (%s), want %s", p.Username, u.SecurityProfileIDs, p.SecurityProfile, wantProfile[p.Username])
		}
	}
	if _, err := auth.Authenticate(ctx, tn.boot.InstanceID, "agent1", tn.boot.AdminPassword, localhost); err == nil {
		t.Error("agent1 signed in with the admin's password")
	}
}
