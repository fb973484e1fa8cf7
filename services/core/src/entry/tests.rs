//! Validation rules, case by case. R: E-01..E-09, E-15.

use chrono::{TimeZone, Utc};

use super::fixtures::{deceased, evacuee};
use super::*;
use crate::consent::{Audience, ConsentField, FieldChoice};

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap()
}

fn fields_of(errors: &[crate::validation::FieldError]) -> Vec<&str> {
    errors.iter().map(|e| e.field.as_str()).collect()
}

fn rejected(draft: &EntryDraft) -> Vec<crate::validation::FieldError> {
    validate(draft, now()).expect_err("the draft should be rejected")
}

#[test]
fn a_complete_evacuee_is_accepted_with_defaults() {
    let entry = validate(&evacuee(), now()).unwrap();
    assert_eq!(entry.parsed.status, Status::Evacuated);
    assert_eq!(entry.parsed.sex, Some(Sex::Male));
    assert_eq!(entry.parsed.nationality, Nationality::Japan);
    assert_eq!(entry.parsed.injury, None);
    assert_eq!(
        entry.parsed.written_at,
        Utc.with_ymd_and_hms(2026, 11, 21, 5, 30, 0).unwrap()
    );
    assert_eq!(
        entry.parsed.consent,
        crate::consent::ConsentMatrix::table_4_3()
    );
    assert_eq!(entry.keys.version, crate::canon::CANON_VERSION);
    assert!(entry.warnings.is_empty());
}

#[test]
fn the_raw_input_is_kept_as_typed() {
    // E-15: whatever the canonical forms do, the draft is stored unchanged.
    let mut draft = evacuee();
    draft.name = "  消防 太郎 ".into();
    draft.furigana = "しょうぼう たろう".into();
    let entry = validate(&draft, now()).unwrap();
    assert_eq!(entry.draft, draft);
    assert_eq!(entry.display_name(), "消防 太郎");
}

#[test]
fn an_injured_person_needs_a_severity() {
    let mut draft = evacuee();
    draft.injury = InjuryDraft {
        status: "負傷".into(),
        severity: "中等症".into(),
        description: "右手打撲".into(),
    };
    let entry = validate(&draft, now()).unwrap();
    assert_eq!(
        (entry.parsed.status, entry.parsed.injury),
        (Status::Injured, Some(Severity::Moderate))
    );

    draft.injury.severity = String::new();
    assert_eq!(fields_of(&rejected(&draft)), ["injury.severity"]);
    draft.injury.severity = "重体".into();
    let errors = rejected(&draft);
    assert_eq!(fields_of(&errors), ["injury.severity"]);
    assert!(errors[0].message.contains("重症"));

    draft.injury = InjuryDraft {
        status: "非該当".into(),
        severity: "軽症".into(),
        ..InjuryDraft::default()
    };
    assert_eq!(fields_of(&rejected(&draft)), ["injury.status"]);
    draft.injury = InjuryDraft::default();
    assert_eq!(fields_of(&rejected(&draft)), ["injury.status"]);
}

#[test]
fn missing_required_fields_are_all_reported_at_once() {
    let draft = EntryDraft {
        written_at: "2026-11-21 14:30".into(),
        injury: InjuryDraft {
            status: "非該当".into(),
            ..InjuryDraft::default()
        },
        ..EntryDraft::default()
    };
    let errors = rejected(&draft);
    assert_eq!(
        fields_of(&errors),
        ["name", "furigana", "birth_date", "sex", "address"]
    );
    assert!(
        errors
            .iter()
            .all(|e| e.message.contains("その他個人を識別するための情報"))
    );
    assert_eq!(errors[0].label, "氏名");
}

