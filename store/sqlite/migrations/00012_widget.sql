-- +goose Up
-- Approved origins: the web origins whose pages may embed the instance's chat widgets
-- (Connect's AssociateApprovedOrigin), normalised to scheme://host[:port].
CREATE TABLE approved_origins (
    instance_id   TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    origin        TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    PRIMARY KEY (instance_id, origin)
);

-- Customer chat widgets. The public widget URLs carry only widget_id, so it is unique on its
-- own.
CREATE TABLE chat_widgets (
    instance_id         TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    widget_id           TEXT NOT NULL UNIQUE,
    name                TEXT NOT NULL,
    contact_flow_id     TEXT NOT NULL,
    display_name_prompt TEXT NOT NULL,
    created_at_ms       INTEGER NOT NULL,
    PRIMARY KEY (instance_id, widget_id),
    UNIQUE (instance_id, name)
);

-- ClientTokens of StartChatContact and StartTaskContact (7 days): a retry gets the contact
-- the first call started. participant_token is sealed.
CREATE TABLE contact_client_tokens (
    instance_id       TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    operation         TEXT NOT NULL,
    client_token      TEXT NOT NULL,
    contact_id        TEXT NOT NULL,
    participant_id    TEXT NOT NULL,
    participant_token BLOB,
    created_at_ms     INTEGER NOT NULL,
    PRIMARY KEY (instance_id, operation, client_token)
);
CREATE INDEX contact_client_tokens_age ON contact_client_tokens (instance_id, created_at_ms);

-- +goose Down
DROP TABLE contact_client_tokens;
DROP TABLE chat_widgets;
DROP TABLE approved_origins;
