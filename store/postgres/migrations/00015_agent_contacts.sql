-- +goose Up
-- Every agent a contact was connected to: the contact row keeps only its current agent, which
-- a transfer replaces, so an agent's history reads this index instead. The store writes a row
-- whenever it stores a contact with an agent (first connection kept) and the row goes with
-- the contact (retention, instance deletion).
CREATE TABLE agent_contacts (
    instance_id  TEXT NOT NULL,
    agent_id     TEXT NOT NULL,
    contact_id   TEXT NOT NULL,
    -- initiated_ms is the contact's initiation time, copied for the agent's newest-first pages.
    initiated_ms BIGINT NOT NULL,
    -- connected_ms is when the agent was first connected to the contact (0 when unknown).
    connected_ms BIGINT NOT NULL,
    PRIMARY KEY (instance_id, agent_id, contact_id),
    FOREIGN KEY (instance_id, contact_id) REFERENCES contacts (instance_id, id) ON DELETE CASCADE
);
CREATE INDEX agent_contacts_page ON agent_contacts (instance_id, agent_id, initiated_ms, contact_id);
CREATE INDEX agent_contacts_contact ON agent_contacts (instance_id, contact_id);

INSERT INTO agent_contacts (instance_id, agent_id, contact_id, initiated_ms, connected_ms)
SELECT instance_id, agent_id, id, initiated_ms, connected_ms FROM contacts WHERE agent_id <> '';

-- +goose Down
DROP TABLE agent_contacts;
