package sso_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
)

const idpEntityID = "https://idp.example.test/metadata"

// samlFixture is an instance created with IdentityManagementType SAML whose IdP is a testIdP,
// with just-in-time users given the Agent profile.
func samlFixture(t *testing.T) (*fixture, *testIdP) {
	t.Helper()
	f := newFixture(t, instance.IdentityManagementSAML)
	idp := newTestIdP(t, idpEntityID)
	if err := f.admin.ConfigureSAML(context.Background(), identity.SAMLConfig{
		InstanceID: f.inst.ID, IdPMetadata: idp.metadata(), UsernameAttribute: "uid",
		FirstNameAttribute: "givenName", LastNameAttribute: "sn",
		JIT: identity.JITProvisioning{SecurityProfileID: f.profiles[identity.ProfileAgent]},
	}); err != nil {
		t.Fatalf("ConfigureSAML: %v", err)
	}
	return f, idp
}

// startSAML opens the instance's SAML sign-in in b and returns what the IdP received.
func startSAML(t *testing.T, f *fixture, b *browser, idp *testIdP) authnRequest {
	t.Helper()
	req := idp.readRedirect(t, b.get("/ui/sso/"+f.inst.Alias+"/saml/login"))
	if req.ACSURL != origin+"/ui/sso/"+f.inst.ID+"/saml/acs" {
		t.Fatalf("AuthnRequest ACS URL = %q", req.ACSURL)
	}
	if _, ok := b.cookies["__Host-rf_saml"]; !ok {
		t.Fatal("no SAML state cookie set")
	}
	return req
}

// postSAML posts a response to the ACS as the IdP's page would (a cross-site form POST).
func postSAML(b *browser, instanceID, samlResponse, relayState string) *http.Response {
	return b.post("/ui/sso/"+instanceID+"/saml/acs", url.Values{"SAMLResponse": {samlResponse}, "RelayState": {relayState}}, true)
}

// TestSAMLValidAssertion signs in with a valid signed assertion: the session starts for a
// just-in-time user named by the uid attribute, with the Agent profile and the names from the
// attributes, and the sign-in is audited.
func TestSAMLValidAssertion(t *testing.T) {
	t.Parallel()
	f, idp := samlFixture(t)
	b := f.browser()
	req := startSAML(t, f, b, idp)
	res := postSAML(b, f.inst.ID, encode(t, idp.response(t, idp.spec(req, f.inst.ID, "ada@example.com"))), req.RelayState)
	page := body(t, res)
	if res.StatusCode != http.StatusOK || !strings.Contains(page, `http-equiv="refresh"`) {
		t.Fatalf("ACS status = %d, want 200 with the continue page; body:\n%s", res.StatusCode, page)
	}
	if _, ok := b.cookies["__Host-rf_saml"]; ok {
		t.Errorf("the SAML state cookie was not cleared after use")
	}
	got := f.sessions.all()
	if len(got) != 1 || got[0].User.Username != "ada@example.com" || got[0].Opts.Method != "saml" || got[0].Opts.MFASatisfied {
		t.Fatalf("sessions = %+v, want one SAML session for ada@example.com without MFA passed", got)
	}
	u, err := f.userByName("ada@example.com")
	if err != nil {
		t.Fatalf("JIT user: %v", err)
	}
	if u.IdentityInfo.FirstName != "Ada" || u.IdentityInfo.LastName != "Lovelace" || len(u.SecurityProfileIDs) != 1 || u.SecurityProfileIDs[0] != f.profiles[identity.ProfileAgent] {
		t.Errorf("JIT user = %+v, want Ada Lovelace with the Agent profile", u)
	}
	ev := f.lastEvent("sso.saml_login")
	if ev.Outcome != audit.OutcomeSuccess || ev.Actor != "user:"+f.inst.ID+"/"+u.ID || ev.Details["jit_user_created"] != "true" || ev.InstanceID != f.inst.ID {
		t.Errorf("audit event = %+v", ev)
	}

	// The same person again: the same user, not a new one.
	b2 := f.browser()
	req = startSAML(t, f, b2, idp)
	res = postSAML(b2, f.inst.ID, encode(t, idp.response(t, idp.spec(req, f.inst.ID, "ada@example.com"))), req.RelayState)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("second sign-in status = %d", res.StatusCode)
	}
	if got := f.sessions.all(); len(got) != 2 || got[1].User.ID != u.ID {
		t.Errorf("second sign-in signed in as %+v, want user %s", got[len(got)-1].User, u.ID)
	}
}

