-- +goose Up
-- Which authentication profile applies to a user when it is not the instance's default
-- (Connect: the default profile "applies to all agents in an Amazon Connect instance, unless
-- overridden by another authentication profile"). A user without a row is under the default.
-- Deleting the user deletes its row; a profile with rows cannot be deleted (the store
-- answers ResourceInUseException first, the foreign key is the backstop).
CREATE TABLE user_authentication_profiles (
    instance_id TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    profile_id  TEXT NOT NULL,
    PRIMARY KEY (instance_id, user_id),
    FOREIGN KEY (instance_id, user_id) REFERENCES users (instance_id, id) ON DELETE CASCADE,
    FOREIGN KEY (instance_id, profile_id) REFERENCES authentication_profiles (instance_id, id)
);
CREATE INDEX user_authentication_profiles_profile ON user_authentication_profiles (instance_id, profile_id, user_id);

-- +goose Down
DROP TABLE user_authentication_profiles;
