//! Form 5 (様式第5号 安否情報回答書) as plain text. R.
//!
//! 安否情報省令 第4条: the answer is given by handing over Form 5 (or orally, by phone
//! … when the situation is pressing). The rows follow the form (図5-3): the two status
//! rows (Form 5 備考2), then 氏名 … 連絡先その他必要情報. A row with nothing disclosed
//! shows 「―」; the birth date is in era form (備考3); for the deceased the injury row
//! holds 「死亡」 and the death details, the location row the place of the body
//! (備考4); location, injury and contact end with the 記入日時 they were true at
//! (第5 4(3)ア ※). The officer notes are for the officer and are never printed.

use chrono::{DateTime, Utc};

use super::{era_date, era_date_time};
use crate::consent::ConsentField;
use crate::incident::{Incident, IncidentMode};
use crate::inquiry_types::{Answer, Inquirer, Inquiry};

/// What a row shows when nothing is disclosed.
pub const WITHHELD: &str = "―";

/// Form 5's rows after the two status rows, with their labels.
pub const ROWS: [(ConsentField, &str); 10] = [
    (ConsentField::Name, "氏名"),
    (ConsentField::Furigana, "フリガナ"),
    (ConsentField::BirthDate, "出生の年月日"),
    (ConsentField::Sex, "男女の別"),
    (ConsentField::Address, "住所"),
    (ConsentField::Nationality, "国籍"),
    (
        ConsentField::IdentifyingInfo,
        "その他個人を識別するための情報",
    ),
    (ConsentField::Location, "現在の居所"),
    (ConsentField::InjuryState, "負傷又は疾病の状況"),
    (ConsentField::Contact, "連絡先その他必要情報"),
];

/// The suffix of an "as of" value: `（記入日時 令和8年11月21日 14時30分現在）`.
pub fn as_of_suffix(as_of: DateTime<Utc>) -> String {
    format!("（記入日時 {}現在）", era_date_time(as_of))
}

/// Form 5 (様式第5号 安否情報回答書) as plain text in Japanese: date, addressee (inquirer name + 殿),
/// answering body (`answering_body`, e.g. 千代田区長), the inquiry date, then every row of Form 5
/// in its order (避難住民に該当するか否かの別, 武力攻撃災害により死亡し又は負傷した住民に該当するか否かの別,
/// 氏名, フリガナ, 出生の年月日, 男女の別, 住所, 国籍, その他個人を識別するための情報, 現在の居所,
/// 負傷又は疾病の状況, 連絡先その他必要情報); withheld rows show 「―」; as-of values end with
/// 「（記入日時 令和8年11月21日 14時30分現在）」(JST, era form). Officer notes are NOT printed.
///
/// An organisation is addressed with its representative: `{名称}　代表者　{氏名}　殿`.
///
/// The answer about a drill (訓練) incident begins with 「【訓練】」 and ends with a line
/// naming the drill, so a practice answer can never be taken for a real one (T-04); an
/// answer about an actual incident is the form as the ordinance gives it.
pub fn render_text(
    inquiry: &Inquiry,
    answer: &Answer,
    incident: &Incident,
    answering_body: &str,
    answered_at: DateTime<Utc>,
) -> String {
    let text = render_form(inquiry, answer, answering_body, answered_at);
    match incident.mode {
        IncidentMode::Actual => text,
        IncidentMode::Drill => format!(
            "{DRILL_MARK}\n{text}\n{DRILL_MARK}\u{3000}この回答書は訓練（{}）のものです。実際の安否情報ではありません。\n",
            incident.name.trim()
        ),
    }
}

/// What marks a drill's Form 5, first and last.
pub const DRILL_MARK: &str = "【訓練】";