#[test]
fn identifying_information_replaces_the_four_informations() {
    let mut draft = EntryDraft {
        written_at: "2026-11-21 14:30".into(),
        identifying_info: "幼児、身長100cm以下、赤い帽子".into(),
        ..EntryDraft::default()
    };
    draft.injury.status = "非該当".into();
    draft.consent.not_confirmable = true;
    let entry = validate(&draft, now()).unwrap();
    assert!(entry.parsed.consent_not_confirmable);
    assert_eq!(
        entry.parsed.identifying_info,
        "幼児、身長100cm以下、赤い帽子、意思確認不可"
    );
    assert!(entry.display_name().starts_with("（氏名不明）"));

    // The marker is not doubled when the clerk typed it.
    draft.consent.not_confirmable = false;
    draft.identifying_info = "幼児、意思確認不可".into();
    let entry = validate(&draft, now()).unwrap();
    assert_eq!(entry.parsed.identifying_info, "幼児、意思確認不可");
    assert!(entry.parsed.consent_not_confirmable);
}

#[test]
fn a_partial_birth_date_is_refused_with_the_text_to_use_instead() {
    for (typed, suggestion) in [("1980年", "西暦1980年生"), ("10月10日", "10月10日生")] {
        let mut draft = evacuee();
        draft.birth_date = typed.into();
        let errors = rejected(&draft);
        assert_eq!(fields_of(&errors), ["birth_date"], "{typed}");
        assert!(
            errors[0].message.contains(suggestion),
            "{typed}: {}",
            errors[0].message
        );
    }
}

#[test]
fn impossible_and_future_dates_are_refused() {
    let mut draft = evacuee();
    draft.birth_date = "2027-01-01".into();
    assert!(rejected(&draft)[0].message.contains("未来"));
    draft.birth_date = "2026-02-30".into();
    assert_eq!(fields_of(&rejected(&draft)), ["birth_date"]);

    let mut draft = evacuee();
    draft.written_at = "2026-11-22 09:00".into();
    assert_eq!(fields_of(&rejected(&draft)), ["written_at"]);
    draft.written_at = String::new();
    assert!(rejected(&draft)[0].message.contains("必須"));
}

#[test]
fn sex_is_male_or_female_only() {
    let mut draft = evacuee();
    draft.sex = "女性".into();
    assert_eq!(
        validate(&draft, now()).unwrap().parsed.sex,
        Some(Sex::Female)
    );
    for other in ["不詳", "M", "その他"] {
        draft.sex = other.into();
        assert_eq!(fields_of(&rejected(&draft)), ["sex"], "{other}");
    }
}

#[test]
fn addresses_are_checked_by_part() {
    let mut draft = evacuee();
    draft.address.foreign = "1-2 Main St, Springfield, USA".into();
    assert_eq!(fields_of(&rejected(&draft)), ["address.foreign"]);

    let mut draft = evacuee();
    draft.address.prefecture = "東京府".into();
    assert_eq!(fields_of(&rejected(&draft)), ["address.prefecture"]);

    let mut draft = evacuee();
    draft.address.municipality = String::new();
    assert_eq!(fields_of(&rejected(&draft)), ["address.municipality"]);

    let mut draft = evacuee();
    draft.address.postal_code = "100-89".into();
    assert_eq!(fields_of(&rejected(&draft)), ["address.postal_code"]);
    draft.address.postal_code = "〒１００－８９２７".into();
    assert!(validate(&draft, now()).is_ok());

    let mut draft = evacuee();
    draft.address = AddressDraft {
        foreign: "1-2 Main St, Springfield, USA".into(),
        ..AddressDraft::default()
    };
    assert!(validate(&draft, now()).is_ok());
}

#[test]
fn nationality_rules() {
    let mut draft = evacuee();
    draft.nationality = NationalityDraft {
        kind: "その他".into(),
        other: "あめりか".into(),
    };
    assert_eq!(
        validate(&draft, now()).unwrap().parsed.nationality,
        Nationality::Other("アメリカ".into())
    );
    draft.nationality.other = "米国".into();
    assert_eq!(fields_of(&rejected(&draft)), ["nationality.other"]);
    draft.nationality.other = String::new();
    assert_eq!(fields_of(&rejected(&draft)), ["nationality.other"]);
    draft.nationality = NationalityDraft {
        kind: "不明".into(),
        other: String::new(),
    };
    assert_eq!(fields_of(&rejected(&draft)), ["nationality"]);
    draft.identifying_info = "言葉が通じない、右腕に入れ墨".into();
    assert_eq!(
        validate(&draft, now()).unwrap().parsed.nationality,
        Nationality::Unknown
    );
    draft.nationality.other = "ブラジル".into();
    assert_eq!(fields_of(&rejected(&draft)), ["nationality.other"]);
    draft.nationality = NationalityDraft {
        kind: "火星".into(),
        other: String::new(),
    };
    assert_eq!(fields_of(&rejected(&draft)), ["nationality.kind"]);
}

