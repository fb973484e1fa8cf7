//! Commands decided in the domain (issue 14): what a clerk or the node asks the log to
//! do, and [`decide`], which checks a command against the current state and returns the
//! events it makes, or a typed [`Refusal`]. The node's writer only loads the state,
//! calls `decide`, appends and folds: it holds no rule. R: L-01, E-10, E-11, E-12,
//! D-05, R-03, T-04, T-06, Q-01..Q-06.
//!
//! Pure: the caller passes `now` and the source of new IDs (UUID v7 needs a clock).

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::entry::Entry;
use crate::event::{Payload, Searched};
use crate::ids::{IncidentId, InquiryId, RecordId};
use crate::incident::{Incident, IncidentMode};
use crate::inquiry::state::{decide_answer, decide_identify, decide_refuse};
use crate::inquiry::{Answer, Identification, Inquiry, InquiryState};
use crate::kinds::IntakeScope;
use crate::private_area::{self, RecordState};
use crate::refusal::Refusal;
use crate::report::OWN_INTAKE_PAUSED;
use crate::validation::FieldError;

/// What is asked of the log.
#[derive(Debug, Clone)]
pub enum Command {
    /// T-04, T-06: a new incident, or one announced with its ID. Who may create which
    /// is `incident::decide_create`, asked before (it needs the node's tier).
    CreateIncident {
        name: String,
        mode: IncidentMode,
        /// An ID announced by a parent or the national tier; `None` makes a new one.
        id: Option<IncidentId>,
        /// A drill this node makes for its own practice: never reported upward.
        local: bool,
    },
    /// E-01, E-02: an entry; with `supersedes`, it replaces that record (E-10, E-11).
    RecordEntry {
        incident: IncidentId,
        entry: Box<Entry>,
        supersedes: Option<RecordId>,
        /// The operator confirmed the replaced record is of the same person although
        /// the 4 information differ or are not all known (E-10, D-01).
        confirm_same_person: bool,
    },
    /// D-05.
    DeleteEntry { record: RecordId, reason: String },
    /// E-12.
    RecordDeparture {
        record: RecordId,
        date: String,
        today: NaiveDate,
    },
    /// D-04, D-05: the operator confirmed `remove` is the same person as `keep`.
    MergeDuplicate { keep: RecordId, remove: RecordId },
    ///
    SetIntake { scope: IntakeScope, paused: bool },
    ///
    RegisterInquiry {
        /// The incident the inquiry is about (T-04, T-06): required.
        incident: IncidentId,
        inquiry: Box<Inquiry>,
    },
    /// the outcome of looking for the person asked about.
    IdentifyInquiry {
        inquiry: InquiryId,
        identification: Identification,
        searched: Searched,
    },
    /// refuse for an improper purpose.
    RefuseInquiry { inquiry: InquiryId, reason: String },
    /// Q-04..Q-06: the answer, as disclosed, about `record` (None: 非該当).
    AnswerInquiry {
        inquiry: InquiryId,
        record: Option<RecordId>,
        answer: Box<Answer>,
        form5: String,
        /// How the answer is given (書面・口頭・電話), when stated.
        channel: Option<crate::inquiry_types::AnswerChannel>,
    },
    /// Records a publication decision that `publication::decide` accepted about
    /// `record` of `incident` (a record of the private area or of the shared dataset).
    DecidePublication {
        record: RecordId,
        incident: IncidentId,
        decision: crate::publication_types::PublicationDecision,
    },
}

impl Command {
    /// The record a command is about, for loading its state.
    pub fn records(&self) -> Vec<RecordId> {
        match self {
            Command::RecordEntry {
                supersedes: Some(old),
                ..
            } => vec![*old],
            Command::DeleteEntry { record, .. } | Command::RecordDeparture { record, .. } => {
                vec![*record]
            }
            Command::MergeDuplicate { keep, remove } => vec![*keep, *remove],
            _ => Vec::new(),
        }
    }

    /// The inquiry a command is about, for loading its state.
    pub fn inquiry(&self) -> Option<InquiryId> {
        match self {
            Command::IdentifyInquiry { inquiry, .. }
            | Command::RefuseInquiry { inquiry, .. }
            | Command::AnswerInquiry { inquiry, .. } => Some(*inquiry),
            _ => None,
        }
    }
}

