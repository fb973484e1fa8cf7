//! Organise screen, operator merge, search and replay RPCs. R: D-04, D-05, R-05,
//! S-01..S-04, P-03, P-04, U-01, L-04.

use std::pin::Pin;
use std::time::Instant;

use crate::app::AppError;
use anpi_core::dedup::FLAG_MESSAGE_JA;
use anpi_core::entry::{self, Status as RecordKind};
use anpi_core::era;
use anpi_core::event::Actor;
use anpi_core::ids::{IncidentId, RecordId};
use anpi_core::private_area::StateLabel;
use anpi_core::search::{Query, QueryDraft};
use anpi_core::validation::FieldError;
use anpi_proto::v1;
use chrono::{NaiveDate, SecondsFormat};
use futures::Stream;

use super::{NodeState, convert, error, optional_id};
use crate::store::search::{self as queries, Table};
use crate::store::shared::{REPLICA_INCIDENTS, REPLICA_RECORDS};
use crate::store::{self, projection, reader};
use anpi_core::command::Command as DomainCommand;

/// The record's state column on the organise screen: 新規 / 削除 / 退去.
fn state_label(label: StateLabel) -> &'static str {
    match label {
        StateLabel::Deleted => "削除",
        StateLabel::Departed => "退去",
        _ => "新規",
    }
}

fn status_label(status: RecordKind, injured: bool) -> &'static str {
    match status {
        RecordKind::Dead => "死亡",
        _ if injured => "負傷",
        _ => "非該当",
    }
}

pub async fn organise(
    state: &NodeState,
    request: v1::OrganiseRequest,
) -> Result<v1::OrganiseResponse, AppError> {
    let incident = optional_id::<IncidentId>("incident_id", &request.incident_id)?;
    let limit = match request.limit {
        0 => 500,
        n => i64::from(n.clamp(1, 5000)),
    };
    let incidents = state.incident_map().await?;
    let client = state.pool.get().await.map_err(|e| error::store(e.into()))?;
    let screen = queries::organise(&**client, incident, limit, i64::from(request.offset.max(0)))
        .await
        .map_err(error::store)?;
    // The national tier reports to no one: nothing of it is "not yet reported"; nor
    // is a record of this node's own practice drill, which is never reported (T-06).
    let reports_upward = state.config.parent.is_some();
    let local = reader::local_incidents(&**client)
        .await
        .map_err(error::store)?;
    let group_of = |key: &Option<String>| {
        key.as_ref()
            .and_then(|k| screen.groups.iter().position(|g| &g.key == k))
            .map(|i| i as i32 + 1)
            .unwrap_or(0)
    };
    let flagged: std::collections::HashSet<RecordId> = screen
        .flags
        .iter()
        .flat_map(|f| [f.older, f.newer])
        .collect();
    let rows = screen
        .rows
        .iter()
        .map(|row| {
            let record = &row.state;
            let live = record.deletion.is_none();
            v1::OrganiseRow {
                record: Some(convert::record(
                    record,
                    incidents.iter().find(|i| i.id == record.incident),
                )),
                state_label: state_label(record.label()).into(),
                status_label: status_label(
                    record.entry.parsed.status,
                    record.entry.parsed.injury.is_some(),
                )
                .into(),
                reported: row.reported || !reports_upward || local.contains(&record.incident),
                suspect_group: if live { group_of(&row.suspect_key) } else { 0 },
                flagged: flagged.contains(&record.record_id),
                duplicate_of: record
                    .duplicate_of
                    .map(|id| id.to_string())
                    .unwrap_or_default(),
            }
        })
        .collect();
    let groups = screen
        .groups
        .iter()
        .enumerate()
        .map(|(index, group)| {
            let (name, birth) = group.key.split_once('\u{1f}').unwrap_or((&group.key, ""));
            v1::SuspectGroup {
                number: index as i32 + 1,
                name: name.to_string(),
                birth_date: birth
                    .parse::<NaiveDate>()
                    .map(era::format_era)
                    .unwrap_or_default(),
                record_ids: group.records.iter().map(|r| r.to_string()).collect(),
            }
        })
        .collect();
    let flags = screen
        .flags
        .iter()
        .map(|flag| v1::DuplicateFlag {
            older: flag.older.to_string(),
            newer: flag.newer.to_string(),
            message: FLAG_MESSAGE_JA.into(),
            flagged_at: flag.flagged_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        })
        .collect();
    Ok(v1::OrganiseResponse {
        rows,
        groups,
        flags,
        total: screen.total,
        unreported: if reports_upward { screen.unreported } else { 0 },
        dedup_mode: state.config.dedup_mode.as_str().into(),
    })
}

pub async fn merge(
    state: &NodeState,
    actor: Actor,
    request: v1::MergeDuplicateRequest,
) -> Result<v1::Record, AppError> {
    let id = |field: &str, text: &str| -> Result<RecordId, AppError> {
        text.parse().map_err(|_| error::bad_id(field, text))
    };
    let keep = id("keep", &request.keep)?;
    let remove = id("remove", &request.remove)?;
    let outcome = state
        .writer
        .submit(actor, DomainCommand::MergeDuplicate { keep, remove })
        .await
        .map_err(error::rejection)?;
    Ok(NodeState::record_response(outcome)?.0)
}

