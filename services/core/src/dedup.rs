//! Automatic duplicate removal (自動重複除去) and suspected duplicates.
//! R: D-01, D-02, D-03, D-04, D-07, N-04.
//!
//! Guideline 第4 4 (3) ア ①: two records are the same person when the 4 information
//! (氏名, 出生の年月日, 男女の別, 住所 with its full lot) are all known and identical;
//! then the 記入日時 and 受信日時 decide which one stays:
//! - same 記入日時, different 受信日時 → keep the newer 受信日時 (例1);
//! - different 記入日時 in the same order as the 受信日時 → keep the newer (例2);
//! - newer 記入日時 received earlier → keep both and flag them for the operator (例3).
//!
//! "Identical" compares the canonical keys (N-04) in [`DedupMode::Canonical`], so
//! `消防　太郎` / `消防 太郎` / `消防太郎` are one person; [`DedupMode::Strict`] compares
//! the raw strings as the original system did (D-03). Everything here is pure: the
//! node looks up the live records sharing a key and records what [`on_intake`] decides
//! as events, so a replay of the log reproduces every removal.
//!
//! An operator-confirmed merge (D-04, D-05) is checked by `private_area::decide_merge`,
//! beside the other checks against a record's state.

use chrono::{DateTime, Utc};

use crate::canon;
use crate::entry::{AddressDraft, Entry};
use crate::ids::RecordId;

pub use crate::kinds::{DedupMode, Rule};

/// Separates the parts of a key (a control character never stored in a field).
const SEP: char = '\u{1f}';

/// Whether the address is known down to its lot (D-01): a foreign address, or a
/// Japanese one whose text, read as the canonical key reads it (the parts joined and
/// split again), names a prefecture, a municipality and a lot number after the town.
/// Which field holds the lot does not matter: `2丁目` typed into 地番 is a street
/// without a lot (unknown), `霞が関2丁目1番2号` typed into 町丁字 has its lot (known).
/// Both modes ask this: a strict comparison of raw strings must not remove a record
/// on partial information either. R: D-01, D-03, N-04.
fn address_known(address: &AddressDraft) -> bool {
    if !address.foreign.trim().is_empty() {
        return true;
    }
    canon::address_lot_known(
        &address.prefecture,
        &address.municipality,
        &address.town,
        &address.lot,
    )
}

fn address_canonical(address: &AddressDraft) -> String {
    if !address.foreign.trim().is_empty() {
        return canon::text_key(&address.foreign);
    }
    canon::address_key(
        &address.prefecture,
        &address.municipality,
        &address.town,
        &address.lot,
    )
}

fn address_raw(address: &AddressDraft) -> String {
    if !address.foreign.trim().is_empty() {
        return address.foreign.clone();
    }
    [
        &address.prefecture,
        &address.municipality,
        &address.town,
        &address.lot,
    ]
    .map(String::as_str)
    .join(&SEP.to_string())
}

/// The 4-information key of an entry (D-01), or `None` when any of the four is
/// unknown (such a record is never merged automatically). Birth date and sex are
/// compared as parsed values in both modes: the original system took them from
/// selectors, not free text.
pub fn four_info_key(entry: &Entry, mode: DedupMode) -> Option<String> {
    if !four_info_known(entry) {
        return None;
    }
    let draft = &entry.draft;
    Some(match mode {
        DedupMode::Canonical => compose(
            entry,
            &canon::name_key(&draft.name),
            &address_canonical(&draft.address),
        ),
        DedupMode::Strict => compose(entry, &draft.name, &address_raw(&draft.address)),
    })
}

/// [`four_info_key`] in canonical mode from keys already computed (`name_key` of the
/// name, the canonical address key), so callers that hold them do not fold twice.
pub fn canonical_key_from(entry: &Entry, name_key: &str, address_key: &str) -> Option<String> {
    four_info_known(entry).then(|| compose(entry, name_key, address_key))
}

fn four_info_known(entry: &Entry) -> bool {
    entry.parsed.birth_date.is_some()
        && entry.parsed.sex.is_some()
        && !entry.draft.name.trim().is_empty()
        && address_known(&entry.draft.address)
}

