-- Dropping private_keys destroys every stored private key; intentionally a no-op.
SELECT 1;
