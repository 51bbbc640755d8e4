package api

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/store"
)

// accessKeyOperations are Ringfence's operations on the access keys of instance users
// (identity.ActionCreateUserAccessKey and its siblings). Connect users have no access keys
// (Connect's API is called with IAM credentials); a Ringfence user key signs Connect API calls
// as that user, limited by its security profiles. They are signed, authorized and audited
// like Connect's operations. Operator keys are not reachable here: they are managed on the
// host only (ringfence keys).
func accessKeyOperations() []operation {
	return []operation{
		{name: identity.ActionCreateUserAccessKey, pattern: "PUT /access-keys/{InstanceId}/{UserId}", handle: (*Server).createUserAccessKey},
		{name: identity.ActionListUserAccessKeys, pattern: "GET /access-keys/{InstanceId}/{UserId}", handle: (*Server).listUserAccessKeys},
		{name: identity.ActionRollUserAccessKey, pattern: "POST /access-keys/{InstanceId}/{UserId}/{AccessKeyId}/roll", handle: (*Server).rollUserAccessKey},
		{name: identity.ActionDeleteUserAccessKey, pattern: "DELETE /access-keys/{InstanceId}/{UserId}/{AccessKeyId}", handle: (*Server).deleteUserAccessKey},
	}
}

// accessKeyJSON is one access key as these operations answer it. SecretAccessKey is set only
// in the answer of the call that issued the key: it is never stored in clear and never shown
// again. Status is the key's state at the time of the answer (identity.AccessKey.StatusAt):
// Active, Expiring or Inactive. ExpiresAt (epoch seconds, like CreatedTime) is the end of the
// grace period of a key rolled with one, while it is Expiring and after it ended; a key
// revoked before the end has none.
type accessKeyJSON struct {
	AccessKeyId     string   `json:"AccessKeyId"`
	SecretAccessKey string   `json:"SecretAccessKey,omitempty"`
	Status          string   `json:"Status"`
	UserId          string   `json:"UserId"`
	Description     string   `json:"Description"`
	CreatedTime     float64  `json:"CreatedTime"`
	ExpiresAt       *float64 `json:"ExpiresAt,omitempty"`
}

func keyJSON(k identity.AccessKey, now time.Time) accessKeyJSON {
	out := accessKeyJSON{AccessKeyId: k.ID, Status: string(k.StatusAt(now)), UserId: k.UserID, Description: k.Description,
		CreatedTime: epochSeconds(k.CreatedTime)}
	if end, ok := k.GraceEnd(); ok {
		v := epochSeconds(end)
		out.ExpiresAt = &v
	}
	return out
}

// userAccessKey returns the access key id if it is a user key of user userID in instance
// inst, and ResourceNotFoundException otherwise (another instance's or user's key, or an
// operator key, is indistinguishable from one that does not exist).
func userAccessKey(ctx context.Context, tx store.Tx, inst, userID, id string) (identity.AccessKey, error) {
	k, err := tx.GetAccessKey(ctx, id)
	if apierr.HasCode(err, apierr.CodeResourceNotFound) || (err == nil && (k.Kind != identity.KeyUser || k.InstanceID != inst || k.UserID != userID)) {
		return identity.AccessKey{}, apierr.NotFound("access key", truncate(id, 64))
	}
	return k, err
}

