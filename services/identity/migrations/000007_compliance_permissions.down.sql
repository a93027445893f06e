-- The permissions stay: taking them away could lock a user out of what a
-- role has been granting since; the catalogue still knows them.
SELECT 1;
