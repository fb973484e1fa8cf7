//! The CSV registration template (安否情報CSV取込様式): one column per field of
//! [`EntryDraft`], headed by the field's label on the form. R: C-01, E-14.
//!
//! The columns are documented for people in `schemas/csv/README.md`; keep the two in
//! step. Cells are raw text, as typed on the form; the validation of
//! `anpi_core::entry::validate` applies to every row unchanged. Only three kinds of
//! cell are read here: 様式 (1 or 2), ⑫⑬ (希望する / 希望しない / empty), and the
//! check boxes (○ or empty).

use anpi_core::entry::{EntryDraft, FormKind};

/// How a cell is read into the draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellKind {
    /// Raw text, stored unchanged.
    Text,
    /// 様式: 1 or 2.
    Form,
    /// ⑫⑬: 希望する / 希望しない, empty for the table 4-3 default.
    Wish,
    /// A check box: ○ when checked, empty when not.
    Check,
}

/// One column of the template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The header text (the field's label on the form).
    pub header: &'static str,
    /// The field's path in the entry format (as in `FieldError::field`).
    pub path: &'static str,
    pub kind: CellKind,
}

const fn col(header: &'static str, path: &'static str, kind: CellKind) -> Column {
    Column { header, path, kind }
}

use CellKind::{Check, Form, Text, Wish};

/// Every column, in the template's order.
pub const COLUMNS: [Column; 43] = [
    col("様式", "form", Form),
    col("記入日時", "written_at", Text),
    col("氏名", "name", Text),
    col("通称", "alias", Text),
    col("フリガナ", "furigana", Text),
    col("出生の年月日", "birth_date", Text),
    col("男女の別", "sex", Text),
    col("住所（郵便番号）", "address.postal_code", Text),
    col("住所（都道府県）", "address.prefecture", Text),
    col("住所（市区町村）", "address.municipality", Text),
    col("住所（町丁字）", "address.town", Text),
    col("住所（地番）", "address.lot", Text),
    col("住所（外国）", "address.foreign", Text),
    col("国籍", "nationality.kind", Text),
    col("国籍（その他）", "nationality.other", Text),
    col("その他個人を識別するための情報", "identifying_info", Text),
    col("負傷（疾病）の該当", "injury.status", Text),
    col("負傷又は疾病の状況（程度）", "injury.severity", Text),
    col("負傷又は疾病の状況（内容）", "injury.description", Text),
    col("現在の居所（都道府県）", "location.prefecture", Text),
    col("現在の居所（市区町村）", "location.municipality", Text),
    col("現在の居所（町丁字）", "location.town", Text),
    col("現在の居所（地番）", "location.lot", Text),
    col("現在の居所（場所）", "location.place_name", Text),
    col("現在の居所（区分）", "location.category", Text),
    col("連絡先その他必要情報", "contact", Text),
    col("親族・同居者への回答", "consent.family", Wish),
    col("知人への回答", "consent.acquaintance", Wish),
    col(
        "親族・同居者・知人以外への回答又は公表",
        "consent.others",
        Text,
    ),
    col("意思確認不可", "consent.not_confirmable", Check),
    col("死亡の日付", "death.date", Text),
    col("死亡の時刻", "death.time", Text),
    col("死亡の場所", "death.place", Text),
    col("死亡の状況", "death.circumstances", Text),
    col("診断書等無し", "death.no_medical_certificate", Check),
    col("発見された日時及び場所", "death.discovered", Check),
    col("遺体が安置されている場所", "body_location", Text),
    col(
        "遺族の同意（親族・同居者・知人以外への回答又は公表）",
        "bereaved.consent",
        Text,
    ),
    col("同意回答者の氏名", "bereaved.name", Text),
    col("同意回答者の連絡先", "bereaved.contact", Text),
    col("同意回答者の住所", "bereaved.address", Text),
    col("同意回答者の続柄", "bereaved.relationship", Text),
    col("備考", "remarks", Text),
];

/// The template's header row.
pub fn header_row() -> Vec<&'static str> {
    COLUMNS.iter().map(|column| column.header).collect()
}

/// The column a field path of a validation error belongs to: the column of that path,
/// else the first column of its group (`death` → 死亡の日付), else none.
pub fn column_of_field(field: &str) -> Option<&'static Column> {
    let field = match field {
        "nationality" => "nationality.kind",
        "consent" => "consent.family",
        "injury" => "injury.status",
        other => other,
    };
    COLUMNS
        .iter()
        .find(|column| column.path == field)
        .or_else(|| {
            let group = format!("{field}.");
            COLUMNS
                .iter()
                .find(|column| column.path.starts_with(&group))
        })
}

pub(crate) const TRUE_WORDS: [&str; 5] = ["○", "〇", "◯", "はい", "1"];