// TestSAMLRejected posts responses that must each be refused, and checks that the refusal is
// audited with the reason of the check that caught it. A valid response is accepted by the
// same steps (TestSAMLValidAssertion), so each case differs from it in one respect.
func TestSAMLRejected(t *testing.T) {
	t.Parallel()
	f, idp := samlFixture(t)
	evil := newTestIdPWithKey(t, idpEntityID, testKey(t, keyEvilIdP)) // same entity ID, a key the instance does not trust

	type tc struct {
		name string
		// build returns the encoded SAMLResponse and the RelayState to post.
		build      func(t *testing.T, req authnRequest) (string, string)
		noCookie   bool
		wantReason string
	}
	valid := func(req authnRequest) assertionSpec { return idp.spec(req, f.inst.ID, "mallory@example.com") }
	withSpec := func(edit func(*assertionSpec)) func(t *testing.T, req authnRequest) (string, string) {
		return func(t *testing.T, req authnRequest) (string, string) {
			s := valid(req)
			edit(&s)
			return encode(t, idp.response(t, s)), req.RelayState
		}
	}
	cases := []tc{
		{name: "unsigned", build: withSpec(func(s *assertionSpec) { s.SignAssertion = false }), wantReason: "assertion is not signed"},
		{name: "only the response signed", build: withSpec(func(s *assertionSpec) { s.SignAssertion, s.SignResponse = false, true }), wantReason: "assertion is not signed"},
		{name: "expired", build: withSpec(func(s *assertionSpec) {
			past := time.Now().Add(-2 * time.Hour)
			s.IssueInstant, s.NotBefore, s.NotOnOrAfter = past, past.Add(-time.Minute), past.Add(5*time.Minute)
		}), wantReason: "expired"},
		{name: "not yet valid", build: withSpec(func(s *assertionSpec) { s.NotBefore = time.Now().Add(time.Hour) }), wantReason: "not yet valid"},
		{name: "another audience", build: withSpec(func(s *assertionSpec) { s.Audience = "https://other.example.test/sp" }), wantReason: "AudienceRestriction"},
		{name: "no audience restriction", build: withSpec(func(s *assertionSpec) { s.Audience = "" }), wantReason: "AudienceRestriction"},
		{name: "another recipient", build: withSpec(func(s *assertionSpec) { s.Recipient = "https://other.example.test/acs" }), wantReason: "Recipient"},
		{name: "another destination", build: withSpec(func(s *assertionSpec) { s.Destination = "https://other.example.test/acs" }), wantReason: "Destination"},
		{name: "answers another request", build: withSpec(func(s *assertionSpec) { s.InResponseTo = "id-not-the-request" }), wantReason: "InResponseTo"},
		{name: "another issuer", build: withSpec(func(s *assertionSpec) { s.Issuer = "https://evil.example.test" }), wantReason: "SAMLResponse rejected"},
		{name: "signed by an untrusted key", build: func(t *testing.T, req authnRequest) (string, string) {
			return encode(t, evil.response(t, valid(req))), req.RelayState
		}, wantReason: "cannot validate signature"},
		{name: "changed after signing", build: func(t *testing.T, req authnRequest) (string, string) {
			doc := idp.response(t, valid(req))
			doc.FindElement("//NameID").SetText("admin@example.com")
			for _, at := range doc.FindElements("//Attribute") {
				if at.SelectAttrValue("Name", "") == "uid" {
					at.FindElement("AttributeValue").SetText("admin@example.com")
				}
			}
			return encode(t, doc), req.RelayState
		}, wantReason: "cannot validate signature"},
		{name: "wrong RelayState", build: func(t *testing.T, req authnRequest) (string, string) {
			return encode(t, idp.response(t, valid(req))), "not-the-relay-state"
		}, wantReason: "RelayState"},
		{name: "no state cookie (IdP-initiated or another browser)", noCookie: true, build: func(t *testing.T, req authnRequest) (string, string) {
			return encode(t, idp.response(t, valid(req))), req.RelayState
		}, wantReason: "state cookie missing"},
		{name: "encrypted assertion", build: func(t *testing.T, req authnRequest) (string, string) {
			doc := idp.response(t, valid(req))
			doc.Root().CreateElement("saml:EncryptedAssertion")
			return encode(t, doc), req.RelayState
		}, wantReason: "encrypted assertions"},
		{name: "DTD", build: func(t *testing.T, req authnRequest) (string, string) {
			doc := idp.response(t, valid(req))
			b, _ := doc.WriteToString()
			return encodeString(`<!DOCTYPE r [<!ENTITY x "y">]>` + b), req.RelayState
		}, wantReason: "DTD"},

		// Signature wrapping (XSW): the signed assertion stays intact somewhere while a forged
		// one is what a careless parser would read.
		{name: "wrapping: forged assertion before the signed one", build: func(t *testing.T, req authnRequest) (string, string) {
			s := valid(req)
			doc := idp.response(t, s)
			forged := forgedAssertion(t, idp, s, "admin@example.com")
			doc.Root().InsertChildAt(doc.Root().FindElement("Assertion").Index(), forged)
			return encode(t, doc), req.RelayState
		}, wantReason: "want exactly 1"},
		{name: "wrapping: signed assertion moved into Extensions", build: func(t *testing.T, req authnRequest) (string, string) {
			s := valid(req)
			doc := idp.response(t, s)
			signed := doc.Root().FindElement("Assertion")
			doc.Root().RemoveChild(signed)
			ext := etree.NewElement("samlp:Extensions")
			ext.AddChild(signed)
			doc.Root().InsertChildAt(1, ext)
			doc.Root().AddChild(forgedAssertion(t, idp, s, "admin@example.com"))
			return encode(t, doc), req.RelayState
		}, wantReason: "want exactly 1"},
		{name: "wrapping: signed assertion inside the forged one's Signature", build: func(t *testing.T, req authnRequest) (string, string) {
			s := valid(req)
			doc := idp.response(t, s)
			signed := doc.Root().FindElement("Assertion")
			doc.Root().RemoveChild(signed)
			forged := forgedAssertion(t, idp, s, "admin@example.com")
			sig := signed.FindElement("Signature").Copy()
			obj := sig.CreateElement("ds:Object")
			obj.AddChild(signed)
			forged.InsertChildAt(1, sig)
			doc.Root().AddChild(forged)
			return encode(t, doc), req.RelayState
		}, wantReason: "want exactly 1"},
		{name: "wrapping: forged assertion carrying the original signature", build: func(t *testing.T, req authnRequest) (string, string) {
			s := valid(req)
			doc := idp.response(t, s)
			signed := doc.Root().FindElement("Assertion")
			forged := forgedAssertion(t, idp, s, "admin@example.com")
			forged.InsertChildAt(1, signed.FindElement("Signature").Copy())
			doc.Root().RemoveChild(signed)
			doc.Root().AddChild(forged)
			return encode(t, doc), req.RelayState
		}, wantReason: "cannot validate signature"},
		{name: "wrapping: forged assertion with the original ID and signature", build: func(t *testing.T, req authnRequest) (string, string) {
			s := valid(req)
			doc := idp.response(t, s)
			signed := doc.Root().FindElement("Assertion")
			forged := forgedAssertion(t, idp, s, "admin@example.com")
			forged.CreateAttr("ID", s.AssertionID)
			forged.InsertChildAt(1, signed.FindElement("Signature").Copy())
			doc.Root().RemoveChild(signed)
			doc.Root().AddChild(forged)
			return encode(t, doc), req.RelayState
		}, wantReason: "cannot validate signature"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(f.sessions.all())
			b := f.browser()
			req := startSAML(t, f, b, idp)
			resp, relay := c.build(t, req)
			if c.noCookie {
				delete(b.cookies, "__Host-rf_saml")
			}
			res := postSAML(b, f.inst.ID, resp, relay)
			page := body(t, res)
			if res.StatusCode != http.StatusForbidden {
				t.Fatalf("status = %d, want 403; body:\n%s", res.StatusCode, page)
			}
			if !strings.Contains(page, "Sign-in failed") || strings.Contains(page, c.wantReason) {
				t.Errorf("page does not show the generic refusal (or leaks the reason):\n%s", page)
			}
			if n := len(f.sessions.all()); n != before {
				t.Fatalf("a session was started")
			}
			ev := f.lastEvent("sso.saml_login")
			if ev.Outcome != audit.OutcomeFailure || ev.ErrorCode != string(apierr.CodeAccessDenied) || !strings.Contains(ev.Details["reason"], c.wantReason) {
				t.Errorf("audit event outcome %s code %s reason %q; want failure AccessDeniedException with reason containing %q",
					ev.Outcome, ev.ErrorCode, ev.Details["reason"], c.wantReason)
			}
		})
	}
	if _, err := f.userByName("admin@example.com"); !apierr.HasCode(err, apierr.CodeResourceNotFound) {
		t.Errorf("a forged username became a user: %v", err)
	}
	if _, err := f.userByName("mallory@example.com"); !apierr.HasCode(err, apierr.CodeResourceNotFound) {
		t.Errorf("a refused response created its user: %v", err)
	}
}

