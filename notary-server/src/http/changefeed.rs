//! `GET /v2/[<gun>/]_trust/changefeed?records=N&change_id=M` (spec-server §6.2): query
//! parameters with Go's errors, and the page as Go's JSON.

use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use super::error::{ApiError, ErrorCode};
use super::response::TEXT_PLAIN;
use crate::gun::Gun;
use crate::storage::Change;
use crate::trust::TrustService;

#[derive(Serialize)]
struct ChangeRecord {
    #[serde(rename = "ID")]
    id: String,
    #[serde(rename = "CreatedAt")]
    created_at: String,
    #[serde(rename = "GUN")]
    gun: String,
    #[serde(rename = "Version")]
    version: i32,
    #[serde(rename = "SHA256")]
    sha256: String,
    #[serde(rename = "Category")]
    category: String,
}

#[derive(Serialize)]
struct ChangePage {
    count: usize,
    records: Vec<ChangeRecord>,
}

impl From<Change> for ChangeRecord {
    fn from(c: Change) -> Self {
        let created_at = c
            .created_at
            .map(|t| notary_tuf::cjson::format_time(&t.and_utc()))
            .unwrap_or_else(|| "0001-01-01T00:00:00Z".into());
        ChangeRecord {
            id: c.id.to_string(),
            created_at,
            gun: c.gun,
            version: c.version,
            sha256: c
                .sha256
                .map(|s| s.trim_end().to_string())
                .unwrap_or_default(),
            category: c.category,
        }
    }
}

/// The largest page served: a larger `records` (either sign) is clamped to it, so one request
/// cannot make the server read and encode the whole feed. The response shape is Go's; `count`
/// says how many records came back.
pub const MAX_RECORDS: i32 = 1000;

/// Records per page when `records` is 0 (Go's default).
const DEFAULT_RECORDS: i32 = 100;

/// `change_id` and `records` from the query string, with Go's errors for unparsable values;
/// `records` clamped to ±[`MAX_RECORDS`].
fn page(query: &str) -> Result<(i32, i32), ApiError> {
    let mut records: Option<String> = None;
    let mut change_id: Option<String> = None;
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        match k.as_ref() {
            "records" if records.is_none() => records = Some(v.into_owned()),
            "change_id" if change_id.is_none() => change_id = Some(v.into_owned()),
            _ => {}
        }
    }
    let records_raw = records.unwrap_or_default();
    let records: i32 = records_raw.parse().map_err(|_| {
        ApiError::with_detail(
            ErrorCode::InvalidParameters,
            serde_json::Value::String(format!(
                "invalid records parameter: strconv.ParseInt: parsing {:?}: invalid syntax",
                records_raw
            )),
        )
    })?;
    let change_id: i32 = match change_id.as_deref() {
        None | Some("") => 0,
        Some(s) => s.parse().map_err(|_| {
            ApiError::with_detail(ErrorCode::InvalidParameters, serde_json::json!({}))
        })?,
    };
    let records = match records {
        0 => DEFAULT_RECORDS,
        r => r.clamp(-MAX_RECORDS, MAX_RECORDS),
    };
    Ok((change_id, records))
}

/// `GET …/_trust/changefeed?records=N&change_id=M` (spec-server §6.2).
pub async fn changefeed(
    req: &HttpRequest,
    trust: &TrustService,
    gun: Option<&Gun>,
) -> Result<HttpResponse, ApiError> {
    let (change_id, records) = page(req.query_string())?;
    let changes = trust
        .changes(i64::from(change_id), i64::from(records), gun)
        .await?;
    let page = ChangePage {
        count: changes.len(),
        records: changes.into_iter().map(ChangeRecord::from).collect(),
    };
    let body = serde_json::to_string(&page).map_err(|_| ApiError::new(ErrorCode::Unknown))?;
    Ok(HttpResponse::Ok().content_type(TEXT_PLAIN).body(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_parameters() {
        assert_eq!(page("records=10").unwrap(), (0, 10));
        assert_eq!(page("records=0&change_id=7").unwrap(), (7, DEFAULT_RECORDS));
        assert_eq!(page("records=2147483647").unwrap(), (0, MAX_RECORDS));
        assert_eq!(
            page("records=-2147483648&change_id=-1").unwrap(),
            (-1, -MAX_RECORDS)
        );
        assert_eq!(
            page("records=5&records=9").unwrap(),
            (0, 5),
            "first value wins"
        );
        for bad in [
            "",
            "records=x",
            "records=1.5",
            "records=2147483648",
            "records=1&change_id=x",
        ] {
            let e = page(bad).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidParameters, "{bad}");
        }
    }
}
