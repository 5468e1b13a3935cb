-- Guess and pick prompts (issue 13): a guess prompt keeps the member's guess of their partner's
-- answer next to their own; a pick keeps the option chosen in `text` and an optional one-line
-- why. Both live on the answer row, so forget (which deletes the row) and export (which copies
-- it) cover them with no extra rules.
ALTER TABLE answers ADD COLUMN guess TEXT;
ALTER TABLE answers ADD COLUMN why TEXT;
