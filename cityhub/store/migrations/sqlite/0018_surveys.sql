-- Survey forms (XLSForm, as pyxform's JSON), one row per version, and the responses submitted
-- to them, each checked against its version before it is stored.
CREATE TABLE IF NOT EXISTS survey_forms (
    form_id TEXT NOT NULL,
    version TEXT NOT NULL,
    title TEXT NOT NULL,
    definition TEXT NOT NULL,
    department TEXT NOT NULL,
    created_us INTEGER NOT NULL,
    PRIMARY KEY (form_id, version)
);

CREATE TABLE IF NOT EXISTS survey_responses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    form_id TEXT NOT NULL,
    version TEXT NOT NULL,
    answers TEXT NOT NULL,
    submitted_us INTEGER NOT NULL,
    FOREIGN KEY (form_id, version) REFERENCES survey_forms (form_id, version)
);
CREATE INDEX IF NOT EXISTS survey_responses_form ON survey_responses (form_id, id);
