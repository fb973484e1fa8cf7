//! Given a state, when a command is decided, then these events or this refusal — one
//! test per command and per refusal, no database.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, TimeZone};

use super::*;
use crate::entry::fixtures::{deceased, evacuee};
use crate::event::{Actor, Event, NewEvent};
use crate::ids::{AccountId, EventId};
use crate::inquiry::testing::{form4_family, inquiry as inquiry_of, now, record, uuid};
use crate::jurisdiction::JurisdictionCode;

#[derive(Default)]
struct Given {
    records: HashMap<RecordId, RecordState>,
    inquiries: HashMap<InquiryId, InquiryState>,
    incidents: HashMap<IncidentId, Incident>,
    paused: HashSet<IntakeScope>,
    purged: HashSet<IncidentId>,
}

impl State for Given {
    fn record(&self, id: RecordId) -> Option<&RecordState> {
        self.records.get(&id)
    }
    fn inquiry(&self, id: InquiryId) -> Option<&InquiryState> {
        self.inquiries.get(&id)
    }
    fn incident(&self, id: IncidentId) -> Option<&Incident> {
        self.incidents.get(&id)
    }
    fn paused(&self, scope: IntakeScope) -> bool {
        self.paused.contains(&scope)
    }
    fn purged(&self, id: IncidentId) -> bool {
        self.purged.contains(&id)
    }
}

fn the_incident() -> IncidentId {
    IncidentId::from_uuid(uuid(1))
}

/// An actual incident (ID 1) and 消防 太郎's record (ID 10) under it.
fn given() -> Given {
    let mut given = Given::default();
    given.incidents.insert(
        the_incident(),
        Incident {
            id: the_incident(),
            name: "首都直下地震".into(),
            mode: IncidentMode::Actual,
            created_at: now(),
        },
    );
    let taro = record(10, &evacuee());
    given.records.insert(taro.record_id, taro);
    given
}

fn taro() -> RecordId {
    RecordId::from_uuid(uuid(10))
}

fn when(given: &Given, command: Command) -> Result<Decision, Refusal> {
    let mut next = 100u128;
    decide(given, &command, now(), &mut || {
        next += 1;
        uuid(next)
    })
}

fn events(decision: Result<Decision, Refusal>) -> Vec<Payload> {
    match decision {
        Ok(Decision::Events(events)) => events.into_iter().map(|d| d.payload).collect(),
        other => panic!("expected events, got {other:?}"),
    }
}

fn refused(decision: Result<Decision, Refusal>) -> Refusal {
    decision.expect_err("a refusal")
}

fn entry(draft: &crate::entry::EntryDraft) -> Box<Entry> {
    Box::new(crate::entry::validate(draft, now()).unwrap())
}

fn record_entry(supersedes: Option<RecordId>, draft: &crate::entry::EntryDraft) -> Command {
    Command::RecordEntry {
        incident: the_incident(),
        entry: entry(draft),
        supersedes,
        confirm_same_person: false,
    }
}

fn registered(given: &mut Given) -> InquiryId {
    let id = InquiryId::from_uuid(uuid(50));
    let code = JurisdictionCode::parse("131041").unwrap();
    let event = Event {
        position: 1,
        event: NewEvent {
            id: EventId::from_uuid(uuid(51)),
            incident: Some(the_incident()),
            origin: code.clone(),
            actor: Actor {
                jurisdiction: code,
                account: AccountId::parse("officer").unwrap(),
            },
            written_at: None,
            received_at: now(),
            sender: None,
            payload: Payload::InquiryRegistered {
                inquiry_id: id,
                inquiry: Box::new(crate::inquiry::validate(&form4_family(), now()).unwrap()),
            },
        },
    };
    given
        .inquiries
        .insert(id, crate::inquiry::state::apply(None, &event).unwrap());
    id
}

#[test]
fn a_new_incident_gets_a_new_id_and_keeps_its_scope() {
    let payloads = events(when(
        &given(),
        Command::CreateIncident {
            name: "訓練".into(),
            mode: IncidentMode::Drill,
            id: None,
            local: true,
        },
    ));
    let [Payload::IncidentCreated { incident, local }] = payloads.as_slice() else {
        panic!("{payloads:?}")
    };
    assert_eq!(incident.id, IncidentId::from_uuid(uuid(101)));
    assert!(*local);
}

#[test]
fn an_announced_incident_already_held_writes_nothing_and_a_taken_id_is_refused() {
    let given = given();
    let again = Command::CreateIncident {
        name: "首都直下地震".into(),
        mode: IncidentMode::Actual,
        id: Some(the_incident()),
        local: false,
    };
    assert!(matches!(when(&given, again), Ok(Decision::IncidentHeld(_))));
    let other = Command::CreateIncident {
        name: "別の事案".into(),
        mode: IncidentMode::Drill,
        id: Some(the_incident()),
        local: false,
    };
    assert!(matches!(refused(when(&given, other)), Refusal::Conflict(_)));
}

