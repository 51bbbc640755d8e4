-- +goose Up
-- The number of chats of each instance that have not ended (ended_at_ms IS NULL), kept by
-- the trigger below on every insert, delete and end of a chat, so that starting a chat
-- checks the instance's limit on active chats without counting its chats. Active chats are
-- these minus the ones past expires_at_ms that the expiry sweeper has not ended yet, which
-- the chats_active index finds. Writers hold the audit chain's advisory lock for their whole
-- transaction, so the count's row lock adds no contention.
CREATE TABLE chat_open_counts (
    instance_id TEXT PRIMARY KEY REFERENCES instances (id) ON DELETE CASCADE,
    open_chats  BIGINT NOT NULL
);
INSERT INTO chat_open_counts (instance_id, open_chats)
    SELECT instance_id, COUNT(*) FROM chats WHERE ended_at_ms IS NULL GROUP BY instance_id;

-- +goose StatementBegin
CREATE FUNCTION chats_open_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.ended_at_ms IS NULL THEN
        UPDATE chat_open_counts SET open_chats = open_chats - 1 WHERE instance_id = OLD.instance_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.ended_at_ms IS NULL THEN
        INSERT INTO chat_open_counts (instance_id, open_chats) VALUES (NEW.instance_id, 1)
            ON CONFLICT (instance_id) DO UPDATE SET open_chats = chat_open_counts.open_chats + 1;
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- Only an update that names ended_at_ms or instance_id fires it, not the sequence counter's
-- update on every message.
CREATE TRIGGER chats_open_count AFTER INSERT OR DELETE OR UPDATE OF ended_at_ms, instance_id ON chats
    FOR EACH ROW EXECUTE FUNCTION chats_open_count();

-- +goose Down
DROP TRIGGER chats_open_count ON chats;
DROP FUNCTION chats_open_count();
DROP TABLE chat_open_counts;
