package node

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/ringfence/ringfence/api"
	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/provision"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/store"
	"github.com/ringfence/ringfence/store/sqlstore"
)

// BootstrapResult is what `ringfence bootstrap` prints: one JSON object.
type BootstrapResult struct {
	InstanceID      string               `json:"instance_id"`
	InstanceARN     string               `json:"instance_arn"`
	Region          string               `json:"region"`
	Endpoint        string               `json:"endpoint"`
	AccessKeyID     string               `json:"access_key_id"`
	SecretAccessKey secret.Value[string] `json:"-"`
	CACertPath      string               `json:"ca_cert_path"`
	// AdminUsername and AdminPassword are set only by the run that created the instance's
	// first administrator (AdminUsername, Admin profile, MFA enrolment due at first sign-in).
	AdminUsername string               `json:"admin_username,omitempty"`
	AdminPassword secret.Value[string] `json:"-"`
}

// Bootstrap makes sure the instance with the given alias exists (creating it, deletion-
// protected, with Connect's default security profiles, when it does not), that it has the
// administrator user "admin" (created with the Admin profile, a random password whose
// argon2id hash alone is stored, and MFA enrolment due at first sign-in), and issues a new
// operator access key. It is idempotent for the
// instance; each run issues a fresh key (earlier keys stay valid until revoked with
// `ringfence keys revoke`), because a stored secret is never shown twice. It works whether or
// not a server is running on the same data directory. Both steps are audited with actor "host".
func (n *Node) Bootstrap(ctx context.Context, alias string) (BootstrapResult, error) {
	if alias == "" {
		alias = "demo"
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	var inst instance.Instance
	err := n.Store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		inst, err = tx.GetInstanceByAlias(ctx, alias)
		return err
	})
	switch {
	case apierr.HasCode(err, apierr.CodeResourceNotFound):
		inst = instance.Instance{
			ID: api.NewID(), Alias: alias, IdentityManagementType: instance.IdentityManagementConnectManaged,
			InboundCallsEnabled: true, OutboundCallsEnabled: true, Status: instance.StatusActive,
			CreatedTime: now, DeletionProtected: true, Tags: map[string]string{},
		}
		if err := inst.Validate(); err != nil {
			return BootstrapResult{}, err
		}
		ev := hostEvent("host.bootstrap_instance", "CreateInstance", inst.ID, inst.ARN(n.Config.Region, n.AccountID))
		err = n.Store.Update(ctx, ev, func(ctx context.Context, tx store.Tx) error {
			if err := tx.CreateInstance(ctx, inst); err != nil {
				return err
			}
			return provision.Instance(ctx, tx, inst, provision.Env{Region: n.Config.Region, AccountID: n.AccountID, NewID: api.NewID, Now: inst.CreatedTime})
		})
		if apierr.HasCode(err, apierr.CodeDuplicateResource) { // created concurrently by another process
			err = n.Store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
				inst, err = tx.GetInstanceByAlias(ctx, alias)
				return err
			})
		}
		if err != nil {
			return BootstrapResult{}, fmt.Errorf("bootstrap: create instance: %w", err)
		}
	case err != nil:
		return BootstrapResult{}, fmt.Errorf("bootstrap: %w", err)
	}
	admin, created, err := n.ensureUser(ctx, inst.ID, AdminUsername, "Instance", "Administrator", identity.ProfileAdmin, true)
	if err != nil {
		return BootstrapResult{}, fmt.Errorf("bootstrap: administrator: %w", err)
	}
	key, sec, err := n.IssueOperatorKey(ctx, "bootstrap")
	if err != nil {
		return BootstrapResult{}, err
	}
	res := BootstrapResult{
		InstanceID: inst.ID, InstanceARN: inst.ARN(n.Config.Region, n.AccountID), Region: n.Config.Region,
		Endpoint: n.Endpoint(), AccessKeyID: key.ID, SecretAccessKey: sec,
	}
	if created {
		res.AdminUsername, res.AdminPassword = admin.Username, admin.Password
	}
	if n.Config.TLSCert == "" && !n.Config.InsecureHTTP {
		_, _, ca, err := ensureSelfSigned(filepath.Join(n.Config.DataDir, "tls"), time.Now())
		if err != nil {
			return BootstrapResult{}, err
		}
		res.CACertPath, _ = filepath.Abs(ca)
	}
	return res, nil
}

// IssueOperatorKey creates an operator access key (audited with actor "host") and returns it
// with its secret, the only clear copy.
func (n *Node) IssueOperatorKey(ctx context.Context, description string) (identity.AccessKey, secret.Value[string], error) {
	k, sec, err := identity.IssueAccessKey(ctx, n.Secrets, identity.AccessKey{
		Kind: identity.KeyOperator, Description: description, CreatedTime: time.Now().UTC().Truncate(time.Millisecond),
	})
	if err != nil {
		return k, sec, err
	}
	ev := hostEvent("host.create_access_key", "CreateAccessKey", "", k.ID)
	if err := n.Store.Update(ctx, ev, func(ctx context.Context, tx store.Tx) error { return tx.CreateAccessKey(ctx, k) }); err != nil {
		return k, sec, fmt.Errorf("issue operator key: %w", err)
	}
	return k, sec, nil
}

