-- An attribute's deletion is kept in its history as an instance of its own (NGSI-LD 4.5.x,
-- timeproperty=deletedAt): deleted_us says when, and is NULL for every ordinary instance.
ALTER TABLE attr_history ADD COLUMN deleted_us BIGINT;
