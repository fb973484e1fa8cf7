//! 様式第5号（第4条関係） 安否情報回答書, laid out as the guideline's 図5-3: the date,
//! the addressee with 殿, the answering body, the sentence naming the inquiry's date,
//! 記, the 被照会者 table and the form's 備考 1–5. The rows and their values are the
//! text form's (`anpi_core::inquiry::form5::rows`): withheld rows 「―」, the birth date
//! in era form, as-of values with their 記入日時. R, T-04.

use anpi_core::incident::Incident;
use anpi_core::inquiry::form5::{addressee, inquiry_sentence, rows};
use anpi_core::inquiry::{Answer, Inquiry};
use chrono::{DateTime, Utc};

use crate::common::{MARGIN_BOTTOM, MARGIN_X, era_date, hanging, hanging_height, start_page};
use crate::layout::flow::Flow;
use crate::layout::grid::{Cell, Content, Grid};
use crate::layout::{Align, Document, Measure, Page};

pub const TITLE: &str = "安否情報回答書";
pub const FORM_NUMBER: &str = "様式第5号（第4条関係）";

/// The form's 備考 (図5-3).
pub const NOTES: [&str; 5] = [
    "この用紙の大きさは、日本工業規格A4とすること。",
    "「避難住民に該当するか否かの別」欄には「該当」又は「非該当」と記入し、「武力攻撃災害により死亡し又は負傷した住民に該当するか否かの別」欄には「死亡」、「負傷」又は「非該当」と記入すること。",
    "「出生の年月日」欄は元号表記により記入すること。",
    "武力攻撃災害により死亡した住民にあっては、「負傷又は疾病の状況」欄に「死亡」と記入した上で、加えて「死亡の日時、場所及び状況」を記入し、「居所」欄に「遺体が安置されている場所」を記入すること。",
    "安否情報の収集時刻を「連絡先その他必要情報」に記入すること。",
];

const LABEL_SIZE: f32 = 10.0;
const VALUE_SIZE: f32 = 10.5;
const NOTE_SIZE: f32 = 8.5;

pub fn form5_document(
    m: &dyn Measure,
    inquiry: &Inquiry,
    answer: &Answer,
    incident: &Incident,
    answering_body: &str,
    answered_at: DateTime<Utc>,
) -> Document {
    let mut page = Page::a4_portrait();
    let left = MARGIN_X;
    let right = page.width - MARGIN_X;
    let width = right - left;
    let mut y = start_page(&mut page, m, MARGIN_X, Some(incident));
    page.text_line(m, left, right, y, 10.5, FORM_NUMBER, Align::Left, false);
    y += 28.0;
    page.text_line(m, left, right, y, 17.0, TITLE, Align::Center, true);
    y += 42.0;
    page.text_line(
        m,
        left,
        right,
        y,
        10.5,
        &era_date(answered_at),
        Align::Right,
        false,
    );
    y += 28.0;
    y = page.paragraph(
        m,
        left,
        left + width * 0.75,
        y,
        12.0,
        &format!("{}\u{3000}殿", addressee(inquiry)),
        Align::Left,
    );
    y += 12.0;
    y = page.paragraph(
        m,
        left + width * 0.35,
        right,
        y,
        12.0,
        answering_body.trim(),
        Align::Right,
    );
    y += 24.0;
    y = page.paragraph(
        m,
        left,
        right,
        y,
        10.5,
        &format!("\u{3000}{}", inquiry_sentence(inquiry)),
        Align::Left,
    );
    y += 14.0;
    page.text_line(m, left, right, y, 10.5, "記", Align::Center, false);
    y += 28.0;

    let grid = Grid {
        x: left,
        widths: vec![28.0, 172.0, width - 200.0],
        pad: 5.0,
        rule: 0.7,
    };
    let bottom = page.height - MARGIN_BOTTOM;
    let mut flow = Flow::new(
        page,
        y,
        bottom,
        Box::new(move |p: &mut Page| {
            let top = start_page(p, m, MARGIN_X, Some(incident));
            let heading = format!("{FORM_NUMBER}\u{3000}{TITLE}（続き）");
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
    let rows: Vec<(Vec<Cell>, f32)> = rows(answer)
        .into_iter()
        .map(|(label, value)| {
            let label = if label == "国籍" {
                Content::Stacked {
                    parts: vec![
                        Content::text("国籍", LABEL_SIZE),
                        Content::text("（日本国籍を有しない者に限る。）", 7.5),
                    ],
                }
            } else {
                Content::text(label, LABEL_SIZE)
            };
            (
                vec![
                    Cell::label(label),
                    Cell::value(Content::text(&value, VALUE_SIZE)),
                ],
                27.0,
            )
        })
        .collect();
    let label = Cell::label(Content::Vertical {
        text: "被照会者".into(),
        size: 11.0,
    });
    flow.group(&grid, m, 0, &label, &rows);
    flow.y += 14.0;
    for (n, note) in NOTES.iter().enumerate() {
        let lead = if n == 0 {
            "備考\u{3000}1\u{3000}".to_string()
        } else {
            format!("\u{3000}\u{3000}\u{3000}{}\u{3000}", n + 1)
        };
        let height = hanging_height(m, left, right, NOTE_SIZE, &lead, note);
        flow.ensure(height);
        let y = flow.y;
        flow.y = hanging(flow.page(), m, left, right, y, NOTE_SIZE, &lead, note) + 1.5;
    }
    Document {
        title: format!("{FORM_NUMBER} {TITLE}"),
        pages: flow.into_pages(),
    }
}
