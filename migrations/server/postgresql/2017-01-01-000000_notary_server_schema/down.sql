-- Deliberately empty: the schema may be shared with a Go deployment; never drop its data.
SELECT 1;
