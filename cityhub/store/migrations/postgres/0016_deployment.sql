-- The deployment's identity: one random id made with the database, shared by every process
-- that serves it. It names what the processes share outside the database (the MQTT
-- shared-subscription group), so two deployments on one MQTT broker never split each other's
-- messages.
CREATE TABLE deployment (
    id TEXT PRIMARY KEY
);
INSERT INTO deployment (id) VALUES (md5(random()::text || clock_timestamp()::text));
