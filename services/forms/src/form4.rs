//! 様式第4号（第3条関係） 安否情報照会書, laid out as the guideline's 図5-1: the
//! addressee (総務大臣／都道府県知事／市町村長), the date, the 申請者, the sentence,
//! the reason to circle (①②③), 備考, 被照会者を特定するために必要な事項, the ※ rows the
//! officer fills in and the form's 備考 1–4. Blank, or filled in from a registered
//! inquiry (the ※ rows then hold how the inquirer's identity was checked and how the
//! inquiry came in). R: Q-01, C-03.

use anpi_core::entry::{Nationality, Sex};
use anpi_core::incident::Incident;
use anpi_core::inquiry::{Channel, IdentityCheck, Inquirer, Inquiry, Relationship};

use crate::common::{
    MARGIN_BOTTOM, MARGIN_X, era_date, era_day, hanging, hanging_height, start_page,
};
use crate::layout::flow::Flow;
use crate::layout::grid::{Cell, Choice, Content, Grid};
use crate::layout::{Align, Document, Measure, Page};

pub const TITLE: &str = "安否情報照会書";
pub const FORM_NUMBER: &str = "様式第4号（第3条関係）";

pub const NOTES: [&str; 4] = [
    "この用紙の大きさは、日本工業規格A4とします。",
    "法人その他の団体にあっては、その名称、代表者の氏名及び主たる事務所の所在地を記入願います。",
    "「出生の年月日」欄は元号表記により記入願います。",
    "※印の欄には記入しないで下さい。",
];

pub const SENTENCE: &str = "下記の者について、武力攻撃事態等における国民の保護のための措置に関する法律第95条第1項の規定に基づき、安否情報を照会します。";

const LABEL_SIZE: f32 = 9.5;
const VALUE_SIZE: f32 = 10.5;
const NOTE_SIZE: f32 = 8.5;

/// What Form 4 shows, as printed; empty for the blank form.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Values {
    pub date: String,
    pub applicant_address: String,
    pub applicant_name: String,
    pub applicant_phone: String,
    pub reason: Option<Relationship>,
    pub reason_text: String,
    pub remarks: String,
    pub name: String,
    pub furigana: String,
    pub birth_date: String,
    pub sex: Option<Sex>,
    pub address: String,
    /// `Some(None)`: 日本; `Some(Some(name))`: その他; `None`: not given.
    pub nationality: Option<Option<String>>,
    pub identifying_info: String,
    pub identity: String,
    pub officer_remarks: String,
}

impl Values {
    /// A registered inquiry: the target as the inquirer gave it (the birth date in era
    /// form), the ※ rows from how it was checked and taken.
    pub fn of(inquiry: &Inquiry) -> Self {
        let target = &inquiry.target;
        let raw = &target.raw;
        let (name, address, phone) = match &inquiry.inquirer {
            Inquirer::Person {
                name,
                address,
                phone,
            } => (name.clone(), address.clone(), phone.clone()),
            Inquirer::Organisation {
                name,
                representative,
                address,
                phone,
            } => (
                format!("{name}\u{3000}代表者\u{3000}{representative}"),
                address.clone(),
                phone.clone(),
            ),
        };
        let identity = match &inquiry.identity {
            IdentityCheck::Document { document } => {
                format!("書類の提示による確認（{}）", document.trim())
            }
            IdentityCheck::Alternative {
                confirmed_with,
                note,
            } => {
                let mut text = format!("{}に申請者の存在を確認", confirmed_with.trim());
                if !note.trim().is_empty() {
                    text.push_str(&format!("（{}）", note.trim()));
                }
                text
            }
        };
        let channel = match inquiry.channel {
            Channel::Form4 => "照会の方法：様式第4号の提出".to_string(),
            other => format!("照会の方法：{}", other.label_ja()),
        };
        Values {
            date: era_date(inquiry.inquired_at),
            applicant_address: address.trim().to_string(),
            applicant_name: name.trim().to_string(),
            applicant_phone: phone.trim().to_string(),
            reason: Some(inquiry.relationship),
            reason_text: inquiry.reason_text.trim().to_string(),
            remarks: inquiry.draft.remarks.trim().to_string(),
            name: raw.name.trim().to_string(),
            furigana: raw.furigana.trim().to_string(),
            birth_date: target
                .birth_date
                .map(era_day)
                .unwrap_or_else(|| raw.birth_date.trim().to_string()),
            sex: target.sex,
            address: raw.address.trim().to_string(),
            nationality: match &target.nationality {
                None => None,
                Some(Nationality::Japan) => Some(None),
                Some(Nationality::Other(name)) => Some(Some(name.clone())),
                Some(Nationality::Unknown) => Some(Some("不明".into())),
            },
            identifying_info: raw.identifying_info.trim().to_string(),
            identity,
            officer_remarks: channel,
        }
    }
}

