//! 様式第3号（第2条関係） 安否情報報告書: the report sent by other means when the
//! system cannot be used (安否情報省令 第2条, guideline 第4 5(2)イ). A4 landscape, one
//! row per record with the items of Forms 1 and 2 (①…⑭, 備考) and the record's state
//! where it matters (退去 with its date, 削除 with its reason), over as many pages as
//! needed, the table header repeated and 「n / m ページ」 on every page. R: R-06, C-03,
//! T-04.

use anpi_core::consent::{Agreement, ConsentField};
use anpi_core::entry::FormKind;
use anpi_core::incident::{Incident, IncidentMode};
use anpi_core::inquiry::answer::record_value;
use anpi_core::private_area::RecordState;
use chrono::{DateTime, Utc};

use crate::collection::{address_of, restrictions};
use crate::common::{MARGIN_TOP, era_date_time, era_day, hanging, hanging_height, start_page};
use crate::layout::table::{
    Column, TableStyle, WrappedRow, draw_header, draw_piece, header_height, paginate, wrap_row,
};
use crate::layout::{Align, Document, Measure, Page};

pub const TITLE: &str = "安否情報報告書";
pub const FORM_NUMBER: &str = "様式第3号（第2条関係）";

/// Who reports, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form3Header {
    /// 報告日時.
    pub reported_at: DateTime<Utc>,
    /// The reporting body, e.g. 千代田区長.
    pub body: String,
    /// 担当者 (optional).
    pub officer: Option<String>,
}

const MARGIN_X: f32 = 22.0;
const FOOTER_GAP: f32 = 26.0;
const NOTE_SIZE: f32 = 7.5;

pub const NOTES: [&str; 5] = [
    "この用紙の大きさは、日本工業規格A4とすること。",
    "「③出生の年月日」欄は元号表記により記入すること。",
    "武力攻撃災害により死亡した住民にあっては、「⑧負傷（疾病）の該当」欄に「死亡」と、「⑨負傷又は疾病の状況」欄に「死亡」及び死亡の日時、場所及び状況を、「⑩現在の居所」欄に遺体が安置されている場所を記入すること。",
    "「⑫」から「⑭」までの欄には、安否情報の収集の際に確認した本人の意向（死亡した住民にあっては、原則として親族・同居者・知人に回答すること、及び同意回答者の同意）を記入すること。回答情報の限定は「備考」欄に記入すること。",
    "「状態」欄には、避難施設から退去した者はその旨及び退去の日を、削除された安否情報はその旨及び理由を記入すること。",
];

fn columns() -> Vec<Column> {
    let c = |header: &str, width: f32, align: Align| Column {
        header: header.to_string(),
        width,
        align,
    };
    // 797.9 points across (A4 landscape less the margins).
    vec![
        c("No.", 18.0, Align::Center),
        c("状態", 40.0, Align::Left),
        c("①氏名", 56.0, Align::Left),
        c("②フリガナ", 70.0, Align::Left),
        c("③出生の年月日", 70.0, Align::Left),
        c("④男女の別", 22.0, Align::Center),
        c("⑤住所", 70.0, Align::Left),
        c("⑥国籍", 28.0, Align::Left),
        c("⑦その他個人を識別するための情報", 52.0, Align::Left),
        c("⑧負傷（疾病）の該当", 28.0, Align::Center),
        c("⑨負傷又は疾病の状況", 62.0, Align::Left),
        c("⑩現在の居所", 60.0, Align::Left),
        c("⑪連絡先その他必要情報", 54.0, Align::Left),
        c("⑫親族・同居者への回答", 34.0, Align::Left),
        c("⑬知人への回答", 34.0, Align::Left),
        c(
            "⑭親族・同居者・知人以外への回答・公表の同意",
            38.0,
            Align::Left,
        ),
        c("備考", 61.9, Align::Left),
    ]
}

fn style() -> TableStyle {
    TableStyle {
        header_size: 6.5,
        body_size: 7.0,
        pad: 2.2,
        min_row: 20.0,
        rule: 0.5,
    }
}

