//! Incidents, entries and records: the use cases of the entry screens (E-01..E-13,
//! T-04, T-06, P-04) and of the node's own log (L-02).

use anpi_core::account::{self, Operation};
use anpi_core::command::Command as DomainCommand;
use anpi_core::entry::{self, EntryDraft, Nationality};
use anpi_core::event::Event;
use anpi_core::ids::{IncidentId, RecordId};
use anpi_core::incident::{self, Incident};
use anpi_core::jurisdiction::{JurisdictionCode, Tier};
use anpi_core::private_area::RecordState;
use chrono::Utc;

use super::{AppError, NodeState};
use crate::store::accounts::Session;
use crate::store::reader;
use crate::store::writer::{IncidentWritten, RecordWritten};

/// What a node is and where it stands (shown on every screen).
#[derive(Debug, Clone)]
pub struct NodeInfo {
    pub tier: Tier,
    pub jurisdiction: JurisdictionCode,
    pub parent: Option<JurisdictionCode>,
    pub head_position: i64,
    pub own_intake_paused: bool,
    pub report_intake_paused: bool,
    /// Events not yet reported upward (0 at the national tier).
    pub unreported_events: i64,
}

/// A new incident as the user typed it (T-04, T-06).
#[derive(Debug, Clone, Default)]
pub struct NewIncident {
    pub name: String,
    /// `actual` / `drill` (or their Japanese labels).
    pub mode: String,
    /// An ID given by the national tier, when registering one already announced.
    pub id: Option<IncidentId>,
}

/// A Form 1 / Form 2 entry to record (E-01..E-13).
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub incident: IncidentId,
    pub draft: EntryDraft,
    /// E-10: the record this entry replaces (deleting it).
    pub supersedes: Option<RecordId>,
    /// The clerk confirmed that the replaced record is the same person although the
    /// 4 information differ.
    pub confirm_same_person: bool,
}

/// At most this many entries in one bulk call ([`NodeState::record_entries`]).
pub const BULK_MAX: usize = 1000;

/// One entry of a bulk import (C-01, E-14), with what a download says happened to the
/// record afterwards, restored after the entry (A-04: download, purge, re-upload).
#[derive(Debug, Clone)]
pub struct BulkEntry {
    pub draft: EntryDraft,
    /// 退去日 as written in the download.
    pub departed_on: Option<String>,
    /// 削除理由.
    pub deleted_reason: Option<String>,
    /// The deletion was automatic duplicate removal: left to duplicate removal when
    /// the record's duplicate comes in again, and made by hand at the end of the
    /// request only if it did not.
    pub removed_duplicate: bool,
}

impl BulkEntry {
    /// A deletion to restore right after the entry (before the entries after it).
    fn deleted_now(&self) -> Option<&String> {
        self.deleted_reason
            .as_ref()
            .filter(|_| !self.removed_duplicate)
    }
}

/// What became of one entry of a bulk import: the record as written (after its
/// departure and deletion were restored), and the failure, if any. Both are set when
/// the entry was recorded but restoring its departure or deletion was refused.
#[derive(Debug)]
pub struct BulkResult {
    pub written: Option<RecordWritten>,
    pub error: Option<AppError>,
}

/// Which records to list.
#[derive(Debug, Clone, Default)]
pub struct RecordQuery {
    pub incident: Option<IncidentId>,
    pub include_deleted: bool,
    pub after_position: i64,
    /// 1..=10,000 (clamped); 0 means 1,000.
    pub limit: i32,
    /// the list is an export (logged as one).
    pub export: bool,
}

/// A record with its incident (when this node holds it), for display.
#[derive(Debug, Clone)]
pub struct RecordView {
    pub state: RecordState,
    pub incident: Option<Incident>,
}

impl RecordView {
    /// A record with its incident found among `incidents`.
    pub fn at(state: RecordState, incidents: &[Incident]) -> RecordView {
        RecordView::of(state, incidents)
    }

    fn of(state: RecordState, incidents: &[Incident]) -> RecordView {
        let incident = incidents.iter().find(|i| i.id == state.incident).cloned();
        RecordView { state, incident }
    }
}