fn label(text: &str) -> Cell {
    Cell::label(Content::text(text, LABEL_SIZE))
}

fn value(text: &str) -> Cell {
    Cell::value(Content::text(text, VALUE_SIZE))
}

pub fn form4_document(
    m: &dyn Measure,
    inquiry: Option<&Inquiry>,
    incident: Option<&Incident>,
) -> Document {
    let v = inquiry.map(Values::of).unwrap_or_default();
    let blank = inquiry.is_none();
    let mut page = Page::a4_portrait();
    let left = MARGIN_X;
    let right = page.width - MARGIN_X;
    let width = right - left;
    let mut y = start_page(&mut page, m, MARGIN_X, incident);
    page.text_line(m, left, right, y, 10.0, FORM_NUMBER, Align::Left, false);
    y += 24.0;
    page.text_line(m, left, right, y, 17.0, TITLE, Align::Center, true);
    y += 36.0;
    let date = if blank {
        "年\u{3000}\u{3000}\u{3000}月\u{3000}\u{3000}\u{3000}日"
    } else {
        &v.date
    };
    page.text_line(m, left, right, y, 10.5, date, Align::Right, false);
    // The addressee, as the form prints it (the office the form is handed to).
    for (n, line) in ["総務大臣", "（都道府県知事）\u{3000}殿", "（市町村長）"]
        .iter()
        .enumerate()
    {
        page.text_line(
            m,
            left,
            right,
            y + n as f32 * 15.0,
            10.5,
            line,
            Align::Left,
            false,
        );
    }
    y += 52.0;

    // 申請者: a block on the right half.
    let applicant = Grid {
        x: left + width * 0.38,
        widths: vec![24.0, 80.0, width * 0.62 - 104.0],
        pad: 4.0,
        rule: 0.7,
    };
    let mut rows = vec![
        (
            vec![label("住所（居所）"), value(&v.applicant_address)],
            30.0,
        ),
        (vec![label("氏名"), value(&v.applicant_name)], 30.0),
    ];
    if !v.applicant_phone.is_empty() {
        rows.push((vec![label("連絡先"), value(&v.applicant_phone)], 22.0));
    }
    let bottom = page.height - MARGIN_BOTTOM;
    let mut flow = Flow::new(
        page,
        y,
        bottom,
        Box::new(move |p: &mut Page| {
            let top = start_page(p, m, MARGIN_X, incident);
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
    flow.group(
        &applicant,
        m,
        0,
        &Cell::label(Content::Vertical {
            text: "申請者".into(),
            size: LABEL_SIZE,
        }),
        &rows,
    );
    flow.y += 16.0;
    flow.paragraph(
        m,
        left,
        right,
        10.5,
        &format!("\u{3000}{SENTENCE}"),
        Align::Left,
    );
    flow.y += 12.0;

    let grid = Grid {
        x: left,
        widths: vec![30.0, 120.0, width - 150.0],
        pad: 5.0,
        rule: 0.7,
    };
    let reason = |r: Relationship| v.reason == Some(r);
    let other_text = if blank { "" } else { v.reason_text.as_str() };
    let reasons = Content::Stacked {
        parts: vec![
            Content::choices(
                vec![Choice::followed_by(
                    "①",
                    reason(Relationship::Family),
                    "被照会者の親族又は同居者であるため。",
                )],
                VALUE_SIZE,
            ),
            Content::choices(
                vec![Choice::followed_by(
                    "②",
                    reason(Relationship::Acquaintance),
                    "被照会者の知人（友人、職場関係者及び近隣住民）であるため。",
                )],
                VALUE_SIZE,
            ),
            Content::choices(
                vec![Choice::followed_by(
                    "③",
                    reason(Relationship::Other),
                    "その他",
                )],
                VALUE_SIZE,
            ),
            Content::text(
                &format!("\u{3000}\u{3000}（{}）", pad_blank(other_text)),
                VALUE_SIZE,
            ),
        ],
    };
    flow.row(
        &grid,
        m,
        0,
        &[
            Cell::label(Content::Stacked {
                parts: vec![
                    Content::text("照会をする理由", LABEL_SIZE),
                    Content::text("（○を付けて下さい。③の場合は、理由を記入願います。）", 7.5),
                ],
            })
            .spanning(2),
            Cell::value(reasons),
        ],
        30.0,
    );
    flow.row(
        &grid,
        m,
        0,
        &[label("備考").spanning(2), value(&v.remarks)],
        40.0,
    );

    let sex = |s: Sex| v.sex == Some(s);
    let (japan, other, other_name) = match &v.nationality {
        Some(None) => (true, false, String::new()),
        Some(Some(name)) => (false, true, name.clone()),
        None => (false, false, String::new()),
    };
    let target_rows = vec![
        (vec![label("氏名"), value(&v.name)], 28.0),
        (vec![label("フリガナ"), value(&v.furigana)], 24.0),
        (
            vec![
                label("出生の年月日"),
                if blank {
                    Cell::value(Content::Text {
                        text:
                            "年\u{3000}\u{3000}\u{3000}月\u{3000}\u{3000}\u{3000}日\u{3000}\u{3000}"
                                .into(),
                        size: VALUE_SIZE,
                        align: Align::Right,
                    })
                } else {
                    value(&v.birth_date)
                },
            ],
            24.0,
        ),
        (
            vec![
                label("男女の別"),
                Cell::value(Content::choices(
                    vec![
                        Choice::plain("男", sex(Sex::Male)),
                        Choice::plain("女", sex(Sex::Female)),
                    ],
                    VALUE_SIZE,
                )),
            ],
            24.0,
        ),
        (vec![label("住所"), value(&v.address)], 32.0),
        (
            vec![
                Cell::label(Content::Stacked {
                    parts: vec![
                        Content::text("国籍", LABEL_SIZE),
                        Content::text("（日本国籍を有しない者に限る。）", 7.0),
                    ],
                }),
                Cell::value(Content::choices(
                    vec![
                        Choice::plain("日本", japan),
                        Choice::with_blank("その他", other, &other_name),
                    ],
                    VALUE_SIZE,
                )),
            ],
            26.0,
        ),
        (
            vec![
                label("その他個人を識別するための情報"),
                value(&v.identifying_info),
            ],
            40.0,
        ),
    ];
    flow.group(
        &grid,
        m,
        0,
        &Cell::label(Content::Vertical {
            text: "被照会者を特定するために必要な事項".into(),
            size: 8.5,
        }),
        &target_rows,
    );
    flow.row(
        &grid,
        m,
        0,
        &[
            label("※\u{3000}申請者の確認").spanning(2),
            value(&v.identity),
        ],
        32.0,
    );
    flow.row(
        &grid,
        m,
        0,
        &[
            label("※\u{3000}備考").spanning(2),
            value(&v.officer_remarks),
        ],
        32.0,
    );

    flow.y += 12.0;
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

/// The text to write in brackets, or room to write it by hand.
fn pad_blank(text: &str) -> String {
    if text.trim().is_empty() {
        "\u{3000}".repeat(16)
    } else {
        text.trim().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anpi_core::inquiry::{IdentityDraft, InquirerDraft, InquiryDraft, TargetDraft, validate};
    use chrono::{TimeZone, Utc};

    fn draft() -> InquiryDraft {
        InquiryDraft {
            channel: "phone".into(),
            inquired_at: "2026-11-22 10:15".into(),
            inquirer: InquirerDraft {
                kind: "organisation".into(),
                name: "株式会社霞商事".into(),
                address: "東京都千代田区丸の内1-1-1".into(),
                representative: "霞　一郎".into(),
                phone: "03-0000-1111".into(),
            },
            reason: "other".into(),
            reason_text: "従業員の安否確認のため".into(),
            identity: IdentityDraft {
                method: "alternative".into(),
                confirmed_with: "千代田区".into(),
                note: "登記を確認".into(),
                ..IdentityDraft::default()
            },
            target: TargetDraft {
                name: "消防 太郎".into(),
                birth_date: "1981-11-25".into(),
                sex: "男".into(),
                nationality: "アメリカ".into(),
                ..TargetDraft::default()
            },
            remarks: "至急".into(),
        }
    }

    #[test]
    fn an_inquiry_fills_every_part() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 3, 0, 0).unwrap();
        let inquiry = validate(&draft(), now).unwrap();
        let v = Values::of(&inquiry);
        assert_eq!(v.date, "令和8年11月22日");
        assert_eq!(
            v.applicant_name,
            "株式会社霞商事\u{3000}代表者\u{3000}霞　一郎"
        );
        assert_eq!(v.reason, Some(Relationship::Other));
        assert_eq!(v.reason_text, "従業員の安否確認のため");
        assert_eq!(v.birth_date, "昭和56年11月25日");
        assert_eq!(v.sex, Some(Sex::Male));
        assert_eq!(v.nationality, Some(Some("アメリカ".into())));
        assert_eq!(v.identity, "千代田区に申請者の存在を確認（登記を確認）");
        assert_eq!(v.officer_remarks, "照会の方法：電話");
        assert_eq!(v.remarks, "至急");
    }
}
