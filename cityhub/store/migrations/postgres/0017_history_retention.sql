-- History retention: raw instances of a type older than its kept days are deleted; the hourly
-- roll-ups of those hours stay (the downsampled history). The moment before which a type's raw
-- rows may be gone is kept here, so a rebuild of roll-ups from raw rows leaves those hours be.
CREATE TABLE IF NOT EXISTS history_pruned (
    tenant TEXT NOT NULL,
    type TEXT NOT NULL,
    before_us BIGINT NOT NULL,
    PRIMARY KEY (tenant, type)
);
