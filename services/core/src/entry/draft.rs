//! An entry as the clerk typed it (Form 1 / Form 2). R: E-01, E-02, E-15.
//!
//! Every field is raw text exactly as given; nothing here is parsed. The validated
//! [`crate::entry::Entry`] keeps this draft unchanged beside the parsed values and the
//! canonical keys, so the raw input is never lost (E-15). The JSON form of this type
//! is documented in `schemas/json/entry.schema.json`.

use serde::{Deserialize, Serialize};

use crate::consent::ConsentDraft;

/// 様式第1号 (evacuee/injured) or 様式第2号 (deceased).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum FormKind {
    /// 様式第1号: 避難住民・負傷住民
    #[default]
    Form1,
    /// 様式第2号: 死亡住民
    Form2,
}

impl FormKind {
    pub fn label_ja(self) -> &'static str {
        match self {
            FormKind::Form1 => "様式第1号（避難住民・負傷住民）",
            FormKind::Form2 => "様式第2号（死亡住民）",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FormKind::Form1 => "form1",
            FormKind::Form2 => "form2",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "form1" | "様式第1号" => Some(FormKind::Form1),
            "form2" | "様式第2号" => Some(FormKind::Form2),
            _ => None,
        }
    }
}

fn is_false(value: &bool) -> bool {
    !value
}

/// ⑤ 住所: Japanese parts, or a foreign address in English order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AddressDraft {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub postal_code: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub prefecture: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub municipality: String,
    /// 町丁字
    #[serde(skip_serializing_if = "String::is_empty")]
    pub town: String,
    /// 地番
    #[serde(skip_serializing_if = "String::is_empty")]
    pub lot: String,
    /// A foreign address (番地→町名→区→都道府県→郵便番号→国名).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub foreign: String,
}

impl AddressDraft {
    pub fn is_empty(&self) -> bool {
        [
            &self.postal_code,
            &self.prefecture,
            &self.municipality,
            &self.town,
            &self.lot,
            &self.foreign,
        ]
        .iter()
        .all(|part| part.is_empty())
    }
}

/// ⑥ 国籍: `日本` (the form's default when empty), `その他` with text, or `不明`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NationalityDraft {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub other: String,
}

/// Form 1 ⑧⑨: 負傷 / 非該当, and the severity and description when injured.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InjuryDraft {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub status: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub severity: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// Form 1 ⑩ 現在の居所.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LocationDraft {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub prefecture: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub municipality: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub town: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub lot: String,
    /// 場所 (e.g. ○○小学校)
    #[serde(skip_serializing_if = "String::is_empty")]
    pub place_name: String,
    /// 区分: 避難所 / 医療機関 / 自宅 / その他
    #[serde(skip_serializing_if = "String::is_empty")]
    pub category: String,
}

impl LocationDraft {
    pub fn is_empty(&self) -> bool {
        [
            &self.prefecture,
            &self.municipality,
            &self.town,
            &self.lot,
            &self.place_name,
            &self.category,
        ]
        .iter()
        .all(|part| part.is_empty())
    }
}

/// Form 2 ⑧ 死亡の日時、場所及び状況.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeathDraft {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub date: String,
    /// Time of day; empty when unknown (時分等が不明の場合は空欄).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub time: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub place: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub circumstances: String,
    /// 診断書等無し: death was not diagnosed by a doctor.
    #[serde(skip_serializing_if = "is_false")]
    pub no_medical_certificate: bool,
    /// The date and place are those of discovery (発見された日時及び場所).
    #[serde(skip_serializing_if = "is_false")]
    pub discovered: bool,
}

impl DeathDraft {
    pub fn is_empty(&self) -> bool {
        [&self.date, &self.time, &self.place, &self.circumstances]
            .iter()
            .all(|part| part.is_empty())
            && !self.no_medical_certificate
            && !self.discovered
    }
}

/// Form 2 ⑪: the bereaved person who answered, and their answer for "others".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BereavedDraft {
    /// 同意する / 同意しない / 不明
    #[serde(skip_serializing_if = "String::is_empty")]
    pub consent: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub contact: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub address: String,
    /// 続柄 (relationship to the deceased)
    #[serde(skip_serializing_if = "String::is_empty")]
    pub relationship: String,
}

impl BereavedDraft {
    pub fn is_empty(&self) -> bool {
        [
            &self.consent,
            &self.name,
            &self.contact,
            &self.address,
            &self.relationship,
        ]
        .iter()
        .all(|part| part.is_empty())
    }
}

/// One entry, Form 1 or Form 2, exactly as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EntryDraft {
    pub form: FormKind,
    /// 記入日時 written on the form (mandatory).
    pub written_at: String,
    /// ① 氏名
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// ① 通称
    #[serde(skip_serializing_if = "String::is_empty")]
    pub alias: String,
    /// ② フリガナ
    #[serde(skip_serializing_if = "String::is_empty")]
    pub furigana: String,
    /// ③ 出生の年月日 (era or Gregorian)
    #[serde(skip_serializing_if = "String::is_empty")]
    pub birth_date: String,
    /// ④ 男女の別: 男 / 女
    #[serde(skip_serializing_if = "String::is_empty")]
    pub sex: String,
    #[serde(skip_serializing_if = "AddressDraft::is_empty")]
    pub address: AddressDraft,
    pub nationality: NationalityDraft,
    /// ⑦ その他個人を識別するための情報 (table 4-1 categories joined with 、)
    #[serde(skip_serializing_if = "String::is_empty")]
    pub identifying_info: String,
    /// Form 1 ⑧⑨
    pub injury: InjuryDraft,
    /// Form 1 ⑩
    #[serde(skip_serializing_if = "LocationDraft::is_empty")]
    pub location: LocationDraft,
    /// Form 1 ⑪ / Form 2 ⑩ 連絡先その他必要情報
    #[serde(skip_serializing_if = "String::is_empty")]
    pub contact: String,
    /// Form 1 ⑫–⑭
    pub consent: ConsentDraft,
    /// Form 2 ⑧
    #[serde(skip_serializing_if = "DeathDraft::is_empty")]
    pub death: DeathDraft,
    /// Form 2 ⑨ 遺体が安置されている場所 (incl. ashes)
    #[serde(skip_serializing_if = "String::is_empty")]
    pub body_location: String,
    /// Form 2 ⑪
    #[serde(skip_serializing_if = "BereavedDraft::is_empty")]
    pub bereaved: BereavedDraft,
    /// 備考
    #[serde(skip_serializing_if = "String::is_empty")]
    pub remarks: String,
}
