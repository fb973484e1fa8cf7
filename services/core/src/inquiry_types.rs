//! Inquiries as the log stores them (R: ): the registered inquiry
//! ([`Inquiry`], with the draft as typed), the outcome of identifying the person asked
//! about ([`Identification`]) and the answer given ([`Answer`], Form 5 as data).
//!
//! Only the data and its labels are here; the rules that make them (registering,
//! identifying, answering, the fold of the inquiry events) are `inquiry`, which
//! re-exports these types. They live apart from their rules so that `event` imports no
//! rule module (the rules fold events).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::consent::{Audience, ConsentField};
use crate::entry::{Nationality, Sex};
use crate::ids::RecordId;

/// An inquiry as the officer typed it (Form 4, or notes of a call).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InquiryDraft {
    /// `form4` | `phone` | `oral` | `other` (様式第4号 / 電話 / 口頭 / その他).
    #[serde(default)]
    pub channel: String,
    /// 照会日時; empty means now. Era or Gregorian, with or without a time of day.
    #[serde(default)]
    pub inquired_at: String,
    #[serde(default)]
    pub inquirer: InquirerDraft,
    /// `family` | `acquaintance` | `other` (親族・同居者 / 知人 / その他).
    #[serde(default)]
    pub reason: String,
    /// The reason in words; required for `other` (③その他 （ ）).
    #[serde(default)]
    pub reason_text: String,
    #[serde(default)]
    pub identity: IdentityDraft,
    #[serde(default)]
    pub target: TargetDraft,
    /// 備考
    #[serde(default)]
    pub remarks: String,
}

/// 申請者: a person, or an organisation (法人その他の団体, Form 4 備考2).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InquirerDraft {
    /// `person` (the default when empty) | `organisation`.
    #[serde(default)]
    pub kind: String,
    /// The person's name, or the organisation's name.
    #[serde(default)]
    pub name: String,
    /// Person: 住所（居所）; organisation: 主たる事務所の所在地.
    #[serde(default)]
    pub address: String,
    /// Organisation only: 代表者の氏名 (required).
    #[serde(default)]
    pub representative: String,
    /// Optional contact.
    #[serde(default)]
    pub phone: String,
}

/// ※申請者の確認: how the inquirer's identity was checked (第5 3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityDraft {
    /// `document` (第5 3(1)) | `alternative` (第5 3(2)).
    #[serde(default)]
    pub method: String,
    /// The document shown: 運転免許証, 健康保険の被保険者証, 在留カード, マイナンバーカード,
    /// 住民基本台帳カード, パスポート, … (required for `document`).
    #[serde(default)]
    pub document: String,
    /// `alternative`: the local government that confirmed the inquirer exists.
    #[serde(default)]
    pub confirmed_with: String,
    /// What was asked or obtained.
    #[serde(default)]
    pub note: String,
}

/// 被照会者を特定するために必要な事項, as the inquirer gave them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetDraft {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub furigana: String,
    /// Era or Gregorian; a partial date is refused (put it into `identifying_info`).
    #[serde(default)]
    pub birth_date: String,
    /// 男 / 女
    #[serde(default)]
    pub sex: String,
    /// One line, e.g. `東京都千代田区霞が関2-1-2`.
    #[serde(default)]
    pub address: String,
    /// 日本 / 不明 / a country in katakana / empty.
    #[serde(default)]
    pub nationality: String,
    #[serde(default)]
    pub identifying_info: String,
}

/// How the answer was given (第5 4(5): the answer's copy is kept with how it was given).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerChannel {
    /// 書面 (the Form 5 handed over or sent)
    Written,
    /// 口頭 (in person)
    Oral,
    /// 電話
    Phone,
}

impl AnswerChannel {
    pub const ALL: [AnswerChannel; 3] = [
        AnswerChannel::Written,
        AnswerChannel::Oral,
        AnswerChannel::Phone,
    ];

    pub fn label_ja(self) -> &'static str {
        match self {
            AnswerChannel::Written => "書面",
            AnswerChannel::Oral => "口頭",
            AnswerChannel::Phone => "電話",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AnswerChannel::Written => "written",
            AnswerChannel::Oral => "oral",
            AnswerChannel::Phone => "phone",
        }
    }

    /// `written` / `oral` / `phone` or the Japanese labels; `None` for anything else.
    pub fn parse(text: &str) -> Option<AnswerChannel> {
        let text = text.trim();
        AnswerChannel::ALL
            .into_iter()
            .find(|c| text.eq_ignore_ascii_case(c.as_str()) || text == c.label_ja())
    }
}

