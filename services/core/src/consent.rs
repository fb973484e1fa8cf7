//! The consent matrix (照会に対する回答の意向). R: E-07, E-08, E-09.
//!
//! Three audiences × eleven fields, yes/no. Defaults follow table 4-3 of the guideline
//! (第4 1(3)コ): family/cohabitants every field; acquaintances only other identifying
//! information and the injury flag (and the name, which an inquirer names anyway);
//! others nothing. The Form 1 answers ⑫ (family), ⑬ (acquaintances) and ⑭ (others)
//! set whole columns; per-field choices (the check boxes of figure 4-1, or a remark
//! restricting one field) override single cells.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::validation::{FieldError, FieldWarning};

/// The fields an answer can disclose (table 4-3 rows, plus the name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentField {
    Name,
    Furigana,
    BirthDate,
    Sex,
    Address,
    Nationality,
    IdentifyingInfo,
    /// 負傷（疾病）の該当; for the deceased, 死亡.
    InjuryFlag,
    /// 負傷又は疾病の状況; for the deceased, the death details.
    InjuryState,
    /// 現在の居所; for the deceased, where the body is.
    Location,
    Contact,
}

impl ConsentField {
    pub const ALL: [ConsentField; 11] = [
        ConsentField::Name,
        ConsentField::Furigana,
        ConsentField::BirthDate,
        ConsentField::Sex,
        ConsentField::Address,
        ConsentField::Nationality,
        ConsentField::IdentifyingInfo,
        ConsentField::InjuryFlag,
        ConsentField::InjuryState,
        ConsentField::Location,
        ConsentField::Contact,
    ];

    pub fn key(self) -> &'static str {
        match self {
            ConsentField::Name => "name",
            ConsentField::Furigana => "furigana",
            ConsentField::BirthDate => "birth_date",
            ConsentField::Sex => "sex",
            ConsentField::Address => "address",
            ConsentField::Nationality => "nationality",
            ConsentField::IdentifyingInfo => "identifying_info",
            ConsentField::InjuryFlag => "injury_flag",
            ConsentField::InjuryState => "injury_state",
            ConsentField::Location => "location",
            ConsentField::Contact => "contact",
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            ConsentField::Name => "氏名",
            ConsentField::Furigana => "フリガナ",
            ConsentField::BirthDate => "出生の年月日",
            ConsentField::Sex => "男女の別",
            ConsentField::Address => "住所",
            ConsentField::Nationality => "国籍",
            ConsentField::IdentifyingInfo => "その他個人を識別するための情報",
            ConsentField::InjuryFlag => "負傷（疾病）の該当",
            ConsentField::InjuryState => "負傷又は疾病の状況",
            ConsentField::Location => "現在の居所",
            ConsentField::Contact => "連絡先その他必要情報",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|field| field.key() == key)
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// Who is asking (照会者の区分).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// 親族・同居者
    Family,
    /// 知人
    Acquaintance,
    /// 親族・同居者・知人以外（公表を含む）
    Others,
}

/// A set of consented fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FieldSet(u16);

impl FieldSet {
    pub fn all() -> Self {
        FieldSet(ConsentField::ALL.iter().fold(0, |acc, f| acc | f.bit()))
    }

    pub fn none() -> Self {
        FieldSet(0)
    }

    pub fn of(fields: &[ConsentField]) -> Self {
        FieldSet(fields.iter().fold(0, |acc, f| acc | f.bit()))
    }

    pub fn contains(self, field: ConsentField) -> bool {
        self.0 & field.bit() != 0
    }

    pub fn set(&mut self, field: ConsentField, allowed: bool) {
        if allowed {
            self.0 |= field.bit();
        } else {
            self.0 &= !field.bit();
        }
    }

    pub fn fields(self) -> Vec<ConsentField> {
        ConsentField::ALL
            .into_iter()
            .filter(|f| self.contains(*f))
            .collect()
    }
}

impl Serialize for FieldSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.fields().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for FieldSet {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let fields = Vec::<ConsentField>::deserialize(deserializer)?;
        Ok(FieldSet::of(&fields))
    }
}

/// Which fields may be answered to which audience.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentMatrix {
    pub family: FieldSet,
    pub acquaintance: FieldSet,
    pub others: FieldSet,
}

impl ConsentMatrix {
    /// Table 4-3 (初期値), which also applies when consent cannot be confirmed (E-07).
    pub fn table_4_3() -> Self {
        ConsentMatrix {
            family: FieldSet::all(),
            acquaintance: FieldSet::of(&[
                ConsentField::Name,
                ConsentField::IdentifyingInfo,
                ConsentField::InjuryFlag,
            ]),
            others: FieldSet::none(),
        }
    }

    pub fn allows(&self, audience: Audience, field: ConsentField) -> bool {
        self.column(audience).contains(field)
    }