impl NodeState {
    pub async fn node_info(&self, session: &Session) -> Result<NodeInfo, AppError> {
        self.authorize(session, Operation::NodeInfo)?;
        let client = self.pool.get().await?;
        let head_position = reader::head_position(&**client).await?;
        let intake = self.writer.intake().borrow().clone();
        Ok(NodeInfo {
            tier: self.config.tier,
            jurisdiction: self.config.jurisdiction.clone(),
            parent: self.config.parent.clone(),
            head_position,
            own_intake_paused: intake.own.paused,
            report_intake_paused: intake.reports.paused,
            unreported_events: self.unreported_events().await?,
        })
    }

    /// Events of this node's log not yet reported upward (0 without a parent).
    pub(crate) async fn unreported_events(&self) -> Result<i64, AppError> {
        if self.config.parent.is_none() {
            return Ok(0);
        }
        let client = self.pool.get().await?;
        Ok(reader::unreported(&**client, &self.config.jurisdiction)
            .await?
            .1)
    }

    /// T-04, T-06: actual incidents are created at the national tier and reach every
    /// node; a drill made below stays local. Creating one already held returns it.
    pub async fn create_incident(
        &self,
        session: &Session,
        new: NewIncident,
    ) -> Result<IncidentWritten, AppError> {
        let caller = self.authorize(session, Operation::CreateIncident)?;
        let (name, mode) =
            incident::validate_new_incident(&new.name, &new.mode).map_err(AppError::Invalid)?;
        let local = incident::decide_create(self.config.tier, mode, new.id.is_some())
            .map_err(|e| AppError::Invalid(vec![e]))?;
        let written: IncidentWritten = self
            .writer
            .ask(
                caller.actor,
                DomainCommand::CreateIncident {
                    name,
                    mode,
                    id: new.id,
                    local,
                },
            )
            .await?;
        if let Some(bus) = &self.bus {
            // T-06: the national tier's incidents go to every node.
            bus.incidents_ready.notify_one();
        }
        Ok(written)
    }

    pub async fn list_incidents(&self, session: &Session) -> Result<Vec<Incident>, AppError> {
        self.authorize(session, Operation::ListIncidents)?;
        self.incidents().await
    }

    /// E-01..E-13: validates the draft and records it. A supersede deletes the
    /// replaced record, so it needs the delete right too (A-02, E-10), checked before
    /// anything about that record is looked up.
    pub async fn record_entry(
        &self,
        session: &Session,
        new: NewEntry,
    ) -> Result<RecordWritten, AppError> {
        let caller = self.authorize(session, Operation::RecordEntry)?;
        if new.supersedes.is_some()
            && !account::permits(session.role, Operation::DeleteEntry, self.config.tier)
        {
            return Err(AppError::Forbidden(format!(
                "既存の安否情報の置き換え（--supersedes）は削除を伴うため、削除の権限が必要です。{}",
                account::denial_message(session.role, Operation::DeleteEntry)
            )));
        }
        let entry = entry::validate(&new.draft, Utc::now()).map_err(AppError::Invalid)?;
        Ok(self
            .writer
            .ask(
                caller.actor,
                DomainCommand::RecordEntry {
                    incident: new.incident,
                    entry: Box::new(entry),
                    supersedes: new.supersedes,
                    confirm_same_person: new.confirm_same_person,
                },
            )
            .await?)
    }

    /// C-01, E-14: the bulk path of imports and re-uploads. Each entry goes through the
    /// same validation, decision, duplicate removal and projection as
    /// [`NodeState::record_entry`]; all are handed to the writer before any reply is
    /// awaited, in their order, so it commits them in a few large groups. Then the
    /// departures and deletions a download carried are restored, in order.
    /// Restoring them needs the rights to record departures and to delete,
    /// checked before anything is written. One result per entry, in order.
    pub async fn record_entries(
        &self,
        session: &Session,
        incident: IncidentId,
        entries: Vec<BulkEntry>,
    ) -> Result<Vec<BulkResult>, AppError> {
        let caller = self.authorize(session, Operation::RecordEntry)?;
        if entries.len() > BULK_MAX {
            return Err(AppError::field(
                "entries",
                format!(
                    "一度に送れるのは{BULK_MAX}件までです（{}件）",
                    entries.len()
                ),
            ));
        }
        let needs = |operation: Operation, what: &str| {
            if account::permits(session.role, operation, self.config.tier) {
                Ok(())
            } else {
                Err(AppError::Forbidden(format!(
                    "{what}を含む書出しファイルの再登録には、その権限が必要です。{}",
                    account::denial_message(session.role, operation)
                )))
            }
        };
        if entries.iter().any(|e| e.departed_on.is_some()) {
            needs(Operation::RecordDeparture, "退去済みの安否情報")?;
        }
        if entries.iter().any(|e| e.deleted_reason.is_some()) {
            needs(Operation::DeleteEntry, "削除済みの安否情報")?;
        }
        let now = Utc::now();
        let mut results = Vec::with_capacity(entries.len());
        // A deletion is restored before the entries after it are recorded, so that
        // duplicate removal sees the live records it saw when they were first entered.
        for run in entries.split_inclusive(|entry| entry.deleted_now().is_some()) {
            results.extend(self.record_run(&caller, incident, run, now).await);
        }
        self.settle_duplicates(&caller, &entries, &mut results)
            .await?;
        Ok(results)
    }

