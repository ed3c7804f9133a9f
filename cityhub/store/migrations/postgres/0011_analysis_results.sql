-- Results of slow analyses (forecasts, the goals' assessment), each with a digest of the inputs
-- it was made from: a read whose inputs still match is served from here.
CREATE TABLE IF NOT EXISTS analysis_results (
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    inputs TEXT NOT NULL,
    result TEXT NOT NULL,
    computed_us BIGINT NOT NULL,
    PRIMARY KEY (kind, subject)
);
