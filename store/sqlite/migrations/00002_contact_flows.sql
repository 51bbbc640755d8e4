-- +goose Up
CREATE TABLE contact_flows (
    instance_id      TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    id               TEXT NOT NULL,
    kind             TEXT NOT NULL,
    name             TEXT NOT NULL,
    type             TEXT NOT NULL,
    description      TEXT NOT NULL,
    state            TEXT NOT NULL,
    status           TEXT NOT NULL,
    content          TEXT NOT NULL,
    saved_content    TEXT NOT NULL,
    settings         TEXT NOT NULL,
    version          INTEGER NOT NULL,
    tags             TEXT NOT NULL,
    last_modified_ms INTEGER NOT NULL,
    PRIMARY KEY (instance_id, id),
    UNIQUE (instance_id, kind, name)
);

-- +goose Down
DROP TABLE contact_flows;
