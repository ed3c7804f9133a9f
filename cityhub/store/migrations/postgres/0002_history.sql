CREATE TABLE IF NOT EXISTS attr_history (
    id BIGSERIAL PRIMARY KEY,
    tenant TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    attr TEXT NOT NULL,
    dataset_id TEXT,
    instance_id TEXT NOT NULL,
    observed_us BIGINT NOT NULL,
    modified_us BIGINT NOT NULL,
    value_num DOUBLE PRECISION,
    value_key TEXT,
    instance JSONB NOT NULL
);
CREATE INDEX IF NOT EXISTS attr_history_by_time
    ON attr_history (tenant, entity_id, attr, observed_us) INCLUDE (value_num);
-- History is appended in time order: a BRIN index keeps wide time scans cheap as it grows.
CREATE INDEX IF NOT EXISTS attr_history_brin ON attr_history USING BRIN (observed_us);
