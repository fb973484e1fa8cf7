//! An inquiry's life in the log: registered → identified (or not) → answered, or
//! refused. The fold of the inquiry events and the checks each step makes before its
//! event is written. R: Q-01..Q-03, Q-06.
//!
//! An answer is given once: the answer event holds exactly what was disclosed, to
//! whom and by whom (Q-06, 「回答書はその控えを一定期間保管しておくこと」 第5 4(5)),
//! and is never replaced. An inquiry that could not be identified is not answered: the
//! officer asks the inquirer for more (第5 3(3)イ) and registers what they give as a
//! new inquiry.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Answer, Identification, Inquiry, TargetField};
use crate::event::{Event, Payload, Searched};
use crate::ids::{IncidentId, InquiryId, RecordId};
use crate::private_area::RecordState;
use crate::refusal::Refusal;
use crate::validation::FieldError;

/// Where an inquiry stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InquiryStatus {
    /// 受付: registered, not yet looked up.
    Registered,
    /// 特定: one record identified.
    Identified,
    /// 特定できない: several possible persons; more information is needed.
    NotIdentified,
    /// 該当なし: no record matches (answered 非該当).
    NotHeld,
    /// 回答拒否: refused for an improper purpose.
    Refused,
    /// 回答済み.
    Answered,
}

impl InquiryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InquiryStatus::Registered => "registered",
            InquiryStatus::Identified => "identified",
            InquiryStatus::NotIdentified => "not_identified",
            InquiryStatus::NotHeld => "not_held",
            InquiryStatus::Refused => "refused",
            InquiryStatus::Answered => "answered",
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            InquiryStatus::Registered => "受付",
            InquiryStatus::Identified => "特定済み",
            InquiryStatus::NotIdentified => "特定できない（追加情報が必要）",
            InquiryStatus::NotHeld => "該当なし",
            InquiryStatus::Refused => "回答拒否",
            InquiryStatus::Answered => "回答済み",
        }
    }
}

/// Who did a step, and when (the event's actor and 受信日時).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub by: String,
    pub at: DateTime<Utc>,
}

/// The outcome of the last identification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identified {
    pub identification: Identification,
    pub searched: Searched,
    pub step: Step,
}

/// The answer given, as disclosed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answered {
    pub record_id: Option<RecordId>,
    pub answer: Answer,
    pub form5: String,
    /// How it was given (書面・口頭・電話), when stated.
    #[serde(default)]
    pub channel: Option<crate::inquiry_types::AnswerChannel>,
    pub step: Step,
}

/// The refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refused {
    pub reason: String,
    pub step: Step,
}

/// An inquiry folded from its events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InquiryState {
    pub inquiry_id: InquiryId,
    pub incident: Option<IncidentId>,
    pub inquiry: Inquiry,
    pub registered: Step,
    pub identified: Option<Identified>,
    pub refused: Option<Refused>,
    pub answered: Option<Answered>,
    pub last_position: i64,
}

impl InquiryState {
    pub fn status(&self) -> InquiryStatus {
        if self.answered.is_some() {
            return InquiryStatus::Answered;
        }
        if self.refused.is_some() {
            return InquiryStatus::Refused;
        }
        match self.identified.as_ref().map(|i| &i.identification) {
            None => InquiryStatus::Registered,
            Some(Identification::Identified { .. }) => InquiryStatus::Identified,
            Some(Identification::NotIdentified { .. }) => InquiryStatus::NotIdentified,
            Some(Identification::NotHeld) => InquiryStatus::NotHeld,
        }
    }

    /// The fields to ask the inquirer for, when the person could not be identified.
    pub fn ask_for(&self) -> &[TargetField] {
        match self.identified.as_ref().map(|i| &i.identification) {
            Some(Identification::NotIdentified { ask_for, .. }) => ask_for,
            _ => &[],
        }
    }
}

