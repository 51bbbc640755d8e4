package sso_test

import (
	"context"
	"io/fs"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/sso"
)

// TestMethodAllowed is the sign-in policy per IdentityManagementType.
func TestMethodAllowed(t *testing.T) {
	t.Parallel()
	want := map[instance.IdentityManagementType]map[sso.Method]bool{
		instance.IdentityManagementConnectManaged:    {sso.MethodPassword: true, sso.MethodSAML: false, sso.MethodOIDC: false, sso.MethodEmergency: true},
		instance.IdentityManagementSAML:              {sso.MethodPassword: false, sso.MethodSAML: true, sso.MethodOIDC: true, sso.MethodEmergency: true},
		instance.IdentityManagementExistingDirectory: {sso.MethodPassword: false, sso.MethodSAML: false, sso.MethodOIDC: false, sso.MethodEmergency: true},
	}
	for imt, methods := range want {
		inst := instance.Instance{IdentityManagementType: imt}
		for m, ok := range methods {
			if got := sso.MethodAllowed(inst, m); got != ok {
				t.Errorf("MethodAllowed(%s, %s) = %v, want %v", imt, m, got, ok)
			}
		}
		if sso.PasswordAllowed(inst) != methods[sso.MethodPassword] || sso.FederationAllowed(inst) != methods[sso.MethodSAML] {
			t.Errorf("%s: PasswordAllowed/FederationAllowed disagree with MethodAllowed", imt)
		}
	}
	if sso.MethodAllowed(instance.Instance{IdentityManagementType: instance.IdentityManagementSAML}, "kerberos") {
		t.Error("an unknown method was allowed")
	}
}

// TestSecurityHeadersOnEveryPage checks the CSP and friends on pages, refusals and errors.
func TestSecurityHeadersOnEveryPage(t *testing.T) {
	t.Parallel()
	f, _ := samlFixture(t)
	b := f.browser()
	for _, path := range []string{"/ui/emergency", "/ui/sso/" + f.inst.ID + "/saml/metadata", "/ui/sso/" + f.inst.ID + "/saml/login", "/ui/sso/nope/saml/login", "/ui/sso/x/y/z"} {
		res := b.get(path)
		h := res.Header
		if h.Get("Content-Security-Policy") != sso.ContentSecurityPolicy || h.Get("X-Frame-Options") != "DENY" ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Cache-Control") != "no-store" || h.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("GET %s: headers %v", path, h)
		}
	}
	res := postSAML(b, f.inst.ID, "", "")
	if res.Header.Get("Content-Security-Policy") != sso.ContentSecurityPolicy {
		t.Errorf("ACS refusal has no CSP")
	}
	for _, d := range []string{"script-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'", "form-action 'self'"} {
		if !strings.Contains(sso.ContentSecurityPolicy, d) {
			t.Errorf("CSP lacks %s", d)
		}
	}
}

