-- +goose Up
CREATE TABLE security_keys (
    instance_id      TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    association_id   TEXT NOT NULL,
    key_pem          TEXT NOT NULL,
    creation_time_ms INTEGER NOT NULL,
    PRIMARY KEY (instance_id, association_id)
);

-- +goose Down
DROP TABLE security_keys;
