//! The `private_keys` table (Go Notary schema, spec-signer §3.1).

diesel::table! {
    private_keys (id) {
        id -> Integer,
        created_at -> Nullable<Timestamp>,
        updated_at -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
        key_id -> Text,
        encryption_alg -> Text,
        keywrap_alg -> Text,
        algorithm -> Text,
        passphrase_alias -> Text,
        public -> Binary,
        private -> Binary,
        gun -> Text,
        role -> Text,
        last_used -> Nullable<Timestamp>,
    }
}
