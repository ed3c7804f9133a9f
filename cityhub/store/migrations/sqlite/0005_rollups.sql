-- Hourly aggregates of attribute history, kept as history is written, so that aggregation over
-- long ranges reads hours, not every instance.
CREATE TABLE IF NOT EXISTS attr_rollup (
    tenant TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    attr TEXT NOT NULL,
    hour_us INTEGER NOT NULL,
    n INTEGER NOT NULL,
    n_num INTEGER NOT NULL,
    total REAL,
    low REAL,
    high REAL,
    sumsq REAL,
    PRIMARY KEY (tenant, entity_id, attr, hour_us)
) WITHOUT ROWID;
