-- Background jobs that one server process in the city should run at a time (remaking stored
-- analyses, escalating overdue requests) hold a lease; another process takes it over once it
-- lapses, so a stopped process leaves nothing undone for longer than one lease.
CREATE TABLE job_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until_us BIGINT NOT NULL
);
