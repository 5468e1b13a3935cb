-- Placeholder: migration 0003 belongs to parallel work (relationship kinds / follow-ups). Migrations
-- must be numbered without gaps, so this branch carries an empty 0003 until that one is merged;
-- when merging, keep the real 0003 and delete this file.
SELECT 1;
