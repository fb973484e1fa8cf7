//! The organise screen, operator merge and search (D-04, D-05, R-05, S-01..S-04,
//! P-04; figure 4-7).

use std::collections::HashSet;

use anpi_core::account::{self, Operation};
use anpi_core::command::Command as DomainCommand;
use anpi_core::dedup::FLAG_MESSAGE_JA;
use anpi_core::entry::Status as RecordKind;
use anpi_core::era;
use anpi_core::ids::{IncidentId, RecordId};
use anpi_core::search::{Query, QueryDraft};
use chrono::{DateTime, NaiveDate, Utc};

use super::entries::RecordView;
use super::{AppError, NodeState};
use crate::store::accounts::Session;
use crate::store::reader;
use crate::store::search::{self as queries, Table};
use crate::store::shared::{
    self as shared_store, REPLICA_INCIDENTS, REPLICA_RECORDS, ReplicaVersion,
};
use crate::store::writer::RecordWritten;

/// One row of the organise screen (figure 4-7).
#[derive(Debug, Clone)]
pub struct OrganiseRow {
    pub view: RecordView,
    /// 新規 / 削除 / 退去.
    pub state_label: &'static str,
    /// 死亡 / 負傷 / 非該当.
    pub status_label: &'static str,
    /// Already reported upward (or never to be: national tier, local drill).
    pub reported: bool,
    /// D-04: the number of the group of records with the same name and birth date
    /// (0: none).
    pub suspect_group: i32,
    /// D-05: part of a conflict automatic removal left to the operator.
    pub flagged: bool,
}

/// Records with the same name and birth date (D-04), numbered from 1.
#[derive(Debug, Clone)]
pub struct SuspectGroup {
    pub number: i32,
    pub name: String,
    /// The birth date in the era form (empty when unknown).
    pub birth_date: String,
    pub records: Vec<RecordId>,
}

/// A conflict automatic removal did not decide (D-05).
#[derive(Debug, Clone)]
pub struct Flag {
    pub older: RecordId,
    pub newer: RecordId,
    pub message: &'static str,
    pub flagged_at: DateTime<Utc>,
}

/// The organise screen: unreported records first.
#[derive(Debug, Clone)]
pub struct OrganiseScreen {
    pub rows: Vec<OrganiseRow>,
    pub groups: Vec<SuspectGroup>,
    pub flags: Vec<Flag>,
    pub total: i64,
    pub unreported: i64,
    pub dedup_mode: &'static str,
}

/// A search as asked (S-01..S-04).
#[derive(Debug, Clone, Default)]
pub struct SearchInput {
    pub incident: Option<IncidentId>,
    pub draft: QueryDraft,
    /// S-03: this node's replica of the shared dataset instead of the private area.
    pub shared: bool,
    /// 1..=1,000 (clamped); 0 means 100.
    pub limit: i32,
    /// the results are written to a file (logged as `export_search`).
    pub export: bool,
}

/// What a search found.
#[derive(Debug, Clone)]
pub struct SearchResult {
    pub records: Vec<RecordView>,
    /// More matched than the limit.
    pub truncated: bool,
    pub shared: bool,
    /// The shared-dataset version answered from (shared searches).
    pub dataset: Option<ReplicaVersion>,
}

fn status_label(status: RecordKind, injured: bool) -> &'static str {
    match status {
        RecordKind::Dead => "死亡",
        _ if injured => "負傷",
        _ => "非該当",
    }
}

