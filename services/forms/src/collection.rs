//! 様式第1号（第1条関係） 安否情報収集様式（避難住民・負傷住民） and 様式第2号
//! （死亡住民）, laid out as the guideline's 図4-2 and 図4-3: the numbered rows ①…⑭
//! (⑪ on Form 2), the options to circle (男 女, 日本 その他（ ）, 負傷 非該当,
//! 回答を希望しない, 同意する 同意しない), ※備考 and the 注. Blank, for a shelter to
//! print and fill in by hand; or filled in from an entry as typed (a draft) or as
//! stored (a record, whose ID and state are printed under the title), the chosen
//! options circled. R: E-01, E-02, C-03, T-04.

use anpi_core::consent::{Agreement, ConsentDraft, ConsentField};
use anpi_core::entry::{EntryDraft, FormKind, LocationDraft, Sex};
use anpi_core::incident::Incident;
use anpi_core::private_area::RecordState;

use crate::common::{
    MARGIN_BOTTOM, MARGIN_X, era_day, era_of_typed, era_of_typed_moment, hanging, hanging_height,
    start_page,
};
use crate::layout::flow::Flow;
use crate::layout::grid::{Cell, Choice, Content, Grid};
use crate::layout::{Align, Document, Measure, Page};

/// What a collection form is filled in from.
#[derive(Debug, Clone, Copy)]
pub enum Filled<'a> {
    /// Nothing: the form to print and fill in by hand.
    Blank,
    /// An entry as typed (the entry file of `anpi entry add`).
    Draft(&'a EntryDraft),
    /// A stored record: its entry, with the record's ID and state.
    Record(&'a RecordState),
}

const LABEL_SIZE: f32 = 10.0;
const VALUE_SIZE: f32 = 10.5;
const NOTE_SIZE: f32 = 7.5;
/// How much higher than their least height the rows are drawn.
const ROW_SCALE: f32 = 1.15;

pub const FORM1_NOTES: [&str; 4] = [
    "本収集は、国民保護法第94条第1項の規定に基づき実施するものであり、個人情報の保護に十分留意しつつ、上記⑫～⑭の意向に沿って同法第95条第1項の規定に基づく安否情報の照会に対する回答に利用します。また、国民保護法上の救援（物資、医療の提供等）や避難・残留者の確認事務のため、行政内部で利用することがあります。さらに、記入情報の収集、パソコンの入力、回答等の際に企業や個人に業務委託する場合があります。",
    "親族・同居者・知人であるかの確認は、申請書面により形式的審査を行います。また、知人とは、友人、職場関係者、近所の者及びこれらに類する者を指します。",
    "「③出生の年月日」欄は元号表記により記入すること。",
    "回答情報の限定を希望する場合は備考欄にご記入願います。",
];

pub const FORM2_NOTES: [&str; 4] = [
    "本収集は、国民保護法第94条第1項の規定に基づき実施するものであり、親族・知人については、個人情報の保護に十分留意しつつ、原則として親族・同居者・知人からの照会があれば回答するとともに、上記⑪の意向に沿って同法第95条第1項の規定に基づく安否情報の照会に対する回答に利用します。また、国民保護法上の救援（物資、医療の提供等）や避難残留者の確認事務のため、行政内部で利用することがあります。さらに、記入情報の収集、パソコンの入力、回答等の際に企業や個人に業務委託する場合があります。",
    "親族・同居者・知人であるかの確認は申請書面により形式的審査を行います。また、知人とは、友人、職場関係者、近所の者及びこれらに類する者を指します。",
    "「③出生の年月日」欄は元号表記により記入すること。",
    "回答情報の限定を希望する場合は備考欄に御記入願います。",
];

pub const FORM2_NOTE5: &str = "⑪の回答者は、配偶者又は直近の直系親族を原則とします。";

/// ⑥: 日本, その他 with the country, or 不明 (circled as written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NationalityMark {
    None,
    Japan,
    Other(String),
    Unknown,
}

