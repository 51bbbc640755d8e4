-- +goose Up
CREATE TABLE security_profiles (
    instance_id      TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    id               TEXT NOT NULL,
    name             TEXT NOT NULL,
    description      TEXT NOT NULL,
    permissions      TEXT NOT NULL,
    deny_permissions TEXT NOT NULL,
    tags             TEXT NOT NULL,
    created_at_ms    BIGINT NOT NULL,
    last_modified_ms BIGINT NOT NULL,
    PRIMARY KEY (instance_id, id),
    UNIQUE (instance_id, name)
);

CREATE TABLE users (
    instance_id             TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    id                      TEXT NOT NULL,
    username                TEXT NOT NULL,
    username_norm           TEXT NOT NULL,
    first_name              TEXT NOT NULL,
    last_name               TEXT NOT NULL,
    email                   TEXT NOT NULL,
    secondary_email         TEXT NOT NULL,
    mobile                  TEXT NOT NULL,
    phone_type              TEXT NOT NULL,
    auto_accept             BOOLEAN NOT NULL,
    acw_time_limit_s        BIGINT NOT NULL,
    desk_phone_number       TEXT NOT NULL,
    routing_profile_id      TEXT NOT NULL,
    hierarchy_group_id      TEXT,
    tags                    TEXT NOT NULL,
    disabled                BOOLEAN NOT NULL,
    mfa_enrollment_required BOOLEAN NOT NULL,
    created_at_ms           BIGINT NOT NULL,
    last_modified_ms        BIGINT NOT NULL,
    PRIMARY KEY (instance_id, id),
    UNIQUE (instance_id, username_norm)
);

-- A held profile is not deleted: the store refuses first (DeleteSecurityProfile); the
-- cascade serves instance deletion, where PostgreSQL would otherwise trip over the order in
-- which cascades run.
CREATE TABLE user_security_profiles (
    instance_id         TEXT NOT NULL,
    user_id             TEXT NOT NULL,
    security_profile_id TEXT NOT NULL,
    PRIMARY KEY (instance_id, user_id, security_profile_id),
    FOREIGN KEY (instance_id, user_id) REFERENCES users (instance_id, id) ON DELETE CASCADE,
    FOREIGN KEY (instance_id, security_profile_id) REFERENCES security_profiles (instance_id, id) ON DELETE CASCADE
);
CREATE INDEX user_security_profiles_profile ON user_security_profiles (instance_id, security_profile_id);

CREATE TABLE user_credentials (
    instance_id      TEXT NOT NULL,
    user_id          TEXT NOT NULL,
    password_hash    TEXT NOT NULL,
    PRIMARY KEY (instance_id, user_id),
    FOREIGN KEY (instance_id, user_id) REFERENCES users (instance_id, id) ON DELETE CASCADE
);

CREATE TABLE user_totp (
    instance_id       TEXT NOT NULL,
    user_id           TEXT NOT NULL,
    secret_ciphertext BYTEA NOT NULL,
    confirmed         BOOLEAN NOT NULL,
    created_at_ms     BIGINT NOT NULL,
    PRIMARY KEY (instance_id, user_id),
    FOREIGN KEY (instance_id, user_id) REFERENCES users (instance_id, id) ON DELETE CASCADE
);

CREATE TABLE user_totp_steps (
    instance_id TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    last_step   BIGINT NOT NULL,
    PRIMARY KEY (instance_id, user_id),
    FOREIGN KEY (instance_id, user_id) REFERENCES users (instance_id, id) ON DELETE CASCADE
);

CREATE TABLE user_recovery_codes (
    instance_id TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    code_hash   TEXT NOT NULL,
    PRIMARY KEY (instance_id, user_id, code_hash),
    FOREIGN KEY (instance_id, user_id) REFERENCES users (instance_id, id) ON DELETE CASCADE
);

CREATE TABLE login_sessions (
    id_hash             TEXT PRIMARY KEY,
    instance_id         TEXT NOT NULL,
    user_id             TEXT NOT NULL,
    created_at_ms       BIGINT NOT NULL,
    last_seen_ms        BIGINT NOT NULL,
    mfa_required        BOOLEAN NOT NULL,
    mfa_satisfied       BOOLEAN NOT NULL,
    absolute_timeout_ms BIGINT NOT NULL,
    idle_timeout_ms     BIGINT NOT NULL,
    FOREIGN KEY (instance_id, user_id) REFERENCES users (instance_id, id) ON DELETE CASCADE
);
CREATE INDEX login_sessions_user ON login_sessions (instance_id, user_id);

-- The key is the SHA-256 of identity.AttemptKey (instance and normalised username), so a
-- password typed into the username field is never stored.
CREATE TABLE signin_attempts (
    key_hash        TEXT PRIMARY KEY,
    instance_id     TEXT NOT NULL,
    failures        BIGINT NOT NULL,
    locked_until_ms BIGINT NOT NULL,
    last_attempt_ms BIGINT NOT NULL
);
CREATE INDEX signin_attempts_instance ON signin_attempts (instance_id);

-- +goose Down
DROP TABLE signin_attempts;
DROP TABLE login_sessions;
DROP TABLE user_recovery_codes;
DROP TABLE user_totp_steps;
DROP TABLE user_totp;
DROP TABLE user_credentials;
DROP TABLE user_security_profiles;
DROP TABLE users;
DROP TABLE security_profiles;
