//! The tables of the automatic roll-calls from earthquake telegrams (K-08,
//! `schemas/postgres/0013_jma_feed.sql`), read outside the writer: which telegrams
//! were read, the rules' kept state, the dispatches and who they asked. Written only
//! by the writer (`store/writer/jma.rs`).

use std::collections::BTreeSet;

use anpi_core::ids::RollcallId;
use anpi_core::rollcall::{MemberCode, Mode, OrgCode};
use chrono::{DateTime, Utc};
use tokio_postgres::GenericClient;

use super::{Error, Result};

/// Where telegrams come from: an Atom feed polled over HTTP(S), or a watched
/// directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    Atom,
    Directory,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Atom => "atom",
            SourceKind::Directory => "directory",
        }
    }
}

/// Where a telegram came from and what its bytes were.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelegramSource {
    pub kind: SourceKind,
    /// The Atom entry's id, or the file's name in the watched directory.
    pub name: String,
    /// SHA-256 of the bytes.
    pub hash: Vec<u8>,
}

/// Whether this telegram (source and bytes) was read before.
pub async fn known<C: GenericClient>(client: &C, source: &TelegramSource) -> Result<bool> {
    Ok(client
        .query_opt(
            "SELECT 1 FROM jma_telegrams WHERE source_kind = $1 AND source = $2 AND content_hash = $3",
            &[&source.kind.as_str(), &source.name, &source.hash],
        )
        .await?
        .is_some())
}

/// Whether an Atom entry (by its id) was read before, whatever its bytes were (the
/// agency's entries are never changed: a known entry is not fetched again).
pub async fn entry_known<C: GenericClient>(client: &C, id: &str) -> Result<bool> {
    Ok(client
        .query_opt(
            "SELECT 1 FROM jma_telegrams WHERE source_kind = 'atom' AND source = $1 LIMIT 1",
            &[&id],
        )
        .await?
        .is_some())
}

/// The files of the watched directory read before, with the hashes of their bytes.
pub async fn files_read<C: GenericClient>(client: &C) -> Result<BTreeSet<(String, Vec<u8>)>> {
    Ok(client
        .query(
            "SELECT source, content_hash FROM jma_telegrams WHERE source_kind = 'directory'",
            &[],
        )
        .await?
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect())
}

/// Where the same bytes were read before (another entry or file), if they were.
pub async fn same_bytes<C: GenericClient>(client: &C, hash: &[u8]) -> Result<Option<String>> {
    Ok(client
        .query_opt(
            "SELECT source_kind || ':' || source FROM jma_telegrams WHERE content_hash = $1
             ORDER BY processed_at LIMIT 1",
            &[&hash],
        )
        .await?
        .map(|row| row.get(0)))
}

/// The rules' kept state (`Evaluator`, serialised) and its version; `None` before the
/// first telegram changed it (version 0).
pub async fn state<C: GenericClient>(client: &C) -> Result<Option<(serde_json::Value, i64)>> {
    Ok(client
        .query_opt("SELECT evaluator, version FROM jma_state WHERE id = 1", &[])
        .await?
        .map(|row| (row.get(0), row.get(1))))
}

/// A dispatch as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispatch {
    pub id: i64,
    pub condition: String,
    pub event_id: String,
    pub mode: Mode,
    /// As decided; empty: every organisation.
    pub orgs: Vec<OrgCode>,
    pub title: String,
    pub due_at: DateTime<Utc>,
    pub reason: String,
    /// pending, started, cancelled, failed, skipped.
    pub state: String,
    pub rollcall: Option<RollcallId>,
    pub note: String,
}

