//! Validation of an entry draft. R: E-01, E-02, E-03, E-05, E-06, E-07, E-08, E-09, E-15.
//!
//! Returns every problem at once, each naming its field, or the validated entry with
//! warnings. Required fields (E-03): name, furigana, birth date, sex, address, and
//! nationality when not Japanese are mandatory unless other identifying information is
//! given instead. A partial birth date is always refused for the birth-date field, with
//! the text to put into other identifying information instead. The length and the
//! characters of every text field are checked first (`text::check`); a field refused
//! there gets no further message. On Form 2 the bereaved's answer ⑪ and their
//! restrictions of single items make the consent (`consent::resolve_deceased`).

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::text;
use super::time::{jst, parse_time_of_day, parse_written_at};
use super::{
    AddressDraft, CanonicalKeys, Death, Entry, EntryDraft, FormKind, Nationality, Parsed, Severity,
    Sex, Status,
};
use crate::canon;
use crate::consent::{self, Agreement, ResolvedConsent};
use crate::era::{self, DateError};
use crate::prefecture;
use crate::validation::{FieldError, FieldWarning};

/// How far in the future a 記入日時 may lie (clock skew between terminals).
const FUTURE_TOLERANCE_MINUTES: i64 = 10;

/// Location categories (区分) of the current location.
pub const LOCATION_CATEGORIES: [&str; 4] = ["避難所", "医療機関", "自宅", "その他"];

const NOT_CONFIRMABLE: &str = "意思確認不可";
const NO_CERTIFICATE: &str = "診断書等無し";
const DISCOVERED: &str = "発見された日時及び場所";

struct Checker {
    errors: Vec<FieldError>,
    warnings: Vec<FieldWarning>,
}

