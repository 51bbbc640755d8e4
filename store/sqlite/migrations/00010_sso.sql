-- +goose Up
-- Single sign-on and emergency access of each instance (package sso).

-- The instance's SAML 2.0 identity provider. idp_metadata is the IdP's EntityDescriptor (public:
-- entity ID, endpoints, signing certificates). Empty jit_security_profile_id: no just-in-time users.
CREATE TABLE sso_saml_configs (
    instance_id             TEXT PRIMARY KEY REFERENCES instances (id) ON DELETE CASCADE,
    idp_metadata            TEXT NOT NULL,
    sp_entity_id            TEXT NOT NULL,
    username_attribute      TEXT NOT NULL,
    first_name_attribute    TEXT NOT NULL,
    last_name_attribute     TEXT NOT NULL,
    jit_security_profile_id TEXT NOT NULL,
    jit_routing_profile_id  TEXT NOT NULL,
    updated_at_ms           INTEGER NOT NULL
);

-- The instance's OpenID Connect provider; client_secret is sealed (keyring), scopes are
-- space-separated.
CREATE TABLE sso_oidc_configs (
    instance_id             TEXT PRIMARY KEY REFERENCES instances (id) ON DELETE CASCADE,
    issuer                  TEXT NOT NULL,
    client_id               TEXT NOT NULL,
    client_secret           BLOB NOT NULL,
    scopes                  TEXT NOT NULL,
    username_claim          TEXT NOT NULL,
    first_name_claim        TEXT NOT NULL,
    last_name_claim         TEXT NOT NULL,
    jit_security_profile_id TEXT NOT NULL,
    jit_routing_profile_id  TEXT NOT NULL,
    updated_at_ms           INTEGER NOT NULL
);

-- Which user an IdP subject signed in as. Not tied to users: it outlives a deleted user, so
-- that user is refused instead of re-created.
CREATE TABLE sso_links (
    instance_id   TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    provider      TEXT NOT NULL,
    subject       TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    PRIMARY KEY (instance_id, provider, subject)
);

-- The replay cache of SAML assertion IDs, kept until the assertion would have expired.
CREATE TABLE saml_used_assertions (
    instance_id   TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    assertion_id  TEXT NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    PRIMARY KEY (instance_id, assertion_id)
);
CREATE INDEX saml_used_assertions_expiry ON saml_used_assertions (instance_id, expires_at_ms);

-- Emergency (break-glass) access: the per-instance switch and the one-time tokens (SHA-256 only).
CREATE TABLE emergency_access (
    instance_id   TEXT PRIMARY KEY REFERENCES instances (id) ON DELETE CASCADE,
    enabled       INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
);

CREATE TABLE emergency_tokens (
    token_hash    TEXT PRIMARY KEY,
    instance_id   TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    user_id       TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    used_at_ms    INTEGER
);
CREATE INDEX emergency_tokens_instance ON emergency_tokens (instance_id, expires_at_ms);

-- +goose Down
DROP TABLE emergency_tokens;
DROP TABLE emergency_access;
DROP TABLE saml_used_assertions;
DROP TABLE sso_links;
DROP TABLE sso_oidc_configs;
DROP TABLE sso_saml_configs;
