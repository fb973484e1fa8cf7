//! Safety entries: Form 1 (evacuee/injured) and Form 2 (deceased). R: E-01..E-15.
//!
//! An [`EntryDraft`] is what the clerk typed; [`validate`] turns it into an [`Entry`]
//! that keeps the draft unchanged (raw, E-15), the parsed values, and the canonical
//! keys with their `CANON_VERSION` (N-04), or returns every problem at once. [`text`]
//! holds the length and character rules of every text field (E-03, E-15); the
//! characters themselves are checked by [`crate::text`].

mod draft;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
#[cfg(any(test, feature = "fixtures"))]
pub mod synthetic;
pub mod text;
mod time;
mod validate;

pub use draft::{
    AddressDraft, BereavedDraft, DeathDraft, EntryDraft, FormKind, InjuryDraft, LocationDraft,
    NationalityDraft,
};
pub use time::{jst as jst_offset, parse_written_at};
pub use validate::{LOCATION_CATEGORIES, validate};

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::consent::{Agreement, ConsentMatrix};
use crate::validation::FieldWarning;

/// ④ 男女の別.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "男" | "男性" => Some(Sex::Male),
            "女" | "女性" => Some(Sex::Female),
            _ => None,
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }
}

/// ⑥ 国籍.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "name")]
pub enum Nationality {
    Japan,
    /// Full-width katakana, e.g. アメリカ.
    Other(String),
    Unknown,
}

impl Nationality {
    pub fn label_ja(&self) -> String {
        match self {
            Nationality::Japan => "日本".to_string(),
            Nationality::Other(name) => name.clone(),
            Nationality::Unknown => "不明".to_string(),
        }
    }
}

/// ⑨ 負傷又は疾病の状況: the severity (triage class at first diagnosis).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// 重症: 3 weeks or more in hospital
    Severe,
    /// 中等症: in hospital, not severe
    Moderate,
    /// 軽症: no hospital stay
    Mild,
    /// その他: no doctor's diagnosis
    Other,
}

impl Severity {
    pub const LABELS: [&'static str; 4] = ["重症", "中等症", "軽症", "その他"];

    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "重症" => Some(Severity::Severe),
            "中等症" => Some(Severity::Moderate),
            "軽症" => Some(Severity::Mild),
            "その他" => Some(Severity::Other),
            _ => None,
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            Severity::Severe => "重症",
            Severity::Moderate => "中等症",
            Severity::Mild => "軽症",
            Severity::Other => "その他",
        }
    }
}

/// The person's status as entered: 避難 / 負傷 / 死亡.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Evacuated,
    Injured,
    Dead,
}

impl Status {
    pub fn label_ja(self) -> &'static str {
        match self {
            Status::Evacuated => "避難",
            Status::Injured => "負傷",
            Status::Dead => "死亡",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Evacuated => "evacuated",
            Status::Injured => "injured",
            Status::Dead => "dead",
        }
    }
}

/// Form 2 ⑧ parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Death {
    pub date: NaiveDate,
    pub time: Option<NaiveTime>,
    pub no_medical_certificate: bool,
    pub discovered: bool,
}

/// Values parsed out of the draft.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parsed {
    /// 記入日時 (E-13).
    pub written_at: DateTime<Utc>,
    pub birth_date: Option<NaiveDate>,
    pub sex: Option<Sex>,
    pub nationality: Nationality,
    /// Furigana in the display convention (full-width katakana, one full-width space).
    pub furigana: Option<String>,
    /// Form 1: `Some` when 負傷; `None` for 非該当. Always `None` on Form 2.
    pub injury: Option<Severity>,
    /// Form 2 only.
    pub death: Option<Death>,
    pub consent: ConsentMatrix,
    /// ⑭ (Form 1) or the bereaved's ⑪ (Form 2).
    pub others: Agreement,
    /// E-07 意思確認不可.
    pub consent_not_confirmable: bool,
    /// Other identifying information with the markers the guideline asks for
    /// (意思確認不可, 診断書等無し, 発見された日時及び場所) appended with `、`.
    pub identifying_info: String,
    pub status: Status,
}

/// Canonical keys (N-04) computed from the raw fields with `version`'s rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CanonicalKeys {
    pub version: u32,
    pub name: String,
    pub furigana: String,
    pub address: String,
    pub identifying_info: String,
}

/// A validated entry: raw draft, parsed values, canonical keys, warnings (E-09).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub draft: EntryDraft,
    pub parsed: Parsed,
    pub keys: CanonicalKeys,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<FieldWarning>,
}

impl Entry {
    /// The name to show in lists, on one line: the name, else the furigana, else the
    /// identifying information (for a person whose name is unknown; free text, so its
    /// line breaks become spaces).
    pub fn display_name(&self) -> String {
        let draft = &self.draft;
        let name = draft.name.trim();
        let shown = if !name.is_empty() {
            name.to_string()
        } else if let Some(furigana) = &self.parsed.furigana {
            furigana.clone()
        } else {
            format!("（氏名不明）{}", self.parsed.identifying_info)
        };
        one_line(&shown)
    }

    /// The address as one line.
    pub fn address_line(&self) -> String {
        let a = &self.draft.address;
        if !a.foreign.trim().is_empty() {
            return a.foreign.trim().to_string();
        }
        [&a.prefecture, &a.municipality, &a.town, &a.lot]
            .iter()
            .map(|s| s.trim())
            .collect::<Vec<_>>()
            .concat()
    }
}

/// `text` for a one-line display: line breaks and other control characters become
/// spaces, direction and invisible characters are dropped (entries recorded before
/// `text::check` refused them, or received from elsewhere, may hold them).
fn one_line(text: &str) -> String {
    text.chars()
        .filter_map(|c| {
            let dropped = crate::text::DIRECTION
                .iter()
                .chain(&crate::text::INVISIBLE)
                .any(|(low, high)| (*low..=*high).contains(&c));
            if dropped {
                None
            } else if c.is_control()
                || crate::text::SEPARATORS
                    .iter()
                    .any(|(l, h)| (*l..=*h).contains(&c))
            {
                Some(' ')
            } else {
                Some(c)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod props;
