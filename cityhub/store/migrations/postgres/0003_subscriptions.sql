CREATE TABLE IF NOT EXISTS subscriptions (
    tenant TEXT NOT NULL,
    id TEXT NOT NULL,
    doc JSONB NOT NULL,
    times_sent INTEGER NOT NULL DEFAULT 0,
    times_failed INTEGER NOT NULL DEFAULT 0,
    last_notification TEXT,
    last_success TEXT,
    last_failure TEXT,
    modified_us BIGINT NOT NULL,
    next_periodic_us BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, id)
);

CREATE TABLE IF NOT EXISTS notification_queue (
    id BIGSERIAL PRIMARY KEY,
    tenant TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    payload BYTEA NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at_us BIGINT NOT NULL,
    claimed_by TEXT,
    claimed_until_us BIGINT
);
CREATE INDEX IF NOT EXISTS notification_queue_by_endpoint ON notification_queue (endpoint, id);
