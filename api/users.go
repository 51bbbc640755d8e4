package api

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/store"
)

// userOperations are the user operations of the Amazon Connect API Reference (2017-08-08):
// CreateUser, DescribeUser, ListUsers, SearchUsers, UpdateUserIdentityInfo,
// UpdateUserSecurityProfiles, UpdateUserRoutingProfile, UpdateUserPhoneConfig, DeleteUser.
func userOperations() []operation {
	return []operation{
		{name: "CreateUser", pattern: "PUT /users/{InstanceId}", handle: (*Server).createUser},
		{name: "DescribeUser", pattern: "GET /users/{InstanceId}/{UserId}", handle: (*Server).describeUser},
		{name: "ListUsers", pattern: "GET /users-summary/{InstanceId}", handle: (*Server).listUsers},
		{name: "SearchUsers", pattern: "POST /search-users", handle: (*Server).searchUsers, bodyInstance: true},
		{name: "UpdateUserIdentityInfo", pattern: "POST /users/{InstanceId}/{UserId}/identity-info", handle: (*Server).updateUserIdentityInfo},
		{name: "UpdateUserSecurityProfiles", pattern: "POST /users/{InstanceId}/{UserId}/security-profiles", handle: (*Server).updateUserSecurityProfiles},
		{name: "UpdateUserRoutingProfile", pattern: "POST /users/{InstanceId}/{UserId}/routing-profile", handle: (*Server).updateUserRoutingProfile},
		{name: "UpdateUserPhoneConfig", pattern: "POST /users/{InstanceId}/{UserId}/phone-config", handle: (*Server).updateUserPhoneConfig},
		{name: "DeleteUser", pattern: "DELETE /users/{InstanceId}/{UserId}", handle: (*Server).deleteUser},
	}
}

// identityInfoJSON is Connect's UserIdentityInfo.
type identityInfoJSON struct {
	FirstName      string `json:"FirstName,omitempty"`
	LastName       string `json:"LastName,omitempty"`
	Email          string `json:"Email,omitempty"`
	SecondaryEmail string `json:"SecondaryEmail,omitempty"`
	Mobile         string `json:"Mobile,omitempty"`
}

func (j identityInfoJSON) info() identity.IdentityInfo {
	return identity.IdentityInfo{FirstName: j.FirstName, LastName: j.LastName, Email: j.Email, SecondaryEmail: j.SecondaryEmail, Mobile: j.Mobile}
}

// phoneConfigJSON is Connect's UserPhoneConfig.
type phoneConfigJSON struct {
	PhoneType                 string `json:"PhoneType"`
	AutoAccept                bool   `json:"AutoAccept"`
	AfterContactWorkTimeLimit int    `json:"AfterContactWorkTimeLimit"`
	DeskPhoneNumber           string `json:"DeskPhoneNumber,omitempty"`
}

func (j phoneConfigJSON) config() identity.PhoneConfig {
	return identity.PhoneConfig{PhoneType: identity.PhoneType(j.PhoneType), AutoAccept: j.AutoAccept,
		AfterContactWorkTimeLimit: j.AfterContactWorkTimeLimit, DeskPhoneNumber: j.DeskPhoneNumber}
}

func phoneJSON(p identity.PhoneConfig) phoneConfigJSON {
	return phoneConfigJSON{PhoneType: string(p.PhoneType), AutoAccept: p.AutoAccept,
		AfterContactWorkTimeLimit: p.AfterContactWorkTimeLimit, DeskPhoneNumber: p.DeskPhoneNumber}
}

// userARN is arn:aws:connect:{region}:{account}:instance/{instance}/agent/{id}.
func (s *Server) userARN(inst, id string) string {
	return identity.UserARN("aws", s.cfg.Region, s.cfg.AccountID, inst, id)
}

