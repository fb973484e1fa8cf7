//! Helpers for the inquiry tests: drafts, records folded with `private_area::apply`.

use chrono::{DateTime, TimeZone, Utc};

use super::validate;
use crate::entry::{self, EntryDraft};
use crate::event::{Actor, Event, NewEvent, Payload};
use crate::ids::{AccountId, EventId, IncidentId, RecordId};
use crate::inquiry_types::{IdentityDraft, InquirerDraft, Inquiry, InquiryDraft, TargetDraft};
use crate::jurisdiction::JurisdictionCode;
use crate::private_area::{self, RecordState};

/// 2026-11-22 12:00 in Japan time.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 3, 0, 0).unwrap()
}

/// A Form 4 inquiry by the person's wife, checked with a driving licence, about the
/// guideline's example person (第5 3(3)ア), written with 表記ゆれ.
pub fn form4_family() -> InquiryDraft {
    InquiryDraft {
        channel: "form4".into(),
        inquired_at: "2026-11-22 09:15".into(),
        inquirer: InquirerDraft {
            kind: String::new(),
            name: "消防　花子".into(),
            address: "東京都千代田区霞が関2-1-2".into(),
            representative: String::new(),
            phone: "03-5253-0000".into(),
        },
        reason: "親族・同居者".into(),
        reason_text: String::new(),
        identity: IdentityDraft {
            method: "document".into(),
            document: "運転免許証".into(),
            ..IdentityDraft::default()
        },
        target: TargetDraft {
            name: "消防太郎".into(),
            furigana: "しょうぼう たろう".into(),
            birth_date: "平成16年6月18日".into(),
            sex: "男".into(),
            address: "東京都千代田区霞が関2-1-2".into(),
            ..TargetDraft::default()
        },
        remarks: String::new(),
    }
}

/// A valid inquiry from `form4_family` with the reason and target changed.
pub fn inquiry(reason: &str, target: TargetDraft) -> Inquiry {
    let mut draft = form4_family();
    draft.reason = reason.into();
    if reason == "other" {
        draft.reason_text = "報道のため".into();
    }
    draft.target = target;
    validate(&draft, now()).expect("a valid inquiry")
}

/// The guideline's example person (第5 3(3)ア) as a Form 1 draft, written as in the
/// example table: 消防 太郎, 平成16年6月18日, 男, 東京都千代田区霞ヶ関2丁目1番2号.
pub fn example_person() -> EntryDraft {
    let mut draft = entry::fixtures::evacuee();
    draft.name = "消防 太郎".into();
    draft.birth_date = "平成16年6月18日".into();
    draft.address.town = "霞ヶ関2丁目".into();
    draft.address.lot = "1番2号".into();
    draft
}

pub fn uuid(n: u128) -> uuid::Uuid {
    uuid::Uuid::from_u128(n)
}

fn code() -> JurisdictionCode {
    JurisdictionCode::parse("131016").unwrap()
}

fn actor() -> Actor {
    Actor {
        jurisdiction: code(),
        account: AccountId::parse("clerk").unwrap(),
    }
}

/// The record `n` holding `draft`, as the private area folds it.
pub fn record(n: u128, draft: &EntryDraft) -> RecordState {
    let entry = entry::validate(draft, now()).expect("a valid entry");
    let event = Event {
        position: n as i64,
        event: NewEvent {
            id: EventId::from_uuid(uuid(1000 + n)),
            incident: Some(IncidentId::from_uuid(uuid(1))),
            origin: code(),
            actor: actor(),
            written_at: Some(entry.parsed.written_at),
            received_at: now(),
            sender: None,
            payload: Payload::EntryRecorded {
                record_id: RecordId::from_uuid(uuid(n)),
                entry: Box::new(entry),
                supersedes: None,
            },
        },
    };
    private_area::apply(None, &event).expect("a record")
}

/// `state` after one more event about it.
fn follow(state: RecordState, payload: Payload) -> RecordState {
    let event = Event {
        position: state.last_position + 1,
        event: NewEvent {
            id: EventId::from_uuid(uuid(5000 + state.last_position as u128)),
            incident: Some(state.incident),
            origin: code(),
            actor: actor(),
            written_at: None,
            received_at: now(),
            sender: None,
            payload,
        },
    };
    private_area::apply(Some(state), &event).expect("a record")
}

/// `state` after a `DepartureRecorded` on `date`.
pub fn departed(state: RecordState, date: &str) -> RecordState {
    let record_id = state.record_id;
    let date = crate::era::parse_date(date).unwrap();
    follow(state, Payload::DepartureRecorded { record_id, date })
}

/// `state` after an `EntryDeleted`.
pub fn deleted(state: RecordState) -> RecordState {
    let record_id = state.record_id;
    let reason = "重複登録".to_string();
    follow(state, Payload::EntryDeleted { record_id, reason })
}

pub fn id(n: u128) -> RecordId {
    RecordId::from_uuid(uuid(n))
}
