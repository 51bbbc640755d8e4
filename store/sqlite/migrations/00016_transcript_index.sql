-- +goose Up
-- The transcript search index (SearchContacts ContactAnalysis.Transcript): one row per chat
-- contact, participant role (AGENT, CUSTOMER, SYSTEM) and distinct word of the redacted
-- messages that role sent, as a keyed hash (HMAC-SHA256, base64url) of "transcript", the
-- instance and the word (contact.TranscriptWords). Words are never stored here; redaction
-- marks and secure input are never indexed. The rows go with their chat.
--
-- The key is ordered by contact, so a message's words are written next to each other (one
-- or two pages, not one page per word); a search probes it for each contact of its time
-- range.
CREATE TABLE contact_transcript_index (
    instance_id      TEXT NOT NULL,
    contact_id       TEXT NOT NULL,
    participant_role TEXT NOT NULL,
    term             TEXT NOT NULL,
    PRIMARY KEY (instance_id, contact_id, participant_role, term),
    FOREIGN KEY (instance_id, contact_id) REFERENCES chats (instance_id, contact_id) ON DELETE CASCADE
) WITHOUT ROWID;

-- +goose Down
DROP TABLE contact_transcript_index;
