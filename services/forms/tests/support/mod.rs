//! Domain values for the form tests and `examples/render-forms.rs`: records folded
//! with `private_area::apply` from the events the node would write (entry recorded,
//! departure, deletion), inquiries validated and answered by the domain, and the
//! poppler tools that read the PDFs back.
#![allow(dead_code)] // each user takes its part

use std::path::Path;
use std::process::Command;

use anpi_core::entry::{self, EntryDraft, fixtures};
use anpi_core::event::{Actor, Event, NewEvent, Payload};
use anpi_core::ids::{AccountId, EventId, IncidentId, RecordId};
use anpi_core::incident::{Incident, IncidentMode};
use anpi_core::inquiry::{
    self, Answer, AnswerContext, IdentityDraft, InquirerDraft, Inquiry, InquiryDraft, TargetDraft,
};
use anpi_core::jurisdiction::JurisdictionCode;
use anpi_core::private_area::{self, RecordState};
use chrono::{DateTime, TimeZone, Utc};

/// 2026-11-22 12:00 in Japan.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 3, 0, 0).unwrap()
}

fn uuid(n: u128) -> uuid::Uuid {
    uuid::Uuid::from_u128(n)
}

pub fn incident(mode: IncidentMode) -> Incident {
    Incident {
        id: IncidentId::from_uuid(uuid(1)),
        name: match mode {
            IncidentMode::Drill => "令和8年度 千代田区総合防災訓練".into(),
            IncidentMode::Actual => "首都直下地震".into(),
        },
        mode,
        created_at: now(),
    }
}

fn actor() -> Actor {
    Actor {
        jurisdiction: JurisdictionCode::parse("131016").unwrap(),
        account: AccountId::parse("clerk").unwrap(),
    }
}

fn event(
    position: i64,
    incident: IncidentId,
    written_at: Option<DateTime<Utc>>,
    payload: Payload,
) -> Event {
    Event {
        position,
        event: NewEvent {
            id: EventId::from_uuid(uuid(10_000 + position as u128)),
            incident: Some(incident),
            origin: actor().jurisdiction,
            actor: actor(),
            written_at,
            received_at: now(),
            sender: None,
            payload,
        },
    }
}

/// Record `n` holding `draft`, as the private area folds its `EntryRecorded`.
pub fn record(n: u128, draft: &EntryDraft) -> RecordState {
    let entry = entry::validate(draft, now()).expect("a valid entry");
    let written_at = Some(entry.parsed.written_at);
    let payload = Payload::EntryRecorded {
        record_id: RecordId::from_uuid(uuid(n)),
        entry: Box::new(entry),
        supersedes: None,
    };
    private_area::apply(
        None,
        &event(
            n as i64 * 10,
            IncidentId::from_uuid(uuid(1)),
            written_at,
            payload,
        ),
    )
    .expect("a record")
}

fn follow(state: RecordState, payload: Payload) -> RecordState {
    let position = state.last_position + 1;
    let incident = state.incident;
    private_area::apply(Some(state), &event(position, incident, None, payload)).expect("a record")
}

/// `state` after its person left the shelter on `date`.
pub fn departed(state: RecordState, date: &str) -> RecordState {
    let record_id = state.record_id;
    let date = anpi_core::era::parse_date(date).unwrap();
    follow(state, Payload::DepartureRecorded { record_id, date })
}

/// `state` after its deletion for `reason`.
pub fn deleted(state: RecordState, reason: &str) -> RecordState {
    let record_id = state.record_id;
    follow(
        state,
        Payload::EntryDeleted {
            record_id,
            reason: reason.into(),
        },
    )
}

/// An address long enough to wrap in Form 3's address column.
pub const LONG_ADDRESS_TOWN: &str = "霞が関二丁目中央合同庁舎第二号館北側別館地下一階防災センター";

/// Form 3's records: an injured person, a departed evacuee, a deceased person, a
/// deleted duplicate and a person with a long address.
pub fn form3_records() -> Vec<RecordState> {
    let injured = record(1, &fixtures::injured());
    let mut evacuee = fixtures::numbered_evacuee(2);
    evacuee.name = "避難　花子".into();
    evacuee.furigana = "ヒナン　ハナコ".into();
    let departed = departed(record(2, &evacuee), "2026-11-23");
    let deceased = record(3, &fixtures::deceased());
    let mut duplicate = fixtures::numbered_evacuee(4);
    duplicate.name = "重複　四郎".into();
    let deleted = deleted(record(4, &duplicate), "重複登録");
    let mut long = fixtures::numbered_evacuee(5);
    long.name = "長住所　五郎".into();
    long.furigana = "ナガジュウショ　ゴロウ".into();
    long.birth_date = "平成2年4月1日".into();
    long.address.town = LONG_ADDRESS_TOWN.into();
    long.address.postal_code = "100-8926".into();
    long.identifying_info = "身長180cm程度、黒縁の眼鏡、灰色の作業服、左手首に腕時計".into();
    let long = record(5, &long);
    vec![injured, departed, deceased, deleted, long]
}