#[test]
fn furigana_must_be_kana() {
    let mut draft = evacuee();
    draft.furigana = "Shobo Taro".into();
    assert_eq!(fields_of(&rejected(&draft)), ["furigana"]);
}

#[test]
fn location_category_is_a_closed_list() {
    let mut draft = evacuee();
    draft.location.category = "体育館".into();
    assert_eq!(fields_of(&rejected(&draft)), ["location.category"]);
    draft.location.category = "避難所".into();
    assert!(validate(&draft, now()).is_ok());
}

#[test]
fn control_characters_and_overlong_text_are_refused() {
    let mut draft = evacuee();
    draft.remarks = "ok\u{0}".into();
    draft.contact = "あ".repeat(2001);
    assert_eq!(fields_of(&rejected(&draft)), ["contact", "remarks"]);
}

#[test]
fn form_specific_fields_cannot_be_mixed() {
    let mut draft = evacuee();
    draft.death.place = "どこか".into();
    draft.body_location = "安置所".into();
    assert_eq!(fields_of(&rejected(&draft)), ["death", "body_location"]);

    let mut draft = evacuee();
    draft.death.discovered = true;
    assert_eq!(fields_of(&rejected(&draft)), ["death"]);

    let mut draft = deceased();
    draft.consent.not_confirmable = true;
    assert_eq!(fields_of(&rejected(&draft)), ["consent"]);

    let mut draft = deceased();
    draft.injury.status = "負傷".into();
    draft.location.place_name = "避難所".into();
    draft.consent.family = Some(false);
    assert_eq!(
        fields_of(&rejected(&draft)),
        ["injury", "location", "consent"]
    );
}

#[test]
fn a_deceased_person_needs_death_details() {
    let entry = validate(&deceased(), now()).unwrap();
    assert_eq!(entry.parsed.status, Status::Dead);
    let death = entry.parsed.death.unwrap();
    assert_eq!(death.time.map(|t| t.to_string()), Some("09:40:00".into()));
    assert_eq!(entry.parsed.others, crate::consent::Agreement::Disagree);
    assert!(
        entry
            .parsed
            .consent
            .allows(Audience::Family, ConsentField::Location)
    );
    assert!(
        !entry
            .parsed
            .consent
            .allows(Audience::Others, ConsentField::Name)
    );

    let mut draft = deceased();
    draft.death = DeathDraft::default();
    assert_eq!(fields_of(&rejected(&draft)), ["death"]);
    let mut draft = deceased();
    draft.death.place = String::new();
    draft.death.time = "朝".into();
    assert_eq!(fields_of(&rejected(&draft)), ["death.time", "death.place"]);
    let mut draft = deceased();
    draft.death.date = "2026-12-01".into();
    assert_eq!(fields_of(&rejected(&draft)), ["death.date"]);
}

#[test]
fn death_flags_become_markers_in_identifying_information() {
    let mut draft = deceased();
    draft.death.no_medical_certificate = true;
    draft.death.discovered = true;
    draft.death.circumstances = String::new();
    let entry = validate(&draft, now()).unwrap();
    assert_eq!(
        entry.parsed.identifying_info,
        "診断書等無し、発見された日時及び場所"
    );
    assert_eq!(fields_of(&entry.warnings), ["death.circumstances"]);
}