/// What a collection form shows, each value as it is printed. Empty everywhere for
/// the blank form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Values {
    pub form: FormKind,
    pub written_at: String,
    pub name: String,
    pub furigana: String,
    pub birth_date: String,
    pub sex: Option<Sex>,
    pub address: String,
    pub nationality: NationalityMark,
    pub identifying_info: String,
    /// ⑧: `Some(true)` 負傷, `Some(false)` 非該当.
    pub injured: Option<bool>,
    pub injury_state: String,
    pub location: String,
    pub contact: String,
    /// ⑫, ⑬: 回答を希望しない circled.
    pub family_refused: bool,
    pub acquaintance_refused: bool,
    /// ⑭ (Form 1) or ⑪ (Form 2): 同意する / 同意しない circled.
    pub others: Option<Agreement>,
    pub remarks: String,
    /// Form 2 ⑧, ⑨ and the answerer of ⑪.
    pub death: String,
    pub body_location: String,
    pub bereaved_name: String,
    pub bereaved_contact: String,
    pub bereaved_address: String,
    pub bereaved_relationship: String,
    /// A stored record: its ID and state, printed under the title.
    pub record_line: String,
}

impl Values {
    pub fn blank(form: FormKind) -> Self {
        Values {
            form,
            written_at: String::new(),
            name: String::new(),
            furigana: String::new(),
            birth_date: String::new(),
            sex: None,
            address: String::new(),
            nationality: NationalityMark::None,
            identifying_info: String::new(),
            injured: None,
            injury_state: String::new(),
            location: String::new(),
            contact: String::new(),
            family_refused: false,
            acquaintance_refused: false,
            others: None,
            remarks: String::new(),
            death: String::new(),
            body_location: String::new(),
            bereaved_name: String::new(),
            bereaved_contact: String::new(),
            bereaved_address: String::new(),
            bereaved_relationship: String::new(),
            record_line: String::new(),
        }
    }

    /// An entry as typed: dates in era form when they can be read (注3), the options
    /// as chosen, restrictions of single items written into 備考 (注4).
    pub fn of_draft(draft: &EntryDraft) -> Self {
        let t = |s: &str| s.trim().to_string();
        let mut v = Values::blank(draft.form);
        if !draft.written_at.trim().is_empty() {
            v.written_at = era_of_typed_moment(&draft.written_at);
        }
        v.name = match (draft.name.trim(), draft.alias.trim()) {
            (name, "") => name.to_string(),
            (name, alias) => format!("{name}（通称：{alias}）"),
        };
        v.furigana = t(&draft.furigana);
        v.birth_date = era_of_typed(&draft.birth_date);
        v.sex = Sex::parse(&draft.sex);
        v.address = address_of(draft);
        v.nationality = match draft.nationality.kind.trim() {
            "" | "日本" => NationalityMark::Japan,
            "不明" => NationalityMark::Unknown,
            _ => NationalityMark::Other(t(&draft.nationality.other)),
        };
        v.identifying_info = t(&draft.identifying_info);
        if draft.consent.not_confirmable && !v.identifying_info.contains("意思確認不可") {
            v.identifying_info = join("、", &[&v.identifying_info, "意思確認不可"]);
        }
        v.injured = match draft.injury.status.trim() {
            "負傷" => Some(true),
            "非該当" => Some(false),
            _ => None,
        };
        v.injury_state = join(
            "：",
            &[
                draft.injury.severity.trim(),
                draft.injury.description.trim(),
            ],
        );
        v.location = location_of(&draft.location);
        v.contact = t(&draft.contact);
        v.family_refused = draft.consent.family == Some(false);
        v.acquaintance_refused = draft.consent.acquaintance == Some(false);
        v.remarks = join(
            "\n",
            &[
                draft.remarks.trim(),
                &restrictions(&draft.consent, draft.form),
            ],
        );
        match draft.form {
            FormKind::Form1 => {
                v.others =
                    Agreement::parse(&draft.consent.others).filter(|a| *a != Agreement::Unknown);
            }
            FormKind::Form2 => {
                v.others =
                    Agreement::parse(&draft.bereaved.consent).filter(|a| *a != Agreement::Unknown);
                v.death = death_of(draft);
                v.body_location = t(&draft.body_location);
                v.bereaved_name = t(&draft.bereaved.name);
                v.bereaved_contact = t(&draft.bereaved.contact);
                v.bereaved_address = t(&draft.bereaved.address);
                v.bereaved_relationship = t(&draft.bereaved.relationship);
            }
        }
        v
    }