/// One record's row: No., 状態, ①…⑭, 備考.
pub fn row_of(number: usize, record: &RecordState) -> Vec<String> {
    let entry = &record.entry;
    let draft = &entry.draft;
    let parsed = &entry.parsed;
    let value = |field| record_value(field, record);
    let dead = draft.form == FormKind::Form2;

    let mut state = Vec::new();
    if let Some(deletion) = &record.deletion {
        state.push(format!("削除\n（{}）", deletion.reason.trim()));
    }
    if let Some(departure) = &record.departure {
        // The era year on a line of its own, so that the date is not cut in the narrow column.
        state.push(format!(
            "退去\n{}",
            era_day(departure.date).replacen('年', "年\n", 1)
        ));
    }
    let birth = match value(ConsentField::BirthDate) {
        empty if empty.is_empty() => draft.birth_date.trim().to_string(),
        era => era,
    };
    let (family, acquaintance, others) = if dead {
        (
            "原則回答".to_string(),
            "原則回答".to_string(),
            format!("{}（同意回答者）", parsed.others.label_ja()),
        )
    } else if parsed.consent_not_confirmable {
        let unknown = "意思確認不可".to_string();
        (unknown.clone(), unknown.clone(), unknown)
    } else {
        let answer = |refused: bool| {
            if refused {
                "回答を希望しない".to_string()
            } else {
                "回答する".to_string()
            }
        };
        (
            answer(draft.consent.family == Some(false)),
            answer(draft.consent.acquaintance == Some(false)),
            match parsed.others {
                Agreement::Unknown => "不明".to_string(),
                other => other.label_ja().to_string(),
            },
        )
    };
    let mut remarks = Vec::new();
    if !draft.remarks.trim().is_empty() {
        remarks.push(draft.remarks.trim().to_string());
    }
    let limits = restrictions(&draft.consent, draft.form);
    if !limits.is_empty() {
        remarks.push(limits);
    }
    if dead {
        let b = &draft.bereaved;
        let mut who = b.name.trim().to_string();
        if !b.relationship.trim().is_empty() {
            who.push_str(&format!("（{}）", b.relationship.trim()));
        }
        for (label, text) in [("連絡先", b.contact.trim()), ("住所", b.address.trim())] {
            if !text.is_empty() {
                who.push_str(&format!("\u{3000}{label}：{text}"));
            }
        }
        if !who.trim().is_empty() {
            remarks.push(format!("同意回答者：{who}"));
        }
    }
    // Date and time each on a line of their own in the narrow column.
    remarks.push(format!(
        "記入日時：\n{}",
        era_date_time(parsed.written_at).replacen(' ', "\n", 1)
    ));

    vec![
        number.to_string(),
        state.join("\n"),
        value(ConsentField::Name),
        parsed
            .furigana
            .clone()
            .unwrap_or_else(|| draft.furigana.trim().to_string()),
        birth,
        value(ConsentField::Sex),
        address_of(draft),
        parsed.nationality.label_ja(),
        parsed.identifying_info.trim().to_string(),
        value(ConsentField::InjuryFlag),
        value(ConsentField::InjuryState),
        value(ConsentField::Location),
        value(ConsentField::Contact),
        family,
        acquaintance,
        others,
        remarks.join("\n"),
    ]
}

pub fn form3_document(
    m: &dyn Measure,
    header: &Form3Header,
    records: &[RecordState],
    incident: &Incident,
) -> Document {
    let columns = columns();
    let style = style();
    let blank = Page::a4_landscape();
    let left = MARGIN_X;
    let right = blank.width - MARGIN_X;
    let bottom = blank.height - FOOTER_GAP;
    let head_h = header_height(m, &columns, &style);

    // Where the table starts on the first page and on the others.
    let first_top = first_page_heading(&mut blank.clone(), m, header, incident);
    let next_top = next_page_heading(&mut blank.clone(), m, header, incident);

    let rows: Vec<WrappedRow> = records
        .iter()
        .enumerate()
        .map(|(n, record)| {
            wrap_row(
                m,
                &columns,
                style.body_size,
                style.pad,
                &row_of(n + 1, record),
            )
        })
        .collect();
    let counts: Vec<usize> = rows.iter().map(WrappedRow::lines).collect();
    let plan = paginate(
        &counts,
        &style,
        bottom - first_top - head_h,
        bottom - next_top - head_h,
    );
    // The notes follow the last row, on a page of their own if they do not fit.
    let notes_h: f32 = 6.0
        + NOTES
            .iter()
            .enumerate()
            .map(|(n, note)| hanging_height(m, left, right, NOTE_SIZE, &note_lead(n), note) + 1.0)
            .sum::<f32>();
    let last_used: f32 = plan
        .last()
        .map(|pieces| pieces.iter().map(|p| style.row_height(p.lines.len())).sum())
        .unwrap_or(0.0);
    let last_top = if plan.len() == 1 { first_top } else { next_top };
    let notes_fit = last_top + head_h + last_used + notes_h <= bottom;
    let total = plan.len() + usize::from(!notes_fit);

    let mut pages = Vec::new();
    for (index, pieces) in plan.iter().enumerate() {
        let mut page = blank.clone();
        let top = if index == 0 {
            first_page_heading(&mut page, m, header, incident)
        } else {
            next_page_heading(&mut page, m, header, incident)
        };
        let mut y = draw_header(&mut page, m, left, top, &columns, &style);
        if pieces.is_empty() {
            page.text_line(
                m,
                left,
                right,
                y + 6.0,
                9.0,
                "報告する安否情報はありません。",
                Align::Center,
                false,
            );
            y += 24.0;
        }
        for piece in pieces {
            y = draw_piece(
                &mut page,
                m,
                left,
                y,
                &columns,
                &style,
                &rows[piece.row],
                piece.lines.clone(),
            );
        }
        if index + 1 == plan.len() && notes_fit {
            notes(&mut page, m, left, right, y + 6.0);
        }
        footer(&mut page, m, index + 1, total);
        pages.push(page);
    }
    if !notes_fit {
        let mut page = blank.clone();
        let top = next_page_heading(&mut page, m, header, incident);
        notes(&mut page, m, left, right, top);
        footer(&mut page, m, total, total);
        pages.push(page);
    }
    Document {
        title: format!("{FORM_NUMBER} {TITLE}（{}）", incident.name.trim()),
        pages,
    }
}