#[test]
fn bereaved_consent_rules() {
    let mut draft = deceased();
    draft.bereaved = BereavedDraft::default();
    let entry = validate(&draft, now()).unwrap();
    assert!(entry.parsed.consent_not_confirmable);
    assert_eq!(fields_of(&entry.warnings), ["bereaved"]);
    assert!(entry.parsed.identifying_info.contains("意思確認不可"));

    let mut draft = deceased();
    draft.bereaved.name = String::new();
    draft.bereaved.relationship = String::new();
    assert_eq!(
        fields_of(&rejected(&draft)),
        ["bereaved.name", "bereaved.relationship"]
    );
    draft.bereaved.consent = "はい".into();
    assert_eq!(fields_of(&rejected(&draft)), ["bereaved.consent"]);
}

#[test]
fn consent_inconsistency_is_a_warning_not_an_error() {
    let mut draft = evacuee();
    draft.consent.others = "同意する".into();
    // Acquaintances told everything (re-confirmed), family not the contact.
    for field in ConsentField::ALL {
        draft.consent.fields.insert(
            field.key().into(),
            FieldChoice {
                acquaintance: Some(true),
                ..FieldChoice::default()
            },
        );
    }
    draft.consent.fields.insert(
        "contact".into(),
        FieldChoice {
            family: Some(false),
            ..FieldChoice::default()
        },
    );
    let entry = validate(&draft, now()).unwrap();
    assert_eq!(fields_of(&entry.warnings), ["consent.fields.contact"]);
    assert!(
        !entry
            .parsed
            .consent
            .allows(Audience::Family, ConsentField::Contact)
    );
    assert!(
        entry
            .parsed
            .consent
            .allows(Audience::Others, ConsentField::Contact)
    );
}

#[test]
fn every_problem_of_a_bad_draft_is_reported_together() {
    let mut draft = evacuee();
    draft.sex = "?".into();
    draft.birth_date = "1980年".into();
    draft.address.prefecture = "どこか".into();
    draft.injury.status = "けが".into();
    draft.written_at = "いつか".into();
    assert_eq!(
        fields_of(&rejected(&draft)),
        [
            "written_at",
            "birth_date",
            "sex",
            "address.prefecture",
            "injury.status"
        ]
    );
}

// --- Issue 13 item 5: what a single-line field may hold, and how long any field may be.

#[test]
fn names_refuse_line_breaks_direction_controls_and_invisible_characters() {
    // R: E-15. A line feed breaks every table the name is shown in; U+202E shows the
    // name reversed; U+200B makes two equal-looking names differ.
    for (field, bad) in [
        ("name", "消防\n太郎"),
        ("name", "消防\u{202E}太郎"),
        ("name", "消防\u{200B}太郎"),
        ("name", "消防\u{2066}太郎\u{2069}"),
        ("name", "消防\u{FEFF}太郎"),
        ("furigana", "ショウボウ\u{200D}タロウ"),
        ("furigana", "ショウボウ\r\nタロウ"),
        ("alias", "\u{200F}ショウボウ"),
        ("address.town", "霞が関\u{061C}2丁目"),
        ("bereaved.name", "消防\u{2060}良子"),
        ("death.place", "千代田区\n永田町"),
        ("body_location", "体育館\u{202D}"),
    ] {
        let mut draft = if field.starts_with("bereaved")
            || field.starts_with("death")
            || field == "body_location"
        {
            deceased()
        } else {
            evacuee()
        };
        match field {
            "name" => draft.name = bad.into(),
            "furigana" => draft.furigana = bad.into(),
            "alias" => draft.alias = bad.into(),
            "address.town" => draft.address.town = bad.into(),
            "bereaved.name" => draft.bereaved.name = bad.into(),
            "death.place" => draft.death.place = bad.into(),
            "body_location" => draft.body_location = bad.into(),
            _ => unreachable!(),
        }
        let errors = rejected(&draft);
        assert_eq!(fields_of(&errors), [field], "{bad:?}");
        let code = bad
            .chars()
            .find(|c| !c.is_alphanumeric())
            .map(|c| format!("U+{:04X}", c as u32))
            .unwrap();
        assert!(
            errors[0].message.contains(&code),
            "{bad:?}: the message names the character: {}",
            errors[0].message
        );
    }
}

