//! Organise screen, operator merge, search and replay: proto conversions. R: D-04,
//! D-05, R-05, S-01..S-04, P-03, P-04, U-01, L-04.

use std::pin::Pin;

use crate::app::AppError;
use crate::app::organise::{OrganiseScreen, SearchInput, SearchResult};
use crate::app::replay::ReplayProgress;
use anpi_core::ids::IncidentId;
use anpi_core::search::QueryDraft;
use anpi_proto::v1;
use chrono::SecondsFormat;
use futures::Stream;
use tokio::sync::mpsc::UnboundedReceiver;

use super::{convert, optional_id};

/// The organise screen on the wire.
pub fn organise_response(screen: &OrganiseScreen) -> v1::OrganiseResponse {
    v1::OrganiseResponse {
        rows: screen
            .rows
            .iter()
            .map(|row| v1::OrganiseRow {
                record: Some(convert::record(&row.view.state, row.view.incident.as_ref())),
                state_label: row.state_label.into(),
                status_label: row.status_label.into(),
                reported: row.reported,
                suspect_group: row.suspect_group,
                flagged: row.flagged,
                duplicate_of: row
                    .view
                    .state
                    .duplicate_of
                    .map(|id| id.to_string())
                    .unwrap_or_default(),
            })
            .collect(),
        groups: screen
            .groups
            .iter()
            .map(|group| v1::SuspectGroup {
                number: group.number,
                name: group.name.clone(),
                birth_date: group.birth_date.clone(),
                record_ids: group.records.iter().map(|r| r.to_string()).collect(),
            })
            .collect(),
        flags: screen
            .flags
            .iter()
            .map(|flag| v1::DuplicateFlag {
                older: flag.older.to_string(),
                newer: flag.newer.to_string(),
                message: flag.message.into(),
                flagged_at: flag.flagged_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            })
            .collect(),
        total: screen.total,
        unreported: screen.unreported,
        dedup_mode: screen.dedup_mode.into(),
    }
}

/// A search request as the application layer takes it.
pub fn search_input(request: v1::SearchRequest) -> Result<SearchInput, AppError> {
    Ok(SearchInput {
        incident: optional_id::<IncidentId>("incident_id", &request.incident_id)?,
        draft: QueryDraft {
            name: request.name,
            kana: request.kana,
            birth: request.birth,
            sex: request.sex,
            address: request.address,
            nationality: request.nationality,
            text: request.text,
            fuzzy: request.fuzzy,
            red_cross: request.red_cross,
        },
        shared: request.shared,
        limit: request.limit,
        export: false,
    })
}

/// What a search found, on the wire.
pub fn search_response(found: &SearchResult) -> v1::SearchResponse {
    let dataset = found
        .dataset
        .as_ref()
        .map(super::shared::replica)
        .unwrap_or_default();
    v1::SearchResponse {
        records: found
            .records
            .iter()
            .map(|r| convert::record(&r.state, r.incident.as_ref()))
            .collect(),
        truncated: found.truncated,
        scope: if found.shared { "shared" } else { "private" }.into(),
        dataset_version: dataset.version,
        dataset_published_at: dataset.published_at,
        dataset_received_at: dataset.received_at,
    }
}

/// A long operation's progress on the wire, as the application layer sends it: each
/// item converted by `wire`, an error ending the stream with its status (replay,
/// log verification).
pub type ProgressStream<M> = Pin<Box<dyn Stream<Item = Result<M, tonic::Status>> + Send>>;

pub fn progress_stream<T: Send + 'static, M: Send + 'static>(
    receiver: UnboundedReceiver<Result<T, AppError>>,
    wire: fn(T) -> M,
) -> ProgressStream<M> {
    Box::pin(futures::stream::unfold(
        receiver,
        move |mut receiver| async move {
            receiver
                .recv()
                .await
                .map(|item| (item.map(wire).map_err(Into::into), receiver))
        },
    ))
}

pub type ReplayStream = ProgressStream<v1::ReplayProgress>;

/// A replay's progress on the wire, as it comes.
pub fn replay_stream(
    receiver: UnboundedReceiver<Result<ReplayProgress, AppError>>,
) -> ReplayStream {
    progress_stream(receiver, replay_progress)
}

fn replay_progress(progress: ReplayProgress) -> v1::ReplayProgress {
    let ReplayProgress {
        schema,
        position,
        through,
        done,
    } = progress;
    match done {
        None => v1::ReplayProgress {
            position,
            through,
            schema,
            ..Default::default()
        },
        Some(done) => v1::ReplayProgress {
            position,
            through,
            events: done.events,
            done: true,
            schema,
            records: done.records,
            compared: done.compared,
            differences: done.differences,
            differing_records: done
                .differing_records
                .iter()
                .map(|id| id.to_string())
                .collect(),
            seconds: done.seconds,
        },
    }
}
