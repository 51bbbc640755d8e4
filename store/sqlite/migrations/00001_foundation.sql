-- +goose Up
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE instances (
    id                       TEXT PRIMARY KEY,
    alias                    TEXT NOT NULL UNIQUE,
    identity_management_type TEXT NOT NULL,
    inbound_calls_enabled    INTEGER NOT NULL,
    outbound_calls_enabled   INTEGER NOT NULL,
    status                   TEXT NOT NULL,
    created_at_ms            INTEGER NOT NULL,
    deletion_protected       INTEGER NOT NULL,
    tags                     TEXT NOT NULL
);
CREATE INDEX instances_created ON instances (created_at_ms, id);

CREATE TABLE access_keys (
    id                TEXT PRIMARY KEY,
    kind              TEXT NOT NULL,
    instance_id       TEXT REFERENCES instances (id) ON DELETE CASCADE,
    user_id           TEXT,
    secret_ciphertext BLOB NOT NULL,
    status            TEXT NOT NULL,
    description       TEXT NOT NULL,
    created_at_ms     INTEGER NOT NULL
);

CREATE TABLE audit_events (
    seq       INTEGER PRIMARY KEY,
    body      TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);

-- +goose Down
DROP TABLE audit_events;
DROP TABLE access_keys;
DROP TABLE instances;
DROP TABLE settings;
