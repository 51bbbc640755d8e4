-- +goose Up
CREATE TABLE hours_of_operation (
    instance_id      TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    id               TEXT NOT NULL,
    name             TEXT NOT NULL,
    description      TEXT NOT NULL,
    time_zone        TEXT NOT NULL,
    config           TEXT NOT NULL,
    tags             TEXT NOT NULL,
    last_modified_ms BIGINT NOT NULL,
    PRIMARY KEY (instance_id, id),
    UNIQUE (instance_id, name)
);

CREATE TABLE hours_of_operation_overrides (
    instance_id    TEXT NOT NULL,
    hours_id       TEXT NOT NULL,
    id             TEXT NOT NULL,
    name           TEXT NOT NULL,
    description    TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    effective_till TEXT NOT NULL,
    config         TEXT NOT NULL,
    PRIMARY KEY (instance_id, id),
    UNIQUE (instance_id, hours_id, name),
    FOREIGN KEY (instance_id, hours_id) REFERENCES hours_of_operation (instance_id, id) ON DELETE CASCADE
);
CREATE INDEX hours_of_operation_overrides_hours ON hours_of_operation_overrides (instance_id, hours_id, id);

CREATE TABLE queues (
    instance_id                  TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    id                           TEXT NOT NULL,
    name                         TEXT NOT NULL,
    description                  TEXT NOT NULL,
    hours_id                     TEXT NOT NULL,
    max_contacts                 INTEGER NOT NULL,
    status                       TEXT NOT NULL,
    outbound_caller_id_name      TEXT NOT NULL,
    outbound_caller_id_number_id TEXT NOT NULL,
    outbound_flow_id             TEXT NOT NULL,
    tags                         TEXT NOT NULL,
    last_modified_ms             BIGINT NOT NULL,
    PRIMARY KEY (instance_id, id),
    UNIQUE (instance_id, name),
    FOREIGN KEY (instance_id, hours_id) REFERENCES hours_of_operation (instance_id, id)
);

CREATE TABLE routing_profiles (
    instance_id               TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    id                        TEXT NOT NULL,
    name                      TEXT NOT NULL,
    description               TEXT NOT NULL,
    default_outbound_queue_id TEXT NOT NULL,
    media_concurrencies       TEXT NOT NULL,
    agent_availability_timer  TEXT NOT NULL,
    is_default                BOOLEAN NOT NULL,
    tags                      TEXT NOT NULL,
    last_modified_ms          BIGINT NOT NULL,
    PRIMARY KEY (instance_id, id),
    UNIQUE (instance_id, name),
    FOREIGN KEY (instance_id, default_outbound_queue_id) REFERENCES queues (instance_id, id)
);

CREATE TABLE routing_profile_queues (
    instance_id   TEXT NOT NULL,
    profile_id    TEXT NOT NULL,
    queue_id      TEXT NOT NULL,
    channel       TEXT NOT NULL,
    priority      INTEGER NOT NULL,
    delay_seconds INTEGER NOT NULL,
    entry_order   INTEGER NOT NULL,
    PRIMARY KEY (instance_id, profile_id, queue_id, channel),
    FOREIGN KEY (instance_id, profile_id) REFERENCES routing_profiles (instance_id, id) ON DELETE CASCADE,
    FOREIGN KEY (instance_id, queue_id) REFERENCES queues (instance_id, id)
);
CREATE INDEX routing_profile_queues_queue ON routing_profile_queues (instance_id, queue_id);

CREATE TABLE agent_statuses (
    instance_id      TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    id               TEXT NOT NULL,
    name             TEXT NOT NULL,
    description      TEXT NOT NULL,
    type             TEXT NOT NULL,
    state            TEXT NOT NULL,
    display_order    INTEGER NOT NULL,
    tags             TEXT NOT NULL,
    last_modified_ms BIGINT NOT NULL,
    PRIMARY KEY (instance_id, id),
    UNIQUE (instance_id, name)
);

CREATE TABLE user_statuses (
    instance_id     TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL,
    agent_status_id TEXT NOT NULL,
    since_ms        BIGINT NOT NULL,
    PRIMARY KEY (instance_id, user_id),
    FOREIGN KEY (instance_id, agent_status_id) REFERENCES agent_statuses (instance_id, id)
);

CREATE TABLE quick_connects (
    instance_id      TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    id               TEXT NOT NULL,
    name             TEXT NOT NULL,
    description      TEXT NOT NULL,
    type             TEXT NOT NULL,
    user_id          TEXT NOT NULL,
    queue_id         TEXT NOT NULL,
    contact_flow_id  TEXT NOT NULL,
    phone_number     TEXT NOT NULL,
    tags             TEXT NOT NULL,
    last_modified_ms BIGINT NOT NULL,
    PRIMARY KEY (instance_id, id),
    UNIQUE (instance_id, name)
);

-- +goose Down
DROP TABLE quick_connects;
DROP TABLE user_statuses;
DROP TABLE agent_statuses;
DROP TABLE routing_profile_queues;
DROP TABLE routing_profiles;
DROP TABLE queues;
DROP TABLE hours_of_operation_overrides;
DROP TABLE hours_of_operation;
