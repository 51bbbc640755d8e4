package sqlstore

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/contact"
)

// Retention deletes a contact with every row that belongs to it. Most of those rows go by
// the schema's ON DELETE CASCADE: from contacts (flow session, flow logs, attribute index,
// handled-contact index) and from chats (participants and their connection tokens,
// transcript items, transcript index). Chats, ClientTokens and contact records have no
// foreign key to the contact, so a batch deletes them by contact, in the same transaction.
// Deleting a chat runs the chat_open_counts trigger (migration 00017), which keeps the
// instance's open-chat count exact.

// contactColumns are the schema's columns that hold a contact ID, each with what retention
// does with a row that names a deleted contact there. storetest's retention guard fails when
// the schema has a column named contact_id or ending in _contact_id that is not listed, and
// its populated scan fails when a row of a deleted contact is left anywhere: a new table of
// per-contact data cannot be forgotten.
var contactColumns = map[string]string{
	"contacts.id":                         "deleted (DeleteContactsBefore)",
	"contacts.initial_contact_id":         "kept in another contact's row: its own chain",
	"contacts.previous_contact_id":        "kept in another contact's row: its own chain",
	"contacts.related_contact_id":         "kept in another contact's row: its own chain",
	"contact_flow_sessions.contact_id":    "cascade from contacts",
	"contact_flow_logs.contact_id":        "cascade from contacts",
	"contact_attribute_index.contact_id":  "cascade from contacts",
	"agent_contacts.contact_id":           "cascade from contacts",
	"contact_records.contact_id":          "deleted by contact; records of contacts no longer stored by initiation time",
	"contact_client_tokens.contact_id":    "deleted by contact (index contact_client_tokens_contact)",
	"chats.contact_id":                    "deleted by contact",
	"chats.initial_contact_id":            "kept in another chat's row: its own chain",
	"chat_participants.contact_id":        "cascade from chats",
	"chat_connections.contact_id":         "cascade from chat_participants",
	"chat_items.contact_id":               "cascade from chats",
	"contact_transcript_index.contact_id": "cascade from chats",
}

// ContactColumns returns the schema's columns that hold a contact ID, as "table.column",
// each with what retention does with a row that names a deleted contact there.
func ContactColumns() map[string]string { return maps.Clone(contactColumns) }

// purgeChunk is how many contacts one retention DELETE names. Every IN list has this length
// (a shorter one repeats its last ID), so each statement is one text, prepared once.
const purgeChunk = 50

var (
	purgeIn = "(" + placeholders(purgeChunk) + ")"
	// purgeDependents delete what has no foreign key to the contact, before the contact.
	purgeDependents = []string{
		`DELETE FROM chats WHERE instance_id = ? AND contact_id IN ` + purgeIn,
		`DELETE FROM contact_client_tokens WHERE instance_id = ? AND contact_id IN ` + purgeIn,
		`DELETE FROM contact_records WHERE instance_id = ? AND contact_id IN ` + purgeIn,
	}
	purgeContacts = `DELETE FROM contacts WHERE instance_id = ? AND id IN ` + purgeIn
)

func (t *txn) DeleteContactsBefore(ctx context.Context, before time.Time, limit int) (contact.Purged, error) {
	var out contact.Purged
	if limit < 1 || limit > contact.MaxPurgeBatch {
		return out, apierr.InvalidParameter(fmt.Sprintf("retention batch of %d contacts; want 1 to %d", limit, contact.MaxPurgeBatch))
	}
	cut := ms(before)
	instances, err := t.instanceIDs(ctx)
	if err != nil {
		return out, fmt.Errorf("retention: %w", err)
	}
	for _, inst := range instances {
		if out.Contacts >= limit {
			break
		}
		ids, err := t.endedContactsBefore(ctx, inst, cut, limit-out.Contacts)
		if err != nil {
			return out, fmt.Errorf("retention: %w", err)
		}
		n, err := t.purgeContacts(ctx, inst, ids)
		if err != nil {
			return out, fmt.Errorf("retention: instance %s: %w", inst, err)
		}
		out.Contacts += n
	}
	if out.Contacts < limit {
		// Only now: while ended contacts before the cut remain, their records would be read
		// (and passed over) by every batch.
		if out.OrphanRecords, err = t.purgeOrphanRecords(ctx, cut, limit); err != nil {
			return out, fmt.Errorf("retention: %w", err)
		}
	}
	out.More = out.Contacts >= limit || out.OrphanRecords >= limit
	return out, nil
}

// instanceIDs returns the IDs of every instance, in ID order.
func (t *txn) instanceIDs(ctx context.Context) ([]string, error) {
	return t.textColumn(ctx, `SELECT id FROM instances ORDER BY id`)
}

// endedContactsBefore returns up to limit IDs of the instance's ENDED contacts initiated
// before cut (milliseconds), oldest first: a range of the contacts_initiated index.
func (t *txn) endedContactsBefore(ctx context.Context, instanceID string, cut int64, limit int) ([]string, error) {
	return t.textColumn(ctx, `SELECT id FROM contacts WHERE instance_id = ? AND initiated_ms < ? AND state = ?
		ORDER BY initiated_ms, id LIMIT ?`, instanceID, cut, string(contact.StateEnded), limit)
}

// textColumn runs a query of one text column and returns its values.
func (t *txn) textColumn(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := t.rows(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// purgeContacts deletes the instance's contacts ids with everything stored for them,
// purgeChunk at a time, and returns how many contacts went.
func (t *txn) purgeContacts(ctx context.Context, instanceID string, ids []string) (int, error) {
	var n int
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), purgeChunk)]
		ids = ids[len(chunk):]
		in := make([]any, purgeChunk)
		for i := range in {
			in[i] = chunk[min(i, len(chunk)-1)]
		}
		for _, q := range purgeDependents {
			if _, err := t.exec(ctx, q, append([]any{instanceID}, in...)...); err != nil {
				return n, err
			}
		}
		res, err := t.exec(ctx, purgeContacts, append([]any{instanceID}, in...)...)
		if err != nil {
			return n, err
		}
		k, err := res.RowsAffected()
		if err != nil {
			return n, err
		}
		n += int(k)
	}
	return n, nil
}

// purgeOrphanRecords deletes up to limit contact records initiated before cut whose contact
// is no longer stored (its instance was deleted, which does not take the outbox with it), a
// range of the contact_records_initiated index, and returns how many went.
func (t *txn) purgeOrphanRecords(ctx context.Context, cut int64, limit int) (int, error) {
	res, err := t.exec(ctx, `DELETE FROM contact_records WHERE seq IN (SELECT r.seq FROM contact_records r
		WHERE r.initiated_ms < ? AND NOT EXISTS (SELECT 1 FROM contacts c WHERE c.instance_id = r.instance_id AND c.id = r.contact_id)
		ORDER BY r.initiated_ms LIMIT ?)`, cut, limit)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}
