-- Hourly counts of each categorical value (an attribute whose value is not a number, e.g. a
-- parking spot's "occupied"/"free"), kept as history is written, so that shares of readings
-- equal to a state read hours, not every instance. Keys longer than 64 characters (free text,
-- objects) are not counted here.
CREATE TABLE IF NOT EXISTS attr_rollup_keys (
    tenant TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    attr TEXT NOT NULL,
    hour_us BIGINT NOT NULL,
    value_key TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (tenant, entity_id, attr, hour_us, value_key)
);

INSERT INTO attr_rollup_keys (tenant, entity_id, attr, hour_us, value_key, n)
SELECT tenant, entity_id, attr, (observed_us / 3600000000) * 3600000000, value_key, count(*)
FROM attr_history
WHERE value_num IS NULL AND value_key IS NOT NULL AND length(value_key) <= 64
GROUP BY tenant, entity_id, attr, (observed_us / 3600000000) * 3600000000, value_key;
