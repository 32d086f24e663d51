-- private_keys as Go Notary's migrations/signer/mysql/0001_initial.up.sql followed by
-- 0002_gun_role_on_keys.up.sql leave it. IF NOT EXISTS: a database already migrated by
-- golang-migrate (schema_migrations at version 2) is adopted as is; no row is touched.
CREATE TABLE IF NOT EXISTS `private_keys` (
    `id` int(11) NOT NULL AUTO_INCREMENT,
    `created_at` timestamp NULL DEFAULT NULL,
    `updated_at` timestamp NULL DEFAULT NULL,
    `deleted_at` timestamp NULL DEFAULT NULL,
    `key_id` varchar(255) NOT NULL,
    `encryption_alg` varchar(255) NOT NULL,
    `keywrap_alg` varchar(255) NOT NULL,
    `algorithm` varchar(50) NOT NULL,
    `passphrase_alias` varchar(50) NOT NULL,
    `public` blob NOT NULL,
    `private` blob NOT NULL,
    `gun` varchar(255) NOT NULL,
    `role` varchar(255) NOT NULL,
    `last_used` timestamp NULL DEFAULT NULL,
    PRIMARY KEY (`id`),
    UNIQUE KEY `key_id` (`key_id`),
    UNIQUE KEY `key_id_2` (`key_id`, `algorithm`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;
