-- Survey forms (XLSForm, as pyxform's JSON), one row per version, and the responses submitted
-- to them, each checked against its version before it is stored.
CREATE TABLE IF NOT EXISTS survey_forms (
    form_id TEXT NOT NULL,
    version TEXT NOT NULL,
    title TEXT NOT NULL,
    definition JSONB NOT NULL,
    department TEXT NOT NULL,
    created_us BIGINT NOT NULL,
    PRIMARY KEY (form_id, version)
);

CREATE TABLE IF NOT EXISTS survey_responses (
    id BIGSERIAL PRIMARY KEY,
    form_id TEXT NOT NULL,
    version TEXT NOT NULL,
    answers JSONB NOT NULL,
    submitted_us BIGINT NOT NULL,
    FOREIGN KEY (form_id, version) REFERENCES survey_forms (form_id, version)
);
CREATE INDEX IF NOT EXISTS survey_responses_form ON survey_responses (form_id, id);
