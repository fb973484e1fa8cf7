//! The writer's side of the automatic roll-calls from earthquake telegrams (K-08,
//! issue 20 item 3; `schemas/postgres/0013_jma_feed.sql`). A telegram read by the
//! feed task is written in one transaction with everything it decided: the telegram
//! remembered (by source and content hash), the rules' state (`jma_state`, checked
//! against the version it was evaluated over), each dispatch — started with its
//! roll-call (`rollcall::start_in`), kept pending, failed or skipped — and each
//! 取消 (pending dispatches cancelled, started roll-calls withdrawn with
//! `rollcall::cancel_in`). So a telegram is remembered exactly when its roll-calls
//! are: a crash before the commit leaves it unread (read again, decided again), a
//! crash after leaves it read (never dispatched twice).
//!
//! The decisions come from `anpi_core::rollcall::jma` and the broadcasts from
//! `call::plan`, both in `app::jma`; this module only stores them.

use anpi_core::event::Actor;
use anpi_core::ids::RollcallId;
use anpi_core::rollcall::{Mode, OrgCode, RollcallEvent};
use anpi_core::validation::FieldError;
use chrono::{DateTime, Utc};
use tokio_postgres::Transaction;

use super::Rejection;
use super::rollcall::{Broadcast, RollcallWritten, cancel_in, start_in};
use crate::store::Result;
use crate::store::jma::TelegramSource;

type Decided = std::result::Result<(), Rejection>;

/// One condition's roll-calls for one earthquake, in one mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DispatchKey {
    pub condition: String,
    pub event_id: String,
    pub mode: Mode,
}

/// What becomes of a dispatch now.
#[derive(Debug, Clone)]
pub enum Dispatching {
    /// It starts: the broadcast planned and rendered (K-01).
    Start(Box<Broadcast>),
    /// It waits (not due yet, or no mail server set yet): why.
    Wait(String),
    /// It cannot start (the directory refused it, or it expired): why.
    Fail(String),
    /// Nobody is left to ask (all were asked for the same earthquake): why.
    Skip(String),
}

impl Dispatching {
    fn state(&self) -> &'static str {
        match self {
            Dispatching::Start(_) => "started",
            Dispatching::Wait(_) => "pending",
            Dispatching::Fail(_) => "failed",
            Dispatching::Skip(_) => "skipped",
        }
    }

    fn note(&self) -> &str {
        match self {
            Dispatching::Start(_) => "",
            Dispatching::Wait(note) | Dispatching::Fail(note) | Dispatching::Skip(note) => note,
        }
    }
}

/// A dispatch the rules decided (`Decision::Dispatch`).
#[derive(Debug, Clone)]
pub struct NewDispatch {
    pub key: DispatchKey,
    /// As decided; empty: every organisation.
    pub orgs: Vec<OrgCode>,
    pub title: String,
    pub due_at: DateTime<Utc>,
    pub reason: String,
    pub then: Dispatching,
}

/// A 取消 the rules decided (`Decision::Cancel`).
#[derive(Debug, Clone)]
pub struct CancelOrder {
    pub key: DispatchKey,
    /// The decision's reason (kept with the roll-call and in its event).
    pub reason: String,
    /// Why, as the members read it in the notice.
    pub why: String,
}

/// A telegram read by the feed task and what the rules decided for it.
#[derive(Debug, Clone)]
pub struct JmaTelegram {
    pub source: TelegramSource,
    /// VXSE51/52/53, early_warning, other; '' when it could not be read.
    pub kind: String,
    pub event_id: String,
    pub report_time: Option<DateTime<Utc>>,
    /// One line naming it (`Telegram::describe`, or the file and the error).
    pub summary: String,
    /// The decisions with their reasons, or why it could not be read (JSON).
    pub outcome: serde_json::Value,
    /// The rules' state after it and the version it was evaluated over; `None`: the
    /// state is unchanged (unreadable, or a repeat).
    pub state: Option<(serde_json::Value, i64)>,
    pub dispatches: Vec<NewDispatch>,
    pub cancels: Vec<CancelOrder>,
}

fn conflict(message: &str) -> Decided {
    Err(Rejection::Conflict(FieldError::new("jma", message)))
}

