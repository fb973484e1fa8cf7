//! Identifying the person an inquiry is about (被照会者の特定). R: Q-02.
//!
//! 第5 3(3): the officer compares what the inquirer gave with the records, searching
//! with 表記ゆれ tolerated (① 検索: exact, ② 曖昧検索: partial).
//! - ア 4情報の一致: when the inquirer gave all 4 information (氏名, 出生の年月日, 男女の
//!   別, 住所 down to the lot) and records match all four, that is the person; among
//!   several, 「記入日時の最も新しい者の情報をもって、被照会者の特定が行われたものと
//!   する」.
//! - イ otherwise (4 information incomplete, or no record matches all four) the
//!   candidates are narrowed with nationality and other identifying information:
//!   「被照会者である可能性のある者を1人に絞り込むことを原則とし、この場合被照会者が
//!   特定されたものとみなす」; with several left, the inquirer is told the person could
//!   not be identified and asked for more (「さらに被照会者を特定するための情報（4情報を
//!   含む。）を提供するよう求める」).
//!
//! "Identical" compares canonical forms (N-01..N-04): [`canon::name_key`],
//! [`canon::kana_key`], [`canon::address_key`], birth date and sex as parsed values,
//! nationality by its canonical name, and each piece of the inquirer's identifying
//! information as a partial match ([`canon::search_key`]) in the record's.
//!
//! What to ask for is every field the inquirer did not give, whatever the candidates
//! hold: asking only for the fields in which the candidates differ would tell the
//! inquirer something about them (第5 3(3)イ ※ 「行政側から不用意に個人情報を漏洩する
//! ことのないよう、質問方法に留意すること」).

use std::collections::BTreeSet;

use crate::canon;
use crate::dedup::{self, DedupMode};
use crate::entry::{AddressDraft, Entry, Nationality};
use crate::ids::IncidentId;
use crate::ids::RecordId;
use crate::inquiry_types::{Identification, IdentifiedBy, Target, TargetField};
use crate::private_area::RecordState;

impl Target {
    /// Whether the inquirer gave `field`. A nationality of 不明 is not information
    /// (it neither narrows nor counts as known to the inquirer), nor is text with no
    /// searchable character.
    pub fn gave(&self, field: TargetField) -> bool {
        let searchable = |text: &Option<String>, key: fn(&str) -> String| {
            text.as_deref().is_some_and(|text| !key(text).is_empty())
        };
        match field {
            TargetField::Name => searchable(&self.name, canon::name_key),
            TargetField::Furigana => searchable(&self.furigana, canon::kana_key),
            TargetField::BirthDate => self.birth_date.is_some(),
            TargetField::Sex => self.sex.is_some(),
            TargetField::Address => searchable(&self.address, canon::text_key),
            TargetField::Nationality => matches!(
                self.nationality,
                Some(Nationality::Japan | Nationality::Other(_))
            ),
            TargetField::IdentifyingInfo => !pieces(self.identifying_info.as_deref()).is_empty(),
        }
    }

    /// The fields the inquirer gave, in [`TargetField`] order.
    pub fn given_fields(&self) -> Vec<TargetField> {
        TargetField::ALL
            .into_iter()
            .filter(|field| self.gave(*field))
            .collect()
    }
}

/// How a record's value compares with what the inquirer gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldMatch {
    /// The same (canonically).
    Equal,
    /// Consistent, but the record says more: the address extends the inquirer's (no
    /// lot given), or the identifying information holds every piece given and more.
    Within,
    /// Not the same, or the record does not have the field.
    Differs,
}

/// The inquirer's address, ready to compare.
#[derive(Debug, Clone, PartialEq, Eq)]
enum AddressQuery {
    /// A Japanese address with at least its municipality.
    Japanese {
        with_prefecture: bool,
        key: String,
        lot: bool,
    },
    /// Anything else (a foreign address, or one without a municipality): compared
    /// whole, as text against a foreign address, as an address key against a Japanese one.
    Whole { text: String, key: String },
}