impl Checker {
    fn error(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    fn warn(&mut self, field: &str, message: impl Into<String>) {
        self.warnings.push(FieldError::new(field, message));
    }

    fn required(&mut self, field: &str, what: &str) {
        self.error(
            field,
            format!("{what}が未入力です。不明な場合は「その他個人を識別するための情報」を入力してください"),
        );
    }

    fn must_be_empty(&mut self, field: &str, value: bool, form: FormKind) {
        if value {
            self.error(
                field,
                format!("{}ではこの欄は入力できません", form.label_ja()),
            );
        }
    }
}

/// Validates a draft against the clock reading `now`.
pub fn validate(draft: &EntryDraft, now: DateTime<Utc>) -> Result<Entry, Vec<FieldError>> {
    let mut check = Checker {
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    // R: E-03, E-15. Length and characters first: a field refused here gets no other
    // message (its value is not worth parsing), see the end of this function.
    let text_errors = text::check(draft);
    let consent_keys_refused = text_errors.iter().any(|e| e.field == "consent.fields");
    let today = now.with_timezone(&jst()).date_naive();

    let written_at = match parse_written_at(&draft.written_at) {
        Ok(moment) if moment > now + Duration::minutes(FUTURE_TOLERANCE_MINUTES) => {
            check.error(
                "written_at",
                "記入日時が未来の日時になっています。様式の記入日時を確認してください",
            );
            None
        }
        Ok(moment) => Some(moment),
        Err(message) => {
            check.error("written_at", message);
            None
        }
    };

    let has_identifying = !draft.identifying_info.trim().is_empty();
    if draft.name.trim().is_empty() && !has_identifying {
        check.required("name", "氏名");
    }
    let furigana = if draft.furigana.trim().is_empty() {
        if !has_identifying {
            check.required("furigana", "フリガナ");
        }
        None
    } else {
        let display = canon::furigana_display(&draft.furigana);
        if display.is_none() {
            check.error(
                "furigana",
                "フリガナはカタカナ（ひらがなも可）で入力してください",
            );
        }
        display
    };
    let birth_date = check_birth_date(&mut check, &draft.birth_date, has_identifying, today);
    let sex = if draft.sex.trim().is_empty() {
        if !has_identifying {
            check.required("sex", "男女の別");
        }
        None
    } else {
        let sex = Sex::parse(&draft.sex);
        if sex.is_none() {
            check.error(
                "sex",
                format!(
                    "男女の別は「男」または「女」（「男性」「女性」も可）で入力してください（入力: {}）",
                    draft.sex
                ),
            );
        }
        sex
    };
    check_address(&mut check, &draft.address, has_identifying);
    let nationality = check_nationality(&mut check, draft, has_identifying);

    let mut parsed_consent = None;
    let mut injury = None;
    let mut death = None;
    match draft.form {
        FormKind::Form1 => {
            injury = check_injury(&mut check, draft);
            check_location(&mut check, draft);
            let form = FormKind::Form1;
            check.must_be_empty("death", !draft.death.is_empty(), form);
            check.must_be_empty(
                "body_location",
                !draft.body_location.trim().is_empty(),
                form,
            );
            check.must_be_empty("bereaved", !draft.bereaved.is_empty(), form);
            if !consent_keys_refused {
                match consent::resolve(&draft.consent, &draft.identifying_info) {
                    Ok(resolved) => parsed_consent = Some(resolved),
                    Err(errors) => check.errors.extend(errors),
                }
            }
        }
        FormKind::Form2 => {
            death = check_death(&mut check, draft, today);
            let form = FormKind::Form2;
            let injury_given = !(draft.injury.status.trim().is_empty()
                && draft.injury.severity.trim().is_empty()
                && draft.injury.description.trim().is_empty());
            check.must_be_empty("injury", injury_given, form);
            check.must_be_empty("location", !draft.location.is_empty(), form);
            // R: E-08. ⑫–⑭ are Form 1's; on Form 2 the bereaved answer ⑪ and may
            // restrict single items (注4), which `consent.fields` holds.
            let columns = crate::consent::ConsentDraft {
                fields: Default::default(),
                ..draft.consent.clone()
            };
            if columns != crate::consent::ConsentDraft::default() {
                check.error(
                    "consent",
                    "様式第2号の同意は遺族の同意欄（bereaved）に入力してください（項目ごとの回答の限定は consent.fields に入力できます）",
                );
            }
            if !consent_keys_refused {
                parsed_consent = check_bereaved(&mut check, draft);
            }
            if draft.body_location.trim().is_empty() {
                check.warn(
                    "body_location",
                    "遺体が安置されている場所が未入力です。判明したら更新してください",
                );
            }
        }
    }

    if !text_errors.is_empty() {
        let mut errors = text_errors;
        let refused: Vec<String> = errors.iter().map(|e| e.field.clone()).collect();
        errors.extend(
            check
                .errors
                .into_iter()
                .filter(|e| !refused.contains(&e.field)),
        );
        return Err(errors);
    }
    let (Some(written_at), Some(resolved), true) =
        (written_at, parsed_consent, check.errors.is_empty())
    else {
        return Err(check.errors);
    };
    let identifying_info = with_markers(draft, resolved.not_confirmable, death.as_ref());
    let status = match (draft.form, injury) {
        (FormKind::Form2, _) => Status::Dead,
        (FormKind::Form1, Some(_)) => Status::Injured,
        (FormKind::Form1, None) => Status::Evacuated,
    };
    let keys = CanonicalKeys {
        version: canon::CANON_VERSION,
        name: canon::name_key(&draft.name),
        furigana: canon::kana_key(&draft.furigana),
        address: address_key(&draft.address),
        identifying_info: canon::text_key(&identifying_info),
    };
    let mut warnings = check.warnings;
    warnings.extend(resolved.warnings);
    Ok(Entry {
        draft: draft.clone(),
        parsed: Parsed {
            written_at,
            birth_date,
            sex,
            nationality,
            furigana,
            injury,
            death,
            consent: resolved.matrix,
            others: resolved.others,
            consent_not_confirmable: resolved.not_confirmable,
            identifying_info,
            status,
        },
        keys,
        warnings,
    })
}

fn address_key(address: &AddressDraft) -> String {
    if address.foreign.trim().is_empty() {
        canon::address_key(
            &address.prefecture,
            &address.municipality,
            &address.town,
            &address.lot,
        )
    } else {
        canon::text_key(&address.foreign)
    }
}

fn check_birth_date(
    check: &mut Checker,
    text: &str,
    has_identifying: bool,
    today: NaiveDate,
) -> Option<NaiveDate> {
    if text.trim().is_empty() {
        if !has_identifying {
            check.required("birth_date", "出生の年月日");
        }
        return None;
    }
    match era::parse_date(text) {
        Ok(date) if date > today => {
            check.error("birth_date", "出生の年月日が未来の日付になっています");
            None
        }
        Ok(date) => Some(date),
        Err(DateError::Partial { suggestion }) => {
            check.error(
                "birth_date",
                format!(
                    "出生の年月日の一部しか分からない場合は、この欄では登録できません。この欄を空にして「その他個人を識別するための情報」に「{suggestion}」と入力してください"
                ),
            );
            None
        }
        Err(other) => {
            check.error("birth_date", other.to_string());
            None
        }
    }
}

fn check_prefecture(check: &mut Checker, field: &str, name: &str) {
    if !name.trim().is_empty() && prefecture::code_of(name).is_none() {
        check.error(
            field,
            format!(
                "都道府県名「{}」が見つかりません（例: 東京都）",
                name.trim()
            ),
        );
    }
}

fn check_address(check: &mut Checker, address: &AddressDraft, has_identifying: bool) {
    let japanese = [
        &address.prefecture,
        &address.municipality,
        &address.town,
        &address.lot,
    ]
    .iter()
    .any(|part| !part.trim().is_empty());
    let foreign = !address.foreign.trim().is_empty();
    if japanese && foreign {
        check.error(
            "address.foreign",
            "国内の住所と外国の住所は、どちらか一方だけを入力してください",
        );
    }
    if !japanese && !foreign && address.postal_code.trim().is_empty() {
        if !has_identifying {
            check.required("address", "住所");
        }
        return;
    }
    if !foreign {
        if address.prefecture.trim().is_empty() {
            check.error("address.prefecture", "住所の都道府県を入力してください");
        }
        if address.municipality.trim().is_empty() {
            check.error("address.municipality", "住所の市区町村を入力してください");
        }
        check_prefecture(check, "address.prefecture", &address.prefecture);
    }
    if !address.postal_code.trim().is_empty() {
        let digits: String = address
            .postal_code
            .chars()
            .filter(|c| !matches!(c, '-' | '－' | 'ー' | '‐' | ' ' | '〒'))
            .map(|c| match c {
                '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
                _ => c,
            })
            .collect();
        if digits.len() != 7 || !digits.chars().all(|c| c.is_ascii_digit()) {
            check.error(
                "address.postal_code",
                "郵便番号は7桁の数字で入力してください（例: 100-8927）",
            );
        }
    }
}

fn check_nationality(
    check: &mut Checker,
    draft: &EntryDraft,
    has_identifying: bool,
) -> Nationality {
    let other = draft.nationality.other.trim();
    match draft.nationality.kind.trim() {
        "" | "日本" | "japan" if other.is_empty() => Nationality::Japan,
        "" | "日本" | "japan" => {
            check.error(
                "nationality.other",
                "国籍を「その他」とする場合は、種別に「その他」を選んでください",
            );
            Nationality::Japan
        }
        "その他" | "other" => match canon::furigana_display(other) {
            _ if other.is_empty() => {
                check.error(
                    "nationality.other",
                    "国籍名を全角カタカナで入力してください（例: アメリカ）",
                );
                Nationality::Unknown
            }
            Some(katakana) => Nationality::Other(katakana),
            None => {
                check.error(
                    "nationality.other",
                    format!(
                        "国籍名は全角カタカナで入力してください（例: アメリカ、入力: {other}）"
                    ),
                );
                Nationality::Unknown
            }
        },
        "不明" | "unknown" if !other.is_empty() => {
            check.error(
                "nationality.other",
                "国籍が不明の場合は国籍名を入力しないでください",
            );
            Nationality::Unknown
        }
        "不明" | "unknown" => {
            if !has_identifying {
                check.required("nationality", "国籍");
            }
            Nationality::Unknown
        }
        kind => {
            check.error(
                "nationality.kind",
                format!("国籍の種別は「日本」「その他」「不明」のいずれかです（入力: {kind}）"),
            );
            Nationality::Unknown
        }
    }
}

fn check_injury(check: &mut Checker, draft: &EntryDraft) -> Option<Severity> {
    let injury = &draft.injury;
    match injury.status.trim() {
        "負傷" => {
            if injury.severity.trim().is_empty() {
                check.error(
                    "injury.severity",
                    "負傷の程度（重症・中等症・軽症・その他）を選んでください",
                );
                return None;
            }
            let severity = Severity::parse(&injury.severity);
            if severity.is_none() {
                check.error(
                    "injury.severity",
                    format!(
                        "負傷の程度は「{}」のいずれかです（入力: {}）",
                        Severity::LABELS.join("」「"),
                        injury.severity.trim()
                    ),
                );
            }
            if injury.description.trim().is_empty() {
                check.warn(
                    "injury.description",
                    "負傷又は疾病の状況（例: 左大腿部裂傷）を入力してください",
                );
            }
            severity
        }
        "非該当" => {
            if !injury.severity.trim().is_empty() || !injury.description.trim().is_empty() {
                check.error(
                    "injury.status",
                    "負傷の程度や状況を入力する場合は「負傷」を選んでください",
                );
            }
            None
        }
        "" => {
            check.error(
                "injury.status",
                "負傷（疾病）の該当は必須です。「負傷」または「非該当」を選んでください",
            );
            None
        }
        other => {
            check.error(
                "injury.status",
                format!("「負傷」または「非該当」を選んでください（入力: {other}）"),
            );
            None
        }
    }
}

fn check_location(check: &mut Checker, draft: &EntryDraft) {
    let location = &draft.location;
    check_prefecture(check, "location.prefecture", &location.prefecture);
    let category = location.category.trim();
    if !category.is_empty() && !LOCATION_CATEGORIES.contains(&category) {
        check.error(
            "location.category",
            format!(
                "居所の区分は「{}」のいずれかです（入力: {category}）",
                LOCATION_CATEGORIES.join("」「")
            ),
        );
    }
}

fn check_death(check: &mut Checker, draft: &EntryDraft, today: NaiveDate) -> Option<Death> {
    let death = &draft.death;
    if death.is_empty() {
        check.error("death", "様式第2号では死亡の日時、場所及び状況が必須です");
        return None;
    }
    let date = if death.date.trim().is_empty() {
        check.error(
            "death.date",
            "死亡の日付を入力してください。不明な場合は推定の日付、それも不明な場合は発見された日付を入力し「発見された日時及び場所」を選んでください",
        );
        None
    } else {
        match era::parse_date(&death.date) {
            Ok(date) if date > today => {
                check.error("death.date", "死亡の日付が未来の日付になっています");
                None
            }
            Ok(date) => Some(date),
            Err(DateError::Partial { .. }) => {
                check.error(
                    "death.date",
                    "死亡の日付は年月日まで入力してください（推定の日付でも構いません）",
                );
                None
            }
            Err(other) => {
                check.error("death.date", other.to_string());
                None
            }
        }
    };
    let time = if death.time.trim().is_empty() {
        None
    } else {
        let time = parse_time_of_day(&death.time);
        if time.is_none() {
            check.error(
                "death.time",
                "死亡の時刻は「14:30」「14時30分」のように入力してください（不明な場合は空欄）",
            );
        }
        time
    };
    if death.place.trim().is_empty() {
        check.error(
            "death.place",
            "死亡の場所を入力してください（不明な場合は推定の場所または発見された場所）",
        );
    }
    if death.circumstances.trim().is_empty() {
        check.warn(
            "death.circumstances",
            "死亡の状況（例: 爆発に巻き込まれて死亡）を入力してください",
        );
    }
    date.map(|date| Death {
        date,
        time,
        no_medical_certificate: death.no_medical_certificate,
        discovered: death.discovered,
    })
}

fn check_bereaved(check: &mut Checker, draft: &EntryDraft) -> Option<ResolvedConsent> {
    let bereaved = &draft.bereaved;
    let not_confirmable = draft.identifying_info.contains(NOT_CONFIRMABLE) || bereaved.is_empty();
    if bereaved.is_empty() && !draft.identifying_info.contains(NOT_CONFIRMABLE) {
        check.warn(
            "bereaved",
            "遺族の同意が未記入のため「意思確認不可」として登録します（親族・同居者・知人以外への回答は「不明」）",
        );
    }
    let Some(agreement) = Agreement::parse(&bereaved.consent) else {
        check.error(
            "bereaved.consent",
            format!(
                "「同意する」「同意しない」「不明」のいずれかを入力してください（入力: {}）",
                bereaved.consent
            ),
        );
        return None;
    };
    if agreement != Agreement::Unknown {
        if bereaved.name.trim().is_empty() {
            check.error(
                "bereaved.name",
                "同意回答者（遺族）の氏名を入力してください",
            );
        }
        if bereaved.relationship.trim().is_empty() {
            check.error(
                "bereaved.relationship",
                "同意回答者の続柄（本人との関係）を入力してください",
            );
        }
    }
    match consent::resolve_deceased(agreement, not_confirmable, &draft.consent.fields) {
        Ok(resolved) => Some(resolved),
        Err(errors) => {
            check.errors.extend(errors);
            None
        }
    }
}

/// Appends the markers the guideline asks clerks to type into other identifying
/// information (E-07; Form 2 ⑧ ②③), unless they are there already.
fn with_markers(draft: &EntryDraft, not_confirmable: bool, death: Option<&Death>) -> String {
    let mut parts: Vec<String> = Vec::new();
    let raw = draft.identifying_info.trim();
    if !raw.is_empty() {
        parts.push(raw.to_string());
    }
    let mut add = |marker: &str| {
        if !raw.contains(marker) {
            parts.push(marker.to_string());
        }
    };
    if let Some(death) = death {
        if death.no_medical_certificate {
            add(NO_CERTIFICATE);
        }
        if death.discovered {
            add(DISCOVERED);
        }
    }
    if not_confirmable {
        add(NOT_CONFIRMABLE);
    }
    parts.join("、")
}
