-- Context source registrations (NGSI-LD 5.9): other brokers or sources that hold entities this
-- broker answers for, kept per tenant with the @context they were written in.
CREATE TABLE csource_registrations (
    tenant TEXT NOT NULL,
    id TEXT NOT NULL,
    doc JSONB NOT NULL,
    created_us BIGINT NOT NULL,
    PRIMARY KEY (tenant, id)
);
