-- The dataset catalog: publishing departments (CKAN organizations), datasets with their
-- metadata and governance fields, versions (one stored table each), their rows, access requests
-- and the append-only, hash-chained access audit.
CREATE TABLE IF NOT EXISTS catalog_orgs (
    name TEXT PRIMARY KEY,
    doc JSONB NOT NULL,
    created_us BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS catalog_datasets (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    org TEXT NOT NULL REFERENCES catalog_orgs (name),
    resource_id TEXT NOT NULL UNIQUE,
    share_type TEXT NOT NULL,
    open_type TEXT NOT NULL,
    grade TEXT NOT NULL,
    level INTEGER,
    confirmed INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 0,
    doc JSONB NOT NULL,
    created_us BIGINT NOT NULL,
    modified_us BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS catalog_datasets_by_org ON catalog_datasets (org);

CREATE TABLE IF NOT EXISTS catalog_versions (
    table_id BIGSERIAL PRIMARY KEY,
    dataset_id TEXT NOT NULL REFERENCES catalog_datasets (id),
    version INTEGER NOT NULL,
    state TEXT NOT NULL,
    rows BIGINT NOT NULL DEFAULT 0,
    columns JSONB NOT NULL,
    source TEXT NOT NULL,
    format TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    suggestion JSONB NOT NULL,
    created_us BIGINT NOT NULL,
    UNIQUE (dataset_id, version)
);

CREATE TABLE IF NOT EXISTS catalog_rows (
    table_id BIGINT NOT NULL,
    row_no BIGINT NOT NULL,
    data JSONB NOT NULL,
    PRIMARY KEY (table_id, row_no)
);

CREATE TABLE IF NOT EXISTS catalog_access (
    id BIGSERIAL PRIMARY KEY,
    dataset_id TEXT NOT NULL REFERENCES catalog_datasets (id),
    department TEXT NOT NULL,
    key_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    fields JSONB NOT NULL,
    days INTEGER NOT NULL,
    status TEXT NOT NULL,
    created_us BIGINT NOT NULL,
    decided_us BIGINT,
    decided_by TEXT,
    expires_us BIGINT,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS catalog_access_by_dataset ON catalog_access (dataset_id, department);

CREATE TABLE IF NOT EXISTS catalog_audit (
    seq BIGINT PRIMARY KEY,
    at_us BIGINT NOT NULL,
    actor TEXT NOT NULL,
    department TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    dataset_id TEXT NOT NULL,
    version INTEGER,
    rows BIGINT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS catalog_audit_by_dataset ON catalog_audit (dataset_id, at_us);
CREATE OR REPLACE FUNCTION catalog_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
DROP TRIGGER IF EXISTS catalog_audit_no_change ON catalog_audit;
CREATE TRIGGER catalog_audit_no_change BEFORE UPDATE OR DELETE ON catalog_audit FOR EACH ROW EXECUTE FUNCTION catalog_audit_append_only();
DROP TRIGGER IF EXISTS catalog_audit_no_truncate ON catalog_audit;
CREATE TRIGGER catalog_audit_no_truncate BEFORE TRUNCATE ON catalog_audit FOR EACH STATEMENT EXECUTE FUNCTION catalog_audit_append_only();
