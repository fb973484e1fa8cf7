//! Property tests: validation never panics, is deterministic, and every problem names
//! a known field, whatever the clerk types. R: E-03 (fuzzing the validator).

use chrono::{TimeZone, Utc};
use proptest::prelude::*;

use super::*;
use crate::validation::label_of;

/// Text that mixes the shapes clerks type: dates, kana, kanji, digits, junk.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[0-9０-９年月日./ -]{0,14}",
        "(昭和|平成|令和|S|H|R|明治|大正)[0-9元]{0,3}[年./]?[0-9]{0,2}[月./]?[0-9]{0,2}日?",
        "[ぁ-んァ-ヶ　 ー]{0,12}",
        "[一-龠々〆ヵヶ]{0,8}",
        "(男|女|男性|女性|負傷|非該当|重症|中等症|軽症|その他|日本|不明|同意する|避難所|意思確認不可)",
        any::<String>(),
    ]
}

fn draft() -> impl Strategy<Value = EntryDraft> {
    (
        (any::<bool>(), text(), text(), text(), text(), text()),
        (text(), text(), text(), text(), text(), text()),
        (text(), text(), text(), text(), text(), text()),
        (
            text(),
            text(),
            text(),
            any::<bool>(),
            any::<Option<bool>>(),
            text(),
        ),
    )
        .prop_map(|(a, b, c, d)| {
            let mut draft = EntryDraft {
                form: if a.0 {
                    FormKind::Form1
                } else {
                    FormKind::Form2
                },
                written_at: a.1,
                name: a.2,
                furigana: a.3,
                birth_date: a.4,
                sex: a.5,
                identifying_info: b.0,
                ..EntryDraft::default()
            };
            draft.address.prefecture = b.1;
            draft.address.municipality = b.2;
            draft.address.lot = b.3;
            draft.address.postal_code = b.4;
            draft.nationality.kind = b.5;
            draft.injury.status = c.0;
            draft.injury.severity = c.1;
            draft.location.category = c.2;
            draft.death.date = c.3;
            draft.death.time = c.4;
            draft.death.place = c.5;
            draft.bereaved.consent = d.0;
            draft.bereaved.name = d.1;
            draft.consent.others = d.2;
            draft.consent.not_confirmable = d.3;
            draft.consent.family = d.4;
            draft.remarks = d.5;
            draft
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn validation_never_panics_and_names_known_fields(draft in draft()) {
        let now = Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap();
        let first = validate(&draft, now);
        prop_assert_eq!(&first, &validate(&draft, now), "validation is not deterministic");
        match first {
            Ok(entry) => {
                prop_assert_eq!(&entry.draft, &draft, "the raw input changed");
                for warning in &entry.warnings {
                    prop_assert_ne!(label_of(&warning.field), "項目", "unknown field {}", warning.field);
                }
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                for error in &errors {
                    prop_assert_ne!(label_of(&error.field), "項目", "unknown field {}", error.field);
                    prop_assert!(!error.message.is_empty());
                }
            }
        }
    }

    #[test]
    fn written_at_parsing_never_panics(text in text()) {
        let _ = parse_written_at(&text);
    }
}