    /// The entries a download marks as removed duplicates: those duplicate removal did
    /// not delete again are deleted now with their reason; the others get their
    /// current state.
    async fn settle_duplicates(
        &self,
        caller: &super::Caller,
        entries: &[BulkEntry],
        results: &mut [BulkResult],
    ) -> Result<(), AppError> {
        let ids: Vec<uuid::Uuid> = entries
            .iter()
            .zip(results.iter())
            .filter(|(entry, _)| entry.removed_duplicate && entry.deleted_reason.is_some())
            .filter_map(|(_, result)| result.written.as_ref().filter(|_| result.error.is_none()))
            .map(|written| written.record.record_id.as_uuid())
            .collect();
        if ids.is_empty() {
            return Ok(());
        }
        let client = self.pool.get().await?;
        let current: std::collections::HashMap<RecordId, RecordState> =
            reader::records_by_id(&**client, &ids)
                .await?
                .into_iter()
                .map(|state| (state.record_id, state))
                .collect();
        drop(client);
        for result in results.iter_mut() {
            if let Some(written) = result.written.as_mut()
                && let Some(state) = current.get(&written.record.record_id)
            {
                *written.record = state.clone();
            }
        }
        self.restore(caller, entries, results, |entry, record| {
            let reason = entry.deleted_reason.clone()?;
            (entry.removed_duplicate && record.deletion.is_none()).then_some(
                DomainCommand::DeleteEntry {
                    record: record.record_id,
                    reason,
                },
            )
        })
        .await;
        Ok(())
    }

    /// Records a run of entries of a bulk import, then restores their departures and
    /// deletions.
    async fn record_run(
        &self,
        caller: &super::Caller,
        incident: IncidentId,
        entries: &[BulkEntry],
        now: chrono::DateTime<Utc>,
    ) -> Vec<BulkResult> {
        // Validated one by one and queued as they come, so that the writer commits the
        // first entries while the later ones are being validated.
        let mut queued = Vec::with_capacity(entries.len());
        for entry in entries {
            queued.push(match entry::validate(&entry.draft, now) {
                Ok(valid) => {
                    let command = DomainCommand::RecordEntry {
                        incident,
                        entry: Box::new(valid),
                        supersedes: None,
                        confirm_same_person: false,
                    };
                    Ok(self
                        .writer
                        .queue::<RecordWritten>(caller.actor.clone(), command)
                        .await)
                }
                Err(errors) => Err(AppError::Invalid(errors)),
            });
        }
        let mut results: Vec<BulkResult> = Vec::with_capacity(entries.len());
        for queued in queued {
            results.push(match queued {
                Ok(queued) => match queued.reply().await {
                    Ok(record) => BulkResult {
                        written: Some(record),
                        error: None,
                    },
                    Err(rejection) => BulkResult {
                        written: None,
                        error: Some(rejection.into()),
                    },
                },
                Err(error) => BulkResult {
                    written: None,
                    error: Some(error),
                },
            });
        }
        let today = now.with_timezone(&entry::jst_offset()).date_naive();
        self.restore(caller, entries, &mut results, |entry, record| {
            let date = entry.departed_on.clone()?;
            Some(DomainCommand::RecordDeparture {
                record: record.record_id,
                date,
                today,
            })
        })
        .await;
        self.restore(caller, entries, &mut results, |entry, record| {
            let reason = entry.deleted_now()?.clone();
            // Duplicate removal may have deleted it again on the way in.
            (record.deletion.is_none()).then_some(DomainCommand::DeleteEntry {
                record: record.record_id,
                reason,
            })
        })
        .await;
        results
    }