    /// A stored record: its entry as typed, the furigana and birth date as read, and
    /// the record's ID and state.
    pub fn of_record(record: &RecordState) -> Self {
        let entry = &record.entry;
        let mut v = Values::of_draft(&entry.draft);
        if let Some(furigana) = &entry.parsed.furigana {
            v.furigana = furigana.clone();
        }
        if let Some(date) = entry.parsed.birth_date {
            v.birth_date = era_day(date);
        }
        v.written_at = crate::common::era_date_time(entry.parsed.written_at);
        let mut state = format!("状態：{}", record.label().label_ja());
        if let Some(departure) = &record.departure {
            state.push_str(&format!("（退去日 {}）", era_day(departure.date)));
        }
        if let Some(deletion) = &record.deletion {
            state.push_str(&format!("（削除理由：{}）", deletion.reason.trim()));
        }
        v.record_line = format!("安否情報ID {}\u{3000}{state}", record.record_id);
        v
    }
}

fn join(separator: &str, parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(separator)
}

/// ⑤ with its postal code: `〒100-8926 東京都千代田区…`, or the foreign address.
pub fn address_of(draft: &EntryDraft) -> String {
    let a = &draft.address;
    let place = if a.foreign.trim().is_empty() {
        [&a.prefecture, &a.municipality, &a.town, &a.lot]
            .iter()
            .map(|s| s.trim())
            .collect::<String>()
    } else {
        a.foreign.trim().to_string()
    };
    match a.postal_code.trim() {
        "" => place,
        code => join(" ", &[&format!("〒{code}"), &place]),
    }
}

/// ⑩ as one line: the address, the place, and the category in brackets.
pub fn location_of(l: &LocationDraft) -> String {
    let address: String = [&l.prefecture, &l.municipality, &l.town, &l.lot]
        .iter()
        .map(|s| s.trim())
        .collect();
    let text = join(" ", &[&address, l.place_name.trim()]);
    match (text.is_empty(), l.category.trim()) {
        (_, "") => text,
        (true, category) => category.to_string(),
        (false, category) => format!("{text}（{category}）"),
    }
}

/// Form 2 ⑧: when (era form), where, how, and the markers the guideline asks for.
fn death_of(draft: &EntryDraft) -> String {
    let d = &draft.death;
    let when = join(" ", &[&era_of_typed(&d.date), &time_of_day(&d.time)]);
    let mut text = join("\u{3000}", &[&when, d.place.trim()]);
    text = join("\n", &[&text, d.circumstances.trim()]);
    if d.discovered {
        text = join("\n", &[&text, "（発見された日時及び場所）"]);
    }
    if d.no_medical_certificate {
        text = join("\n", &[&text, "（診断書等無し）"]);
    }
    text
}

/// A time of day as `9時40分` when it reads as `HH:MM`, else as typed.
fn time_of_day(text: &str) -> String {
    let text = text.trim();
    let parts: Vec<&str> = text.split([':', '：']).collect();
    match parts.as_slice() {
        [h, m] => match (h.trim().parse::<u32>(), m.trim().parse::<u32>()) {
            (Ok(h), Ok(m)) if h < 24 && m < 60 => format!("{h}時{m}分"),
            _ => text.to_string(),
        },
        _ => text.to_string(),
    }
}

