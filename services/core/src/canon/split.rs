//! Splitting an address written in one line into its parts. R: E-15.
//!
//! Municipality names follow the patterns of 全国地方公共団体コード (総務省): `X郡Y町/村`,
//! `X市Y区` for the 20 指定都市 (地方自治法 第252条の19), and `X市/区/町/村`, where the
//! suffix is the first 市/区/町/村 after a non-empty stem of at most 7 characters.
//! Municipalities whose stem itself holds one of those characters are listed in
//! `STEM_EXCEPTIONS`. When no municipality is found, everything after the prefecture is
//! left in `rest`: nothing is guessed. The key (`address_key`) never depends on how
//! an address was split.

use serde::{Deserialize, Serialize};

use super::lot::{chome_end, is_digit_like, is_number_start, lot_end};
use crate::prefecture;

/// The parts of an address. Each field holds the text as written (trimmed). R: E-15.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressParts {
    /// Full prefecture name (`東京都`), empty when the text did not start with one.
    pub prefecture: String,
    /// `千代田区`, `横浜市中区`, `西多摩郡奥多摩町` …
    pub municipality: String,
    /// 町・丁目・字 with the 丁目 if written with one (`霞が関2丁目`).
    pub town: String,
    /// 番地・号 (`1番2号`, `2-1-2`).
    pub lot: String,
    /// What follows the lot (building, room) or what could not be parsed.
    pub rest: String,
}

/// Municipalities whose stem contains 市/区/町/村 past its first character.
const STEM_EXCEPTIONS: [&str; 11] = [
    "東村山市",
    "武蔵村山市",
    "羽村市",
    "田村市",
    "大村市",
    "十日町市",
    "大町市",
    "玉村町",
    "上市町",
    "下市町",
    "余市町",
];

/// The 20 designated cities (指定都市), whose wards follow the city name.
const DESIGNATED_CITIES: [&str; 20] = [
    "札幌市",
    "仙台市",
    "さいたま市",
    "千葉市",
    "横浜市",
    "川崎市",
    "相模原市",
    "新潟市",
    "静岡市",
    "浜松市",
    "名古屋市",
    "京都市",
    "大阪市",
    "堺市",
    "神戸市",
    "岡山市",
    "広島市",
    "北九州市",
    "福岡市",
    "熊本市",
];

const MAX_STEM: usize = 7;

/// Splits an address into prefecture / municipality / town / lot / rest. R: E-15.
pub fn split_address(text: &str) -> AddressParts {
    let mut parts = AddressParts::default();
    let mut rest = text.trim();
    if let Some((code, after)) = prefecture::split_prefix(rest) {
        parts.prefecture = prefecture::name_of(code).unwrap_or_default().to_string();
        rest = after.trim_start();
    }
    let chars: Vec<char> = rest.chars().collect();
    let Some(municipality) = municipality_len(&chars) else {
        parts.rest = rest.to_string();
        return parts;
    };
    parts.municipality = chars[..municipality].iter().collect();
    let (town, lot, rest) = split_town(&chars[municipality..]);
    (parts.town, parts.lot, parts.rest) = (town, lot, rest);
    parts
}

/// Splits what follows the municipality into town (with its 丁目), lot and rest.
/// R: E-15, N-03.
fn split_town(chars: &[char]) -> (String, String, String) {
    let chars: Vec<char> = chars
        .iter()
        .copied()
        .skip_while(|c| c.is_whitespace())
        .collect();
    let mut town_end = (0..chars.len())
        .find(|index| is_number_start(&chars, *index))
        .unwrap_or(chars.len());
    if let Some(end) = chome_end(&chars, town_end) {
        town_end = end;
    }
    let town = chars[..town_end]
        .iter()
        .collect::<String>()
        .trim()
        .to_string();
    let lot_start = town_end
        + chars[town_end..]
            .iter()
            .take_while(|c| c.is_whitespace())
            .count();
    let lot_stop = lot_end(&chars, lot_start).unwrap_or(lot_start);
    let lot = chars[lot_start..lot_stop].iter().collect();
    let rest = chars[lot_stop..]
        .iter()
        .collect::<String>()
        .trim()
        .to_string();
    (town, lot, rest)
}

