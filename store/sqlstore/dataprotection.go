package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/keyring"
	"github.com/ringfence/ringfence/secret"
)

func (t *txn) GetDataProtection(ctx context.Context, instanceID string) (instance.DataProtection, error) {
	d := instance.DataProtection{InstanceID: instanceID}
	var (
		names, card string
		updated     int64
	)
	err := t.row(ctx, `SELECT sensitive_attributes, card_display, updated_ms FROM instance_data_protection WHERE instance_id = ?`, instanceID).
		Scan(&names, &card, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return d, nil
	}
	if err != nil {
		return d, fmt.Errorf("get data protection: %w", err)
	}
	if err := json.Unmarshal([]byte(names), &d.SensitiveAttributes); err != nil {
		return d, fmt.Errorf("get data protection: sensitive attributes: %w", err)
	}
	if len(d.SensitiveAttributes) == 0 {
		d.SensitiveAttributes = nil
	}
	d.CardDisplay, d.UpdatedTime = instance.CardDisplay(card), timeOrZero(updated)
	return d, nil
}

func (t *txn) PutDataProtection(ctx context.Context, d instance.DataProtection) error {
	if _, err := t.GetInstance(ctx, d.InstanceID); err != nil {
		return err
	}
	names := d.SensitiveAttributes
	if names == nil {
		names = []string{}
	}
	b, err := json.Marshal(names)
	if err != nil {
		return fmt.Errorf("put data protection: %w", err)
	}
	card := d.CardDisplay
	if card == "" {
		card = instance.CardMaskAll
	}
	res, err := t.exec(ctx, `UPDATE instance_data_protection SET sensitive_attributes = ?, card_display = ?, updated_ms = ? WHERE instance_id = ?`,
		string(b), string(card), msOrZero(d.UpdatedTime), d.InstanceID)
	if err != nil {
		return fmt.Errorf("put data protection: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("put data protection: %w", err)
	} else if n > 0 {
		return nil
	}
	if _, err := t.exec(ctx, `INSERT INTO instance_data_protection (instance_id, sensitive_attributes, card_display, updated_ms) VALUES (?, ?, ?, ?)`,
		d.InstanceID, string(b), string(card), msOrZero(d.UpdatedTime)); err != nil {
		if t.s.dialect.IsUniqueViolation(err) {
			return apierr.New(apierr.CodeResourceConflict, "data protection of instance %s was changed by another request; retry", d.InstanceID)
		}
		return fmt.Errorf("put data protection: %w", err)
	}
	return nil
}

// errNoHasher refuses attribute searches on a store without a keyed hasher.
var errNoHasher = apierr.InvalidParameter("searching contacts by attribute is not available: the store has no index key")

// attributeTerm is the index term of one attribute: the keyed hash of instance, key and
// value, NUL-separated (none of them holds NUL: keys are [A-Za-z0-9_.-], instance IDs UUIDs,
// and a value with NUL is not indexed).
func (t *txn) attributeTerm(instanceID, key, value string) string {
	sum := t.s.opts.Hasher.SumString(secret.New(instanceID + "\x00" + key + "\x00" + value))
	return strings.TrimPrefix(sum, keyring.HashPrefix)
}

func (t *txn) IndexAttributes(ctx context.Context, instanceID, contactID string, attrs map[string]string) error {
	if t.s.opts.Hasher == nil {
		return nil
	}
	if _, err := t.exec(ctx, `DELETE FROM contact_attribute_index WHERE instance_id = ? AND contact_id = ?`, instanceID, contactID); err != nil {
		return fmt.Errorf("index attributes: %w", err)
	}
	for k, v := range attrs {
		if len(k) > 127 || len(v) > contact.MaxIndexedValue || strings.ContainsRune(v, 0) {
			continue
		}
		if _, err := t.exec(ctx, `INSERT INTO contact_attribute_index (instance_id, contact_id, term) VALUES (?, ?, ?)`,
			instanceID, contactID, t.attributeTerm(instanceID, k, v)); err != nil {
			return fmt.Errorf("index attributes: %w", err)
		}
	}
	return nil
}

// attributeWhere returns the condition and arguments that select contacts matching the
// attribute criteria of q, or "" when it has none.
func (t *txn) attributeWhere(instanceID string, q contact.Query) (string, []any, error) {
	if len(q.Attributes) == 0 {
		return "", nil, nil
	}
	if t.s.opts.Hasher == nil {
		return "", nil, errNoHasher
	}
	var (
		conds []string
		args  []any
	)
	for _, c := range q.Attributes {
		if len(c.Values) == 0 {
			conds = append(conds, "1 = 0")
			continue
		}
		conds = append(conds, `EXISTS (SELECT 1 FROM contact_attribute_index x WHERE x.instance_id = contacts.instance_id
			AND x.contact_id = contacts.id AND x.term IN (`+placeholders(len(c.Values))+`))`)
		for _, v := range c.Values {
			args = append(args, t.attributeTerm(instanceID, c.Key, v))
		}
	}
	join := " AND "
	if q.AttributesMatchAny {
		join = " OR "
	}
	return "(" + strings.Join(conds, join) + ")", args, nil
}