fn compose(entry: &Entry, name: &str, address: &str) -> String {
    let birth = entry
        .parsed
        .birth_date
        .map(|d| d.to_string())
        .unwrap_or_default();
    let sex = entry.parsed.sex.map(|s| s.label_ja()).unwrap_or_default();
    format!("{name}{SEP}{birth}{SEP}{sex}{SEP}{address}")
}

/// The 2-information key from an already computed `name_key` (see [`suspect_key`]).
pub fn suspect_key_from(entry: &Entry, name_key: &str) -> Option<String> {
    let birth = entry.parsed.birth_date?;
    (!name_key.is_empty()).then(|| format!("{name_key}{SEP}{birth}"))
}

/// The 2-information key (name and birth date, canonical) that groups suspected
/// duplicates on the organise screen (D-04); `None` when either is unknown.
pub fn suspect_key(entry: &Entry) -> Option<String> {
    suspect_key_from(entry, &canon::name_key(&entry.draft.name))
}

/// A live record sharing a 4-information key, as dedup sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub record_id: RecordId,
    /// 記入日時.
    pub written_at: DateTime<Utc>,
    /// 受信日時.
    pub received_at: DateTime<Utc>,
}

/// The message shown for a flagged pair (guideline 例3 ※).
pub const FLAG_MESSAGE_JA: &str = "4情報が一致していますが、記入日時の新しい情報が先に受信されています。入力担当者に誤入力等の有無を確認してください";

/// What dedup decided for a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Remove {
        kept: RecordId,
        removed: RecordId,
        rule: Rule,
    },
    /// Orders disagree (例3): both stay; `older` has the older 記入日時.
    Flag { older: RecordId, newer: RecordId },
}

/// Compares two records with the same 4 information (D-02). Symmetric: the order of
/// the arguments does not change the verdict.
pub fn compare(a: &Candidate, b: &Candidate) -> Verdict {
    let remove = |kept: &Candidate, removed: &Candidate, rule| Verdict::Remove {
        kept: kept.record_id,
        removed: removed.record_id,
        rule,
    };
    if a.written_at == b.written_at {
        return match a.received_at.cmp(&b.received_at) {
            std::cmp::Ordering::Less => remove(b, a, Rule::SameWrittenNewerReceived),
            std::cmp::Ordering::Greater => remove(a, b, Rule::SameWrittenNewerReceived),
            std::cmp::Ordering::Equal if a.record_id < b.record_id => remove(b, a, Rule::SameTimes),
            std::cmp::Ordering::Equal => remove(a, b, Rule::SameTimes),
        };
    }
    let (older, newer) = if a.written_at < b.written_at {
        (a, b)
    } else {
        (b, a)
    };
    if newer.received_at >= older.received_at {
        remove(newer, older, Rule::NewerWrittenAndReceived)
    } else {
        Verdict::Flag {
            older: older.record_id,
            newer: newer.record_id,
        }
    }
}

