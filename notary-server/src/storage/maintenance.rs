//! Operator queries for `notary-server admin`: list GUNs, read every row of one GUN, and prune
//! rows in one transaction. The policy (which rows to keep) stays with the caller.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::tuf_files;
use super::{write_tx, AnyConnection, Store, StoreError};

/// One `tuf_files` row with its bytes.
#[derive(Debug, Clone)]
pub struct GunFile {
    pub id: i32,
    pub role: String,
    pub version: i32,
    /// Lower-case hex sha256 as stored (Go always fills it).
    pub sha256: Option<String>,
    pub created_at: Option<NaiveDateTime>,
    /// Soft-deleted (`deleted_at` set); never served.
    pub deleted: bool,
    pub data: Vec<u8>,
}

/// A row removed (or, in a dry run, to be removed) by [`Store::prune`].
#[derive(Debug, Clone)]
pub struct PrunedRow {
    pub gun: String,
    pub role: String,
    pub version: i32,
    pub bytes: usize,
}

type Row = (
    i32,
    String,
    i32,
    Option<String>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Vec<u8>,
);

fn guns_on(c: &mut AnyConnection) -> Result<Vec<String>, StoreError> {
    Ok(tuf_files::table
        .select(tuf_files::gun)
        .distinct()
        .order(tuf_files::gun.asc())
        .load::<String>(c)?)
}

fn files_on(c: &mut AnyConnection, gun: &str) -> Result<Vec<GunFile>, StoreError> {
    let rows = tuf_files::table
        .filter(tuf_files::gun.eq(gun))
        .order((tuf_files::role.asc(), tuf_files::version.asc()))
        .select((
            tuf_files::id,
            tuf_files::role,
            tuf_files::version,
            tuf_files::sha256,
            tuf_files::created_at,
            tuf_files::deleted_at,
            tuf_files::data,
        ))
        .load::<Row>(c)?;
    Ok(rows
        .into_iter()
        .map(|r| GunFile {
            id: r.0,
            role: r.1,
            version: r.2,
            sha256: r.3,
            created_at: r.4,
            deleted: r.5.is_some(),
            data: r.6,
        })
        .collect())
}

impl Store {
    /// Every GUN with at least one row (soft-deleted rows included), sorted.
    pub async fn guns(&self) -> Result<Vec<String>, StoreError> {
        self.run(guns_on).await
    }

    /// Every row of one GUN, by role then version.
    pub async fn gun_files(&self, gun: &str) -> Result<Vec<GunFile>, StoreError> {
        let gun = gun.to_string();
        self.run(move |c| files_on(c, &gun)).await
    }

    /// In one write transaction: for every GUN, `select(gun, rows)` names the row ids to remove;
    /// with `apply` they are deleted, otherwise nothing is written. Returns what was (or would
    /// be) removed. One GUN's rows are in memory at a time.
    pub async fn prune<F>(&self, apply: bool, select: F) -> Result<Vec<PrunedRow>, StoreError>
    where
        F: Fn(&str, &[GunFile]) -> Vec<i32> + Send + 'static,
    {
        self.run(move |c| {
            write_tx(c, |c| {
                let mut out = Vec::new();
                for gun in guns_on(c)? {
                    let files = files_on(c, &gun)?;
                    let ids = select(&gun, &files);
                    for f in files.iter().filter(|f| ids.contains(&f.id)) {
                        out.push(PrunedRow {
                            gun: gun.clone(),
                            role: f.role.clone(),
                            version: f.version,
                            bytes: f.data.len(),
                        });
                    }
                    if apply {
                        for chunk in ids.chunks(500) {
                            diesel::delete(
                                tuf_files::table
                                    .filter(tuf_files::gun.eq(&gun))
                                    .filter(tuf_files::id.eq_any(chunk.to_vec())),
                            )
                            .execute(c)?;
                        }
                    }
                }
                Ok(out)
            })
        })
        .await
    }
}
