//! Publication (公表) decisions and the publication list. R.
//!
//! The guideline (第5 4(4)) leaves publication to the body that collected the
//! information: 「情報を保有する主体（情報収集団体）が判断し、公表を実施する。安否情報システムにより
//! 共有した他団体の収集情報については、原則として公表することができない」. Its 2(1)–(3):
//! consent to publish → may publish; refused → 「原則として、公表を行わない」; consent
//! hard to obtain (the dead, the unconscious, infants) → 「必要とされる最小限度の情報
//! （氏名、年齢及び市町村名など）」 when judged necessary.
//!
//! A body answering an inquiry of "others" about a record another body collected asks
//! that body (第5 4(3)イ(ウ)b: 「当該収集団体における公表の可否の判断にあわせて回答業務を
//! 実施する」); the decision it confirms is recorded here too, with whom it was confirmed.
//! Only the body's own decisions make its publication list.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::consent::Agreement;
use crate::jurisdiction::JurisdictionCode;
use crate::private_area::RecordState;
pub use crate::publication_types::{ConfirmedWith, PublicationBasis, PublicationDecision};
use crate::validation::FieldError;

/// Longest reason or contact accepted, in characters.
pub const MAX_TEXT: usize = 400;

/// What the form or the command line gave.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublicationDraft {
    /// `None`: not chosen.
    pub publish: Option<bool>,
    pub reason: String,
    /// Whom at the collecting body it was confirmed with (another body's record only).
    pub contact: String,
}

/// Decides whether `draft` may be recorded about `record` at `here`: every
/// problem named by field, in Japanese.
pub fn decide(
    record: &RecordState,
    here: &JurisdictionCode,
    draft: &PublicationDraft,
) -> Result<PublicationDecision, Vec<FieldError>> {
    let mut errors = Vec::new();
    if record.deletion.is_some() {
        errors.push(FieldError::new(
            "record_id",
            "削除された安否情報は公表の判断の対象になりません",
        ));
    }
    let reason = draft.reason.trim();
    if reason.is_empty() {
        errors.push(FieldError::new(
            "publication_reason",
            "判断の理由を入力してください（誰の判断か、何を踏まえたか）",
        ));
    } else if reason.chars().count() > MAX_TEXT {
        errors.push(FieldError::new(
            "publication_reason",
            format!("判断の理由は{MAX_TEXT}文字以内で入力してください"),
        ));
    }
    let collected_here = record.origin == *here;
    let contact = draft.contact.trim();
    if !collected_here {
        if contact.is_empty() {
            errors.push(FieldError::new(
                "publication_contact",
                format!(
                    "この安否情報は他団体（{}）が収集したものです。収集団体に公表の可否を確認し、確認した相手（担当者と連絡方法）を入力してください（第5 4(3)イ(ウ)b）",
                    record.origin
                ),
            ));
        } else if contact.chars().count() > MAX_TEXT {
            errors.push(FieldError::new(
                "publication_contact",
                format!("確認した相手は{MAX_TEXT}文字以内で入力してください"),
            ));
        }
    }
    let parsed = &record.entry.parsed;
    let basis = match draft.publish {
        None => {
            errors.push(FieldError::new(
                "publication",
                "「公表する」か「公表しない」を選んでください",
            ));
            None
        }
        Some(false) => None,
        Some(true) => match (parsed.others, parsed.consent_not_confirmable) {
            (Agreement::Agree, false) => Some(PublicationBasis::Consent),
            (Agreement::Disagree, false) => {
                errors.push(FieldError::new(
                    "publication",
                    "本人（遺族）が公表に同意していないため、公表できません（第5 4(4) 2(2)）",
                ));
                None
            }
            _ => Some(PublicationBasis::ConsentNotObtainable),
        },
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(PublicationDecision {
        publish: draft.publish == Some(true),
        basis,
        reason: reason.to_string(),
        confirmed_with: (!collected_here).then(|| ConfirmedWith {
            body: record.origin.clone(),
            contact: contact.to_string(),
        }),
    })
}

/// One line of the publication list: the minimal information only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listed {
    pub name: String,
    /// Age on the list's date; `None` when the birth date is unknown.
    pub age: Option<u32>,
    /// Prefecture and municipality of the address (「国外」 for a foreign address).
    pub municipality: String,
}

/// The minimal information of `record` for the publication list on `on` (第5 4(4)
/// 2(3): 氏名、年齢及び市町村名).
pub fn listed(record: &RecordState, on: NaiveDate) -> Listed {
    let entry = &record.entry;
    let address = &entry.draft.address;
    let municipality = if !address.foreign.trim().is_empty() {
        "国外".to_string()
    } else {
        format!(
            "{}{}",
            address.prefecture.trim(),
            address.municipality.trim()
        )
    };
    // The name only: for a person whose name is unknown, display_name would fall back
    // on the identifying information, which is not minimal information.
    let name = entry.draft.name.trim();
    Listed {
        name: if name.is_empty() {
            "（氏名不明）".to_string()
        } else {
            name.to_string()
        },
        age: entry.parsed.birth_date.and_then(|born| age_on(born, on)),
        municipality,
    }
}

