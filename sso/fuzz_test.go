package sso

import (
	"errors"
	"net/url"
	"testing"

	"github.com/crewjam/saml"
)

// FuzzVerifySAMLResponse feeds arbitrary bytes to the ACS's response check: it must refuse
// (never panic, never accept) anything not signed by the IdP's key.
func FuzzVerifySAMLResponse(f *testing.F) {
	for _, seed := range []string{
		``,
		`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" Destination="https://sp/acs"/>`,
		`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" Destination="https://sp/acs" InResponseTo="id-1">` +
			`<saml:Assertion ID="a"><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/><saml:Subject><saml:SubjectConfirmation/></saml:Subject><saml:Conditions/></saml:Assertion></samlp:Response>`,
		`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" Destination="https://sp/acs">` +
			`<saml:Assertion ID="a"><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/><saml:Subject><saml:SubjectConfirmation><saml:SubjectConfirmationData/></saml:SubjectConfirmation></saml:Subject><saml:Conditions/></saml:Assertion></samlp:Response>`,
		`<!DOCTYPE x><x/>`,
	} {
		f.Add([]byte(seed))
	}
	acs, _ := url.Parse("https://sp/acs")
	f.Fuzz(func(t *testing.T, data []byte) {
		sp := &saml.ServiceProvider{EntityID: "https://sp/metadata", AcsURL: *acs, IDPMetadata: &saml.EntityDescriptor{EntityID: "https://idp"}}
		a, err := verifySAMLResponse(sp, data, "id-1")
		if err == nil || a != nil {
			t.Fatalf("accepted an unsigned response: %+v", a)
		}
		var rf *refusal
		if !errors.As(err, &rf) {
			t.Fatalf("error is not a refusal: %v", err)
		}
	})
}