    pub fn column(&self, audience: Audience) -> FieldSet {
        match audience {
            Audience::Family => self.family,
            Audience::Acquaintance => self.acquaintance,
            Audience::Others => self.others,
        }
    }

    fn column_mut(&mut self, audience: Audience) -> &mut FieldSet {
        match audience {
            Audience::Family => &mut self.family,
            Audience::Acquaintance => &mut self.acquaintance,
            Audience::Others => &mut self.others,
        }
    }

    /// Figure 4-1: fields consented for others but not for family or acquaintances.
    pub fn inconsistent_fields(&self) -> Vec<ConsentField> {
        ConsentField::ALL
            .into_iter()
            .filter(|f| {
                self.others.contains(*f)
                    && !(self.family.contains(*f) && self.acquaintance.contains(*f))
            })
            .collect()
    }
}

/// 同意する / 同意しない / 不明 (⑭ of Form 1, ⑪ of Form 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Agreement {
    Agree,
    Disagree,
    Unknown,
}

impl Agreement {
    /// Empty text means 不明 (the system's initial value).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "同意する" | "agree" => Some(Agreement::Agree),
            "同意しない" | "disagree" => Some(Agreement::Disagree),
            "" | "不明" | "unknown" => Some(Agreement::Unknown),
            _ => None,
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            Agreement::Agree => "同意する",
            Agreement::Disagree => "同意しない",
            Agreement::Unknown => "不明",
        }
    }
}

/// Per-field choices for one field (a `None` leaves the column's value).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldChoice {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acquaintance: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub others: Option<bool>,
}

/// The consent part of a Form 1 entry as the clerk gave it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentDraft {
    /// ⑫ 親族・同居者への回答を希望する (absent: table 4-3 default, yes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<bool>,
    /// ⑬ 知人への回答を希望する (absent: table 4-3 default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acquaintance: Option<bool>,
    /// ⑭ 親族・同居者・知人以外への回答又は公表: 同意する / 同意しない / 不明 (default).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub others: String,
    /// E-07: the person's wishes could not be confirmed (意思確認不可).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_confirmable: bool,
    /// Per-field choices, keyed by field (`contact`, `location`, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, FieldChoice>,
}

impl ConsentDraft {
    pub fn is_empty(&self) -> bool {
        self.family.is_none()
            && self.acquaintance.is_none()
            && self.others.trim().is_empty()
            && self.fields.is_empty()
    }
}

/// The resolved consent with the warnings the operator must see.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedConsent {
    pub matrix: ConsentMatrix,
    pub others: Agreement,
    pub not_confirmable: bool,
    pub warnings: Vec<FieldWarning>,
}

