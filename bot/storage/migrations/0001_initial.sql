-- Closer's schema. Times are UTC ISO 8601 text with microseconds and +00:00, so they sort as text.
-- Discord ids are INTEGER (snowflakes fit in 63 bits).

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE guilds (
    guild_id            INTEGER PRIMARY KEY,
    announce_channel_id INTEGER,
    joined_at           TEXT NOT NULL,
    -- set when the bot is removed; the guild's data is purged at purge_after unless it returns
    left_at             TEXT,
    purge_after         TEXT
);

-- A person, across servers: time zone and quiet hours are about the person, not the server.
CREATE TABLE members (
    user_id           INTEGER PRIMARY KEY,
    display_name      TEXT NOT NULL DEFAULT '',
    timezone          TEXT,              -- NULL: DEFAULT_TIMEZONE
    quiet_start       TEXT,              -- 'HH:MM' local, NULL: none
    quiet_end         TEXT,
    dm_channel_id     INTEGER,           -- cached so a prompt costs one REST call
    unreachable_since TEXT,              -- DMs closed (50007); cleared when they interact again
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);

CREATE TABLE invites (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    inviter_id   INTEGER NOT NULL REFERENCES members(user_id) ON DELETE CASCADE,
    invitee_id   INTEGER NOT NULL REFERENCES members(user_id) ON DELETE CASCADE,
    local_time   TEXT NOT NULL,
    cadence      TEXT NOT NULL CHECK (cadence IN ('daily', 'weekdays', 'weekly')),
    status       TEXT NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'accepted', 'declined', 'expired', 'cancelled')),
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    decided_at   TEXT,
    pair_id      INTEGER REFERENCES pairs(id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX invites_one_pending
    ON invites (guild_id, inviter_id, invitee_id) WHERE status = 'pending';
CREATE INDEX invites_invitee ON invites (invitee_id, status);

CREATE TABLE circles (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL,               -- casefolded, for lookups and uniqueness
    cadence     TEXT NOT NULL CHECK (cadence IN ('weekly', 'biweekly')),
    weekday     INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),   -- Monday = 0
    local_time  TEXT NOT NULL,
    timezone    TEXT NOT NULL,
    anchor_date TEXT NOT NULL,
    seed        INTEGER NOT NULL,
    created_by  INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    deleted_at  TEXT
);
CREATE UNIQUE INDEX circles_live_name ON circles (guild_id, name_key) WHERE deleted_at IS NULL;

CREATE TABLE circle_members (
    circle_id INTEGER NOT NULL REFERENCES circles(id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES members(user_id) ON DELETE CASCADE,
    joined_at TEXT NOT NULL,
    PRIMARY KEY (circle_id, user_id)
);

-- A round is a row claimed by the scheduler tick, so downtime neither skips nor doubles one.
CREATE TABLE circle_rounds (
    id         INTEGER PRIMARY KEY,
    circle_id  INTEGER NOT NULL REFERENCES circles(id) ON DELETE CASCADE,
    round_no   INTEGER NOT NULL,
    due_at     TEXT NOT NULL,
    status     TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'formed', 'cancelled')),
    formed_at  TEXT,
    group_count INTEGER,
    UNIQUE (circle_id, round_no)
);
CREATE INDEX circle_rounds_due ON circle_rounds (status, due_at);

CREATE TABLE pairs (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('couple', 'circle')),
    circle_id    INTEGER REFERENCES circles(id) ON DELETE CASCADE,
    round_id     INTEGER REFERENCES circle_rounds(id) ON DELETE CASCADE,
    local_time   TEXT NOT NULL,
    cadence      TEXT NOT NULL CHECK (cadence IN ('daily', 'weekdays', 'weekly')),
    anchor_date  TEXT NOT NULL,
    depth        TEXT NOT NULL DEFAULT 'light' CHECK (depth IN ('light', 'medium', 'deep')),
    status       TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'ended')),
    paused_until TEXT,
    paused_by    INTEGER,                 -- who asked: in a circle only they sit out rounds
    seed         INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    ended_at     TEXT
);
CREATE INDEX pairs_guild ON pairs (guild_id, status);

CREATE TABLE pair_members (
    pair_id   INTEGER NOT NULL REFERENCES pairs(id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES members(user_id) ON DELETE CASCADE,
    -- a member gone quiet gets no prompts until they choose a pace
    pace      TEXT NOT NULL DEFAULT 'normal' CHECK (pace IN ('normal', 'weekly', 'held')),
    PRIMARY KEY (pair_id, user_id)
);
CREATE INDEX pair_members_user ON pair_members (user_id);

CREATE TABLE pair_muted_topics (
    pair_id  INTEGER NOT NULL REFERENCES pairs(id) ON DELETE CASCADE,
    category TEXT NOT NULL,
    PRIMARY KEY (pair_id, category)
);

-- "Go a little deeper?": the pair moves up only when every member has accepted.
CREATE TABLE depth_votes (
    pair_id    INTEGER NOT NULL REFERENCES pairs(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES members(user_id) ON DELETE CASCADE,
    depth      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (pair_id, user_id, depth)
);

CREATE TABLE challenges (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    pair_id     INTEGER REFERENCES pairs(id) ON DELETE CASCADE,
    circle_id   INTEGER REFERENCES circles(id) ON DELETE CASCADE,
    theme_id    TEXT NOT NULL,
    started_by  INTEGER,
    starts_on   TEXT NOT NULL,             -- local date of day 1
    status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'stopped', 'done')),
    created_at  TEXT NOT NULL,
    ended_at    TEXT
);

