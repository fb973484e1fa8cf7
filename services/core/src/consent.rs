//! The consent matrix (照会に対する回答の意向). R: E-07, E-08, E-09.
//!
//! Three audiences × eleven fields, yes/no. Defaults follow table 4-3 of the guideline
//! (第4 1(3)コ): family/cohabitants every field; acquaintances only other identifying
//! information and the injury flag (and the name, which an inquirer names anyway);
//! others nothing. The Form 1 answers ⑫ (family), ⑬ (acquaintances) and ⑭ (others)
//! set whole columns, each its own: ⑭ never widens ⑬ (a field open to others but not
//! to acquaintances is the figure 4-1 inconsistency, warned about for re-confirmation,
//! E-09). Per-field choices (the check boxes of figure 4-1, or a remark restricting one
//! field) override single cells. On Form 2 the bereaved answer ⑪ for others, family and
//! acquaintances are answered in principle, and the bereaved may restrict single items
//! (様式第2号 注4, 第5 4(3)ア ※): [`resolve_deceased`].

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

    /// The label on Form 2, where three rows mean something else: 死亡, the death
    /// details and where the body is.
    pub fn deceased_label_ja(self) -> &'static str {
        match self {
            ConsentField::InjuryFlag => "死亡",
            ConsentField::InjuryState => "死亡の日時、場所及び状況",
            ConsentField::Location => "遺体が安置されている場所",
            other => other.label_ja(),
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

/// The consent part of an entry as the clerk gave it: on Form 1 ⑫–⑭ and per-field
/// choices; on Form 2 only `fields`, the bereaved's restrictions of single items (their
/// answer ⑪ is `BereavedDraft::consent`).
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
    /// Per-field choices, keyed by field (`contact`, `location`, ...). On Form 2 they
    /// may only restrict (`false`), or repeat what ⑪ already allows.
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

    // ⑫ and ⑬ answer for their own columns; ⑭ for "others" only (R: E-08). Agreeing to
    // answers to anyone does not make acquaintances get more than ⑬ says: where they
    // differ, the figure 4-1 warning below asks for re-confirmation (E-09).
    let mut matrix = ConsentMatrix::table_4_3();
    if others == Agreement::Agree {
        matrix.others = FieldSet::all();
    }
    if draft.family == Some(false) {
        matrix.family = FieldSet::none();
    }
    if draft.acquaintance == Some(false) {
        matrix.acquaintance = FieldSet::none();
    }
    apply_choices(&mut matrix, &draft.fields, None, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ResolvedConsent {
        matrix,
        others,
        not_confirmable,
        warnings: figure_4_1_warnings(&matrix, Whom::Person),
    })
}

/// Who gave the consent, for the re-confirmation warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Whom {
    /// The person (Form 1).
    Person,
    /// The bereaved (Form 2).
    Bereaved,
}

