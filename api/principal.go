package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
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

// lookupAccessKey is the sigv4.CredentialSource of the server. A key authenticates while it
// is Active or Expiring at the server's clock (identity.AccessKey.AuthenticatesAt): a key
// whose grace period has ended is refused exactly as a revoked one.
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
	if !k.AuthenticatesAt(s.cfg.Now()) {
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
	return principalOf(res), nil
}

// principalOf turns a verified request's result into its principal (see lookupAccessKey).
func principalOf(res sigv4.Result) Principal {
	p := Principal{Kind: identity.PrincipalOperator, AccessKeyID: res.AccessKeyID}
	if rest, ok := strings.CutPrefix(res.Principal, "user|"); ok {
		inst, user, _ := strings.Cut(rest, "|")
		p = Principal{Kind: identity.PrincipalUser, AccessKeyID: res.AccessKeyID, InstanceID: inst, UserID: user}
	}
	return p
}

// VerifyRequest verifies r's SigV4 signature exactly as the API verifies its own requests
// (credential scope, date skew, signed headers, payload hash, the key active), applies the
// key's request rate, and returns the principal: for other handlers of the node that accept
// access keys (the agent API). r's body is read within Config.MaxBodyBytes and put back.
// Refusals are *apierr.Error with the SigV4 error code and message (a request without
// authentication is AccessDeniedException), or ThrottlingException; anything else is internal.
func (s *Server) VerifyRequest(r *http.Request) (Principal, error) {
	res, err := s.verifier.Verify(r.Context(), r)
	if err != nil {
		var se *sigv4.Error
		if errors.As(err, &se) {
			if se.Code == sigv4.CodeMissingAuthenticationToken {
				return Principal{}, apierr.AccessDenied(se.Message)
			}
			return Principal{}, &apierr.Error{Code: apierr.Code(se.Code), Message: se.Message}
		}
		return Principal{}, err
	}
	p := principalOf(res)
	if !s.throttle.allow(p.AccessKeyID) {
		return p, apierr.New(apierr.CodeThrottling, "rate exceeded")
	}
	return p, nil
}

// CheckAccessKey reports whether the access key still authenticates (Active, or Expiring
// within its grace period): nil, or AccessDeniedException when it was revoked or deleted or
// its grace period ended (for a long-lived connection opened with it). A store failure is
// returned wrapped.
func (s *Server) CheckAccessKey(ctx context.Context, id string) error {
	var k identity.AccessKey
	err := s.store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		k, err = tx.GetAccessKey(ctx, id)
		return err
	})
	if apierr.HasCode(err, apierr.CodeResourceNotFound) || err == nil && !k.AuthenticatesAt(s.cfg.Now()) {
		return apierr.AccessDenied("the access key was revoked")
	}
	if err != nil {
		return fmt.Errorf("check access key: %w", err)
	}
	return nil
}
