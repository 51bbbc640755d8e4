package identity

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/ringfence/ringfence/apierr"
)

// PhoneType is how an agent takes voice contacts (Connect's PhoneType enum).
type PhoneType string

// Phone types.
const (
	PhoneTypeSoftPhone PhoneType = "SOFT_PHONE"
	PhoneTypeDeskPhone PhoneType = "DESK_PHONE"
)

// IdentityInfo is Connect's UserIdentityInfo (Amazon Connect API Reference,
// API_UserIdentityInfo).
type IdentityInfo struct {
	// FirstName: required, 1–255 characters, Unicode NFC-normalised text.
	FirstName string
	// LastName: required, 1–256 characters.
	LastName string
	// Email: optional address (at most 265 characters).
	Email string
	// SecondaryEmail: optional address, pattern [a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,63},
	// at most 265 characters.
	SecondaryEmail string
	// Mobile: optional, E.164 ("+" then 2–15 digits, first digit not 0).
	Mobile string
}

// PhoneConfig is Connect's UserPhoneConfig (API_UserPhoneConfig).
type PhoneConfig struct {
	// PhoneType is required: SOFT_PHONE or DESK_PHONE.
	PhoneType PhoneType
	// AutoAccept connects offered contacts without the agent accepting them.
	AutoAccept bool
	// AfterContactWorkTimeLimit is in seconds, 0–2,000,000; 0 means no limit.
	AfterContactWorkTimeLimit int
	// DeskPhoneNumber is E.164; required for DESK_PHONE.
	DeskPhoneNumber string
}

// User is an instance user in the shape of Connect's User (DescribeUser). The ARN is
// arn:{partition}:connect:{region}:{account}:instance/{InstanceID}/agent/{ID}; the API edge
// builds it from the deployment's region and account (see UserARN).
type User struct {
	// ID is the user ID (a UUID).
	ID string
	// InstanceID is the instance the user belongs to.
	InstanceID string
	// Username: 1–100 characters of [a-zA-Z0-9_.@-]; "@" only in an email form. Unique in
	// the instance, compared case-insensitively (see NormalizeUsername).
	Username     string
	IdentityInfo IdentityInfo
	PhoneConfig  PhoneConfig
	// SecurityProfileIDs: 1–10 profile IDs of the same instance.
	SecurityProfileIDs []string
	// RoutingProfileID is required.
	RoutingProfileID string
	// HierarchyGroupID is optional.
	HierarchyGroupID string
	// Tags: at most 50; keys 1–128 characters not starting with "aws:", values at most 256.
	Tags map[string]string
	// Disabled users cannot sign in and have no sessions (Ringfence extension; Connect's
	// admin website has the same switch). The API authorizer gives a disabled user's access
	// keys no security profiles, so every operation is refused to them.
	Disabled bool
	// MFAEnrollmentRequired (Ringfence extension) makes the next sign-in enrol a TOTP
	// authenticator before anything else; set for users whose profiles require MFA (see
	// RequiresMFA) until they enrol.
	MFAEnrollmentRequired bool
	// CreatedTime and LastModifiedTime are UTC, millisecond precision.
	CreatedTime      time.Time
	LastModifiedTime time.Time
}

// UserARN returns the user's ARN: arn:{partition}:connect:{region}:{account}:instance/{inst}/agent/{id}.
func UserARN(partition, region, account, instanceID, userID string) string {
	return fmt.Sprintf("arn:%s:connect:%s:%s:instance/%s/agent/%s", partition, region, account, instanceID, userID)
}

// UserStore persists users. Every method is scoped by instance ID; a user of another instance
// is ResourceNotFoundException. Implementations return *apierr.Error for the coded cases.
type UserStore interface {
	// GetUser returns the user, or ResourceNotFoundException.
	GetUser(ctx context.Context, instanceID, userID string) (User, error)
	// GetUserByUsername looks the user up by NormalizeUsername(username), or
	// ResourceNotFoundException.
	GetUserByUsername(ctx context.Context, instanceID, username string) (User, error)
}