/// `count` numbered evacuees (a Form 3 of several pages).
pub fn many_records(count: usize) -> Vec<RecordState> {
    (1..=count)
        .map(|n| record(100 + n as u128, &fixtures::numbered_evacuee(n)))
        .collect()
}

/// The wife asks about 消防 太郎 on Form 4.
pub fn family_inquiry_draft() -> InquiryDraft {
    InquiryDraft {
        channel: "form4".into(),
        inquired_at: "2026-11-22 10:15".into(),
        inquirer: InquirerDraft {
            kind: "person".into(),
            name: "消防　花子".into(),
            address: "東京都新宿区西新宿2-8-1".into(),
            representative: String::new(),
            phone: "03-5320-0000".into(),
        },
        reason: "family".into(),
        reason_text: String::new(),
        identity: IdentityDraft {
            method: "document".into(),
            document: "運転免許証".into(),
            ..IdentityDraft::default()
        },
        target: TargetDraft {
            name: "消防 太郎".into(),
            furigana: "ショウボウ タロウ".into(),
            birth_date: "昭和56年11月25日".into(),
            sex: "男".into(),
            address: "東京都千代田区霞が関2-1-2".into(),
            nationality: "日本".into(),
            identifying_info: String::new(),
        },
        remarks: "夫の安否を知りたい".into(),
    }
}

pub fn family_inquiry() -> Inquiry {
    inquiry::validate(&family_inquiry_draft(), now()).expect("a valid inquiry")
}

/// An acquaintance asks about the injured 消防 太郎: most rows are withheld (表4-3).
pub fn acquaintance_inquiry() -> (Inquiry, Answer) {
    let mut draft = family_inquiry_draft();
    draft.reason = "acquaintance".into();
    draft.inquirer.name = "霞　次郎".into();
    draft.target.furigana = String::new();
    draft.target.birth_date = String::new();
    let inquiry = inquiry::validate(&draft, now()).expect("a valid inquiry");
    let answer = inquiry::answer(
        &inquiry,
        Some(&record(1, &fixtures::injured())),
        &AnswerContext::default(),
    );
    (inquiry, answer)
}

/// The wife's inquiry answered about the injured 消防 太郎: every row disclosed.
pub fn family_answer() -> (Inquiry, Answer) {
    let inquiry = family_inquiry();
    let answer = inquiry::answer(
        &inquiry,
        Some(&record(1, &fixtures::injured())),
        &AnswerContext::default(),
    );
    (inquiry, answer)
}

/// `pdftotext -layout FILE -`: the text of a PDF. Fails (not skips) without poppler.
pub fn pdftotext(path: &Path) -> String {
    String::from_utf8(poppler(
        "pdftotext",
        &["-layout", path.to_str().unwrap(), "-"],
    ))
    .unwrap()
}

/// `pdftotext -raw FILE -`: the text in drawing order, so that the lines of one
/// table cell follow each other.
pub fn pdftotext_raw(path: &Path) -> String {
    String::from_utf8(poppler("pdftotext", &["-raw", path.to_str().unwrap(), "-"])).unwrap()
}

/// `pdfinfo FILE`.
pub fn pdfinfo(path: &Path) -> String {
    String::from_utf8(poppler("pdfinfo", &[path.to_str().unwrap()])).unwrap()
}

/// `pdffonts FILE`.
pub fn pdffonts(path: &Path) -> String {
    String::from_utf8(poppler("pdffonts", &[path.to_str().unwrap()])).unwrap()
}

/// Page 1 of `pdf` as a PNG at 80 dpi.
pub fn png(pdf: &Path, png: &Path) {
    let stem = png.with_extension("");
    poppler(
        "pdftoppm",
        &[
            "-png",
            "-r",
            "80",
            "-singlefile",
            "-f",
            "1",
            "-l",
            "1",
            pdf.to_str().unwrap(),
            stem.to_str().unwrap(),
        ],
    );
}

fn poppler(tool: &str, args: &[&str]) -> Vec<u8> {
    let output = Command::new(tool).args(args).output().unwrap_or_else(|error| {
        panic!(
            "{tool} could not be run ({error}): the form tests need poppler-utils; run deploy/ensure-services.sh --browser"
        )
    });
    assert!(
        output.status.success(),
        "{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// The number after `Pages:` in pdfinfo's output.
pub fn page_count(info: &str) -> usize {
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("Pages: in pdfinfo")
}

/// The `Page size:` line of pdfinfo's output.
pub fn page_size(info: &str) -> String {
    info.lines()
        .find_map(|l| l.strip_prefix("Page size:"))
        .expect("Page size: in pdfinfo")
        .trim()
        .to_string()
}

/// `text` with every kind of space removed (pdftotext lays out columns with spaces
/// and breaks lines inside cells).
pub fn squeezed(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}