fn dispatch_of(row: &tokio_postgres::Row) -> Result<Dispatch> {
    let mode: String = row.get("mode");
    let orgs: Vec<String> = row.get("orgs");
    Ok(Dispatch {
        id: row.get("id"),
        condition: row.get("condition"),
        event_id: row.get("event_id"),
        mode: Mode::parse(&mode)
            .ok_or_else(|| Error::Identity(format!("stored dispatch mode {mode}")))?,
        orgs: orgs
            .into_iter()
            .map(|o| {
                OrgCode::try_from(o)
                    .map_err(|e| Error::Identity(format!("stored dispatch organisation: {e}")))
            })
            .collect::<Result<_>>()?,
        title: row.get("title"),
        due_at: row.get("due_at"),
        reason: row.get("reason"),
        state: row.get("state"),
        rollcall: row
            .get::<_, Option<uuid::Uuid>>("rollcall_id")
            .map(RollcallId::from_uuid),
        note: row.get("note"),
    })
}

const DISPATCH_COLUMNS: &str =
    "id, condition, event_id, mode, orgs, title, due_at, reason, state, rollcall_id, note";

/// Every dispatch, oldest first.
pub async fn dispatches<C: GenericClient>(client: &C) -> Result<Vec<Dispatch>> {
    client
        .query(
            &format!("SELECT {DISPATCH_COLUMNS} FROM jma_dispatches ORDER BY id"),
            &[],
        )
        .await?
        .iter()
        .map(dispatch_of)
        .collect()
}

/// The pending dispatches due at `now`, oldest due first.
pub async fn due<C: GenericClient>(client: &C, now: DateTime<Utc>) -> Result<Vec<Dispatch>> {
    client
        .query(
            &format!(
                "SELECT {DISPATCH_COLUMNS} FROM jma_dispatches
                 WHERE state = 'pending' AND due_at <= $1 ORDER BY due_at, id"
            ),
            &[&now],
        )
        .await?
        .iter()
        .map(dispatch_of)
        .collect()
}

/// When the next pending dispatch falls due after `now`, if any (those due already
/// are in [`due`]).
pub async fn next_due<C: GenericClient>(
    client: &C,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>> {
    Ok(client
        .query_one(
            "SELECT min(due_at) FROM jma_dispatches WHERE state = 'pending' AND due_at > $1",
            &[&now],
        )
        .await?
        .get(0))
}

/// The members asked by the roll-calls a condition started (and did not withdraw)
/// for an earthquake in a mode: a later dispatch of the same earthquake does not ask
/// them again.
pub async fn asked<C: GenericClient>(
    client: &C,
    condition: &str,
    event_id: &str,
    mode: Mode,
) -> Result<BTreeSet<MemberCode>> {
    client
        .query(
            "SELECT r.member_code FROM jma_dispatches d
             JOIN rollcall_recipients r ON r.rollcall_id = d.rollcall_id
             WHERE d.condition = $1 AND d.event_id = $2 AND d.mode = $3 AND d.state = 'started'",
            &[&condition, &event_id, &mode.as_str()],
        )
        .await?
        .iter()
        .map(|row| {
            MemberCode::try_from(row.get::<_, String>(0))
                .map_err(|e| Error::Identity(format!("stored recipient: {e}")))
        })
        .collect()
}

/// A telegram as remembered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelegramRow {
    pub source_kind: String,
    pub source: String,
    pub kind: String,
    pub event_id: String,
    pub summary: String,
    pub outcome: serde_json::Value,
    pub processed_at: DateTime<Utc>,
}

/// Every telegram read, in the order read.
pub async fn telegrams<C: GenericClient>(client: &C) -> Result<Vec<TelegramRow>> {
    Ok(client
        .query(
            "SELECT source_kind, source, kind, event_id, summary, outcome, processed_at
             FROM jma_telegrams ORDER BY processed_at, source",
            &[],
        )
        .await?
        .iter()
        .map(|row| TelegramRow {
            source_kind: row.get(0),
            source: row.get(1),
            kind: row.get(2),
            event_id: row.get(3),
            summary: row.get(4),
            outcome: row.get(5),
            processed_at: row.get(6),
        })
        .collect())
}