// createUserAccessKey implements ringfence:CreateUserAccessKey
// (PUT /access-keys/{InstanceId}/{UserId}, body {"Description": "..."} of 0–250 characters,
// optional). It issues an active key that acts as the user and answers
// {"AccessKey": {AccessKeyId, SecretAccessKey, Status, UserId, Description, CreatedTime}}:
// the secret's only clear copy (stored sealed, bound to the key's row). An unknown user or
// instance is ResourceNotFoundException.
func (s *Server) createUserAccessKey(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	userID := s.userID(c, inst)
	var in struct {
		Description string `json:"Description"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	if err := checkText("Description", in.Description, 0, 250); err != nil {
		return nil, err
	}
	k, sec, err := identity.IssueAccessKey(c.ctx, s.secrets, identity.AccessKey{
		Kind: identity.KeyUser, InstanceID: inst, UserID: userID, Description: in.Description,
		CreatedTime: s.cfg.Now().UTC().Truncate(time.Millisecond),
	})
	if err != nil {
		return nil, err
	}
	c.ev.Details = map[string]string{"access_key_id": k.ID}
	err = c.update(s, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetInstance(ctx, inst); err != nil {
			return err
		}
		if _, err := tx.GetUser(ctx, inst, userID); err != nil {
			return err
		}
		return tx.CreateAccessKey(ctx, k)
	})
	if err != nil {
		return nil, err
	}
	out := keyJSON(k, k.CreatedTime)
	out.SecretAccessKey = sec.Reveal()
	return map[string]any{"AccessKey": out}, nil
}

// listUserAccessKeys implements ringfence:ListUserAccessKeys
// (GET /access-keys/{InstanceId}/{UserId}): {"AccessKeyMetadata": [...]}, every key of the
// user, active, expiring (with ExpiresAt) and revoked, oldest first, never a secret. A user
// may list its own keys.
func (s *Server) listUserAccessKeys(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	userID := s.userID(c, inst)
	var keys []identity.AccessKey
	err = c.view(s, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetInstance(ctx, inst); err != nil {
			return err
		}
		if _, err := tx.GetUser(ctx, inst, userID); err != nil {
			return err
		}
		var err error
		keys, err = tx.ListAccessKeys(ctx, identity.KeyUser)
		return err
	})
	if err != nil {
		return nil, err
	}
	items := []accessKeyJSON{}
	now := s.cfg.Now()
	for _, k := range keys {
		if k.InstanceID == inst && k.UserID == userID {
			items = append(items, keyJSON(k, now))
		}
	}
	return map[string]any{"AccessKeyMetadata": items}, nil
}

// rollUserAccessKey implements ringfence:RollUserAccessKey
// (POST /access-keys/{InstanceId}/{UserId}/{AccessKeyId}/roll, body
// {"GracePeriodMinutes": 0..10080}, optional, default 0): a new key for the same user with the
// same description, answered like CreateUserAccessKey (secret once), and in the same
// transaction (store.RollAccessKey) the old key either revoked (grace 0; the answer names it
// in RevokedAccessKeyId) or kept working for the grace period (at most 7 days; the answer
// holds it as ExpiringAccessKey, Status Expiring with its ExpiresAt): until then requests it
// signs are accepted and audited under its own ID, from then on refused like a revoked key's.
// A revoked, expired or Expiring key is InvalidRequestException; a key of another user or
// instance ResourceNotFoundException; a grace period out of range InvalidParameterException.
// The audit event records grace_period_minutes and, for a grace period, expires_at.
func (s *Server) rollUserAccessKey(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	userID := s.userID(c, inst)
	id := c.r.PathValue("AccessKeyId")
	var in struct {
		GracePeriodMinutes int `json:"GracePeriodMinutes"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	if in.GracePeriodMinutes < 0 || in.GracePeriodMinutes > int(identity.RollGraceMax/time.Minute) {
		return nil, apierr.InvalidParameter(fmt.Sprintf("GracePeriodMinutes must be 0 (revoke at once) to %d (7 days)", int(identity.RollGraceMax/time.Minute)))
	}
	grace := time.Duration(in.GracePeriodMinutes) * time.Minute
	var old identity.AccessKey
	err = s.store.View(c.ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		old, err = userAccessKey(ctx, tx, inst, userID, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now().UTC().Truncate(time.Millisecond)
	k, sec, err := identity.IssueAccessKey(c.ctx, s.secrets, identity.AccessKey{
		Kind: identity.KeyUser, InstanceID: inst, UserID: userID, Description: old.Description, CreatedTime: now,
	})
	if err != nil {
		return nil, err
	}
	c.ev.Details = map[string]string{"access_key_id": id, "new_access_key_id": k.ID,
		"grace_period_minutes": strconv.Itoa(in.GracePeriodMinutes)}
	if grace > 0 {
		c.ev.Details["expires_at"] = now.Add(grace).Format("2006-01-02T15:04:05.000Z")
	}
	err = c.update(s, func(ctx context.Context, tx store.Tx) error {
		if _, err := userAccessKey(ctx, tx, inst, userID, id); err != nil {
			return err
		}
		var err error
		old, err = store.RollAccessKey(ctx, tx, id, k, grace)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := keyJSON(k, now)
	out.SecretAccessKey = sec.Reveal()
	if grace > 0 {
		return map[string]any{"AccessKey": out, "ExpiringAccessKey": keyJSON(old, now)}, nil
	}
	return map[string]any{"AccessKey": out, "RevokedAccessKeyId": id}, nil
}

// deleteUserAccessKey implements ringfence:DeleteUserAccessKey
// (DELETE /access-keys/{InstanceId}/{UserId}/{AccessKeyId}): the key is revoked at once and
// kept, Inactive, so the audit trail can name it; revoking a revoked key succeeds. The user
// need not exist any more (deleting a user revokes its keys). A user may revoke its own keys.
func (s *Server) deleteUserAccessKey(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	userID := s.userID(c, inst)
	id := c.r.PathValue("AccessKeyId")
	c.ev.Details = map[string]string{"access_key_id": truncate(id, 64)}
	err = c.update(s, func(ctx context.Context, tx store.Tx) error {
		if _, err := userAccessKey(ctx, tx, inst, userID, id); err != nil {
			return err
		}
		return tx.SetAccessKeyStatus(ctx, id, identity.KeyInactive)
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}