// forgedAssertion is an unsigned assertion for username, otherwise like s.
func forgedAssertion(t *testing.T, idp *testIdP, s assertionSpec, username string) *etree.Element {
	t.Helper()
	s.AssertionID, s.NameID, s.SignAssertion = "_forged"+randomHex(), username, false
	s.Attributes = map[string]string{"uid": username}
	return idp.assertion(t, s)
}

func encodeString(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// TestSAMLReplay posts one valid response twice with the same browser state: the first signs
// in, the second is refused by the replay cache.
func TestSAMLReplay(t *testing.T) {
	t.Parallel()
	f, idp := samlFixture(t)
	b := f.browser()
	req := startSAML(t, f, b, idp)
	resp := encode(t, idp.response(t, idp.spec(req, f.inst.ID, "ada@example.com")))
	state := b.cookies["__Host-rf_saml"]
	if res := postSAML(b, f.inst.ID, resp, req.RelayState); res.StatusCode != http.StatusOK {
		t.Fatalf("first post status = %d", res.StatusCode)
	}
	// An attacker who captured the form and the state cookie posts both again.
	b.cookies["__Host-rf_saml"] = state
	res := postSAML(b, f.inst.ID, resp, req.RelayState)
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("replayed post status = %d, want 403", res.StatusCode)
	}
	if ev := f.lastEvent("sso.saml_login"); ev.Details["reason"] != "assertion replayed" {
		t.Errorf("replay reason = %q", ev.Details["reason"])
	}
	if n := len(f.sessions.all()); n != 1 {
		t.Errorf("sessions = %d, want 1", n)
	}
}

