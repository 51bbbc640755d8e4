package sso_test

import (
	"bytes"
	"compress/flate"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// testIdP is a SAML 2.0 identity provider written for the tests: it holds a signing key and
// certificate, publishes metadata, and builds (signed, unsigned or tampered) responses.
type testIdP struct {
	entityID string
	ssoURL   string
	key      *rsa.PrivateKey
	cert     *x509.Certificate
}

// testKeys are RSA keys made once per test binary (key generation is slow under -race);
// testKey(t, i) returns the i-th.
var (
	testKeysMu sync.Mutex
	testKeys   []*rsa.PrivateKey
)

func testKey(t *testing.T, i int) *rsa.PrivateKey {
	t.Helper()
	testKeysMu.Lock()
	defer testKeysMu.Unlock()
	for len(testKeys) <= i {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		testKeys = append(testKeys, k)
	}
	return testKeys[i]
}

// Key slots: the trusted IdP, an untrusted one, the OpenID provider, another signer.
const (
	keyIdP = iota
	keyEvilIdP
	keyOP
	keyOther
)

func newTestIdP(t *testing.T, entityID string) *testIdP {
	return newTestIdPWithKey(t, entityID, testKey(t, keyIdP))
}

func newTestIdPWithKey(t *testing.T, entityID string, key *rsa.PrivateKey) *testIdP {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test idp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testIdP{entityID: entityID, ssoURL: "https://idp.example.test/sso", key: key, cert: cert}
}

// metadata is the IdP's md:EntityDescriptor.
func (p *testIdP) metadata() string {
	return fmt.Sprintf(`<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="%s">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" WantAuthnRequestsSigned="false">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>%s</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="%s"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`, p.entityID, base64.StdEncoding.EncodeToString(p.cert.Raw), p.ssoURL)
}

// authnRequest is what the IdP read from the service provider's redirect.
type authnRequest struct {
	ID         string `xml:"ID,attr"`
	ACSURL     string `xml:"AssertionConsumerServiceURL,attr"`
	Issuer     string `xml:"Issuer"`
	RelayState string `xml:"-"`
}

// readRedirect decodes the HTTP-Redirect binding (DEFLATE, base64) of the SP's AuthnRequest.
func (p *testIdP) readRedirect(t *testing.T, res *http.Response) authnRequest {
	t.Helper()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("saml login status = %d, want 303", res.StatusCode)
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != p.ssoURL {
		t.Fatalf("redirected to %s, want the IdP's %s", got, p.ssoURL)
	}
	return decodeAuthnRequest(t, loc)
}

// decodeAuthnRequest reads the AuthnRequest and RelayState of an HTTP-Redirect binding URL.
func decodeAuthnRequest(t *testing.T, loc *url.URL) authnRequest {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(loc.Query().Get("SAMLRequest"))
	if err != nil {
		t.Fatal(err)
	}
	xmlBytes, err := io.ReadAll(flate.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	var req authnRequest
	if err := xml.Unmarshal(xmlBytes, &req); err != nil {
		t.Fatal(err)
	}
	req.RelayState = loc.Query().Get("RelayState")
	return req
}

// assertionSpec describes one response.
type assertionSpec struct {
	ResponseID, AssertionID      string
	InResponseTo                 string
	Destination, Recipient       string
	Audience                     string // "" leaves out the AudienceRestriction
	Issuer                       string
	NameID, NameIDFormat         string
	Attributes                   map[string]string
	IssueInstant                 time.Time
	NotBefore, NotOnOrAfter      time.Time
	SignAssertion, SignResponse  bool
	ModifyBeforeSigningAssertion func(a *etree.Element)
}

// spec returns a valid spec answering req for the service provider of instanceID.
func (p *testIdP) spec(req authnRequest, instanceID, nameID string) assertionSpec {
	return p.specFor(req, origin, instanceID, nameID)
}

// specFor is spec for a service provider at spOrigin.
func (p *testIdP) specFor(req authnRequest, spOrigin, instanceID, nameID string) assertionSpec {
	now := time.Now().UTC()
	acs := spOrigin + "/ui/sso/" + instanceID + "/saml/acs"
	return assertionSpec{
		ResponseID: "_r" + randomHex(), AssertionID: "_a" + randomHex(), InResponseTo: req.ID,
		Destination: acs, Recipient: acs, Audience: spOrigin + "/ui/sso/" + instanceID + "/saml/metadata",
		Issuer: p.entityID, NameID: nameID, NameIDFormat: "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
		Attributes:   map[string]string{"uid": nameID, "givenName": "Ada", "sn": "Lovelace"},
		IssueInstant: now, NotBefore: now.Add(-time.Minute), NotOnOrAfter: now.Add(5 * time.Minute),
		SignAssertion: true,
	}
}

func randomHex() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)
}

func samlTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// assertion builds the saml:Assertion element of s, signed when s.SignAssertion.
func (p *testIdP) assertion(t *testing.T, s assertionSpec) *etree.Element {
	t.Helper()
	a := etree.NewElement("saml:Assertion")
	a.CreateAttr("xmlns:saml", "urn:oasis:names:tc:SAML:2.0:assertion")
	a.CreateAttr("ID", s.AssertionID)
	a.CreateAttr("Version", "2.0")
	a.CreateAttr("IssueInstant", samlTime(s.IssueInstant))
	a.CreateElement("saml:Issuer").SetText(s.Issuer)
	subj := a.CreateElement("saml:Subject")
	nid := subj.CreateElement("saml:NameID")
	nid.CreateAttr("Format", s.NameIDFormat)
	nid.SetText(s.NameID)
	sc := subj.CreateElement("saml:SubjectConfirmation")
	sc.CreateAttr("Method", "urn:oasis:names:tc:SAML:2.0:cm:bearer")
	scd := sc.CreateElement("saml:SubjectConfirmationData")
	scd.CreateAttr("InResponseTo", s.InResponseTo)
	scd.CreateAttr("NotOnOrAfter", samlTime(s.NotOnOrAfter))
	scd.CreateAttr("Recipient", s.Recipient)
	cond := a.CreateElement("saml:Conditions")
	cond.CreateAttr("NotBefore", samlTime(s.NotBefore))
	cond.CreateAttr("NotOnOrAfter", samlTime(s.NotOnOrAfter))
	if s.Audience != "" {
		cond.CreateElement("saml:AudienceRestriction").CreateElement("saml:Audience").SetText(s.Audience)
	}
	as := a.CreateElement("saml:AuthnStatement")
	as.CreateAttr("AuthnInstant", samlTime(s.IssueInstant))
	as.CreateAttr("SessionIndex", "_s"+randomHex())
	as.CreateElement("saml:AuthnContext").CreateElement("saml:AuthnContextClassRef").SetText("urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport")
	if len(s.Attributes) > 0 {
		st := a.CreateElement("saml:AttributeStatement")
		for _, name := range []string{"uid", "givenName", "sn", "mail"} {
			v, ok := s.Attributes[name]
			if !ok {
				continue
			}
			at := st.CreateElement("saml:Attribute")
			at.CreateAttr("Name", name)
			at.CreateElement("saml:AttributeValue").SetText(v)
		}
	}
	if s.ModifyBeforeSigningAssertion != nil {
		s.ModifyBeforeSigningAssertion(a)
	}
	if s.SignAssertion {
		a = p.sign(t, a)
	}
	return a
}

// sign returns el with an enveloped XML signature (RSA-SHA256, exclusive C14N) placed after
// its Issuer, as SAML's schema orders it.
func (p *testIdP) sign(t *testing.T, el *etree.Element) *etree.Element {
	t.Helper()
	ctx, err := dsig.NewSigningContext(p.key, [][]byte{p.cert.Raw})
	if err != nil {
		t.Fatal(err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	signed, err := ctx.SignEnveloped(el)
	if err != nil {
		t.Fatal(err)
	}
	// SignEnveloped appends the Signature to the copy's children without parenting it.
	sig := signed.Child[len(signed.Child)-1]
	signed.Child = signed.Child[:len(signed.Child)-1]
	signed.InsertChildAt(1, sig)
	return signed
}

// response builds the samlp:Response document of s.
func (p *testIdP) response(t *testing.T, s assertionSpec) *etree.Document {
	t.Helper()
	doc := etree.NewDocument()
	r := doc.CreateElement("samlp:Response")
	r.CreateAttr("xmlns:samlp", "urn:oasis:names:tc:SAML:2.0:protocol")
	r.CreateAttr("xmlns:saml", "urn:oasis:names:tc:SAML:2.0:assertion")
	r.CreateAttr("ID", s.ResponseID)
	r.CreateAttr("Version", "2.0")
	r.CreateAttr("IssueInstant", samlTime(s.IssueInstant))
	r.CreateAttr("Destination", s.Destination)
	r.CreateAttr("InResponseTo", s.InResponseTo)
	r.CreateElement("saml:Issuer").SetText(s.Issuer)
	r.CreateElement("samlp:Status").CreateElement("samlp:StatusCode").CreateAttr("Value", "urn:oasis:names:tc:SAML:2.0:status:Success")
	r.AddChild(p.assertion(t, s))
	if s.SignResponse {
		doc.SetRoot(p.sign(t, r))
	}
	return doc
}

// encode serialises doc for the HTTP-POST binding.
func encode(t *testing.T, doc *etree.Document) string {
	t.Helper()
	b, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}
