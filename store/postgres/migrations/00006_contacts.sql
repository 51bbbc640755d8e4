-- +goose Up
CREATE TABLE contacts (
    instance_id          TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    id                   TEXT NOT NULL,
    initial_contact_id   TEXT NOT NULL,
    previous_contact_id  TEXT NOT NULL,
    related_contact_id   TEXT NOT NULL,
    channel              TEXT NOT NULL,
    initiation_method    TEXT NOT NULL,
    state                TEXT NOT NULL,
    name                 TEXT NOT NULL,
    description          TEXT NOT NULL,
    refs                 TEXT NOT NULL,
    -- attributes and customer_endpoint are keyring ciphertexts (AAD instance/contacts/id/column).
    attributes           BYTEA NOT NULL,
    customer_endpoint    BYTEA,
    system_endpoint      TEXT NOT NULL,
    flow_id              TEXT NOT NULL,
    queue_id             TEXT NOT NULL,
    queue_priority       BIGINT NOT NULL,
    enqueued_ms          BIGINT NOT NULL,
    dequeued_ms          BIGINT NOT NULL,
    agent_id             TEXT NOT NULL,
    connected_ms         BIGINT NOT NULL,
    acw_start_ms         BIGINT NOT NULL,
    acw_end_ms           BIGINT NOT NULL,
    tags                 TEXT NOT NULL,
    initiated_ms         BIGINT NOT NULL,
    scheduled_ms         BIGINT NOT NULL,
    disconnected_ms      BIGINT NOT NULL,
    disconnect_reason    TEXT NOT NULL,
    last_update_ms       BIGINT NOT NULL,
    version              BIGINT NOT NULL,
    PRIMARY KEY (instance_id, id)
);
CREATE INDEX contacts_initiated ON contacts (instance_id, initiated_ms, id);
CREATE INDEX contacts_active ON contacts (instance_id, state);

-- The flow session of a contact (flow.Session JSON), a keyring ciphertext.
CREATE TABLE contact_flow_sessions (
    instance_id TEXT NOT NULL,
    contact_id  TEXT NOT NULL,
    session     BYTEA NOT NULL,
    PRIMARY KEY (instance_id, contact_id),
    FOREIGN KEY (instance_id, contact_id) REFERENCES contacts (instance_id, id) ON DELETE CASCADE
);

CREATE TABLE contact_flow_logs (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    instance_id TEXT NOT NULL,
    contact_id  TEXT NOT NULL,
    at_ms       BIGINT NOT NULL,
    entry       TEXT NOT NULL,
    FOREIGN KEY (instance_id, contact_id) REFERENCES contacts (instance_id, id) ON DELETE CASCADE
);
CREATE INDEX contact_flow_logs_contact ON contact_flow_logs (instance_id, contact_id, seq);

-- The contact-record outbox: sinks read it in seq order and keep a cursor.
CREATE TABLE contact_records (
    seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    instance_id    TEXT NOT NULL,
    contact_id     TEXT NOT NULL,
    last_update_ms BIGINT NOT NULL,
    initiated_ms   BIGINT NOT NULL,
    body           BYTEA NOT NULL
);
CREATE INDEX contact_records_contact ON contact_records (instance_id, contact_id);

CREATE TABLE contact_record_sinks (
    sink TEXT PRIMARY KEY,
    seq  BIGINT NOT NULL
);

-- +goose Down
DROP TABLE contact_record_sinks;
DROP TABLE contact_records;
DROP TABLE contact_flow_logs;
DROP TABLE contact_flow_sessions;
DROP TABLE contacts;