/// One event a command makes: its payload, its incident and its 記入日時.
#[derive(Debug, Clone, PartialEq)]
pub struct Decided {
    pub payload: Payload,
    pub incident: Option<IncidentId>,
    pub written_at: Option<DateTime<Utc>>,
}

impl Decided {
    fn new(payload: Payload, incident: Option<IncidentId>) -> Decided {
        Decided {
            payload,
            incident,
            written_at: None,
        }
    }
}

/// What a command comes to.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// These events, in order.
    Events(Vec<Decided>),
    /// Nothing to write: the pause or resume is already in place.
    IntakeUnchanged,
    /// Nothing to write: the announced incident is already here, as announced.
    IncidentHeld(Incident),
}

/// What a command is decided against: the state as committed plus what earlier commands
/// of the same group decided.
pub trait State {
    fn record(&self, id: RecordId) -> Option<&RecordState>;
    fn inquiry(&self, id: InquiryId) -> Option<&InquiryState>;
    fn incident(&self, id: IncidentId) -> Option<&Incident>;
    fn paused(&self, scope: IntakeScope) -> bool;
    /// Whether the incident's personal data was purged at the end of its retention
    /// (issue 21): nothing new about it may be recorded.
    fn purged(&self, _id: IncidentId) -> bool {
        false
    }
}

fn incident_not_found() -> Refusal {
    Refusal::NotFound(FieldError::new(
        "incident_id",
        "指定された事案が見つかりません。`anpi incident list` で事案IDを確認してください",
    ))
}

