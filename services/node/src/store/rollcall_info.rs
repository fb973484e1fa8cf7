//! The disaster information tables (K-07, `schemas/postgres/0015_rollcall_info.sql`)
//! read for the console page, the member's page and the writer: the emergency contacts
//! and links (`rollcall_info`), the evacuation routes (`rollcall_routes`, removed ones
//! left out) and the bulletin board (`rollcall_notices`, every post with its
//! withdrawal). Written only by `store::writer::rollcall_info`.

use anpi_core::ids::AccountId;
use anpi_core::rollcall::info::{InfoSettings, MapService, Notice, Route};
use chrono::{DateTime, Utc};
use tokio_postgres::GenericClient;

use super::{Error, Result};

fn number(what: &str, value: i32) -> Result<u32> {
    u32::try_from(value).map_err(|_| Error::Identity(format!("stored {what} number {value}")))
}

/// The emergency contacts and links (empty when never saved), with when and by whom
/// they were last saved.
pub async fn info<C: GenericClient>(
    client: &C,
) -> Result<(InfoSettings, Option<(DateTime<Utc>, String)>)> {
    let row = client
        .query_opt(
            "SELECT info, saved_at, saved_by FROM rollcall_info WHERE id = 1",
            &[],
        )
        .await?;
    match row {
        Some(row) => Ok((
            crate::store::decoded(&row, 0)?,
            Some((row.get(1), row.get(2))),
        )),
        None => Ok((InfoSettings::default(), None)),
    }
}

/// The evacuation routes in the order they were added (removed ones left out).
pub async fn routes<C: GenericClient>(client: &C) -> Result<Vec<Route>> {
    let rows = client
        .query(
            "SELECT id, name, map, origin, destination FROM rollcall_routes
             WHERE removed_at IS NULL ORDER BY id",
            &[],
        )
        .await?;
    rows.iter()
        .map(|row| {
            let map: String = row.get(2);
            Ok(Route {
                id: number("route", row.get(0))?,
                name: row.get(1),
                map: MapService::parse(&map)
                    .ok_or_else(|| Error::Identity(format!("stored map service {map}")))?,
                origin: row.get(3),
                destination: row.get(4),
            })
        })
        .collect()
}

/// A post with its withdrawal, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRow {
    pub notice: Notice,
    pub withdrawn: Option<Withdrawal>,
}

/// When, by whom (`jurisdiction/account`) and why a post was withdrawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withdrawal {
    pub at: DateTime<Utc>,
    pub by: String,
    pub reason: String,
}

/// Every post, newest first (ties: the later number first); `live_only` leaves the
/// withdrawn ones out (what members see).
pub async fn notices<C: GenericClient>(client: &C, live_only: bool) -> Result<Vec<NoticeRow>> {
    let rows = client
        .query(
            "SELECT id, title, body, posted_at, posted_by, withdrawn_at, withdrawn_by, withdraw_reason
             FROM rollcall_notices
             WHERE NOT $1 OR withdrawn_at IS NULL
             ORDER BY posted_at DESC, id DESC",
            &[&live_only],
        )
        .await?;
    rows.iter()
        .map(|row| {
            let posted_by: String = row.get(4);
            let withdrawn_at: Option<DateTime<Utc>> = row.get(5);
            Ok(NoticeRow {
                notice: Notice {
                    id: number("notice", row.get(0))?,
                    title: row.get(1),
                    body: row.get(2),
                    posted_at: row.get(3),
                    posted_by: AccountId::parse(&posted_by).map_err(|e| {
                        Error::Identity(format!("stored notice author {posted_by}: {e}"))
                    })?,
                },
                withdrawn: withdrawn_at.map(|at| Withdrawal {
                    at,
                    by: row.get::<_, Option<String>>(6).unwrap_or_default(),
                    reason: row.get::<_, Option<String>>(7).unwrap_or_default(),
                }),
            })
        })
        .collect()
}

/// The number the next route or post gets: one more than any ever given (removed
/// routes included, so a number is never reused).
pub async fn next_number<C: GenericClient>(client: &C, table: Numbered) -> Result<u32> {
    let sql = match table {
        Numbered::Route => "SELECT coalesce(max(id), 0) + 1 FROM rollcall_routes",
        Numbered::Notice => "SELECT coalesce(max(id), 0) + 1 FROM rollcall_notices",
    };
    let next: i32 = client.query_one(sql, &[]).await?.get(0);
    number("next", next)
}

/// The numbered tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Numbered {
    Route,
    Notice,
}