/// Writes one cell into the draft. Errors are Japanese messages for the clerk.
pub fn set_cell(draft: &mut EntryDraft, column: &Column, cell: &str) -> Result<(), String> {
    let value = cell.to_string();
    let trimmed = cell.trim();
    let flag = || -> Result<bool, String> {
        match trimmed {
            "" => Ok(false),
            t if TRUE_WORDS.contains(&t) => Ok(true),
            other => Err(format!(
                "該当する場合は「○」、該当しない場合は空欄にしてください（入力: {other}）"
            )),
        }
    };
    let wish = || -> Result<Option<bool>, String> {
        match trimmed {
            "" => Ok(None),
            "希望する" | "する" | "○" | "〇" | "◯" | "はい" => Ok(Some(true)),
            "希望しない" | "しない" | "×" | "いいえ" => Ok(Some(false)),
            other => Err(format!(
                "「希望する」「希望しない」のいずれかを入力してください（空欄は初期値）（入力: {other}）"
            )),
        }
    };
    match column.path {
        "form" => {
            draft.form = match trimmed {
                "1" | "１" => FormKind::Form1,
                "2" | "２" => FormKind::Form2,
                other => FormKind::parse(other).ok_or_else(|| {
                    format!(
                        "様式は「1」（様式第1号: 避難住民・負傷住民）または「2」（様式第2号: 死亡住民）を入力してください（入力: {other}）"
                    )
                })?,
            }
        }
        "written_at" => draft.written_at = value,
        "name" => draft.name = value,
        "alias" => draft.alias = value,
        "furigana" => draft.furigana = value,
        "birth_date" => draft.birth_date = value,
        "sex" => draft.sex = value,
        "address.postal_code" => draft.address.postal_code = value,
        "address.prefecture" => draft.address.prefecture = value,
        "address.municipality" => draft.address.municipality = value,
        "address.town" => draft.address.town = value,
        "address.lot" => draft.address.lot = value,
        "address.foreign" => draft.address.foreign = value,
        "nationality.kind" => draft.nationality.kind = value,
        "nationality.other" => draft.nationality.other = value,
        "identifying_info" => draft.identifying_info = value,
        "injury.status" => draft.injury.status = value,
        "injury.severity" => draft.injury.severity = value,
        "injury.description" => draft.injury.description = value,
        "location.prefecture" => draft.location.prefecture = value,
        "location.municipality" => draft.location.municipality = value,
        "location.town" => draft.location.town = value,
        "location.lot" => draft.location.lot = value,
        "location.place_name" => draft.location.place_name = value,
        "location.category" => draft.location.category = value,
        "contact" => draft.contact = value,
        "consent.family" => draft.consent.family = wish()?,
        "consent.acquaintance" => draft.consent.acquaintance = wish()?,
        "consent.others" => draft.consent.others = value,
        "consent.not_confirmable" => draft.consent.not_confirmable = flag()?,
        "death.date" => draft.death.date = value,
        "death.time" => draft.death.time = value,
        "death.place" => draft.death.place = value,
        "death.circumstances" => draft.death.circumstances = value,
        "death.no_medical_certificate" => draft.death.no_medical_certificate = flag()?,
        "death.discovered" => draft.death.discovered = flag()?,
        "body_location" => draft.body_location = value,
        "bereaved.consent" => draft.bereaved.consent = value,
        "bereaved.name" => draft.bereaved.name = value,
        "bereaved.contact" => draft.bereaved.contact = value,
        "bereaved.address" => draft.bereaved.address = value,
        "bereaved.relationship" => draft.bereaved.relationship = value,
        "remarks" => draft.remarks = value,
        other => return Err(format!("この列は読み取れません（{other}）")),
    }
    Ok(())
}

/// Reads one cell out of a draft, as [`set_cell`] would read it back: 様式 as 1 or 2,
/// ⑫⑬ as 希望する / 希望しない / empty, check boxes as ○ or empty, text unchanged.
/// R: C-02.
pub fn get_cell(draft: &EntryDraft, column: &Column) -> String {
    let wish = |value: Option<bool>| match value {
        Some(true) => "希望する",
        Some(false) => "希望しない",
        None => "",
    };
    let check = |value: bool| if value { "○" } else { "" };
    let text = match column.path {
        "form" => match draft.form {
            FormKind::Form1 => "1",
            FormKind::Form2 => "2",
        },
        "written_at" => &draft.written_at,
        "name" => &draft.name,
        "alias" => &draft.alias,
        "furigana" => &draft.furigana,
        "birth_date" => &draft.birth_date,
        "sex" => &draft.sex,
        "address.postal_code" => &draft.address.postal_code,
        "address.prefecture" => &draft.address.prefecture,
        "address.municipality" => &draft.address.municipality,
        "address.town" => &draft.address.town,
        "address.lot" => &draft.address.lot,
        "address.foreign" => &draft.address.foreign,
        "nationality.kind" => &draft.nationality.kind,
        "nationality.other" => &draft.nationality.other,
        "identifying_info" => &draft.identifying_info,
        "injury.status" => &draft.injury.status,
        "injury.severity" => &draft.injury.severity,
        "injury.description" => &draft.injury.description,
        "location.prefecture" => &draft.location.prefecture,
        "location.municipality" => &draft.location.municipality,
        "location.town" => &draft.location.town,
        "location.lot" => &draft.location.lot,
        "location.place_name" => &draft.location.place_name,
        "location.category" => &draft.location.category,
        "contact" => &draft.contact,
        "consent.family" => wish(draft.consent.family),
        "consent.acquaintance" => wish(draft.consent.acquaintance),
        "consent.others" => &draft.consent.others,
        "consent.not_confirmable" => check(draft.consent.not_confirmable),
        "death.date" => &draft.death.date,
        "death.time" => &draft.death.time,
        "death.place" => &draft.death.place,
        "death.circumstances" => &draft.death.circumstances,
        "death.no_medical_certificate" => check(draft.death.no_medical_certificate),
        "death.discovered" => check(draft.death.discovered),
        "body_location" => &draft.body_location,
        "bereaved.consent" => &draft.bereaved.consent,
        "bereaved.name" => &draft.bereaved.name,
        "bereaved.contact" => &draft.bereaved.contact,
        "bereaved.address" => &draft.bereaved.address,
        "bereaved.relationship" => &draft.bereaved.relationship,
        "remarks" => &draft.remarks,
        _ => "",
    };
    text.to_string()
}
