-- +goose Up
-- The end of the grace period an access key was given when it was rolled
-- (ringfence keys roll --grace, RollUserAccessKey GracePeriodMinutes): Unix milliseconds, NULL
-- for a key never rolled with a grace period. The key authenticates while its status is
-- Active and the request's time is before this; from then on it is refused like a revoked
-- key, decided at verification time (no job rewrites the status).
ALTER TABLE access_keys ADD COLUMN expires_at_ms BIGINT;

-- +goose Down
ALTER TABLE access_keys DROP COLUMN expires_at_ms;