impl AddressQuery {
    fn of(line: &str) -> Self {
        let parts = canon::split_address(line);
        if parts.municipality.is_empty() {
            return AddressQuery::Whole {
                text: canon::text_key(line),
                key: canon::address_key(&parts.prefecture, "", "", &parts.rest),
            };
        }
        // What follows the lot (building, room) is left out: records hold the address
        // down to its lot (第4 1(3)エ).
        AddressQuery::Japanese {
            with_prefecture: !parts.prefecture.is_empty(),
            key: canon::address_key(
                &parts.prefecture,
                &parts.municipality,
                &parts.town,
                &parts.lot,
            ),
            lot: !parts.lot.is_empty(),
        }
    }

    /// Complete enough for the 4 information (住所 down to the lot, D-01).
    fn complete(&self) -> bool {
        match self {
            AddressQuery::Japanese {
                with_prefecture,
                lot,
                ..
            } => *with_prefecture && *lot,
            AddressQuery::Whole { .. } => true,
        }
    }

    fn compare(&self, address: &AddressDraft) -> FieldMatch {
        let foreign = !address.foreign.trim().is_empty();
        let record_key = |with_prefecture: bool| {
            let prefecture = if with_prefecture {
                address.prefecture.as_str()
            } else {
                ""
            };
            canon::address_key(
                prefecture,
                &address.municipality,
                &address.town,
                &address.lot,
            )
        };
        match self {
            AddressQuery::Japanese { .. } if foreign => FieldMatch::Differs,
            AddressQuery::Japanese {
                with_prefecture,
                key,
                lot,
            } => {
                let record = record_key(*with_prefecture);
                if record.is_empty() || key.is_empty() {
                    FieldMatch::Differs
                } else if record == *key {
                    FieldMatch::Equal
                } else if !lot && extends(&record, key) {
                    FieldMatch::Within
                } else {
                    FieldMatch::Differs
                }
            }
            AddressQuery::Whole { text, .. } if foreign => {
                if !text.is_empty() && canon::text_key(&address.foreign) == *text {
                    FieldMatch::Equal
                } else {
                    FieldMatch::Differs
                }
            }
            AddressQuery::Whole { key, .. } => {
                if !key.is_empty() && (record_key(true) == *key || record_key(false) == *key) {
                    FieldMatch::Equal
                } else {
                    FieldMatch::Differs
                }
            }
        }
    }
}

/// Whether the address key `record` goes on from `prefix` (`…霞ケ関2` is extended by
/// `…霞ケ関2-1-2`, not by `…霞ケ関21-2`: a number is never cut).
fn extends(record: &str, prefix: &str) -> bool {
    let Some(rest) = record.strip_prefix(prefix) else {
        return false;
    };
    let cut_number = prefix.ends_with(|c: char| c.is_ascii_digit())
        && rest.starts_with(|c: char| c.is_ascii_digit());
    !rest.is_empty() && !cut_number
}

/// The pieces of identifying information, as search keys: split on 、,，・ and
/// whitespace; pieces with nothing searchable are dropped.
fn pieces(text: Option<&str>) -> Vec<String> {
    text.unwrap_or_default()
        .split(|c: char| matches!(c, '、' | ',' | '，' | '・' | '､' | '･') || c.is_whitespace())
        .map(canon::search_key)
        .filter(|key| !key.is_empty())
        .collect()
}

/// The inquirer's fields in canonical form; `None` (or empty) where not given.
pub(crate) struct TargetKeys {
    name: Option<String>,
    furigana: Option<String>,
    birth_date: Option<chrono::NaiveDate>,
    sex: Option<crate::entry::Sex>,
    address: Option<AddressQuery>,
    /// Japan, or a country by its kana key.
    nationality: Option<Nationality>,
    identifying_whole: String,
    identifying_pieces: Vec<String>,
}