/// Resolves a Form 1 consent draft into the matrix. R: E-07, E-08, E-09.
///
/// `not_confirmable` (or `意思確認不可` in the identifying information) applies table
/// 4-3 unchanged; any explicit answer alongside it is an error, because the two
/// contradict each other.
pub fn resolve(
    draft: &ConsentDraft,
    identifying_info: &str,
) -> Result<ResolvedConsent, Vec<FieldError>> {
    let mut errors = Vec::new();
    let not_confirmable = draft.not_confirmable || identifying_info.contains("意思確認不可");
    let others = Agreement::parse(&draft.others).unwrap_or_else(|| {
        errors.push(FieldError::new(
            "consent.others",
            format!(
                "「同意する」「同意しない」「不明」のいずれかを入力してください（入力: {}）",
                draft.others
            ),
        ));
        Agreement::Unknown
    });
    if not_confirmable && !draft.is_empty() {
        errors.push(FieldError::new(
            "consent",
            "意思確認不可の場合は初期値（表4-3）が適用されます。回答の意向は入力しないでください",
        ));
    }

    let mut matrix = ConsentMatrix::table_4_3();
    if others == Agreement::Agree {
        // Someone who agrees to answers to anyone is taken to agree to answers to
        // family and acquaintances too, unless ⑫/⑬ say otherwise.
        matrix.others = FieldSet::all();
        matrix.acquaintance = FieldSet::all();
    }
    if draft.family == Some(false) {
        matrix.family = FieldSet::none();
    }
    if draft.acquaintance == Some(false) {
        matrix.acquaintance = FieldSet::none();
    }

    for (key, choice) in &draft.fields {
        let Some(field) = ConsentField::from_key(key) else {
            let keys: Vec<_> = ConsentField::ALL.iter().map(|f| f.key()).collect();
            errors.push(FieldError::new(
                &format!("consent.fields.{key}"),
                format!(
                    "項目名「{key}」はありません（使用できる項目: {}）",
                    keys.join(", ")
                ),
            ));
            continue;
        };
        for (audience, value) in [
            (Audience::Family, choice.family),
            (Audience::Acquaintance, choice.acquaintance),
            (Audience::Others, choice.others),
        ] {
            if let Some(allowed) = value {
                matrix.column_mut(audience).set(field, allowed);
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    let warnings = matrix
        .inconsistent_fields()
        .into_iter()
        .map(|field| {
            FieldError::new(
                &format!("consent.fields.{}", field.key()),
                format!(
                    "「{}」は親族・同居者・知人以外への回答に同意していますが、親族・同居者または知人への回答には同意していません。本人に再確認してください",
                    field.label_ja()
                ),
            )
        })
        .collect();
    Ok(ResolvedConsent {
        matrix,
        others,
        not_confirmable,
        warnings,
    })
}

/// The matrix of a deceased person (Form 2): the bereaved decide for "others" (⑪);
/// family and acquaintances are answered everything (public interest, 第5 4(3)イ).
pub fn deceased_matrix(others: Agreement) -> ConsentMatrix {
    ConsentMatrix {
        family: FieldSet::all(),
        acquaintance: FieldSet::all(),
        others: if others == Agreement::Agree {
            FieldSet::all()
        } else {
            FieldSet::none()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> ConsentDraft {
        ConsentDraft::default()
    }

    #[test]
    fn empty_draft_gives_table_4_3() {
        let resolved = resolve(&draft(), "").unwrap();
        assert_eq!(resolved.matrix, ConsentMatrix::table_4_3());
        assert_eq!(resolved.others, Agreement::Unknown);
        assert!(resolved.warnings.is_empty());
        // Table 4-3 row by row.
        let m = resolved.matrix;
        for field in ConsentField::ALL {
            assert!(m.allows(Audience::Family, field), "{field:?}");
            assert!(!m.allows(Audience::Others, field), "{field:?}");
        }
        let acquaintance = m.acquaintance.fields();
        assert_eq!(
            acquaintance,
            [
                ConsentField::Name,
                ConsentField::IdentifyingInfo,
                ConsentField::InjuryFlag
            ]
        );
    }

    #[test]
    fn refusals_clear_whole_columns() {
        let d = ConsentDraft {
            family: Some(false),
            acquaintance: Some(false),
            ..draft()
        };
        let m = resolve(&d, "").unwrap().matrix;
        assert_eq!(m.family, FieldSet::none());
        assert_eq!(m.acquaintance, FieldSet::none());
    }

    #[test]
    fn agreement_for_others_opens_everything_without_warning() {
        let d = ConsentDraft {
            others: "同意する".into(),
            ..draft()
        };
        let r = resolve(&d, "").unwrap();
        assert_eq!(r.matrix.others, FieldSet::all());
        assert!(r.warnings.is_empty());
    }

    #[test]
    fn figure_4_1_inconsistency_warns_per_field() {
        // Others agreed, but location and contact refused to family: figure 4-1.
        let mut fields = BTreeMap::new();
        for key in ["location", "contact"] {
            fields.insert(
                key.to_string(),
                FieldChoice {
                    family: Some(false),
                    ..Default::default()
                },
            );
        }
        let d = ConsentDraft {
            others: "同意する".into(),
            fields,
            ..draft()
        };
        let r = resolve(&d, "").unwrap();
        let warned: Vec<_> = r.warnings.iter().map(|w| w.field.as_str()).collect();
        assert_eq!(
            warned,
            ["consent.fields.location", "consent.fields.contact"]
        );
        assert!(r.warnings[0].message.contains("再確認"));
    }

    #[test]
    fn not_confirmable_applies_defaults_and_rejects_answers() {
        let r = resolve(&draft(), "身長100cm以下、意思確認不可").unwrap();
        assert!(r.not_confirmable);
        assert_eq!(r.matrix, ConsentMatrix::table_4_3());
        let d = ConsentDraft {
            not_confirmable: true,
            family: Some(false),
            ..draft()
        };
        let errors = resolve(&d, "").unwrap_err();
        assert_eq!(errors[0].field, "consent");
    }

    #[test]
    fn unknown_field_and_bad_agreement_are_named() {
        let mut fields = BTreeMap::new();
        fields.insert("phone".to_string(), FieldChoice::default());
        let d = ConsentDraft {
            others: "はい".into(),
            fields,
            ..draft()
        };
        let errors = resolve(&d, "").unwrap_err();
        let named: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(named, ["consent.others", "consent.fields.phone"]);
    }

    #[test]
    fn field_set_round_trips_through_json() {
        let m = ConsentMatrix::table_4_3();
        let json = serde_json::to_string(&m).unwrap();
        assert!(json.contains("\"acquaintance\":[\"name\",\"identifying_info\",\"injury_flag\"]"));
        assert_eq!(serde_json::from_str::<ConsentMatrix>(&json).unwrap(), m);
    }

    #[test]
    fn deceased_matrix_follows_the_bereaved() {
        assert_eq!(deceased_matrix(Agreement::Agree).others, FieldSet::all());
        assert_eq!(deceased_matrix(Agreement::Unknown).others, FieldSet::none());
        assert_eq!(deceased_matrix(Agreement::Disagree).family, FieldSet::all());
    }
}
