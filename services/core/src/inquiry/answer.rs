//! Answering an inquiry (安否情報の回答): what Form 5 discloses. R,
//! E-07, E-08.
//!
//! 1. Status (施行令 第26条第2項, 第5 4(2)ウ): whatever the consent, the inquirer is told
//!    whether the person is an evacuee (該当/非該当) and whether they died or were
//!    injured (死亡/負傷/非該当). A Form 1 record is 該当 (also after 退去); a Form 2
//!    record is 非該当 / 死亡; no record (not held, or not identified) is 非該当 twice.
//! 2. Other information (施行令 第26条第3項, 第5 4(3)): with the person's consent (ア),
//!    the cells of the consent matrix for the inquirer's relationship (E-08, Form 1
//!    ⑫〜⑭ and remarks restricting single fields; for the deceased the bereaved's
//!    answer, 「遺族…が回答に同意する場合において、本人の同意があるときとみなし」, and
//!    the single items they restricted, 様式第2号 注4);
//!    when consent could not be asked (意思確認不可, E-07), 公益上特に必要があると認める
//!    とき (イ, table 4-2): family everything (ア), acquaintances 「①氏名、②その他個人を
//!    識別するための情報、③負傷や疾病の有無」 or everything for the deceased (イ), others
//!    nothing unless the collecting body decided to publish (ウ).
//! 3. Never more identity than the inquirer knows (第5 4(5)): 「①住所、②出生の生年月日、
//!    ③男女の別、④住所、⑤国籍（日本国籍を有しない者に限る。）、⑥その他個人を識別する
//!    ための情報については、照会者が承知している情報以上の情報は開示しない（本人が開示に
//!    ついて同意している場合を除く。）」. The list names 住所 twice; the first is read
//!    as 氏名, the first of the 4 information. Without consent an identity field is
//!    disclosed only when the inquirer gave it and the record agrees with it; an
//!    address more precise than the inquirer's (they gave no lot) is withheld.
//! 4. Location, injury state and contact say when they were true (第5 4(3)ア ※
//!    「括弧書きで何月何日現在の情報であるかを明記して回答する」): `as_of` = 記入日時.
//!
//! Everything withheld, and why, goes to `officer_notes`, which Form 5 never prints.

use chrono::Timelike;

use super::identify::{FieldMatch, TargetKeys};
use crate::consent::{Audience, ConsentField, FieldSet};
use crate::entry::{Nationality, Status};
use crate::era;
use crate::inquiry_types::{
    Answer, Basis, CasualtyAnswer, Disclosed, EvacueeAnswer, Inquiry, Relationship, TargetField,
};
use crate::private_area::RecordState;

/// What the answering body knows besides the record.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AnswerContext {
    /// The record was collected by the answering body itself (its own private area), not
    /// shared from another body (第5 4(3)イ(ウ) a/b).
    pub collected_here: bool,
    /// The decision to publish (公表, X-02) this person's minimal information: this
    /// body's own when `collected_here`, else the collecting body's as confirmed with it
    /// (第5 4(3)イ(ウ)b); `None` = no decision. Only used for "others" under
    /// PublicInterest.
    pub publication_decided: Option<bool>,
}

/// The disclosable fields in the order of Form 5's rows: the injury flag stands for
/// the 死亡又は負傷 row, then 氏名 … その他個人を識別するための情報, 現在の居所, 負傷又は疾病
/// の状況, 連絡先その他必要情報.
pub const FORM5_ORDER: [ConsentField; 11] = [
    ConsentField::InjuryFlag,
    ConsentField::Name,
    ConsentField::Furigana,
    ConsentField::BirthDate,
    ConsentField::Sex,
    ConsentField::Address,
    ConsentField::Nationality,
    ConsentField::IdentifyingInfo,
    ConsentField::Location,
    ConsentField::InjuryState,
    ConsentField::Contact,
];

/// The identity fields of 第5 4(5), with the inquiry field they are checked against.
fn identity_field(field: ConsentField) -> Option<TargetField> {
    match field {
        ConsentField::Name => Some(TargetField::Name),
        ConsentField::Furigana => Some(TargetField::Furigana),
        ConsentField::BirthDate => Some(TargetField::BirthDate),
        ConsentField::Sex => Some(TargetField::Sex),
        ConsentField::Address => Some(TargetField::Address),
        ConsentField::Nationality => Some(TargetField::Nationality),
        ConsentField::IdentifyingInfo => Some(TargetField::IdentifyingInfo),
        _ => None,
    }
}

fn audience_label(audience: Audience) -> &'static str {
    match audience {
        Audience::Family => "親族・同居者",
        Audience::Acquaintance => "知人",
        Audience::Others => "親族・同居者・知人以外の者",
    }
}

