package node

import (
	"context"
	"strings"
	"time"

	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/store"
)

// DataProtection returns an instance's data-protection settings (docs/data-protection.md).
// ResourceNotFoundException when the instance does not exist.
func (n *Node) DataProtection(ctx context.Context, instanceID string) (instance.DataProtection, error) {
	var d instance.DataProtection
	err := n.Store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetInstance(ctx, instanceID); err != nil {
			return err
		}
		var err error
		d, err = tx.GetDataProtection(ctx, instanceID)
		return err
	})
	return d, err
}

// DataProtectionChange is a change to an instance's data-protection settings; a nil field
// keeps the current value.
type DataProtectionChange struct {
	// SensitiveAttributes replaces the list of sensitive attribute names and prefixes (an
	// empty list clears it).
	SensitiveAttributes *[]string
	// CardDisplay replaces the card policy.
	CardDisplay *instance.CardDisplay
}

// SetDataProtection applies ch to an instance's data-protection settings and returns them as
// stored. The change is audited (code host.data_protection, actor "host", the names and the
// policy in the event's details: attribute names, never values) and applies to the next
// contact write, flow step and read on every node. Errors: InvalidParameterException for a
// bad name or policy (nothing is stored), ResourceNotFoundException for an unknown instance.
func (n *Node) SetDataProtection(ctx context.Context, instanceID string, ch DataProtectionChange) (instance.DataProtection, error) {
	ev := hostEvent("host.data_protection", "UpdateDataProtection", instanceID, instance.ARN(n.Config.Region, n.AccountID, instanceID))
	var out instance.DataProtection
	err := n.Store.Update(ctx, ev, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetInstance(ctx, instanceID); err != nil {
			return err
		}
		d, err := tx.GetDataProtection(ctx, instanceID)
		if err != nil {
			return err
		}
		if ch.SensitiveAttributes != nil {
			d.SensitiveAttributes = *ch.SensitiveAttributes
		}
		if ch.CardDisplay != nil {
			d.CardDisplay = *ch.CardDisplay
		}
		if d, err = d.Normalize(); err != nil {
			return err
		}
		d.InstanceID, d.UpdatedTime = instanceID, time.Now().UTC().Truncate(time.Millisecond)
		ev.Details = map[string]string{"sensitive_attributes": strings.Join(d.SensitiveAttributes, ","), "card_policy": string(d.CardDisplay)}
		if err := tx.PutDataProtection(ctx, d); err != nil {
			return err
		}
		out = d
		return nil
	})
	return out, err
}
