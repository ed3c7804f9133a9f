-- Hourly aggregates of attribute history, kept as history is written, so that aggregation over
-- long ranges reads hours, not every instance.
CREATE TABLE IF NOT EXISTS attr_rollup (
    tenant TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    attr TEXT NOT NULL,
    hour_us BIGINT NOT NULL,
    n BIGINT NOT NULL,
    n_num BIGINT NOT NULL,
    total DOUBLE PRECISION,
    low DOUBLE PRECISION,
    high DOUBLE PRECISION,
    sumsq DOUBLE PRECISION,
    PRIMARY KEY (tenant, entity_id, attr, hour_us)
);
