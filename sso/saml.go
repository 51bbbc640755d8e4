package sso

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/store"
)

// SAML 2.0 web browser SSO profile (OASIS "Profiles for the OASIS SAML V2.0" §4.1), service
// provider side: the AuthnRequest goes out with the HTTP-Redirect binding and the Response
// comes back with the HTTP-POST binding (OASIS "Bindings" §3.4 and §3.5). crewjam/saml does
// the XML signature (goxmldsig, pinned past CVE-2026-33487), Destination, InResponseTo,
// Issuer, Recipient and time checks; this file adds what a security-first service provider
// also needs, before and after it:
//
//   - the document has no DTD, exactly one Assertion anywhere (so no assertion can hide
//     inside another element, the usual signature-wrapping trick), directly under the
//     Response, and no EncryptedAssertion;
//   - that Assertion carries its own Signature: a response signed only as a whole is refused
//     ("signed assertions only");
//   - it has a Subject with a NameID and a bearer SubjectConfirmation with
//     SubjectConfirmationData (Recipient, NotOnOrAfter, InResponseTo), Conditions with at
//     least one AudienceRestriction, each of which names this service provider, and an
//     AuthnStatement;
//   - the response answers the AuthnRequest this browser sent (InResponseTo equal to the ID
//     kept in the sealed state cookie, and RelayState equal to the one sent); IdP-initiated
//     responses are refused (they cannot be told from login CSRF);
//   - the assertion ID is used once (SAMLReplayStore) until the assertion expires.

// maxSAMLResponseBytes bounds a decoded SAMLResponse.
const maxSAMLResponseBytes = 384 << 10

// XML namespaces of SAML 2.0 and XML Signature.
const (
	nsAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsDSig      = "http://www.w3.org/2000/09/xmldsig#"
	// bearerMethod is the SubjectConfirmation method of the web browser SSO profile.
	bearerMethod = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
)

// ParseIdPMetadata parses an identity provider's SAML metadata (an md:EntityDescriptor) and
// checks what sign-in needs: an entity ID, an IDPSSODescriptor with a SingleSignOnService for
// the HTTP-Redirect binding, and at least one parseable signing certificate. It returns
// InvalidParameterException saying what is missing.
func ParseIdPMetadata(doc string) (*saml.EntityDescriptor, error) {
	if len(doc) > identity.MaxIdPMetadataBytes {
		return nil, apierr.InvalidParameter(fmt.Sprintf("the IdP metadata must be at most %d bytes", identity.MaxIdPMetadataBytes))
	}
	if strings.Contains(doc, "<!DOCTYPE") || strings.Contains(doc, "<!ENTITY") {
		return nil, apierr.InvalidParameter("the IdP metadata must not contain a DTD")
	}
	var md saml.EntityDescriptor
	if err := xml.Unmarshal([]byte(doc), &md); err != nil {
		return nil, apierr.InvalidParameter("the IdP metadata is not an md:EntityDescriptor: " + err.Error())
	}
	if md.EntityID == "" || len(md.EntityID) > identity.MaxSSONameBytes {
		return nil, apierr.InvalidParameter(fmt.Sprintf("the IdP metadata must have an entityID of at most %d bytes", identity.MaxSSONameBytes))
	}
	if len(md.IDPSSODescriptors) == 0 {
		return nil, apierr.InvalidParameter("the IdP metadata has no IDPSSODescriptor")
	}
	sp := saml.ServiceProvider{IDPMetadata: &md}
	loc := sp.GetSSOBindingLocation(saml.HTTPRedirectBinding)
	if u, err := url.Parse(loc); loc == "" || err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
		return nil, apierr.InvalidParameter("the IdP metadata has no SingleSignOnService for the HTTP-Redirect binding with an http(s) location")
	}
	certs := 0
	for _, d := range md.IDPSSODescriptors {
		for _, kd := range d.KeyDescriptors {
			if kd.Use != "" && kd.Use != "signing" {
				continue
			}
			for _, c := range kd.KeyInfo.X509Data.X509Certificates {
				der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(c.Data), ""))
				if err != nil {
					return nil, apierr.InvalidParameter("the IdP metadata has a certificate that is not base64")
				}
				if _, err := x509.ParseCertificate(der); err != nil {
					return nil, apierr.InvalidParameter("the IdP metadata has a certificate that does not parse: " + err.Error())
				}
				certs++
			}
		}
	}
	if certs == 0 {
		return nil, apierr.InvalidParameter("the IdP metadata has no signing certificate")
	}
	return &md, nil
}

