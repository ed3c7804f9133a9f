CREATE TABLE IF NOT EXISTS attr_history (
    id INTEGER PRIMARY KEY,
    tenant TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    attr TEXT NOT NULL,
    dataset_id TEXT,
    instance_id TEXT NOT NULL,
    observed_us INTEGER NOT NULL,
    modified_us INTEGER NOT NULL,
    value_num REAL,
    value_key TEXT,
    instance BLOB NOT NULL
);
-- Covers time-range reads and aggregation of numbers without touching the table rows.
CREATE INDEX IF NOT EXISTS attr_history_by_time
    ON attr_history (tenant, entity_id, attr, observed_us, value_num);
