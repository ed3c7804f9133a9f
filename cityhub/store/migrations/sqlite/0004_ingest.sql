CREATE TABLE IF NOT EXISTS iot_groups (
    apikey TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    doc BLOB NOT NULL
);

CREATE TABLE IF NOT EXISTS iot_devices (
    tenant TEXT NOT NULL,
    device_id TEXT NOT NULL,
    apikey TEXT NOT NULL,
    doc BLOB NOT NULL,
    PRIMARY KEY (tenant, device_id)
);
CREATE INDEX IF NOT EXISTS iot_devices_by_key ON iot_devices (apikey, device_id);

CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY,
    received_at TEXT NOT NULL,
    source TEXT NOT NULL,
    payload BLOB NOT NULL,
    reason TEXT NOT NULL
);

-- (device, observation time) already stored: a redelivered message is recognised and skipped.
CREATE TABLE IF NOT EXISTS ingest_seen (
    tenant TEXT NOT NULL,
    device_id TEXT NOT NULL,
    ts_us INTEGER NOT NULL,
    PRIMARY KEY (tenant, device_id, ts_us)
);