fn render_form(
    inquiry: &Inquiry,
    answer: &Answer,
    answering_body: &str,
    answered_at: DateTime<Utc>,
) -> String {
    let mut lines = vec![
        "様式第5号（第4条関係）".to_string(),
        String::new(),
        "安否情報回答書".to_string(),
        String::new(),
        era_date(answered_at),
        String::new(),
        format!("{}\u{3000}殿", addressee(inquiry)),
        String::new(),
        answering_body.trim().to_string(),
        String::new(),
        inquiry_sentence(inquiry),
        String::new(),
        "記".to_string(),
        String::new(),
        "被照会者".to_string(),
    ];
    lines.extend(
        rows(answer)
            .into_iter()
            .map(|(label, value)| row(label, value)),
    );
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// Who Form 5 is addressed to (「殿」 follows): the inquirer's name, or an
/// organisation with its representative, `{名称}　代表者　{氏名}`.
pub fn addressee(inquiry: &Inquiry) -> String {
    match &inquiry.inquirer {
        Inquirer::Person { name, .. } => name.clone(),
        Inquirer::Organisation {
            name,
            representative,
            ..
        } => format!("{name}\u{3000}代表者\u{3000}{representative}"),
    }
}

/// 「{照会の日付}付けで照会があった安否情報について、下記のとおり回答します。」
pub fn inquiry_sentence(inquiry: &Inquiry) -> String {
    format!(
        "{}付けで照会があった安否情報について、下記のとおり回答します。",
        era_date(inquiry.inquired_at)
    )
}

/// The labels of Form 5's two status rows (備考2).
pub const STATUS_ROWS: [&str; 2] = [
    "避難住民に該当するか否かの別",
    "武力攻撃災害により死亡し又は負傷した住民に該当するか否かの別",
];

/// Every row of Form 5 in its order with the value as printed: the two status rows,
/// then [`ROWS`], a withheld row 「―」, an as-of value with [`as_of_suffix`]. The
/// values keep their line breaks (the text form puts them on one line).
pub fn rows(answer: &Answer) -> Vec<(&'static str, String)> {
    let mut rows = vec![
        (STATUS_ROWS[0], answer.evacuee.label_ja().to_string()),
        (STATUS_ROWS[1], answer.casualty.label_ja().to_string()),
    ];
    for (field, label) in ROWS {
        let value = match answer.fields.iter().find(|d| d.field == field) {
            Some(disclosed) => match disclosed.as_of {
                Some(as_of) => format!("{}{}", disclosed.value, as_of_suffix(as_of)),
                None => disclosed.value.clone(),
            },
            None => WITHHELD.to_string(),
        };
        rows.push((label, value));
    }
    rows
}

fn row(label: &str, value: String) -> String {
    format!("\u{3000}{label}：{}", value.replace('\n', " "))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::entry::fixtures::{deceased, injured};
    use crate::inquiry::answer::{AnswerContext, answer};
    use crate::inquiry::testing::{form4_family, inquiry, now, record};
    use crate::inquiry::validate;
    use crate::inquiry_types::TargetDraft;

    fn incident(mode: IncidentMode) -> Incident {
        Incident {
            id: crate::ids::IncidentId::from_uuid(crate::inquiry::testing::uuid(1)),
            name: "首都直下地震".into(),
            mode,
            created_at: now(),
        }
    }

    fn actual() -> Incident {
        incident(IncidentMode::Actual)
    }

    // R: T-04 — a drill's answer is marked first and last; an actual one is not.
    #[test]
    fn a_drill_answer_is_marked_as_a_drill() {
        let inquiry = validate(&form4_family(), now()).unwrap();
        let a = answer(
            &inquiry,
            Some(&record(1, &injured())),
            &AnswerContext::default(),
        );
        let drill = render_text(
            &inquiry,
            &a,
            &incident(IncidentMode::Drill),
            "千代田区長",
            answered_at(),
        );
        assert!(drill.starts_with("【訓練】\n様式第5号"), "{drill}");
        assert!(
            drill.trim_end().ends_with("実際の安否情報ではありません。"),
            "{drill}"
        );
        assert!(drill.contains("訓練（首都直下地震）"));
        let real = render_text(&inquiry, &a, &actual(), "千代田区長", answered_at());
        assert!(!real.contains("訓練"), "{real}");
        assert!(drill.contains(&real));
    }

    fn answered_at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 4, 5, 0).unwrap()
    }

    #[test]
    fn form_5_has_every_row_in_order_with_the_as_of_suffix() {
        let inquiry = validate(&form4_family(), now()).unwrap();
        let a = answer(
            &inquiry,
            Some(&record(1, &injured())),
            &AnswerContext::default(),
        );
        let text = render_text(&inquiry, &a, &actual(), "千代田区長", answered_at());
        let expected_start = "様式第5号（第4条関係）\n\n安否情報回答書\n\n令和8年11月22日\n\n消防　花子　殿\n\n千代田区長\n\n令和8年11月22日付けで照会があった安否情報について、下記のとおり回答します。\n\n記\n\n被照会者\n";
        assert!(text.starts_with(expected_start), "{text}");
        let rows: Vec<&str> = text.lines().skip(15).collect();
        assert_eq!(
            rows,
            [
                "　避難住民に該当するか否かの別：該当",
                "　武力攻撃災害により死亡し又は負傷した住民に該当するか否かの別：負傷",
                "　氏名：消防　太郎",
                "　フリガナ：ショウボウ　タロウ",
                "　出生の年月日：昭和56年11月25日",
                "　男女の別：男",
                "　住所：東京都千代田区霞が関2丁目1番2号",
                // Japanese: the nationality row stays empty (日本国籍を有しない者に限る).
                "　国籍：―",
                "　その他個人を識別するための情報：身長170cm程度、青い上着",
                "　現在の居所：東京都千代田区神田1丁目2番3号 千代田中央病院（医療機関）（記入日時 令和8年11月21日 14時30分現在）",
                "　負傷又は疾病の状況：重症：頭部打撲、意識不明（記入日時 令和8年11月21日 14時30分現在）",
                "　連絡先その他必要情報：千代田中央病院 03-1234-5678（記入日時 令和8年11月21日 14時30分現在）",
            ]
        );
    }

    #[test]
    fn withheld_rows_show_a_dash_and_officer_notes_are_never_printed() {
        // An acquaintance asks about a person who could not be asked (table 4-2).
        let mut draft = injured();
        draft.consent.not_confirmable = true;
        let inquiry = inquiry(
            "acquaintance",
            TargetDraft {
                name: "消防太郎".into(),
                ..TargetDraft::default()
            },
        );
        let a = answer(
            &inquiry,
            Some(&record(1, &draft)),
            &AnswerContext::default(),
        );
        assert!(!a.officer_notes.is_empty());
        let text = render_text(&inquiry, &a, &actual(), "千代田区長", answered_at());
        assert!(text.contains("　氏名：消防　太郎\n"), "{text}");
        for label in [
            "フリガナ",
            "出生の年月日",
            "住所",
            "現在の居所",
            "連絡先その他必要情報",
        ] {
            assert!(text.contains(&format!("　{label}：―\n")), "{label}: {text}");
        }
        for note in &a.officer_notes {
            assert!(!text.contains(note.as_str()), "{note}");
        }
        assert!(!text.contains("意思確認不可のため"), "{text}");
        assert!(!text.contains("第5 4(5)"), "{text}");
    }

    #[test]
    fn the_deceased_and_an_organisation() {
        let mut draft = form4_family();
        draft.inquirer.kind = "organisation".into();
        draft.inquirer.name = "株式会社霞商事".into();
        draft.inquirer.representative = "霞　一郎".into();
        draft.reason = "acquaintance".into();
        let inquiry = validate(&draft, now()).unwrap();
        let a = answer(
            &inquiry,
            Some(&record(1, &deceased())),
            &AnswerContext::default(),
        );
        let text = render_text(&inquiry, &a, &actual(), "千代田区長", answered_at());
        assert!(
            text.contains("株式会社霞商事　代表者　霞　一郎　殿\n"),
            "{text}"
        );
        assert!(
            text.contains("　避難住民に該当するか否かの別：非該当\n"),
            "{text}"
        );
        assert!(
            text.contains("　武力攻撃災害により死亡し又は負傷した住民に該当するか否かの別：死亡\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "　現在の居所：千代田区総合体育館（記入日時 令和8年11月21日 14時30分現在）\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("　負傷又は疾病の状況：死亡（死亡の日時：令和8年11月21日 9時40分"),
            "{text}"
        );
        // No contact was collected: the row is empty, not printed with a time.
        assert!(text.contains("　連絡先その他必要情報：―\n"), "{text}");
    }

    #[test]
    fn no_record_is_answered_not_applicable() {
        let inquiry = validate(&form4_family(), now()).unwrap();
        let a = answer(&inquiry, None, &AnswerContext::default());
        let text = render_text(&inquiry, &a, &actual(), "  千代田区長 ", answered_at());
        assert!(text.contains("\n千代田区長\n"), "{text}");
        assert!(text.contains("　避難住民に該当するか否かの別：非該当\n"));
        assert!(text.contains("住民に該当するか否かの別：非該当\n"));
        assert_eq!(text.matches("：―\n").count(), ROWS.len(), "{text}");
    }
}