// serviceProvider builds the service provider of an instance from its configuration.
func (h *Handler) serviceProvider(instanceID string, c identity.SAMLConfig) (*saml.ServiceProvider, error) {
	md, err := ParseIdPMetadata(c.IdPMetadata)
	if err != nil {
		return nil, fmt.Errorf("saml config of %s: %w", instanceID, err)
	}
	return h.newServiceProvider(instanceID, c.SPEntityID, md), nil
}

func (h *Handler) newServiceProvider(instanceID, entityID string, md *saml.EntityDescriptor) *saml.ServiceProvider {
	metaURL, _ := url.Parse(h.spURL(instanceID, "saml/metadata"))
	acsURL, _ := url.Parse(h.spURL(instanceID, "saml/acs"))
	if entityID == "" {
		entityID = metaURL.String()
	}
	return &saml.ServiceProvider{
		EntityID: entityID, MetadataURL: *metaURL, AcsURL: *acsURL, IDPMetadata: md,
		AuthnNameIDFormat: saml.UnspecifiedNameIDFormat,
		AllowIDPInitiated: false,
	}
}

// samlMetadata serves the service provider's metadata: entity ID, the ACS for the HTTP-POST
// binding, and that assertions must be signed. It is served before the IdP is configured
// (the IdP needs it first).
func (h *Handler) samlMetadata(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	inst, err := h.lookupInstance(ctx, r.PathValue("instance"))
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	if !FederationAllowed(inst) {
		h.notFederated(w, r)
		return
	}
	var entityID string
	err = h.cfg.Store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		c, err := tx.GetSAMLConfig(ctx, inst.ID)
		if apierr.HasCode(err, apierr.CodeResourceNotFound) {
			return nil
		}
		entityID = c.SPEntityID
		return err
	})
	if err != nil {
		h.internalError(w, r, "saml metadata", err)
		return
	}
	sp := h.newServiceProvider(inst.ID, entityID, &saml.EntityDescriptor{})
	md := sp.Metadata()
	for i := range md.SPSSODescriptors {
		d := &md.SPSSODescriptors[i]
		d.AssertionConsumerServices = []saml.IndexedEndpoint{{Binding: saml.HTTPPostBinding, Location: sp.AcsURL.String(), Index: 1}}
		d.SingleLogoutServices = nil
	}
	body, err := xml.MarshalIndent(md, "", "  ")
	if err != nil {
		h.internalError(w, r, "saml metadata", err)
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(body)
}