/// The restrictions of single items (注4), in words.
pub fn restrictions(consent: &ConsentDraft, form: FormKind) -> String {
    let mut parts = Vec::new();
    for (key, choice) in &consent.fields {
        let label = match ConsentField::from_key(key) {
            Some(field) if form == FormKind::Form2 => field.deceased_label_ja(),
            Some(field) => field.label_ja(),
            None => key.as_str(),
        };
        let words: Vec<String> = [
            ("親族・同居者", choice.family),
            ("知人", choice.acquaintance),
            ("それ以外の者", choice.others),
        ]
        .into_iter()
        .filter_map(|(whom, allowed)| {
            allowed.map(|yes| {
                format!(
                    "{whom}に{}",
                    if yes {
                        "回答する"
                    } else {
                        "回答しない"
                    }
                )
            })
        })
        .collect();
        if !words.is_empty() {
            parts.push(format!("{label}（{}）", words.join("・")));
        }
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("回答情報の限定：{}", parts.join("、"))
    }
}

pub fn collection_document(
    m: &dyn Measure,
    kind: FormKind,
    filled: Filled<'_>,
    incident: Option<&Incident>,
) -> Document {
    let values = match filled {
        Filled::Blank => Values::blank(kind),
        Filled::Draft(draft) => Values::of_draft(draft),
        Filled::Record(record) => Values::of_record(record),
    };
    let blank = matches!(filled, Filled::Blank);
    layout(m, &values, blank, incident)
}

fn title_of(form: FormKind) -> (&'static str, &'static str) {
    match form {
        FormKind::Form1 => (
            "様式第1号（第1条関係）",
            "安否情報収集様式（避難住民・負傷住民）",
        ),
        FormKind::Form2 => ("様式第2号（第1条関係）", "安否情報収集様式（死亡住民）"),
    }
}

fn label(text: &str) -> Cell {
    Cell::label(Content::text(text, LABEL_SIZE))
}

fn small_label(text: &str) -> Cell {
    Cell::label(Content::text(text, 8.5))
}

fn value(text: &str) -> Cell {
    Cell::value(Content::text(text, VALUE_SIZE))
}

fn choices(options: Vec<Choice>) -> Cell {
    Cell::value(Content::choices(options, VALUE_SIZE))
}

