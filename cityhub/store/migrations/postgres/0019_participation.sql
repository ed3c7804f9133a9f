-- Survey samples: a form with a sample takes responses by invitation only; each invitation
-- is a single-use token (kept as its SHA-256) for one unit of the frame, with the unit's
-- stratum and design weight, so a response carries its design and response rates are counted
-- per stratum. Responses keep the flags of open collection (duplicate, too fast, bot).
CREATE TABLE IF NOT EXISTS survey_samples (
    form_id TEXT PRIMARY KEY,
    frame TEXT NOT NULL,
    strata TEXT NOT NULL,
    seed BIGINT NOT NULL,
    size INTEGER NOT NULL,
    created_us BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS survey_invitations (
    token_hash TEXT PRIMARY KEY,
    form_id TEXT NOT NULL,
    unit TEXT NOT NULL,
    stratum TEXT NOT NULL,
    weight DOUBLE PRECISION NOT NULL,
    population INTEGER NOT NULL,
    response_id BIGINT,
    reminders INTEGER NOT NULL DEFAULT 0,
    reminded_us BIGINT
);
CREATE INDEX IF NOT EXISTS survey_invitations_form ON survey_invitations (form_id, stratum);

ALTER TABLE survey_responses ADD COLUMN stratum TEXT;
ALTER TABLE survey_responses ADD COLUMN weight DOUBLE PRECISION;
ALTER TABLE survey_responses ADD COLUMN flags TEXT NOT NULL DEFAULT '';
ALTER TABLE survey_responses ADD COLUMN fingerprint TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS survey_responses_fingerprint
    ON survey_responses (form_id, fingerprint, submitted_us);

-- Proposals citizens make, support (one support per key) and comment on; the responsible
-- department answers in public with a status, within a deadline once enough people support.
CREATE TABLE IF NOT EXISTS proposals (
    id BIGSERIAL PRIMARY KEY,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    category TEXT NOT NULL,
    department TEXT,
    district TEXT,
    street TEXT,
    author TEXT NOT NULL,
    status TEXT NOT NULL,
    supports INTEGER NOT NULL DEFAULT 0,
    created_us BIGINT NOT NULL,
    threshold_us BIGINT,
    answer_due_us BIGINT,
    answered_us BIGINT,
    answer TEXT NOT NULL DEFAULT '',
    doc JSONB NOT NULL
);
CREATE INDEX IF NOT EXISTS proposals_district ON proposals (district, status);
CREATE INDEX IF NOT EXISTS proposals_due ON proposals (answer_due_us);

CREATE TABLE IF NOT EXISTS proposal_supports (
    proposal_id BIGINT NOT NULL REFERENCES proposals (id),
    supporter TEXT NOT NULL,
    created_us BIGINT NOT NULL,
    PRIMARY KEY (proposal_id, supporter)
);

CREATE TABLE IF NOT EXISTS proposal_comments (
    id BIGSERIAL PRIMARY KEY,
    proposal_id BIGINT NOT NULL REFERENCES proposals (id),
    author TEXT NOT NULL,
    official BOOLEAN NOT NULL DEFAULT FALSE,
    text TEXT NOT NULL,
    created_us BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS proposal_comments_proposal ON proposal_comments (proposal_id, id);

-- Participatory budgeting: a round with a budget per district and a voting phase; projects
-- with their costs; one approval ballot per key, checked when it is cast.
CREATE TABLE IF NOT EXISTS pb_rounds (
    id BIGSERIAL PRIMARY KEY,
    title TEXT NOT NULL,
    department TEXT NOT NULL,
    opens_us BIGINT NOT NULL,
    closes_us BIGINT NOT NULL,
    budgets JSONB NOT NULL,
    projects JSONB NOT NULL,
    created_us BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS pb_ballots (
    round_id BIGINT NOT NULL REFERENCES pb_rounds (id),
    voter TEXT NOT NULL,
    projects JSONB NOT NULL,
    cast_us BIGINT NOT NULL,
    PRIMARY KEY (round_id, voter)
);
