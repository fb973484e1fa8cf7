//! The writer's disaster information commands (K-07), inside `change_rollcall`'s
//! transaction: the emergency contacts and links (`RollcallInfoSaved` with the
//! `rollcall_info` row), evacuation routes added and removed (`RollcallRouteSaved`,
//! `RollcallRouteRemoved`, `rollcall_routes`), posts on the bulletin board and their
//! withdrawal (`RollcallNoticePosted`, `RollcallNoticeWithdrawn`, `rollcall_notices`).
//! Each input is checked again here with the domain's rules (`anpi_core::rollcall::info`);
//! who may do each is decided before, in `app::rollcall_info`.

use anpi_core::event::Actor;
use anpi_core::rollcall::RollcallEvent;
use anpi_core::rollcall::info::{
    InfoSettings, NoticeDraft, Route, RouteInput, check_withdraw_reason,
};
use anpi_core::validation::FieldError;
use chrono::{DateTime, Utc};
use tokio_postgres::Transaction;

use super::Rejection;
use super::rollcall::{Decided, not_found};
use crate::store::Result;
use crate::store::rollcall_info::{self as tables, Numbered};

fn invalid(errors: Vec<FieldError>) -> Decided {
    Err(Rejection::Invalid(
        errors.into_iter().next().expect("a refusal names a field"),
    ))
}

/// Saves the emergency contacts and links (the whole list). The same list again
/// writes nothing.
pub(super) async fn save_info(
    tx: &Transaction<'_>,
    actor: &Actor,
    now: DateTime<Utc>,
    info: InfoSettings,
    out: &mut Vec<RollcallEvent>,
) -> Result<Decided> {
    if let Err(errors) = info.check() {
        return Ok(invalid(errors));
    }
    let (stored, saved) = tables::info(tx).await?;
    if saved.is_some() && stored == info {
        return Ok(Ok(()));
    }
    tx.execute(
        "INSERT INTO rollcall_info (id, info, saved_at, saved_by) VALUES (1, $1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET info = $1, saved_at = $2, saved_by = $3",
        &[&serde_json::to_value(&info)?, &now, &actor.account.as_str()],
    )
    .await?;
    out.push(RollcallEvent::InfoSaved { info });
    Ok(Ok(()))
}

/// Adds an evacuation route with the next number.
pub(super) async fn add_route(
    tx: &Transaction<'_>,
    now: DateTime<Utc>,
    input: RouteInput,
    out: &mut Vec<RollcallEvent>,
) -> Result<Decided> {
    let live = tables::routes(tx).await?.len();
    if live >= anpi_core::rollcall::info::MAX_ROUTES {
        return Ok(Err(Rejection::Conflict(FieldError::new(
            "route_name",
            format!(
                "避難経路は{}件までです。先に使わない経路を削除してください",
                anpi_core::rollcall::info::MAX_ROUTES
            ),
        ))));
    }
    let id = tables::next_number(tx, Numbered::Route).await?;
    let route = match Route::parse(id, &input) {
        Ok(route) => route,
        Err(errors) => return Ok(invalid(errors)),
    };
    tx.execute(
        "INSERT INTO rollcall_routes (id, name, map, origin, destination, saved_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &i32::try_from(route.id).unwrap_or(i32::MAX),
            &route.name,
            &route.map.as_str(),
            &route.origin,
            &route.destination,
            &now,
        ],
    )
    .await?;
    out.push(RollcallEvent::RouteSaved { route });
    Ok(Ok(()))
}

/// Removes a route (its row stays, marked removed, so its number is not given again).
pub(super) async fn remove_route(
    tx: &Transaction<'_>,
    now: DateTime<Utc>,
    id: u32,
    out: &mut Vec<RollcallEvent>,
) -> Result<Decided> {
    let n = tx
        .execute(
            "UPDATE rollcall_routes SET removed_at = $2 WHERE id = $1 AND removed_at IS NULL",
            &[&i32::try_from(id).unwrap_or(-1), &now],
        )
        .await?;
    if n == 0 {
        return Ok(not_found(
            "route",
            format!("避難経路（番号 {id}）はありません。すでに削除されています"),
        ));
    }
    out.push(RollcallEvent::RouteRemoved { id });
    Ok(Ok(()))
}

/// Posts on the bulletin board, numbered, at `now`, by the acting account.
pub(super) async fn post_notice(
    tx: &Transaction<'_>,
    actor: &Actor,
    now: DateTime<Utc>,
    draft: NoticeDraft,
    out: &mut Vec<RollcallEvent>,
) -> Result<Decided> {
    let draft = match draft.check() {
        Ok(draft) => draft,
        Err(errors) => return Ok(invalid(errors)),
    };
    let id = tables::next_number(tx, Numbered::Notice).await?;
    let notice = draft.post(id, now, actor.account.clone());
    tx.execute(
        "INSERT INTO rollcall_notices (id, title, body, posted_at, posted_by)
         VALUES ($1, $2, $3, $4, $5)",
        &[
            &i32::try_from(notice.id).unwrap_or(i32::MAX),
            &notice.title,
            &notice.body,
            &notice.posted_at,
            &notice.posted_by.as_str(),
        ],
    )
    .await?;
    out.push(RollcallEvent::NoticePosted { notice });
    Ok(Ok(()))
}

/// Withdraws a post: hidden from members, kept with when, by whom and why.
pub(super) async fn withdraw_notice(
    tx: &Transaction<'_>,
    actor: &Actor,
    now: DateTime<Utc>,
    id: u32,
    reason: String,
    out: &mut Vec<RollcallEvent>,
) -> Result<Decided> {
    let reason = match check_withdraw_reason(&reason) {
        Ok(reason) => reason,
        Err(errors) => return Ok(invalid(errors)),
    };
    let row = tx
        .query_opt(
            "SELECT withdrawn_at IS NOT NULL FROM rollcall_notices WHERE id = $1 FOR UPDATE",
            &[&i32::try_from(id).unwrap_or(-1)],
        )
        .await?;
    match row {
        None => {
            return Ok(not_found(
                "notice",
                format!("お知らせ（番号 {id}）はありません"),
            ));
        }
        Some(row) if row.get::<_, bool>(0) => {
            return Ok(Err(Rejection::Conflict(FieldError::new(
                "notice",
                format!("お知らせ（番号 {id}）はすでに取り下げられています"),
            ))));
        }
        Some(_) => {}
    }
    tx.execute(
        "UPDATE rollcall_notices SET withdrawn_at = $2, withdrawn_by = $3, withdraw_reason = $4
         WHERE id = $1",
        &[
            &i32::try_from(id).unwrap_or(-1),
            &now,
            &actor.account.as_str(),
            &reason,
        ],
    )
    .await?;
    out.push(RollcallEvent::NoticeWithdrawn { id, reason });
    Ok(Ok(()))
}
