-- +goose Up
-- External functions an instance has associated (AssociateLambdaFunction) and the target each
-- is invoked as: an HTTPS endpoint with its signing secret (sealed by the keyring, bound to
-- instance/table/ARN/column), or a built-in function by name. No target: empty url and builtin.
CREATE TABLE external_functions (
    instance_id      TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    arn              TEXT NOT NULL,
    url              TEXT NOT NULL,
    signing_secret   BLOB,
    builtin          TEXT NOT NULL,
    allow_hosts      TEXT NOT NULL,
    allow_cidrs      TEXT NOT NULL,
    version          INTEGER NOT NULL,
    created_ms       INTEGER NOT NULL,
    last_modified_ms INTEGER NOT NULL,
    PRIMARY KEY (instance_id, arn)
);

-- Prompts (CreatePrompt): the record flows refer to by ID; the audio is not stored here.
CREATE TABLE prompts (
    instance_id      TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    id               TEXT NOT NULL,
    name             TEXT NOT NULL,
    description      TEXT NOT NULL,
    s3_uri           TEXT NOT NULL,
    tags             TEXT NOT NULL,
    last_modified_ms INTEGER NOT NULL,
    PRIMARY KEY (instance_id, id),
    UNIQUE (instance_id, name)
);

-- +goose Down
DROP TABLE prompts;
DROP TABLE external_functions;