// SetAccessKeyStatus revokes (Inactive) or re-activates a key, audited with actor "host".
func (n *Node) SetAccessKeyStatus(ctx context.Context, id string, status identity.KeyStatus) error {
	ev := hostEvent("host.set_access_key_status", "SetAccessKeyStatus", "", id)
	ev.Details = map[string]string{"status": string(status)}
	return n.Store.Update(ctx, ev, func(ctx context.Context, tx store.Tx) error { return tx.SetAccessKeyStatus(ctx, id, status) })
}

// RolledKey is the outcome of RollAccessKey.
type RolledKey struct {
	// New is the key issued; Secret is its secret, the only clear copy.
	New    identity.AccessKey
	Secret secret.Value[string]
	// Old is the key rolled, as it now stands: revoked (grace 0), or with ExpiresAt set to
	// the end of its grace period.
	Old identity.AccessKey
}

// RollAccessKey rotates the active access key id: it issues a new key with the same kind,
// instance and user and, in the same transaction (store.RollAccessKey), revokes id (grace 0)
// or lets it authenticate for grace more (at most identity.RollGraceMax, 7 days; it lists as
// Expiring and is refused like a revoked key from then on). Audited with actor "host"
// (host.roll_access_key, naming both key IDs and, for a grace period, its length in minutes
// and end). An unknown key is ResourceNotFoundException, a revoked, expired or Expiring one
// InvalidRequestException, a grace out of range InvalidParameterException.
func (n *Node) RollAccessKey(ctx context.Context, id string, grace time.Duration) (RolledKey, error) {
	if err := identity.CheckRollGrace(grace); err != nil {
		return RolledKey{}, fmt.Errorf("roll access key: %w", err)
	}
	var old identity.AccessKey
	err := n.Store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		old, err = tx.GetAccessKey(ctx, id)
		return err
	})
	if err != nil {
		return RolledKey{}, fmt.Errorf("roll access key: %w", err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	k, sec, err := identity.IssueAccessKey(ctx, n.Secrets, identity.AccessKey{
		Kind: old.Kind, InstanceID: old.InstanceID, UserID: old.UserID, Description: old.Description, CreatedTime: now,
	})
	if err != nil {
		return RolledKey{}, fmt.Errorf("roll access key: %w", err)
	}
	ev := hostEvent("host.roll_access_key", "RollAccessKey", old.InstanceID, id)
	ev.Details = map[string]string{"kind": string(old.Kind), "new_access_key_id": k.ID}
	if old.UserID != "" {
		ev.Details["user_id"] = old.UserID
	}
	rollGraceDetails(ev.Details, now, grace)
	err = n.Store.Update(ctx, ev, func(ctx context.Context, tx store.Tx) error {
		var err error
		old, err = store.RollAccessKey(ctx, tx, id, k, grace)
		return err
	})
	if err != nil {
		return RolledKey{}, fmt.Errorf("roll access key: %w", err)
	}
	return RolledKey{New: k, Secret: sec, Old: old}, nil
}

// rollGraceDetails records a roll's grace period in its audit event: grace_period_minutes
// (whole minutes, rounded up; "0" for a roll that revokes at once) and, for a grace
// period, expires_at (RFC 3339, UTC, milliseconds).
func rollGraceDetails(d map[string]string, now time.Time, grace time.Duration) {
	d["grace_period_minutes"] = strconv.FormatInt(int64((grace+time.Minute-1)/time.Minute), 10)
	if grace > 0 {
		d["expires_at"] = now.Add(grace).UTC().Truncate(time.Millisecond).Format("2006-01-02T15:04:05.000Z")
	}
}

// ListAccessKeys lists every access key (never a secret).
func (n *Node) ListAccessKeys(ctx context.Context) ([]identity.AccessKey, error) {
	var keys []identity.AccessKey
	err := n.Store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		keys, err = tx.ListAccessKeys(ctx, "")
		return err
	})
	return keys, err
}

// SetInstanceProtection turns an instance's deletion protection on or off. Lifting it is the
// separate, audited step DeleteInstance requires.
func (n *Node) SetInstanceProtection(ctx context.Context, id string, protected bool) error {
	code, op := "host.instance_unprotect", "UnprotectInstance"
	if protected {
		code, op = "host.instance_protect", "ProtectInstance"
	}
	ev := hostEvent(code, op, id, instance.ARN(n.Config.Region, n.AccountID, id))
	return n.Store.Update(ctx, ev, func(ctx context.Context, tx store.Tx) error { return tx.SetDeletionProtection(ctx, id, protected) })
}

// Rewrap re-seals every value sealed at rest under an older key-encryption-key version with
// the current one (after `ringfence keys rotate`), without exposing any: access-key, TOTP,
// OIDC client and function signing secrets, contact attributes and customer endpoints, flow
// sessions, the contact-record outbox, chat transcripts and display names, and ClientToken
// participant tokens (sqlstore.SealedColumns). Each batch of values is committed in its own
// audited transaction (code host.rewrap, actor "host"), so an interrupted run can simply be
// started again. It returns what it did per sealed column and the key version now current.
//
// A server running on the same data directory or database seals new values under the version
// it loaded until its next read of the key file (Config.KeyringPoll after the rotation, or
// sooner when it opens a value under a newer version); run Rewrap once every server seals
// under the new version, or run it again later.
func (n *Node) Rewrap(ctx context.Context) ([]sqlstore.RewrapCount, uint32, error) {
	v, err := n.Keyring.CurrentVersion(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("rewrap: %w", err)
	}
	counts, err := n.db.RewrapSealed(ctx, sqlstore.RewrapOptions{})
	return counts, v, err
}