// samlLogin sends the browser to the IdP with a new AuthnRequest (HTTP-Redirect binding) and
// keeps its ID and RelayState in the sealed state cookie.
func (h *Handler) samlLogin(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	inst, _, ok := h.beginSignIn(w, r, "sso.saml_login", "SAMLLogin")
	if !ok {
		return
	}
	var c identity.SAMLConfig
	err := h.cfg.Store.View(ctx, nil, func(ctx context.Context, tx store.Tx) (err error) {
		c, err = tx.GetSAMLConfig(ctx, inst.ID)
		return err
	})
	if apierr.HasCode(err, apierr.CodeResourceNotFound) {
		h.notFederated(w, r)
		return
	}
	if err != nil {
		h.internalError(w, r, "saml config", err)
		return
	}
	sp, err := h.serviceProvider(inst.ID, c)
	if err != nil {
		h.internalError(w, r, "saml service provider", err)
		return
	}
	req, err := sp.MakeAuthenticationRequest(sp.GetSSOBindingLocation(saml.HTTPRedirectBinding), saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	if err != nil {
		h.internalError(w, r, "saml authn request", err)
		return
	}
	relay, err := randomToken(h.cfg.Rand, 32)
	if err != nil {
		h.internalError(w, r, "relay state", err)
		return
	}
	if err := h.setState(ctx, w, SAMLStateCookie, "saml", http.SameSiteNoneMode, flowState{Instance: inst.ID, RequestID: req.ID, State: relay}); err != nil {
		h.internalError(w, r, "saml state", err)
		return
	}
	u, err := req.Redirect(relay, sp)
	if err != nil {
		h.internalError(w, r, "saml redirect", err)
		return
	}
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

// samlACS is the assertion consumer service. The POST comes from the IdP's site by design,
// so it is not checked for origin; it is bound to this browser's sign-in by the state cookie
// (InResponseTo and RelayState) and authenticated by the assertion's signature.
func (h *Handler) samlACS(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	inst, ip, ev, ok := h.beginReturn(w, r, "sso.saml_login", "SAMLLogin", MethodSAML, "SAML")
	if !ok {
		return
	}
	var c identity.SAMLConfig
	err := h.cfg.Store.View(ctx, nil, func(ctx context.Context, tx store.Tx) (err error) {
		c, err = tx.GetSAMLConfig(ctx, inst.ID)
		return err
	})
	if apierr.HasCode(err, apierr.CodeResourceNotFound) {
		h.recordRefusal(w, r, ev, refuse("SAML not configured"))
		return
	}
	if err != nil {
		h.internalError(w, r, "saml config", err)
		return
	}
	sp, err := h.serviceProvider(inst.ID, c)
	if err != nil {
		h.internalError(w, r, "saml service provider", err)
		return
	}
	st, err := h.readState(ctx, r, SAMLStateCookie, "saml", inst.ID)
	if err != nil {
		h.recordRefusal(w, r, ev, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		h.recordRefusal(w, r, ev, refuse("form too large or malformed"))
		return
	}
	if !tokenEqual(r.PostForm.Get("RelayState"), st.State) {
		h.recordRefusal(w, r, ev, refuse("RelayState does not match this browser's sign-in"))
		return
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(r.PostForm.Get("SAMLResponse")))
	if err != nil || len(raw) == 0 {
		h.recordRefusal(w, r, ev, refuse("SAMLResponse missing or not base64"))
		return
	}
	a, err := verifySAMLResponse(sp, raw, st.RequestID)
	if err != nil {
		h.recordRefusal(w, r, ev, err)
		return
	}
	ev.Details["assertion_id"] = truncate(a.ID, 128)
	// One sign-in per started request: the state cookie is spent whatever happens next.
	clearState(w, SAMLStateCookie, http.SameSiteNoneMode)
	if len(a.ID) > identity.MaxSAMLAssertionIDBytes {
		h.recordRefusal(w, r, ev, refuse("assertion ID too long"))
		return
	}
	var fresh bool
	err = h.cfg.Store.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		fresh, err = tx.UseSAMLAssertion(ctx, inst.ID, a.ID, assertionExpiry(a), h.cfg.Now())
		return err
	})
	if err != nil {
		h.internalError(w, r, "saml replay cache", err)
		return
	}
	if !fresh {
		h.recordRefusal(w, r, ev, refuse("assertion replayed"))
		return
	}
	p, err := samlPrincipal(sp, c, a)
	if err != nil {
		h.recordRefusal(w, r, ev, err)
		return
	}
	h.signIn(w, r, ip, ev, inst, p)
}

// networkRefusal turns the authentication profile's refusal into a sign-in refusal; other
// errors pass through.
func networkRefusal(err error) error {
	if apierr.HasCode(err, apierr.CodeAccessDenied) {
		return refuse("network denied by the authentication profile")
	}
	return err
}

// verifySAMLResponse checks a decoded SAML Response (see the file comment) and returns its
// one assertion. Every failure is a refusal naming the check.
func verifySAMLResponse(sp *saml.ServiceProvider, raw []byte, requestID string) (a *saml.Assertion, err error) {
	if len(raw) > maxSAMLResponseBytes {
		return nil, refuse("SAMLResponse too large")
	}
	el, err := checkResponseShape(raw)
	if err != nil {
		return nil, err
	}
	audience := sp.EntityID
	sp.ValidateAudienceRestriction = func(*saml.Assertion) error { return checkAudiences(el, audience) }
	defer func() {
		if p := recover(); p != nil {
			a, err = nil, refuse("SAMLResponse malformed")
		}
	}()
	a, err = sp.ParseXMLResponse(raw, []string{requestID}, sp.AcsURL)
	if err != nil {
		reason := "SAMLResponse rejected"
		var ire *saml.InvalidResponseError
		if errors.As(err, &ire) && ire.PrivateErr != nil {
			reason += ": " + truncate(ire.PrivateErr.Error(), 300)
		}
		return nil, refuse(reason)
	}
	if a.ID == "" || a.ID != el.SelectAttrValue("ID", "") {
		return nil, refuse("the verified assertion is not the one in the response")
	}
	if a.Subject == nil || a.Subject.NameID == nil || strings.TrimSpace(a.Subject.NameID.Value) == "" {
		return nil, refuse("assertion has no NameID")
	}
	bearer := false
	for _, sc := range a.Subject.SubjectConfirmations {
		if sc.Method == bearerMethod && sc.SubjectConfirmationData != nil && !sc.SubjectConfirmationData.NotOnOrAfter.IsZero() {
			bearer = true
		}
	}
	if !bearer {
		return nil, refuse("assertion has no bearer SubjectConfirmation with NotOnOrAfter")
	}
	if len(a.AuthnStatements) == 0 {
		return nil, refuse("assertion has no AuthnStatement")
	}
	return a, nil
}

// checkResponseShape parses raw and applies the structural rules that come before the
// signature check. It returns the one Assertion element.
func checkResponseShape(raw []byte) (*etree.Element, error) {
	if bytes.Contains(raw, []byte("<!DOCTYPE")) || bytes.Contains(raw, []byte("<!ENTITY")) {
		return nil, refuse("SAMLResponse has a DTD")
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		return nil, refuse("SAMLResponse is not XML")
	}
	root := doc.Root()
	if root == nil || root.Tag != "Response" || root.NamespaceURI() != nsProtocol {
		return nil, refuse("SAMLResponse is not a samlp:Response")
	}
	if root.SelectAttrValue("Destination", "") == "" {
		return nil, refuse("Response has no Destination")
	}
	var assertions []*etree.Element
	var walk func(e *etree.Element) error
	walk = func(e *etree.Element) error {
		for _, c := range e.ChildElements() {
			switch {
			case c.Tag == "EncryptedAssertion":
				return refuse("encrypted assertions are not supported")
			case c.Tag == "Assertion":
				assertions = append(assertions, c)
			}
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(root); err != nil {
		return nil, err
	}
	if len(assertions) != 1 {
		return nil, refuse(fmt.Sprintf("response holds %d Assertion elements, want exactly 1", len(assertions)))
	}
	a := assertions[0]
	if a.Parent() != root || a.NamespaceURI() != nsAssertion {
		return nil, refuse("the Assertion is not a direct child of the Response")
	}
	if child(a, nsDSig, "Signature") == nil {
		return nil, refuse("assertion is not signed")
	}
	subj := child(a, nsAssertion, "Subject")
	if subj == nil || child(a, nsAssertion, "Conditions") == nil {
		return nil, refuse("assertion has no Subject or no Conditions")
	}
	for _, sc := range subj.ChildElements() {
		if sc.Tag == "SubjectConfirmation" && child(sc, nsAssertion, "SubjectConfirmationData") == nil {
			return nil, refuse("SubjectConfirmation has no SubjectConfirmationData")
		}
	}
	return a, nil
}

// child returns the first direct child of e with the namespace and local name, or nil.
func child(e *etree.Element, ns, tag string) *etree.Element {
	for _, c := range e.ChildElements() {
		if c.Tag == tag && c.NamespaceURI() == ns {
			return c
		}
	}
	return nil
}

// checkAudiences requires at least one AudienceRestriction in the assertion's Conditions and
// that every one of them names audience (SAML core §2.5.1.4: each restriction must be
// satisfied). crewjam/saml reads one Audience per restriction and accepts none at all, so the
// check reads the (signature-verified) element itself.
func checkAudiences(assertion *etree.Element, audience string) error {
	cond := child(assertion, nsAssertion, "Conditions")
	n := 0
	for _, ar := range cond.ChildElements() {
		if ar.Tag != "AudienceRestriction" || ar.NamespaceURI() != nsAssertion {
			continue
		}
		n++
		ok := false
		for _, au := range ar.ChildElements() {
			if au.Tag == "Audience" && strings.TrimSpace(au.Text()) == audience {
				ok = true
			}
		}
		if !ok {
			return fmt.Errorf("an AudienceRestriction does not name %q", audience)
		}
	}
	if n == 0 {
		return errors.New("no AudienceRestriction")
	}
	return nil
}

// assertionExpiry is how long the assertion's ID stays in the replay cache: its latest
// NotOnOrAfter plus the clock skew the checks allow.
func assertionExpiry(a *saml.Assertion) time.Time {
	exp := a.Conditions.NotOnOrAfter
	for _, sc := range a.Subject.SubjectConfirmations {
		if d := sc.SubjectConfirmationData; d != nil && d.NotOnOrAfter.After(exp) {
			exp = d.NotOnOrAfter
		}
	}
	if min := a.IssueInstant.Add(saml.MaxIssueDelay); min.After(exp) {
		exp = min
	}
	return exp.Add(saml.MaxClockSkew)
}

// transientNameID is the NameID format whose value changes at every sign-in.
const transientNameID = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"

// samlPrincipal reads the person out of a verified assertion: the username from the
// configured attribute (or the NameID), the names, and the subject (the NameID; for a
// transient NameID, the username).
func samlPrincipal(sp *saml.ServiceProvider, c identity.SAMLConfig, a *saml.Assertion) (principal, error) {
	nameID := strings.TrimSpace(a.Subject.NameID.Value)
	p := principal{Method: MethodSAML, Provider: "saml:" + sp.IDPMetadata.EntityID, Subject: nameID, JIT: c.JIT}
	if c.UsernameAttribute == "" {
		p.Username = nameID
	} else {
		p.Username = samlAttribute(a, c.UsernameAttribute)
		if p.Username == "" {
			return p, refuse("assertion has no " + truncate(c.UsernameAttribute, 100) + " attribute")
		}
	}
	if a.Subject.NameID.Format == transientNameID {
		p.Subject = "username:" + identity.NormalizeUsername(p.Username)
	}
	if c.FirstNameAttribute != "" {
		p.FirstName = samlAttribute(a, c.FirstNameAttribute)
	}
	if c.LastNameAttribute != "" {
		p.LastName = samlAttribute(a, c.LastNameAttribute)
	}
	return p, nil
}

// samlAttribute returns the first value of the attribute whose Name or FriendlyName is name.
func samlAttribute(a *saml.Assertion, name string) string {
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			if (at.Name == name || at.FriendlyName == name) && len(at.Values) > 0 {
				return strings.TrimSpace(at.Values[0].Value)
			}
		}
	}
	return ""
}