fn layout(m: &dyn Measure, v: &Values, blank: bool, incident: Option<&Incident>) -> Document {
    let (number, title) = title_of(v.form);
    let mut page = Page::a4_portrait();
    let left = MARGIN_X;
    let right = page.width - MARGIN_X;
    let width = right - left;
    let mut y = start_page(&mut page, m, MARGIN_X, incident);
    page.text_line(m, left, right, y, 10.0, number, Align::Left, false);
    y += 20.0;
    page.text_line(m, left, right, y, 15.0, title, Align::Center, true);
    y += 26.0;
    let written = if blank {
        "記入日時（\u{3000}\u{3000}\u{3000}年\u{3000}\u{3000}月\u{3000}\u{3000}日\u{3000}\u{3000}時\u{3000}\u{3000}分）".to_string()
    } else {
        format!("記入日時（{}）", v.written_at)
    };
    page.text_line(m, left, right, y, 10.0, &written, Align::Right, false);
    y += 16.0;
    if !v.record_line.is_empty() {
        page.text_line(m, left, right, y, 8.0, &v.record_line, Align::Right, false);
        y += 13.0;
    }
    y += 4.0;

    let grid = Grid {
        x: left,
        widths: vec![width * 0.42, width * 0.58],
        pad: 5.0,
        rule: 0.7,
    };
    let bottom = page.height - MARGIN_BOTTOM;
    let mut flow = Flow::new(
        page,
        y,
        bottom,
        Box::new(move |p: &mut Page| {
            let top = start_page(p, m, MARGIN_X, incident);
            let heading = format!("{number}\u{3000}{title}（続き）");
            p.text_line(
                m,
                MARGIN_X,
                p.width - MARGIN_X,
                top,
                9.0,
                &heading,
                Align::Left,
                false,
            );
            top + 22.0
        }),
    );
    // The rows' heights leave room to write by hand (about 10 mm and more).
    let row = |flow: &mut Flow<'_>, cells: Vec<Cell>, min: f32| {
        flow.row(&grid, m, 0, &cells, min * ROW_SCALE)
    };

    let sex = |s: Sex| v.sex == Some(s);
    let birth = if blank {
        Cell::value(Content::Text {
            text: "年\u{3000}\u{3000}\u{3000}月\u{3000}\u{3000}\u{3000}日\u{3000}\u{3000}".into(),
            size: VALUE_SIZE,
            align: Align::Right,
        })
    } else {
        value(&v.birth_date)
    };
    let nationality = {
        let (japan, other, text) = match &v.nationality {
            NationalityMark::Japan => (true, false, String::new()),
            NationalityMark::Other(name) => (false, true, name.clone()),
            _ => (false, false, String::new()),
        };
        let mut options = vec![
            Choice::plain("日本", japan),
            Choice::with_blank("その他", other, &text),
        ];
        if v.nationality == NationalityMark::Unknown {
            options.push(Choice::plain("不明", true));
        }
        choices(options)
    };
    row(
        &mut flow,
        vec![label("①\u{3000}氏名"), value(&v.name)],
        32.0,
    );
    row(
        &mut flow,
        vec![label("②\u{3000}フリガナ"), value(&v.furigana)],
        26.0,
    );
    row(&mut flow, vec![label("③\u{3000}出生の年月日"), birth], 26.0);
    row(
        &mut flow,
        vec![
            label("④\u{3000}男女の別"),
            choices(vec![
                Choice::plain("男", sex(Sex::Male)),
                Choice::plain("女", sex(Sex::Female)),
            ]),
        ],
        26.0,
    );
    let address = if blank { "〒" } else { v.address.as_str() };
    row(
        &mut flow,
        vec![
            label("⑤\u{3000}住所（郵便番号を含む。）"),
            Cell::value(Content::text(address, VALUE_SIZE)),
        ],
        42.0,
    );
    row(&mut flow, vec![label("⑥\u{3000}国籍"), nationality], 26.0);
    row(
        &mut flow,
        vec![
            label("⑦\u{3000}その他個人を識別するための情報"),
            value(&v.identifying_info),
        ],
        42.0,
    );
    match v.form {
        FormKind::Form1 => {
            row(
                &mut flow,
                vec![
                    label("⑧\u{3000}負傷（疾病）の該当"),
                    choices(vec![
                        Choice::plain("負傷", v.injured == Some(true)),
                        Choice::plain("非該当", v.injured == Some(false)),
                    ]),
                ],
                26.0,
            );
            row(
                &mut flow,
                vec![label("⑨\u{3000}負傷又は疾病の状況"), value(&v.injury_state)],
                36.0,
            );
            row(
                &mut flow,
                vec![label("⑩\u{3000}現在の居所"), value(&v.location)],
                36.0,
            );
            row(
                &mut flow,
                vec![label("⑪\u{3000}連絡先その他必要情報"), value(&v.contact)],
                36.0,
            );
            row(
                &mut flow,
                vec![
                    small_label(
                        "⑫\u{3000}親族・同居者からの照会があれば、①～⑪を回答する予定ですが、回答を希望しない場合は、○で囲んで下さい。",
                    ),
                    choices(vec![Choice::plain("回答を希望しない", v.family_refused)]),
                ],
                30.0,
            );
            row(
                &mut flow,
                vec![
                    small_label(
                        "⑬\u{3000}知人からの照会があれば①⑦⑧を回答する予定ですが、回答を希望しない場合は○を囲んで下さい。",
                    ),
                    choices(vec![Choice::plain(
                        "回答を希望しない",
                        v.acquaintance_refused,
                    )]),
                ],
                30.0,
            );
            row(
                &mut flow,
                vec![
                    small_label(
                        "⑭\u{3000}①～⑪を親族・同居者・知人以外の者からの照会に対する回答又は公表することについて、同意するかどうか○で囲んで下さい。",
                    ),
                    agreement(v.others),
                ],
                30.0,
            );
        }
        FormKind::Form2 => {
            row(
                &mut flow,
                vec![label("⑧\u{3000}死亡の日時、場所及び状況"), value(&v.death)],
                52.0,
            );
            row(
                &mut flow,
                vec![
                    label("⑨\u{3000}遺体が安置されている場所"),
                    value(&v.body_location),
                ],
                36.0,
            );
            row(
                &mut flow,
                vec![label("⑩\u{3000}連絡先その他必要情報"), value(&v.contact)],
                36.0,
            );
            row(
                &mut flow,
                vec![
                    small_label(
                        "⑪\u{3000}①～⑩を親族・同居者・知人以外の者からの照会に対する回答することへの同意",
                    ),
                    agreement(v.others),
                ],
                30.0,
            );
        }
    }
    row(
        &mut flow,
        vec![label("※\u{3000}備考"), value(&v.remarks)],
        46.0,
    );

    flow.y += 8.0;
    let notes = match v.form {
        FormKind::Form1 => &FORM1_NOTES,
        FormKind::Form2 => &FORM2_NOTES,
    };
    for (n, note) in notes.iter().enumerate() {
        note_line(&mut flow, m, left, right, &format!("（注{}）", n + 1), note);
    }
    if v.form == FormKind::Form2 {
        flow.y += 8.0;
        let answerer = Grid {
            x: left,
            widths: vec![104.0, width * 0.5 - 104.0, 56.0, width * 0.5 - 56.0],
            pad: 5.0,
            rule: 0.7,
        };
        flow.row(
            &answerer,
            m,
            0,
            &[
                small_label("⑪の同意回答者名"),
                value(&v.bereaved_name),
                small_label("連絡先"),
                value(&v.bereaved_contact),
            ],
            28.0,
        );
        flow.row(
            &answerer,
            m,
            0,
            &[
                small_label("同意回答者住所"),
                value(&v.bereaved_address),
                small_label("続柄"),
                value(&v.bereaved_relationship),
            ],
            28.0,
        );
        flow.y += 4.0;
        note_line(&mut flow, m, left, right, "（注5）", FORM2_NOTE5);
    }
    Document {
        title: format!("{number} {title}"),
        pages: flow.into_pages(),
    }
}

