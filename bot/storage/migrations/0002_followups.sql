-- Following up gently: nudges, activity check-ins, going quiet, history.

-- A check-in after an activity is a question of its own whose words come from the activity's
-- follow_up, not from the library prompt the instance points at; NULL means "the prompt's text".
ALTER TABLE prompt_instances ADD COLUMN text TEXT;

-- Going quiet: when Closer asked a member how they'd like their prompts to come, and when their
-- pace last changed (misses are only counted after that, so "Keep going" starts afresh).
ALTER TABLE pair_members ADD COLUMN pace_asked_at TEXT;
ALTER TABLE pair_members ADD COLUMN pace_changed_at TEXT;

-- The nudge and check-in producers run every tick; keep their scans small.
CREATE INDEX instance_members_unnudged ON instance_members (instance_id)
    WHERE state = 'open' AND nudged_at IS NULL;
CREATE INDEX prompt_instances_activity ON prompt_instances (created_at) WHERE kind = 'activity';
CREATE INDEX pair_members_held ON pair_members (pace_asked_at) WHERE pace = 'held';
CREATE INDEX deliveries_instance ON deliveries (instance_id, user_id);
