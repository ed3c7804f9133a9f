-- Survey samples: a form with a sample takes responses by invitation only; each invitation
-- is a single-use token (kept as its SHA-256) for one unit of the frame, with the unit's
-- stratum and design weight, so a response carries its design and response rates are counted
-- per stratum. Responses keep the flags of open collection (duplicate, too fast, bot).
CREATE TABLE IF NOT EXISTS survey_samples (
    form_id TEXT PRIMARY KEY,
    frame TEXT NOT NULL,
    strata TEXT NOT NULL,
    seed INTEGER NOT NULL,
    size INTEGER NOT NULL,
    created_us INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS survey_invitations (
    token_hash TEXT PRIMARY KEY,
    form_id TEXT NOT NULL,
    unit TEXT NOT NULL,
    stratum TEXT NOT NULL,
    weight REAL NOT NULL,
    population INTEGER NOT NULL,
    response_id INTEGER,
    reminders INTEGER NOT NULL DEFAULT 0,
    reminded_us INTEGER
);
CREATE INDEX IF NOT EXISTS survey_invitations_form ON survey_invitations (form_id, stratum);

ALTER TABLE survey_responses ADD COLUMN stratum TEXT;
ALTER TABLE survey_responses ADD COLUMN weight REAL;
ALTER TABLE survey_responses ADD COLUMN flags TEXT NOT NULL DEFAULT '';
ALTER TABLE survey_responses ADD COLUMN fingerprint TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS survey_responses_fingerprint
    ON survey_responses (form_id, fingerprint, submitted_us);

-- Proposals citizens make, support (one support per key) and comment on; the responsible
-- department answers in public with a status, within a deadline once enough people support.
CREATE TABLE IF NOT EXISTS proposals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    category TEXT NOT NULL,
    department TEXT,
    district TEXT,
    street TEXT,
    author TEXT NOT NULL,
    status TEXT NOT NULL,
    supports INTEGER NOT NULL DEFAULT 0,
    created_us INTEGER NOT NULL,
    threshold_us INTEGER,
    answer_due_us INTEGER,
    answered_us INTEGER,
    answer TEXT NOT NULL DEFAULT '',
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS proposals_district ON proposals (district, status);
CREATE INDEX IF NOT EXISTS proposals_due ON proposals (answer_due_us);

CREATE TABLE IF NOT EXISTS proposal_supports (
    proposal_id INTEGER NOT NULL REFERENCES proposals (id),
    supporter TEXT NOT NULL,
    created_us INTEGER NOT NULL,
    PRIMARY KEY (proposal_id, supporter)
);

CREATE TABLE IF NOT EXISTS proposal_comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    proposal_id INTEGER NOT NULL REFERENCES proposals (id),
    author TEXT NOT NULL,
    official INTEGER NOT NULL DEFAULT 0,
    text TEXT NOT NULL,
    created_us INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS proposal_comments_proposal ON proposal_comments (proposal_id, id);

-- Participatory budgeting: a round with a budget per district and a voting phase; projects
-- with their costs; one approval ballot per key, checked when it is cast.
CREATE TABLE IF NOT EXISTS pb_rounds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    department TEXT NOT NULL,
    opens_us INTEGER NOT NULL,
    closes_us INTEGER NOT NULL,
    budgets TEXT NOT NULL,
    projects TEXT NOT NULL,
    created_us INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS pb_ballots (
    round_id INTEGER NOT NULL REFERENCES pb_rounds (id),
    voter TEXT NOT NULL,
    projects TEXT NOT NULL,
    cast_us INTEGER NOT NULL,
    PRIMARY KEY (round_id, voter)
);
