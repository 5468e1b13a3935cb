-- "How close do we feel?": a private one-item closeness check-in (a picture scale of seven circle
-- pairs, after Aron, Aron & Smollan's Inclusion of Other in the Self scale, 1992).

-- One row per answer. score NULL means the member pressed Skip (kept so a scheduled check-in is
-- not asked again, and never counted). guild_id is copied from the pair so admin aggregates and
-- server purges do not need the pair to still exist.
CREATE TABLE closeness_checkins (
    id         INTEGER PRIMARY KEY,
    pair_id    INTEGER NOT NULL REFERENCES pairs(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES members(user_id) ON DELETE CASCADE,
    guild_id   INTEGER NOT NULL,
    score      INTEGER CHECK (score BETWEEN 1 AND 7),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX closeness_checkins_user ON closeness_checkins (user_id, pair_id, created_at);
CREATE INDEX closeness_checkins_guild ON closeness_checkins (guild_id, created_at);

-- Members who switched scheduled check-ins off (they can still take one with /closer checkin).
CREATE TABLE closeness_optouts (
    user_id    INTEGER PRIMARY KEY REFERENCES members(user_id) ON DELETE CASCADE,
    created_at TEXT NOT NULL
);