// TestSAMLCommentInNameID checks the comment-truncation trick: a signed username with an XML
// comment inside must not be read as its prefix.
func TestSAMLCommentInNameID(t *testing.T) {
	t.Parallel()
	f, idp := samlFixture(t)
	f.createUser("admin@example.com", identity.ProfileAdmin)
	// The username comes from the NameID here.
	if err := f.admin.ConfigureSAML(context.Background(), identity.SAMLConfig{InstanceID: f.inst.ID, IdPMetadata: idp.metadata(),
		JIT: identity.JITProvisioning{SecurityProfileID: f.profiles[identity.ProfileAgent]}}); err != nil {
		t.Fatal(err)
	}
	b := f.browser()
	req := startSAML(t, f, b, idp)
	s := idp.spec(req, f.inst.ID, "admin@example.com.evil.test")
	s.Attributes = nil
	s.ModifyBeforeSigningAssertion = func(a *etree.Element) {
		nid := a.FindElement("Subject/NameID")
		nid.SetText("admin@example.com")
		nid.AddChild(etree.NewComment("x"))
		nid.CreateText(".evil.test")
	}
	res := postSAML(b, f.inst.ID, encode(t, idp.response(t, s)), req.RelayState)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status = %d", res.StatusCode)
	}
	got := f.sessions.all()
	if len(got) != 1 || got[0].User.Username != "admin@example.com.evil.test" {
		t.Fatalf("signed in as %q, want the whole signed name admin@example.com.evil.test", got[0].User.Username)
	}
}

