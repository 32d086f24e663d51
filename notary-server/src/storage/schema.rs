//! The Go notary-server tables (spec-server §7.2), column for column.

diesel::table! {
    tuf_files (id) {
        id -> Integer,
        created_at -> Nullable<Timestamp>,
        updated_at -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
        gun -> Text,
        role -> Text,
        version -> Integer,
        data -> Binary,
        sha256 -> Nullable<Text>,
    }
}

diesel::table! {
    changefeed (id) {
        id -> Integer,
        created_at -> Nullable<Timestamp>,
        gun -> Text,
        version -> Integer,
        sha256 -> Nullable<Text>,
        category -> Text,
    }
}
