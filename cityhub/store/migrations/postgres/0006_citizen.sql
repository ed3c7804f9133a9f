-- Citizen service requests (Open311 GeoReport v2 + the 12345 workflow behind it).
CREATE TABLE IF NOT EXISTS service_requests (
    id BIGSERIAL PRIMARY KEY,
    token TEXT NOT NULL UNIQUE,
    service_code TEXT NOT NULL,
    status TEXT NOT NULL,
    department TEXT,
    category TEXT,
    confidence DOUBLE PRECISION,
    urgency TEXT NOT NULL,
    district TEXT,
    street TEXT,
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    requested_us BIGINT NOT NULL,
    updated_us BIGINT NOT NULL,
    response_due_us BIGINT NOT NULL,
    deadline_us BIGINT NOT NULL,
    responded_us BIGINT,
    resolved_us BIGINT,
    escalation INTEGER NOT NULL DEFAULT 0,
    merged_into BIGINT,
    satisfaction INTEGER,
    doc JSONB NOT NULL
);
-- Listing: newest first with the id as tie-break, so pages are stable and need no sort.
CREATE INDEX IF NOT EXISTS service_requests_by_time ON service_requests (requested_us, id);
CREATE INDEX IF NOT EXISTS service_requests_by_code_time ON service_requests (service_code, requested_us, id);
-- Covers the duplicate search (service, recent, inside a box) without reading rows.
CREATE INDEX IF NOT EXISTS service_requests_by_code ON service_requests (service_code, requested_us, lat, lon);
CREATE INDEX IF NOT EXISTS service_requests_by_status ON service_requests (status, deadline_us);
CREATE INDEX IF NOT EXISTS service_requests_by_department ON service_requests (department, requested_us);
CREATE INDEX IF NOT EXISTS service_requests_by_merge ON service_requests (merged_into);

CREATE TABLE IF NOT EXISTS request_events (
    id BIGSERIAL PRIMARY KEY,
    request_id BIGINT NOT NULL,
    at_us BIGINT NOT NULL,
    action TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    actor TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS request_events_by_request ON request_events (request_id, id);

-- Messages owed to reporters (merge, close); a delivery channel drains them.
CREATE TABLE IF NOT EXISTS citizen_notices (
    id BIGSERIAL PRIMARY KEY,
    request_id BIGINT NOT NULL,
    at_us BIGINT NOT NULL,
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    message TEXT NOT NULL,
    sent_us BIGINT
);
CREATE INDEX IF NOT EXISTS citizen_notices_by_request ON citizen_notices (request_id);

-- Trained text models (kind: department, sentiment): every version kept with its report.
CREATE TABLE IF NOT EXISTS citizen_models (
    version BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    created_at TEXT NOT NULL,
    model BYTEA NOT NULL,
    report JSONB NOT NULL
);
CREATE INDEX IF NOT EXISTS citizen_models_by_kind ON citizen_models (kind, version);
