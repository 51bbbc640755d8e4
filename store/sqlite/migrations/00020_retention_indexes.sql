-- +goose Up
-- Retention (contact.Store DeleteContactsBefore) deletes the ClientTokens of each contact it
-- deletes, and the contact records initiated before its horizon whose contact is no longer
-- stored (an instance deleted since): an index for each, so that a batch reads the rows it
-- deletes and not the whole table.
CREATE INDEX contact_client_tokens_contact ON contact_client_tokens (instance_id, contact_id);
CREATE INDEX contact_records_initiated ON contact_records (initiated_ms);

-- +goose Down
DROP INDEX contact_records_initiated;
DROP INDEX contact_client_tokens_contact;