/// Folds one inquiry event (events about other things leave the state as it is).
pub fn apply(state: Option<InquiryState>, event: &Event) -> Option<InquiryState> {
    let envelope = &event.event;
    let step = || Step {
        by: envelope.actor.to_string(),
        at: envelope.received_at,
    };
    let mut state = match (&envelope.payload, state) {
        (
            Payload::InquiryRegistered {
                inquiry_id,
                inquiry,
            },
            None,
        ) => {
            return Some(InquiryState {
                inquiry_id: *inquiry_id,
                incident: envelope.incident,
                inquiry: (**inquiry).clone(),
                registered: step(),
                identified: None,
                refused: None,
                answered: None,
                last_position: event.position,
            });
        }
        (payload, Some(state)) if payload.inquiry_id() == Some(state.inquiry_id) => state,
        (_, state) => return state,
    };
    match &envelope.payload {
        Payload::InquiryIdentified {
            identification,
            searched,
            ..
        } => {
            state.identified = Some(Identified {
                identification: identification.clone(),
                searched: searched.clone(),
                step: step(),
            });
        }
        Payload::InquiryRefused { reason, .. } => {
            state.refused = Some(Refused {
                reason: reason.clone(),
                step: step(),
            });
        }
        Payload::InquiryAnswered {
            record_id,
            answer,
            form5,
            channel,
            ..
        } => {
            state.answered = Some(Answered {
                record_id: *record_id,
                answer: answer.clone(),
                form5: form5.clone(),
                channel: *channel,
                step: step(),
            });
        }
        _ => return Some(state),
    }
    state.last_position = event.position;
    Some(state)
}

fn not_found() -> Refusal {
    Refusal::NotFound(FieldError::new(
        "inquiry_id",
        "指定された照会が見つかりません。`anpi inquiry list` で照会IDを確認してください",
    ))
}

/// An inquiry that is closed (answered or refused) takes no further step.
fn open(state: Option<&InquiryState>) -> Result<&InquiryState, Refusal> {
    let state = state.ok_or_else(not_found)?;
    if let Some(answered) = &state.answered {
        return Err(Refusal::Conflict(FieldError::new(
            "inquiry_id",
            format!(
                "この照会には回答済みです（{}）。新たな照会として受け付けてください",
                answered.step.by
            ),
        )));
    }
    if state.refused.is_some() {
        return Err(Refusal::Conflict(FieldError::new(
            "inquiry_id",
            "この照会は回答を拒否しています。新たな照会として受け付けてください",
        )));
    }
    Ok(state)
}

/// the person may be looked for (again) while the inquiry is open.
pub fn decide_identify(state: Option<&InquiryState>) -> Result<IncidentId, Refusal> {
    incident_of(open(state)?)
}

/// The incident an inquiry belongs to (T-04, T-06): identification and answers use
/// only its records. An inquiry registered before the incident was required has none
/// and is neither identified nor answered: it is registered again, with its incident.
pub fn incident_of(state: &InquiryState) -> Result<IncidentId, Refusal> {
    state.incident.ok_or_else(|| {
        Refusal::Conflict(FieldError::new(
            "incident_id",
            "この照会には事案が指定されていません。事案を指定して新たな照会として受け付けてください（訓練の安否情報と実事案の安否情報は混ぜません）",
        ))
    })
}

/// The record an answer is about belongs to the inquiry's incident (T-04, T-06): a
/// record of another incident — a drill beside an actual incident — is never answered,
/// whatever the identification said.
pub fn decide_answer_record(state: &InquiryState, record: &RecordState) -> Result<(), Refusal> {
    if incident_of(state)? == record.incident {
        Ok(())
    } else {
        Err(Refusal::Conflict(FieldError::new(
            "inquiry_id",
            "特定した安否情報が見つかりません。もう一度 `anpi inquiry identify` を実行してください",
        )))
    }
}

/// refusing needs the reason, in words.
pub fn decide_refuse(state: Option<&InquiryState>, reason: &str) -> Result<String, Refusal> {
    open(state)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Refusal::Invalid(FieldError::new(
            "reason",
            "回答を拒否する理由（不当な目的と判断した事情）を入力してください",
        )));
    }
    Ok(reason.to_string())
}

