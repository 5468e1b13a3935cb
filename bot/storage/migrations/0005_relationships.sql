-- Relationship kinds (issue 13): what two people are to each other decides which prompts suit
-- them. Pairs chosen by invite so far were couples, so they become partners; circle groups are
-- their own kind (people who may have just met).
ALTER TABLE pairs ADD COLUMN relationship TEXT NOT NULL DEFAULT 'partners'
    CHECK (relationship IN ('partners', 'friends', 'family', 'circle'));
UPDATE pairs SET relationship = 'circle' WHERE kind = 'circle';

-- A change of kind proposed by one member, waiting for the other's yes (one at a time).
ALTER TABLE pairs ADD COLUMN proposed_relationship TEXT
    CHECK (proposed_relationship IN ('partners', 'friends', 'family'));
ALTER TABLE pairs ADD COLUMN proposed_by INTEGER;

ALTER TABLE invites ADD COLUMN relationship TEXT NOT NULL DEFAULT 'partners'
    CHECK (relationship IN ('partners', 'friends', 'family'));

-- "Not yet" on a depth offer is remembered with its time, so the offer can come back later.
ALTER TABLE depth_votes ADD COLUMN answer TEXT NOT NULL DEFAULT 'yes'
    CHECK (answer IN ('yes', 'not_yet'));
