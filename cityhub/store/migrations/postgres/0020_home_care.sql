-- Home care for the elderly (居家养老): the register of people receiving care (their personal
-- details in `doc`, read raw only by the serving department, every read audited), the
-- caregivers who serve them, and service orders with their workflow. An alarm from a home
-- device (`device`, an entity id in `device_tenant`) makes an urgent order.
CREATE TABLE IF NOT EXISTS care_clients (
    id BIGSERIAL PRIMARY KEY,
    department TEXT NOT NULL,
    district TEXT,
    street TEXT,
    lat DOUBLE PRECISION NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    care_level TEXT NOT NULL DEFAULT '',
    device TEXT,
    device_tenant TEXT NOT NULL DEFAULT '',
    active BOOLEAN NOT NULL DEFAULT TRUE,
    doc JSONB NOT NULL,
    created_us BIGINT NOT NULL,
    updated_us BIGINT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS care_clients_device ON care_clients (device_tenant, device);
CREATE INDEX IF NOT EXISTS care_clients_department ON care_clients (department, id);

CREATE TABLE IF NOT EXISTS care_caregivers (
    id TEXT PRIMARY KEY,
    department TEXT NOT NULL,
    name TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT '',
    skills JSONB NOT NULL,
    shift_start INTEGER NOT NULL,
    shift_end INTEGER NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    on_duty BOOLEAN NOT NULL DEFAULT TRUE,
    updated_us BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS care_orders (
    id BIGSERIAL PRIMARY KEY,
    client_id BIGINT NOT NULL REFERENCES care_clients (id),
    department TEXT NOT NULL,
    kind TEXT NOT NULL,
    priority TEXT NOT NULL,
    status TEXT NOT NULL,
    window_start_us BIGINT NOT NULL,
    window_end_us BIGINT NOT NULL,
    duration_min INTEGER NOT NULL,
    skills JSONB NOT NULL,
    caregiver TEXT,
    planned_us BIGINT,
    source TEXT NOT NULL DEFAULT '',
    alarms INTEGER NOT NULL DEFAULT 0,
    note TEXT NOT NULL DEFAULT '',
    created_us BIGINT NOT NULL,
    assigned_us BIGINT,
    notified_us BIGINT,
    accepted_us BIGINT,
    arrived_us BIGINT,
    done_us BIGINT
);
CREATE INDEX IF NOT EXISTS care_orders_window ON care_orders (department, window_start_us);
CREATE INDEX IF NOT EXISTS care_orders_client ON care_orders (client_id, status);
CREATE INDEX IF NOT EXISTS care_orders_caregiver ON care_orders (caregiver, status);
