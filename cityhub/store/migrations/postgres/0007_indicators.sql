-- City indicators: computed values per place and period, the targets they are held to, and the
-- uploaded series (official statistics) some definitions are computed from.
CREATE TABLE IF NOT EXISTS indicator_values (
    indicator TEXT NOT NULL,
    place TEXT NOT NULL,
    period TEXT NOT NULL,
    start_us BIGINT NOT NULL,
    end_us BIGINT NOT NULL,
    value DOUBLE PRECISION,
    observations INTEGER NOT NULL DEFAULT 0,
    computed_us BIGINT NOT NULL,
    PRIMARY KEY (indicator, place, period)
);
CREATE INDEX IF NOT EXISTS indicator_values_by_time ON indicator_values (indicator, place, start_us);

CREATE TABLE IF NOT EXISTS indicator_targets (
    indicator TEXT NOT NULL,
    place TEXT NOT NULL,
    period TEXT NOT NULL,
    kind TEXT NOT NULL,
    value DOUBLE PRECISION,
    base_period TEXT,
    note TEXT NOT NULL DEFAULT '',
    set_us BIGINT NOT NULL,
    PRIMARY KEY (indicator, place, period)
);

CREATE TABLE IF NOT EXISTS series_points (
    series TEXT NOT NULL,
    place TEXT NOT NULL,
    at_us BIGINT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (series, place, at_us)
);