    /// Applies `follow_up` (a departure or a deletion) to every recorded entry it
    /// gives a command for; a refusal is kept as that entry's error.
    async fn restore(
        &self,
        caller: &super::Caller,
        entries: &[BulkEntry],
        results: &mut [BulkResult],
        follow_up: impl Fn(&BulkEntry, &RecordState) -> Option<DomainCommand>,
    ) {
        let mut targets = Vec::new();
        let mut commands: Vec<DomainCommand> = Vec::new();
        for (index, (entry, result)) in entries.iter().zip(results.iter()).enumerate() {
            let Some(written) = result.written.as_ref().filter(|_| result.error.is_none()) else {
                continue;
            };
            if let Some(command) = follow_up(entry, &written.record) {
                targets.push(index);
                commands.push(command);
            }
        }
        if commands.is_empty() {
            return;
        }
        let mut queued = Vec::with_capacity(commands.len());
        for command in commands {
            queued.push(
                self.writer
                    .queue::<RecordWritten>(caller.actor.clone(), command)
                    .await,
            );
        }
        let mut replies = Vec::with_capacity(queued.len());
        for queued in queued {
            replies.push(queued.reply().await);
        }
        for (index, reply) in targets.into_iter().zip(replies) {
            let result = &mut results[index];
            match reply {
                Ok(record) => result.written = Some(record),
                Err(rejection) => {
                    let error = AppError::from(rejection);
                    result.error = Some(AppError::Conflict(format!(
                        "登録しましたが、書出しファイルの状態（退去・削除）を復元できませんでした: {}",
                        error.message_ja()
                    )));
                }
            }
        }
    }

    /// E-09: deletes a record, with the reason.
    pub async fn delete_entry(
        &self,
        session: &Session,
        record: RecordId,
        reason: String,
    ) -> Result<RecordWritten, AppError> {
        let caller = self.authorize(session, Operation::DeleteEntry)?;
        Ok(self
            .writer
            .ask(caller.actor, DomainCommand::DeleteEntry { record, reason })
            .await?)
    }

    /// E-12: the person left the shelter on `date` (as typed, era or Gregorian).
    pub async fn record_departure(
        &self,
        session: &Session,
        record: RecordId,
        date: String,
    ) -> Result<RecordWritten, AppError> {
        let caller = self.authorize(session, Operation::RecordDeparture)?;
        let today = Utc::now().with_timezone(&entry::jst_offset()).date_naive();
        Ok(self
            .writer
            .ask(
                caller.actor,
                DomainCommand::RecordDeparture {
                    record,
                    date,
                    today,
                },
            )
            .await?)
    }

    /// The private area's records, in log order (A-06: logged as a list or export).
    pub async fn list_records(
        &self,
        session: &Session,
        query: RecordQuery,
    ) -> Result<Vec<RecordView>, AppError> {
        let caller = self.authorize(session, Operation::ListRecords)?;
        let limit = match query.limit {
            0 => 1000,
            n => i64::from(n.clamp(1, 10_000)),
        };
        let incidents = self.incidents().await?;
        let client = self.pool.get().await?;
        let records = reader::list_records(
            &**client,
            query.incident,
            query.include_deleted,
            query.after_position,
            limit,
        )
        .await?;
        let records: Vec<RecordView> = records
            .into_iter()
            .map(|r| RecordView::of(r, &incidents))
            .collect();
        caller
            .log_read(
                if query.export {
                    "export_records"
                } else {
                    "list_records"
                },
                serde_json::json!({
                    "incident_id": query.incident.map(|i| i.to_string()).unwrap_or_default(),
                    "include_deleted": query.include_deleted,
                    "after_position": query.after_position,
                }),
                records.len(),
            )
            .await;
        Ok(records)
    }

