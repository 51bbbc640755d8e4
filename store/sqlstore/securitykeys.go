package sqlstore

import (
	"context"
	"fmt"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/instance"
)

func (t *txn) CreateSecurityKey(ctx context.Context, k instance.SecurityKey) error {
	_, err := t.exec(ctx, `INSERT INTO security_keys (instance_id, association_id, key_pem, creation_time_ms) VALUES (?, ?, ?, ?)`,
		k.InstanceID, k.AssociationID, k.Key, ms(k.CreationTime))
	if err != nil && t.s.dialect.IsUniqueViolation(err) {
		return apierr.New(apierr.CodeDuplicateResource, "this key is already associated as %s", k.AssociationID)
	}
	if err != nil {
		return fmt.Errorf("create security key: %w", err)
	}
	return nil
}

func (t *txn) ListSecurityKeys(ctx context.Context, instanceID string) ([]instance.SecurityKey, error) {
	rows, err := t.rows(ctx, `SELECT instance_id, association_id, key_pem, creation_time_ms FROM security_keys
		WHERE instance_id = ? ORDER BY creation_time_ms, association_id`, instanceID)
	if err != nil {
		return nil, fmt.Errorf("list security keys: %w", err)
	}
	defer rows.Close()
	var out []instance.SecurityKey
	for rows.Next() {
		var (
			k       instance.SecurityKey
			created int64
		)
		if err := rows.Scan(&k.InstanceID, &k.AssociationID, &k.Key, &created); err != nil {
			return nil, fmt.Errorf("list security keys: %w", err)
		}
		k.CreationTime = fromMS(created)
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list security keys: %w", err)
	}
	return out, nil
}

func (t *txn) DeleteSecurityKey(ctx context.Context, instanceID, associationID string) error {
	res, err := t.exec(ctx, `DELETE FROM security_keys WHERE instance_id = ? AND association_id = ?`, instanceID, associationID)
	if err := mustAffect(res, err, "security key", associationID); err != nil {
		return fmt.Errorf("delete security key: %w", err)
	}
	return nil
}
