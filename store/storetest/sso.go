package storetest

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/store"
)

// testSSOConfigs stores, replaces, reads and deletes SAML and OIDC configurations; the OIDC
// client secret is sealed at rest and bound to its instance.
func testSSOConfigs(t *testing.T, h Harness) {
	f := newIdentityFixture(t, h, "sso-config")
	saml := identity.SAMLConfig{
		InstanceID: f.a.ID, IdPMetadata: "<EntityDescriptor/>", SPEntityID: "https://cc.example.com/sp",
		UsernameAttribute: "uid", FirstNameAttribute: "givenName", LastNameAttribute: "sn",
		JIT:         identity.JITProvisioning{SecurityProfileID: f.profiles["a/Agent"].ID},
		UpdatedTime: t0,
	}
	const canary = "client-secret-canary-7f3a"
	oidc := identity.OIDCConfig{
		InstanceID: f.a.ID, Issuer: "https://idp.example.com", ClientID: "ringfence", ClientSecret: secret.New(canary),
		Scopes: []string{"openid", "profile", "email"}, UsernameClaim: "email", FirstNameClaim: "given_name", LastNameClaim: "family_name",
		JIT:         identity.JITProvisioning{SecurityProfileID: f.profiles["a/Agent"].ID, RoutingProfileID: "r0000000-0000-4000-8000-000000000001"},
		UpdatedTime: t0,
	}
	err := f.view(func(ctx context.Context, tx store.Tx) error {
		_, err := tx.GetSAMLConfig(ctx, f.a.ID)
		wantCode(t, err, apierr.CodeResourceNotFound)
		_, err = tx.GetOIDCConfig(ctx, f.a.ID)
		wantCode(t, err, apierr.CodeResourceNotFound)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.up(func(ctx context.Context, tx store.Tx) error {
		if err := tx.PutSAMLConfig(ctx, saml); err != nil {
			return err
		}
		return tx.PutOIDCConfig(ctx, oidc)
	}); err != nil {
		t.Fatalf("Put configs: %v", err)
	}
	// Replace: the second Put wins.
	saml.UsernameAttribute, saml.UpdatedTime = "mail", t0.Add(time.Minute)
	oidc.ClientSecret, oidc.Scopes = secret.New(canary+"-2"), []string{"openid"}
	if err := f.up(func(ctx context.Context, tx store.Tx) error {
		if err := tx.PutSAMLConfig(ctx, saml); err != nil {
			return err
		}
		return tx.PutOIDCConfig(ctx, oidc)
	}); err != nil {
		t.Fatalf("replace configs: %v", err)
	}
	var (
		gotSAML identity.SAMLConfig
		gotOIDC identity.OIDCConfig
	)
	if err := f.view(func(ctx context.Context, tx store.Tx) error {
		var err error
		if gotSAML, err = tx.GetSAMLConfig(ctx, f.a.ID); err != nil {
			return err
		}
		gotOIDC, err = tx.GetOIDCConfig(ctx, f.a.ID)
		return err
	}); err != nil {
		t.Fatalf("Get configs: %v", err)
	}
	if diff := cmp.Diff(saml, gotSAML); diff != "" {
		t.Errorf("SAML config (-want +got):\n%s", diff)
	}
	if gotOIDC.ClientSecret.Reveal() != oidc.ClientSecret.Reveal() {
		t.Errorf("client secret did not round-trip")
	}
	gotOIDC.ClientSecret, oidc.ClientSecret = secret.Value[string]{}, secret.Value[string]{}
	if diff := cmp.Diff(oidc, gotOIDC, cmp.Comparer(func(a, b secret.Value[string]) bool { return a.Reveal() == b.Reveal() })); diff != "" {
		t.Errorf("OIDC config (-want +got):\n%s", diff)
	}

	// At rest the secret is sealed; moved to instance B's row it does not open.
	rows := h.Query(t, f.s, `SELECT client_secret FROM sso_oidc_configs WHERE instance_id = ?`, f.a.ID)
	var sealed []byte
	for rows.Next() {
		if err := rows.Scan(&sealed); err != nil {
			t.Fatal(err)
		}
	}
	rows.Close()
	if len(sealed) == 0 || bytes.Contains(sealed, []byte(canary)) {
		t.Fatalf("client secret at rest = %d bytes, clear=%v; want sealed", len(sealed), bytes.Contains(sealed, []byte(canary)))
	}
	oidcB := oidc
	oidcB.InstanceID, oidcB.ClientSecret = f.b.ID, secret.New("other")
	if err := f.up(func(ctx context.Context, tx store.Tx) error { return tx.PutOIDCConfig(ctx, oidcB) }); err != nil {
		t.Fatal(err)
	}
	h.Exec(t, f.s, `UPDATE sso_oidc_configs SET client_secret = ? WHERE instance_id = ?`, sealed, f.b.ID)
	if err := f.view(func(ctx context.Context, tx store.Tx) error { _, err := tx.GetOIDCConfig(ctx, f.b.ID); return err }); err == nil {
		t.Errorf("a client secret moved to another instance opened")
	}

	// Delete; deleting again is not found; instance B is untouched by A's deletes.
	if err := f.up(func(ctx context.Context, tx store.Tx) error {
		if err := tx.DeleteSAMLConfig(ctx, f.a.ID); err != nil {
			return err
		}
		return tx.DeleteOIDCConfig(ctx, f.a.ID)
	}); err != nil {
		t.Fatalf("Delete configs: %v", err)
	}
	err = f.up(func(ctx context.Context, tx store.Tx) error { return tx.DeleteSAMLConfig(ctx, f.a.ID) })
	wantCode(t, err, apierr.CodeResourceNotFound)
	err = f.up(func(ctx context.Context, tx store.Tx) error { return tx.DeleteOIDCConfig(ctx, f.a.ID) })
	wantCode(t, err, apierr.CodeResourceNotFound)
	err = f.view(func(ctx context.Context, tx store.Tx) error { _, err := tx.GetSAMLConfig(ctx, f.a.ID); return err })
	wantCode(t, err, apierr.CodeResourceNotFound)
}

// testSSOLinks stores and repoints subject-to-user links, scoped by instance and provider.
func testSSOLinks(t *testing.T, h Harness) {
	f := newIdentityFixture(t, h, "sso-links")
	l := identity.SSOLink{InstanceID: f.a.ID, Provider: "saml:https://idp.example.com", Subject: "jdoe@example.com", UserID: "u1", Created: t0}
	if err := f.up(func(ctx context.Context, tx store.Tx) error { return tx.PutSSOLink(ctx, l) }); err != nil {
		t.Fatalf("PutSSOLink: %v", err)
	}
	l.UserID, l.Created = "u2", t0.Add(time.Hour)
	if err := f.up(func(ctx context.Context, tx store.Tx) error { return tx.PutSSOLink(ctx, l) }); err != nil {
		t.Fatalf("PutSSOLink again: %v", err)
	}
	err := f.view(func(ctx context.Context, tx store.Tx) error {
		got, err := tx.GetSSOLink(ctx, f.a.ID, l.Provider, l.Subject)
		if err != nil {
			return err
		}
		if diff := cmp.Diff(l, got); diff != "" {
			t.Errorf("link (-want +got):\n%s", diff)
		}
		_, err = tx.GetSSOLink(ctx, f.b.ID, l.Provider, l.Subject)
		wantCode(t, err, apierr.CodeResourceNotFound)
		_, err = tx.GetSSOLink(ctx, f.a.ID, "oidc:https://idp.example.com", l.Subject)
		wantCode(t, err, apierr.CodeResourceNotFound)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// testSAMLReplay checks the replay cache: an ID is fresh once per instance until it expires.
func testSAMLReplay(t *testing.T, h Harness) {
	f := newIdentityFixture(t, h, "saml-replay")
	use := func(inst, id string, expires, now time.Time) bool {
		t.Helper()
		var fresh bool
		if err := f.up(func(ctx context.Context, tx store.Tx) error {
			var err error
			fresh, err = tx.UseSAMLAssertion(ctx, inst, id, expires, now)
			return err
		}); err != nil {
			t.Fatalf("UseSAMLAssertion: %v", err)
		}
		return fresh
	}
	exp := t0.Add(5 * time.Minute)
	if !use(f.a.ID, "_a1", exp, t0) {
		t.Errorf("first use not fresh")
	}
	if use(f.a.ID, "_a1", exp, t0.Add(time.Minute)) {
		t.Errorf("second use before expiry was fresh (replay accepted)")
	}
	if !use(f.b.ID, "_a1", exp, t0) {
		t.Errorf("the same ID in another instance was not fresh")
	}
	// After expiry the entry is pruned (the assertion itself is refused by its own time checks).
	if !use(f.a.ID, "_a1", exp.Add(10*time.Minute), exp.Add(time.Minute)) {
		t.Errorf("use after expiry was not fresh")
	}

	// Concurrent uses of one ID: exactly one is fresh.
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		fresh int
	)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ok bool
			err := f.up(func(ctx context.Context, tx store.Tx) error {
				var err error
				ok, err = tx.UseSAMLAssertion(ctx, f.a.ID, "_race", exp, t0)
				return err
			})
			mu.Lock()
			defer mu.Unlock()
			if err == nil && ok {
				fresh++
			}
		}()
	}
	wg.Wait()
	if fresh != 1 {
		t.Errorf("concurrent uses fresh = %d, want 1", fresh)
	}
}

// testEmergencyAccess checks the switch and the one-time tokens: single use even when raced,
// expiry, instance scoping, and that switching off deletes unused tokens.
func testEmergencyAccess(t *testing.T, h Harness) {
	f := newIdentityFixture(t, h, "emergency")
	on := func(inst string) bool {
		t.Helper()
		var v bool
		if err := f.view(func(ctx context.Context, tx store.Tx) error {
			var err error
			v, err = tx.EmergencyAccessEnabled(ctx, inst)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return v
	}
	set := func(inst string, v bool) {
		t.Helper()
		if err := f.up(func(ctx context.Context, tx store.Tx) error { return tx.SetEmergencyAccess(ctx, inst, v, t0) }); err != nil {
			t.Fatal(err)
		}
	}
	if on(f.a.ID) {
		t.Fatal("emergency access on by default")
	}
	set(f.a.ID, true)
	if !on(f.a.ID) || on(f.b.ID) {
		t.Fatalf("after enabling A: A=%v B=%v, want true false", on(f.a.ID), on(f.b.ID))
	}
	mint := func(hash string, created time.Time) {
		t.Helper()
		tok := identity.EmergencyToken{Hash: hash, InstanceID: f.a.ID, UserID: "u1", Created: created, Expires: created.Add(15 * time.Minute)}
		if err := f.up(func(ctx context.Context, tx store.Tx) error { return tx.CreateEmergencyToken(ctx, tok) }); err != nil {
			t.Fatalf("CreateEmergencyToken: %v", err)
		}
	}
	consume := func(inst, hash string, now time.Time) (identity.EmergencyToken, error) {
		var tok identity.EmergencyToken
		err := f.up(func(ctx context.Context, tx store.Tx) error {
			var err error
			tok, err = tx.ConsumeEmergencyToken(ctx, inst, hash, now)
			return err
		})
		return tok, err
	}
	mint("h1", t0)
	if _, err := consume(f.b.ID, "h1", t0.Add(time.Minute)); !apierr.HasCode(err, apierr.CodeResourceNotFound) {
		t.Errorf("token of A used in B: %v, want ResourceNotFound", err)
	}
	got, err := consume(f.a.ID, "h1", t0.Add(time.Minute))
	if err != nil {
		t.Fatalf("first use: %v", err)
	}
	want := identity.EmergencyToken{Hash: "h1", InstanceID: f.a.ID, UserID: "u1", Created: t0, Expires: t0.Add(15 * time.Minute), Used: t0.Add(time.Minute)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("consumed token (-want +got):\n%s", diff)
	}
	if _, err := consume(f.a.ID, "h1", t0.Add(2*time.Minute)); !apierr.HasCode(err, apierr.CodeResourceNotFound) {
		t.Errorf("second use: %v, want ResourceNotFound", err)
	}
	mint("h2", t0)
	if _, err := consume(f.a.ID, "h2", t0.Add(15*time.Minute)); !apierr.HasCode(err, apierr.CodeResourceNotFound) {
		t.Errorf("use at expiry: %v, want ResourceNotFound", err)
	}
	if err := f.up(func(ctx context.Context, tx store.Tx) error {
		return tx.CreateEmergencyToken(ctx, identity.EmergencyToken{Hash: "h1", InstanceID: f.a.ID, UserID: "u1", Created: t0, Expires: t0.Add(time.Minute)})
	}); !apierr.HasCode(err, apierr.CodeDuplicateResource) {
		t.Errorf("duplicate token hash: %v, want DuplicateResource", err)
	}

	// Raced uses of one token: exactly one wins.
	mint("h3", t0)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins int
	)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := consume(f.a.ID, "h3", t0.Add(time.Minute))
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins++
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("concurrent uses succeeded %d times, want 1", wins)
	}

	// Switching off deletes unused tokens: switched on again, the old token is gone.
	mint("h4", t0)
	set(f.a.ID, false)
	set(f.a.ID, true)
	if _, err := consume(f.a.ID, "h4", t0.Add(time.Minute)); !apierr.HasCode(err, apierr.CodeResourceNotFound) {
		t.Errorf("token minted before disabling: %v, want ResourceNotFound", err)
	}
}

// testSSOInstanceDelete checks that deleting an instance takes its SSO rows along.
func testSSOInstanceDelete(t *testing.T, h Harness) {
	f := newIdentityFixture(t, h, "sso-delete")
	err := f.up(func(ctx context.Context, tx store.Tx) error {
		for _, fn := range []func() error{
			func() error {
				return tx.PutSAMLConfig(ctx, identity.SAMLConfig{InstanceID: f.a.ID, IdPMetadata: "<x/>", UpdatedTime: t0})
			},
			func() error {
				return tx.PutOIDCConfig(ctx, identity.OIDCConfig{InstanceID: f.a.ID, Issuer: "https://i", ClientID: "c", ClientSecret: secret.New("s"), Scopes: []string{"openid"}, UpdatedTime: t0})
			},
			func() error {
				return tx.PutSSOLink(ctx, identity.SSOLink{InstanceID: f.a.ID, Provider: "p", Subject: "s", UserID: "u", Created: t0})
			},
			func() error { _, err := tx.UseSAMLAssertion(ctx, f.a.ID, "_x", t0.Add(time.Hour), t0); return err },
			func() error { return tx.SetEmergencyAccess(ctx, f.a.ID, true, t0) },
			func() error {
				return tx.CreateEmergencyToken(ctx, identity.EmergencyToken{Hash: "hx", InstanceID: f.a.ID, UserID: "u", Created: t0, Expires: t0.Add(time.Hour)})
			},
			func() error { return tx.SetDeletionProtection(ctx, f.a.ID, false) },
			func() error { return tx.DeleteInstance(ctx, f.a.ID) },
		} {
			if err := fn(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("DeleteInstance with SSO rows: %v", err)
	}
	for _, table := range []string{"sso_saml_configs", "sso_oidc_configs", "sso_links", "saml_used_assertions", "emergency_access", "emergency_tokens"} {
		rows := h.Query(t, f.s, `SELECT COUNT(*) FROM `+table+` WHERE instance_id = ?`, f.a.ID)
		var n int
		for rows.Next() {
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
		}
		rows.Close()
		if n != 0 {
			t.Errorf("%s keeps %d rows of the deleted instance", table, n)
		}
	}
}
