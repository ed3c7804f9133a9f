-- Keys are bound to tenants (a JSON list; "*" is every tenant), expire and can be revoked.
ALTER TABLE api_keys ADD COLUMN tenants TEXT NOT NULL DEFAULT '[""]';
ALTER TABLE api_keys ADD COLUMN expires_at TEXT;
ALTER TABLE api_keys ADD COLUMN revoked_at TEXT;
UPDATE api_keys SET tenants = '["*"]' WHERE role = 'admin';

-- Browser sessions of the dashboard: an HttpOnly cookie stands for a key.
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    key_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_key ON sessions (key_id);

-- Dead letters belong to the tenant of their device (NULL: no device was recognised).
ALTER TABLE dead_letters ADD COLUMN tenant TEXT;
CREATE INDEX IF NOT EXISTS dead_letters_by_tenant ON dead_letters (tenant, id);

-- Hosted @contexts belong to the department that added them.
ALTER TABLE contexts ADD COLUMN owner TEXT;
