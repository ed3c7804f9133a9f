CREATE TABLE IF NOT EXISTS tenants (
    name TEXT PRIMARY KEY,
    private INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS entities (
    pk INTEGER PRIMARY KEY,
    tenant TEXT NOT NULL,
    id TEXT NOT NULL,
    types TEXT NOT NULL,
    attr_index TEXT NOT NULL,
    doc BLOB NOT NULL,
    geo_count INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    modified_at TEXT NOT NULL,
    UNIQUE (tenant, id)
);

CREATE TABLE IF NOT EXISTS entity_types (
    tenant TEXT NOT NULL,
    type TEXT NOT NULL,
    entity_pk INTEGER NOT NULL,
    PRIMARY KEY (tenant, type, entity_pk)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entity_types_by_entity ON entity_types (entity_pk);

-- Bounding boxes of every GeoProperty instance; id = entity pk * 256 + instance number.
CREATE VIRTUAL TABLE IF NOT EXISTS entity_geo USING rtree (
    id, minx, maxx, miny, maxy, +entity_pk INTEGER, +attr TEXT
);

CREATE TABLE IF NOT EXISTS contexts (
    local_id TEXT PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    body BLOB NOT NULL,
    created_at TEXT NOT NULL,
    last_used TEXT,
    hits INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS api_keys (
    key_id TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL UNIQUE,
    department TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at TEXT NOT NULL
);
