package identity

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ringfence/ringfence/apierr"
)

func validUser() User {
	return User{
		ID: "u-1", InstanceID: "inst-a", Username: "jdoe",
		IdentityInfo:       IdentityInfo{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com", Mobile: "+14155550100"},
		PhoneConfig:        PhoneConfig{PhoneType: PhoneTypeSoftPhone, AfterContactWorkTimeLimit: 30},
		SecurityProfileIDs: []string{"sp-agent"},
		RoutingProfileID:   "rp-basic",
		Tags:               map[string]string{"team": "blue"},
	}
}

func TestUserValidate(t *testing.T) {
	tags := func(n int) map[string]string {
		m := make(map[string]string)
		for i := range n {
			m[fmt.Sprintf("k%d", i)] = "v"
		}
		return m
	}
	tests := []struct {
		name    string
		mutate  func(*User)
		wantMsg string // "" means valid
	}{
		{"valid", func(*User) {}, ""},
		{"email username", func(u *User) { u.Username = "testuser@example.com" }, ""},
		{"username 100", func(u *User) { u.Username = strings.Repeat("a", 100) }, ""},
		{"username 101", func(u *User) { u.Username = strings.Repeat("a", 101) }, "Username must be at most 100 characters"},
		{"empty username", func(u *User) { u.Username = "" }, "Username is required"},
		{"username space", func(u *User) { u.Username = "j doe" }, "Username may contain only letters, digits and _ - . @"},
		{"username unicode", func(u *User) { u.Username = "jdöe" }, "Username may contain only letters, digits and _ - . @"},
		{"at without email form", func(u *User) { u.Username = "testuser@example" }, "Username may contain @ only in an email address form"},
		{"no first name", func(u *User) { u.IdentityInfo.FirstName = " " }, "IdentityInfo.FirstName is required"},
		{"first name 256", func(u *User) { u.IdentityInfo.FirstName = strings.Repeat("é", 256) }, "IdentityInfo.FirstName must be at most 255 characters"},
		{"last name 256 runes", func(u *User) { u.IdentityInfo.LastName = strings.Repeat("é", 256) }, ""},
		{"decomposed name", func(u *User) { u.IdentityInfo.LastName = "Doe\u0301" }, "IdentityInfo.LastName must be in Unicode Normalization Form C"},
		{"control char name", func(u *User) { u.IdentityInfo.LastName = "Doe\r\nX" }, "IdentityInfo.LastName must not contain control characters"},
		{"bad email", func(u *User) { u.IdentityInfo.Email = "jane" }, "IdentityInfo.Email is not a valid email address"},
		{"bad secondary email", func(u *User) { u.IdentityInfo.SecondaryEmail = "a@b" }, "IdentityInfo.SecondaryEmail is not a valid email address"},
		{"mobile not e164", func(u *User) { u.IdentityInfo.Mobile = "4155550100" }, "IdentityInfo.Mobile must be an E.164 phone number such as +14155550100"},
		{"mobile too long", func(u *User) { u.IdentityInfo.Mobile = "+1234567890123456" }, "IdentityInfo.Mobile must be an E.164 phone number such as +14155550100"},
		{"mobile leading zero", func(u *User) { u.IdentityInfo.Mobile = "+0155550100" }, "IdentityInfo.Mobile must be an E.164 phone number such as +14155550100"},
		{"no phone type", func(u *User) { u.PhoneConfig.PhoneType = "" }, "PhoneConfig.PhoneType must be SOFT_PHONE or DESK_PHONE"},
		{"desk phone without number", func(u *User) { u.PhoneConfig.PhoneType = PhoneTypeDeskPhone }, "PhoneConfig.DeskPhoneNumber is required for DESK_PHONE"},
		{"desk phone", func(u *User) {
			u.PhoneConfig = PhoneConfig{PhoneType: PhoneTypeDeskPhone, DeskPhoneNumber: "+442071838750"}
		}, ""},
		{"desk phone bad number", func(u *User) {
			u.PhoneConfig = PhoneConfig{PhoneType: PhoneTypeDeskPhone, DeskPhoneNumber: "+44 20 7183"}
		}, "PhoneConfig.DeskPhoneNumber must be an E.164 phone number such as +14155550100"},
		{"acw max", func(u *User) { u.PhoneConfig.AfterContactWorkTimeLimit = 2_000_000 }, ""},
		{"acw over", func(u *User) { u.PhoneConfig.AfterContactWorkTimeLimit = 2_000_001 }, "PhoneConfig.AfterContactWorkTimeLimit must be 0 to 2000000 seconds"},
		{"acw negative", func(u *User) { u.PhoneConfig.AfterContactWorkTimeLimit = -1 }, "PhoneConfig.AfterContactWorkTimeLimit must be 0 to 2000000 seconds"},
		{"no profiles", func(u *User) { u.SecurityProfileIDs = nil }, "SecurityProfileIds must hold 1 to 10 IDs"},
		{"eleven profiles", func(u *User) { u.SecurityProfileIDs = strings.Split("a,b,c,d,e,f,g,h,i,j,k", ",") }, "SecurityProfileIds must hold 1 to 10 IDs"},
		{"duplicate profiles", func(u *User) { u.SecurityProfileIDs = []string{"a", "a"} }, "SecurityProfileIds must hold distinct, non-empty IDs"},
		{"no routing profile", func(u *User) { u.RoutingProfileID = "" }, "RoutingProfileId is required"},
		{"50 tags", func(u *User) { u.Tags = tags(50) }, ""},
		{"51 tags", func(u *User) { u.Tags = tags(51) }, "Tags must hold at most 50 entries"},
		{"aws tag key", func(u *User) { u.Tags = map[string]string{"aws:x": "v"} }, "Tags has an invalid key"},
		{"empty tag key", func(u *User) { u.Tags = map[string]string{"": "v"} }, "Tags has an invalid key"},
		{"long tag value", func(u *User) { u.Tags = map[string]string{"k": strings.Repeat("v", 257)} }, "Tags values must be at most 256 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := validUser()
			tt.mutate(&u)
			err := u.Validate()
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
				t.Errorf("message = %q, want %q", e.Message, tt.wantMsg)
			}
		})
	}
}

func TestUserARNAndNormalize(t *testing.T) {
	if got, want := UserARN("aws", "us-east-1", "123456789012", "inst-a", "u-1"), "arn:aws:connect:us-east-1:123456789012:instance/inst-a/agent/u-1"; got != want {
		t.Errorf("UserARN = %q, want %q", got, want)
	}
	if got := NormalizeUsername("JDoe@Example.com"); got != "jdoe@example.com" {
		t.Errorf("NormalizeUsername = %q", got)
	}
}
