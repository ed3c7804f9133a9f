-- Subscriptions are listed in the order they were created (NGSI-LD pages keep that order).
ALTER TABLE subscriptions ADD COLUMN created_us BIGINT NOT NULL DEFAULT 0;
UPDATE subscriptions SET created_us = modified_us;