/// an inquiry is answered once, after identification: about the identified
/// record, or 非該当 when nothing matched. Returns the record the answer is about.
pub fn decide_answer(state: Option<&InquiryState>) -> Result<Option<RecordId>, Refusal> {
    let state = open(state)?;
    incident_of(state)?;
    match state.identified.as_ref().map(|i| &i.identification) {
        None => Err(Refusal::Conflict(FieldError::new(
            "inquiry_id",
            "まだ被照会者を特定していません。先に `anpi inquiry identify` を実行してください",
        ))),
        Some(Identification::NotIdentified { ask_for, .. }) => {
            Err(Refusal::Conflict(FieldError::new(
                "inquiry_id",
                format!(
                    "被照会者を特定できていないため回答できません。照会者に被照会者を特定するための情報（{}など）を求め、新たな照会として受け付けてください（第5 3(3)イ）",
                    ask_for
                        .iter()
                        .map(|f| f.label_ja())
                        .collect::<Vec<_>>()
                        .join("、")
                ),
            )))
        }
        Some(Identification::Identified { record, .. }) => Ok(Some(*record)),
        Some(Identification::NotHeld) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Actor, NewEvent};
    use crate::ids::{AccountId, EventId};
    use crate::inquiry::{AnswerContext, InquiryDraft, answer, validate};
    use crate::jurisdiction::JurisdictionCode;
    use chrono::TimeZone;
    use uuid::Uuid;

    fn draft() -> InquiryDraft {
        serde_json::from_value(serde_json::json!({
            "channel": "form4",
            "inquirer": {"name": "消防 花子", "address": "東京都新宿区西新宿2-8-1"},
            "reason": "family",
            "identity": {"method": "document", "document": "運転免許証"},
            "target": {"name": "消防 太郎", "birth_date": "昭和56年11月25日", "sex": "男"}
        }))
        .unwrap()
    }

    fn the_incident() -> IncidentId {
        IncidentId::from_uuid(Uuid::from_u128(1))
    }

    // R: T-04, T-06 — an inquiry belongs to one incident: without one it is neither
    // identified nor answered, and a record of another incident is never answered.
    #[test]
    fn an_inquiry_answers_only_about_its_own_incident() {
        let id = InquiryId::from_uuid(Uuid::now_v7());
        let mut state = registered(id);
        assert_eq!(decide_identify(Some(&state)), Ok(the_incident()));
        let mut record = crate::inquiry::testing::record(1, &crate::entry::fixtures::evacuee());
        record.incident = the_incident();
        assert_eq!(decide_answer_record(&state, &record), Ok(()));
        record.incident = IncidentId::from_uuid(Uuid::from_u128(2));
        assert_eq!(
            decide_answer_record(&state, &record).unwrap_err().field,
            "inquiry_id"
        );
        state.incident = None;
        assert_eq!(
            decide_identify(Some(&state)).unwrap_err().field,
            "incident_id"
        );
        assert_eq!(
            decide_answer(Some(&state)).unwrap_err().field,
            "incident_id"
        );
    }

    fn event(position: i64, payload: Payload) -> Event {
        let code = JurisdictionCode::parse("131041").unwrap();
        Event {
            position,
            event: NewEvent {
                id: EventId::from_uuid(Uuid::now_v7()),
                incident: Some(the_incident()),
                origin: code.clone(),
                actor: Actor {
                    jurisdiction: code,
                    account: AccountId::parse("officer").unwrap(),
                },
                written_at: None,
                received_at: Utc.with_ymd_and_hms(2026, 11, 22, 1, 0, 0).unwrap(),
                sender: None,
                payload,
            },
        }
    }

    fn registered(id: InquiryId) -> InquiryState {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 1, 0, 0).unwrap();
        let inquiry = validate(&draft(), now).unwrap();
        apply(
            None,
            &event(
                5,
                Payload::InquiryRegistered {
                    inquiry_id: id,
                    inquiry: Box::new(inquiry),
                },
            ),
        )
        .unwrap()
    }

    fn identified(state: InquiryState, identification: Identification) -> InquiryState {
        let id = state.inquiry_id;
        apply(
            Some(state),
            &event(
                6,
                Payload::InquiryIdentified {
                    inquiry_id: id,
                    identification,
                    searched: Searched {
                        private: 1,
                        shared: 3,
                        dataset_version: Some(2),
                    },
                },
            ),
        )
        .unwrap()
    }

    #[test]
    fn an_inquiry_moves_from_registered_to_answered_once() {
        let id = InquiryId::from_uuid(Uuid::now_v7());
        let state = registered(id);
        assert_eq!(state.status(), InquiryStatus::Registered);
        assert!(
            decide_answer(Some(&state))
                .unwrap_err()
                .message
                .contains("identify")
        );
        decide_identify(Some(&state)).unwrap();
        let record = RecordId::from_uuid(Uuid::now_v7());
        let state = identified(
            state,
            Identification::Identified {
                record,
                by: crate::inquiry::IdentifiedBy::FourInformation,
                candidates: 1,
            },
        );
        assert_eq!(state.status(), InquiryStatus::Identified);
        assert_eq!(decide_answer(Some(&state)), Ok(Some(record)));
        let given = answer(&state.inquiry, None, &AnswerContext::default());
        let state = apply(
            Some(state),
            &event(
                7,
                Payload::InquiryAnswered {
                    inquiry_id: id,
                    record_id: Some(record),
                    answer: given.clone(),
                    form5: "様式第5号".into(),
                    channel: Some(crate::inquiry_types::AnswerChannel::Phone),
                },
            ),
        )
        .unwrap();
        assert_eq!(state.status(), InquiryStatus::Answered);
        assert_eq!(state.answered.as_ref().unwrap().answer, given);
        assert_eq!(
            state.answered.as_ref().unwrap().channel,
            Some(crate::inquiry_types::AnswerChannel::Phone)
        );
        assert_eq!(state.answered.as_ref().unwrap().step.by, "131041/officer");
        assert_eq!(state.last_position, 7);
        // Closed: no second answer, no refusal, no new identification.
        assert!(
            decide_answer(Some(&state))
                .unwrap_err()
                .message
                .contains("回答済み")
        );
        assert!(decide_refuse(Some(&state), "不当").is_err());
        assert!(decide_identify(Some(&state)).is_err());
    }

    #[test]
    fn not_identified_asks_for_more_and_not_held_answers_non_applicable() {
        let state = identified(
            registered(InquiryId::from_uuid(Uuid::now_v7())),
            Identification::NotIdentified {
                candidates: 2,
                ask_for: vec![TargetField::Address, TargetField::IdentifyingInfo],
            },
        );
        assert_eq!(state.status(), InquiryStatus::NotIdentified);
        assert_eq!(
            state.ask_for(),
            [TargetField::Address, TargetField::IdentifyingInfo]
        );
        let refused = decide_answer(Some(&state)).unwrap_err();
        assert!(refused.message.contains("住所"), "{}", refused.message);
        let state = identified(state, Identification::NotHeld);
        assert_eq!(state.status(), InquiryStatus::NotHeld);
        assert_eq!(decide_answer(Some(&state)), Ok(None));
    }

    #[test]
    fn refusal_needs_a_reason_and_closes_the_inquiry() {
        let id = InquiryId::from_uuid(Uuid::now_v7());
        let state = registered(id);
        assert_eq!(
            decide_refuse(Some(&state), "  ").unwrap_err().field,
            "reason"
        );
        let reason = decide_refuse(Some(&state), " 債権者の所在を聞き出す目的 ").unwrap();
        let state = apply(
            Some(state),
            &event(
                8,
                Payload::InquiryRefused {
                    inquiry_id: id,
                    reason,
                },
            ),
        )
        .unwrap();
        assert_eq!(state.status(), InquiryStatus::Refused);
        assert_eq!(
            state.refused.as_ref().unwrap().reason,
            "債権者の所在を聞き出す目的"
        );
        assert!(
            decide_answer(Some(&state))
                .unwrap_err()
                .message
                .contains("拒否")
        );
        assert_eq!(decide_identify(None).unwrap_err().field, "inquiry_id");
    }

    #[test]
    fn events_of_another_inquiry_change_nothing() {
        let state = registered(InquiryId::from_uuid(Uuid::now_v7()));
        let other = event(
            9,
            Payload::InquiryRefused {
                inquiry_id: InquiryId::from_uuid(Uuid::now_v7()),
                reason: "x".into(),
            },
        );
        assert_eq!(apply(Some(state.clone()), &other), Some(state));
        assert_eq!(apply(None, &other), None);
    }
}