fn note_lead(n: usize) -> String {
    if n == 0 {
        "備考\u{3000}1\u{3000}".to_string()
    } else {
        format!("\u{3000}\u{3000}\u{3000}{}\u{3000}", n + 1)
    }
}

fn notes(page: &mut Page, m: &dyn Measure, left: f32, right: f32, top: f32) {
    let mut y = top;
    for (n, note) in NOTES.iter().enumerate() {
        y = hanging(page, m, left, right, y, NOTE_SIZE, &note_lead(n), note) + 1.0;
    }
}

fn footer(page: &mut Page, m: &dyn Measure, n: usize, total: usize) {
    let y = page.height - 20.0;
    let width = page.width;
    page.text_line(
        m,
        0.0,
        width,
        y,
        8.0,
        &format!("{n} / {total} ページ"),
        Align::Center,
        false,
    );
}

fn reported(header: &Form3Header) -> Vec<(String, String)> {
    let mut lines = vec![
        ("報告日時".to_string(), era_date_time(header.reported_at)),
        ("報告者".to_string(), header.body.trim().to_string()),
    ];
    if let Some(officer) = header
        .officer
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty())
    {
        lines.push(("担当者".to_string(), officer.to_string()));
    }
    lines
}

fn incident_line(incident: &Incident) -> String {
    match incident.mode {
        IncidentMode::Drill => format!("事案：{}（訓練）", incident.name.trim()),
        IncidentMode::Actual => format!("事案：{}", incident.name.trim()),
    }
}

/// Starts a landscape page (the drill banner); where its heading begins.
fn landscape_top(page: &mut Page, m: &dyn Measure, incident: &Incident) -> f32 {
    match start_page(page, m, MARGIN_X, Some(incident)) {
        top if top > MARGIN_TOP => top,
        _ => 26.0,
    }
}

/// The first page's heading; where the table starts.
fn first_page_heading(
    page: &mut Page,
    m: &dyn Measure,
    header: &Form3Header,
    incident: &Incident,
) -> f32 {
    let left = MARGIN_X;
    let right = page.width - MARGIN_X;
    let top = landscape_top(page, m, incident);
    page.text_line(m, left, right, top, 9.0, FORM_NUMBER, Align::Left, false);
    page.text_line(m, left, right, top + 6.0, 16.0, TITLE, Align::Center, true);
    let mut y = top + 2.0;
    for (label, value) in reported(header) {
        page.text_line(
            m,
            left,
            right,
            y,
            9.5,
            &format!("{label}：{value}"),
            Align::Right,
            false,
        );
        y += 13.0;
    }
    page.text_line(
        m,
        left,
        right,
        top + 16.0,
        9.5,
        &incident_line(incident),
        Align::Left,
        false,
    );
    (y + 6.0).max(top + 40.0)
}

/// A later page's heading line; where the table starts.
fn next_page_heading(
    page: &mut Page,
    m: &dyn Measure,
    header: &Form3Header,
    incident: &Incident,
) -> f32 {
    let left = MARGIN_X;
    let right = page.width - MARGIN_X;
    let top = landscape_top(page, m, incident);
    let line = format!(
        "{FORM_NUMBER}\u{3000}{TITLE}（続き）\u{3000}{}\u{3000}報告日時：{}\u{3000}報告者：{}",
        incident_line(incident),
        era_date_time(header.reported_at),
        header.body.trim()
    );
    page.text_line(m, left, right, top, 8.5, &line, Align::Left, false);
    top + 16.0
}