#[test]
fn free_text_keeps_line_breaks_but_not_direction_controls() {
    // Remarks, other identifying information, circumstances, contact: several lines
    // are fine; a bidi override is not (it reorders what the officer reads).
    let mut draft = injured_fixture();
    draft.remarks = "一行目\n二行目".into();
    draft.identifying_info = "身長170cm程度\n青い上着".into();
    draft.contact = "病院 03-1234-5678\n家族 090-0000-0000".into();
    draft.injury.description = "頭部打撲\n意識不明".into();
    let entry = validate(&draft, now()).expect("line feeds are allowed in free text");
    assert_eq!(entry.draft.remarks, "一行目\n二行目");
    // Lists show one line per person.
    draft.name = String::new();
    draft.furigana = String::new();
    let entry = validate(&draft, now()).unwrap();
    assert!(
        !entry.display_name().contains('\n'),
        "{}",
        entry.display_name()
    );

    for bad in [
        "右\u{202E}左",
        "a\u{2067}b",
        "\u{200E}x",
        "x\u{7}",
        "x\u{2028}y",
    ] {
        let mut draft = injured_fixture();
        draft.remarks = bad.into();
        assert_eq!(fields_of(&rejected(&draft)), ["remarks"], "{bad:?}");
        let mut draft = deceased();
        draft.death.circumstances = bad.into();
        assert_eq!(
            fields_of(&rejected(&draft)),
            ["death.circumstances"],
            "{bad:?}"
        );
    }
}

fn injured_fixture() -> EntryDraft {
    super::fixtures::injured()
}

#[test]
fn every_text_field_has_a_limit_and_so_has_the_whole_entry() {
    // Names 100 characters, one-line places 200, free text 2,000.
    let mut draft = evacuee();
    draft.name = "あ".repeat(100);
    draft.remarks = "あ".repeat(2000);
    draft.location.place_name = "あ".repeat(200);
    validate(&draft, now()).expect("at the limits");
    draft.name = "あ".repeat(101);
    draft.remarks = "あ".repeat(2001);
    draft.location.place_name = "あ".repeat(201);
    let errors = rejected(&draft);
    assert_eq!(
        fields_of(&errors),
        ["name", "location.place_name", "remarks"]
    );
    assert!(
        errors[0].message.contains("100文字以内"),
        "{}",
        errors[0].message
    );
    assert!(
        errors[0].message.contains("101文字"),
        "{}",
        errors[0].message
    );

    // A 10 MB name is refused as a field, not by the transport.
    let mut draft = evacuee();
    draft.name = "x".repeat(10 * 1024 * 1024);
    let errors = rejected(&draft);
    assert_eq!(fields_of(&errors), ["name"]);

    // Every field at its own limit, but the entry as a whole too long (8,000).
    let mut draft = super::fixtures::injured();
    for text in [
        &mut draft.identifying_info,
        &mut draft.injury.description,
        &mut draft.contact,
        &mut draft.remarks,
    ] {
        *text = "あ".repeat(2000);
    }
    draft.address.foreign = String::new();
    draft.location.place_name = "あ".repeat(200);
    let errors = rejected(&draft);
    assert_eq!(fields_of(&errors), ["entry"]);
    assert!(
        errors[0].message.contains("文字以内"),
        "{}",
        errors[0].message
    );

    // Per-field choices: at most one per consent field.
    let mut draft = evacuee();
    for n in 0..20 {
        draft
            .consent
            .fields
            .insert(format!("field{n}"), FieldChoice::default());
    }
    let errors = rejected(&draft);
    assert_eq!(fields_of(&errors), ["consent.fields"]);
}

// --- Issue 13 item 6b: consent the bereaved give on Form 2, and ⑭ on Form 1.