// UserDirectory is the instance's user directory: UserStore plus the writes the
// administration API makes. Every method is scoped by instance ID; a user of another
// instance is ResourceNotFoundException. Callers (package api, the node's bootstrap) check
// that referenced security profiles exist in the same transaction before writing.
type UserDirectory interface {
	UserStore
	// CreateUser stores u with its SecurityProfileIDs. A username already taken in the
	// instance (compared with NormalizeUsername) is DuplicateResourceException.
	CreateUser(ctx context.Context, u User) error
	// UpdateUser replaces every field of the stored user u.ID except Username, InstanceID and
	// CreatedTime, including its security profile list; ResourceNotFoundException when absent.
	UpdateUser(ctx context.Context, u User) error
	// DeleteUser deletes the user with its password hash, MFA secrets, recovery codes and
	// sessions; ResourceNotFoundException when absent. Its access keys are kept (revoked by
	// the caller, see KeyStore.RevokeUserAccessKeys) so the audit trail can name them.
	DeleteUser(ctx context.Context, instanceID, userID string) error
	// ListUsers returns at most limit users with ID greater than after, in ID order.
	ListUsers(ctx context.Context, instanceID, after string, limit int) ([]User, error)
}

// Validation limits, from the CreateUser, UserIdentityInfo and UserPhoneConfig pages of the
// Amazon Connect API Reference.
const (
	MaxUsernameLength          = 100
	MaxFirstNameLength         = 255
	MaxLastNameLength          = 256
	MaxEmailLength             = 265
	MaxSecurityProfilesPerUser = 10
	MaxAfterContactWorkSeconds = 2_000_000
	MaxTags                    = 50
	MaxTagKeyLength            = 128
	MaxTagValueLength          = 256
)