// TestTemplatesHaveNoInlineCode keeps scripts, styles and event handlers out of the pages.
func TestTemplatesHaveNoInlineCode(t *testing.T) {
	t.Parallel()
	err := filepath.WalkDir("templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		s := strings.ToLower(string(b))
		for _, bad := range []string{"<script", "<style", " style=", " on", "javascript:"} {
			if bad == " on" {
				for _, h := range []string{" onclick", " onload", " onerror", " onsubmit"} {
					if strings.Contains(s, h) {
						t.Errorf("%s has an inline handler %s", path, h)
					}
				}
				continue
			}
			if strings.Contains(s, bad) {
				t.Errorf("%s contains %s", path, bad)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestStartPicksProvider checks /ui/sso/{instance}: SAML first, else OIDC, else not available.
func TestStartPicksProvider(t *testing.T) {
	t.Parallel()
	f, _ := samlFixture(t)
	b := f.browser()
	if res := b.get("/ui/sso/" + f.inst.Alias); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/ui/sso/"+f.inst.ID+"/saml/login" {
		t.Errorf("with SAML: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if err := f.admin.RemoveSAML(context.Background(), f.inst.ID); err != nil {
		t.Fatal(err)
	}
	if res := b.get("/ui/sso/" + f.inst.Alias); res.StatusCode != http.StatusNotFound {
		t.Errorf("without configuration: %d", res.StatusCode)
	}
	if err := f.admin.RemoveSAML(context.Background(), f.inst.ID); !apierr.HasCode(err, apierr.CodeResourceNotFound) {
		t.Errorf("removing twice: %v", err)
	}
}

// TestSAMLConfigValidation checks what ConfigureSAML refuses.
func TestSAMLConfigValidation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, instance.IdentityManagementSAML)
	idp := newTestIdP(t, idpEntityID)
	good := identity.SAMLConfig{InstanceID: f.inst.ID, IdPMetadata: idp.metadata()}
	cases := []struct {
		name string
		edit func(*identity.SAMLConfig)
		want apierr.Code
	}{
		{"empty metadata", func(c *identity.SAMLConfig) { c.IdPMetadata = "" }, apierr.CodeInvalidParameter},
		{"not metadata", func(c *identity.SAMLConfig) { c.IdPMetadata = "<html/>" }, apierr.CodeInvalidParameter},
		{"no certificate", func(c *identity.SAMLConfig) {
			c.IdPMetadata = strings.Replace(idp.metadata(), `use="signing"`, `use="encryption"`, 1)
		}, apierr.CodeInvalidParameter},
		{"no redirect binding", func(c *identity.SAMLConfig) {
			c.IdPMetadata = strings.Replace(idp.metadata(), "HTTP-Redirect", "HTTP-Artifact", 1)
		}, apierr.CodeInvalidParameter},
		{"DTD", func(c *identity.SAMLConfig) { c.IdPMetadata = `<!DOCTYPE x [<!ENTITY a "b">]>` + idp.metadata() }, apierr.CodeInvalidParameter},
		{"attribute with control character", func(c *identity.SAMLConfig) { c.UsernameAttribute = "uid\n" }, apierr.CodeInvalidParameter},
		{"routing profile without security profile", func(c *identity.SAMLConfig) {
			c.JIT.RoutingProfileID = "00000000-0000-4000-8000-000000000000"
		}, apierr.CodeInvalidParameter},
		{"unknown JIT profile", func(c *identity.SAMLConfig) {
			c.JIT.SecurityProfileID = "00000000-0000-4000-8000-000000000000"
		}, apierr.CodeResourceNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := good
			c.edit(&cfg)
			if err := f.admin.ConfigureSAML(context.Background(), cfg); !apierr.HasCode(err, c.want) {
				t.Errorf("ConfigureSAML: %v, want %s", err, c.want)
			}
		})
	}
	if err := f.admin.ConfigureSAML(context.Background(), good); err != nil {
		t.Fatalf("good config: %v", err)
	}
	st, err := f.admin.Show(context.Background(), f.inst.ID)
	if err != nil || st.SAML == nil || st.IdPEntityID != idpEntityID || st.OIDC != nil || st.EmergencyAccess {
		t.Fatalf("Show = %+v, %v", st, err)
	}
	if ev := f.lastEvent("host.sso_saml_configure"); ev.Details["idp_entity_id"] != idpEntityID || ev.Actor != "host" {
		t.Errorf("configure event = %+v", ev)
	}
}

// authProfiles is a fixed authentication profile for every instance.
type authProfiles identity.AuthenticationProfile

func (p authProfiles) CheckSignInNetwork(_ context.Context, _ string, ip netip.Addr) error {
	return identity.CheckIP(identity.AuthenticationProfile(p), ip)
}

// TestNetworkRulesBeforeSignIn: a client address the authentication profile blocks is
// refused (and audited) at SAML, OIDC and emergency sign-in before anything else is looked at.
func TestNetworkRulesBeforeSignIn(t *testing.T) {
	t.Parallel()
	blocked := authProfiles{BlockedIPs: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}} // httptest's client address
	f := newFixture(t, instance.IdentityManagementSAML, func(c *sso.Config) { c.AuthProfiles = blocked })
	idp := newTestIdP(t, idpEntityID)
	if err := f.admin.ConfigureSAML(context.Background(), identity.SAMLConfig{InstanceID: f.inst.ID, IdPMetadata: idp.metadata()}); err != nil {
		t.Fatal(err)
	}
	b := f.browser()
	if res := b.get("/ui/sso/" + f.inst.ID + "/saml/login"); res.StatusCode != http.StatusForbidden {
		t.Errorf("saml login: status %d, want 403", res.StatusCode)
	}
	if res := postSAML(b, f.inst.ID, "PHg+", "r"); res.StatusCode != http.StatusForbidden {
		t.Errorf("acs: status %d, want 403", res.StatusCode)
	}
	if ev := f.lastEvent("sso.saml_login"); ev.Details["reason"] != "network denied by the authentication profile" {
		t.Errorf("acs reason = %q", ev.Details["reason"])
	}
	if err := f.admin.SetEmergencyAccess(context.Background(), f.inst.ID, true); err != nil {
		t.Fatal(err)
	}
	if res := useEmergencyToken(t, b, f.inst.ID, secret.New("rfe_x")); res.StatusCode != http.StatusForbidden ||
		f.lastEvent("sso.emergency_login").Details["reason"] != "network denied by the authentication profile" {
		t.Errorf("emergency: status %d reason %q", res.StatusCode, f.lastEvent("sso.emergency_login").Details["reason"])
	}
}
