//! Registering an inquiry (照会の受付). R: Q-01.
//!
//! An inquiry comes on Form 4 (様式第4号 安否情報照会書, 安否情報省令 第3条第1項) or,
//! when that is not possible, by phone, orally or otherwise (第3条第1項ただし書き,
//! 第5 2(2)). Either way the officer records (施行令 第26条第1項, 第5 2(2)①〜⑤):
//! - the inquirer: a person's name and 住所（居所）, or an organisation's name, its
//!   representative's name and the address of its main office (Form 4 備考2);
//! - the reason: ①親族又は同居者, ②知人（友人、職場関係者及び近隣住民）, ③その他 with its
//!   text;
//! - how the inquirer's identity was checked: a document showing the same name and
//!   address (第5 3(1)), or the alternative procedure (第5 3(2)): the local
//!   government of the inquirer's address or 本籍地 confirmed that the person exists;
//! - what the inquirer knows of the person asked about (被照会者を特定するために必要な
//!   事項): name, furigana, birth date, sex, address, nationality, other identifying
//!   information.
//!
//! [`validate`] returns every problem at once, each naming its field, or the
//! [`Inquiry`], which keeps the draft exactly as typed beside the parsed values.

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use unicode_normalization::UnicodeNormalization;

use crate::canon;
use crate::entry::{Nationality, Sex, jst_offset, parse_written_at};
use crate::era::{self, DateError};
use crate::inquiry_types::{
    Channel, IdentityCheck, IdentityDraft, Inquirer, InquirerDraft, Inquiry, InquiryDraft,
    Relationship, Target, TargetDraft,
};
use crate::validation::{FieldError, check_text};

/// How far in the future an inquiry date may lie (clock skew between terminals).
const FUTURE_TOLERANCE_MINUTES: i64 = 10;

/// Reading the officer's words for the selectors (the types are `inquiry_types`).
impl Channel {
    /// `form4` / `様式第4号` (also `様式第四号`, full width), `phone` / `電話`,
    /// `oral` / `口頭`, `other` / `その他`.
    pub fn parse(text: &str) -> Option<Self> {
        match folded(text).as_str() {
            "form4" | "様式第4号" | "様式第四号" => Some(Channel::Form4),
            "phone" | "電話" => Some(Channel::Phone),
            "oral" | "口頭" => Some(Channel::Oral),
            "other" | "その他" => Some(Channel::Other),
            _ => None,
        }
    }
}

impl Relationship {
    /// `family` / `親族・同居者` (also `親族`, `同居者`, `親族又は同居者`),
    /// `acquaintance` / `知人`, `other` / `その他`.
    pub fn parse(text: &str) -> Option<Self> {
        match folded(text).as_str() {
            "family" | "親族・同居者" | "親族" | "同居者" | "親族又は同居者" => {
                Some(Relationship::Family)
            }
            "acquaintance" | "知人" => Some(Relationship::Acquaintance),
            "other" | "その他" => Some(Relationship::Other),
            _ => None,
        }
    }
}

/// The label of a field path of an inquiry draft, in Japanese.
pub fn label_of(field: &str) -> &'static str {
    match field {
        "channel" => "照会の方法",
        "inquired_at" => "照会日時",
        "inquirer" | "inquirer.kind" => "申請者の区分",
        "inquirer.name" => "申請者の氏名（名称）",
        "inquirer.address" => "申請者の住所（居所・主たる事務所の所在地）",
        "inquirer.representative" => "代表者の氏名",
        "inquirer.phone" => "申請者の連絡先",
        "reason" => "照会をする理由",
        "reason_text" => "照会をする理由（内容）",
        "identity" | "identity.method" => "申請者の確認の方法",
        "identity.document" => "申請者の確認に用いた書類",
        "identity.confirmed_with" => "申請者の存在を確認した地方公共団体",
        "identity.note" => "申請者の確認の内容",
        "target" => "被照会者を特定するために必要な事項",
        "target.name" => "被照会者の氏名",
        "target.furigana" => "被照会者のフリガナ",
        "target.birth_date" => "被照会者の出生の年月日",
        "target.sex" => "被照会者の男女の別",
        "target.address" => "被照会者の住所",
        "target.nationality" => "被照会者の国籍",
        "target.identifying_info" => "被照会者のその他個人を識別するための情報",
        "remarks" => "備考",
        _ => "項目",
    }
}

