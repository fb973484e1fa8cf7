//! The private area (専用領域): current state of each record, folded from the log.
//! R: L-04, E-10, E-12, D-05, S-04.
//!
//! [`apply`] is the only place that knows how events change a record; both the live
//! projection (in the same transaction as the append) and a rebuild from position 0
//! use it, so they cannot disagree. The `decide_*` functions check a command against
//! the current state before an event is written.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::entry::{Entry, Status};
use crate::era::{self, DateError};
use crate::event::{Actor, Event, Payload};
use crate::ids::{IncidentId, RecordId};
use crate::jurisdiction::JurisdictionCode;
use crate::validation::FieldError;

/// The state label shown in lists (S-04, R-05).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StateLabel {
    Evacuated,
    Injured,
    Dead,
    Departed,
    Deleted,
}

impl StateLabel {
    pub fn label_ja(self) -> &'static str {
        match self {
            StateLabel::Evacuated => "避難",
            StateLabel::Injured => "負傷",
            StateLabel::Dead => "死亡",
            StateLabel::Departed => "退去",
            StateLabel::Deleted => "削除",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StateLabel::Evacuated => "evacuated",
            StateLabel::Injured => "injured",
            StateLabel::Dead => "dead",
            StateLabel::Departed => "departed",
            StateLabel::Deleted => "deleted",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deletion {
    pub reason: String,
    pub at: DateTime<Utc>,
    pub actor: Actor,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Departure {
    pub date: NaiveDate,
    pub at: DateTime<Utc>,
    pub actor: Actor,
}

/// One record of the private area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordState {
    pub record_id: RecordId,
    pub incident: IncidentId,
    pub entry: Entry,
    /// The collecting node (E-13).
    pub origin: JurisdictionCode,
    /// 記入者.
    pub actor: Actor,
    /// 受信日時.
    pub received_at: DateTime<Utc>,
    /// Position of the event that recorded the entry.
    pub recorded_position: i64,
    /// Position of the last event that changed this record.
    pub last_position: i64,
    pub deletion: Option<Deletion>,
    pub departure: Option<Departure>,
}

impl RecordState {
    pub fn label(&self) -> StateLabel {
        if self.deletion.is_some() {
            StateLabel::Deleted
        } else if self.departure.is_some() {
            StateLabel::Departed
        } else {
            match self.entry.parsed.status {
                Status::Evacuated => StateLabel::Evacuated,
                Status::Injured => StateLabel::Injured,
                Status::Dead => StateLabel::Dead,
            }
        }
    }
}

/// Folds one event into the state of the record it is about. Events about no record,
/// or about a record this state is not, leave the state unchanged.
pub fn apply(state: Option<RecordState>, event: &Event) -> Option<RecordState> {
    let envelope = &event.event;
    match (&envelope.payload, state) {
        (Payload::EntryRecorded { record_id, entry }, None) => Some(RecordState {
            record_id: *record_id,
            incident: envelope.incident?,
            entry: (**entry).clone(),
            origin: envelope.origin.clone(),
            actor: envelope.actor.clone(),
            received_at: envelope.received_at,
            recorded_position: event.position,
            last_position: event.position,
            deletion: None,
            departure: None,
        }),
        (Payload::EntryDeleted { record_id, reason }, Some(mut state))
            if *record_id == state.record_id =>
        {
            state.deletion = Some(Deletion {
                reason: reason.clone(),
                at: envelope.received_at,
                actor: envelope.actor.clone(),
            });
            state.last_position = event.position;
            Some(state)
        }
        (Payload::DepartureRecorded { record_id, date }, Some(mut state))
            if *record_id == state.record_id =>
        {
            state.departure = Some(Departure {
                date: *date,
                at: envelope.received_at,
                actor: envelope.actor.clone(),
            });
            state.last_position = event.position;
            Some(state)
        }
        (_, state) => state,
    }
}

fn not_found() -> FieldError {
    FieldError::new(
        "record_id",
        "指定された安否情報が見つかりません。IDを確認してください",
    )
}

/// Checks a deletion (D-05): the record exists and is not deleted; a reason is given.
pub fn decide_delete(state: Option<&RecordState>, reason: &str) -> Result<String, FieldError> {
    let state = state.ok_or_else(not_found)?;
    if let Some(deletion) = &state.deletion {
        return Err(FieldError::new(
            "record_id",
            format!(
                "この安否情報は既に削除されています（理由: {}）",
                deletion.reason
            ),
        ));
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(FieldError::new(
            "reason",
            "削除理由を入力してください（例: 重複登録、誤入力）",
        ));
    }
    if reason.chars().count() > 500 || reason.chars().any(char::is_control) {
        return Err(FieldError::new(
            "reason",
            "削除理由は制御文字を含まない500文字以内で入力してください",
        ));
    }
    Ok(reason.to_string())
}

/// Checks a departure (E-12): only a live Form 1 record can depart, once, on a date
/// between the 記入日時 and today.
pub fn decide_departure(
    state: Option<&RecordState>,
    date: &str,
    today: NaiveDate,
) -> Result<NaiveDate, FieldError> {
    let state = state.ok_or_else(not_found)?;
    if state.deletion.is_some() {
        return Err(FieldError::new(
            "record_id",
            "削除された安否情報には退去を登録できません",
        ));
    }
    if state.entry.parsed.status == Status::Dead {
        return Err(FieldError::new(
            "record_id",
            "死亡住民（様式第2号）の安否情報には退去を登録できません",
        ));
    }
    if let Some(departure) = &state.departure {
        return Err(FieldError::new(
            "record_id",
            format!(
                "この安否情報は既に退去済みです（退去日: {}）",
                era::format_era(departure.date)
            ),
        ));
    }
    let date = era::parse_date(date).map_err(|error| match error {
        DateError::Partial { .. } => FieldError::new("date", "退去日は年月日まで入力してください"),
        other => FieldError::new("date", other.to_string()),
    })?;
    if date > today {
        return Err(FieldError::new("date", "退去日が未来の日付になっています"));
    }
    let written = state
        .entry
        .parsed
        .written_at
        .with_timezone(&crate::entry::jst_offset())
        .date_naive();
    if date < written {
        return Err(FieldError::new(
            "date",
            format!(
                "退去日が記入日（{}）より前になっています",
                era::format_era(written)
            ),
        ));
    }
    Ok(date)
}