/// Whether an address given as its parts is known down to its lot (番地・号), read
/// from its text the way [`address_key`](super::address_key) reads it: the parts are
/// joined and split again, so which field holds which words does not matter. A street
/// (`2丁目`, `2丁`) without a lot number after it is not a known lot, wherever it was
/// typed (guideline 第4 4(2), 表4-7: `霞ヶ関2丁目` is not `霞ヶ関2丁目1番2号`).
/// R: D-01, E-15.
///
/// - The prefecture and the municipality must be known too: the joined text starts
///   with a prefecture (a short field such as `東京` counts as `東京都`), and a
///   municipality follows it, or — when the splitter does not recognise the
///   municipality field as one (`千代田 区`) — the municipality field is filled in.
/// - The lot number must follow the town name. When no lot was written, the splitter
///   reads the first number after the town as the lot, also a building's or a room's
///   (`大門 霞ビル5階`, `大門ヴィラ101`); such a number is not taken for a lot when
///   the words before it are not one place name: a space inside them (other than
///   around a 大字/字 prefix), or katakana, `ー` or Latin letters right before the
///   number. This errs on the side of "unknown": a place name ending in katakana
///   right before its lot (`字ニセコ123`) is not merged automatically either, and
///   goes to the operator like any record with unknown information.
pub fn address_lot_known(prefecture: &str, municipality: &str, town: &str, lot: &str) -> bool {
    let prefecture = prefecture::code_of(prefecture)
        .and_then(prefecture::name_of)
        .unwrap_or(prefecture);
    let whole = split_address(&[prefecture, municipality, town, lot].join(" "));
    if whole.prefecture.is_empty() {
        return false;
    }
    let (town, lot) = if !whole.municipality.is_empty() {
        (whole.town, whole.lot)
    } else if !municipality.trim().is_empty() {
        let below: Vec<char> = [town, lot].join(" ").chars().collect();
        let (town, lot, _) = split_town(&below);
        (town, lot)
    } else {
        return false;
    };
    !lot.is_empty() && reads_as_one_place_name(&town)
}

/// Whether the town, up to its street or lot number, reads as one place name rather
/// than a place name followed by a building's name: no space inside it other than
/// around a 大字/字 prefix, and no katakana, `ー` or Latin letter right before the
/// number. R: D-01.
fn reads_as_one_place_name(town: &str) -> bool {
    let chars: Vec<char> = town.chars().collect();
    let end = (0..chars.len())
        .find(|index| is_number_start(&chars, *index))
        .unwrap_or(chars.len());
    let name: Vec<char> = chars[..end]
        .iter()
        .copied()
        .collect::<String>()
        .trim()
        .chars()
        .collect();
    let spaces_only_at_aza = name.iter().enumerate().all(|(index, c)| {
        if !c.is_whitespace() {
            return true;
        }
        let before = name[..index].iter().rev().find(|c| !c.is_whitespace());
        let after = name[index + 1..].iter().find(|c| !c.is_whitespace());
        before == Some(&'字') || after == Some(&'字')
    });
    spaces_only_at_aza && name.last().is_none_or(|c| !is_building_letter(*c))
}

/// Katakana (full or half width, with `ー`) and Latin letters (ASCII or full width),
/// the scripts of building names (ビル, ハイツ, ヴィラ, `A棟`). R: D-01.
fn is_building_letter(c: char) -> bool {
    matches!(
        c,
        '\u{30A1}'..='\u{30FA}'
            | '\u{30FC}'
            | '\u{FF66}'..='\u{FF9F}'
            | 'A'..='Z'
            | 'a'..='z'
            | '\u{FF21}'..='\u{FF3A}'
            | '\u{FF41}'..='\u{FF5A}'
    )
}

/// Length in characters of the municipality at the start of `chars`. R: E-15.
fn municipality_len(chars: &[char]) -> Option<usize> {
    if let Some(gun) = chars.iter().take(MAX_STEM + 1).position(|c| *c == '郡')
        && gun > 0
        && !chars[..gun].iter().any(|c| is_digit_like(*c))
        && let Some(town) = suffix_len(&chars[gun + 1..], &['町', '村'], &['市', '区', '郡'])
    {
        return Some(gun + 1 + town);
    }
    let city = suffix_len(chars, &['市', '区', '町', '村'], &[])?;
    let name: String = chars[..city].iter().collect();
    let ward = chars[city..]
        .iter()
        .take(MAX_STEM + 1)
        .position(|c| *c == '区');
    if DESIGNATED_CITIES.contains(&name.as_str())
        && let Some(ward) = ward
        && ward > 0
        && !chars[city..city + ward].iter().any(|c| is_digit_like(*c))
    {
        return Some(city + ward + 1);
    }
    Some(city)
}