/// Writes a telegram and its decisions (see the module's comment). A telegram read
/// before writes nothing (`reply.known`); a state that moved since it was evaluated
/// is refused (evaluate again).
pub(super) async fn telegram(
    tx: &Transaction<'_>,
    actor: &Actor,
    now: DateTime<Utc>,
    telegram: JmaTelegram,
    out: &mut Vec<RollcallEvent>,
    reply: &mut RollcallWritten,
) -> Result<Decided> {
    let JmaTelegram {
        source,
        kind,
        event_id,
        report_time,
        summary,
        outcome,
        state,
        dispatches,
        cancels,
    } = telegram;
    let known = tx
        .query_opt(
            "SELECT 1 FROM jma_telegrams WHERE source_kind = $1 AND source = $2 AND content_hash = $3",
            &[&source.kind.as_str(), &source.name, &source.hash],
        )
        .await?
        .is_some();
    if known {
        reply.known = true;
        return Ok(Ok(()));
    }
    if let Some((evaluator, version)) = &state {
        let current: i64 = tx
            .query_opt("SELECT version FROM jma_state WHERE id = 1 FOR UPDATE", &[])
            .await?
            .map(|row| row.get(0))
            .unwrap_or(0);
        if current != *version {
            return Ok(conflict(
                "地震情報の判断の状態が変わりました。もう一度判断してください",
            ));
        }
        tx.execute(
            "INSERT INTO jma_state (id, evaluator, version, changed_at) VALUES (1, $1, 1, $2)
             ON CONFLICT (id) DO UPDATE
             SET evaluator = $1, version = jma_state.version + 1, changed_at = $2",
            &[evaluator, &now],
        )
        .await?;
    }
    tx.execute(
        "INSERT INTO jma_telegrams (source_kind, source, content_hash, kind, event_id, report_time,
                                    summary, outcome, processed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[
            &source.kind.as_str(),
            &source.name,
            &source.hash,
            &kind,
            &event_id,
            &report_time,
            &summary,
            &outcome,
            &now,
        ],
    )
    .await?;
    for dispatch in dispatches {
        let NewDispatch {
            key,
            orgs,
            title,
            due_at,
            reason,
            then,
        } = dispatch;
        let state = then.state();
        let note = then.note().to_string();
        let rollcall = match then {
            Dispatching::Start(broadcast) => {
                Some(start_in(tx, actor, now, *broadcast, out, reply).await?)
            }
            _ => None,
        };
        let orgs: Vec<&str> = orgs.iter().map(OrgCode::as_str).collect();
        tx.execute(
            "INSERT INTO jma_dispatches (condition, event_id, mode, orgs, title, due_at, reason, state,
                                         rollcall_id, note, created_at, changed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
            &[
                &key.condition,
                &key.event_id,
                &key.mode.as_str(),
                &orgs,
                &title,
                &due_at,
                &reason,
                &state,
                &rollcall.map(|r| r.as_uuid()),
                &note,
                &now,
            ],
        )
        .await?;
    }
    for order in cancels {
        cancel(tx, now, &order, out, reply).await?;
    }
    Ok(Ok(()))
}

/// A 取消: the condition's dispatches for the earthquake that are still pending are
/// cancelled (never sent), and the roll-calls it started are withdrawn with a notice.
async fn cancel(
    tx: &Transaction<'_>,
    now: DateTime<Utc>,
    order: &CancelOrder,
    out: &mut Vec<RollcallEvent>,
    reply: &mut RollcallWritten,
) -> Result<()> {
    let rows = tx
        .query(
            "UPDATE jma_dispatches SET state = 'cancelled', note = $4, changed_at = $5
             WHERE condition = $1 AND event_id = $2 AND mode = $3 AND state IN ('pending', 'started')
             RETURNING rollcall_id",
            &[
                &order.key.condition,
                &order.key.event_id,
                &order.key.mode.as_str(),
                &order.reason,
                &now,
            ],
        )
        .await?;
    let mut started: Vec<RollcallId> = rows
        .iter()
        .filter_map(|row| row.get::<_, Option<uuid::Uuid>>(0))
        .map(RollcallId::from_uuid)
        .collect();
    started.sort();
    started.dedup();
    for rollcall in started {
        cancel_in(tx, now, rollcall, &order.reason, &order.why, out, reply).await?;
    }
    Ok(())
}

/// A pending dispatch comes due (`then` decided by `app::jma` over the committed
/// directory): written only if it is still pending — a 取消 may have come between.
pub(super) async fn due(
    tx: &Transaction<'_>,
    actor: &Actor,
    now: DateTime<Utc>,
    dispatch: i64,
    then: Dispatching,
    out: &mut Vec<RollcallEvent>,
    reply: &mut RollcallWritten,
) -> Result<Decided> {
    let state: Option<String> = tx
        .query_opt(
            "SELECT state FROM jma_dispatches WHERE id = $1 FOR UPDATE",
            &[&dispatch],
        )
        .await?
        .map(|row| row.get(0));
    match state.as_deref() {
        None => {
            return Ok(Err(Rejection::NotFound(FieldError::new(
                "jma_dispatch",
                format!("自動送信 {dispatch} はありません"),
            ))));
        }
        Some("pending") => {}
        // Cancelled, started or given up meanwhile: nothing to do.
        Some(_) => return Ok(Ok(())),
    }
    let state = then.state();
    let note = then.note().to_string();
    let rollcall = match then {
        Dispatching::Start(broadcast) => {
            Some(start_in(tx, actor, now, *broadcast, out, reply).await?)
        }
        _ => None,
    };
    tx.execute(
        "UPDATE jma_dispatches SET state = $2, rollcall_id = $3, note = $4, changed_at = $5
         WHERE id = $1",
        &[
            &dispatch,
            &state,
            &rollcall.map(|r| r.as_uuid()),
            &note,
            &now,
        ],
    )
    .await?;
    Ok(Ok(()))
}