/// Checks `command` against `state` and returns the events it makes (a replacing entry
/// makes two: the old record's deletion, then the new entry), or why it is refused.
/// `new_id` gives each new record, incident and inquiry its ID.
pub fn decide(
    state: &impl State,
    command: &Command,
    now: DateTime<Utc>,
    new_id: &mut dyn FnMut() -> Uuid,
) -> Result<Decision, Refusal> {
    let events = |decided: Vec<Decided>| Ok(Decision::Events(decided));
    match command {
        // R-03, guideline 第4 4(1)【システム運用上のルール】①: the pause stops the
        // node's own registrations so that the organiser can consolidate; deleting
        // duplicates (an organiser's act, figure 4-8) and merging are that work and go on.
        Command::RecordEntry { .. } | Command::RecordDeparture { .. }
            if state.paused(IntakeScope::Own) =>
        {
            Err(Refusal::Paused(FieldError::new(
                "intake",
                OWN_INTAKE_PAUSED,
            )))
        }
        Command::RecordEntry { incident, .. }
        | Command::RegisterInquiry { incident, .. }
        | Command::DecidePublication { incident, .. }
            if state.purged(*incident) =>
        {
            Err(Refusal::Conflict(FieldError::new(
                "incident_id",
                "この事案の個人情報は保存期間の終了により消去されました。この事案には登録・照会・公表の判断ができません",
            )))
        }
        Command::CreateIncident {
            name,
            mode,
            id,
            local,
        } => {
            if let Some(existing) = id.and_then(|id| state.incident(id)) {
                return if &existing.name == name && existing.mode == *mode {
                    Ok(Decision::IncidentHeld(existing.clone()))
                } else {
                    Err(Refusal::Conflict(FieldError::new(
                        "incident_id",
                        format!(
                            "この事案IDは既に別の事案（{}・{}）に使われています",
                            existing.name,
                            existing.mode.label_ja()
                        ),
                    )))
                };
            }
            let incident = Incident {
                id: id.unwrap_or_else(|| IncidentId::from_uuid(new_id())),
                name: name.clone(),
                mode: *mode,
                created_at: now,
            };
            let id = incident.id;
            events(vec![Decided::new(
                Payload::IncidentCreated {
                    incident,
                    local: *local,
                },
                Some(id),
            )])
        }
        Command::RecordEntry {
            incident,
            entry,
            supersedes,
            confirm_same_person,
        } => {
            if state.incident(*incident).is_none() {
                return Err(incident_not_found());
            }
            let mut decided = Vec::new();
            if let Some(old) = supersedes {
                // Every refusal alike, whether the ID exists or not (E-10).
                let reason = private_area::decide_supersede(
                    state.record(*old),
                    entry,
                    *incident,
                    *confirm_same_person,
                )?;
                decided.push(Decided::new(
                    Payload::EntryDeleted {
                        record_id: *old,
                        reason,
                    },
                    Some(*incident),
                ));
            }
            decided.push(Decided {
                payload: Payload::EntryRecorded {
                    record_id: RecordId::from_uuid(new_id()),
                    entry: entry.clone(),
                    supersedes: *supersedes,
                },
                incident: Some(*incident),
                written_at: Some(entry.parsed.written_at),
            });
            events(decided)
        }
        Command::DeleteEntry { record, reason } => {
            let current = state.record(*record);
            let reason = private_area::decide_delete(current, reason)?;
            events(vec![Decided::new(
                Payload::EntryDeleted {
                    record_id: *record,
                    reason,
                },
                current.map(|s| s.incident),
            )])
        }
        Command::RecordDeparture {
            record,
            date,
            today,
        } => {
            let current = state.record(*record);
            let date = private_area::decide_departure(current, date, *today)?;
            events(vec![Decided::new(
                Payload::DepartureRecorded {
                    record_id: *record,
                    date,
                },
                current.map(|s| s.incident),
            )])
        }
        Command::MergeDuplicate { keep, remove } => {
            let removed = state.record(*remove);
            let reason = private_area::decide_merge(state.record(*keep), removed)?;
            events(vec![Decided::new(
                Payload::EntryDeleted {
                    record_id: *remove,
                    reason,
                },
                removed.map(|s| s.incident),
            )])
        }
        Command::SetIntake { scope, paused } => {
            if state.paused(*scope) == *paused {
                return Ok(Decision::IntakeUnchanged);
            }
            let payload = if *paused {
                Payload::IntakePaused { scope: *scope }
            } else {
                Payload::IntakeResumed { scope: *scope }
            };
            events(vec![Decided::new(payload, None)])
        }
        Command::RegisterInquiry { incident, inquiry } => {
            if state.incident(*incident).is_none() {
                return Err(incident_not_found());
            }
            events(vec![Decided::new(
                Payload::InquiryRegistered {
                    inquiry_id: InquiryId::from_uuid(new_id()),
                    inquiry: inquiry.clone(),
                },
                Some(*incident),
            )])
        }
        Command::IdentifyInquiry {
            inquiry,
            identification,
            searched,
        } => {
            let current = state.inquiry(*inquiry);
            decide_identify(current)?;
            events(vec![Decided::new(
                Payload::InquiryIdentified {
                    inquiry_id: *inquiry,
                    identification: identification.clone(),
                    searched: searched.clone(),
                },
                current.and_then(|s| s.incident),
            )])
        }
        Command::RefuseInquiry { inquiry, reason } => {
            let current = state.inquiry(*inquiry);
            let reason = decide_refuse(current, reason)?;
            events(vec![Decided::new(
                Payload::InquiryRefused {
                    inquiry_id: *inquiry,
                    reason,
                },
                current.and_then(|s| s.incident),
            )])
        }
        Command::DecidePublication {
            record,
            incident,
            decision,
        } => events(vec![Decided::new(
            Payload::PublicationDecided {
                record_id: *record,
                decision: decision.clone(),
            },
            Some(*incident),
        )]),
        Command::AnswerInquiry {
            inquiry,
            record,
            answer,
            form5,
            channel,
        } => {
            let current = state.inquiry(*inquiry);
            if decide_answer(current)? != *record {
                return Err(Refusal::Conflict(FieldError::new(
                    "inquiry_id",
                    "特定した安否情報が変わりました。もう一度 `anpi inquiry identify` を実行してください",
                )));
            }
            events(vec![Decided::new(
                Payload::InquiryAnswered {
                    inquiry_id: *inquiry,
                    record_id: *record,
                    answer: (**answer).clone(),
                    form5: form5.clone(),
                    channel: *channel,
                },
                current.and_then(|s| s.incident),
            )])
        }
    }
}

#[cfg(test)]
mod tests;