pub async fn search(
    state: &NodeState,
    request: v1::SearchRequest,
) -> Result<v1::SearchResponse, AppError> {
    let incident = optional_id::<IncidentId>("incident_id", &request.incident_id)?;
    let draft = QueryDraft {
        name: request.name,
        kana: request.kana,
        birth: request.birth,
        sex: request.sex,
        address: request.address,
        nationality: request.nationality,
        text: request.text,
        fuzzy: request.fuzzy,
        red_cross: request.red_cross,
    };
    let query = Query::parse(&draft).map_err(|errors| error::invalid(&errors))?;
    let limit = match request.limit {
        0 => 100,
        n => i64::from(n.clamp(1, 1000)),
    };
    let client = state.pool.get().await.map_err(|e| error::store(e.into()))?;
    // S-03: the private area, or this node's replica of the published shared dataset
    // (answered locally, so it keeps answering while the national node is down, T-05).
    let (table, incidents_table, dataset) = if request.shared {
        let held = super::shared::searchable_version(&**client).await?;
        (Table::Named(REPLICA_RECORDS), REPLICA_INCIDENTS, Some(held))
    } else {
        (Table::Records, "incidents", None)
    };
    let incidents = reader::incidents_where(&**client, incidents_table, 0, i64::MAX)
        .await
        .map_err(error::store)?;
    let (records, truncated) = queries::search(&**client, table, &query, incident, limit)
        .await
        .map_err(error::store)?;
    let dataset = dataset
        .as_ref()
        .map(super::shared::replica)
        .unwrap_or_default();
    Ok(v1::SearchResponse {
        records: records
            .iter()
            .map(|r| convert::record(r, incidents.iter().find(|i| i.id == r.incident)))
            .collect(),
        truncated,
        scope: if request.shared { "shared" } else { "private" }.into(),
        dataset_version: dataset.version,
        dataset_published_at: dataset.published_at,
        dataset_received_at: dataset.received_at,
    })
}

pub type ReplayStream =
    Pin<Box<dyn Stream<Item = Result<v1::ReplayProgress, tonic::Status>> + Send>>;

/// Starts a replay on its own connection and streams its progress. Without `into`
/// and `until`, the result is compared with the live read model.
pub async fn replay(
    state: &NodeState,
    request: v1::ReplayRequest,
) -> Result<ReplayStream, AppError> {
    let schema = match request.into.trim() {
        "" => "replay".to_string(),
        name if projection::valid_schema_name(name) => name.to_string(),
        name => {
            return Err(error::invalid(&[FieldError::new(
                "into",
                format!(
                    "スキーマ名は英小文字で始まり英小文字・数字・_ のみの48文字以内で指定してください（public と pg_ で始まる名前は使えません。入力: {name}）"
                ),
            )]));
        }
    };
    let until = match request.until.trim() {
        "" => None,
        text => Some(entry::parse_written_at(text).map_err(|message| {
            error::invalid(&[FieldError::new(
                "until",
                format!("時点を読み取れません: {message}"),
            )])
        })?),
    };
    let url = state.config.database_url.expose().to_string();
    let mut client = store::connect(&url).await.map_err(error::store)?;
    let through = match until {
        Some(until) => projection::position_at(&client, until).await,
        None => store::reader::head_position(&client).await,
    }
    .map_err(error::store)?;
    let compare = until.is_none() && request.into.trim().is_empty();
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let started = Instant::now();
        let progress_sender = sender.clone();
        let schema_name = schema.clone();
        let progress = move |position: i64, through: i64| {
            let _ = progress_sender.send(Ok(v1::ReplayProgress {
                position,
                through,
                schema: schema_name.clone(),
                ..Default::default()
            }));
        };
        let result = async {
            let events = projection::replay_into(&mut client, &schema, through, progress).await?;
            let records = projection::record_count(&client, Some(&schema)).await?;
            let (differences, differing) = if compare {
                projection::compare_with_live(&client, &schema, through).await?
            } else {
                (0, Vec::new())
            };
            Ok::<_, store::Error>(v1::ReplayProgress {
                position: through,
                through,
                events: events as i64,
                done: true,
                schema: schema.clone(),
                records,
                compared: compare,
                differences,
                differing_records: differing.iter().map(|id| id.to_string()).collect(),
                seconds: started.elapsed().as_secs_f64(),
            })
        }
        .await;
        let _ = sender.send(result.map_err(error::store));
    });
    Ok(Box::pin(futures::stream::unfold(
        receiver,
        |mut receiver| async move {
            receiver
                .recv()
                .await
                .map(|item: Result<v1::ReplayProgress, AppError>| {
                    (item.map_err(Into::into), receiver)
                })
        },
    )))
}