/// Decides what happens when `new` arrives while `live` (the other records that are
/// not deleted and share its 4-information key) are on record (D-02, D-07). If any
/// live record outranks `new`, only `new` is removed; otherwise every live record that
/// `new` outranks is removed and disagreeing pairs are flagged. Deleted records are
/// never among `live`, so nothing deleted comes back.
pub fn on_intake(new: &Candidate, live: &[Candidate]) -> Vec<Verdict> {
    let verdicts: Vec<Verdict> = live
        .iter()
        .filter(|existing| existing.record_id != new.record_id)
        .map(|existing| compare(existing, new))
        .collect();
    if let Some(lost) = verdicts
        .iter()
        .find(|v| matches!(v, Verdict::Remove { removed, .. } if *removed == new.record_id))
    {
        return vec![*lost];
    }
    verdicts
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::entry::fixtures::evacuee;
    use crate::entry::{EntryDraft, validate};

    fn entry(draft: &EntryDraft) -> Entry {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 0, 0, 0).unwrap();
        validate(draft, now).expect("a valid draft")
    }

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
    }

    fn candidate(id: u128, written: DateTime<Utc>, received: DateTime<Utc>) -> Candidate {
        Candidate {
            record_id: RecordId::from_uuid(uuid::Uuid::from_u128(id)),
            written_at: written,
            received_at: received,
        }
    }

    fn id(n: u128) -> RecordId {
        RecordId::from_uuid(uuid::Uuid::from_u128(n))
    }

    #[test]
    fn guideline_example_1_same_written_keeps_newer_received() {
        // 例1: 記入日時 同/同, 受信日時 古/新 → 安否情報2 stays.
        let one = candidate(1, at(20, 9), at(20, 10));
        let two = candidate(2, at(20, 9), at(20, 12));
        let expected = Verdict::Remove {
            kept: id(2),
            removed: id(1),
            rule: Rule::SameWrittenNewerReceived,
        };
        assert_eq!(compare(&one, &two), expected);
        assert_eq!(compare(&two, &one), expected);
        assert_eq!(on_intake(&two, &[one]), vec![expected]);
        // Received in the other order, the late arrival is the one removed.
        assert_eq!(on_intake(&one, &[two]), vec![expected]);
    }

    #[test]
    fn guideline_example_2_agreeing_orders_keep_the_newer() {
        // 例2: 記入日時 古/新, 受信日時 古/新 → 安否情報2 stays.
        let one = candidate(1, at(20, 9), at(20, 10));
        let two = candidate(2, at(21, 9), at(21, 10));
        let expected = Verdict::Remove {
            kept: id(2),
            removed: id(1),
            rule: Rule::NewerWrittenAndReceived,
        };
        assert_eq!(compare(&one, &two), expected);
        assert_eq!(compare(&two, &one), expected);
        assert_eq!(on_intake(&two, &[one]), vec![expected]);
    }

    #[test]
    fn guideline_example_3_disagreeing_orders_keep_both_and_flag() {
        // 例3: 記入日時 古/新, 受信日時 新/古 → nothing removed, the operator checks.
        let one = candidate(1, at(20, 9), at(21, 12));
        let two = candidate(2, at(21, 9), at(21, 10));
        let expected = Verdict::Flag {
            older: id(1),
            newer: id(2),
        };
        assert_eq!(compare(&one, &two), expected);
        assert_eq!(compare(&two, &one), expected);
        assert_eq!(on_intake(&one, &[two]), vec![expected]);
    }

    #[test]
    fn identical_times_keep_the_later_record_whatever_the_arrival_order() {
        let one = candidate(1, at(20, 9), at(20, 10));
        let two = candidate(2, at(20, 9), at(20, 10));
        let expected = Verdict::Remove {
            kept: id(2),
            removed: id(1),
            rule: Rule::SameTimes,
        };
        assert_eq!(on_intake(&one, &[two]), vec![expected]);
        assert_eq!(on_intake(&two, &[one]), vec![expected]);
    }

    #[test]
    fn a_newcomer_that_loses_is_the_only_removal() {
        let newest = candidate(1, at(21, 9), at(21, 13));
        let flagged = candidate(2, at(20, 8), at(21, 14));
        let late_old = candidate(3, at(20, 7), at(21, 12));
        // The late, old form loses to the newest record; nothing else is decided.
        assert_eq!(
            on_intake(&late_old, &[newest, flagged]),
            vec![Verdict::Remove {
                kept: id(1),
                removed: id(3),
                rule: Rule::NewerWrittenAndReceived
            }]
        );
        // A newcomer newer on both counts removes every live record it outranks.
        let newcomer = candidate(4, at(21, 20), at(21, 21));
        assert_eq!(on_intake(&newcomer, &[newest, flagged]).len(), 2);
        assert!(on_intake(&newcomer, &[]).is_empty());
        assert!(on_intake(&newcomer, &[newcomer]).is_empty());
    }

    #[test]
    fn name_variants_merge_in_canonical_mode_and_stay_apart_in_strict_mode() {
        let variants = ["消防　太郎", "消防 太郎", "消防太郎"];
        let keys = |mode| {
            variants
                .iter()
                .map(|name| {
                    let mut draft = evacuee();
                    draft.name = (*name).to_string();
                    four_info_key(&entry(&draft), mode).expect("4 information known")
                })
                .collect::<Vec<_>>()
        };
        let canonical = keys(DedupMode::Canonical);
        assert!(
            canonical.iter().all(|k| *k == canonical[0]),
            "{canonical:?}"
        );
        let strict = keys(DedupMode::Strict);
        assert_ne!(strict[0], strict[1]);
        assert_ne!(strict[1], strict[2]);
        assert_ne!(strict[0], strict[2]);
    }

    #[test]
    fn address_variants_merge_only_in_canonical_mode() {
        let mut a = evacuee();
        a.address.town = "霞が関二丁目".into();
        a.address.lot = "一番二号".into();
        let mut b = evacuee();
        b.address.town = "霞ヶ関".into();
        b.address.lot = "2-1-2".into();
        let (a, b) = (entry(&a), entry(&b));
        assert_eq!(
            four_info_key(&a, DedupMode::Canonical),
            four_info_key(&b, DedupMode::Canonical)
        );
        assert_ne!(
            four_info_key(&a, DedupMode::Strict),
            four_info_key(&b, DedupMode::Strict)
        );
    }

    #[test]
    fn an_address_without_its_lot_is_not_the_same_person() {
        // Guideline: 霞ヶ関 2丁目 does not match 霞ヶ関2丁目1番2号.
        let mut partial = evacuee();
        partial.address.town = "霞ヶ関 2丁目".into();
        partial.address.lot = String::new();
        let mut full = evacuee();
        full.address.town = "霞ヶ関2丁目".into();
        full.address.lot = "1番2号".into();
        let partial = entry(&partial);
        let full = entry(&full);
        assert_eq!(four_info_key(&partial, DedupMode::Canonical), None);
        assert!(four_info_key(&full, DedupMode::Canonical).is_some());
        // Even written into the lot field, the street without a lot number is unknown.
        let mut short = evacuee();
        short.address.town = "霞ヶ関".into();
        short.address.lot = "2丁目".into();
        assert_eq!(four_info_key(&entry(&short), DedupMode::Canonical), None);
    }

    // Guideline 第4 4(2) 同一人物であることの判断: 「4 情報が全て判明しており、かつ、完全に
    // 一致している場合については、同一人物であると判断する。ただし、4 情報の一部が判明して
    // いない場合や、…その全てが完全に一致しない場合については、当該安否情報の入力担当者に
    // 連絡を取り、誤入力や入力漏れ等が確認されたときのみ、同一人物であると判断する。」
    // 表4-7 (例): 「住所については、地番まで含めた全ての情報について完全に一致している者
    // のみを同一人物として判断する。」 — 霞ヶ関2丁目 and 霞ヶ関2丁目1番2号 are not one
    // person. Whether the 地番 is known is read from the address, not from the field.

    #[test]
    fn given_a_street_typed_into_the_lot_field_when_keyed_then_it_is_not_a_known_lot() {
        // Given two records of the same name, birth date and sex whose address is
        // 霞ヶ関 with 2丁目 typed into 地番 and no lot number,
        let mut first = evacuee();
        first.address.town = "霞ヶ関".into();
        first.address.lot = "2丁目".into();
        let mut second = first.clone();
        second.written_at = "2026-11-21 10:00".into();
        // when their 4-information keys are computed, in either mode,
        for mode in [DedupMode::Canonical, DedupMode::Strict] {
            // then neither has one: the 地番 is not known, nothing is removed.
            assert_eq!(four_info_key(&entry(&first), mode), None, "{mode}");
            assert_eq!(four_info_key(&entry(&second), mode), None, "{mode}");
        }
        // The same with kanji numerals, 丁 without 目, or a building after the street.
        for lot in ["二丁目", "2丁", "２丁目　霞ビル"] {
            let mut draft = evacuee();
            draft.address.town = "霞ヶ関".into();
            draft.address.lot = lot.into();
            assert_eq!(
                four_info_key(&entry(&draft), DedupMode::Canonical),
                None,
                "{lot}"
            );
        }
    }

    #[test]
    fn given_the_whole_address_in_the_town_field_when_keyed_then_it_is_the_split_one() {
        // Given one record with the whole address typed into 町丁字 and 地番 empty, and
        // one with the same address split as the guideline's rule asks (第4 4(3)②:
        // 町丁字欄に「〇丁目」、地番欄に「〇番〇号」),
        let mut whole = evacuee();
        whole.address.town = "霞が関2丁目1番2号".into();
        whole.address.lot = String::new();
        let mut split = evacuee();
        split.address.town = "霞が関2丁目".into();
        split.address.lot = "1-2".into();
        // when their canonical 4-information keys are computed,
        let whole = four_info_key(&entry(&whole), DedupMode::Canonical);
        let split = four_info_key(&entry(&split), DedupMode::Canonical);
        // then both are known and equal: the same person.
        assert!(whole.is_some());
        assert_eq!(whole, split);
    }

    #[test]
    fn given_issue_13_notations_when_keyed_then_one_person() {
        // R: D-03, N-03. 大字 written on one side only, and 丁目 written as 丁.
        let key = |town: &str, lot: &str| {
            let mut draft = evacuee();
            draft.address.prefecture = "大阪府".into();
            draft.address.municipality = "堺市堺区".into();
            draft.address.town = town.into();
            draft.address.lot = lot.into();
            four_info_key(&entry(&draft), DedupMode::Canonical)
        };
        assert!(key("南花田口町2丁目", "3番10号").is_some());
        assert_eq!(
            key("南花田口町２丁３－１０", ""),
            key("南花田口町2丁目", "3番10号")
        );
        assert_eq!(
            key("大字南花田口町2丁目", "3-10"),
            key("南花田口町2丁目", "3番10号")
        );
        assert_eq!(key("南花田口町", "2丁"), None);
    }

    #[test]
    fn unknown_information_is_never_merged() {
        let mut no_birth = evacuee();
        no_birth.birth_date = String::new();
        let mut no_sex = evacuee();
        no_sex.sex = String::new();
        let mut no_name = evacuee();
        no_name.name = String::new();
        for draft in [&mut no_birth, &mut no_sex, &mut no_name] {
            draft.identifying_info = "身長170cm程度、青いジャンパー".into();
        }
        for draft in [no_birth, no_sex, no_name] {
            for mode in [DedupMode::Canonical, DedupMode::Strict] {
                assert_eq!(four_info_key(&entry(&draft), mode), None, "{draft:?}");
            }
        }
    }

    #[test]
    fn different_people_have_different_keys() {
        let base = entry(&evacuee());
        let key = four_info_key(&base, DedupMode::Canonical);
        let mut other_sex = evacuee();
        other_sex.sex = "女".into();
        let mut other_birth = evacuee();
        other_birth.birth_date = "1981-11-26".into();
        let mut other_lot = evacuee();
        other_lot.address.lot = "1番3号".into();
        for draft in [other_sex, other_birth, other_lot] {
            assert_ne!(four_info_key(&entry(&draft), DedupMode::Canonical), key);
        }
    }

    #[test]
    fn suspected_duplicates_share_name_and_birth_only() {
        let mut elsewhere = evacuee();
        elsewhere.name = "消防太郎".into();
        elsewhere.address.municipality = "港区".into();
        elsewhere.sex = String::new();
        elsewhere.identifying_info = "身長170cm程度".into();
        assert_eq!(
            suspect_key(&entry(&evacuee())),
            suspect_key(&entry(&elsewhere))
        );
        let mut no_birth = evacuee();
        no_birth.birth_date = String::new();
        no_birth.identifying_info = "身長170cm程度".into();
        assert_eq!(suspect_key(&entry(&no_birth)), None);
    }

    #[test]
    fn modes_parse() {
        assert_eq!(DedupMode::parse("strict"), Some(DedupMode::Strict));
        assert_eq!(DedupMode::parse("canonical"), Some(DedupMode::Canonical));
        assert_eq!(DedupMode::parse("loose"), None);
        assert_eq!(DedupMode::default(), DedupMode::Canonical);
    }
}