    /// One record. P-04: a Red Cross account sees only persons of non-Japanese or
    /// unknown nationality; anyone else's record is "not found" to it.
    pub async fn get_record(
        &self,
        session: &Session,
        record: RecordId,
    ) -> Result<RecordView, AppError> {
        let caller = self.authorize(session, Operation::GetRecord)?;
        let client = self.pool.get().await?;
        let found = reader::records_by_id(&**client, &[record.as_uuid()]).await?;
        let visible = found.into_iter().next().filter(|state| {
            !account::red_cross_only(session.role)
                || state.entry.parsed.nationality != Nationality::Japan
        });
        caller
            .log_read(
                "get_record",
                serde_json::json!({ "record_id": record.to_string() }),
                usize::from(visible.is_some()),
            )
            .await;
        let state = visible.ok_or_else(|| {
            AppError::NotFound(String::from(
                "指定された安否情報が見つかりません。IDを確認してください",
            ))
        })?;
        let incidents = self.incidents().await?;
        Ok(RecordView::of(state, &incidents))
    }

    /// L-02, U-01: the log after `after` (filtered by kind, record, actor and time
    /// received, as typed), and the head position.
    pub async fn read_events(
        &self,
        session: &Session,
        after: i64,
        limit: i32,
        filter: &EventQuery,
    ) -> Result<(Vec<Event>, i64), AppError> {
        let caller = self.authorize(session, Operation::ReadEvents)?;
        let limit = match limit {
            0 => 1000,
            n => i64::from(n.clamp(1, 10_000)),
        };
        let parsed = filter.parse()?;
        // Issue 22: audit reads go to the standby when there is one.
        let client = self.reads.get().await?;
        let events = reader::read_events_filtered(&**client, after.max(0), limit, &parsed).await?;
        let head = reader::head_position(&**client).await?;
        caller
            .log_read(
                "read_events",
                serde_json::json!({
                    "after_position": after,
                    "limit": limit,
                    "kind": filter.kind,
                    "record_id": filter.record_id,
                    "actor": filter.actor,
                    "from": filter.from,
                    "until": filter.until,
                }),
                events.len(),
            )
            .await;
        Ok((events, head))
    }
}

/// The filters of a log read as typed (U-01); empty: any.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    /// One kind or several separated by commas.
    pub kind: String,
    pub record_id: String,
    pub actor: String,
    pub from: String,
    pub until: String,
}

impl EventQuery {
    /// Every problem at once, each naming its field.
    pub fn parse(&self) -> Result<reader::EventFilter, AppError> {
        let mut errors = Vec::new();
        let kinds: Vec<String> = self
            .kind
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_string)
            .collect();
        if kinds
            .iter()
            .any(|k| k.len() > 64 || !k.chars().all(|c| c.is_ascii_alphanumeric()))
        {
            errors.push(anpi_core::validation::FieldError::new(
                "kind",
                format!(
                    "イベントの種類は英数字の名前で指定してください（例: EntryDeleted。入力: {}）",
                    self.kind
                ),
            ));
        }
        let record = match self.record_id.trim() {
            "" => None,
            text => match text.parse::<RecordId>() {
                Ok(id) => Some(id.as_uuid()),
                Err(_) => {
                    errors.push(anpi_core::validation::FieldError::new(
                        "record_id",
                        format!("IDの形式が正しくありません（入力: {text}）"),
                    ));
                    None
                }
            },
        };
        let actor = self.actor.trim();
        if actor.len() > 64
            || actor
                .chars()
                .any(|c| c.is_control() || c == '%' || c == '_')
        {
            errors.push(anpi_core::validation::FieldError::new(
                "actor",
                format!("操作者はユーザーID（例: admin）か「団体コード/ユーザーID」で指定してください（入力: {actor}）"),
            ));
        }
        let mut time = |field: &str, text: &str| match text.trim() {
            "" => None,
            text => match anpi_core::entry::parse_written_at(text) {
                Ok(time) => Some(time),
                Err(message) => {
                    errors.push(anpi_core::validation::FieldError::new(
                        field,
                        format!("日時を読み取れません: {message}"),
                    ));
                    None
                }
            },
        };
        let from = time("from", &self.from);
        let until = time("until", &self.until);
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        Ok(reader::EventFilter {
            kinds: (!kinds.is_empty()).then_some(kinds),
            record,
            actor: (!actor.is_empty()).then(|| actor.to_string()),
            from,
            until,
        })
    }
}
