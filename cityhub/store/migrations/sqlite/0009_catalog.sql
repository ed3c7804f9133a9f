-- The dataset catalog: publishing departments (CKAN organizations), datasets with their
-- metadata and governance fields, versions (one stored table each), their rows, access requests
-- and the append-only, hash-chained access audit.
CREATE TABLE IF NOT EXISTS catalog_orgs (
    name TEXT PRIMARY KEY,
    doc TEXT NOT NULL,
    created_us INTEGER NOT NULL
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
    doc TEXT NOT NULL,
    created_us INTEGER NOT NULL,
    modified_us INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS catalog_datasets_by_org ON catalog_datasets (org);

CREATE TABLE IF NOT EXISTS catalog_versions (
    table_id INTEGER PRIMARY KEY,
    dataset_id TEXT NOT NULL REFERENCES catalog_datasets (id),
    version INTEGER NOT NULL,
    state TEXT NOT NULL,
    rows INTEGER NOT NULL DEFAULT 0,
    columns TEXT NOT NULL,
    source TEXT NOT NULL,
    format TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    suggestion TEXT NOT NULL,
    created_us INTEGER NOT NULL,
    UNIQUE (dataset_id, version)
);

CREATE TABLE IF NOT EXISTS catalog_rows (
    table_id INTEGER NOT NULL,
    row_no INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (table_id, row_no)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS catalog_access (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dataset_id TEXT NOT NULL REFERENCES catalog_datasets (id),
    department TEXT NOT NULL,
    key_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    fields TEXT NOT NULL,
    days INTEGER NOT NULL,
    status TEXT NOT NULL,
    created_us INTEGER NOT NULL,
    decided_us INTEGER,
    decided_by TEXT,
    expires_us INTEGER,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS catalog_access_by_dataset ON catalog_access (dataset_id, department);

CREATE TABLE IF NOT EXISTS catalog_audit (
    seq INTEGER PRIMARY KEY,
    at_us INTEGER NOT NULL,
    actor TEXT NOT NULL,
    department TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    dataset_id TEXT NOT NULL,
    version INTEGER,
    rows INTEGER NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS catalog_audit_by_dataset ON catalog_audit (dataset_id, at_us);
CREATE TRIGGER IF NOT EXISTS catalog_audit_no_update BEFORE UPDATE ON catalog_audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS catalog_audit_no_delete BEFORE DELETE ON catalog_audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