// Read-only patterns.
var (
	usernameChars = regexp.MustCompile(`^[a-zA-Z0-9_.@-]+$`)
	emailPattern  = regexp.MustCompile(`^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,63}$`)
	e164Pattern   = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)
	tagKeyPattern = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`)
)

// NormalizeUsername returns the form usernames are compared and stored uniquely in: lower
// case (Connect treats usernames case-insensitively at sign-in).
func NormalizeUsername(u string) string { return strings.ToLower(u) }

// ValidateUsername checks u against CreateUser's rules: 1–100 characters from
// [a-zA-Z0-9_.@-], and "@" only as part of an email form ("testuser@example.com" is
// accepted, "testuser@example" is not). It returns InvalidParameterException.
func ValidateUsername(u string) error {
	switch {
	case u == "":
		return apierr.InvalidParameter("Username is required")
	case len(u) > MaxUsernameLength:
		return apierr.InvalidParameter(fmt.Sprintf("Username must be at most %d characters", MaxUsernameLength))
	case !usernameChars.MatchString(u):
		return apierr.InvalidParameter("Username may contain only letters, digits and _ - . @")
	case strings.Contains(u, "@") && !emailPattern.MatchString(u):
		return apierr.InvalidParameter("Username may contain @ only in an email address form")
	}
	return nil
}

// ValidateE164 checks that n is an E.164 number ("+" then 2–15 digits, the first not 0),
// naming field in the InvalidParameterException it returns.
func ValidateE164(field, n string) error {
	if !e164Pattern.MatchString(n) {
		return apierr.InvalidParameter(field + " must be an E.164 phone number such as +14155550100")
	}
	return nil
}

// Validate checks u as CreateUser does and returns the first problem as an
// InvalidParameterException naming the field (never echoing its value). It does not check
// that the referenced profiles exist: the caller does that in the store transaction.
func (u User) Validate() error {
	if err := ValidateUsername(u.Username); err != nil {
		return err
	}
	if err := validateName("IdentityInfo.FirstName", u.IdentityInfo.FirstName, MaxFirstNameLength); err != nil {
		return err
	}
	if err := validateName("IdentityInfo.LastName", u.IdentityInfo.LastName, MaxLastNameLength); err != nil {
		return err
	}
	for _, f := range []struct{ field, v string }{
		{"IdentityInfo.Email", u.IdentityInfo.Email},
		{"IdentityInfo.SecondaryEmail", u.IdentityInfo.SecondaryEmail},
	} {
		if f.v != "" && (len(f.v) > MaxEmailLength || !emailPattern.MatchString(f.v)) {
			return apierr.InvalidParameter(f.field + " is not a valid email address")
		}
	}
	if u.IdentityInfo.Mobile != "" {
		if err := ValidateE164("IdentityInfo.Mobile", u.IdentityInfo.Mobile); err != nil {
			return err
		}
	}
	if err := u.PhoneConfig.Validate(); err != nil {
		return err
	}
	if n := len(u.SecurityProfileIDs); n < 1 || n > MaxSecurityProfilesPerUser {
		return apierr.InvalidParameter(fmt.Sprintf("SecurityProfileIds must hold 1 to %d IDs", MaxSecurityProfilesPerUser))
	}
	seen := make(map[string]bool, len(u.SecurityProfileIDs))
	for _, id := range u.SecurityProfileIDs {
		if id == "" || seen[id] {
			return apierr.InvalidParameter("SecurityProfileIds must hold distinct, non-empty IDs")
		}
		seen[id] = true
	}
	if u.RoutingProfileID == "" {
		return apierr.InvalidParameter("RoutingProfileId is required")
	}
	return ValidateTags(u.Tags)
}

// Validate checks the phone configuration: a known PhoneType, AfterContactWorkTimeLimit in
// 0–2,000,000 seconds, and an E.164 DeskPhoneNumber that DESK_PHONE requires.
func (p PhoneConfig) Validate() error {
	switch p.PhoneType {
	case PhoneTypeSoftPhone:
	case PhoneTypeDeskPhone:
		if p.DeskPhoneNumber == "" {
			return apierr.InvalidParameter("PhoneConfig.DeskPhoneNumber is required for DESK_PHONE")
		}
	default:
		return apierr.InvalidParameter("PhoneConfig.PhoneType must be SOFT_PHONE or DESK_PHONE")
	}
	if p.DeskPhoneNumber != "" {
		if err := ValidateE164("PhoneConfig.DeskPhoneNumber", p.DeskPhoneNumber); err != nil {
			return err
		}
	}
	if p.AfterContactWorkTimeLimit < 0 || p.AfterContactWorkTimeLimit > MaxAfterContactWorkSeconds {
		return apierr.InvalidParameter(fmt.Sprintf("PhoneConfig.AfterContactWorkTimeLimit must be 0 to %d seconds", MaxAfterContactWorkSeconds))
	}
	return nil
}

// ValidateTags checks Connect's tag rules: at most 50 tags; keys 1–128 characters of
// letters, spaces, digits and _ . : / = + - @, not starting with "aws:"; values at most 256
// characters.
func ValidateTags(tags map[string]string) error {
	if len(tags) > MaxTags {
		return apierr.InvalidParameter(fmt.Sprintf("Tags must hold at most %d entries", MaxTags))
	}
	for k, v := range tags {
		n := utf8.RuneCountInString(k)
		if n < 1 || n > MaxTagKeyLength || !tagKeyPattern.MatchString(k) || strings.HasPrefix(strings.ToLower(k), "aws:") {
			return apierr.InvalidParameter("Tags has an invalid key")
		}
		if utf8.RuneCountInString(v) > MaxTagValueLength {
			return apierr.InvalidParameter(fmt.Sprintf("Tags values must be at most %d characters", MaxTagValueLength))
		}
	}
	return nil
}

func validateName(field, v string, max int) error {
	n := utf8.RuneCountInString(v)
	switch {
	case strings.TrimSpace(v) == "":
		return apierr.InvalidParameter(field + " is required")
	case !utf8.ValidString(v):
		return apierr.InvalidParameter(field + " is not valid UTF-8")
	case n > max:
		return apierr.InvalidParameter(fmt.Sprintf("%s must be at most %d characters", field, max))
	case !norm.NFC.IsNormalString(v):
		return apierr.InvalidParameter(field + " must be in Unicode Normalization Form C")
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f {
			return apierr.InvalidParameter(field + " must not contain control characters")
		}
	}
	return nil
}