// childID reduces a path or body reference to a resource of the instance (a bare ID, or an
// ARN arn:aws:connect:{region}:{account}:instance/{inst}/{segment}/{id}) to the ID. An ARN of
// another instance, account or region yields "" (nothing of this instance has that ID).
func (s *Server) childID(inst, segment, ref string) string {
	if !strings.HasPrefix(ref, "arn:") {
		return ref
	}
	id, ok := strings.CutPrefix(ref, instance.ARN(s.cfg.Region, s.cfg.AccountID, inst)+"/"+segment+"/")
	if !ok || strings.Contains(id, "/") {
		return ""
	}
	return id
}

// pathUserID returns the {UserId} path value of r reduced to an ID of instance inst ("" when
// the path has none).
func (s *Server) pathUserID(r *http.Request, inst string) string {
	return s.childID(inst, "agent", r.PathValue("UserId"))
}

// userID reads the {UserId} path value and names the user in the audit event.
func (s *Server) userID(c *call, inst string) string {
	raw := c.r.PathValue("UserId")
	id := s.childID(inst, "agent", raw)
	if id == "" {
		id = truncate(raw, 100)
	}
	c.ev.Resource = s.userARN(inst, id)
	return id
}

// validResourceID checks a reference to another resource (routing profile, hierarchy group):
// 1–100 characters of letters, digits and "-" (Connect's IDs are UUIDs).
func validResourceID(field, id string) error {
	if id == "" || len(id) > 100 || strings.Trim(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != "" {
		return apierr.InvalidParameter(field + " must be a resource ID (1-100 letters, digits and hyphens)")
	}
	return nil
}

// profileIDs reduces SecurityProfileIds members (IDs or ARNs of the instance), sorted.
func (s *Server) profileIDs(inst string, refs []string) []string {
	out := make([]string, 0, len(refs))
	for _, r := range refs {
		id := s.childID(inst, "security-profile", r)
		if id == "" {
			id = truncate(r, 100)
		}
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

type createUserInput struct {
	Username           string            `json:"Username"`
	Password           *string           `json:"Password"`
	IdentityInfo       *identityInfoJSON `json:"IdentityInfo"`
	PhoneConfig        *phoneConfigJSON  `json:"PhoneConfig"`
	DirectoryUserId    string            `json:"DirectoryUserId"`
	SecurityProfileIds []string          `json:"SecurityProfileIds"`
	RoutingProfileId   string            `json:"RoutingProfileId"`
	HierarchyGroupId   string            `json:"HierarchyGroupId"`
	Tags               map[string]string `json:"Tags"`
}

// createUser implements CreateUser (PUT /users/{InstanceId}). For a CONNECT_MANAGED instance
// the Password is required and must pass identity.PasswordPolicy (12 to 128 characters, not
// a common or guessable password; NIST SP 800-63B, so Connect's composition rule is not
// applied); it is stored only as an argon2id hash. Other identity management types refuse a
// password, as Connect does. The user must re-enrol MFA at first sign-in when its profiles
// require MFA (identity.RequiresMFA).
func (s *Server) createUser(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	var in createUserInput
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	now := s.cfg.Now().UTC().Truncate(1e6)
	u := identity.User{
		ID: NewID(), InstanceID: inst, Username: in.Username,
		PhoneConfig:        identity.PhoneConfig{PhoneType: identity.PhoneTypeSoftPhone},
		SecurityProfileIDs: s.profileIDs(inst, in.SecurityProfileIds), RoutingProfileID: s.childID(inst, "routing-profile", in.RoutingProfileId),
		HierarchyGroupID: s.childID(inst, "agent-group", in.HierarchyGroupId), Tags: in.Tags, CreatedTime: now, LastModifiedTime: now,
	}
	if in.IdentityInfo != nil {
		u.IdentityInfo = in.IdentityInfo.info()
	}
	if in.PhoneConfig != nil {
		u.PhoneConfig = in.PhoneConfig.config()
	}
	if u.Tags == nil {
		u.Tags = map[string]string{}
	}
	if err := u.Validate(); err != nil {
		return nil, err
	}
	if err := validResourceID("RoutingProfileId", u.RoutingProfileID); err != nil {
		return nil, err
	}
	if in.HierarchyGroupId != "" {
		if err := validResourceID("HierarchyGroupId", u.HierarchyGroupID); err != nil {
			return nil, err
		}
	}
	c.ev.Resource = s.userARN(inst, u.ID)
	hash := ""
	if in.Password != nil {
		pw := secret.New(*in.Password)
		in.Password = nil
		if err := s.policy.CheckPassword(pw, in.Username); err != nil {
			return nil, err
		}
		// Hash before the transaction: argon2id takes tens of milliseconds and the store's
		// writer must stay quick.
		if hash, err = s.hasher.HashPassword(c.ctx, pw); err != nil {
			return nil, fmt.Errorf("create user: %w", err)
		}
	}
	err = c.update(s, func(ctx context.Context, tx store.Tx) error {
		rec, err := tx.GetInstance(ctx, inst)
		if err != nil {
			return err
		}
		if err := store.CheckPasswordAllowed(rec, hash != ""); err != nil {
			return err
		}
		_, err = store.CreateUser(ctx, tx, u, hash)
		return err
	})
	if err != nil {
		return nil, err
	}
	return map[string]string{"UserId": u.ID, "UserArn": s.userARN(inst, u.ID)}, nil
}

// userJSON is Connect's User (DescribeUser).
type userJSON struct {
	Id                 string            `json:"Id"`
	Arn                string            `json:"Arn"`
	Username           string            `json:"Username"`
	IdentityInfo       identityInfoJSON  `json:"IdentityInfo"`
	PhoneConfig        phoneConfigJSON   `json:"PhoneConfig"`
	SecurityProfileIds []string          `json:"SecurityProfileIds"`
	RoutingProfileId   string            `json:"RoutingProfileId"`
	HierarchyGroupId   string            `json:"HierarchyGroupId,omitempty"`
	Tags               map[string]string `json:"Tags"`
	LastModifiedTime   float64           `json:"LastModifiedTime"`
	LastModifiedRegion string            `json:"LastModifiedRegion"`
}

func (s *Server) userJSON(u identity.User) userJSON {
	ii := u.IdentityInfo
	return userJSON{
		Id: u.ID, Arn: s.userARN(u.InstanceID, u.ID), Username: u.Username,
		IdentityInfo:       identityInfoJSON{FirstName: ii.FirstName, LastName: ii.LastName, Email: ii.Email, SecondaryEmail: ii.SecondaryEmail, Mobile: ii.Mobile},
		PhoneConfig:        phoneJSON(u.PhoneConfig),
		SecurityProfileIds: nonNilStrings(u.SecurityProfileIDs), RoutingProfileId: u.RoutingProfileID, HierarchyGroupId: u.HierarchyGroupID,
		Tags: u.Tags, LastModifiedTime: epoch(u.LastModifiedTime.UnixMilli()), LastModifiedRegion: s.cfg.Region,
	}
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// epoch turns Unix milliseconds into the fractional epoch seconds restJson1 timestamps carry.
func epoch(msec int64) float64 { return float64(msec) / 1000 }

// describeUser implements DescribeUser (GET /users/{InstanceId}/{UserId}). A user may
// describe itself without Users.View (identity.EvaluateOn).
func (s *Server) describeUser(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	id := s.userID(c, inst)
	var u identity.User
	err = c.view(s, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetInstance(ctx, inst); err != nil {
			return err
		}
		u, err = tx.GetUser(ctx, inst, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"User": s.userJSON(u)}, nil
}

// pageParams reads maxResults (1 to max, default def) and nextToken (base64url of
// prefix+cursor) from the query string.
func pageParams(c *call, prefix string, def, max int) (limit int, after string, err error) {
	q := c.r.URL.Query()
	limit = def
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > max {
			return 0, "", apierr.InvalidParameter(fmt.Sprintf("maxResults must be an integer from 1 to %d", max))
		}
		limit = n
	}
	after, err = decodeToken(q.Get("nextToken"), prefix)
	return limit, after, err
}

// decodeToken returns the cursor inside a NextToken made by encodeToken ("" for no token).
func decodeToken(tok, prefix string) (string, error) {
	if tok == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	cursor, ok := strings.CutPrefix(string(b), prefix)
	if err != nil || !ok || cursor == "" {
		return "", apierr.InvalidParameter("nextToken is not valid")
	}
	return cursor, nil
}

// encodeToken makes an opaque NextToken: base64url of prefix and the cursor.
func encodeToken(prefix, cursor string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(prefix + cursor))
}

// listUsers implements ListUsers (GET /users-summary/{InstanceId}?maxResults=&nextToken=),
// maxResults 1–1000 (default 100), users in ID order.
func (s *Server) listUsers(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	limit, after, err := pageParams(c, "user:", 100, 1000)
	if err != nil {
		return nil, err
	}
	var page []identity.User
	err = c.view(s, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetInstance(ctx, inst); err != nil {
			return err
		}
		page, err = tx.ListUsers(ctx, inst, after, limit+1)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	if len(page) > limit {
		page = page[:limit]
		out["NextToken"] = encodeToken("user:", page[limit-1].ID)
	}
	items := []map[string]any{}
	for _, u := range page {
		items = append(items, map[string]any{"Id": u.ID, "Arn": s.userARN(inst, u.ID), "Username": u.Username,
			"LastModifiedTime": epoch(u.LastModifiedTime.UnixMilli()), "LastModifiedRegion": s.cfg.Region})
	}
	out["UserSummaryList"] = items
	return out, nil
}

// userSearchCriteria is Connect's UserSearchCriteria. Ringfence supports a StringCondition,
// or AndConditions / OrConditions whose members are StringConditions (one level);
// HierarchyGroupCondition and ListCondition are refused.
type userSearchCriteria struct {
	OrConditions            []userSearchCriteria `json:"OrConditions"`
	AndConditions           []userSearchCriteria `json:"AndConditions"`
	StringCondition         *stringCondition     `json:"StringCondition"`
	HierarchyGroupCondition *struct{}            `json:"HierarchyGroupCondition"`
	ListCondition           *struct{}            `json:"ListCondition"`
}

// stringCondition is Connect's StringCondition.
type stringCondition struct {
	FieldName      string `json:"FieldName"`
	Value          string `json:"Value"`
	ComparisonType string `json:"ComparisonType"`
}

// userFields are the StringCondition field names SearchUsers supports, and how each reads a
// user.
var userFields = map[string]func(identity.User) []string{
	"Username":          func(u identity.User) []string { return []string{u.Username} },
	"FirstName":         func(u identity.User) []string { return []string{u.IdentityInfo.FirstName} },
	"LastName":          func(u identity.User) []string { return []string{u.IdentityInfo.LastName} },
	"ResourceId":        func(u identity.User) []string { return []string{u.ID} },
	"RoutingProfileId":  func(u identity.User) []string { return []string{u.RoutingProfileID} },
	"SecurityProfileId": func(u identity.User) []string { return u.SecurityProfileIDs },
}

// userMatcher reports whether a user satisfies the compiled criteria.
type userMatcher func(identity.User) bool

// compile turns a StringCondition into a matcher. Comparisons ignore case; the value is
// 1–256 characters.
func (sc stringCondition) compile() (userMatcher, error) {
	read, ok := userFields[sc.FieldName]
	if !ok {
		return nil, apierr.InvalidParameter("StringCondition.FieldName must be one of Username, FirstName, LastName, ResourceId, RoutingProfileId, SecurityProfileId")
	}
	if sc.Value == "" || len(sc.Value) > 256 {
		return nil, apierr.InvalidParameter("StringCondition.Value must be 1-256 characters")
	}
	want := strings.ToLower(sc.Value)
	var cmp func(got string) bool
	switch sc.ComparisonType {
	case "EXACT":
		cmp = func(got string) bool { return got == want }
	case "STARTS_WITH":
		cmp = func(got string) bool { return strings.HasPrefix(got, want) }
	case "CONTAINS":
		cmp = func(got string) bool { return strings.Contains(got, want) }
	default:
		return nil, apierr.InvalidParameter("StringCondition.ComparisonType must be STARTS_WITH, CONTAINS or EXACT")
	}
	return func(u identity.User) bool {
		for _, v := range read(u) {
			if cmp(strings.ToLower(v)) {
				return true
			}
		}
		return false
	}, nil
}

// compile turns the criteria into a matcher (nil criteria match every user).
func (cr *userSearchCriteria) compile(top bool) (userMatcher, error) {
	if cr == nil {
		return func(identity.User) bool { return true }, nil
	}
	if cr.HierarchyGroupCondition != nil || cr.ListCondition != nil {
		return nil, apierr.InvalidParameter("SearchCriteria supports StringCondition, AndConditions and OrConditions only")
	}
	parts := 0
	for _, present := range []bool{cr.StringCondition != nil, len(cr.AndConditions) > 0, len(cr.OrConditions) > 0} {
		if present {
			parts++
		}
	}
	if parts != 1 {
		return nil, apierr.InvalidParameter("each SearchCriteria level must hold exactly one of StringCondition, AndConditions, OrConditions")
	}
	if cr.StringCondition != nil {
		return cr.StringCondition.compile()
	}
	if !top {
		return nil, apierr.InvalidParameter("AndConditions and OrConditions may not be nested")
	}
	list, and := cr.OrConditions, false
	if len(cr.AndConditions) > 0 {
		list, and = cr.AndConditions, true
	}
	if len(list) > 20 {
		return nil, apierr.InvalidParameter("AndConditions and OrConditions hold at most 20 conditions")
	}
	var ms []userMatcher
	for i := range list {
		m, err := list[i].compile(false)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	return func(u identity.User) bool {
		for _, m := range ms {
			if m(u) != and {
				return !and
			}
		}
		return and
	}, nil
}

// searchUsers implements SearchUsers (POST /search-users, InstanceId in the body). MaxResults
// is 1–500 (default 100); matches come in ID order with their ApproximateTotalCount.
func (s *Server) searchUsers(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	var in struct {
		MaxResults     *int                `json:"MaxResults"`
		NextToken      string              `json:"NextToken"`
		SearchCriteria *userSearchCriteria `json:"SearchCriteria"`
		SearchFilter   *struct {
			TagFilter           *struct{} `json:"TagFilter"`
			UserAttributeFilter *struct{} `json:"UserAttributeFilter"`
		} `json:"SearchFilter"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	limit := 100
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 500 {
			return nil, apierr.InvalidParameter("MaxResults must be from 1 to 500")
		}
		limit = *in.MaxResults
	}
	after, err := decodeToken(in.NextToken, "search-user:")
	if err != nil {
		return nil, err
	}
	if f := in.SearchFilter; f != nil && (f.TagFilter != nil || f.UserAttributeFilter != nil) {
		return nil, apierr.InvalidParameter("SearchFilter is not supported; use SearchCriteria")
	}
	match, err := in.SearchCriteria.compile(true)
	if err != nil {
		return nil, err
	}
	var (
		hits  []identity.User
		total int64
		more  bool
	)
	err = c.view(s, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetInstance(ctx, inst); err != nil {
			return err
		}
		return store.EachUser(ctx, tx, inst, func(u identity.User) (bool, error) {
			if !match(u) {
				return false, nil
			}
			total++
			if u.ID > after {
				if len(hits) < limit {
					hits = append(hits, u)
				} else {
					more = true
				}
			}
			return false, nil
		})
	})
	if err != nil {
		return nil, err
	}
	users := []map[string]any{}
	for _, u := range hits {
		m := map[string]any{
			"Id": u.ID, "Arn": s.userARN(inst, u.ID), "Username": u.Username,
			"IdentityInfo": map[string]string{"FirstName": u.IdentityInfo.FirstName, "LastName": u.IdentityInfo.LastName},
			"PhoneConfig":  phoneJSON(u.PhoneConfig), "SecurityProfileIds": nonNilStrings(u.SecurityProfileIDs),
			"RoutingProfileId": u.RoutingProfileID, "Tags": u.Tags,
		}
		if u.HierarchyGroupID != "" {
			m["HierarchyGroupId"] = u.HierarchyGroupID
		}
		users = append(users, m)
	}
	out := map[string]any{"Users": users, "ApproximateTotalCount": total}
	if more {
		out["NextToken"] = encodeToken("search-user:", hits[len(hits)-1].ID)
	}
	return out, nil
}

// updateUser runs change on the stored user inside a transaction that first checks the
// instance, then writes the result with a new LastModifiedTime.
func (s *Server) updateUser(c *call, change func(ctx context.Context, tx store.Tx, u *identity.User) error) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	id := s.userID(c, inst)
	return s.updateUserIn(c, inst, id, change)
}

func (s *Server) updateUserIn(c *call, inst, id string, change func(ctx context.Context, tx store.Tx, u *identity.User) error) (any, error) {
	err := c.update(s, func(ctx context.Context, tx store.Tx) error {
		_, err := store.UpdateUser(ctx, tx, inst, id, s.cfg.Now(), change)
		return err
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// updateUserIdentityInfo implements UpdateUserIdentityInfo: IdentityInfo replaces the stored
// one as a whole.
func (s *Server) updateUserIdentityInfo(c *call) (any, error) {
	var in struct {
		IdentityInfo *identityInfoJSON `json:"IdentityInfo"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	if in.IdentityInfo == nil {
		return nil, apierr.InvalidParameter("IdentityInfo is required")
	}
	return s.updateUser(c, func(_ context.Context, _ store.Tx, u *identity.User) error {
		u.IdentityInfo = in.IdentityInfo.info()
		return nil
	})
}

// updateUserPhoneConfig implements UpdateUserPhoneConfig.
func (s *Server) updateUserPhoneConfig(c *call) (any, error) {
	var in struct {
		PhoneConfig *phoneConfigJSON `json:"PhoneConfig"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	if in.PhoneConfig == nil {
		return nil, apierr.InvalidParameter("PhoneConfig is required")
	}
	return s.updateUser(c, func(_ context.Context, _ store.Tx, u *identity.User) error {
		u.PhoneConfig = in.PhoneConfig.config()
		return nil
	})
}

// updateUserRoutingProfile implements UpdateUserRoutingProfile.
func (s *Server) updateUserRoutingProfile(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	id := s.userID(c, inst)
	var in struct {
		RoutingProfileId string `json:"RoutingProfileId"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	rp := s.childID(inst, "routing-profile", in.RoutingProfileId)
	if err := validResourceID("RoutingProfileId", rp); err != nil {
		return nil, err
	}
	return s.updateUserIn(c, inst, id, func(ctx context.Context, tx store.Tx, u *identity.User) error {
		return store.SetUserRoutingProfile(ctx, tx, u, rp)
	})
}

// updateUserSecurityProfiles implements UpdateUserSecurityProfiles: the list replaces the
// stored one, every profile must be the instance's, and the user's sign-in sessions end at
// once so the new rights apply from the next sign-in. A user whose new profiles require MFA
// and who has no confirmed authenticator must enrol at the next sign-in.
func (s *Server) updateUserSecurityProfiles(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	id := s.userID(c, inst)
	var in struct {
		SecurityProfileIds []string `json:"SecurityProfileIds"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	ids := s.profileIDs(inst, in.SecurityProfileIds)
	return s.updateUserIn(c, inst, id, func(ctx context.Context, tx store.Tx, u *identity.User) error {
		n, err := store.SetUserSecurityProfiles(ctx, tx, u, ids)
		if err != nil {
			return err
		}
		c.ev.Details = map[string]string{"sessions_ended": strconv.Itoa(n)}
		return nil
	})
}

// deleteUser implements DeleteUser (DELETE /users/{InstanceId}/{UserId}). In one transaction
// it ends the user's sessions, revokes its access keys and deletes the user with its
// credentials; the audit event records how many sessions and keys ended.
func (s *Server) deleteUser(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	id := s.userID(c, inst)
	err = c.update(s, func(ctx context.Context, tx store.Tx) error {
		sessions, keys, err := store.DeleteUser(ctx, tx, inst, id)
		if err != nil {
			return err
		}
		c.ev.Details = map[string]string{"sessions_ended": strconv.Itoa(sessions), "access_keys_revoked": strconv.Itoa(keys)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}
