-- Home care for the elderly (居家养老): the register of people receiving care (their personal
-- details in `doc`, read raw only by the serving department, every read audited), the
-- caregivers who serve them, and service orders with their workflow. An alarm from a home
-- device (`device`, an entity id in `device_tenant`) makes an urgent order.
CREATE TABLE IF NOT EXISTS care_clients (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    department TEXT NOT NULL,
    district TEXT,
    street TEXT,
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    care_level TEXT NOT NULL DEFAULT '',
    device TEXT,
    device_tenant TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1,
    doc TEXT NOT NULL,
    created_us INTEGER NOT NULL,
    updated_us INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS care_clients_device ON care_clients (device_tenant, device);
CREATE INDEX IF NOT EXISTS care_clients_department ON care_clients (department, id);

CREATE TABLE IF NOT EXISTS care_caregivers (
    id TEXT PRIMARY KEY,
    department TEXT NOT NULL,
    name TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT '',
    skills TEXT NOT NULL,
    shift_start INTEGER NOT NULL,
    shift_end INTEGER NOT NULL,
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    on_duty INTEGER NOT NULL DEFAULT 1,
    updated_us INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS care_orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id INTEGER NOT NULL REFERENCES care_clients (id),
    department TEXT NOT NULL,
    kind TEXT NOT NULL,
    priority TEXT NOT NULL,
    status TEXT NOT NULL,
    window_start_us INTEGER NOT NULL,
    window_end_us INTEGER NOT NULL,
    duration_min INTEGER NOT NULL,
    skills TEXT NOT NULL,
    caregiver TEXT,
    planned_us INTEGER,
    source TEXT NOT NULL DEFAULT '',
    alarms INTEGER NOT NULL DEFAULT 0,
    note TEXT NOT NULL DEFAULT '',
    created_us INTEGER NOT NULL,
    assigned_us INTEGER,
    notified_us INTEGER,
    accepted_us INTEGER,
    arrived_us INTEGER,
    done_us INTEGER
);
CREATE INDEX IF NOT EXISTS care_orders_window ON care_orders (department, window_start_us);
CREATE INDEX IF NOT EXISTS care_orders_client ON care_orders (client_id, status);
CREATE INDEX IF NOT EXISTS care_orders_caregiver ON care_orders (caregiver, status);
