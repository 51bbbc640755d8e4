-- +goose Up
-- The number of chats of each instance that have not ended (ended_at_ms IS NULL), kept by
-- the triggers below on every insert, delete and end of a chat, so that starting a chat
-- checks the instance's limit on active chats without counting its chats. Active chats are
-- these minus the ones past expires_at_ms that the expiry sweeper has not ended yet, which
-- the chats_active index finds.
CREATE TABLE chat_open_counts (
    instance_id TEXT PRIMARY KEY REFERENCES instances (id) ON DELETE CASCADE,
    open_chats  INTEGER NOT NULL
);
INSERT INTO chat_open_counts (instance_id, open_chats)
    SELECT instance_id, COUNT(*) FROM chats WHERE ended_at_ms IS NULL GROUP BY instance_id;

-- +goose StatementBegin
CREATE TRIGGER chats_open_insert AFTER INSERT ON chats WHEN NEW.ended_at_ms IS NULL
BEGIN
    INSERT INTO chat_open_counts (instance_id, open_chats) VALUES (NEW.instance_id, 1)
        ON CONFLICT (instance_id) DO UPDATE SET open_chats = open_chats + 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER chats_open_delete AFTER DELETE ON chats WHEN OLD.ended_at_ms IS NULL
BEGIN
    UPDATE chat_open_counts SET open_chats = open_chats - 1 WHERE instance_id = OLD.instance_id;
END;
-- +goose StatementEnd

-- Only an update that names ended_at_ms or instance_id fires this one, not the sequence
-- counter's update on every message.
-- +goose StatementBegin
CREATE TRIGGER chats_open_update AFTER UPDATE OF ended_at_ms, instance_id ON chats
WHEN OLD.ended_at_ms IS NULL OR NEW.ended_at_ms IS NULL
BEGIN
    UPDATE chat_open_counts SET open_chats = open_chats - 1
        WHERE instance_id = OLD.instance_id AND OLD.ended_at_ms IS NULL;
    INSERT INTO chat_open_counts (instance_id, open_chats)
        SELECT NEW.instance_id, 1 WHERE NEW.ended_at_ms IS NULL
        ON CONFLICT (instance_id) DO UPDATE SET open_chats = open_chats + 1;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER chats_open_update;
DROP TRIGGER chats_open_delete;
DROP TRIGGER chats_open_insert;
DROP TABLE chat_open_counts;