/// 様式第2号 (注4) 「回答情報の限定を希望する場合は備考欄に御記入願います。」 and 第5 4(3)ア ※
/// 「省令様式第1号又は第2号の回答欄で包括的には回答に同意する旨回答しているが、備考欄等で、
/// 特定の情報について回答に同意しない旨が意思表示されている場合等については、当該情報に
/// ついては回答することはできない。」 R: E-08.
#[test]
fn form2_keeps_the_bereaved_s_restriction_of_single_items() {
    let mut draft = deceased();
    draft.bereaved.consent = "同意する".into();
    draft.consent.fields.insert(
        "location".into(),
        FieldChoice {
            family: Some(false),
            acquaintance: Some(false),
            others: Some(false),
        },
    );
    draft.consent.fields.insert(
        "contact".into(),
        FieldChoice {
            others: Some(false),
            ..FieldChoice::default()
        },
    );
    let entry = validate(&draft, now()).expect("a Form 2 restriction is recorded");
    let consent = entry.parsed.consent;
    for audience in [Audience::Family, Audience::Acquaintance, Audience::Others] {
        assert!(
            !consent.allows(audience, ConsentField::Location),
            "{audience:?}"
        );
        assert!(
            consent.allows(audience, ConsentField::InjuryState),
            "{audience:?}"
        );
    }
    assert!(consent.allows(Audience::Family, ConsentField::Contact));
    assert!(!consent.allows(Audience::Others, ConsentField::Contact));
    assert_eq!(entry.draft, draft, "kept as typed");
}

#[test]
fn form2_restrictions_never_go_beyond_the_bereaved_s_answer() {
    // ⑪ 同意しない: a single item cannot be opened to others.
    let mut draft = deceased();
    draft.consent.fields.insert(
        "contact".into(),
        FieldChoice {
            others: Some(true),
            ..FieldChoice::default()
        },
    );
    let errors = rejected(&draft);
    assert_eq!(fields_of(&errors), ["consent.fields.contact"]);
    assert!(errors[0].message.contains("遺族"), "{}", errors[0].message);

    // Form 1's column answers ⑫–⑭ have no place on Form 2 (⑪ is the bereaved's).
    let mut draft = deceased();
    draft.consent.family = Some(false);
    assert_eq!(fields_of(&rejected(&draft)), ["consent"]);

    // Without the bereaved (意思確認不可) nobody restricted anything.
    let mut draft = deceased();
    draft.bereaved = BereavedDraft::default();
    draft.consent.fields.insert(
        "location".into(),
        FieldChoice {
            family: Some(false),
            ..FieldChoice::default()
        },
    );
    assert_eq!(fields_of(&rejected(&draft)), ["consent.fields"]);

    // An unknown item is named, as on Form 1.
    let mut draft = deceased();
    draft
        .consent
        .fields
        .insert("phone".into(), FieldChoice::default());
    assert_eq!(fields_of(&rejected(&draft)), ["consent.fields.phone"]);
}

/// Figure 4-1: 「親族・同居者・知人以外の者からの照会に対する回答又は公表に同意しているにも
/// かかわらず、親族・同居者及び知人からの照会に対する回答に同意していない等の場合は、図4-1の
/// ように、当該項目のチェック欄に色がつき注意を促す…このような場合は、同意の有無について本人に
/// 再度確認し、誤りの無いように入力を行うこと。」 R: E-09.
#[test]
fn agreement_for_others_leaves_acquaintances_as_recorded_and_warns() {
    let mut draft = evacuee();
    draft.consent.others = "同意する".into();
    let entry = validate(&draft, now()).unwrap();
    let consent = entry.parsed.consent;
    assert_eq!(
        consent.acquaintance,
        crate::consent::ConsentMatrix::table_4_3().acquaintance,
        "⑭ does not widen ⑬"
    );
    assert!(consent.allows(Audience::Others, ConsentField::Location));
    let warned = fields_of(&entry.warnings);
    assert_eq!(
        warned,
        [
            "consent.fields.furigana",
            "consent.fields.birth_date",
            "consent.fields.sex",
            "consent.fields.address",
            "consent.fields.nationality",
            "consent.fields.injury_state",
            "consent.fields.location",
            "consent.fields.contact",
        ]
    );
    assert!(
        entry
            .warnings
            .iter()
            .all(|w| w.message.contains("知人") && w.message.contains("再確認"))
    );
}
