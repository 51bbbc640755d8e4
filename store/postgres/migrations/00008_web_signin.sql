-- +goose Up
-- Passkeys (WebAuthn credentials) users register as a second factor. credential is the JSON
-- of the verified credential (public key, AAGUID, flags, signature counter): no secret.
CREATE TABLE user_passkeys (
    instance_id   TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    credential_id BYTEA NOT NULL,
    name          TEXT NOT NULL,
    credential    BYTEA NOT NULL,
    created_at_ms BIGINT NOT NULL,
    last_used_ms  BIGINT NOT NULL,
    PRIMARY KEY (instance_id, user_id, credential_id),
    FOREIGN KEY (instance_id, user_id) REFERENCES users (instance_id, id) ON DELETE CASCADE
);

-- Authentication profiles (Connect's: allowed and blocked networks, session timeouts).
-- allowed_ips and blocked_ips are JSON arrays of CIDR strings; durations are milliseconds,
-- 0 meaning the default.
CREATE TABLE authentication_profiles (
    instance_id         TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    id                  TEXT NOT NULL,
    name                TEXT NOT NULL,
    description         TEXT NOT NULL,
    is_default          BOOLEAN NOT NULL,
    allowed_ips         TEXT NOT NULL,
    blocked_ips         TEXT NOT NULL,
    session_duration_ms BIGINT NOT NULL,
    idle_timeout_ms     BIGINT NOT NULL,
    periodic_reauth_ms  BIGINT NOT NULL,
    created_at_ms       BIGINT NOT NULL,
    last_modified_ms    BIGINT NOT NULL,
    PRIMARY KEY (instance_id, id)
);

-- +goose Down
DROP TABLE authentication_profiles;
DROP TABLE user_passkeys;