/// Full years from `born` to `on`; `None` when `on` is before `born`.
pub fn age_on(born: NaiveDate, on: NaiveDate) -> Option<u32> {
    if on < born {
        return None;
    }
    let mut years = on.year() - born.year();
    if (on.month(), on.day()) < (born.month(), born.day()) {
        years -= 1;
    }
    u32::try_from(years).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::EntryDraft;
    use crate::entry::fixtures::{deceased as full_deceased, evacuee as full_evacuee};
    use crate::inquiry::testing::record;

    fn not_confirmable(mut draft: EntryDraft) -> EntryDraft {
        match draft.form {
            crate::entry::FormKind::Form1 => draft.consent.not_confirmable = true,
            crate::entry::FormKind::Form2 => draft.bereaved = Default::default(),
        }
        draft
    }

    fn here() -> JurisdictionCode {
        JurisdictionCode::parse("131016").unwrap()
    }

    fn draft(publish: Option<bool>, reason: &str, contact: &str) -> PublicationDraft {
        PublicationDraft {
            publish,
            reason: reason.into(),
            contact: contact.into(),
        }
    }

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    // R: X-02 — consent to publish → may publish (2(1)); refused → never (2(2)); not
    // obtainable → the minimal information when judged necessary (2(3)).
    #[test]
    fn consent_decides_what_may_be_published() {
        let mut agreed = full_evacuee();
        agreed.consent.others = "同意する".into();
        let d = decide(
            &record(1, &agreed),
            &here(),
            &draft(Some(true), "報道発表", ""),
        )
        .unwrap();
        assert_eq!(d.basis, Some(PublicationBasis::Consent));
        assert!(d.publish && d.confirmed_with.is_none());

        let mut refused = full_evacuee();
        refused.consent.others = "同意しない".into();
        let errors =
            decide(&record(2, &refused), &here(), &draft(Some(true), "x", "")).unwrap_err();
        assert_eq!(fields(&errors), ["publication"]);
        assert!(errors[0].message.contains("2(2)"));
        // Deciding not to publish a refused person is always possible.
        let d = decide(
            &record(2, &refused),
            &here(),
            &draft(Some(false), "同意なし", ""),
        )
        .unwrap();
        assert!(!d.publish && d.basis.is_none());

        for state in [
            record(3, &not_confirmable(full_evacuee())),
            record(4, &not_confirmable(full_deceased())),
        ] {
            let d = decide(&state, &here(), &draft(Some(true), "家族の安心のため", "")).unwrap();
            assert_eq!(d.basis, Some(PublicationBasis::ConsentNotObtainable));
        }
    }

    // R: X-02 — every problem at once, by field; a deleted record is not decided on.
    #[test]
    fn every_problem_is_named_by_field() {
        let mut state = record(1, &full_evacuee());
        let errors = decide(&state, &here(), &draft(None, "  ", "")).unwrap_err();
        assert_eq!(fields(&errors), ["publication_reason", "publication"]);
        let long = "あ".repeat(MAX_TEXT + 1);
        let errors = decide(&state, &here(), &draft(Some(false), &long, "")).unwrap_err();
        assert_eq!(fields(&errors), ["publication_reason"]);
        state.deletion = Some(crate::private_area::Deletion {
            reason: "誤入力".into(),
            at: state.received_at,
            actor: state.actor.clone(),
        });
        let errors = decide(&state, &here(), &draft(Some(false), "x", "")).unwrap_err();
        assert_eq!(fields(&errors), ["record_id"]);
    }

    // R: X-02 — a record another body collected: its decision is recorded only with
    // whom it was confirmed (第5 4(3)イ(ウ)b).
    #[test]
    fn another_bodys_record_needs_the_confirmation() {
        let state = record(1, &not_confirmable(full_evacuee()));
        let shinjuku = JurisdictionCode::parse("131041").unwrap();
        let errors = decide(&state, &shinjuku, &draft(Some(true), "確認済み", "")).unwrap_err();
        assert_eq!(fields(&errors), ["publication_contact"]);
        assert!(
            errors[0].message.contains("131016"),
            "{}",
            errors[0].message
        );
        let d = decide(
            &state,
            &shinjuku,
            &draft(
                Some(true),
                "収集団体が公表と判断",
                "千代田区防災課 山田（電話）",
            ),
        )
        .unwrap();
        assert_eq!(
            d.confirmed_with,
            Some(ConfirmedWith {
                body: here(),
                contact: "千代田区防災課 山田（電話）".into()
            })
        );
    }

    // R: X-04 — the list holds name, age and municipality only.
    #[test]
    fn the_list_holds_the_minimal_information() {
        let state = record(1, &full_evacuee());
        let line = listed(&state, NaiveDate::from_ymd_opt(2026, 12, 6).unwrap());
        assert_eq!(line.municipality, "東京都千代田区");
        assert_eq!(line.name, "消防　太郎");
        let mut unnamed = full_evacuee();
        unnamed.name = String::new();
        unnamed.identifying_info = "幼児、赤い帽子".into();
        let line = listed(
            &record(2, &unnamed),
            NaiveDate::from_ymd_opt(2026, 12, 6).unwrap(),
        );
        assert_eq!(
            line.name, "（氏名不明）",
            "never the identifying information"
        );
        let born = state.entry.parsed.birth_date.unwrap();
        assert_eq!(
            line.age,
            age_on(born, NaiveDate::from_ymd_opt(2026, 12, 6).unwrap())
        );
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(age_on(d(2000, 3, 1), d(2026, 2, 28)), Some(25));
        assert_eq!(age_on(d(2000, 3, 1), d(2026, 3, 1)), Some(26));
        assert_eq!(age_on(d(2000, 2, 29), d(2001, 2, 28)), Some(0));
        assert_eq!(age_on(d(2000, 3, 1), d(1999, 3, 1)), None);
    }
}
