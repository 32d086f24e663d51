-- Deliberately empty: never drop metadata.
SELECT 1;
