-- +goose Up
-- Per-instance data-protection settings (instance.DataProtection): which contact attributes
-- are sensitive (a JSON array of names and 'prefix*' patterns) and the card display policy.
CREATE TABLE instance_data_protection (
    instance_id          TEXT PRIMARY KEY REFERENCES instances (id) ON DELETE CASCADE,
    sensitive_attributes TEXT NOT NULL,
    card_display         TEXT NOT NULL,
    updated_ms           BIGINT NOT NULL
);

-- The search index of contact attributes (SearchContacts SearchableContactAttributes): one
-- row per searchable attribute of a contact, as a keyed hash (HMAC-SHA256, base64url) of the
-- instance, the key and the value. Values are never stored here; sensitive attributes are
-- never indexed.
CREATE TABLE contact_attribute_index (
    instance_id TEXT NOT NULL,
    contact_id  TEXT NOT NULL,
    term        TEXT NOT NULL,
    PRIMARY KEY (instance_id, contact_id, term),
    FOREIGN KEY (instance_id, contact_id) REFERENCES contacts (instance_id, id) ON DELETE CASCADE
);
CREATE INDEX contact_attribute_index_term ON contact_attribute_index (instance_id, term);

-- +goose Down
DROP TABLE contact_attribute_index;
DROP TABLE instance_data_protection;