#[test]
fn an_entry_is_recorded_under_a_known_incident_only() {
    let payloads = events(when(&given(), record_entry(None, &evacuee())));
    assert!(matches!(
        payloads.as_slice(),
        [Payload::EntryRecorded {
            supersedes: None,
            ..
        }]
    ));
    let mut unknown = record_entry(None, &evacuee());
    if let Command::RecordEntry { incident, .. } = &mut unknown {
        *incident = IncidentId::from_uuid(uuid(2));
    }
    let refusal = refused(when(&given(), unknown));
    assert!(matches!(refusal, Refusal::NotFound(_)));
    assert_eq!(refusal.field, "incident_id");
}

#[test]
fn a_death_replaces_the_record_in_two_events_in_order() {
    // E-11: the Form 1 record's deletion, then the Form 2 entry.
    let payloads = events(when(&given(), record_entry(Some(taro()), &deceased())));
    match payloads.as_slice() {
        [
            Payload::EntryDeleted { record_id, reason },
            Payload::EntryRecorded { supersedes, .. },
        ] => {
            assert_eq!(*record_id, taro());
            assert_eq!(*supersedes, Some(taro()));
            assert!(reason.contains("死亡"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn replacing_an_unknown_or_another_person_s_record_is_refused() {
    let refusal = refused(when(
        &given(),
        record_entry(Some(RecordId::from_uuid(uuid(99))), &evacuee()),
    ));
    assert!(matches!(refusal, Refusal::Invalid(_)));
    let mut someone = evacuee();
    someone.name = "別人 次郎".into();
    let refusal = refused(when(&given(), record_entry(Some(taro()), &someone)));
    assert_eq!(refusal.field, "confirm_same_person");
}

#[test]
fn a_paused_own_intake_refuses_entries_and_departures_but_not_the_organisers_deletions() {
    let mut given = given();
    given.paused.insert(IntakeScope::Own);
    for command in [
        record_entry(None, &evacuee()),
        Command::RecordDeparture {
            record: taro(),
            date: "2026-11-22".into(),
            today: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
        },
    ] {
        assert!(matches!(refused(when(&given, command)), Refusal::Paused(_)));
    }
    // Guideline 第4 4(1) ①: the pause is for organising; deleting duplicates is part of it.
    let payloads = events(when(
        &given,
        Command::DeleteEntry {
            record: taro(),
            reason: "重複登録".into(),
        },
    ));
    assert!(matches!(
        payloads.as_slice(),
        [Payload::EntryDeleted { .. }]
    ));
}

#[test]
fn a_deletion_needs_a_live_record_and_a_reason() {
    let delete = |record, reason: &str| Command::DeleteEntry {
        record,
        reason: reason.into(),
    };
    let payloads = events(when(&given(), delete(taro(), "重複登録")));
    assert!(matches!(
        payloads.as_slice(),
        [Payload::EntryDeleted { .. }]
    ));
    let unknown = refused(when(&given(), delete(RecordId::from_uuid(uuid(99)), "x")));
    assert!(matches!(unknown, Refusal::NotFound(_)));
    assert!(matches!(
        refused(when(&given(), delete(taro(), " "))),
        Refusal::Invalid(_)
    ));
    let mut given = given();
    let gone = crate::inquiry::testing::deleted(given.records.remove(&taro()).unwrap());
    given.records.insert(taro(), gone);
    assert!(matches!(
        refused(when(&given, delete(taro(), "重複"))),
        Refusal::Conflict(_)
    ));
}

#[test]
fn a_departure_is_dated_and_not_in_the_future() {
    let depart = |date: &str| Command::RecordDeparture {
        record: taro(),
        date: date.into(),
        today: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
    };
    let payloads = events(when(&given(), depart("2026-11-22")));
    assert!(matches!(
        payloads.as_slice(),
        [Payload::DepartureRecorded { .. }]
    ));
    assert!(matches!(
        refused(when(&given(), depart("2026-12-31"))),
        Refusal::Invalid(_)
    ));
}

#[test]
fn a_merge_deletes_the_removed_record_of_the_same_incident() {
    let mut given = given();
    let twin = record(11, &evacuee());
    given.records.insert(twin.record_id, twin.clone());
    let payloads = events(when(
        &given,
        Command::MergeDuplicate {
            keep: taro(),
            remove: twin.record_id,
        },
    ));
    assert!(matches!(
        payloads.as_slice(),
        [Payload::EntryDeleted { record_id, .. }] if *record_id == twin.record_id
    ));
    let missing = Command::MergeDuplicate {
        keep: taro(),
        remove: RecordId::from_uuid(uuid(99)),
    };
    assert!(matches!(
        refused(when(&given, missing)),
        Refusal::NotFound(_)
    ));
}

#[test]
fn a_pause_already_in_place_writes_nothing() {
    let mut given = given();
    let pause = || Command::SetIntake {
        scope: IntakeScope::Reports,
        paused: true,
    };
    assert!(matches!(
        events(when(&given, pause())).as_slice(),
        [Payload::IntakePaused {
            scope: IntakeScope::Reports
        }]
    ));
    given.paused.insert(IntakeScope::Reports);
    assert_eq!(when(&given, pause()), Ok(Decision::IntakeUnchanged));
}

#[test]
fn an_inquiry_is_registered_under_a_known_incident() {
    let register = |incident| Command::RegisterInquiry {
        incident,
        inquiry: Box::new(inquiry_of(
            "family",
            crate::inquiry_types::TargetDraft {
                name: "消防 太郎".into(),
                ..Default::default()
            },
        )),
    };
    let payloads = events(when(&given(), register(the_incident())));
    assert!(matches!(
        payloads.as_slice(),
        [Payload::InquiryRegistered { .. }]
    ));
    let unknown = refused(when(&given(), register(IncidentId::from_uuid(uuid(3)))));
    assert!(matches!(unknown, Refusal::NotFound(_)));
}

#[test]
fn an_inquiry_is_identified_then_answered_about_the_identified_record() {
    let mut given = given();
    let id = registered(&mut given);
    let unknown = Command::IdentifyInquiry {
        inquiry: InquiryId::from_uuid(uuid(77)),
        identification: Identification::NotHeld,
        searched: Searched {
            private: 0,
            shared: 0,
            dataset_version: None,
        },
    };
    assert!(matches!(
        refused(when(&given, unknown)),
        Refusal::NotFound(_)
    ));
    // Answering before identifying is refused.
    let answer = |record| Command::AnswerInquiry {
        inquiry: id,
        record,
        answer: Box::new(crate::inquiry::answer(
            &given.inquiries[&id].inquiry,
            None,
            &crate::inquiry::AnswerContext::default(),
        )),
        form5: String::new(),
        channel: None,
    };
    assert!(matches!(
        refused(when(&given, answer(None))),
        Refusal::Conflict(_)
    ));
    let identify = Command::IdentifyInquiry {
        inquiry: id,
        identification: Identification::NotHeld,
        searched: Searched {
            private: 1,
            shared: 0,
            dataset_version: None,
        },
    };
    let payloads = events(when(&given, identify));
    assert!(matches!(
        payloads.as_slice(),
        [Payload::InquiryIdentified { .. }]
    ));
}

#[test]
fn a_refusal_of_an_inquiry_needs_its_reason() {
    let mut given = given();
    let id = registered(&mut given);
    let refuse = |reason: &str| Command::RefuseInquiry {
        inquiry: id,
        reason: reason.into(),
    };
    assert!(matches!(
        refused(when(&given, refuse(""))),
        Refusal::Invalid(_)
    ));
    let payloads = events(when(&given, refuse("名簿を作成するおそれ")));
    assert!(matches!(
        payloads.as_slice(),
        [Payload::InquiryRefused { .. }]
    ));
}

#[test]
fn entries_keep_their_written_time() {
    let Ok(Decision::Events(decided)) = when(&given(), record_entry(None, &evacuee())) else {
        panic!()
    };
    assert_eq!(
        decided[0].written_at,
        Some(
            chrono::Utc
                .with_ymd_and_hms(2026, 11, 21, 5, 30, 0)
                .unwrap()
        )
    );
    assert_eq!(decided[0].incident, Some(the_incident()));
}

#[test]
fn nothing_new_is_recorded_about_a_purged_incident() {
    // Issue 21: after the purge the incident takes no entry, inquiry or publication
    // decision; other incidents are not affected.
    let mut given = given();
    assert!(matches!(
        when(&given, record_entry(None, &evacuee())),
        Ok(Decision::Events(_))
    ));
    given.purged.insert(the_incident());
    for command in [
        record_entry(None, &evacuee()),
        Command::RegisterInquiry {
            incident: the_incident(),
            inquiry: Box::new(crate::inquiry::validate(&form4_family(), now()).unwrap()),
        },
    ] {
        let refusal = refused(when(&given, command));
        assert!(matches!(refusal, Refusal::Conflict(_)), "{refusal:?}");
        assert!(refusal.error().message.contains("消去されました"));
    }
}