fn agreement(others: Option<Agreement>) -> Cell {
    choices(vec![
        Choice::plain("同意する", others == Some(Agreement::Agree)),
        Choice::plain("同意しない", others == Some(Agreement::Disagree)),
    ])
}

fn note_line(flow: &mut Flow<'_>, m: &dyn Measure, left: f32, right: f32, lead: &str, text: &str) {
    let height = hanging_height(m, left, right, NOTE_SIZE, lead, text);
    flow.ensure(height);
    let y = flow.y;
    flow.y = hanging(flow.page(), m, left, right, y, NOTE_SIZE, lead, text) + 1.0;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::{Fixed, Item};
    use anpi_core::consent::FieldChoice;
    use anpi_core::entry::fixtures::{deceased, evacuee, injured};

    #[test]
    fn a_draft_is_printed_as_typed_with_dates_in_era_form() {
        let mut draft = injured();
        draft.address.postal_code = "100-8926".into();
        draft.alias = "ショウちゃん".into();
        draft.consent.family = Some(false);
        draft.consent.others = "同意する".into();
        draft.consent.fields.insert(
            "contact".into(),
            FieldChoice {
                family: Some(false),
                ..FieldChoice::default()
            },
        );
        let v = Values::of_draft(&draft);
        assert_eq!(v.written_at, "令和8年11月21日 14時30分");
        assert_eq!(v.name, "消防　太郎（通称：ショウちゃん）");
        assert_eq!(v.birth_date, "昭和56年11月25日");
        assert_eq!(v.sex, Some(Sex::Male));
        assert_eq!(v.address, "〒100-8926 東京都千代田区霞が関2丁目1番2号");
        assert_eq!(v.nationality, NationalityMark::Japan);
        assert_eq!(v.injured, Some(true));
        assert_eq!(v.injury_state, "重症：頭部打撲、意識不明");
        assert_eq!(
            v.location,
            "東京都千代田区神田1丁目2番3号 千代田中央病院（医療機関）"
        );
        assert!(v.family_refused && !v.acquaintance_refused);
        assert_eq!(v.others, Some(Agreement::Agree));
        assert_eq!(
            v.remarks,
            "回答情報の限定：連絡先その他必要情報（親族・同居者に回答しない）"
        );
    }

    #[test]
    fn a_deceased_draft_fills_form_2() {
        let v = Values::of_draft(&deceased());
        assert_eq!(v.form, FormKind::Form2);
        assert_eq!(
            v.death,
            "令和8年11月21日 9時40分\u{3000}千代田区永田町1丁目付近\n建物の倒壊に巻き込まれて死亡"
        );
        assert_eq!(v.body_location, "千代田区総合体育館");
        assert_eq!(v.others, Some(Agreement::Disagree));
        assert_eq!(v.bereaved_name, "消防　良子");
        assert_eq!(v.bereaved_relationship, "妻");
    }

    fn circled(doc: &Document) -> Vec<String> {
        // The text runs each ellipse encloses.
        let page = &doc.pages[0];
        let mut out = Vec::new();
        for item in &page.items {
            if let Item::Oval { cx, cy, rx, ry, .. } = item {
                for other in &page.items {
                    if let Item::Text(run) = other
                        && (run.x - (cx - rx)).abs() < 10.0
                        && (run.baseline - cy).abs() < *ry
                    {
                        out.push(run.text.clone());
                    }
                }
            }
        }
        out
    }

    #[test]
    fn the_chosen_options_are_circled_and_a_blank_form_circles_nothing() {
        let mut draft = evacuee();
        draft.sex = "女".into();
        draft.consent.acquaintance = Some(false);
        draft.consent.others = "同意しない".into();
        let doc = collection_document(&Fixed, FormKind::Form1, Filled::Draft(&draft), None);
        assert_eq!(
            circled(&doc),
            ["女", "日本", "非該当", "回答を希望しない", "同意しない"]
        );
        let blank = collection_document(&Fixed, FormKind::Form1, Filled::Blank, None);
        assert!(circled(&blank).is_empty());
        let texts = blank.pages[0].texts().concat();
        for row in [
            "①\u{3000}氏名",
            "⑭\u{3000}①～⑪",
            "※\u{3000}備考",
            "（注4）",
            "男",
            "同意しない",
        ] {
            assert!(texts.contains(row), "{row}");
        }
    }

    #[test]
    fn a_blank_form_fits_one_page_and_the_text_stays_inside_it() {
        let drill = anpi_core::incident::Incident {
            id: anpi_core::ids::IncidentId::from_uuid(uuid::Uuid::from_u128(1)),
            name: "令和8年度 千代田区総合防災訓練".into(),
            mode: anpi_core::incident::IncidentMode::Drill,
            created_at: chrono::Utc::now(),
        };
        for (kind, incident) in [
            (FormKind::Form1, None),
            (FormKind::Form2, None),
            (FormKind::Form1, Some(&drill)),
            (FormKind::Form2, Some(&drill)),
        ] {
            let doc = collection_document(&Fixed, kind, Filled::Blank, incident);
            assert_eq!(doc.pages.len(), 1, "{kind:?}");
            for item in &doc.pages[0].items {
                if let Item::Text(run) = item {
                    assert!(run.x >= MARGIN_X - 0.01, "{run:?}");
                    assert!(
                        run.x + Fixed.width(&run.text, run.size)
                            <= doc.pages[0].width - MARGIN_X + 0.01,
                        "{run:?}"
                    );
                    assert!(
                        run.baseline <= doc.pages[0].height - MARGIN_BOTTOM,
                        "{run:?}"
                    );
                }
            }
        }
    }
}