impl TargetKeys {
    pub(crate) fn of(target: &Target) -> Self {
        let gave = |field| target.gave(field);
        TargetKeys {
            name: gave(TargetField::Name)
                .then(|| canon::name_key(target.name.as_deref().unwrap_or_default())),
            furigana: gave(TargetField::Furigana)
                .then(|| canon::kana_key(target.furigana.as_deref().unwrap_or_default())),
            birth_date: target.birth_date,
            sex: target.sex,
            address: gave(TargetField::Address)
                .then(|| AddressQuery::of(target.address.as_deref().unwrap_or_default())),
            nationality: match &target.nationality {
                Some(Nationality::Japan) => Some(Nationality::Japan),
                Some(Nationality::Other(name)) => Some(Nationality::Other(canon::kana_key(name))),
                _ => None,
            },
            identifying_whole: canon::search_key(
                target.identifying_info.as_deref().unwrap_or_default(),
            ),
            identifying_pieces: pieces(target.identifying_info.as_deref()),
        }
    }

    /// Whether all 4 information were given, the address down to its lot (第5 3(3)ア).
    fn four_information(&self) -> bool {
        self.name.is_some()
            && self.birth_date.is_some()
            && self.sex.is_some()
            && self.address.as_ref().is_some_and(AddressQuery::complete)
    }

    /// How the record's `field` compares with the inquirer's; `None` when the inquirer
    /// did not give it.
    pub(crate) fn compare(&self, field: TargetField, entry: &Entry) -> Option<FieldMatch> {
        let equal = |same: bool| {
            if same {
                FieldMatch::Equal
            } else {
                FieldMatch::Differs
            }
        };
        let draft = &entry.draft;
        let parsed = &entry.parsed;
        Some(match field {
            TargetField::Name => equal(self.name.as_deref()? == canon::name_key(&draft.name)),
            TargetField::Furigana => {
                equal(self.furigana.as_deref()? == canon::kana_key(&draft.furigana))
            }
            TargetField::BirthDate => equal(parsed.birth_date == Some(self.birth_date?)),
            TargetField::Sex => equal(parsed.sex == Some(self.sex?)),
            TargetField::Address => self.address.as_ref()?.compare(&draft.address),
            TargetField::Nationality => {
                equal(match (self.nationality.as_ref()?, &parsed.nationality) {
                    (Nationality::Japan, Nationality::Japan) => true,
                    (Nationality::Other(key), Nationality::Other(name)) => {
                        *key == canon::kana_key(name)
                    }
                    _ => false,
                })
            }
            TargetField::IdentifyingInfo => {
                if self.identifying_pieces.is_empty() {
                    return None;
                }
                let record = canon::search_key(&parsed.identifying_info);
                if record == self.identifying_whole {
                    FieldMatch::Equal
                } else if self
                    .identifying_pieces
                    .iter()
                    .all(|piece| record.contains(piece.as_str()))
                {
                    FieldMatch::Within
                } else {
                    FieldMatch::Differs
                }
            }
        })
    }

    /// 第5 3(3)ア: the record's 4 information are known and equal the inquirer's.
    fn four_information_match(&self, entry: &Entry) -> bool {
        dedup::four_info_key(entry, DedupMode::Canonical).is_some()
            && [
                TargetField::Name,
                TargetField::BirthDate,
                TargetField::Sex,
                TargetField::Address,
            ]
            .into_iter()
            .all(|field| self.compare(field, entry) == Some(FieldMatch::Equal))
    }

    /// 第5 3(3)イ: consistent with every field the inquirer gave.
    fn consistent(&self, entry: &Entry, given: &[TargetField]) -> bool {
        given.iter().all(|field| {
            matches!(
                self.compare(*field, entry),
                Some(FieldMatch::Equal | FieldMatch::Within)
            )
        })
    }
}

/// The record with the newest 記入日時 (then 受信日時, then the later record ID:
/// deterministic whatever the order of the candidates).
fn newest<'a>(records: &[&'a RecordState]) -> Option<&'a RecordState> {
    records.iter().copied().max_by(|a, b| {
        (a.entry.parsed.written_at, a.received_at, a.record_id).cmp(&(
            b.entry.parsed.written_at,
            b.received_at,
            b.record_id,
        ))
    })
}