/// Sets the cells the per-field choices name. With `ceiling` (Form 2), a `true` must
/// already be allowed by it: the choices may restrict, never widen.
fn apply_choices(
    matrix: &mut ConsentMatrix,
    choices: &BTreeMap<String, FieldChoice>,
    ceiling: Option<ConsentMatrix>,
    errors: &mut Vec<FieldError>,
) {
    for (key, choice) in choices {
        let Some(field) = ConsentField::from_key(key) else {
            let keys: Vec<_> = ConsentField::ALL.iter().map(|f| f.key()).collect();
            let shown = crate::text::printable(key);
            errors.push(FieldError::new(
                &format!("consent.fields.{shown}"),
                format!(
                    "項目名「{shown}」はありません（使用できる項目: {}）",
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
            let Some(allowed) = value else { continue };
            if let Some(ceiling) = ceiling
                && allowed
                && !ceiling.allows(audience, field)
            {
                errors.push(FieldError::new(
                    &format!("consent.fields.{key}"),
                    format!(
                        "遺族が⑪で{}への回答に同意していないため、「{}」だけを回答することはできません。様式第2号で項目ごとに入力できるのは回答の限定（false）です",
                        audience_label(audience),
                        field.deceased_label_ja()
                    ),
                ));
                continue;
            }
            matrix.column_mut(audience).set(field, allowed);
        }
    }
}

fn audience_label(audience: Audience) -> &'static str {
    match audience {
        Audience::Family => "親族・同居者",
        Audience::Acquaintance => "知人",
        Audience::Others => "親族・同居者・知人以外",
    }
}

/// Figure 4-1: one warning per field open to others but not to family or
/// acquaintances, naming who is missing, asking to re-confirm. R: E-09.
fn figure_4_1_warnings(matrix: &ConsentMatrix, whom: Whom) -> Vec<FieldWarning> {
    matrix
        .inconsistent_fields()
        .into_iter()
        .map(|field| {
            let missing = match (
                matrix.family.contains(field),
                matrix.acquaintance.contains(field),
            ) {
                (false, false) => "親族・同居者及び知人",
                (false, true) => "親族・同居者",
                _ => "知人",
            };
            let (label, who) = match whom {
                Whom::Person => (field.label_ja(), "本人"),
                Whom::Bereaved => (field.deceased_label_ja(), "遺族"),
            };
            FieldError::new(
                &format!("consent.fields.{}", field.key()),
                format!(
                    "「{label}」は親族・同居者・知人以外への回答に同意していますが、{missing}への回答には同意していません。同意の有無を{who}に再確認してください（図4-1）"
                ),
            )
        })
        .collect()
}

/// The matrix of a deceased person (Form 2) before any restriction: the bereaved decide
/// for "others" (⑪); family and acquaintances are answered every item (注1
/// 「原則として親族・同居者・知人からの照会があれば回答する」).
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

/// Resolves a deceased person's consent (Form 2). R: E-07, E-08, E-09.
///
/// `others` is the bereaved's answer ⑪; `fields` their restrictions of single items
/// (様式第2号 注4 「回答情報の限定を希望する場合は備考欄に御記入願います」; 第5 4(3)ア ※
/// 「…備考欄等で、特定の情報について回答に同意しない旨が意思表示されている場合等については、
/// 当該情報については回答することはできない」), for any audience. A `true` may only repeat
/// what ⑪ allows. When nobody could be asked (`not_confirmable`, E-07) nobody restricted
/// anything, so restrictions are refused.
pub fn resolve_deceased(
    others: Agreement,
    not_confirmable: bool,
    fields: &BTreeMap<String, FieldChoice>,
) -> Result<ResolvedConsent, Vec<FieldError>> {
    let base = deceased_matrix(others);
    if not_confirmable && !fields.is_empty() {
        return Err(vec![FieldError::new(
            "consent.fields",
            "遺族の意思を確認できない（意思確認不可）場合は、項目ごとの回答の限定は入力できません。遺族に確認できたら同意回答者を入力してください",
        )]);
    }
    let mut matrix = base;
    let mut errors = Vec::new();
    apply_choices(&mut matrix, fields, Some(base), &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ResolvedConsent {
        matrix,
        others,
        not_confirmable,
        warnings: figure_4_1_warnings(&matrix, Whom::Bereaved),
    })
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

    /// ⑭ answers for "others" only. Figure 4-1 (「親族・同居者・知人以外の者からの照会に
    /// 対する回答又は公表に同意しているにもかかわらず、親族・同居者及び知人からの照会に対する
    /// 回答に同意していない等の場合は…同意の有無について本人に再度確認し」) asks for a warning
    /// and re-confirmation, not for ⑬ to be widened. R: E-08, E-09.
    #[test]
    fn agreement_for_others_never_widens_acquaintances() {
        let d = ConsentDraft {
            others: "同意する".into(),
            ..draft()
        };
        let r = resolve(&d, "").unwrap();
        assert_eq!(r.matrix.others, FieldSet::all());
        assert_eq!(r.matrix.family, FieldSet::all());
        assert_eq!(
            r.matrix.acquaintance,
            ConsentMatrix::table_4_3().acquaintance,
            "⑬ stays as recorded"
        );
        let warned: Vec<_> = r.warnings.iter().map(|w| w.field.as_str()).collect();
        assert_eq!(warned.len(), 8, "{warned:?}");
        assert!(warned.contains(&"consent.fields.contact"));
        assert!(
            r.warnings[0]
                .message
                .contains("知人への回答には同意していません")
        );

        // Re-confirmed: the person also wants acquaintances told everything.
        let d = ConsentDraft {
            others: "同意する".into(),
            fields: ConsentField::ALL
                .iter()
                .map(|f| {
                    let choice = FieldChoice {
                        acquaintance: Some(true),
                        ..FieldChoice::default()
                    };
                    (f.key().to_string(), choice)
                })
                .collect(),
            ..draft()
        };
        let r = resolve(&d, "").unwrap();
        assert_eq!(r.matrix.acquaintance, FieldSet::all());
        assert!(r.warnings.is_empty());
    }

    #[test]
    fn figure_4_1_inconsistency_warns_per_field() {
        // Figure 4-1 as drawn: every box ticked for every audience, but 現在の居所 and
        // 連絡先その他必要情報 not for family and acquaintances.
        let mut fields: BTreeMap<String, FieldChoice> = ConsentField::ALL
            .iter()
            .map(|f| {
                let choice = FieldChoice {
                    acquaintance: Some(true),
                    ..Default::default()
                };
                (f.key().to_string(), choice)
            })
            .collect();
        for key in ["location", "contact"] {
            fields.insert(
                key.to_string(),
                FieldChoice {
                    family: Some(false),
                    acquaintance: Some(false),
                    others: None,
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
        assert!(
            r.warnings[0]
                .message
                .contains("親族・同居者及び知人への回答には同意していません"),
            "{}",
            r.warnings[0].message
        );
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
    fn the_bereaved_restrict_single_items_and_never_widen() {
        let restrict = |family, acquaintance, others| FieldChoice {
            family,
            acquaintance,
            others,
        };
        let fields = BTreeMap::from([
            ("location".to_string(), restrict(Some(false), None, None)),
            ("contact".to_string(), restrict(None, None, Some(false))),
        ]);
        let r = resolve_deceased(Agreement::Agree, false, &fields).unwrap();
        assert!(!r.matrix.allows(Audience::Family, ConsentField::Location));
        assert!(
            r.matrix
                .allows(Audience::Acquaintance, ConsentField::Location)
        );
        assert!(!r.matrix.allows(Audience::Others, ConsentField::Contact));
        // The body's place is open to others but not to family: figure 4-1, for the
        // bereaved to re-confirm.
        assert_eq!(r.warnings.len(), 1);
        assert_eq!(r.warnings[0].field, "consent.fields.location");
        assert!(r.warnings[0].message.contains("遺体が安置されている場所"));
        assert!(r.warnings[0].message.contains("遺族に再確認"));

        // `true` that only repeats ⑪ is fine; `true` beyond it is refused.
        let same = BTreeMap::from([("contact".to_string(), restrict(Some(true), None, None))]);
        assert!(resolve_deceased(Agreement::Disagree, false, &same).is_ok());
        let wider = BTreeMap::from([("contact".to_string(), restrict(None, None, Some(true)))]);
        let errors = resolve_deceased(Agreement::Disagree, false, &wider).unwrap_err();
        assert_eq!(errors[0].field, "consent.fields.contact");
        // Nobody to restrict anything when the bereaved could not be asked.
        let errors = resolve_deceased(Agreement::Unknown, true, &fields).unwrap_err();
        assert_eq!(errors[0].field, "consent.fields");
        assert!(resolve_deceased(Agreement::Unknown, true, &BTreeMap::new()).is_ok());
    }

    #[test]
    fn deceased_matrix_follows_the_bereaved() {
        assert_eq!(deceased_matrix(Agreement::Agree).others, FieldSet::all());
        assert_eq!(deceased_matrix(Agreement::Unknown).others, FieldSet::none());
        assert_eq!(deceased_matrix(Agreement::Disagree).family, FieldSet::all());
    }
}
