package api

import (
	"context"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/inputcrypt"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/store"
)

// securityKeyOperations are AssociateSecurityKey, ListSecurityKeys and DisassociateSecurityKey
// (Amazon Connect API reference): the public keys flows encrypt customer input to.
func securityKeyOperations() []operation {
	return []operation{
		{name: "AssociateSecurityKey", pattern: "PUT /instance/{InstanceId}/security-key", handle: (*Server).associateSecurityKey},
		{name: "ListSecurityKeys", pattern: "GET /instance/{InstanceId}/security-keys", handle: (*Server).listSecurityKeys},
		{name: "DisassociateSecurityKey", pattern: "DELETE /instance/{InstanceId}/security-key/{AssociationId}", handle: (*Server).disassociateSecurityKey},
	}
}

// associateSecurityKey stores a PEM public key or X.509 certificate (RSA ≥ 2048 bits or EC).
// The association ID is derived from the key, so associating the same key twice is a
// DuplicateResourceException; a third key is a ServiceQuotaExceededException.
func (s *Server) associateSecurityKey(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	var in struct {
		Key         string `json:"Key"`
		ClientToken string `json:"ClientToken"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	if in.Key == "" || len(in.Key) > 64<<10 {
		return nil, apierr.InvalidParameter("Key must be a PEM public key or certificate of at most 64 KiB")
	}
	pk, err := inputcrypt.ParsePublicKey([]byte(in.Key))
	if err != nil {
		return nil, apierr.InvalidParameter("Key is not a usable public key: " + err.Error())
	}
	k := instance.SecurityKey{InstanceID: inst, AssociationID: pk.KeyID, Key: in.Key, CreationTime: s.cfg.Now().UTC().Truncate(1e6)}
	c.ev.Details = map[string]string{"association_id": k.AssociationID, "fingerprint": pk.Fingerprint}
	err = c.update(s, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetInstance(ctx, inst); err != nil {
			return err
		}
		keys, err := tx.ListSecurityKeys(ctx, inst)
		if err != nil {
			return err
		}
		for _, e := range keys {
			if e.AssociationID == k.AssociationID {
				return apierr.New(apierr.CodeDuplicateResource, "this key is already associated as %s", k.AssociationID)
			}
		}
		if len(keys) >= instance.MaxSecurityKeys {
			return apierr.New(apierr.CodeServiceQuotaExceeded, "an instance holds at most %d security keys; disassociate one first", instance.MaxSecurityKeys)
		}
		return tx.CreateSecurityKey(ctx, k)
	})
	if err != nil {
		return nil, err
	}
	return map[string]string{"AssociationId": k.AssociationID}, nil
}

func (s *Server) listSecurityKeys(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	var keys []instance.SecurityKey
	err = c.view(s, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetInstance(ctx, inst); err != nil {
			return err
		}
		keys, err = tx.ListSecurityKeys(ctx, inst)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := []map[string]any{}
	for _, k := range keys {
		out = append(out, map[string]any{"AssociationId": k.AssociationID, "Key": k.Key, "CreationTime": float64(k.CreationTime.UnixMilli()) / 1000})
	}
	return map[string]any{"SecurityKeys": out}, nil
}

// disassociateSecurityKey refuses with ResourceInUseException while a published flow or
// module of the instance encrypts input to the key.
func (s *Server) disassociateSecurityKey(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	assoc := c.r.PathValue("AssociationId")
	c.ev.Details = map[string]string{"association_id": truncate(assoc, 64)}
	err = c.update(s, func(ctx context.Context, tx store.Tx) error {
		keys, err := tx.ListSecurityKeys(ctx, inst)
		if err != nil {
			return err
		}
		found := false
		for _, k := range keys {
			found = found || k.AssociationID == assoc
		}
		if !found {
			return apierr.NotFound("security key", truncate(assoc, 64))
		}
		if by, err := s.keyUsedBy(ctx, tx, inst, assoc); err != nil {
			return err
		} else if by != "" {
			return apierr.New(apierr.CodeResourceInUse, "security key %s is used by %s; move the flow to another key first", assoc, by)
		}
		return tx.DeleteSecurityKey(ctx, inst, assoc)
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// keyUsedBy names the first published flow or module whose content encrypts input to assoc.
func (s *Server) keyUsedBy(ctx context.Context, tx store.Tx, inst, assoc string) (string, error) {
	by := ""
	for _, kind := range []flow.RecordKind{flow.KindFlow, flow.KindModule} {
		err := store.EachFlowRecord(ctx, tx, inst, kind, func(r flow.Record) (bool, error) {
			f, _ := flow.Parse([]byte(r.Content), flow.DefaultLimits())
			if f == nil {
				return false, nil
			}
			for _, id := range flow.ListResources(f).EncryptionKeys {
				if id == assoc {
					by = kind.Noun() + " " + r.ID
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil || by != "" {
			return by, err
		}
	}
	return "", nil
}