/// How the inquiry came in (安否情報省令 第3条第1項).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// 様式第4号 (安否情報照会書)
    Form4,
    /// 電話
    Phone,
    /// 口頭
    Oral,
    /// その他 (e.g. fax, e-mail)
    Other,
}

impl Channel {
    pub const ALL: [Channel; 4] = [
        Channel::Form4,
        Channel::Phone,
        Channel::Oral,
        Channel::Other,
    ];

    pub fn label_ja(self) -> &'static str {
        match self {
            Channel::Form4 => "様式第4号",
            Channel::Phone => "電話",
            Channel::Oral => "口頭",
            Channel::Other => "その他",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Form4 => "form4",
            Channel::Phone => "phone",
            Channel::Oral => "oral",
            Channel::Other => "other",
        }
    }
}

/// 照会をする理由: the inquirer's relationship to the person asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relationship {
    /// ①被照会者の親族又は同居者
    Family,
    /// ②被照会者の知人（友人、職場関係者及び近隣住民）
    Acquaintance,
    /// ③その他
    Other,
}

impl Relationship {
    pub fn label_ja(self) -> &'static str {
        match self {
            Relationship::Family => "親族・同居者",
            Relationship::Acquaintance => "知人",
            Relationship::Other => "その他",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Relationship::Family => "family",
            Relationship::Acquaintance => "acquaintance",
            Relationship::Other => "other",
        }
    }

    /// The consent column that applies (E-08).
    pub fn audience(self) -> Audience {
        match self {
            Relationship::Family => Audience::Family,
            Relationship::Acquaintance => Audience::Acquaintance,
            Relationship::Other => Audience::Others,
        }
    }
}

/// The inquirer (申請者).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Inquirer {
    Person {
        name: String,
        address: String,
        phone: String,
    },
    Organisation {
        name: String,
        representative: String,
        address: String,
        phone: String,
    },
}

impl Inquirer {
    /// The person's or the organisation's name.
    pub fn name(&self) -> &str {
        match self {
            Inquirer::Person { name, .. } | Inquirer::Organisation { name, .. } => name,
        }
    }
}

/// How the inquirer's identity was checked (第5 3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum IdentityCheck {
    /// 第5 3(1) 書類の提示による確認.
    Document { document: String },
    /// 第5 3(2) 書類の提示による確認以外の方法: the local government of the inquirer's
    /// address or 本籍地 confirmed that the person exists (②③).
    Alternative {
        confirmed_with: String,
        note: String,
    },
}

/// The target as the inquirer gave it: parsed, `None` where not given. Keep the raw strings too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub raw: TargetDraft,
    pub name: Option<String>,
    /// Display form (full-width katakana).
    pub furigana: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub sex: Option<Sex>,
    pub address: Option<String>,
    pub nationality: Option<Nationality>,
    pub identifying_info: Option<String>,
}

/// A validated inquiry (what the InquiryRegistered event stores).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inquiry {
    /// Raw, as typed (kept, like `Entry.draft`).
    pub draft: InquiryDraft,
    pub channel: Channel,
    pub inquired_at: DateTime<Utc>,
    pub inquirer: Inquirer,
    pub relationship: Relationship,
    pub reason_text: String,
    pub identity: IdentityCheck,
    pub target: Target,
}

/// 避難住民に該当するか否かの別.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvacueeAnswer {
    Applicable,
    NotApplicable,
}

impl EvacueeAnswer {
    pub fn label_ja(self) -> &'static str {
        match self {
            EvacueeAnswer::Applicable => "該当",
            EvacueeAnswer::NotApplicable => "非該当",
        }
    }
}

/// 武力攻撃災害により死亡し又は負傷した住民に該当するか否かの別.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CasualtyAnswer {
    Dead,
    Injured,
    NotApplicable,
}

impl CasualtyAnswer {
    pub fn label_ja(self) -> &'static str {
        match self {
            CasualtyAnswer::Dead => "死亡",
            CasualtyAnswer::Injured => "負傷",
            CasualtyAnswer::NotApplicable => "非該当",
        }
    }
}