fn error(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_string(),
        label: label_of(field).to_string(),
        message: message.into(),
    }
}

/// NFKC and trimmed, for matching the words of a selector.
fn folded(text: &str) -> String {
    text.nfkc().collect::<String>().trim().to_string()
}

/// `Some(trimmed)` unless empty.
fn given(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// Every problem at once, each naming its field (`channel`, `inquirer.name`, `target.birth_date`, …),
/// in Japanese. A target must have at least one of name / furigana / identifying_info (else nothing
/// can be searched): error on field `target`.
pub fn validate(draft: &InquiryDraft, now: DateTime<Utc>) -> Result<Inquiry, Vec<FieldError>> {
    let mut errors = Vec::new();
    check_lengths(&mut errors, draft);

    let channel = match draft.channel.trim() {
        "" => {
            errors.push(error(
                "channel",
                "照会の方法（様式第4号・電話・口頭・その他）を選んでください",
            ));
            None
        }
        text => {
            let channel = Channel::parse(text);
            if channel.is_none() {
                errors.push(error(
                    "channel",
                    format!(
                        "照会の方法は「様式第4号」「電話」「口頭」「その他」のいずれかです（入力: {text}）"
                    ),
                ));
            }
            channel
        }
    };
    let inquired_at = check_inquired_at(&mut errors, &draft.inquired_at, now);
    let inquirer = check_inquirer(&mut errors, &draft.inquirer);
    let relationship = check_reason(&mut errors, draft);
    let identity = check_identity(&mut errors, &draft.identity);
    let target = check_target(&mut errors, &draft.target, now);

    match (
        channel,
        inquired_at,
        inquirer,
        relationship,
        identity,
        target,
    ) {
        (
            Some(channel),
            Some(inquired_at),
            Some(inquirer),
            Some(relationship),
            Some(identity),
            Some(target),
        ) if errors.is_empty() => Ok(Inquiry {
            draft: draft.clone(),
            channel,
            inquired_at,
            inquirer,
            relationship,
            reason_text: draft.reason_text.trim().to_string(),
            identity,
            target,
        }),
        _ => Err(errors),
    }
}

fn check_lengths(errors: &mut Vec<FieldError>, d: &InquiryDraft) {
    let short = 100;
    let long = 1000;
    let fields: [(&str, &str, usize); 20] = [
        ("channel", &d.channel, short),
        ("inquired_at", &d.inquired_at, short),
        ("inquirer.kind", &d.inquirer.kind, short),
        ("inquirer.name", &d.inquirer.name, short),
        ("inquirer.address", &d.inquirer.address, long),
        ("inquirer.representative", &d.inquirer.representative, short),
        ("inquirer.phone", &d.inquirer.phone, short),
        ("reason", &d.reason, short),
        ("reason_text", &d.reason_text, long),
        ("identity.method", &d.identity.method, short),
        ("identity.document", &d.identity.document, short),
        ("identity.confirmed_with", &d.identity.confirmed_with, short),
        ("identity.note", &d.identity.note, long),
        ("target.name", &d.target.name, short),
        ("target.furigana", &d.target.furigana, short),
        ("target.birth_date", &d.target.birth_date, short),
        ("target.sex", &d.target.sex, short),
        ("target.address", &d.target.address, long),
        ("target.nationality", &d.target.nationality, short),
        ("target.identifying_info", &d.target.identifying_info, long),
    ];
    let mut found = Vec::new();
    for (field, value, max) in fields {
        check_text(&mut found, field, value, max);
    }
    check_text(&mut found, "remarks", &d.remarks, long);
    // `check_text` labels fields as an entry's; relabel them as an inquiry's.
    errors.extend(found.into_iter().map(|e| error(&e.field, e.message)));
}

/// 照会日時: empty is `now`; a date-time like 記入日時, or a date alone (Form 4 has
/// 年月日 only), taken as the start of that day in Japan time.
fn check_inquired_at(
    errors: &mut Vec<FieldError>,
    text: &str,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let field = "inquired_at";
    if text.trim().is_empty() {
        return Some(now);
    }
    let moment = match parse_written_at(text) {
        Ok(moment) => moment,
        Err(message) => match era::parse_date(text) {
            Ok(date) => jst_offset()
                .from_local_datetime(&date.and_time(NaiveTime::MIN))
                .single()
                .map(|local| local.with_timezone(&Utc))?,
            Err(DateError::Partial { .. }) => {
                errors.push(error(field, "照会日時は年月日まで入力してください"));
                return None;
            }
            Err(_) => {
                errors.push(error(field, message.replace("記入日時", "照会日時")));
                return None;
            }
        },
    };
    if moment > now + Duration::minutes(FUTURE_TOLERANCE_MINUTES) {
        errors.push(error(field, "照会日時が未来の日時になっています"));
        return None;
    }
    Some(moment)
}

fn check_inquirer(errors: &mut Vec<FieldError>, d: &InquirerDraft) -> Option<Inquirer> {
    let organisation = match folded(&d.kind).as_str() {
        "" | "person" | "個人" => false,
        "organisation" | "organization" | "法人" | "団体" | "法人その他の団体" => true,
        other => {
            errors.push(error(
                "inquirer.kind",
                format!("申請者の区分は「個人」または「法人その他の団体」です（入力: {other}）"),
            ));
            return None;
        }
    };
    let name = given(&d.name);
    let address = given(&d.address);
    let representative = given(&d.representative);
    let phone = d.phone.trim().to_string();
    if organisation {
        if name.is_none() {
            errors.push(error(
                "inquirer.name",
                "法人その他の団体の名称を入力してください",
            ));
        }
        if representative.is_none() {
            errors.push(error(
                "inquirer.representative",
                "法人その他の団体の場合は代表者の氏名を入力してください（様式第4号 備考2）",
            ));
        }
        if address.is_none() {
            errors.push(error(
                "inquirer.address",
                "法人その他の団体の主たる事務所の所在地を入力してください",
            ));
        }
        Some(Inquirer::Organisation {
            name: name?,
            representative: representative?,
            address: address?,
            phone,
        })
    } else {
        if name.is_none() {
            errors.push(error("inquirer.name", "申請者の氏名を入力してください"));
        }
        if address.is_none() {
            errors.push(error(
                "inquirer.address",
                "申請者の住所（居所）を入力してください",
            ));
        }
        if representative.is_some() {
            errors.push(error(
                "inquirer.representative",
                "代表者の氏名は法人その他の団体の場合のみ入力してください",
            ));
            return None;
        }
        Some(Inquirer::Person {
            name: name?,
            address: address?,
            phone,
        })
    }
}

fn check_reason(errors: &mut Vec<FieldError>, d: &InquiryDraft) -> Option<Relationship> {
    let relationship = match d.reason.trim() {
        "" => {
            errors.push(error(
                "reason",
                "照会をする理由（親族・同居者、知人、その他）を選んでください",
            ));
            return None;
        }
        text => match Relationship::parse(text) {
            Some(relationship) => relationship,
            None => {
                errors.push(error(
                    "reason",
                    format!(
                        "照会をする理由は「親族・同居者」「知人」「その他」のいずれかです（入力: {text}）"
                    ),
                ));
                return None;
            }
        },
    };
    if relationship == Relationship::Other && d.reason_text.trim().is_empty() {
        errors.push(error(
            "reason_text",
            "照会をする理由が「その他」の場合は、理由を入力してください",
        ));
        return None;
    }
    Some(relationship)
}

fn check_identity(errors: &mut Vec<FieldError>, d: &IdentityDraft) -> Option<IdentityCheck> {
    let document = given(&d.document);
    let confirmed_with = given(&d.confirmed_with);
    match folded(&d.method).as_str() {
        "document" | "書類" | "書類の提示" => {
            let mut ok = true;
            if document.is_none() {
                errors.push(error(
                    "identity.document",
                    "確認に用いた書類（運転免許証、マイナンバーカード等）を入力してください",
                ));
                ok = false;
            }
            if confirmed_with.is_some() {
                errors.push(error(
                    "identity.confirmed_with",
                    "書類で確認した場合は、確認した地方公共団体は入力しないでください",
                ));
                ok = false;
            }
            ok.then(|| IdentityCheck::Document {
                document: document.unwrap_or_default(),
            })
        }
        "alternative" | "書類以外" | "書類の提示以外" => {
            let mut ok = true;
            if confirmed_with.is_none() {
                errors.push(error(
                    "identity.confirmed_with",
                    "申請者が存在することを確認した地方公共団体（住所地又は本籍地）を入力してください（第5 3(2)）",
                ));
                ok = false;
            }
            if document.is_some() {
                errors.push(error(
                    "identity.document",
                    "書類以外の方法で確認した場合は、書類欄ではなく確認の内容（note）に記入してください",
                ));
                ok = false;
            }
            ok.then(|| IdentityCheck::Alternative {
                confirmed_with: confirmed_with.unwrap_or_default(),
                note: d.note.trim().to_string(),
            })
        }
        "" => {
            errors.push(error(
                "identity.method",
                "申請者の確認の方法（書類の提示、または書類以外の方法）を選んでください",
            ));
            None
        }
        other => {
            errors.push(error(
                "identity.method",
                format!(
                    "申請者の確認の方法は「document」（書類）または「alternative」（書類以外）です（入力: {other}）"
                ),
            ));
            None
        }
    }
}

fn check_target(
    errors: &mut Vec<FieldError>,
    d: &TargetDraft,
    now: DateTime<Utc>,
) -> Option<Target> {
    let before = errors.len();
    let name = given(&d.name);
    if name
        .as_deref()
        .is_some_and(|name| canon::name_key(name).is_empty())
    {
        errors.push(error("target.name", "氏名に検索に使える文字がありません"));
    }
    let furigana = given(&d.furigana).and_then(|text| {
        let display = canon::furigana_display(&text);
        if display.is_none() {
            errors.push(error(
                "target.furigana",
                "フリガナはカタカナ（ひらがなも可）で入力してください",
            ));
        }
        display
    });
    let today = now.with_timezone(&jst_offset()).date_naive();
    let birth_date = given(&d.birth_date).and_then(|text| match era::parse_date(&text) {
        Ok(date) if date > today => {
            errors.push(error(
                "target.birth_date",
                "出生の年月日が未来の日付になっています",
            ));
            None
        }
        Ok(date) => Some(date),
        Err(DateError::Partial { suggestion }) => {
            errors.push(error(
                "target.birth_date",
                format!(
                    "出生の年月日の一部しか分からない場合は、この欄を空にして「その他個人を識別するための情報」に「{suggestion}」と入力してください"
                ),
            ));
            None
        }
        Err(other) => {
            errors.push(error("target.birth_date", other.to_string()));
            None
        }
    });
    let sex = given(&d.sex).and_then(|text| {
        let sex = Sex::parse(&text);
        if sex.is_none() {
            errors.push(error(
                "target.sex",
                format!(
                    "男女の別は「男」または「女」（「男性」「女性」も可）で入力してください（入力: {text}）"
                ),
            ));
        }
        sex
    });
    let address = given(&d.address);
    let nationality = given(&d.nationality).and_then(|text| {
        let parsed = parse_nationality(&text);
        if parsed.is_none() {
            errors.push(error(
                "target.nationality",
                format!(
                    "国籍は「日本」「不明」または国名の全角カタカナ（例: アメリカ）で入力してください（入力: {text}）"
                ),
            ));
        }
        parsed
    });
    let identifying_info = given(&d.identifying_info);
    if identifying_info
        .as_deref()
        .is_some_and(|text| canon::search_key(text).is_empty())
    {
        errors.push(error(
            "target.identifying_info",
            "その他個人を識別するための情報に検索に使える文字がありません",
        ));
    }
    if name.is_none() && d.furigana.trim().is_empty() && identifying_info.is_none() {
        errors.push(error(
            "target",
            "被照会者の氏名、フリガナ、その他個人を識別するための情報のいずれかを入力してください（検索できません）",
        ));
    }
    (errors.len() == before).then(|| Target {
        raw: d.clone(),
        name,
        furigana,
        birth_date,
        sex,
        address,
        nationality,
        identifying_info,
    })
}

/// 日本, 不明, or a country in katakana (hiragana and half width accepted), also
/// written `その他（アメリカ）`.
fn parse_nationality(text: &str) -> Option<Nationality> {
    let text = folded(text);
    match text.as_str() {
        "日本" | "japan" => return Some(Nationality::Japan),
        "不明" | "unknown" => return Some(Nationality::Unknown),
        _ => {}
    }
    let country = text
        .strip_prefix("その他")
        .unwrap_or(&text)
        .trim_matches(|c: char| matches!(c, '(' | ')' | ':' | ' ' | '　' | '（' | '）' | '：'));
    canon::furigana_display(country).map(Nationality::Other)
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone};

    use super::*;
    use crate::consent::Audience;
    use crate::inquiry::testing::{form4_family, now};

    fn fields_of(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    fn rejected(draft: &InquiryDraft) -> Vec<FieldError> {
        validate(draft, now()).expect_err("the draft should be rejected")
    }

    #[test]
    fn a_form_4_from_a_person_is_accepted() {
        let draft = form4_family();
        let inquiry = validate(&draft, now()).unwrap();
        assert_eq!(inquiry.draft, draft);
        assert_eq!(inquiry.channel, Channel::Form4);
        assert_eq!(
            inquiry.inquired_at,
            Utc.with_ymd_and_hms(2026, 11, 22, 0, 15, 0).unwrap()
        );
        assert_eq!(
            inquiry.inquirer,
            Inquirer::Person {
                name: "消防　花子".into(),
                address: "東京都千代田区霞が関2-1-2".into(),
                phone: "03-5253-0000".into(),
            }
        );
        assert_eq!(inquiry.relationship, Relationship::Family);
        assert_eq!(inquiry.relationship.audience(), Audience::Family);
        assert_eq!(
            inquiry.identity,
            IdentityCheck::Document {
                document: "運転免許証".into()
            }
        );
        let target = &inquiry.target;
        assert_eq!(target.raw, draft.target);
        assert_eq!(target.name.as_deref(), Some("消防太郎"));
        assert_eq!(target.furigana.as_deref(), Some("ショウボウ\u{3000}タロウ"));
        assert_eq!(target.birth_date, NaiveDate::from_ymd_opt(2004, 6, 18));
        assert_eq!(target.sex, Some(Sex::Male));
        assert_eq!(target.address.as_deref(), Some("東京都千代田区霞が関2-1-2"));
        assert_eq!(target.nationality, None);
        assert_eq!(target.identifying_info, None);
    }

    #[test]
    fn an_organisation_needs_its_representative_and_office() {
        let mut draft = form4_family();
        draft.inquirer = InquirerDraft {
            kind: "法人その他の団体".into(),
            name: "株式会社霞商事".into(),
            address: "東京都港区虎ノ門1-1-1".into(),
            representative: "霞　一郎".into(),
            phone: String::new(),
        };
        draft.reason = "知人".into();
        let inquiry = validate(&draft, now()).unwrap();
        assert_eq!(
            inquiry.inquirer,
            Inquirer::Organisation {
                name: "株式会社霞商事".into(),
                representative: "霞　一郎".into(),
                address: "東京都港区虎ノ門1-1-1".into(),
                phone: String::new(),
            }
        );
        assert_eq!(inquiry.inquirer.name(), "株式会社霞商事");
        assert_eq!(inquiry.relationship, Relationship::Acquaintance);

        draft.inquirer.kind = "organisation".into();
        draft.inquirer.representative = " ".into();
        draft.inquirer.address.clear();
        let errors = rejected(&draft);
        assert_eq!(
            fields_of(&errors),
            ["inquirer.representative", "inquirer.address"]
        );
        assert_eq!(errors[0].label, "代表者の氏名");
        assert!(
            errors[0].message.contains("代表者"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn a_phone_inquiry_with_the_alternative_identity_check() {
        let mut draft = form4_family();
        draft.channel = "電話".into();
        draft.inquired_at = "令和8年11月22日 9時15分".into();
        draft.reason = "other".into();
        draft.reason_text = "勤務先の安全配慮のため".into();
        draft.identity = IdentityDraft {
            method: "alternative".into(),
            document: String::new(),
            confirmed_with: "千代田区".into(),
            note: "氏名・生年月日・住所・男女の別を聴取し、住所地に照会して存在を確認".into(),
        };
        draft.target = TargetDraft {
            name: "消防　太郎".into(),
            nationality: "ｱﾒﾘｶ".into(),
            identifying_info: "身長170cm程度".into(),
            ..TargetDraft::default()
        };
        let inquiry = validate(&draft, now()).unwrap();
        assert_eq!(inquiry.channel, Channel::Phone);
        assert_eq!(inquiry.relationship, Relationship::Other);
        assert_eq!(inquiry.relationship.audience(), Audience::Others);
        assert_eq!(inquiry.reason_text, "勤務先の安全配慮のため");
        assert!(matches!(
            &inquiry.identity,
            IdentityCheck::Alternative { confirmed_with, .. } if confirmed_with == "千代田区"
        ));
        assert_eq!(
            inquiry.target.nationality,
            Some(Nationality::Other("アメリカ".into()))
        );
        assert_eq!(inquiry.target.birth_date, None);
        assert_eq!(inquiry.target.sex, None);
    }

    #[test]
    fn every_missing_or_invalid_field_is_named() {
        let draft = InquiryDraft {
            channel: "fax".into(),
            inquired_at: "きのう".into(),
            inquirer: InquirerDraft::default(),
            reason: "other".into(),
            reason_text: String::new(),
            identity: IdentityDraft {
                method: "document".into(),
                ..IdentityDraft::default()
            },
            target: TargetDraft {
                birth_date: "昭和56年".into(),
                sex: "不明".into(),
                furigana: "消防".into(),
                ..TargetDraft::default()
            },
            remarks: String::new(),
        };
        let errors = rejected(&draft);
        assert_eq!(
            fields_of(&errors),
            [
                "channel",
                "inquired_at",
                "inquirer.name",
                "inquirer.address",
                "reason_text",
                "identity.document",
                "target.furigana",
                "target.birth_date",
                "target.sex",
            ]
        );
        // The partial birth date is refused with the era module's suggestion.
        let birth = &errors[7];
        assert!(birth.message.contains("西暦1981年生"), "{}", birth.message);
        assert_eq!(birth.label, "被照会者の出生の年月日");
        assert!(errors[1].message.contains("照会日時") || errors[1].message.contains("日付"));
        assert!(errors.iter().all(|e| !e.message.is_empty()));
    }

    #[test]
    fn an_empty_target_cannot_be_searched() {
        let mut draft = form4_family();
        draft.target = TargetDraft {
            birth_date: "平成16年6月18日".into(),
            sex: "男".into(),
            address: "東京都千代田区霞が関2-1-2".into(),
            ..TargetDraft::default()
        };
        let errors = rejected(&draft);
        assert_eq!(fields_of(&errors), ["target"]);
        draft.target.identifying_info = "、、".into();
        assert_eq!(fields_of(&rejected(&draft)), ["target.identifying_info"]);
    }

    #[test]
    fn selectors_refuse_unknown_words() {
        let mut draft = form4_family();
        draft.channel = String::new();
        draft.reason = "友人".into();
        draft.inquirer.kind = "会社".into();
        draft.identity.method = String::new();
        draft.target.nationality = "米国".into();
        let errors = rejected(&draft);
        assert_eq!(
            fields_of(&errors),
            [
                "channel",
                "inquirer.kind",
                "reason",
                "identity.method",
                "target.nationality"
            ]
        );
        draft = form4_family();
        draft.channel = "様式第４号".into();
        draft.reason = "親族又は同居者".into();
        draft.target.nationality = "その他（フィリピン）".into();
        let inquiry = validate(&draft, now()).unwrap();
        assert_eq!(inquiry.channel, Channel::Form4);
        assert_eq!(
            inquiry.target.nationality,
            Some(Nationality::Other("フィリピン".into()))
        );
    }

    #[test]
    fn fields_that_do_not_belong_are_refused() {
        let mut draft = form4_family();
        draft.inquirer.representative = "霞　一郎".into();
        draft.identity.confirmed_with = "千代田区".into();
        assert_eq!(
            fields_of(&rejected(&draft)),
            ["inquirer.representative", "identity.confirmed_with"]
        );
        let mut draft = form4_family();
        draft.identity = IdentityDraft {
            method: "書類以外".into(),
            document: "パスポート".into(),
            ..IdentityDraft::default()
        };
        assert_eq!(
            fields_of(&rejected(&draft)),
            ["identity.confirmed_with", "identity.document"]
        );
    }

    #[test]
    fn inquiry_dates() {
        let mut draft = form4_family();
        draft.inquired_at = String::new();
        assert_eq!(validate(&draft, now()).unwrap().inquired_at, now());
        // Form 4 has a date only: the start of that day in Japan time.
        draft.inquired_at = "令和8年11月22日".into();
        assert_eq!(
            validate(&draft, now()).unwrap().inquired_at,
            Utc.with_ymd_and_hms(2026, 11, 21, 15, 0, 0).unwrap()
        );
        draft.inquired_at = "2026-11-23 10:00".into();
        assert_eq!(fields_of(&rejected(&draft)), ["inquired_at"]);
        draft.inquired_at = "2026-11".into();
        let errors = rejected(&draft);
        assert!(
            errors[0].message.contains("年月日まで"),
            "{}",
            errors[0].message
        );
        draft.target.birth_date = "2030-01-01".into();
        draft.inquired_at = String::new();
        assert_eq!(fields_of(&rejected(&draft)), ["target.birth_date"]);
    }

    #[test]
    fn lengths_and_control_characters_are_checked() {
        let mut draft = form4_family();
        draft.remarks = "あ".repeat(1001);
        draft.inquirer.phone = "03\u{7}".into();
        let errors = rejected(&draft);
        assert_eq!(fields_of(&errors), ["inquirer.phone", "remarks"]);
        assert_eq!(errors[0].label, "申請者の連絡先");
        assert_eq!(errors[1].label, "備考");
    }

    #[test]
    fn json_round_trip_and_unknown_fields() {
        let inquiry = validate(&form4_family(), now()).unwrap();
        let json = serde_json::to_string(&inquiry).unwrap();
        assert!(json.contains("\"channel\":\"form4\""), "{json}");
        assert!(json.contains("\"kind\":\"person\""), "{json}");
        assert!(json.contains("\"method\":\"document\""), "{json}");
        assert_eq!(serde_json::from_str::<Inquiry>(&json).unwrap(), inquiry);
        let draft: InquiryDraft = serde_json::from_str(r#"{"channel":"phone"}"#).unwrap();
        assert_eq!(draft.channel, "phone");
        assert!(serde_json::from_str::<InquiryDraft>(r#"{"chanel":"phone"}"#).is_err());
        assert!(serde_json::from_str::<TargetDraft>(r#"{"name":"a","age":"3"}"#).is_err());
    }
}
