-- notary-server schema, identical to Go Notary's golang-migrate result (migrations/server/mysql
-- 0001-0005). Idempotent: an existing Go database is adopted as-is, no row is touched.
CREATE TABLE IF NOT EXISTS `tuf_files` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `created_at` timestamp NULL DEFAULT NULL,
  `updated_at` timestamp NULL DEFAULT NULL,
  `deleted_at` timestamp NULL DEFAULT NULL,
  `gun` varchar(255) NOT NULL,
  `role` varchar(255) NOT NULL,
  `version` int(11) NOT NULL,
  `data` longblob NOT NULL,
  `sha256` char(64) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `gun` (`gun`,`role`,`version`),
  KEY `sha256` (`sha256`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE IF NOT EXISTS `change_category` (
  `category` VARCHAR(20) NOT NULL,
  PRIMARY KEY (`category`)
);
INSERT IGNORE INTO `change_category` VALUES ('update'), ('deletion');

CREATE TABLE IF NOT EXISTS `changefeed` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `created_at` timestamp DEFAULT CURRENT_TIMESTAMP,
  `gun` varchar(255) NOT NULL,
  `version` int(11) NOT NULL,
  `sha256` CHAR(64) DEFAULT NULL,
  `category` VARCHAR(20) NOT NULL DEFAULT 'update',
  PRIMARY KEY (`id`),
  FOREIGN KEY (`category`) REFERENCES `change_category` (`category`),
  INDEX `idx_changefeed_gun` (`gun`)
);
