-- A claim writes a small lease row instead of rewriting the delivery (issue 16). On PostgreSQL,
-- changing `status` and `lease_until` on the delivery wrote a new version of the whole row with
-- a new entry in every index of `deliveries`: most of a claim's time at a million pairs. Now a
-- delivery stays 'pending' until it is sent, failed or skipped ('sending' is no longer written),
-- and while a sender holds it, its lease is a row here. `attempt` is the attempt that lease is
-- making; the delivery's `attempts` takes it when the attempt is marked.
CREATE TABLE delivery_leases (
    delivery_id INTEGER PRIMARY KEY REFERENCES deliveries(id) ON DELETE CASCADE,
    lease_until TEXT NOT NULL,
    attempt     INTEGER NOT NULL
);
INSERT INTO delivery_leases (delivery_id, lease_until, attempt)
    SELECT id, lease_until, attempts FROM deliveries
    WHERE status = 'sending' AND lease_until IS NOT NULL;
UPDATE deliveries SET status = 'pending',
    attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END
    WHERE status = 'sending';
DROP INDEX deliveries_lease;
ALTER TABLE deliveries DROP COLUMN lease_until;
