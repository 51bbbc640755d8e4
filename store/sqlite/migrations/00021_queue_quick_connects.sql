-- +goose Up
-- The quick connects associated with each queue (Connect's AssociateQueueQuickConnects).
-- Agents see the quick connects of the queues in their routing profile, its default outbound
-- queue included. Deleting the queue or the quick connect deletes the association.
CREATE TABLE queue_quick_connects (
    instance_id      TEXT NOT NULL,
    queue_id         TEXT NOT NULL,
    quick_connect_id TEXT NOT NULL,
    PRIMARY KEY (instance_id, queue_id, quick_connect_id),
    FOREIGN KEY (instance_id, queue_id) REFERENCES queues (instance_id, id) ON DELETE CASCADE,
    FOREIGN KEY (instance_id, quick_connect_id) REFERENCES quick_connects (instance_id, id) ON DELETE CASCADE
);
CREATE INDEX queue_quick_connects_quick_connect ON queue_quick_connects (instance_id, quick_connect_id);

-- +goose Down
DROP TABLE queue_quick_connects;