/// `candidates`: live (not deleted) records the adapter found by searching the private area and
/// the shared dataset with the target's name / furigana / identifying info (it may pass records
/// that do not match at all; you decide). Rules:
/// - all 4 information (name, birth date, sex, address incl. lot) given and some candidates match
///   all 4 (canonical name key, canonical address key; birth date and sex as parsed values)
///   → Identified by FourInformation, the newest 記入日時 among them (第5 3(3)ア ※);
/// - otherwise narrow: keep candidates consistent with EVERY field the inquirer gave (name:
///   canonical name key equal; furigana: kana key equal; birth: equal; sex: equal; address:
///   canonical address key equal, or the record's address key starting with the given one when the
///   inquirer gave no lot; nationality: equal (japan/other with canonical name; 不明 from the
///   inquirer narrows nothing); identifying info: every piece the inquirer gave, split on 、,，・
///   and whitespace, found as a partial match (canon search_key) in the record's identifying
///   info) → exactly one: Identified by Narrowed; several: NotIdentified; none: NotHeld
///   (第5 3(3)イ).
///
/// Deleted records in `candidates` are ignored, and so is every copy of a record ID one
/// of whose copies is deleted (a deletion is final; the shared dataset may lag behind
/// the private area). The same record passed twice counts once. Deterministic; never
/// panics.
///
/// Callers use [`identify_in`], which first keeps only the inquiry's incident; the
/// tests of the rules call this directly.
#[cfg(test)]
pub(crate) fn identify(target: &Target, candidates: &[RecordState]) -> Identification {
    identify_any(target, candidates)
}

/// Identifies the target among the records of the inquiry's incident only: an inquiry
/// belongs to one incident, and a record of another — a drill (訓練) beside an actual
/// incident, or the other way round — is never identified, answered, or counted as a
/// candidate (T-04, T-06). Found by a hostile test: without an incident, a drill
/// record with a newer 記入日時 was answered on Form 5 to a real inquiry.
pub fn identify_in(
    target: &Target,
    incident: IncidentId,
    candidates: &[RecordState],
) -> Identification {
    let own: Vec<RecordState> = candidates
        .iter()
        .filter(|record| record.incident == incident)
        .cloned()
        .collect();
    identify_any(target, &own)
}