/// Why the fields beyond the status were disclosed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// 本人の同意 (第5 4(3)ア): the person's consent matrix (Form 2: the bereaved's answer
    /// ⑪ and their restrictions of single items, `consent::resolve_deceased`).
    Consent,
    /// 公益上特に必要 (第5 4(3)イ): consent could not be asked (意思確認不可).
    PublicInterest,
    /// Nothing beyond the 該当/非該当 answers (no record, or nothing allowed).
    StatusOnly,
}

impl Basis {
    pub fn label_ja(self) -> &'static str {
        match self {
            Basis::Consent => "本人の同意",
            Basis::PublicInterest => "公益上特に必要があると認めるとき",
            Basis::StatusOnly => "該当・非該当のみ",
        }
    }
}

/// One disclosed field of Form 5.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disclosed {
    pub field: ConsentField,
    /// Form 5 row label in Japanese (e.g. 現在の居所).
    pub label: String,
    /// As written on Form 5; birth date in era form (Form 5 備考3).
    pub value: String,
    /// 記入日時 the value is "as of" (location, injury state, contact: 第5 4(3)ア ※), else None.
    pub as_of: Option<DateTime<Utc>>,
}

/// Form 5 as data: exactly what is disclosed (what the answer event stores, Q-06).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub evacuee: EvacueeAnswer,
    pub casualty: CasualtyAnswer,
    pub basis: Basis,
    /// In Form 5 row order ([`FORM5_ORDER`](crate::inquiry::answer::FORM5_ORDER)).
    pub fields: Vec<Disclosed>,
    /// For the officer only (never printed on Form 5): why fields were withheld, warnings
    /// such as "本人は一切の照会への回答を希望していません" (Japanese).
    pub officer_notes: Vec<String>,
}

impl Answer {
    /// The disclosed value of `field`, if any.
    pub fn value(&self, field: ConsentField) -> Option<&str> {
        self.fields
            .iter()
            .find(|d| d.field == field)
            .map(|d| d.value.as_str())
    }
}

/// A field of Form 4's 被照会者を特定するために必要な事項.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetField {
    Name,
    Furigana,
    BirthDate,
    Sex,
    Address,
    Nationality,
    IdentifyingInfo,
}

impl TargetField {
    pub const ALL: [TargetField; 7] = [
        TargetField::Name,
        TargetField::Furigana,
        TargetField::BirthDate,
        TargetField::Sex,
        TargetField::Address,
        TargetField::Nationality,
        TargetField::IdentifyingInfo,
    ];

    pub fn label_ja(self) -> &'static str {
        match self {
            TargetField::Name => "氏名",
            TargetField::Furigana => "フリガナ",
            TargetField::BirthDate => "出生の年月日",
            TargetField::Sex => "男女の別",
            TargetField::Address => "住所",
            TargetField::Nationality => "国籍",
            TargetField::IdentifyingInfo => "その他個人を識別するための情報",
        }
    }

    /// The consent-matrix field of the same row of Form 5.
    pub fn consent_field(self) -> ConsentField {
        match self {
            TargetField::Name => ConsentField::Name,
            TargetField::Furigana => ConsentField::Furigana,
            TargetField::BirthDate => ConsentField::BirthDate,
            TargetField::Sex => ConsentField::Sex,
            TargetField::Address => ConsentField::Address,
            TargetField::Nationality => ConsentField::Nationality,
            TargetField::IdentifyingInfo => ConsentField::IdentifyingInfo,
        }
    }
}

/// How the identification was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentifiedBy {
    /// 第5 3(3)ア: all 4 information match.
    FourInformation,
    /// 第5 3(3)イ: exactly one record is consistent with everything the inquirer gave.
    Narrowed,
}

/// The outcome of [`identify_in`](crate::inquiry::identify_in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Identification {
    /// 特定: the record answered about. `candidates`: the records that matched at the
    /// deciding step (all 4 information; 1 when narrowed).
    Identified {
        record: RecordId,
        by: IdentifiedBy,
        candidates: usize,
    },
    /// 特定できない: several possible persons; `ask_for` = fields the inquirer did not give
    /// (in TargetField order) that would narrow further. The candidates themselves are never
    /// part of what the inquirer is told.
    NotIdentified {
        candidates: usize,
        ask_for: Vec<TargetField>,
    },
    /// No record matches what the inquirer gave (answered 非該当).
    NotHeld,
}