// TestSAMLUsers covers the user mapping: an existing user signs in as themself (no JIT), a
// disabled one is refused, a deleted one is refused and not re-created, a user re-created by
// an administrator takes over, and without a JIT profile an unknown username is refused.
func TestSAMLUsers(t *testing.T) {
	t.Parallel()
	f, idp := samlFixture(t)
	signIn := func(username string) (*http.Response, audit.Event) {
		t.Helper()
		b := f.browser()
		req := startSAML(t, f, b, idp)
		res := postSAML(b, f.inst.ID, encode(t, idp.response(t, idp.spec(req, f.inst.ID, username))), req.RelayState)
		return res, f.lastEvent("sso.saml_login")
	}
	existing := f.createUser("Grace.Hopper@example.com", identity.ProfileAdmin)
	res, ev := signIn("grace.hopper@example.com") // usernames compare case-insensitively
	if res.StatusCode != http.StatusOK || ev.Details["jit_user_created"] != "" {
		t.Fatalf("existing user: status %d event %+v", res.StatusCode, ev)
	}
	if got := f.sessions.all(); got[len(got)-1].User.ID != existing.ID {
		t.Fatalf("existing user signed in as %s, want %s", got[len(got)-1].User.ID, existing.ID)
	}

	f.updateUser(existing.ID, func(u *identity.User) { u.Disabled = true })
	if res, ev := signIn("grace.hopper@example.com"); res.StatusCode != http.StatusForbidden || ev.Details["reason"] != "user disabled" {
		t.Fatalf("disabled user: status %d reason %q", res.StatusCode, ev.Details["reason"])
	}

	f.deleteUser(existing.ID)
	if res, ev := signIn("grace.hopper@example.com"); res.StatusCode != http.StatusForbidden || ev.Details["reason"] != "linked user deleted" {
		t.Fatalf("deleted user: status %d reason %q", res.StatusCode, ev.Details["reason"])
	}
	if _, err := f.userByName("grace.hopper@example.com"); !apierr.HasCode(err, apierr.CodeResourceNotFound) {
		t.Fatalf("a deleted user was re-created just in time: %v", err)
	}

	again := f.createUser("grace.hopper@example.com", identity.ProfileAgent)
	if res, _ := signIn("grace.hopper@example.com"); res.StatusCode != http.StatusOK {
		t.Fatalf("re-created user: status %d", res.StatusCode)
	}
	if got := f.sessions.all(); got[len(got)-1].User.ID != again.ID {
		t.Fatalf("re-created user signed in as %s, want %s", got[len(got)-1].User.ID, again.ID)
	}

	if res, ev := signIn("not a valid username!"); res.StatusCode != http.StatusForbidden || !strings.Contains(ev.Details["reason"], "username") {
		t.Fatalf("invalid username: status %d reason %q", res.StatusCode, ev.Details["reason"])
	}

	// JIT off: an unknown username is refused.
	if err := f.admin.ConfigureSAML(context.Background(), identity.SAMLConfig{InstanceID: f.inst.ID, IdPMetadata: idp.metadata(), UsernameAttribute: "uid"}); err != nil {
		t.Fatal(err)
	}
	if res, ev := signIn("newcomer@example.com"); res.StatusCode != http.StatusForbidden || ev.Details["reason"] != "no such user and just-in-time users are off" {
		t.Fatalf("JIT off: status %d reason %q", res.StatusCode, ev.Details["reason"])
	}
}

// TestSAMLNotForPasswordInstances checks IdentityManagementType: a CONNECT_MANAGED instance
// cannot be configured for SAML and its SAML pages are refused.
func TestSAMLNotForPasswordInstances(t *testing.T) {
	t.Parallel()
	f := newFixture(t, instance.IdentityManagementConnectManaged)
	idp := newTestIdP(t, idpEntityID)
	err := f.admin.ConfigureSAML(context.Background(), identity.SAMLConfig{InstanceID: f.inst.ID, IdPMetadata: idp.metadata()})
	if !apierr.HasCode(err, apierr.CodeInvalidRequest) {
		t.Fatalf("ConfigureSAML on CONNECT_MANAGED: %v, want InvalidRequestException", err)
	}
	b := f.browser()
	for _, path := range []string{"/saml/login", "/saml/metadata", "/oidc/login", ""} {
		if res := b.get("/ui/sso/" + f.inst.ID + path); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, res.StatusCode)
		}
	}
	res := postSAML(b, f.inst.ID, "PHg+", "r")
	if res.StatusCode != http.StatusForbidden || !strings.Contains(f.lastEvent("sso.saml_login").Details["reason"], "does not allow SAML") {
		t.Errorf("ACS on CONNECT_MANAGED: status %d", res.StatusCode)
	}
}

// TestSAMLMetadata checks the service provider metadata: entity ID, one HTTP-POST ACS, signed
// assertions wanted.
func TestSAMLMetadata(t *testing.T) {
	t.Parallel()
	f, _ := samlFixture(t)
	res := f.browser().get("/ui/sso/" + f.inst.Alias + "/saml/metadata")
	md := body(t, res)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/samlmetadata+xml" {
		t.Fatalf("status %d type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		`entityID="` + origin + `/ui/sso/` + f.inst.ID + `/saml/metadata"`,
		`WantAssertionsSigned="true"`,
		`Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="` + origin + `/ui/sso/` + f.inst.ID + `/saml/acs"`,
	} {
		if !strings.Contains(md, want) {
			t.Errorf("metadata lacks %s:\n%s", want, md)
		}
	}
	if strings.Contains(md, "HTTP-Artifact") {
		t.Errorf("metadata offers the artifact binding, which is not served")
	}
}
