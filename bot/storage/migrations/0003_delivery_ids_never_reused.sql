-- Outbox row ids must never be handed out twice. A row id is the message nonce (Discord returns
-- the first message for a repeated nonce, so a new row that inherited an old id would be silently
-- dropped) and the key an in-flight send marks when it finishes (it would mark the new row sent).
-- Plain INTEGER PRIMARY KEY reuses the largest id after it is deleted, and `/closer forget` and
-- server purges delete the newest rows; AUTOINCREMENT never reuses one. SQLite cannot add it in
-- place, so the table is rebuilt with every row, id and index kept.

CREATE TABLE deliveries_v3 (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    dedupe_key   TEXT NOT NULL UNIQUE,
    user_id      INTEGER REFERENCES members(user_id) ON DELETE CASCADE,
    channel_id   INTEGER,
    pair_id      INTEGER REFERENCES pairs(id) ON DELETE CASCADE,
    instance_id  INTEGER REFERENCES prompt_instances(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL DEFAULT '{}',
    due_at       TEXT NOT NULL,
    stale_after  TEXT,
    status       TEXT NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    lease_until  TEXT,
    message_id   INTEGER,
    last_error   TEXT,
    created_at   TEXT NOT NULL,
    sent_at      TEXT
);

INSERT INTO deliveries_v3 (id, dedupe_key, user_id, channel_id, pair_id, instance_id, kind,
                           payload, due_at, stale_after, status, attempts, lease_until,
                           message_id, last_error, created_at, sent_at)
SELECT id, dedupe_key, user_id, channel_id, pair_id, instance_id, kind, payload, due_at,
       stale_after, status, attempts, lease_until, message_id, last_error, created_at, sent_at
FROM deliveries;

DROP TABLE deliveries;
ALTER TABLE deliveries_v3 RENAME TO deliveries;

CREATE INDEX deliveries_due ON deliveries (status, due_at);
CREATE INDEX deliveries_lease ON deliveries (lease_until) WHERE status = 'sending';
CREATE INDEX deliveries_user ON deliveries (user_id, created_at);
CREATE INDEX deliveries_instance ON deliveries (instance_id, user_id);