/// Length of a name at the start of `chars` ending in one of `suffixes`; `None` when
/// a digit, a space or one of `stops` comes first. R: E-15.
fn suffix_len(chars: &[char], suffixes: &[char], stops: &[char]) -> Option<usize> {
    let text: String = chars.iter().take(MAX_STEM + 2).collect();
    if let Some(name) = STEM_EXCEPTIONS.iter().find(|name| text.starts_with(**name)) {
        return suffixes
            .iter()
            .any(|s| name.ends_with(*s))
            .then(|| name.chars().count());
    }
    for (index, c) in chars.iter().enumerate().take(MAX_STEM + 1) {
        if is_digit_like(*c) || c.is_whitespace() || stops.contains(c) {
            return None;
        }
        if index > 0 && suffixes.contains(c) {
            let doubled = chars.get(index + 1) == Some(c);
            return Some(index + 1 + usize::from(doubled));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> [String; 5] {
        let p = split_address(text);
        [p.prefecture, p.municipality, p.town, p.lot, p.rest]
    }

    #[test]
    fn table() {
        let cases: &[(&str, [&str; 5])] = &[
            (
                "東京都千代田区霞が関2丁目1番2号",
                ["東京都", "千代田区", "霞が関2丁目", "1番2号", ""],
            ),
            (
                "東京都千代田区霞が関2-1-2",
                ["東京都", "千代田区", "霞が関", "2-1-2", ""],
            ),
            (
                "東京都千代田区霞が関二丁目一番二号",
                ["東京都", "千代田区", "霞が関二丁目", "一番二号", ""],
            ),
            (
                "東京都　千代田区　霞が関２－１－２　霞ビル5階",
                ["東京都", "千代田区", "霞が関", "２－１－２", "霞ビル5階"],
            ),
            (
                "北海道札幌市中央区北1条西2丁目1番地",
                ["北海道", "札幌市中央区", "北1条西2丁目", "1番地", ""],
            ),
            (
                "神奈川県横浜市中区日本大通1",
                ["神奈川県", "横浜市中区", "日本大通", "1", ""],
            ),
            (
                "愛知県名古屋市中村区名駅1-1-4",
                ["愛知県", "名古屋市中村区", "名駅", "1-1-4", ""],
            ),
            (
                "東京都新宿区市谷加賀町1-2",
                ["東京都", "新宿区", "市谷加賀町", "1-2", ""],
            ),
            (
                "東京都東村山市本町1丁目2番3号 ハイツ101",
                ["東京都", "東村山市", "本町1丁目", "2番3号", "ハイツ101"],
            ),
            (
                "三重県四日市市諏訪町1番5号",
                ["三重県", "四日市市", "諏訪町", "1番5号", ""],
            ),
            (
                "東京都西多摩郡奥多摩町氷川215",
                ["東京都", "西多摩郡奥多摩町", "氷川", "215", ""],
            ),
            (
                "北海道余市郡余市町黒川町1丁目",
                ["北海道", "余市郡余市町", "黒川町1丁目", "", ""],
            ),
            (
                "奈良県大和郡山市北郡山町248-4",
                ["奈良県", "大和郡山市", "北郡山町", "248-4", ""],
            ),
            (
                "東京都町田市森野2-2-22",
                ["東京都", "町田市", "森野", "2-2-22", ""],
            ),
            (
                "東京都千代田区一番町",
                ["東京都", "千代田区", "一番町", "", ""],
            ),
            (
                "東京都新宿区四谷三丁目",
                ["東京都", "新宿区", "四谷三丁目", "", ""],
            ),
            (
                "東京都千代田区九段南一丁目二番一号",
                ["東京都", "千代田区", "九段南一丁目", "二番一号", ""],
            ),
            (
                "東京都八王子市元本郷町三丁目24番1号",
                ["東京都", "八王子市", "元本郷町三丁目", "24番1号", ""],
            ),
            (
                "群馬県玉村町下新田201",
                ["群馬県", "玉村町", "下新田", "201", ""],
            ),
            (
                "大阪府大阪市北区中之島1丁目3番20号",
                ["大阪府", "大阪市北区", "中之島1丁目", "3番20号", ""],
            ),
            (
                "京都府京都市中京区寺町通御池上る上本能寺前町488",
                [
                    "京都府",
                    "京都市中京区",
                    "寺町通御池上る上本能寺前町",
                    "488",
                    "",
                ],
            ),
            (
                "千代田区霞が関1番地の2",
                ["", "千代田区", "霞が関", "1番地の2", ""],
            ),
            (
                "大阪府堺市堺区南花田口町２丁３－１０",
                ["大阪府", "堺市堺区", "南花田口町２丁", "３－１０", ""],
            ),
            (
                "大阪府堺市堺区南花田口町2丁",
                ["大阪府", "堺市堺区", "南花田口町2丁", "", ""],
            ),
            (
                "埼玉県さいたま市緑区大字大門120-1",
                ["埼玉県", "さいたま市緑区", "大字大門", "120-1", ""],
            ),
            (
                "東京都中央区八丁堀3-1",
                ["東京都", "中央区", "八丁堀", "3-1", ""],
            ),
            ("霞が関2-1-2", ["", "", "", "", "霞が関2-1-2"]),
            ("東京都霞が関", ["東京都", "", "", "", "霞が関"]),
            ("東京都1-2-3", ["東京都", "", "", "", "1-2-3"]),
            ("", ["", "", "", "", ""]),
        ];
        for (text, expected) in cases {
            assert_eq!(split(text), expected.map(str::to_string), "{text}");
        }
    }

    #[test]
    fn the_lot_is_known_from_the_text_not_from_the_field() {
        // R: D-01. Guideline 第4 4(2): 「4 情報が全て判明しており、かつ、完全に一致
        // している場合」 only; 表4-7 例: 「住所については、地番まで含めた全ての情報に
        // ついて完全に一致している者のみを同一人物として判断する」.
        let known = |town: &str, lot: &str| address_lot_known("東京都", "千代田区", town, lot);
        // Given a lot number, wherever it was typed: known.
        assert!(known("霞が関2丁目", "1番2号"));
        assert!(known("霞が関2丁目1番2号", ""));
        assert!(known("", "霞が関2丁目1-2"));
        assert!(known("霞が関", "2-1-2"));
        assert!(known("霞ヶ関二丁目", "一番二号"));
        assert!(known("南花田口町２丁３－１０", ""));
        assert!(known("本町", "5番地"));
        assert!(address_lot_known(
            "",
            "",
            "東京都千代田区霞が関2丁目1番2号",
            ""
        ));
        assert!(address_lot_known("東京", "千代田 区", "霞が関2丁目", "1-2"));
        // Given a building's number and no lot number: not known.
        assert!(!known("霞が関", "霞ビル5階"));
        assert!(!known("霞が関 霞ビル", "101"));
        assert!(!known("霞が関ヴィラ101", ""));
        assert!(!known("霞が関", "ＡＢＣタワー5F"));
        assert!(known("霞が関", "1-2 霞ビル5階"));
        assert!(address_lot_known(
            "埼玉県",
            "さいたま市緑区",
            "大字 大門",
            "120-1"
        ));
        assert!(address_lot_known(
            "秋田県",
            "横手市",
            "大字大沢 字上野",
            "1"
        ));
        // Given a street without a lot number, wherever it was typed: not known.
        assert!(!known("霞ヶ関 2丁目", ""));
        assert!(!known("霞ヶ関", "2丁目"));
        assert!(!known("霞ヶ関", "二丁目"));
        assert!(!known("霞ヶ関", "2丁"));
        assert!(!known("霞ヶ関", " 2丁目 霞ビル"));
        assert!(!known("霞ヶ関2丁目", ""));
        assert!(!known("", ""));
        // Given no prefecture or no municipality: not known.
        assert!(!address_lot_known("", "千代田区", "霞が関2丁目", "1-2"));
        assert!(!address_lot_known("東京都", "", "霞が関2丁目", "1-2"));
        assert!(!address_lot_known("東京", "千代田 区", "霞が関2丁目", ""));
    }

    #[test]
    fn exceptions_end_with_a_suffix() {
        for name in STEM_EXCEPTIONS {
            let chars: Vec<char> = name.chars().collect();
            let all = ['市', '区', '町', '村'];
            assert_eq!(suffix_len(&chars, &all, &[]), Some(chars.len()), "{name}");
        }
    }
}