impl NodeState {
    /// The organise screen (figure 4-7), `limit` rows from `offset` (0: 500).
    pub async fn organise(
        &self,
        session: &Session,
        incident: Option<IncidentId>,
        limit: i32,
        offset: i32,
    ) -> Result<OrganiseScreen, AppError> {
        let caller = self.authorize(session, Operation::Organise)?;
        let limit = match limit {
            0 => 500,
            n => i64::from(n.clamp(1, 5000)),
        };
        let incidents = self.incidents().await?;
        let client = self.pool.get().await?;
        let screen =
            queries::organise(&**client, incident, limit, i64::from(offset.max(0))).await?;
        // The national tier reports to no one: nothing of it is "not yet reported"; nor
        // is a record of this node's own practice drill, which is never reported (T-06).
        let reports_upward = self.config.parent.is_some();
        let local = reader::local_incidents(&**client).await?;
        let group_of = |key: &Option<String>| {
            key.as_ref()
                .and_then(|k| screen.groups.iter().position(|g| &g.key == k))
                .map(|i| i as i32 + 1)
                .unwrap_or(0)
        };
        let flagged: HashSet<RecordId> = screen
            .flags
            .iter()
            .flat_map(|f| [f.older, f.newer])
            .collect();
        let rows: Vec<OrganiseRow> = screen
            .rows
            .iter()
            .map(|row| {
                let record = &row.state;
                let live = record.deletion.is_none();
                OrganiseRow {
                    view: RecordView {
                        state: record.clone(),
                        incident: incidents.iter().find(|i| i.id == record.incident).cloned(),
                    },
                    state_label: record.label().column_ja(),
                    status_label: status_label(
                        record.entry.parsed.status,
                        record.entry.parsed.injury.is_some(),
                    ),
                    reported: row.reported || !reports_upward || local.contains(&record.incident),
                    suspect_group: if live { group_of(&row.suspect_key) } else { 0 },
                    flagged: flagged.contains(&record.record_id),
                }
            })
            .collect();
        let groups = screen
            .groups
            .iter()
            .enumerate()
            .map(|(index, group)| {
                let (name, birth) = group.key.split_once('\u{1f}').unwrap_or((&group.key, ""));
                SuspectGroup {
                    number: index as i32 + 1,
                    name: name.to_string(),
                    birth_date: birth
                        .parse::<NaiveDate>()
                        .map(era::format_era)
                        .unwrap_or_default(),
                    records: group.records.clone(),
                }
            })
            .collect();
        let flags = screen
            .flags
            .iter()
            .map(|flag| Flag {
                older: flag.older,
                newer: flag.newer,
                message: FLAG_MESSAGE_JA,
                flagged_at: flag.flagged_at,
            })
            .collect();
        caller
            .log_read(
                "organise",
                serde_json::json!({
                    "incident_id": incident.map(|i| i.to_string()).unwrap_or_default(),
                    "offset": offset,
                }),
                rows.len(),
            )
            .await;
        Ok(OrganiseScreen {
            rows,
            groups,
            flags,
            total: screen.total,
            unreported: if reports_upward { screen.unreported } else { 0 },
            dedup_mode: self.config.dedup_mode.as_str(),
        })
    }

    /// D-05: the operator decides that `remove` describes the person of `keep`.
    pub async fn merge_duplicate(
        &self,
        session: &Session,
        keep: RecordId,
        remove: RecordId,
    ) -> Result<RecordWritten, AppError> {
        let caller = self.authorize(session, Operation::Organise)?;
        Ok(self
            .writer
            .ask(caller.actor, DomainCommand::MergeDuplicate { keep, remove })
            .await?)
    }

    /// S-01..S-04: tolerant exact or partial search of the private area or of the
    /// shared replica. P-04: the Red Cross view is forced for a Red Cross account.
    pub async fn search(
        &self,
        session: &Session,
        mut input: SearchInput,
    ) -> Result<SearchResult, AppError> {
        let caller = self.authorize(session, Operation::Search)?;
        input.draft.red_cross |= account::red_cross_only(session.role);
        let logged = serde_json::json!({
            "incident_id": input.incident.map(|i| i.to_string()).unwrap_or_default(),
            "query": input.draft,
            "shared": input.shared,
            "limit": input.limit,
        });
        let operation = if input.export {
            "export_search"
        } else {
            "search"
        };
        let result = self.search_authorized(input).await;
        caller
            .log_read(
                operation,
                logged,
                result.as_ref().map_or(0, |found| found.records.len()),
            )
            .await;
        result
    }

    async fn search_authorized(&self, input: SearchInput) -> Result<SearchResult, AppError> {
        let query = Query::parse(&input.draft).map_err(AppError::Invalid)?;
        let limit = match input.limit {
            0 => 100,
            n => i64::from(n.clamp(1, 1000)),
        };
        // Issue 22: read-only, from the standby when there is one.
        let client = self.reads.get().await?;
        // S-03: the private area, or this node's replica of the published shared dataset
        // (answered locally, so it keeps answering while the national node is down, T-05).
        let (table, incidents_table, dataset) = if input.shared {
            let held = searchable_version(&**client).await?;
            (Table::Named(REPLICA_RECORDS), REPLICA_INCIDENTS, Some(held))
        } else {
            (Table::Records, "incidents", None)
        };
        let incidents = reader::incidents_where(&**client, incidents_table, 0, i64::MAX).await?;
        let started = std::time::Instant::now();
        let (records, truncated) =
            queries::search(&**client, table, &query, input.incident, limit).await?;
        crate::metrics::METRICS.searched(
            crate::metrics::SearchKind {
                partial: query.fuzzy,
                shared: input.shared,
            },
            started.elapsed(),
        );
        Ok(SearchResult {
            records: records
                .into_iter()
                .map(|state| RecordView {
                    incident: incidents.iter().find(|i| i.id == state.incident).cloned(),
                    state,
                })
                .collect(),
            truncated,
            shared: input.shared,
            dataset,
        })
    }
}

/// The version a shared search answers from, or a clear refusal when this node has
/// received none yet.
pub async fn searchable_version<C: tokio_postgres::GenericClient>(
    client: &C,
) -> Result<ReplicaVersion, AppError> {
    shared_store::replica_version(client)
        .await?
        .ok_or_else(|| {
            AppError::Conflict(String::from(
                "共用領域（全国の共有データ）をまだ受信していません。消防庁が公開すると、このノードに届いてから検索できます（`anpi shared` で受信状況を確認できます）",
            ))
        })
}