fn identify_any(target: &Target, candidates: &[RecordState]) -> Identification {
    let deleted: BTreeSet<RecordId> = candidates
        .iter()
        .filter(|record| record.deletion.is_some())
        .map(|record| record.record_id)
        .collect();
    let mut seen = BTreeSet::new();
    let live: Vec<&RecordState> = candidates
        .iter()
        .filter(|record| !deleted.contains(&record.record_id) && seen.insert(record.record_id))
        .collect();

    let given = target.given_fields();
    let ask_for: Vec<TargetField> = TargetField::ALL
        .into_iter()
        .filter(|field| !given.contains(field))
        .collect();
    if given.is_empty() {
        // Nothing to compare: no record can be told from another.
        return if live.is_empty() {
            Identification::NotHeld
        } else {
            Identification::NotIdentified {
                candidates: live.len(),
                ask_for,
            }
        };
    }

    let keys = TargetKeys::of(target);
    if keys.four_information() {
        let matching: Vec<&RecordState> = live
            .iter()
            .copied()
            .filter(|record| keys.four_information_match(&record.entry))
            .collect();
        if let Some(record) = newest(&matching) {
            return Identification::Identified {
                record: record.record_id,
                by: IdentifiedBy::FourInformation,
                candidates: matching.len(),
            };
        }
    }

    let narrowed: Vec<&RecordState> = live
        .into_iter()
        .filter(|record| keys.consistent(&record.entry, &given))
        .collect();
    match narrowed.as_slice() {
        [] => Identification::NotHeld,
        [record] => Identification::Identified {
            record: record.record_id,
            by: IdentifiedBy::Narrowed,
            candidates: 1,
        },
        several => Identification::NotIdentified {
            candidates: several.len(),
            ask_for,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::fixtures::evacuee;
    use crate::inquiry::testing::uuid;
    use crate::inquiry::testing::{deleted, example_person, id, inquiry, record};
    use crate::inquiry_types::TargetDraft;

    fn target(draft: TargetDraft) -> Target {
        inquiry("family", draft).target
    }

    /// The guideline's example as the inquirer wrote it, with 表記ゆれ.
    fn example_target() -> TargetDraft {
        TargetDraft {
            name: "消防太郎".into(),
            birth_date: "平成16年6月18日".into(),
            sex: "男".into(),
            address: "東京都千代田区霞が関2-1-2".into(),
            ..TargetDraft::default()
        }
    }

    fn identified(record: u128, by: IdentifiedBy, candidates: usize) -> Identification {
        Identification::Identified {
            record: id(record),
            by,
            candidates,
        }
    }

    #[test]
    fn the_guideline_example_is_identified_by_four_information() {
        // 第5 3(3)ア (例): 消防 太郎 / 平成16年6月18日 / 男 / 東京都千代田区霞ヶ関2丁目1番2号.
        let person = record(1, &example_person());
        let mut older_brother = example_person();
        older_brother.birth_date = "平成14年1月5日".into();
        let mut neighbour = example_person();
        neighbour.address.lot = "1番3号".into();
        let mut sister = example_person();
        sister.sex = "女".into();
        let candidates = [
            record(2, &older_brother),
            person,
            record(3, &neighbour),
            record(4, &sister),
        ];
        assert_eq!(
            identify(&target(example_target()), &candidates),
            identified(1, IdentifiedBy::FourInformation, 1)
        );
        // Also written with kanji numerals and a full-width space.
        let mut kanji = example_target();
        kanji.name = "消防　太郎".into();
        kanji.address = "東京都千代田区霞ケ関二丁目一番二号".into();
        kanji.birth_date = "H16.6.18".into();
        assert_eq!(
            identify(&target(kanji), &candidates),
            identified(1, IdentifiedBy::FourInformation, 1)
        );
    }

    #[test]
    fn among_several_four_information_matches_the_newest_is_taken() {
        let mut first = example_person();
        first.written_at = "2026-11-21 09:00".into();
        let mut newest = example_person();
        newest.written_at = "2026-11-21 18:45".into();
        let mut between = example_person();
        between.written_at = "2026-11-21 12:00".into();
        let candidates = [record(5, &first), record(6, &newest), record(7, &between)];
        assert_eq!(
            identify(&target(example_target()), &candidates),
            identified(6, IdentifiedBy::FourInformation, 3)
        );
        // The order of the candidates does not matter.
        let reversed: Vec<RecordState> = candidates.iter().rev().cloned().collect();
        assert_eq!(
            identify(&target(example_target()), &reversed),
            identified(6, IdentifiedBy::FourInformation, 3)
        );
    }

    #[test]
    fn a_partial_target_is_narrowed_by_nationality() {
        let japanese = example_person();
        let mut american = example_person();
        american.birth_date = "1990-03-03".into();
        american.nationality.kind = "その他".into();
        american.nationality.other = "アメリカ".into();
        let candidates = [record(1, &japanese), record(2, &american)];
        let mut partial = TargetDraft {
            name: "消防太郎".into(),
            ..TargetDraft::default()
        };
        assert!(matches!(
            identify(&target(partial.clone()), &candidates),
            Identification::NotIdentified { candidates: 2, .. }
        ));
        partial.nationality = "ｱﾒﾘｶ".into();
        assert_eq!(
            identify(&target(partial.clone()), &candidates),
            identified(2, IdentifiedBy::Narrowed, 1)
        );
        partial.nationality = "日本".into();
        assert_eq!(
            identify(&target(partial.clone()), &candidates),
            identified(1, IdentifiedBy::Narrowed, 1)
        );
        // 不明 from the inquirer narrows nothing.
        partial.nationality = "不明".into();
        assert!(matches!(
            identify(&target(partial), &candidates),
            Identification::NotIdentified { candidates: 2, .. }
        ));
    }

    #[test]
    fn a_partial_target_is_narrowed_by_identifying_information() {
        let mut glasses = evacuee();
        glasses.identifying_info = "年齢40代、身長170cm程度、赤いメガネをかけている".into();
        let mut hat = evacuee();
        hat.birth_date = "1975-05-05".into();
        hat.identifying_info = "年齢50代、黒い帽子".into();
        let candidates = [record(1, &glasses), record(2, &hat)];
        let by_info = |info: &str| {
            identify(
                &target(TargetDraft {
                    name: "消防　太郎".into(),
                    identifying_info: info.into(),
                    ..TargetDraft::default()
                }),
                &candidates,
            )
        };
        // Every piece must be found (partial match, 表記ゆれ tolerated).
        assert_eq!(
            by_info("めがね、身長１７０ｃｍ"),
            identified(1, IdentifiedBy::Narrowed, 1)
        );
        assert_eq!(
            by_info("帽子 ５０代"),
            identified(2, IdentifiedBy::Narrowed, 1)
        );
        assert_eq!(by_info("めがね、黒い帽子"), Identification::NotHeld);
        // Identifying information alone, without a name.
        assert_eq!(
            identify(
                &target(TargetDraft {
                    identifying_info: "赤いメガネ".into(),
                    ..TargetDraft::default()
                }),
                &candidates
            ),
            identified(1, IdentifiedBy::Narrowed, 1)
        );
    }

    #[test]
    fn an_address_without_a_lot_narrows_by_its_beginning() {
        let mut twenty_one = example_person();
        twenty_one.address.town = "霞ヶ関".into();
        twenty_one.address.lot = "21番1号".into();
        let candidates = [
            record(1, &example_person()), // 霞ヶ関2丁目1番2号
            record(2, &twenty_one),       // 霞ヶ関21番1号
        ];
        let by_address = |address: &str| {
            identify(
                &target(TargetDraft {
                    name: "消防太郎".into(),
                    address: address.into(),
                    ..TargetDraft::default()
                }),
                &candidates,
            )
        };
        assert!(matches!(
            by_address("東京都千代田区"),
            Identification::NotIdentified { candidates: 2, .. }
        ));
        // `霞ヶ関2` is not the beginning of `霞ヶ関21`.
        assert_eq!(
            by_address("東京都千代田区霞が関二丁目"),
            identified(1, IdentifiedBy::Narrowed, 1)
        );
        // Without the prefecture, compared without it.
        assert_eq!(
            by_address("千代田区霞が関21-1"),
            identified(2, IdentifiedBy::Narrowed, 1)
        );
        // A lot given must be the whole lot.
        assert_eq!(
            by_address("東京都千代田区霞が関2丁目1番"),
            Identification::NotHeld
        );
        assert_eq!(by_address("東京都港区"), Identification::NotHeld);
        assert_eq!(
            by_address("大阪府大阪市北区中之島1丁目"),
            Identification::NotHeld
        );
    }

    #[test]
    fn several_candidates_ask_for_exactly_the_missing_fields() {
        // Two persons of the same name and furigana, born the same day.
        let mut other = evacuee();
        other.address.lot = "9番9号".into();
        let candidates = [record(1, &evacuee()), record(2, &other)];
        let outcome = identify(
            &target(TargetDraft {
                name: "消防太郎".into(),
                furigana: "ショウボウ　タロウ".into(),
                birth_date: "1981-11-25".into(),
                ..TargetDraft::default()
            }),
            &candidates,
        );
        assert_eq!(
            outcome,
            Identification::NotIdentified {
                candidates: 2,
                ask_for: vec![
                    TargetField::Sex,
                    TargetField::Address,
                    TargetField::Nationality,
                    TargetField::IdentifyingInfo,
                ],
            }
        );
        // The same whether or not the candidates differ in a missing field (both are
        // male: sex is asked for anyway, so the request reveals nothing about them).
        let json = serde_json::to_string(&outcome).unwrap();
        assert!(
            json.starts_with("{\"outcome\":\"not_identified\""),
            "{json}"
        );
    }

    #[test]
    fn nothing_matching_is_not_held() {
        let candidates = [record(1, &evacuee())];
        let outcome = identify(
            &target(TargetDraft {
                name: "防災　次郎".into(),
                ..TargetDraft::default()
            }),
            &candidates,
        );
        assert_eq!(outcome, Identification::NotHeld);
        assert_eq!(
            identify(&target(example_target()), &[]),
            Identification::NotHeld
        );
        // 4 information given but matching nothing: narrowing finds nothing either.
        let mut wrong_birth = example_target();
        wrong_birth.birth_date = "平成16年6月19日".into();
        assert_eq!(
            identify(&target(wrong_birth), &[record(1, &example_person())]),
            Identification::NotHeld
        );
    }

    #[test]
    fn deleted_candidates_are_ignored() {
        let mut newer = example_person();
        newer.written_at = "2026-11-21 20:00".into();
        // The newest record was deleted (e.g. entered in error): the older one answers.
        let candidates = [deleted(record(8, &newer)), record(9, &example_person())];
        assert_eq!(
            identify(&target(example_target()), &candidates),
            identified(9, IdentifiedBy::FourInformation, 1)
        );
        // A record deleted here but still live in an older shared-dataset copy.
        let live_copy = record(9, &example_person());
        let candidates = [live_copy.clone(), deleted(live_copy.clone())];
        assert_eq!(
            identify(&target(example_target()), &candidates),
            Identification::NotHeld
        );
        // The same record from both scopes counts once.
        let candidates = [live_copy.clone(), live_copy];
        assert_eq!(
            identify(
                &target(TargetDraft {
                    name: "消防太郎".into(),
                    ..TargetDraft::default()
                }),
                &candidates
            ),
            identified(9, IdentifiedBy::Narrowed, 1)
        );
    }

    #[test]
    fn a_target_with_nothing_usable_identifies_no_one() {
        // Built by hand (validation refuses it): nothing to compare.
        let empty = Target {
            raw: TargetDraft::default(),
            name: Some("・".into()),
            furigana: None,
            birth_date: None,
            sex: None,
            address: None,
            nationality: Some(Nationality::Unknown),
            identifying_info: Some("、".into()),
        };
        assert_eq!(empty.given_fields(), []);
        let outcome = identify(&empty, &[record(1, &evacuee())]);
        assert_eq!(
            outcome,
            Identification::NotIdentified {
                candidates: 1,
                ask_for: TargetField::ALL.to_vec()
            }
        );
        assert_eq!(identify(&empty, &[]), Identification::NotHeld);
    }

    #[test]
    fn a_foreign_address_is_compared_whole() {
        let mut abroad = evacuee();
        abroad.address = AddressDraft {
            foreign: "1600 Pennsylvania Ave NW, Washington, DC 20500, USA".into(),
            ..AddressDraft::default()
        };
        let candidates = [record(1, &abroad), record(2, &evacuee())];
        let mut four = example_target();
        four.birth_date = "1981-11-25".into();
        four.address = "1600 PENNSYLVANIA AVE NW,  WASHINGTON, DC 20500, USA".into();
        assert_eq!(
            identify(&target(four), &candidates),
            identified(1, IdentifiedBy::FourInformation, 1)
        );
    }

    // R: T-04, T-06 — the same person in a drill and in the actual incident: an
    // inquiry about the actual incident identifies only the actual record, however
    // new the drill's 記入日時; a person who exists only in a drill is not held.
    #[test]
    fn records_of_another_incident_are_never_identified() {
        let actual = IncidentId::from_uuid(uuid(1));
        let drill = IncidentId::from_uuid(uuid(2));
        let real = record(1, &example_person());
        let mut newer = example_person();
        newer.written_at = "2026-11-21 20:00".into();
        let mut practice = record(2, &newer);
        practice.incident = drill;
        let both = [real.clone(), practice.clone()];
        assert_eq!(
            identify_in(&target(example_target()), actual, &both),
            identified(1, IdentifiedBy::FourInformation, 1)
        );
        assert_eq!(
            identify_in(&target(example_target()), drill, &both),
            identified(2, IdentifiedBy::FourInformation, 1)
        );
        assert_eq!(
            identify_in(&target(example_target()), actual, &[practice]),
            Identification::NotHeld
        );
        // Without the filter the drill record (newer 記入日時) would win.
        assert_eq!(
            identify(&target(example_target()), &both),
            identified(2, IdentifiedBy::FourInformation, 2)
        );
    }
}
