-- +goose Up
-- The chat state of each chat contact: its duration, whether it ended, and the sequence
-- counter that orders its transcript.
CREATE TABLE chats (
    instance_id             TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    contact_id              TEXT NOT NULL,
    initial_contact_id      TEXT NOT NULL,
    supported_content_types TEXT NOT NULL,
    created_at_ms           BIGINT NOT NULL,
    expires_at_ms           BIGINT NOT NULL,
    ended_at_ms             BIGINT,
    last_seq                BIGINT NOT NULL,
    PRIMARY KEY (instance_id, contact_id)
);
CREATE INDEX chats_active ON chats (instance_id, expires_at_ms) WHERE ended_at_ms IS NULL;

-- Participants; display_name is sealed, token_hash is SHA-256 of the participant token.
CREATE TABLE chat_participants (
    instance_id         TEXT NOT NULL,
    participant_id      TEXT NOT NULL,
    contact_id          TEXT NOT NULL,
    role                TEXT NOT NULL,
    display_name        BYTEA NOT NULL,
    token_hash          BYTEA UNIQUE,
    joined_at_ms        BIGINT NOT NULL,
    token_expires_at_ms BIGINT NOT NULL,
    left_at_ms          BIGINT,
    PRIMARY KEY (instance_id, participant_id),
    FOREIGN KEY (instance_id, contact_id) REFERENCES chats (instance_id, contact_id) ON DELETE CASCADE
);
CREATE INDEX chat_participants_contact ON chat_participants (instance_id, contact_id, joined_at_ms);

-- Connection tokens (ConnectionToken and WebSocket URL tokens), by SHA-256.
CREATE TABLE chat_connections (
    token_hash     BYTEA PRIMARY KEY,
    kind           TEXT NOT NULL,
    instance_id    TEXT NOT NULL,
    contact_id     TEXT NOT NULL,
    participant_id TEXT NOT NULL,
    created_at_ms  BIGINT NOT NULL,
    expires_at_ms  BIGINT NOT NULL,
    FOREIGN KEY (instance_id, participant_id) REFERENCES chat_participants (instance_id, participant_id) ON DELETE CASCADE
);
CREATE INDEX chat_connections_participant ON chat_connections (instance_id, participant_id, expires_at_ms);

-- The transcript; content is redacted, then sealed.
CREATE TABLE chat_items (
    instance_id      TEXT NOT NULL,
    contact_id       TEXT NOT NULL,
    seq              BIGINT NOT NULL,
    id               TEXT NOT NULL,
    type             TEXT NOT NULL,
    content_type     TEXT NOT NULL,
    participant_id   TEXT NOT NULL,
    participant_role TEXT NOT NULL,
    content          BYTEA,
    absolute_time_ms BIGINT NOT NULL,
    client_token     TEXT,
    PRIMARY KEY (instance_id, contact_id, seq),
    UNIQUE (instance_id, id),
    UNIQUE (instance_id, participant_id, client_token),
    FOREIGN KEY (instance_id, contact_id) REFERENCES chats (instance_id, contact_id) ON DELETE CASCADE
);
CREATE INDEX chat_items_time ON chat_items (instance_id, contact_id, absolute_time_ms);

-- +goose Down
DROP TABLE chat_items;
DROP TABLE chat_connections;
DROP TABLE chat_participants;
DROP TABLE chats;
