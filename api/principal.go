package api

import (
	"context"
	"fmt"
	"strings"

	"github.com/ringfence/ringfence/api/sigv4"
	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/store"
)

// Principal is the verified caller of a request.
type Principal struct {
	Kind        identity.PrincipalKind
	AccessKeyID string
	// InstanceID and UserID are set for user principals.
	InstanceID string
	UserID     string
}

// Actor is the principal as audit events name it: "operator:{key}" or "user:{instance}/{user}:{key}".
func (p Principal) Actor() string {
	if p.Kind == identity.PrincipalOperator {
		return "operator:" + p.AccessKeyID
	}
	return fmt.Sprintf("user:%s/%s:%s", p.InstanceID, p.UserID, p.AccessKeyID)
}

// lookupAccessKey is the sigv4.CredentialSource of the server.
func (s *Server) lookupAccessKey(ctx context.Context, id string) (sigv4.Credential, error) {
	var k identity.AccessKey
	err := s.store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		k, err = tx.GetAccessKey(ctx, id)
		return err
	})
	if apierr.HasCode(err, apierr.CodeResourceNotFound) {
		return sigv4.Credential{}, sigv4.ErrUnknownAccessKey
	}
	if err != nil {
		return sigv4.Credential{}, fmt.Errorf("look up access key: %w", err)
	}
	if k.Status != identity.KeyActive {
		return sigv4.Credential{}, sigv4.ErrInactiveAccessKey
	}
	sec, err := s.secrets.OpenString(ctx, k.SecretCiphertext, identity.AccessKeyAAD(k))
	if err != nil {
		return sigv4.Credential{}, fmt.Errorf("open access key secret: %w", err)
	}
	principal := string(k.Kind)
	if k.Kind == identity.KeyUser {
		principal = "user|" + k.InstanceID + "|" + k.UserID
	}
	return sigv4.Credential{Secret: sec, Principal: principal}, nil
}

// authenticate verifies the request's SigV4 signature and returns its principal. The claimed
// key ID is recorded in the audit event even when verification fails.
func (s *Server) authenticate(c *call) (Principal, error) {
	if a, err := sigv4.ParseAuthorization(c.r.Header.Get("Authorization")); err == nil {
		c.ev.Actor = "anonymous:" + a.AccessKeyID
	}
	res, err := s.verifier.Verify(c.ctx, c.r)
	if err != nil {
		return Principal{}, err
	}
	p := Principal{Kind: identity.PrincipalOperator, AccessKeyID: res.AccessKeyID}
	if rest, ok := strings.CutPrefix(res.Principal, "user|"); ok {
		inst, user, _ := strings.Cut(rest, "|")
		p = Principal{Kind: identity.PrincipalUser, AccessKeyID: res.AccessKeyID, InstanceID: inst, UserID: user}
	}
	return p, nil
}