/// The fields' labels; for the deceased as Form 2 names them, each in 「」 (死亡の日時、
/// 場所及び状況 holds a 、 itself).
fn labels(fields: &[ConsentField], dead: bool) -> String {
    fields
        .iter()
        .map(|f| {
            if dead {
                format!("「{}」", f.deceased_label_ja())
            } else {
                f.label_ja().to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("、")
}

/// The fields allowed under 第5 4(3)イ (table 4-2), and whether the address is cut to
/// prefecture and municipality (publication's minimal information).
fn public_interest(
    relationship: Relationship,
    dead: bool,
    context: &AnswerContext,
    notes: &mut Vec<String>,
) -> (FieldSet, bool) {
    match relationship {
        // (ア) 「原則どおり全ての情報について回答を行う」.
        Relationship::Family => (FieldSet::all(), false),
        // (イ) the deceased: everything; evacuees and the injured: name, identifying
        // information, injury flag.
        Relationship::Acquaintance if dead => (FieldSet::all(), false),
        Relationship::Acquaintance => {
            notes.push(
                "意思確認不可の避難住民・負傷住民のため、知人には氏名、その他個人を識別するための情報、負傷（疾病）の該当のみ回答します（第5 4(3)イ(イ)）".to_string(),
            );
            (
                FieldSet::of(&[
                    ConsentField::Name,
                    ConsentField::IdentifyingInfo,
                    ConsentField::InjuryFlag,
                ]),
                false,
            )
        }
        // (ウ) 「原則として回答を行わない」, unless the collecting body publishes; for
        // another body's record, as that body decided, once confirmed with it (b).
        Relationship::Other if !context.collected_here => match context.publication_decided {
            Some(true) => {
                notes.push(
                    "収集団体に確認した結果、公表すると判断されている者のため、必要最小限度の情報（氏名、住所の都道府県・市区町村）に限り回答します（第5 4(3)イ(ウ)b）".to_string(),
                );
                (
                    FieldSet::of(&[ConsentField::Name, ConsentField::Address]),
                    true,
                )
            }
            Some(false) => {
                notes.push(
                    "収集団体に確認した結果、公表しないと判断されている者のため、該当・非該当のみ回答します（第5 4(3)イ(ウ)b）".to_string(),
                );
                (FieldSet::none(), false)
            }
            None => {
                notes.push(
                    "他団体が収集した安否情報です。収集団体に公表の可否を確認してください（第5 4(3)イ(ウ)b）。確認できるまでは該当・非該当のみ回答します".to_string(),
                );
                (FieldSet::none(), false)
            }
        },
        Relationship::Other => match context.publication_decided {
            Some(true) => {
                notes.push(
                    "公表すると判断された者のため、必要最小限度の情報（氏名、住所の都道府県・市区町村）に限り回答します（第5 4(3)イ(ウ)a）".to_string(),
                );
                (
                    FieldSet::of(&[ConsentField::Name, ConsentField::Address]),
                    true,
                )
            }
            Some(false) => {
                notes.push(
                    "公表しないと判断された者のため、該当・非該当のみ回答します（第5 4(3)イ(ウ)a）"
                        .to_string(),
                );
                (FieldSet::none(), false)
            }
            None => {
                notes.push(
                    "親族・同居者・知人以外からの照会です。公表の可否を判断するまでは該当・非該当のみ回答します（第5 4(3)イ(ウ)a）".to_string(),
                );
                (FieldSet::none(), false)
            }
        },
    }
}

/// `record`: the identified record, or None (not held / not identified → 非該当 both, StatusOnly).
pub fn answer(inquiry: &Inquiry, record: Option<&RecordState>, context: &AnswerContext) -> Answer {
    let mut notes = Vec::new();
    let record = match record {
        Some(record) if record.deletion.is_some() => {
            notes.push(
                "削除された安否情報は回答に用いません。保有していない情報として「非該当」と回答します"
                    .to_string(),
            );
            None
        }
        other => other,
    };
    let Some(record) = record else {
        notes.push(
            "安否情報を保有していない（または被照会者を特定できない）ため、いずれも「非該当」と回答します。特定できない場合は、照会者にその旨を伝え、さらに特定するための情報を求めてください（第5 3(3)イ）".to_string(),
        );
        return Answer {
            evacuee: EvacueeAnswer::NotApplicable,
            casualty: CasualtyAnswer::NotApplicable,
            basis: Basis::StatusOnly,
            fields: Vec::new(),
            officer_notes: notes,
        };
    };

    let parsed = &record.entry.parsed;
    let dead = parsed.status == Status::Dead;
    let (evacuee, casualty) = if dead {
        (EvacueeAnswer::NotApplicable, CasualtyAnswer::Dead)
    } else if parsed.injury.is_some() {
        (EvacueeAnswer::Applicable, CasualtyAnswer::Injured)
    } else {
        (EvacueeAnswer::Applicable, CasualtyAnswer::NotApplicable)
    };

    let audience = inquiry.relationship.audience();
    let (basis, allowed, reduced_address) = if parsed.consent_not_confirmable {
        notes.push(
            "意思確認不可のため、公益上特に必要があると認めるときの基準（第5 4(3)イ、表4-2）で回答します".to_string(),
        );
        let (allowed, reduced) = public_interest(inquiry.relationship, dead, context, &mut notes);
        (Basis::PublicInterest, allowed, reduced)
    } else {
        let matrix = &parsed.consent;
        let column = matrix.column(audience);
        if [matrix.family, matrix.acquaintance, matrix.others]
            .iter()
            .all(|set| *set == FieldSet::none())
        {
            notes.push(
                "本人は一切の照会への回答を希望していません。避難住民・死亡又は負傷した住民の該当・非該当のみ回答します（施行令第26条第2項）。DV等のおそれがないか、照会が不当な目的によるものでないか慎重に確認してください".to_string(),
            );
        } else if column == FieldSet::none() {
            notes.push(format!(
                "{}は{}への回答に同意していません。該当・非該当のみ回答します（第5 4(3)ア）",
                if dead { "遺族" } else { "本人" },
                audience_label(audience)
            ));
        }
        (Basis::Consent, column, false)
    };

    let keys = TargetKeys::of(&inquiry.target);
    let mut refused = Vec::new();
    let mut not_given = Vec::new();
    let mut more_precise = Vec::new();
    let mut differing = Vec::new();
    let mut fields = Vec::new();
    for field in FORM5_ORDER {
        let value = value_of(field, record, basis, reduced_address);
        if value.is_empty() {
            continue;
        }
        if !allowed.contains(field) {
            refused.push(field);
            continue;
        }
        if let (Basis::PublicInterest, Some(target_field)) = (basis, identity_field(field)) {
            match keys.compare(target_field, &record.entry) {
                None => {
                    not_given.push(field);
                    continue;
                }
                Some(FieldMatch::Equal) => {}
                // The record's identifying information holds every piece given.
                Some(FieldMatch::Within) if field == ConsentField::IdentifyingInfo => {}
                // Cut to prefecture and municipality: no more than the inquirer gave.
                Some(FieldMatch::Within) if reduced_address => {}
                Some(FieldMatch::Within) => {
                    more_precise.push(field);
                    continue;
                }
                Some(FieldMatch::Differs) => {
                    differing.push(field);
                    continue;
                }
            }
        }
        let as_of = matches!(
            field,
            ConsentField::Location | ConsentField::InjuryState | ConsentField::Contact
        )
        .then_some(parsed.written_at);
        fields.push(Disclosed {
            field,
            label: field.label_ja().to_string(),
            value,
            as_of,
        });
    }

    if !refused.is_empty() && allowed != FieldSet::none() {
        // R: E-08. On Form 2 the bereaved's restrictions (注4) are why (第5 4(3)ア ※).
        notes.push(match basis {
            Basis::Consent => format!(
                "{}が{}への回答に同意していない項目は回答しません（第5 4(3)ア）: {}",
                if dead { "遺族" } else { "本人" },
                audience_label(audience),
                labels(&refused, dead)
            ),
            _ => format!(
                "公益上の基準で回答できない項目は回答しません: {}",
                labels(&refused, dead)
            ),
        });
    }
    if !not_given.is_empty() {
        notes.push(format!(
            "照会者が示していない項目は、照会者が承知している情報以上の情報となるため回答しません（第5 4(5)）: {}",
            labels(&not_given, dead)
        ));
    }
    if !more_precise.is_empty() {
        notes.push(format!(
            "記録の内容が照会者の示したものより詳しいため回答しません（第5 4(5)）: {}",
            labels(&more_precise, dead)
        ));
    }
    if !differing.is_empty() {
        notes.push(format!(
            "照会者の示した内容と記録が一致しないため回答しません（第5 4(5)）: {}",
            labels(&differing, dead)
        ));
    }

    Answer {
        evacuee,
        casualty,
        basis: if fields.is_empty() {
            Basis::StatusOnly
        } else {
            basis
        },
        fields,
        officer_notes: notes,
    }
}

/// The value of `field` as the record holds it, written as Form 5 writes a disclosed
/// value (birth date in era form, 「死亡」 with the death details, the place of the body,
/// 退去 with its date): for the report (Form 3) and printouts, which show everything.
/// Nationality is empty for a Japanese or unknown nationality, as on Form 5.
pub fn record_value(field: ConsentField, record: &RecordState) -> String {
    value_of(field, record, Basis::Consent, false)
}

/// The value of `field` as Form 5 shows it; empty when the record has none (or, for
/// nationality, when the person is Japanese or their nationality unknown: Form 5 asks
/// 「日本国籍を有しない者に限る」).
fn value_of(
    field: ConsentField,
    record: &RecordState,
    basis: Basis,
    reduced_address: bool,
) -> String {
    let entry = &record.entry;
    let draft = &entry.draft;
    let parsed = &entry.parsed;
    let dead = parsed.status == Status::Dead;
    match field {
        ConsentField::Name => {
            let name = draft.name.trim();
            let alias = draft.alias.trim();
            // 通称 is more than the inquirer may know: only with consent.
            if name.is_empty() || alias.is_empty() || basis != Basis::Consent {
                name.to_string()
            } else {
                format!("{name}（通称: {alias}）")
            }
        }
        ConsentField::Furigana => parsed.furigana.clone().unwrap_or_default(),
        ConsentField::BirthDate => parsed.birth_date.map(era::format_era).unwrap_or_default(),
        ConsentField::Sex => parsed
            .sex
            .map(|s| s.label_ja().to_string())
            .unwrap_or_default(),
        ConsentField::Address if reduced_address => {
            let a = &draft.address;
            if a.foreign.trim().is_empty() {
                format!("{}{}", a.prefecture.trim(), a.municipality.trim())
            } else {
                String::new()
            }
        }
        ConsentField::Address => entry.address_line(),
        ConsentField::Nationality => match &parsed.nationality {
            Nationality::Other(name) => name.clone(),
            Nationality::Japan | Nationality::Unknown => String::new(),
        },
        ConsentField::IdentifyingInfo => parsed.identifying_info.trim().to_string(),
        ConsentField::InjuryFlag => match (dead, parsed.injury) {
            (true, _) => "死亡",
            (false, Some(_)) => "負傷",
            (false, None) => "非該当",
        }
        .to_string(),
        ConsentField::InjuryState if dead => death_state(record),
        ConsentField::InjuryState => match parsed.injury {
            Some(severity) => {
                let description = draft.injury.description.trim();
                if description.is_empty() {
                    severity.label_ja().to_string()
                } else {
                    format!("{}：{description}", severity.label_ja())
                }
            }
            None => String::new(),
        },
        ConsentField::Location if dead => draft.body_location.trim().to_string(),
        ConsentField::Location => match &record.departure {
            Some(departure) => format!("退去（{}）", era::format_era(departure.date)),
            None => location_line(record),
        },
        ConsentField::Contact => draft.contact.trim().to_string(),
    }
}

/// Form 5 備考4: 「死亡」 and the date and time, place and circumstances of death (or of
/// discovery, 「発見された日時及び場所であること明記すること」).
fn death_state(record: &RecordState) -> String {
    let draft = &record.entry.draft.death;
    let (when, place) = if draft.discovered {
        ("発見の日時", "発見の場所")
    } else {
        ("死亡の日時", "死亡の場所")
    };
    let mut parts = Vec::new();
    if let Some(death) = &record.entry.parsed.death {
        let mut moment = era::format_era(death.date);
        if let Some(time) = death.time {
            moment.push_str(&format!(" {}時{}分", time.hour(), time.minute()));
        }
        parts.push(format!("{when}：{moment}"));
    }
    if !draft.place.trim().is_empty() {
        parts.push(format!("{place}：{}", draft.place.trim()));
    }
    if !draft.circumstances.trim().is_empty() {
        parts.push(format!("状況：{}", draft.circumstances.trim()));
    }
    if parts.is_empty() {
        "死亡".to_string()
    } else {
        format!("死亡（{}）", parts.join("、"))
    }
}

/// Form 1 ⑩ as one line: the address, the place, and the category in brackets.
fn location_line(record: &RecordState) -> String {
    let l = &record.entry.draft.location;
    let address: String = [&l.prefecture, &l.municipality, &l.town, &l.lot]
        .iter()
        .map(|s| s.trim())
        .collect();
    let words: Vec<&str> = [address.as_str(), l.place_name.trim()]
        .into_iter()
        .filter(|w| !w.is_empty())
        .collect();
    let text = words.join(" ");
    match (text.is_empty(), l.category.trim()) {
        (_, "") => text,
        (true, category) => category.to_string(),
        (false, category) => format!("{text}（{category}）"),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::{NaiveDate, TimeZone, Utc};

    use super::*;
    use crate::consent::FieldChoice;
    use crate::entry::EntryDraft;
    use crate::entry::fixtures::{deceased, injured};
    use crate::inquiry::testing::{deleted, departed, inquiry, record};
    use crate::inquiry_types::TargetDraft;

    const F1_WRITTEN: (i32, u32, u32, u32, u32) = (2026, 11, 21, 5, 30);

    fn foreign(mut draft: EntryDraft) -> EntryDraft {
        draft.nationality.kind = "その他".into();
        draft.nationality.other = "アメリカ".into();
        draft
    }

    /// Every row of Form 5 has a value (but the injury state of an evacuee).
    fn full_evacuee() -> EntryDraft {
        let mut draft = foreign(injured());
        draft.injury = Default::default();
        draft.injury.status = "非該当".into();
        draft
    }

    fn full_injured() -> EntryDraft {
        foreign(injured())
    }

    fn full_deceased() -> EntryDraft {
        let mut draft = foreign(deceased());
        draft.identifying_info = "身長170cm程度、青い上着".into();
        draft.contact = "千代田区総合体育館 03-1111-2222".into();
        draft
    }

    fn not_confirmable(mut draft: EntryDraft) -> EntryDraft {
        match draft.form {
            crate::entry::FormKind::Form1 => draft.consent.not_confirmable = true,
            crate::entry::FormKind::Form2 => draft.bereaved = Default::default(),
        }
        draft
    }

    /// Everything the inquirer could give, consistent with the full drafts.
    fn full_target() -> TargetDraft {
        TargetDraft {
            name: "消防太郎".into(),
            furigana: "ショウボウ　タロウ".into(),
            birth_date: "昭和56年11月25日".into(),
            sex: "男".into(),
            address: "東京都千代田区霞が関2-1-2".into(),
            nationality: "アメリカ".into(),
            identifying_info: "青い上着".into(),
        }
    }

    fn name_only() -> TargetDraft {
        TargetDraft {
            name: "消防太郎".into(),
            ..TargetDraft::default()
        }
    }

    const REASONS: [&str; 3] = ["family", "acquaintance", "other"];

    fn disclosed(answer: &Answer) -> Vec<ConsentField> {
        answer.fields.iter().map(|d| d.field).collect()
    }

    fn answered(reason: &str, target: TargetDraft, draft: &EntryDraft) -> Answer {
        answer(
            &inquiry(reason, target),
            Some(&record(1, draft)),
            &AnswerContext::default(),
        )
    }

    use ConsentField::{
        Address, BirthDate, Contact, Furigana, IdentifyingInfo, InjuryFlag, InjuryState, Location,
        Name, Nationality as Nat, Sex,
    };

    /// Table 4-3 (初期値), one row per field: family, acquaintance, others; the name
    /// row as E-08 and `consent::ConsentMatrix::table_4_3` hold it.
    const TABLE_4_3: [(ConsentField, [bool; 3]); 11] = [
        (Name, [true, true, false]),
        (Furigana, [true, false, false]),
        (BirthDate, [true, false, false]),
        (Sex, [true, false, false]),
        (Address, [true, false, false]),
        (Nat, [true, false, false]),
        (IdentifyingInfo, [true, true, false]),
        (InjuryFlag, [true, true, false]),
        (InjuryState, [true, false, false]),
        (Location, [true, false, false]),
        (Contact, [true, false, false]),
    ];

    #[test]
    fn status_answers() {
        let cases: [(&str, EntryDraft, EvacueeAnswer, CasualtyAnswer); 3] = [
            (
                "evacuee",
                full_evacuee(),
                EvacueeAnswer::Applicable,
                CasualtyAnswer::NotApplicable,
            ),
            (
                "injured",
                full_injured(),
                EvacueeAnswer::Applicable,
                CasualtyAnswer::Injured,
            ),
            (
                "deceased",
                full_deceased(),
                EvacueeAnswer::NotApplicable,
                CasualtyAnswer::Dead,
            ),
        ];
        for (name, draft, evacuee, casualty) in cases {
            for reason in REASONS {
                let a = answered(reason, name_only(), &draft);
                assert_eq!(
                    (a.evacuee, a.casualty),
                    (evacuee, casualty),
                    "{name} {reason}"
                );
            }
        }
        let inquiry = inquiry("family", name_only());
        let none = answer(&inquiry, None, &AnswerContext::default());
        assert_eq!(
            (none.evacuee, none.casualty, none.basis),
            (
                EvacueeAnswer::NotApplicable,
                CasualtyAnswer::NotApplicable,
                Basis::StatusOnly
            )
        );
        assert!(none.fields.is_empty());
        // A deleted record is not held.
        let gone = deleted(record(1, &full_evacuee()));
        let a = answer(&inquiry, Some(&gone), &AnswerContext::default());
        assert_eq!(a.evacuee, EvacueeAnswer::NotApplicable);
        assert!(a.fields.is_empty());
        assert_eq!(
            (
                EvacueeAnswer::Applicable.label_ja(),
                CasualtyAnswer::Dead.label_ja()
            ),
            ("該当", "死亡")
        );
    }

    #[test]
    fn a_departed_evacuee_is_still_an_evacuee() {
        let state = departed(record(1, &full_evacuee()), "2026-11-22");
        let a = answer(
            &inquiry("family", name_only()),
            Some(&state),
            &AnswerContext::default(),
        );
        assert_eq!(a.evacuee, EvacueeAnswer::Applicable);
        assert_eq!(a.value(Location), Some("退去（令和8年11月22日）"));
    }

    #[test]
    fn consent_follows_table_4_3_row_by_row() {
        // Form 1 with no answers to ⑫〜⑭ holds table 4-3; the inquirer gives only the
        // name, but with consent the identity fields are disclosed all the same.
        for (status, draft) in [("evacuee", full_evacuee()), ("injured", full_injured())] {
            let state = record(1, &draft);
            for (column, reason) in REASONS.iter().enumerate() {
                let a = answer(
                    &inquiry(reason, name_only()),
                    Some(&state),
                    &AnswerContext::default(),
                );
                for (field, allowed) in TABLE_4_3 {
                    let has_value = !(status == "evacuee" && field == InjuryState);
                    assert_eq!(
                        a.value(field).is_some(),
                        allowed[column] && has_value,
                        "{status} {reason} {field:?}"
                    );
                }
                let expected_basis = if column == 2 {
                    Basis::StatusOnly
                } else {
                    Basis::Consent
                };
                assert_eq!(a.basis, expected_basis, "{status} {reason}");
            }
        }
    }

    #[test]
    fn the_deceased_follow_the_bereaved() {
        // Form 2: family and acquaintances everything; others as the bereaved said (⑪).
        for (consent, others) in [("同意しない", false), ("不明", false), ("同意する", true)]
        {
            let mut draft = full_deceased();
            draft.bereaved.consent = consent.into();
            let state = record(1, &draft);
            for (column, reason) in REASONS.iter().enumerate() {
                let a = answer(
                    &inquiry(reason, name_only()),
                    Some(&state),
                    &AnswerContext::default(),
                );
                let expected = if column < 2 || others {
                    FORM5_ORDER.to_vec()
                } else {
                    Vec::new()
                };
                assert_eq!(disclosed(&a), expected, "{consent} {reason}");
            }
        }
    }

    #[test]
    fn public_interest_follows_table_4_2() {
        // 意思確認不可 (E-07): 第5 4(3)イ. The inquirer gives every identity field, so
        // only the rules of (ア)(イ)(ウ) decide.
        let all = FORM5_ORDER.to_vec();
        let acquaintance_living = vec![InjuryFlag, Name, IdentifyingInfo];
        let cases: [(&str, EntryDraft, [Vec<ConsentField>; 3]); 3] = [
            (
                "evacuee",
                full_evacuee(),
                [
                    all.iter().copied().filter(|f| *f != InjuryState).collect(),
                    acquaintance_living.clone(),
                    vec![],
                ],
            ),
            (
                "injured",
                full_injured(),
                [all.clone(), acquaintance_living.clone(), vec![]],
            ),
            (
                "deceased",
                full_deceased(),
                [all.clone(), all.clone(), vec![]],
            ),
        ];
        for (status, draft, expected) in cases {
            let state = record(1, &not_confirmable(draft));
            assert!(state.entry.parsed.consent_not_confirmable);
            for (column, reason) in REASONS.iter().enumerate() {
                let a = answer(
                    &inquiry(reason, full_target()),
                    Some(&state),
                    &AnswerContext::default(),
                );
                assert_eq!(disclosed(&a), expected[column], "{status} {reason}");
                let basis = if expected[column].is_empty() {
                    Basis::StatusOnly
                } else {
                    Basis::PublicInterest
                };
                assert_eq!(a.basis, basis, "{status} {reason}");
                assert!(
                    a.officer_notes.iter().any(|n| n.contains("意思確認不可")),
                    "{:?}",
                    a.officer_notes
                );
            }
        }
    }

    #[test]
    fn a_remark_restricting_one_field_withholds_exactly_that_field() {
        let full = answered("family", name_only(), &full_injured());
        for key in ["location", "contact", "birth_date"] {
            let mut draft = full_injured();
            let mut fields = BTreeMap::new();
            fields.insert(
                key.to_string(),
                FieldChoice {
                    family: Some(false),
                    ..FieldChoice::default()
                },
            );
            draft.consent.fields = fields;
            let restricted = answered("family", name_only(), &draft);
            let field = ConsentField::from_key(key).unwrap();
            let expected: Vec<ConsentField> = disclosed(&full)
                .into_iter()
                .filter(|f| *f != field)
                .collect();
            assert_eq!(disclosed(&restricted), expected, "{key}");
            assert!(
                restricted
                    .officer_notes
                    .iter()
                    .any(|n| n.contains(field.label_ja())),
                "{:?}",
                restricted.officer_notes
            );
            // Acquaintances are not affected by a family-only restriction.
            assert_eq!(
                disclosed(&answered("acquaintance", name_only(), &draft)),
                [InjuryFlag, Name, IdentifyingInfo]
            );
        }
    }

    #[test]
    fn never_more_than_the_inquirer_gave_without_consent() {
        let state = record(1, &not_confirmable(full_injured()));
        let a = answer(
            &inquiry("family", name_only()),
            Some(&state),
            &AnswerContext::default(),
        );
        // Identity fields: only the name, which the inquirer gave; the rest of Form 5
        // (injury, location, contact) is not identity and goes to the family.
        assert_eq!(
            disclosed(&a),
            [InjuryFlag, Name, Location, InjuryState, Contact]
        );
        assert_eq!(a.basis, Basis::PublicInterest);
        let note = a
            .officer_notes
            .iter()
            .find(|n| n.contains("第5 4(5)"))
            .expect("a note on what was withheld");
        assert!(
            note.contains(
                "フリガナ、出生の年月日、男女の別、住所、国籍、その他個人を識別するための情報"
            ),
            "{note}"
        );

        // Each identity field the inquirer adds is disclosed, one at a time.
        type Addition = (ConsentField, fn(&mut TargetDraft));
        let additions: [Addition; 6] = [
            (Furigana, |t| t.furigana = "しょうぼう　たろう".into()),
            (BirthDate, |t| t.birth_date = "S56.11.25".into()),
            (Sex, |t| t.sex = "男性".into()),
            (Address, |t| {
                t.address = "東京都千代田区霞ヶ関二丁目1番2号".into()
            }),
            (Nat, |t| t.nationality = "あめりか".into()),
            (IdentifyingInfo, |t| {
                t.identifying_info = "身長１７０ｃｍ".into()
            }),
        ];
        for (field, add) in additions {
            let mut target = name_only();
            add(&mut target);
            let a = answer(
                &inquiry("family", target),
                Some(&state),
                &AnswerContext::default(),
            );
            let mut expected = vec![InjuryFlag, Name, field, Location, InjuryState, Contact];
            expected.sort_by_key(|f| FORM5_ORDER.iter().position(|o| o == f));
            assert_eq!(disclosed(&a), expected, "{field:?}");
        }
    }

    #[test]
    fn never_more_than_the_inquirer_gave_unless_consented() {
        // With consent (table 4-3 for family), the name alone brings every field.
        let a = answered("family", name_only(), &full_injured());
        assert_eq!(disclosed(&a), FORM5_ORDER.to_vec());
        assert_eq!(a.basis, Basis::Consent);
        assert_eq!(a.value(BirthDate), Some("昭和56年11月25日"));
        assert_eq!(a.value(Furigana), Some("ショウボウ\u{3000}タロウ"));
        assert_eq!(a.value(Sex), Some("男"));
        assert_eq!(a.value(Address), Some("東京都千代田区霞が関2丁目1番2号"));
        assert_eq!(a.value(Nat), Some("アメリカ"));
        assert_eq!(a.value(InjuryFlag), Some("負傷"));
        assert_eq!(a.value(InjuryState), Some("重症：頭部打撲、意識不明"));
        assert_eq!(
            a.value(Location),
            Some("東京都千代田区神田1丁目2番3号 千代田中央病院（医療機関）")
        );
        // A Japanese person's nationality is never a row of Form 5.
        let japanese = answered("family", name_only(), &injured());
        assert_eq!(japanese.value(Nat), None);
        // 通称 with consent only.
        let mut alias = full_injured();
        alias.alias = "ボブ".into();
        assert_eq!(
            answered("family", name_only(), &alias).value(Name),
            Some("消防　太郎（通称: ボブ）")
        );
        let state = record(1, &not_confirmable(alias));
        let a = answer(
            &inquiry("family", name_only()),
            Some(&state),
            &AnswerContext::default(),
        );
        assert_eq!(a.value(Name), Some("消防　太郎"));
    }

    #[test]
    fn without_consent_what_the_record_says_beyond_or_against_the_inquirer_is_withheld() {
        let state = record(1, &not_confirmable(full_injured()));
        let mut target = full_target();
        // No lot: the record's address would tell the inquirer the lot.
        target.address = "東京都千代田区霞が関2丁目".into();
        // Japanese, says the inquirer; the record says otherwise.
        target.nationality = "日本".into();
        let a = answer(
            &inquiry("family", target),
            Some(&state),
            &AnswerContext::default(),
        );
        assert_eq!(a.value(Address), None);
        assert_eq!(a.value(Nat), None);
        assert!(a.value(BirthDate).is_some());
        let notes = a.officer_notes.join("\n");
        assert!(
            notes.contains("詳しいため回答しません（第5 4(5)）: 住所"),
            "{notes}"
        );
        assert!(
            notes.contains("一致しないため回答しません（第5 4(5)）: 国籍"),
            "{notes}"
        );
    }

    #[test]
    fn location_injury_and_contact_are_as_of_the_written_time() {
        let (y, mo, d, h, mi) = F1_WRITTEN;
        let written = Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap();
        let a = answered("family", name_only(), &full_injured());
        for disclosed in &a.fields {
            let expected =
                matches!(disclosed.field, Location | InjuryState | Contact).then_some(written);
            assert_eq!(disclosed.as_of, expected, "{:?}", disclosed.field);
        }
        // The deceased: the body's place and the death details, as of the Form 2's time.
        let a = answered("family", name_only(), &full_deceased());
        assert_eq!(a.value(Location), Some("千代田区総合体育館"));
        assert_eq!(
            a.value(InjuryState),
            Some(
                "死亡（死亡の日時：令和8年11月21日 9時40分、死亡の場所：千代田区永田町1丁目付近、状況：建物の倒壊に巻き込まれて死亡）"
            )
        );
        assert_eq!(a.value(InjuryFlag), Some("死亡"));
        let location = a.fields.iter().find(|f| f.field == Location).unwrap();
        assert_eq!(location.as_of, Some(written));
        assert_eq!(location.label, "現在の居所");
        // Found dead: the date and place are those of discovery.
        let mut found = full_deceased();
        found.death.discovered = true;
        found.death.time.clear();
        let a = answered("family", name_only(), &found);
        assert_eq!(
            a.value(InjuryState),
            Some(
                "死亡（発見の日時：令和8年11月21日、発見の場所：千代田区永田町1丁目付近、状況：建物の倒壊に巻き込まれて死亡）"
            )
        );
    }

    #[test]
    fn others_and_publication() {
        let not_confirmable_evacuee = record(1, &not_confirmable(full_evacuee()));
        let not_confirmable_dead = record(2, &not_confirmable(full_deceased()));
        let inquiry = inquiry("other", full_target());
        let context = |collected_here, publication_decided| AnswerContext {
            collected_here,
            publication_decided,
        };
        for state in [&not_confirmable_evacuee, &not_confirmable_dead] {
            // Published (a): the minimal information.
            let a = answer(&inquiry, Some(state), &context(true, Some(true)));
            assert_eq!(disclosed(&a), [Name, Address]);
            assert_eq!(a.value(Address), Some("東京都千代田区"));
            assert_eq!(a.basis, Basis::PublicInterest);
            // Not published, or not decided (a): status only.
            for decided in [Some(false), None] {
                let a = answer(&inquiry, Some(state), &context(true, decided));
                assert!(a.fields.is_empty(), "{decided:?}");
                assert_eq!(a.basis, Basis::StatusOnly);
                assert!(a.officer_notes.iter().any(|n| n.contains("(ウ)a")));
            }
            // Collected by another body (b): ask it first; then as it decided.
            let a = answer(&inquiry, Some(state), &context(false, None));
            assert!(a.fields.is_empty());
            assert!(
                a.officer_notes
                    .iter()
                    .any(|n| n.contains("収集団体に公表の可否を確認してください")),
                "{:?}",
                a.officer_notes
            );
            let a = answer(&inquiry, Some(state), &context(false, Some(true)));
            assert_eq!(disclosed(&a), [Name, Address]);
            assert_eq!(a.value(Address), Some("東京都千代田区"));
            assert!(a.officer_notes.iter().any(|n| n.contains("(ウ)b")));
            let a = answer(&inquiry, Some(state), &context(false, Some(false)));
            assert!(a.fields.is_empty());
            assert_eq!(a.basis, Basis::StatusOnly);
        }
        // Published, but the inquirer gave no address: the name only.
        let name_only_inquiry = crate::inquiry::testing::inquiry("other", name_only());
        let a = answer(
            &name_only_inquiry,
            Some(&not_confirmable_evacuee),
            &context(true, Some(true)),
        );
        assert_eq!(disclosed(&a), [Name]);
        // The publication decision does not matter when the person could be asked.
        let a = answer(
            &inquiry,
            Some(&record(3, &full_evacuee())),
            &context(true, Some(true)),
        );
        assert!(a.fields.is_empty());
        assert_eq!(a.basis, Basis::StatusOnly);
    }

    #[test]
    fn a_person_who_refused_every_answer_gets_a_warning() {
        let mut draft = full_evacuee();
        draft.consent.family = Some(false);
        draft.consent.acquaintance = Some(false);
        draft.consent.others = "同意しない".into();
        let state = record(1, &draft);
        for reason in REASONS {
            let a = answer(
                &inquiry(reason, full_target()),
                Some(&state),
                &AnswerContext::default(),
            );
            // The status is still answered (施行令第26条第2項).
            assert_eq!(a.evacuee, EvacueeAnswer::Applicable);
            assert!(a.fields.is_empty());
            assert_eq!(a.basis, Basis::StatusOnly);
            assert!(
                a.officer_notes[0].starts_with("本人は一切の照会への回答を希望していません"),
                "{:?}",
                a.officer_notes
            );
        }
        // Refusing family answers only is a different note.
        let mut draft = full_evacuee();
        draft.consent.family = Some(false);
        let a = answered("family", full_target(), &draft);
        assert!(a.fields.is_empty());
        assert!(a.officer_notes[0].contains("親族・同居者への回答に同意していません"));
        assert!(!a.officer_notes[0].contains("一切"));
        assert_eq!(
            disclosed(&answered("acquaintance", name_only(), &draft)).len(),
            3
        );
    }

    /// 様式第2号 (注4) 「回答情報の限定を希望する場合は備考欄に御記入願います。」 and
    /// 第5 4(3)ア: 「死亡住民においては、遺族…が回答に同意する場合において、本人の同意が
    /// あるときとみなし、第24条第1項各号に掲げる情報のうち回答の同意がある項目において回答を
    /// 行う」; ※ 「…備考欄等で、特定の情報について回答に同意しない旨が意思表示されている場合
    /// 等については、当該情報については回答することはできない。」 R: E-08, Q-04.
    #[test]
    fn the_bereaved_can_withhold_single_items() {
        let mut draft = full_deceased();
        draft.bereaved.consent = "同意する".into();
        let everyone = FieldChoice {
            family: Some(false),
            acquaintance: Some(false),
            others: Some(false),
        };
        draft.consent.fields = BTreeMap::from([
            ("location".to_string(), everyone.clone()),
            ("injury_state".to_string(), everyone),
            (
                "contact".to_string(),
                FieldChoice {
                    others: Some(false),
                    ..FieldChoice::default()
                },
            ),
        ]);
        for reason in REASONS {
            let a = answered(reason, name_only(), &draft);
            let withheld: &[ConsentField] = if reason == "other" {
                &[Location, InjuryState, Contact]
            } else {
                &[Location, InjuryState]
            };
            let expected: Vec<ConsentField> = FORM5_ORDER
                .into_iter()
                .filter(|f| !withheld.contains(f))
                .collect();
            assert_eq!(disclosed(&a), expected, "{reason}");
            // The status is answered whatever the bereaved restricted.
            assert_eq!(a.casualty, CasualtyAnswer::Dead);
            assert!(
                a.officer_notes
                    .iter()
                    .any(|n| n.contains("遺族") && n.contains("遺体が安置されている場所")),
                "{reason}: {:?}",
                a.officer_notes
            );
        }
    }

    /// ⑭ 同意する with ⑬ left at its default: answered as recorded (figure 4-1 asks the
    /// clerk to re-confirm; nothing is widened). R: E-08, E-09, Q-04.
    #[test]
    fn agreement_for_others_does_not_open_fields_to_acquaintances() {
        let mut draft = full_injured();
        draft.consent.others = "同意する".into();
        let a = answered("acquaintance", name_only(), &draft);
        assert_eq!(disclosed(&a), [InjuryFlag, Name, IdentifyingInfo]);
        let a = answered("other", name_only(), &draft);
        assert_eq!(disclosed(&a), FORM5_ORDER.to_vec());
    }

    #[test]
    fn an_answer_round_trips_through_json() {
        let a = answered("family", name_only(), &full_injured());
        let json = serde_json::to_string(&a).unwrap();
        assert!(json.contains("\"basis\":\"consent\""), "{json}");
        assert!(json.contains("\"field\":\"injury_state\""), "{json}");
        assert_eq!(serde_json::from_str::<Answer>(&json).unwrap(), a);
        assert_eq!(
            NaiveDate::from_ymd_opt(1981, 11, 25)
                .map(era::format_era)
                .as_deref(),
            a.value(BirthDate)
        );
    }
}
