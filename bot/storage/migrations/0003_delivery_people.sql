-- Private by construction: every outbox row knows its server and whose words or name it carries,
-- so forget and the server purge work by structure, never by matching text.

-- The server a delivery belongs to (NULL only for rows no server owns). Backfilled from the pair.
ALTER TABLE deliveries ADD COLUMN guild_id INTEGER;
UPDATE deliveries SET guild_id = (SELECT p.guild_id FROM pairs AS p WHERE p.id = deliveries.pair_id)
    WHERE pair_id IS NOT NULL;
UPDATE deliveries SET guild_id = (
    SELECT i.guild_id FROM invites AS i WHERE deliveries.dedupe_key = 'invite:' || i.id
) WHERE guild_id IS NULL AND kind = 'invite';
UPDATE deliveries SET guild_id = (
    SELECT g.guild_id FROM guilds AS g WHERE g.announce_channel_id = deliveries.channel_id
) WHERE guild_id IS NULL AND user_id IS NULL;
CREATE INDEX deliveries_guild ON deliveries (guild_id);
CREATE INDEX deliveries_message ON deliveries (user_id, message_id) WHERE message_id IS NOT NULL;

-- The people a delivery carries, other than its recipient: 'author' when it quotes their words
-- (a reveal, a shared reflection), 'named' when it names them (a partner in a notice, an invite).
-- No foreign key to members: a name must be forgettable even for someone never stored as one.
CREATE TABLE delivery_people (
    delivery_id INTEGER NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('author', 'named')),
    PRIMARY KEY (delivery_id, user_id, role)
);
CREATE INDEX delivery_people_user ON delivery_people (user_id);

-- Existing rows tied to a pair name its other members (that is what their messages do).
INSERT OR IGNORE INTO delivery_people (delivery_id, user_id, role)
    SELECT d.id, pm.user_id, CASE WHEN d.kind = 'reveal' THEN 'author' ELSE 'named' END
    FROM deliveries AS d JOIN pair_members AS pm ON pm.pair_id = d.pair_id
    WHERE d.user_id IS NOT NULL AND pm.user_id != d.user_id;
INSERT OR IGNORE INTO delivery_people (delivery_id, user_id, role)
    SELECT d.id, i.inviter_id, 'named' FROM deliveries AS d
    JOIN invites AS i ON d.dedupe_key = 'invite:' || i.id;

-- Flood limits count `/prompt now` instances per pair and day.
CREATE INDEX prompt_instances_now ON prompt_instances (pair_id, created_at) WHERE slot_key LIKE 'now:%';
