CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE IF NOT EXISTS tenants (
    name TEXT PRIMARY KEY,
    private BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS entities (
    pk BIGSERIAL PRIMARY KEY,
    tenant TEXT NOT NULL,
    id TEXT NOT NULL,
    types TEXT NOT NULL,
    attr_index TEXT NOT NULL,
    doc JSONB NOT NULL,
    created_at TEXT NOT NULL,
    modified_at TEXT NOT NULL,
    UNIQUE (tenant, id)
);

CREATE TABLE IF NOT EXISTS entity_types (
    tenant TEXT NOT NULL,
    type TEXT NOT NULL,
    entity_pk BIGINT NOT NULL REFERENCES entities (pk) ON DELETE CASCADE,
    PRIMARY KEY (tenant, type, entity_pk)
);
CREATE INDEX IF NOT EXISTS entity_types_by_entity ON entity_types (entity_pk);

CREATE TABLE IF NOT EXISTS entity_geo (
    entity_pk BIGINT NOT NULL REFERENCES entities (pk) ON DELETE CASCADE,
    attr TEXT NOT NULL,
    geom geometry(Geometry, 4326) NOT NULL,
    geog geography GENERATED ALWAYS AS (geom::geography) STORED
);
CREATE INDEX IF NOT EXISTS entity_geo_gist ON entity_geo USING GIST (geom);
CREATE INDEX IF NOT EXISTS entity_geo_geog_gist ON entity_geo USING GIST (geog);
CREATE INDEX IF NOT EXISTS entity_geo_by_entity ON entity_geo (entity_pk);

CREATE TABLE IF NOT EXISTS contexts (
    local_id TEXT PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    body JSONB NOT NULL,
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