-- One prompt given to one pair for one slot; both partners receive the same instance.
CREATE TABLE prompt_instances (
    id            INTEGER PRIMARY KEY,
    pair_id       INTEGER NOT NULL REFERENCES pairs(id) ON DELETE CASCADE,
    prompt_id     TEXT NOT NULL,
    category      TEXT NOT NULL,
    kind          TEXT NOT NULL,
    slot_key      TEXT NOT NULL,           -- the pair's schedule date, or 'now:<n>' for /prompt now
    challenge_id  INTEGER REFERENCES challenges(id) ON DELETE SET NULL,
    challenge_day INTEGER,
    status        TEXT NOT NULL DEFAULT 'open'
                  CHECK (status IN ('open', 'revealed', 'closed', 'skipped')),
    created_at    TEXT NOT NULL,
    closed_at     TEXT,
    UNIQUE (pair_id, slot_key)
);
CREATE INDEX prompt_instances_pair ON prompt_instances (pair_id, created_at);

-- Each member's side of an instance: answered, skipped, later, activity outcome, nudge sent.
CREATE TABLE instance_members (
    instance_id  INTEGER NOT NULL REFERENCES prompt_instances(id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL REFERENCES members(user_id) ON DELETE CASCADE,
    state        TEXT NOT NULL DEFAULT 'open'
                 -- held: not sent to them (they had gone quiet or chosen a slower pace)
                 CHECK (state IN ('open', 'answered', 'skipped', 'done', 'not_this_time', 'held')),
    nudged_at    TEXT,
    later_at     TEXT,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (instance_id, user_id)
);

CREATE TABLE answers (
    id          INTEGER PRIMARY KEY,
    instance_id INTEGER NOT NULL REFERENCES prompt_instances(id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES members(user_id) ON DELETE CASCADE,
    text        TEXT NOT NULL,
    feeling     TEXT,
    shared      INTEGER NOT NULL DEFAULT 0,   -- reflections: the author chose to share
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (instance_id, user_id)
);
-- "Answered with an earlier partner" is looked up per member when choosing every prompt.
CREATE INDEX answers_user ON answers (user_id);

-- The outbox: every DM Closer sends is a row first. (pair, member, slot) keys make materialising
-- idempotent; a lease makes a claim crash-safe; the row id becomes the message nonce.
-- AUTOINCREMENT: a row id is the message nonce and the key an in-flight send marks when it
-- finishes, so an id must never be handed out twice (plain INTEGER PRIMARY KEY reuses the largest
-- id after a delete, and /closer forget and server purges delete the newest rows).
CREATE TABLE deliveries (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    dedupe_key   TEXT NOT NULL UNIQUE,
    -- a DM to a member, or (user_id NULL) a post in a server channel such as a round notice
    user_id      INTEGER REFERENCES members(user_id) ON DELETE CASCADE,
    channel_id   INTEGER,
    pair_id      INTEGER REFERENCES pairs(id) ON DELETE CASCADE,
    instance_id  INTEGER REFERENCES prompt_instances(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL DEFAULT '{}',
    due_at       TEXT NOT NULL,
    stale_after  TEXT,                 -- past this, sending would be unkind (e.g. 3 h late): skip
    status       TEXT NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    lease_until  TEXT,
    message_id   INTEGER,
    last_error   TEXT,
    created_at   TEXT NOT NULL,
    sent_at      TEXT
);
CREATE INDEX deliveries_due ON deliveries (status, due_at);
CREATE INDEX deliveries_lease ON deliveries (lease_until) WHERE status = 'sending';
CREATE INDEX deliveries_user ON deliveries (user_id, created_at);

-- Per-member schedule state: when this member's next prompt slot for a pair is due.
CREATE TABLE schedules (
    pair_id     INTEGER NOT NULL REFERENCES pairs(id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES members(user_id) ON DELETE CASCADE,
    next_due_at TEXT NOT NULL,
    next_day    TEXT NOT NULL,            -- the local date that slot belongs to (the instance key)
    PRIMARY KEY (pair_id, user_id)
);
CREATE INDEX schedules_due ON schedules (next_due_at);

-- Timed together-activities during a challenge: each member's Start press.
CREATE TABLE activity_timers (
    instance_id INTEGER NOT NULL REFERENCES prompt_instances(id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES members(user_id) ON DELETE CASCADE,
    pressed_at  TEXT NOT NULL,
    PRIMARY KEY (instance_id, user_id)
);
